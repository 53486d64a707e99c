//! The grammar of the command line, in one place: the global options, the command words,
//! and the keywords of each command with the kind of value each takes and what it sets.
//! The parser, the completer, the help, the printer and the fast path of the global options
//! all read these tables; a tunnel's settings come from the library's own table
//! ([`rfou::tunnel::KEYS`]), which the desired-state file reads too.

use std::sync::LazyLock;

use rfou::fou::PORT_KEYS;
use rfou::tunnel::{EncapType, TunnelMode, ValueKind, KEYS};
use rfou::values::PROTOCOLS;

/// What a global option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionArg {
    /// A flag.
    None,
    /// The name of a network namespace (`-n`).
    Netns,
    /// A file, or `-` (`-b`).
    File,
}

/// A global option of `rfou`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalOption {
    pub short: Option<&'static str>,
    pub long: Option<&'static str>,
    pub arg: OptionArg,
    /// Options this one cannot be given with.
    pub excludes: &'static [&'static str],
    /// Options this one needs (by id).
    pub needs: &'static [&'static str],
    /// What it does, for `rfou --help`.
    pub help: &'static str,
}

impl GlobalOption {
    /// Its names, short and long.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.short.into_iter().chain(self.long)
    }

    /// The name that stands for the option: its short name, or its long one.
    pub fn id(&self) -> &'static str {
        self.short.or(self.long).expect("an option has a name")
    }
}

const fn opt(
    short: Option<&'static str>,
    long: Option<&'static str>,
    arg: OptionArg,
    excludes: &'static [&'static str],
    needs: &'static [&'static str],
    help: &'static str,
) -> GlobalOption {
    GlobalOption {
        short,
        long,
        arg,
        excludes,
        needs,
        help,
    }
}

/// The global options, in the order `rfou --help` lists them.
pub const GLOBAL_OPTIONS: &[GlobalOption] = &[
    opt(
        Some("-n"),
        Some("--netns"),
        OptionArg::Netns,
        &[],
        &[],
        "Act inside network namespace NAME (/run/netns/NAME, as `ip -n`)",
    ),
    opt(
        Some("-j"),
        Some("--json"),
        OptionArg::None,
        &[],
        &[],
        "JSON output",
    ),
    opt(
        Some("-p"),
        Some("--pretty"),
        OptionArg::None,
        &[],
        &[],
        "Indent JSON output",
    ),
    opt(
        Some("-b"),
        Some("--batch"),
        OptionArg::File,
        &[],
        &[],
        "Read commands from FILE (- for standard input), one a line",
    ),
    opt(
        None,
        Some("--force"),
        OptionArg::None,
        &["--atomic"],
        &["-b"],
        "With --batch: go on past failing lines and report each",
    ),
    opt(
        None,
        Some("--atomic"),
        OptionArg::None,
        &["--force"],
        &["-b"],
        "With --batch: on any failure, undo every line applied, leaving the namespace as before",
    ),
    opt(
        Some("-6"),
        None,
        OptionArg::None,
        &["-4"],
        &[],
        "IPv6 receive ports",
    ),
    opt(
        Some("-4"),
        None,
        OptionArg::None,
        &["-6"],
        &[],
        "IPv4 receive ports",
    ),
    // clap's own flags (src/args.rs leaves them to it).
    opt(
        Some("-V"),
        Some("--version"),
        OptionArg::None,
        &[],
        &[],
        "Print version",
    ),
    opt(
        Some("-h"),
        Some("--help"),
        OptionArg::None,
        &[],
        &[],
        "Print help",
    ),
];

/// The global option called `name` (short or long), if any.
pub fn global_option(name: &str) -> Option<&'static GlobalOption> {
    GLOBAL_OPTIONS.iter().find(|o| o.names().any(|n| n == name))
}

/// The command words that may be shortened to a unique prefix.
pub const TOP: &[&str] = &["add", "delete", "show", "list", "tunnel", "help", "doctor"];
/// The desired-state commands. Only their whole words are taken, never a prefix: `rfou a`
/// stays `add`, as in iproute2.
pub const STATE_COMMANDS: &[&str] = &["apply", "export", "import"];
/// What `import` reads: the configuration of another tool (whole words only).
pub const IMPORT_SOURCES: &[&str] = &["networkd"];
/// The options of `apply`.
pub const APPLY_OPTIONS: &[&str] = &["--check", "--prune", "--defer-bound"];
/// The verbs of `tunnel`.
pub const TUNNEL: &[&str] = &["add", "change", "delete", "show", "list", "encap", "help"];
/// The keywords of `doctor`.
pub const DOCTOR: &[&str] = &["dev"];

/// The keywords of `add`: every port keyword but the file's `family`. Made once: a batch
/// reads them for each of its lines.
pub fn port_add() -> &'static [&'static str] {
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        PORT_KEYS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| *k != "family")
            .collect()
    });
    &WORDS
}

