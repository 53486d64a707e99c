//! Shell completion: one completer, in Rust, that follows the parser's keyword tables, and
//! three short shell stubs that call it (`rfou __complete WORDS...`).
//!
//! The stubs pass the words after `rfou` up to the cursor, the last one being the word under
//! the cursor (empty after a blank). [`complete`] walks the words as the parser would:
//! global options, a command word of [`TOP`] or [`STATE_COMMANDS`], for `tunnel` a verb and
//! a device name, then keywords, each keyword that takes a value followed by it. At the cursor
//! it offers only what the grammar accepts there: a keyword not given yet that nothing given
//! contradicts, or the value of the keyword before (protocol names, modes, devices of the
//! right kind in the namespace `-n` names, namespace names, files). A line it cannot read
//! gets no candidates, never an error: what the completer prints goes into the shell.
//!
//! Devices and namespaces are read, never changed: the links of the namespace over
//! rtnetlink (no module is loaded) and the names in /run/netns.
//!
//! The stubs in `completions/` are what [`bash`], [`zsh`] and [`fish`] return;
//! `tests/generated.rs` compares them and `scripts/regen` rewrites them.

use std::io::Write;

use super::help;
use super::parse::{
    self, APPLY_OPTIONS, ENCAP_OPTIONS, ENCAP_TYPES, PORT_ADD, PORT_DEL, PORT_SHOW, STATE_COMMANDS,
    TOP, TUNNEL, TUNNEL_OPTIONS,
};
use super::words::keyword;
use netlink_packet_route::link::LinkAttribute;

use crate::proto;
use crate::tunnel::link::tunnel_of;
use crate::tunnel::TunnelMode;

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

/// A global option of `rfou` (src/main.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalOption {
    pub short: Option<&'static str>,
    pub long: Option<&'static str>,
    pub arg: OptionArg,
    /// Options this one cannot be given with (clap's `conflicts_with`).
    pub excludes: &'static [&'static str],
}

const fn opt(
    short: Option<&'static str>,
    long: Option<&'static str>,
    arg: OptionArg,
    excludes: &'static [&'static str],
) -> GlobalOption {
    GlobalOption {
        short,
        long,
        arg,
        excludes,
    }
}

/// The global options, as `rfou --help` lists them (checked by `tests/generated.rs`).
pub const GLOBAL_OPTIONS: &[GlobalOption] = &[
    opt(Some("-n"), Some("--netns"), OptionArg::Netns, &[]),
    opt(Some("-j"), Some("--json"), OptionArg::None, &[]),
    opt(Some("-p"), Some("--pretty"), OptionArg::None, &[]),
    opt(Some("-b"), Some("--batch"), OptionArg::File, &[]),
    opt(None, Some("--force"), OptionArg::None, &["--atomic"]),
    opt(None, Some("--atomic"), OptionArg::None, &["--force"]),
    opt(Some("-6"), None, OptionArg::None, &["-4"]),
    opt(Some("-4"), None, OptionArg::None, &["-6"]),
    opt(Some("-V"), Some("--version"), OptionArg::None, &[]),
    opt(Some("-h"), Some("--help"), OptionArg::None, &[]),
];

impl GlobalOption {
    fn names(&self) -> impl Iterator<Item = &'static str> {
        self.short.into_iter().chain(self.long)
    }

    /// The name that stands for the option: its short name, or its long one.
    fn id(&self) -> &'static str {
        self.short.or(self.long).expect("an option has a name")
    }
}

/// The kind of value a keyword takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Something to type (a number, an address): nothing to offer.
    Typed,
    /// These words (or something typed).
    Words(&'static [&'static str]),
    /// An IP protocol: [`proto::NAMES`].
    Protocol,
    /// A tunnel mode: [`TunnelMode::WORDS`].
    Mode,
    /// An encapsulation: [`ENCAP_TYPES`].
    EncapType,
    /// Any network device of the namespace.
    Device,
}

/// Every keyword of the tables that takes a value, and what value (checked against the
/// parser by the tests below).
pub const VALUES: &[(&str, Value)] = &[
    ("port", Value::Typed),
    ("peer_port", Value::Typed),
    ("encap-dport", Value::Typed),
    ("encap-sport", Value::Words(&["auto"])),
    ("ipproto", Value::Protocol),
    ("local", Value::Typed),
    ("peer", Value::Typed),
    ("remote", Value::Typed),
    ("dev", Value::Device),
    ("mode", Value::Mode),
    ("encap", Value::EncapType),
    ("ttl", Value::Words(&["inherit"])),
    ("hoplimit", Value::Words(&["inherit"])),
    ("tos", Value::Words(&["inherit"])),
    ("dsfield", Value::Words(&["inherit"])),
    ("key", Value::Typed),
    ("ikey", Value::Typed),
    ("okey", Value::Typed),
];

/// What the value of `keyword` is, if it takes one.
pub fn value_of(keyword: &str) -> Option<Value> {
    VALUES.iter().find(|(k, _)| *k == keyword).map(|(_, v)| *v)
}

/// A network device, as the completer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    /// Whether it is a tunnel rfou works on (what `tunnel encap`, `change`, `del` take).
    pub tunnel: bool,
}

/// Where the completer finds devices and namespaces: the system, or a fixed list in tests.
pub trait Inventory {
    /// The named network namespaces.
    fn namespaces(&self) -> Vec<String>;
    /// The devices of namespace `netns` (of this one when `None`); none when it cannot be
    /// read.
    fn devices(&self, netns: Option<&str>) -> Vec<Device>;
}

/// The running system: /run/netns, and the links of a namespace over rtnetlink.
pub struct System;

impl Inventory for System {
    fn namespaces(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir("/run/netns") else {
            return Vec::new();
        };
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }

    fn devices(&self, netns: Option<&str>) -> Vec<Device> {
        let handle = match netns {
            Some(name) => crate::Handle::in_netns(name),
            None => crate::Handle::new(),
        };
        let Ok(mut handle) = handle else {
            return Vec::new();
        };
        let Ok(links) = handle.links() else {
            return Vec::new();
        };
        links
            .iter()
            .filter_map(|link| {
                let name = link.attributes.iter().find_map(|a| match a {
                    LinkAttribute::IfName(name) => Some(name.clone()),
                    _ => None,
                })?;
                let tunnel = tunnel_of(link).is_some();
                Some(Device { name, tunnel })
            })
            .collect()
    }
}

/// What to offer at the cursor: words, and whether file names fit too.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Candidates {
    pub words: Vec<String>,
    pub files: bool,
}

/// The line that tells a stub to offer file names too. No candidate is this line: device
/// names cannot hold a ':', and a namespace name starting with one is left out.
pub const FILES: &str = ":files";

/// `rfou __complete WORDS...`: the candidates, one a line, for the stubs. Prints nothing
/// else, whatever the words.
pub fn run(words: &[String], out: &mut impl Write) {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let found = complete(&words, &System);
    let mut text = String::new();
    for word in found.words.iter().filter(|w| !w.starts_with(':')) {
        text.push_str(word);
        text.push('\n');
    }
    if found.files {
        text.push_str(FILES);
        text.push('\n');
    }
    let _ = out.write_all(text.as_bytes());
}

/// The candidates for the last of `words` (the words after `rfou`; the last one is the word
/// under the cursor, empty after a blank), the ones that start with it.
pub fn complete(words: &[&str], inventory: &dyn Inventory) -> Candidates {
    let (cur, before) = match words.split_last() {
        Some((cur, before)) => (*cur, before),
        None => ("", &[][..]),
    };
    let mut found = Walk {
        inventory,
        netns: None,
    }
    .run(before, cur)
    .unwrap_or_default();
    found.words.retain(|w| w.starts_with(cur));
    let mut seen = Vec::new();
    found.words.retain(|w| {
        let new = !seen.contains(w);
        seen.push(w.clone());
        new
    });
    found
}

fn words(list: &[&str]) -> Candidates {
    Candidates {
        words: list.iter().map(|w| w.to_string()).collect(),
        files: false,
    }
}

fn nothing() -> Candidates {
    Candidates::default()
}

/// The command words: [`TOP`] and the desired-state commands.
pub fn command_words() -> Vec<&'static str> {
    [TOP, STATE_COMMANDS].concat()
}

/// One walk over the words before the cursor. `None`: the grammar refuses them, so there is
/// nothing to offer.
struct Walk<'a> {
    inventory: &'a dyn Inventory,
    netns: Option<String>,
}