/// The keywords of `del`: those that name a socket, and `ipproto` and `gue`, which ip's
/// `fou del` takes too (scripts write `ip fou del port 5555 gue`); the kernel finds the port
/// by its socket, so they are checked but choose nothing. Made once, as `port_add`'s.
pub fn port_del() -> &'static [&'static str] {
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        port_add()
            .iter()
            .copied()
            .filter(|k| *k != "remcsum_nopartial")
            .collect()
    });
    &WORDS
}

/// The keywords of `show`.
pub const PORT_SHOW: &[&str] = &["port", "-6", "-4"];

/// The keywords of `tunnel encap`: the encapsulation's options. Made once.
pub fn encap_options() -> &'static [&'static str] {
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        tunnel_words()
            .iter()
            .copied()
            .filter(|k| k.starts_with("encap-") || k.starts_with("noencap-"))
            .collect()
    });
    &WORDS
}

/// The words of `tunnel encap` after the device: the encapsulation's options, and the type
/// as `ip link set` writes it (`encap fou`, `noencap` for none) beside the bare `fou`,
/// `gue` or `none` ([`ENCAP_TYPES`]). Made once.
pub fn encap_words() -> &'static [&'static str] {
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut words = vec!["encap", "noencap"];
        words.extend(encap_options());
        words
    });
    &WORDS
}

/// Every word a tunnel's settings take: each keyword, its negations and aliases. Made once.
pub fn tunnel_words() -> &'static [&'static str] {
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut words = Vec::new();
        for key in KEYS {
            words.push(key.name);
            words.extend(key.negations);
            words.extend(key.aliases);
        }
        words
    });
    &WORDS
}

/// The keywords of `tunnel add` (`mode` and every setting) and `tunnel change` (the same but
/// `mode`). Made once: a batch reads them for each of its lines.
pub fn tunnel_options(adding: bool) -> &'static [&'static str] {
    static ADD: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut words = vec!["mode"];
        words.extend(tunnel_words());
        words
    });
    if adding {
        &ADD
    } else {
        tunnel_words()
    }
}

/// The kind of value a keyword takes, for completion and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Something to type (a number, an address): nothing to offer.
    Typed,
    /// These words (or something typed).
    Words(&'static [&'static str]),
    /// An IP protocol: [`PROTOCOLS`].
    Protocol,
    /// A tunnel mode: [`TunnelMode::WORDS`].
    Mode,
    /// Any network device of the namespace.
    Device,
}

/// What the value of `keyword` is, if it takes one.
pub fn value_of(keyword: &str) -> Option<Value> {
    if let Some((_, takes)) = PORT_KEYS.iter().find(|(k, _)| *k == keyword) {
        return takes.then_some(match keyword {
            "ipproto" => Value::Protocol,
            "dev" => Value::Device,
            _ => Value::Typed,
        });
    }
    if keyword == "mode" {
        return Some(Value::Mode);
    }
    let key = rfou::tunnel::key(keyword)?;
    if key.negations.contains(&keyword) {
        return None;
    }
    match key.value {
        ValueKind::Flag => None,
        ValueKind::Typed => Some(Value::Typed),
        ValueKind::Words(words) => Some(Value::Words(words)),
        ValueKind::Device => Some(Value::Device),
    }
}

/// The words of a value kind, where it has some.
pub fn value_words(value: Value) -> Vec<&'static str> {
    match value {
        Value::Typed | Value::Device => Vec::new(),
        Value::Words(words) => words.to_vec(),
        Value::Protocol => PROTOCOLS.iter().map(|(n, _)| *n).collect(),
        Value::Mode => TunnelMode::WORDS.to_vec(),
    }
}

/// What a tunnel keyword sets, so that two keywords setting one thing are refused (`ttl`
/// and `hoplimit`, `key` and `ikey`, `encap-csum` and `noencap-csum`).
pub fn sets(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "mode" => &["mode"],
        other => rfou::tunnel::key(other).map_or(&[], |k| k.sets),
    }
}

/// The encapsulation words `encap` takes.
pub const ENCAP_TYPES: &[&str] = EncapType::WORDS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tunnel_keyword_sets_something_and_has_its_value() {
        for word in tunnel_options(true) {
            assert!(!sets(word).is_empty(), "{word}");
        }
        assert_eq!(value_of("ttl"), Some(Value::Words(&["inherit"])));
        assert_eq!(value_of("hoplimit"), value_of("ttl"));
        assert_eq!(value_of("hlim"), value_of("ttl"));
        assert_eq!(value_of("nopmtudisc"), None);
        assert_eq!(value_of("ipproto"), Some(Value::Protocol));
        assert_eq!(value_of("gue"), None);
        assert_eq!(value_of("mode"), Some(Value::Mode));
        assert!(encap_options().contains(&"noencap-udp6-csum"));
        assert!(port_del().contains(&"gue"));
        assert!(!port_del().contains(&"remcsum_nopartial"));
        assert_eq!(global_option("--netns").unwrap().id(), "-n");
    }
}