impl Walk<'_> {
    fn run(&mut self, before: &[&str], cur: &str) -> Option<Candidates> {
        let mut given: Vec<&'static str> = Vec::new();
        let mut i = 0;
        // Global options: words starting with '-' before the command.
        while let Some(word) = before.get(i).copied() {
            if !word.starts_with('-') || word == "-" || word == "--" {
                break;
            }
            i += 1;
            let (option, attached) = global_option(word)?;
            given.extend(option.iter().map(|o| o.id()));
            let Some(last) = option.last() else { continue };
            if last.arg == OptionArg::None || attached.is_some() {
                if last.arg == OptionArg::Netns {
                    self.netns = attached;
                }
                continue;
            }
            // The option's value is the next word, or the one under the cursor.
            match before.get(i) {
                Some(value) => {
                    if last.arg == OptionArg::Netns {
                        self.netns = Some(value.to_string());
                    }
                    i += 1;
                }
                None => return Some(self.option_value(last.arg)),
            }
        }
        if before.get(i) == Some(&"--") {
            i += 1;
        }
        let Some(command) = before.get(i).copied() else {
            return Some(self.at_command(cur, &given));
        };
        if given.contains(&"-b") {
            return None; // a batch takes no command
        }
        let rest = &before[i + 1..];
        let family_given = given.contains(&"-6") || given.contains(&"-4");
        let command = match command {
            "apply" | "export" => command,
            other => keyword(other, TOP).ok()??,
        };
        match command {
            "add" => self.port(PORT_ADD, rest, family_given),
            "delete" => self.port(PORT_DEL, rest, family_given),
            "show" | "list" => self.port(PORT_SHOW, rest, family_given),
            "tunnel" => self.tunnel(rest),
            "apply" => apply(rest, cur),
            "help" => rest.is_empty().then(|| words(help::TOPICS)),
            "doctor" | "export" => Some(nothing()),
            other => unreachable!("a command without completion: {other}"),
        }
    }

    /// The cursor where the command goes: an option, or a command word.
    fn at_command(&self, cur: &str, given: &[&'static str]) -> Candidates {
        if cur.starts_with("--netns=") {
            let mut found = self.option_value(OptionArg::Netns);
            found.words = found
                .words
                .iter()
                .map(|ns| format!("--netns={ns}"))
                .collect();
            return found;
        }
        if cur.starts_with('-') {
            let open: Vec<&str> = GLOBAL_OPTIONS
                .iter()
                .filter(|o| !given.contains(&o.id()))
                .filter(|o| !o.excludes.iter().any(|x| given.contains(x)))
                .flat_map(GlobalOption::names)
                .collect();
            return words(&open);
        }
        if given.contains(&"-b") {
            return nothing();
        }
        words(&command_words())
    }

    fn option_value(&self, arg: OptionArg) -> Candidates {
        match arg {
            OptionArg::Netns => Candidates {
                words: self.inventory.namespaces(),
                files: false,
            },
            OptionArg::File => Candidates {
                words: Vec::new(),
                files: true,
            },
            OptionArg::None => nothing(),
        }
    }

    fn devices(&self, tunnels_only: bool) -> Vec<String> {
        self.inventory
            .devices(self.netns.as_deref())
            .into_iter()
            .filter(|d| d.tunnel || !tunnels_only)
            .map(|d| d.name)
            .collect()
    }

    fn value(&self, value: Value) -> Candidates {
        match value {
            Value::Typed => nothing(),
            Value::Words(list) => words(list),
            Value::Protocol => words(&proto::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
            Value::Mode => words(TunnelMode::WORDS),
            Value::EncapType => words(ENCAP_TYPES),
            Value::Device => Candidates {
                words: self.devices(false),
                files: false,
            },
        }
    }

    /// `add`, `del`, `show`: keywords of `table`, each once; one of `ipproto`/`gue`; one
    /// family.
    fn port(&self, table: &[&'static str], rest: &[&str], family: bool) -> Option<Candidates> {
        let mut given: Vec<&'static str> = Vec::new();
        let mut words_left = rest.iter();
        while let Some(word) = words_left.next() {
            let kw = keyword(word, table).ok()??;
            if let Some(value) = value_of(kw) {
                if words_left.next().is_none() {
                    return Some(self.value(value));
                }
            }
            given.push(kw);
        }
        let taken = |k: &str| match k {
            "ipproto" | "gue" => given.contains(&"ipproto") || given.contains(&"gue"),
            "-4" | "-6" => family || given.contains(&"-4") || given.contains(&"-6"),
            k => given.contains(&k),
        };
        let open: Vec<&str> = table.iter().copied().filter(|k| !taken(k)).collect();
        Some(words(&open))
    }

    fn tunnel(&self, rest: &[&str]) -> Option<Candidates> {
        let Some((verb, rest)) = rest.split_first() else {
            return Some(words(TUNNEL));
        };
        let verb = keyword(verb, TUNNEL).ok()??;
        if verb == "help" {
            return Some(nothing());
        }
        // The device name: `NAME`, `dev NAME` or `name NAME`.
        let existing = verb != "add";
        let name_at = |rest: &[&str]| -> Result<usize, Candidates> {
            let offer = |with_dev: bool| {
                let mut found = if existing {
                    self.devices(true)
                } else {
                    Vec::new()
                };
                if with_dev && verb == "encap" {
                    found.insert(0, "dev".to_string());
                }
                Candidates {
                    words: found,
                    files: false,
                }
            };
            match rest {
                [] => Err(offer(true)),
                ["dev" | "name"] => Err(offer(false)),
                ["dev" | "name", _, ..] => Ok(2),
                [_, ..] => Ok(1),
            }
        };
        let skip = match name_at(rest) {
            Ok(skip) => skip,
            Err(found) => return Some(found),
        };
        let rest = &rest[skip..];
        match verb {
            "add" => self.tunnel_options(rest, true),
            "change" => self.tunnel_options(rest, false),
            "encap" => encap_only(rest),
            _ => rest.is_empty().then(nothing), // delete, show: the name is all
        }
    }

    /// The keywords of `tunnel add` and `tunnel change`.
    fn tunnel_options(&self, rest: &[&str], adding: bool) -> Option<Candidates> {
        let mut set: Vec<&'static str> = Vec::new();
        let mut mode: Option<TunnelMode> = None;
        let mut encap: Option<&str> = None;
        let mut words_left = rest.iter();
        while let Some(word) = words_left.next() {
            let kw = keyword(word, TUNNEL_OPTIONS).ok()??;
            if kw == "mode" && !adding {
                return None;
            }
            let fields = parse::sets(kw);
            if fields.iter().any(|f| set.contains(f)) {
                return None;
            }
            set.extend(fields);
            if let Some(value) = value_of(kw) {
                let Some(value_word) = words_left.next() else {
                    return Some(self.value(value));
                };
                match kw {
                    "mode" => mode = Some(TunnelMode::parse(value_word).ok()?),
                    "encap" => encap = Some(keyword(value_word, ENCAP_TYPES).ok()??),
                    _ => {}
                }
            }
        }
        let open: Vec<&str> = TUNNEL_OPTIONS
            .iter()
            .copied()
            .filter(|k| !parse::sets(k).iter().any(|f| set.contains(f)))
            .filter(|k| adding || *k != "mode")
            .filter(|k| match mode {
                Some(m) => tunnel_option_fits(k, m),
                None => true,
            })
            .filter(|k| !ENCAP_OPTIONS.contains(k) || encap_option_fits(k, encap, adding))
            .collect();
        Some(words(&open))
    }
}

/// Whether a tunnel of mode `mode` takes keyword `k` (`TunnelUpdate::validate`).
fn tunnel_option_fits(k: &str, mode: TunnelMode) -> bool {
    match k {
        "key" | "ikey" | "okey" => mode.kind.is_gre(),
        "tos" | "dsfield" => !mode.kind.ipv6_underlay(),
        _ => true,
    }
}

/// Whether encap option `k` is taken after `encap` gave `encap`: `tunnel add` needs `encap`
/// first, and `encap none` takes no port and no remote checksum offload.
fn encap_option_fits(k: &str, encap: Option<&str>, adding: bool) -> bool {
    match encap {
        None => !adding,
        Some("none") => !matches!(k, "encap-sport" | "encap-dport" | "encap-remcsum"),
        Some(_) => true,
    }
}

/// `tunnel encap dev NAME`: the encapsulation first, then its options, each once.
fn encap_only(rest: &[&str]) -> Option<Candidates> {
    let mut set: Vec<&'static str> = Vec::new();
    let mut encap: Option<&str> = None;
    let mut words_left = rest.iter();
    while let Some(word) = words_left.next() {
        if let Some(t) = keyword(word, ENCAP_TYPES).ok()? {
            if encap.is_some() {
                return None;
            }
            encap = Some(t);
            continue;
        }
        let kw = keyword(word, ENCAP_OPTIONS).ok()??;
        let fields = parse::sets(kw);
        if fields.iter().any(|f| set.contains(f)) {
            return None;
        }
        set.extend(fields);
        if let Some(value) = value_of(kw) {
            if words_left.next().is_none() {
                return Some(match value {
                    Value::Words(list) => words(list),
                    _ => nothing(),
                });
            }
        }
    }
    if encap.is_none() {
        return Some(words(ENCAP_TYPES));
    }
    let open: Vec<&str> = ENCAP_OPTIONS
        .iter()
        .copied()
        .filter(|k| !parse::sets(k).iter().any(|f| set.contains(f)))
        .filter(|k| encap_option_fits(k, encap, true))
        .collect();
    Some(words(&open))
}

/// `apply [--check] [--prune | --defer-bound] FILE`.
fn apply(rest: &[&str], cur: &str) -> Option<Candidates> {
    let mut file = false;
    for word in rest {
        match *word {
            "--check" | "--prune" | "--defer-bound" => {}
            w if w.starts_with("--") => return None,
            _ if file => return None,
            _ => file = true,
        }
    }
    let open: Vec<&str> = APPLY_OPTIONS
        .iter()
        .copied()
        .filter(|o| !rest.contains(o))
        .filter(|o| match *o {
            "--prune" => !rest.contains(&"--defer-bound"),
            "--defer-bound" => !rest.contains(&"--prune"),
            _ => true,
        })
        .collect();
    let mut found = words(&open);
    found.files = !file && !cur.starts_with("--");
    Some(found)
}

/// The global option(s) `word` gives, and a value attached to the last (`-nblue`,
/// `--netns=blue`). `None`: no option of rfou.
fn global_option(word: &str) -> Option<(Vec<&'static GlobalOption>, Option<String>)> {
    if let Some(long) = word.strip_prefix("--") {
        let (name, value) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (long, None),
        };
        let option = GLOBAL_OPTIONS
            .iter()
            .find(|o| o.long.is_some_and(|l| &l[2..] == name))?;
        if value.is_some() && option.arg == OptionArg::None {
            return None;
        }
        return Some((vec![option], value));
    }
    // Short options, bundled as clap takes them: `-jp`, `-n blue`, `-nblue`.
    let mut options = Vec::new();
    let letters = word.strip_prefix('-')?;
    for (at, letter) in letters.char_indices() {
        let option = GLOBAL_OPTIONS
            .iter()
            .find(|o| o.short.is_some_and(|s| s[1..].starts_with(letter)))?;
        options.push(option);
        if option.arg != OptionArg::None {
            let value = &letters[at + letter.len_utf8()..];
            return Some((options, (!value.is_empty()).then(|| value.to_string())));
        }
    }
    Some((options, None))
}

const HEADER: &str = "\
Generated by rfou (src/cli/completions.rs): do not edit; run scripts/regen.
The completion itself is rfou's: `rfou __complete WORDS...` prints the candidates
for the last word, one a line (\":files\": file names fit too).";

fn header(install: &str) -> String {
    let mut text: String = HEADER.lines().map(|l| format!("# {l}\n")).collect();
    text.push_str(&format!("#\n# Install as {install}.\n"));
    text
}

/// The bash stub (`completions/rfou.bash`).
pub fn bash() -> String {
    header("/usr/share/bash-completion/completions/rfou")
        + r#"
_rfou() {
    local line=${COMP_LINE:0:COMP_POINT} cur=${COMP_WORDS[COMP_CWORD]}
    # The words as rfou reads them, split at blanks only: bash also breaks at = and :,
    # which would cut --netns=NAME and IPv6 addresses.
    local -a words reply
    read -r -a words <<<"$line"
    [[ -z $line || $line == *[[:blank:]] ]] && words+=("")
    local word=${words[${#words[@]}-1]}
    local IFS=$'\n'
    reply=($("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)) || return 0
    COMPREPLY=()
    local w files=0
    for w in "${reply[@]}"; do
        if [[ $w == :files ]]; then files=1; else COMPREPLY+=("$w"); fi
    done
    if ((files)); then
        COMPREPLY+=($(compgen -f -- "$word"))
        compopt -o filenames 2>/dev/null
    fi
    # bash replaces only its own last word: drop what comes before it (--netns=).
    if [[ $word != "$cur" && $word == *"$cur" ]]; then
        local prefix=${word%"$cur"} i
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
        done
    fi
    return 0
}
complete -F _rfou rfou
"#
}

/// The zsh stub (`completions/_rfou`).
pub fn zsh() -> String {
    "#compdef rfou\n".to_string()
        + &header("_rfou in a directory of $fpath (/usr/share/zsh/vendor-completions)")
        + r#"
_rfou() {
    local -a reply
    local ret=1
    reply=("${(@f)$(${(Q)words[1]} __complete "${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}" 2>/dev/null)}")
    reply=(${reply:#})
    if (( ${reply[(Ie):files]} )); then
        reply=(${reply:#:files})
        _files && ret=0
    fi
    compadd -a reply && ret=0
    return ret
}

_rfou "$@"
"#
}

/// The fish stub (`completions/rfou.fish`).
pub fn fish() -> String {
    header("/usr/share/fish/vendor_completions.d/rfou.fish")
        + r#"
function __rfou_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    for w in ($words[1] __complete $words[2..-1] "$cur" 2>/dev/null)
        if test "$w" = :files
            __fish_complete_path "$cur"
        else
            printf '%s\n' $w
        end
    end
end
complete -c rfou -f -a '(__rfou_complete)'
"#
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse;

    /// Namespaces `blue` and `red`; in each (and in this one) `lo`, a veth and tunnels.
    struct Fake;

    impl Inventory for Fake {
        fn namespaces(&self) -> Vec<String> {
            vec!["blue".into(), "red".into()]
        }
        fn devices(&self, netns: Option<&str>) -> Vec<Device> {
            let ns = netns.unwrap_or("here");
            let dev = |name: String, tunnel| Device { name, tunnel };
            vec![
                dev("lo".into(), false),
                dev(format!("veth-{ns}"), false),
                dev(format!("tun-{ns}"), true),
                dev("tunl0".into(), true),
            ]
        }
    }

    fn complete_line(line: &str) -> Candidates {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if line.is_empty() || line.ends_with(' ') {
            words.push("");
        }
        complete(&words, &Fake)
    }

    fn offered(line: &str) -> Vec<String> {
        let mut found = complete_line(line).words;
        found.sort();
        found
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|w| w.to_string()).collect();
        v.sort();
        v
    }

    fn has(line: &str, word: &str) -> bool {
        offered(line).iter().any(|w| w == word)
    }

    #[test]
    fn commands_options_and_namespaces() {
        assert_eq!(offered(""), sorted(&command_words()));
        assert_eq!(offered("tu"), ["tunnel"]);
        assert_eq!(offered("-n "), ["blue", "red"]);
        assert_eq!(offered("--netns r"), ["red"]);
        assert_eq!(offered("--netns=r"), ["--netns=red"]);
        assert_eq!(offered("-n blue tu"), ["tunnel"]);
        assert_eq!(offered("-j -n blue -p "), sorted(&command_words()));
        assert!(has("-", "--batch") && has("-", "-6"));
        // Given options and the ones they exclude are not offered again.
        assert!(!has("-j -", "-j") && !has("-j -", "--json"));
        assert!(!has("-6 -", "-4") && !has("-6 -", "-6"));
        assert!(!has("-b f --force -", "--atomic"));
        assert!(complete_line("-b ").files);
        // A batch takes no command.
        assert!(offered("-b f ").is_empty());
        // A word no grammar knows: nothing.
        assert!(offered("frob ").is_empty());
        assert!(offered("--frob ").is_empty());
    }

    #[test]
    fn port_keywords_are_offered_once_and_not_against_each_other() {
        assert!(has("add ", "port"));
        // The wrong case of issue #14: port again once given.
        assert!(!has("add port 5555 ", "port"));
        assert!(has("add port 5555 ", "ipproto") && has("add port 5555 ", "gue"));
        assert!(!has("add port 5555 gue ", "ipproto"));
        assert!(!has("add port 5555 ipproto 4 ", "gue"));
        assert!(!has("add port 5555 gue -6 ", "-4"));
        assert!(!has("-6 add port 5555 gue ", "-6"));
        assert_eq!(offered("add port 5555 ipp"), ["ipproto"]);
        assert_eq!(
            offered("add port 5555 ipproto "),
            sorted(&proto::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>())
        );
        assert!(offered("add port ").is_empty());
        assert_eq!(offered("show "), sorted(PORT_SHOW));
        assert_eq!(
            offered("del port 1 "),
            sorted(&["local", "peer", "peer_port", "dev", "-6", "-4"])
        );
        // Abbreviations lead to their values.
        assert_eq!(offered("a po 1 ipp "), offered("add port 1 ipproto "));
    }

    #[test]
    fn devices_of_the_right_kind_in_the_right_namespace() {
        // Any device after `dev` of a port; tunnels only where a tunnel is named.
        assert_eq!(
            offered("add port 1 gue local 192.0.2.1 dev "),
            ["lo", "tun-here", "tunl0", "veth-here"]
        );
        assert_eq!(
            offered("-n blue add port 1 gue local 192.0.2.1 dev "),
            ["lo", "tun-blue", "tunl0", "veth-blue"]
        );
        assert_eq!(offered("tunnel encap dev "), ["tun-here", "tunl0"]);
        assert_eq!(
            offered("--netns=red tunnel encap "),
            ["dev", "tun-red", "tunl0"]
        );
        assert_eq!(offered("-nblue tunnel change "), ["tun-blue", "tunl0"]);
        assert_eq!(offered("tunnel del t"), ["tun-here", "tunl0"]);
        assert_eq!(offered("tunnel show "), ["tun-here", "tunl0"]);
        // A new tunnel's name: nothing to offer; its underlay: any device.
        assert!(offered("tunnel add ").is_empty());
        assert_eq!(
            offered("tunnel add t1 mode ipip dev "),
            ["lo", "tun-here", "tunl0", "veth-here"]
        );
        assert!(offered("tunnel del tun-here ").is_empty());
    }

    #[test]
    fn tunnel_keywords_follow_the_grammar() {
        assert_eq!(offered("tunnel "), sorted(TUNNEL));
        assert_eq!(offered("tunnel add t1 mode "), sorted(TunnelMode::WORDS));
        assert_eq!(offered("tun ad t1 mo "), sorted(TunnelMode::WORDS));
        assert_eq!(offered("tun add t1 encap "), sorted(ENCAP_TYPES));
        // The wrong cases of issue #14: encap-dport before encap, mode after change.
        assert!(!has("tunnel add t1 mode ipip ", "encap-dport"));
        assert!(has("tunnel add t1 mode ipip encap fou ", "encap-dport"));
        assert!(!has("tunnel change t1 ", "mode"));
        assert!(has("tunnel change t1 ", "encap-dport"));
        assert!(!has("tunnel change t1 ttl 3 ", "hoplimit"));
        assert!(offered("tunnel change t1 mode ").is_empty());
        assert!(!has("tunnel add t1 mode ipip ", "key"));
        assert!(has("tunnel add t1 mode gre ", "key"));
        assert!(!has("tunnel add t1 mode gre key 1 ", "ikey"));
        assert!(!has("tunnel add t1 mode ip6gre ", "tos"));
        assert!(!has("tunnel add t1 mode ipip encap none ", "encap-dport"));
        assert!(has("tunnel add t1 mode ipip encap none ", "noencap-csum"));
        assert!(!has(
            "tunnel add t1 mode ipip encap fou encap-csum ",
            "noencap-csum"
        ));
        assert_eq!(offered("tunnel add t1 mode ipip ttl "), ["inherit"]);
        // A mode or an encapsulation the parser refuses: nothing after it.
        assert!(offered("tunnel add t1 mode frob ").is_empty());
        assert!(offered("tunnel add t1 mode ipip encap frob ").is_empty());
        // tunnel encap: the type first, then its options.
        assert_eq!(offered("tunnel encap dev t1 "), sorted(ENCAP_TYPES));
        assert_eq!(offered("tunnel encap dev t1 fou encap-d"), ["encap-dport"]);
        assert!(!has(
            "tunnel encap dev t1 fou encap-dport 1 ",
            "encap-dport"
        ));
        assert!(!has("tunnel encap dev t1 fou ", "fou"));
        assert_eq!(offered("tunnel encap dev t1 fou encap-sport "), ["auto"]);
    }

    #[test]
    fn apply_export_doctor_and_help() {
        let found = complete_line("apply ");
        assert!(found.files);
        assert_eq!(sorted_words(found), sorted(APPLY_OPTIONS));
        assert_eq!(offered("apply --check "), ["--defer-bound", "--prune"]);
        assert_eq!(offered("apply --prune "), ["--check"]);
        assert_eq!(offered("apply --defer-bound "), ["--check"]);
        assert!(!complete_line("apply --c").files);
        let found = complete_line("apply --check state.toml ");
        assert!(!found.files);
        assert_eq!(sorted_words(found), ["--defer-bound", "--prune"]);
        assert!(offered("export ").is_empty());
        assert!(offered("doctor ").is_empty());
        assert_eq!(offered("help "), sorted(help::TOPICS));
        assert_eq!(offered("help tu"), ["tunnel"]);
    }

    fn sorted_words(found: Candidates) -> Vec<String> {
        let mut w = found.words;
        w.sort();
        w
    }

    /// Every keyword the completer offers, the parser takes at that place: appended with a
    /// value, the line is refused at most for what is still missing at its end.
    #[test]
    fn offered_keywords_parse() {
        let value = |kw: &str| match value_of(kw) {
            None => None,
            Some(Value::Device) => Some("eth0"),
            Some(Value::Mode) => Some("gre"),
            Some(Value::EncapType) => Some("gue"),
            Some(Value::Protocol) => Some("4"),
            Some(_) if ["local", "peer", "remote"].contains(&kw) => Some("192.0.2.1"),
            Some(_) => Some("7"),
        };
        for line in [
            "add port 1 ",
            "add port 1 gue ",
            "del port 1 ",
            "show ",
            "tunnel add t1 ",
            "tunnel add t1 mode gre ",
            "tunnel add t1 mode ipip encap fou encap-dport 1 ",
            "tunnel add t1 mode ipip encap none ",
            "tunnel change t1 ",
            "tunnel change t1 encap gue ",
            "tunnel encap dev t1 ",
            "tunnel encap dev t1 gue encap-dport 1 ",
            "tunnel encap dev t1 none ",
        ] {
            for word in offered(line) {
                let mut words: Vec<&str> = line.split_whitespace().collect();
                words.push(&word);
                words.extend(value(&word));
                let Err(e) = parse(&words, None) else {
                    continue;
                };
                let text = e.to_string();
                assert!(
                    [
                        "needs",
                        "missing",
                        "give ipproto",
                        "both peer",
                        "dev needs local"
                    ]
                    .iter()
                    .any(|fine| text.contains(fine)),
                    "{words:?}: {text}"
                );
            }
        }
    }

    fn needs_value(prefix: &[&str], keyword: &str) -> bool {
        let words: Vec<String> = prefix
            .iter()
            .chain(std::iter::once(&keyword))
            .map(|w| w.to_string())
            .collect();
        match parse(&words, None) {
            Err(e) => e.to_string() == format!("{keyword} needs a value"),
            Ok(_) => false,
        }
    }

    /// [`VALUES`] says of each keyword what the parser does: a keyword takes a value
    /// exactly when the parser asks for one after it.
    #[test]
    fn values_match_the_parser() {
        let contexts: &[(&[&str], &[&str])] = &[
            (&["add"], PORT_ADD),
            (&["delete"], PORT_DEL),
            (&["show"], PORT_SHOW),
            (&["tunnel", "add", "t1"], TUNNEL_OPTIONS),
            (&["tunnel", "change", "t1"], TUNNEL_OPTIONS),
            (&["tunnel", "encap", "t1", "fou"], ENCAP_OPTIONS),
        ];
        for (prefix, table) in contexts {
            for keyword in *table {
                assert_eq!(
                    needs_value(prefix, keyword),
                    value_of(keyword).is_some(),
                    "{prefix:?} {keyword}: VALUES disagrees with the parser"
                );
            }
        }
    }

    #[test]
    fn every_command_word_has_completion() {
        for word in command_words() {
            complete(&[word, ""], &Fake);
        }
        for verb in TUNNEL {
            complete(&["tunnel", verb, ""], &Fake);
            complete(&["tunnel", verb, "t1", ""], &Fake);
        }
    }
}
