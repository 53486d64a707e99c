//! Shell completion for bash, zsh and fish, generated from the keyword tables of
//! `super::parse`, the protocol names of `crate::proto` and the tunnel modes of
//! [`TunnelMode`].
//!
//! Every script follows the same walk over the words before the cursor: global options,
//! then the command word of [`TOP`], then for `tunnel` a verb of [`TUNNEL`] and the tunnel's
//! name, then keywords of the command's table, each keyword that takes a value followed by
//! it. At the cursor it offers what fits there: a keyword, or the value of the keyword
//! before (protocol names after `ipproto`, modes after `mode`, the devices of the chosen
//! namespace after `dev`, the names in /run/netns after `-n`, files after `-b`).
//!
//! What this module knows beyond the tables is which keywords take a value and what kind
//! of value ([`VALUES`], checked against the parser by the tests below), which table follows
//! each command word and verb ([`after_command`], [`after_verb`], which refuse words they do
//! not know, so a new keyword cannot be left out), and the global options
//! ([`GLOBAL_OPTIONS`], checked against `rfou --help` by `tests/generated.rs`).
//! The committed scripts in `completions/` are compared with these functions' output by
//! `tests/generated.rs`; `scripts/regen` rewrites them.

use super::parse::{
    APPLY_OPTIONS, ENCAP_OPTIONS, ENCAP_TYPES, PORT_ADD, PORT_DEL, PORT_SHOW, STATE_COMMANDS, TOP,
    TUNNEL, TUNNEL_OPTIONS,
};
use crate::proto;
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
    pub help: &'static str,
}

const fn opt(
    short: Option<&'static str>,
    long: Option<&'static str>,
    arg: OptionArg,
    help: &'static str,
) -> GlobalOption {
    GlobalOption {
        short,
        long,
        arg,
        help,
    }
}

/// The global options, as `rfou --help` lists them.
pub const GLOBAL_OPTIONS: &[GlobalOption] = &[
    opt(
        Some("-n"),
        Some("--netns"),
        OptionArg::Netns,
        "act inside network namespace NAME",
    ),
    opt(Some("-j"), Some("--json"), OptionArg::None, "JSON output"),
    opt(
        Some("-p"),
        Some("--pretty"),
        OptionArg::None,
        "indent JSON output",
    ),
    opt(
        Some("-b"),
        Some("--batch"),
        OptionArg::File,
        "read commands from FILE (- for standard input)",
    ),
    opt(
        None,
        Some("--force"),
        OptionArg::None,
        "with --batch: go on past failing lines",
    ),
    opt(
        None,
        Some("--atomic"),
        OptionArg::None,
        "with --batch: on a failure, undo every line applied",
    ),
    opt(Some("-6"), None, OptionArg::None, "IPv6 receive ports"),
    opt(Some("-4"), None, OptionArg::None, "IPv4 receive ports"),
    opt(
        Some("-V"),
        Some("--version"),
        OptionArg::None,
        "print the version",
    ),
    opt(Some("-h"), Some("--help"), OptionArg::None, "print help"),
];

/// The kind of value a keyword takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Nothing to offer; the hint says what to type.
    Hint(&'static str),
    /// Fixed words, or something else the hint describes.
    Words(&'static [&'static str], &'static str),
    /// An IP protocol: [`proto::NAMES`].
    Protocol,
    /// A tunnel mode: [`TunnelMode::WORDS`].
    Mode,
    /// An encapsulation: [`ENCAP_TYPES`].
    EncapType,
    /// A network device of the namespace.
    Device,
}

const PORT: Value = Value::Hint("UDP port (1-65535)");
const ADDRESS: Value = Value::Hint("IPv4 or IPv6 address");
const KEY: Value = Value::Hint("GRE key: a number or a dotted quad");
const TTL: Value = Value::Words(&["inherit"], "TTL: 1-255, or inherit");
const TOS: Value = Value::Words(&["inherit"], "TOS byte in hexadecimal, or inherit");

/// Every keyword of the tables that takes a value, and what value.
pub const VALUES: &[(&str, Value)] = &[
    ("port", PORT),
    ("peer_port", PORT),
    ("encap-dport", PORT),
    (
        "encap-sport",
        Value::Words(&["auto"], "UDP source port (1-65535), or auto"),
    ),
    ("ipproto", Value::Protocol),
    ("local", ADDRESS),
    ("peer", ADDRESS),
    ("remote", ADDRESS),
    ("dev", Value::Device),
    ("mode", Value::Mode),
    ("encap", Value::EncapType),
    ("ttl", TTL),
    ("hoplimit", TTL),
    ("tos", TOS),
    ("dsfield", TOS),
    ("key", KEY),
    ("ikey", KEY),
    ("okey", KEY),
];

/// What the value of `keyword` is, if it takes one.
pub fn value_of(keyword: &str) -> Option<Value> {
    VALUES.iter().find(|(k, _)| *k == keyword).map(|(_, v)| *v)
}

/// What follows a command word of [`TOP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCommand {
    /// Keywords of this table.
    Keywords(&'static [&'static str]),
    /// A verb of [`TUNNEL`].
    TunnelVerb,
    /// Nothing.
    Nothing,
}

/// What follows each command word. Panics on a word it has no rule for: a new command
/// must be given one here.
pub fn after_command(word: &str) -> AfterCommand {
    match word {
        "add" => AfterCommand::Keywords(PORT_ADD),
        "delete" => AfterCommand::Keywords(PORT_DEL),
        "show" | "list" => AfterCommand::Keywords(PORT_SHOW),
        "tunnel" => AfterCommand::TunnelVerb,
        "help" | "doctor" | "export" => AfterCommand::Nothing,
        "apply" => AfterCommand::Keywords(APPLY_OPTIONS),
        other => panic!("completions: no rule for the command word \"{other}\""),
    }
}

/// The tunnel name after a verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelName {
    /// No name.
    None,
    /// The name of a tunnel to create: nothing to offer.
    New,
    /// An existing device: offer the namespace's devices.
    Existing,
}

/// What follows the tunnel's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterName {
    Nothing,
    /// Keywords of this table.
    Keywords(&'static [&'static str]),
    /// An encapsulation type of [`ENCAP_TYPES`] first, then [`ENCAP_OPTIONS`].
    Encap,
}

/// What follows each tunnel verb. Panics on a verb it has no rule for.
pub fn after_verb(verb: &str) -> (TunnelName, AfterName) {
    match verb {
        "add" => (TunnelName::New, AfterName::Keywords(TUNNEL_OPTIONS)),
        "change" => (TunnelName::Existing, AfterName::Keywords(TUNNEL_OPTIONS)),
        "encap" => (TunnelName::Existing, AfterName::Encap),
        "delete" | "show" | "list" => (TunnelName::Existing, AfterName::Nothing),
        "help" => (TunnelName::None, AfterName::Nothing),
        other => panic!("completions: no rule for the tunnel verb \"{other}\""),
    }
}

/// The command words: [`TOP`] and the desired-state commands.
pub fn command_words() -> Vec<&'static str> {
    [TOP, STATE_COMMANDS].concat()
}

/// Every keyword of every table, once, in table order.
fn all_keywords() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for table in [
        PORT_ADD,
        PORT_DEL,
        PORT_SHOW,
        TUNNEL_OPTIONS,
        ENCAP_TYPES,
        ENCAP_OPTIONS,
    ] {
        for word in table {
            if !out.contains(word) {
                out.push(word);
            }
        }
    }
    out
}

/// The keywords that take a value, grouped by value, in the order of [`all_keywords`].
fn value_groups() -> Vec<(Value, Vec<&'static str>)> {
    let mut groups: Vec<(Value, Vec<&'static str>)> = Vec::new();
    for keyword in all_keywords() {
        let Some(value) = value_of(keyword) else {
            continue;
        };
        match groups.iter_mut().find(|(v, _)| *v == value) {
            Some((_, words)) => words.push(keyword),
            None => groups.push((value, vec![keyword])),
        }
    }
    groups
}

fn value_keywords() -> Vec<&'static str> {
    value_groups()
        .into_iter()
        .flat_map(|(_, words)| words)
        .collect()
}

fn value_hint(value: Value) -> &'static str {
    match value {
        Value::Hint(hint) | Value::Words(_, hint) => hint,
        Value::Protocol => "IP protocol: 1-255 or a name",
        Value::Mode => "tunnel mode",
        Value::EncapType => "encapsulation",
        Value::Device => "network device",
    }
}

fn option_names(o: &GlobalOption) -> impl Iterator<Item = &'static str> {
    o.short.into_iter().chain(o.long)
}

fn options_with(arg: OptionArg) -> Vec<&'static str> {
    GLOBAL_OPTIONS
        .iter()
        .filter(|o| o.arg == arg)
        .flat_map(option_names)
        .collect()
}

fn netns_option() -> (&'static str, &'static str) {
    let o = GLOBAL_OPTIONS
        .iter()
        .find(|o| o.arg == OptionArg::Netns)
        .expect("a namespace option");
    (o.short.expect("-n"), o.long.expect("--netns"))
}

/// The lists the scripts keep in variables, by variable name: the keyword tables and the
/// value words.
fn lists() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("top_words", command_words()),
        ("apply_options", APPLY_OPTIONS.to_vec()),
        ("port_add", PORT_ADD.to_vec()),
        ("port_del", PORT_DEL.to_vec()),
        ("port_show", PORT_SHOW.to_vec()),
        ("tunnel_verbs", TUNNEL.to_vec()),
        ("tunnel_options", TUNNEL_OPTIONS.to_vec()),
        ("encap_types", ENCAP_TYPES.to_vec()),
        ("encap_options", ENCAP_OPTIONS.to_vec()),
        ("mode_words", TunnelMode::WORDS.to_vec()),
        (
            "proto_names",
            proto::NAMES.iter().map(|(name, _)| *name).collect(),
        ),
        (
            "global_options",
            GLOBAL_OPTIONS.iter().flat_map(option_names).collect(),
        ),
    ]
}

/// The variable that holds `list`.
fn var(list: &[&str]) -> &'static str {
    lists()
        .into_iter()
        .find(|(_, l)| l.as_slice() == list)
        .map(|(name, _)| name)
        .unwrap_or_else(|| panic!("completions: no variable holds {list:?}"))
}

/// The variable holding the words a value offers, or the words themselves.
enum Offer {
    Nothing,
    Var(&'static str),
    Words(&'static [&'static str]),
    Devices,
}

fn offer(value: Value) -> Offer {
    match value {
        Value::Hint(_) => Offer::Nothing,
        Value::Words(words, _) => Offer::Words(words),
        Value::Protocol => Offer::Var("proto_names"),
        Value::Mode => Offer::Var("mode_words"),
        Value::EncapType => Offer::Var(var(ENCAP_TYPES)),
        Value::Device => Offer::Devices,
    }
}

/// Words as they stand in a script: none of them needs quoting, and that is checked.
fn plain(list: &[&str]) -> String {
    for w in list {
        assert!(
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "completions: \"{w}\" needs quoting"
        );
    }
    list.join(" ")
}

/// Replaces each `@NAME@` of `template` by its value; panics if a placeholder is left.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("@{name}@"), value);
    }
    if let Some(left) = placeholder(&out) {
        panic!("completions: placeholder @{left}@ left unfilled");
    }
    out
}

/// The first `@NAME@` (capitals and underscores) in `text`.
fn placeholder(text: &str) -> Option<&str> {
    let parts: Vec<&str> = text.split('@').collect();
    parts
        .iter()
        .enumerate()
        .skip(1)
        .take(parts.len().saturating_sub(2))
        .map(|(_, name)| *name)
        .find(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

const HEADER: &str = "\
Generated by rfou from its keyword tables (src/cli/completions.rs): do not edit.
Run scripts/regen after changing the grammar.";

/// The three shells, and how each says the few things the scripts generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn header(self) -> String {
        HEADER.lines().map(|l| format!("# {l}\n")).collect()
    }

    /// Declares the local variable `name` holding `words`.
    fn declare(self, name: &str, words: &[&str]) -> String {
        match self {
            Shell::Bash => format!("local {name}=\"{}\"", plain(words)),
            Shell::Zsh => format!("local -a {name}=({})", plain(words)),
            Shell::Fish => format!("set -l {name} {}", plain(words)),
        }
    }

    /// Sets the variable `name` to the words of the variables `from` (none: empty).
    fn set(self, name: &str, from: &[&str]) -> String {
        let vars: Vec<String> = from.iter().map(|v| format!("${v}")).collect();
        match (self, vars.len()) {
            (Shell::Bash, 0) => format!("{name}=''"),
            (Shell::Bash, 1) => format!("{name}={}", vars[0]),
            (Shell::Bash, _) => format!("{name}=\"{}\"", vars.join(" ")),
            (Shell::Zsh, _) => format!("{name}=({})", vars.join(" ")),
            (Shell::Fish, _) => format!("set {name} {}", vars.join(" "))
                .trim_end()
                .to_string(),
        }
    }

    fn set_word(self, name: &str, word: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("{name}={word}"),
            Shell::Fish => format!("set {name} {word}"),
        }
    }

    /// Several statements on one line.
    fn join(self, statements: &[String]) -> String {
        match self {
            Shell::Bash | Shell::Zsh => statements.join(" "),
            Shell::Fish => statements.join("; "),
        }
    }

    /// One arm of a `case`/`switch`.
    fn arm(self, indent: &str, patterns: &[&str], action: &str) -> String {
        match self {
            Shell::Bash => format!("{indent}{}) {action} ;;\n", patterns.join(" | ")),
            Shell::Zsh => format!("{indent}{}) {action} ;;\n", patterns.join("|")),
            Shell::Fish => {
                let patterns: Vec<String> = patterns
                    .iter()
                    .map(|p| {
                        if p.contains('*') {
                            format!("'{p}'")
                        } else {
                            p.to_string()
                        }
                    })
                    .collect();
                format!(
                    "{indent}case {}\n{indent}    {action}\n",
                    patterns.join(" ")
                )
            }
        }
    }

    /// Case patterns, for a pattern list inside a template.
    fn patterns(self, words: &[&str]) -> String {
        match self {
            Shell::Bash => words.join(" | "),
            Shell::Zsh => words.join("|"),
            Shell::Fish => words.join(" "),
        }
    }

    /// The declarations of every list, one a line.
    fn lists(self, indent: &str) -> String {
        lists()
            .iter()
            .map(|(name, words)| format!("{indent}{}\n", self.declare(name, words)))
            .collect()
    }

    /// The arms that follow a command word: the state and table it leads to.
    fn command_cases(self, indent: &str) -> String {
        let mut out = String::new();
        for word in command_words() {
            let action = match after_command(word) {
                AfterCommand::Keywords(table) => self.join(&[
                    self.set_word("state", "keywords"),
                    self.set("keywords", &[var(table)]),
                    self.set("offer", &[var(table)]),
                ]),
                AfterCommand::TunnelVerb => self.set_word("state", "verb"),
                AfterCommand::Nothing => self.set_word("state", "none"),
            };
            out.push_str(&self.arm(indent, &[word], &action));
        }
        out.push_str(&self.arm(indent, &["*"], &self.set_word("state", "none")));
        out
    }

    /// The arms that follow a tunnel verb.
    fn verb_cases(self, indent: &str) -> String {
        let mut out = String::new();
        for verb in TUNNEL {
            let (name, then) = after_verb(verb);
            let state = match name {
                TunnelName::None => "none",
                TunnelName::New => "newname",
                TunnelName::Existing => "name",
            };
            let (keywords, offer, types, after): (Vec<&str>, Vec<&str>, Vec<&str>, Vec<&str>) =
                match then {
                    AfterName::Nothing => (vec![], vec![], vec![], vec![]),
                    AfterName::Keywords(table) => {
                        (vec![var(table)], vec![var(table)], vec![], vec![])
                    }
                    AfterName::Encap => {
                        let (t, o) = (var(ENCAP_TYPES), var(ENCAP_OPTIONS));
                        (vec![t, o], vec![t], vec![t], vec![o])
                    }
                };
            let action = self.join(&[
                self.set_word("state", state),
                self.set("keywords", &keywords),
                self.set("offer", &offer),
                self.set("types", &types),
                self.set("after_type", &after),
            ]);
            out.push_str(&self.arm(indent, &[verb], &action));
        }
        out.push_str(&self.arm(indent, &["*"], &self.set_word("state", "none")));
        out
    }

    /// The arms that offer the value of the keyword before the cursor.
    fn value_cases(self, indent: &str) -> String {
        let mut out = String::new();
        for (value, keywords) in value_groups() {
            let hint = value_hint(value);
            let action = match (self, offer(value)) {
                (Shell::Bash, Offer::Nothing) => format!(": \"{hint}\""),
                (Shell::Bash, Offer::Var(v)) => format!("list=(${v})"),
                (Shell::Bash, Offer::Words(w)) => format!("list=({})", plain(w)),
                (Shell::Bash, Offer::Devices) => {
                    "mapfile -t list < <(_rfou_devices \"$netns\")".to_string()
                }
                (Shell::Zsh, Offer::Nothing) => format!("_rfou_what=hint _rfou_hint='{hint}'"),
                (Shell::Zsh, Offer::Var(v)) => {
                    format!("reply=(${v}) _rfou_what=words _rfou_hint='{hint}'")
                }
                (Shell::Zsh, Offer::Words(w)) => {
                    format!("reply=({}) _rfou_what=words _rfou_hint='{hint}'", plain(w))
                }
                (Shell::Zsh, Offer::Devices) => {
                    format!("_rfou_devices \"$netns\"; _rfou_what=words _rfou_hint='{hint}'")
                }
                (Shell::Fish, Offer::Nothing) => format!("# {hint}"),
                (Shell::Fish, Offer::Var(v)) => format!("printf '%s\\n' ${v}"),
                (Shell::Fish, Offer::Words(w)) => format!("printf '%s\\n' {}", plain(w)),
                (Shell::Fish, Offer::Devices) => "__rfou_devices $netns".to_string(),
            };
            assert!(!hint.contains('\''), "completions: a quote in a hint");
            out.push_str(&self.arm(indent, &keywords, &action));
        }
        out
    }

    /// The global options with their help: zsh `_describe` specs, fish name/help pairs.
    fn option_help(self) -> String {
        let mut out = Vec::new();
        for o in GLOBAL_OPTIONS {
            assert!(
                !o.help.contains('\''),
                "completions: a quote in option help"
            );
            for name in option_names(o) {
                match self {
                    Shell::Zsh => out.push(format!("'{name}:{}'", o.help)),
                    _ => out.push(format!("{name} '{}'", o.help)),
                }
            }
        }
        out.join(" ")
    }

    fn script(self, template: &str, indent: usize) -> String {
        let (netns_short, netns_long) = netns_option();
        let netns = options_with(OptionArg::Netns);
        let files = options_with(OptionArg::File);
        let with_arg = [netns.clone(), files.clone()].concat();
        let step = match self {
            Shell::Zsh => 2,
            _ => 4,
        };
        let at = |levels: usize| " ".repeat(indent + step * levels);
        fill(
            template,
            &[
                ("HEADER", self.header()),
                ("LISTS", self.lists(&at(0))),
                ("NETNS_OPTIONS", self.patterns(&netns)),
                ("NETNS_SHORT", netns_short.to_string()),
                ("NETNS_LONG", netns_long.to_string()),
                ("FILE_OPTIONS", self.patterns(&files)),
                ("ARG_OPTIONS", self.patterns(&with_arg)),
                ("OPTION_HELP", self.option_help()),
                ("COMMAND_CASES", self.command_cases(&at(6))),
                ("VERB_CASES", self.verb_cases(&at(4))),
                ("VALUE_KEYWORDS", self.patterns(&value_keywords())),
                ("VALUE_CASES", self.value_cases(&at(2))),
            ],
        )
    }
}

/// The bash completion script (`completions/rfou.bash`).
pub fn bash() -> String {
    Shell::Bash.script(BASH, 4)
}

/// The zsh completion script (`completions/_rfou`).
pub fn zsh() -> String {
    Shell::Zsh.script(ZSH, 2)
}

/// The fish completion script (`completions/rfou.fish`).
pub fn fish() -> String {
    Shell::Fish.script(FISH, 4)
}

const BASH: &str = r#"# bash completion for rfou(8).
@HEADER@#
# Install as /usr/share/bash-completion/completions/rfou, or source it from ~/.bashrc.

# Sets _rfou_kw to the keyword among $2... that $1 names: itself, or the one keyword it
# is a prefix of; empty when it names none or several.
_rfou_resolve() {
    local word=$1 k
    shift
    _rfou_kw=
    for k in "$@"; do
        if [[ $k == "$word" ]]; then
            _rfou_kw=$k
            return
        fi
    done
    [[ -n $word ]] || return
    for k in "$@"; do
        if [[ $k == "$word"* ]]; then
            if [[ -n $_rfou_kw ]]; then
                _rfou_kw=
                return
            fi
            _rfou_kw=$k
        fi
    done
}

# The network devices of namespace $1 (of this one when empty), without @peer suffixes.
_rfou_devices() {
    local -a ns=()
    [[ -n $1 ]] && ns=(-n "$1")
    local name
    ip "${ns[@]}" -o link show 2>/dev/null | while read -r _ name _; do
        name=${name%:}
        printf '%s\n' "${name%%@*}"
    done
}

# The named network namespaces: the entries of $RFOU_NETNS_DIR (default /run/netns).
_rfou_netns() {
    local f
    for f in "${RFOU_NETNS_DIR:-/run/netns}"/*; do
        [[ -e $f ]] && printf '%s\n' "${f##*/}"
    done
}

# shellcheck disable=SC2034,SC2086,SC2206,SC2207
_rfou() {
@LISTS@
    # The words before the cursor, split as rfou splits them (an IPv6 address is one word).
    local line=${COMP_LINE:0:COMP_POINT} cur=''
    local -a words=()
    read -r -a words <<<"$line"
    if [[ ${#words[@]} -gt 0 && $line != *[[:space:]] ]]; then
        cur=${words[${#words[@]} - 1]}
        unset 'words[${#words[@]}-1]'
    fi
    COMPREPLY=()

    # state: options, verb, name (of a tunnel), newname, keywords or none. expect: the
    # option or keyword the next word is the value of (:name for the tunnel's name).
    local netns='' state=options expect='' verb='' w i _rfou_kw
    local keywords='' offer='' types='' after_type=''
    for ((i = 1; i < ${#words[@]}; i++)); do
        w=${words[i]}
        if [[ -n $expect ]]; then
            case $expect in
                @NETNS_OPTIONS@) netns=$w ;;
                :name) state=keywords ;;
            esac
            expect=
            continue
        fi
        case $state in
            options)
                case $w in
                    @ARG_OPTIONS@) expect=$w ;;
                    @NETNS_LONG@=*) netns=${w#*=} ;;
                    @NETNS_SHORT@?*) netns=${w#@NETNS_SHORT@} ;;
                    -*) ;;
                    *)
                        _rfou_resolve "$w" $top_words
                        case $_rfou_kw in
@COMMAND_CASES@                        esac
                        ;;
                esac
                ;;
            verb)
                _rfou_resolve "$w" $tunnel_verbs
                verb=$_rfou_kw
                case $verb in
@VERB_CASES@                esac
                ;;
            name | newname)
                case $w in
                    dev | name) expect=:name ;;
                    *) state=keywords ;;
                esac
                ;;
            keywords)
                _rfou_resolve "$w" $keywords
                if [[ -n $_rfou_kw && " $types " == *" $_rfou_kw "* ]]; then
                    offer=$after_type
                fi
                case $_rfou_kw in
                    @VALUE_KEYWORDS@) expect=$_rfou_kw ;;
                esac
                ;;
        esac
    done

    local -a list=()
    if [[ -n $expect ]]; then
        case $expect in
            @NETNS_OPTIONS@) mapfile -t list < <(_rfou_netns) ;;
            @FILE_OPTIONS@)
                compopt -o filenames 2>/dev/null
                local IFS=$'\n'
                COMPREPLY=($(compgen -f -- "$cur"))
                [[ -z $cur ]] && COMPREPLY+=(-)
                return 0
                ;;
            :name) [[ $verb == add ]] || mapfile -t list < <(_rfou_devices "$netns") ;;
@VALUE_CASES@        esac
    else
        case $state in
            options)
                if [[ $cur == -* ]]; then
                    list=($global_options)
                else
                    list=($top_words)
                fi
                ;;
            verb) list=($tunnel_verbs) ;;
            name) list=(dev) && mapfile -t -O 1 list < <(_rfou_devices "$netns") ;;
            keywords) list=($offer) ;;
        esac
    fi
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "${list[*]}" -- "$cur"))
    return 0
}

complete -F _rfou rfou
"#;

const ZSH: &str = r#"#compdef rfou
# zsh completion for rfou(8).
@HEADER@#
# Install as _rfou in a directory of $fpath (such as /usr/share/zsh/vendor-completions).

# REPLY := the keyword among $2... that $1 names: itself, or the one keyword it is a
# prefix of; empty when it names none or several.
_rfou_resolve() {
  local word=$1 k
  shift
  REPLY=
  if (( ${@[(Ie)$word]} )); then
    REPLY=$word
    return
  fi
  [[ -n $word ]] || return
  for k in "$@"; do
    if [[ $k == ${(b)word}* ]]; then
      if [[ -n $REPLY ]]; then
        REPLY=
        return
      fi
      REPLY=$k
    fi
  done
}

# reply += the network devices of namespace $1 (of this one when empty), without @peer.
_rfou_devices() {
  local -a cmd lines
  cmd=(ip)
  [[ -n $1 ]] && cmd+=(-n $1)
  lines=(${(f)"$($cmd -o link show 2>/dev/null)"})
  reply+=(${${lines#*: }%%[:@]*})
}

# From $words and $CURRENT: reply (the words to offer), _rfou_what (words, options, files,
# hint or none) and _rfou_hint (what is expected).
_rfou_context() {
@LISTS@
  # state: options, verb, name (of a tunnel), newname, keywords or none. expect: the
  # option or keyword the next word is the value of (:name for the tunnel's name).
  local cur=$words[CURRENT] netns= state=options expect= verb= w REPLY
  local -a keywords offer types after_type
  reply=()
  _rfou_what=none
  _rfou_hint=
  for w in "${(@)words[2,CURRENT-1]}"; do
    if [[ -n $expect ]]; then
      case $expect in
        @NETNS_OPTIONS@) netns=$w ;;
        :name) state=keywords ;;
      esac
      expect=
      continue
    fi
    case $state in
      options)
        case $w in
          @ARG_OPTIONS@) expect=$w ;;
          @NETNS_LONG@=*) netns=${w#*=} ;;
          @NETNS_SHORT@?*) netns=${w#@NETNS_SHORT@} ;;
          -*) ;;
          *)
            _rfou_resolve $w $top_words
            case $REPLY in
@COMMAND_CASES@            esac
            ;;
        esac
        ;;
      verb)
        _rfou_resolve $w $tunnel_verbs
        verb=$REPLY
        case $verb in
@VERB_CASES@        esac
        ;;
      name|newname)
        case $w in
          dev|name) expect=:name ;;
          *) state=keywords ;;
        esac
        ;;
      keywords)
        _rfou_resolve $w $keywords
        if [[ -n $REPLY ]] && (( ${types[(Ie)$REPLY]} )); then
          offer=($after_type)
        fi
        case $REPLY in
          @VALUE_KEYWORDS@) expect=$REPLY ;;
        esac
        ;;
    esac
  done

  if [[ -n $expect ]]; then
    case $expect in
      @NETNS_OPTIONS@)
        reply=(${RFOU_NETNS_DIR:-/run/netns}/*(N:t))
        _rfou_what=words _rfou_hint='network namespace'
        ;;
      @FILE_OPTIONS@) _rfou_what=files ;;
      :name)
        if [[ $verb == add ]]; then
          _rfou_what=hint _rfou_hint='name of the new tunnel'
        else
          _rfou_devices "$netns"
          _rfou_what=words _rfou_hint=tunnel
        fi
        ;;
@VALUE_CASES@    esac
    return
  fi
  case $state in
    options)
      if [[ $cur == -* ]]; then
        _rfou_what=options
      else
        reply=($top_words) _rfou_what=words _rfou_hint=command
      fi
      ;;
    verb) reply=($tunnel_verbs) _rfou_what=words _rfou_hint='tunnel command' ;;
    newname) _rfou_what=hint _rfou_hint='name of the new tunnel' ;;
    name)
      reply=(dev)
      _rfou_devices "$netns"
      _rfou_what=words _rfou_hint=tunnel
      ;;
    keywords) reply=($offer) _rfou_what=words _rfou_hint=keyword ;;
  esac
}

_rfou() {
  local -a reply option_help
  local _rfou_what _rfou_hint
  option_help=(@OPTION_HELP@)
  _rfou_context
  case $_rfou_what in
    words) compadd -X "%B$_rfou_hint%b" -- $reply ;;
    options) _describe -t options 'rfou option' option_help ;;
    files) _files ;;
    hint) _message -e values "$_rfou_hint" ;;
  esac
}

if [[ $funcstack[1] == _rfou ]]; then
  _rfou "$@"
else
  compdef _rfou rfou
fi
"#;

const FISH: &str = r#"# fish completion for rfou(8).
@HEADER@#
# Install as /usr/share/fish/vendor_completions.d/rfou.fish.

# The keyword among $argv[2..] that $argv[1] names: itself, or the one keyword it is a
# prefix of; nothing when it names none or several.
function __rfou_resolve
    set -l word $argv[1]
    set -e argv[1]
    if contains -- $word $argv
        echo $word
        return
    end
    test -n "$word"; or return
    set -l found
    set -l n (string length -- $word)
    for k in $argv
        if test (string sub -l $n -- $k) = $word
            set -a found $k
        end
    end
    if test (count $found) -eq 1
        echo $found[1]
    end
end

# The network devices of namespace $argv[1] (of this one when empty), without @peer.
function __rfou_devices
    set -l ns
    if test -n "$argv[1]"
        set ns -n $argv[1]
    end
    ip $ns -o link show 2>/dev/null | string replace -r '^[0-9]+:\s+([^:@\s]+).*$' '$1'
end

# The named network namespaces: the entries of $RFOU_NETNS_DIR (default /run/netns).
function __rfou_netns
    set -l dir /run/netns
    if set -q RFOU_NETNS_DIR
        set dir $RFOU_NETNS_DIR
    end
    for f in $dir/*
        basename -- $f
    end
end

# The candidates for the word at the cursor, one a line.
function __rfou_complete
@LISTS@
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -e words[1]
    # state: options, verb, name (of a tunnel), newname, keywords or none. expect: the
    # option or keyword the next word is the value of (:name for the tunnel's name).
    set -l netns
    set -l state options
    set -l expect
    set -l verb
    set -l keywords
    set -l offer
    set -l types
    set -l after_type
    for w in $words
        if test -n "$expect"
            switch $expect
                case @NETNS_OPTIONS@
                    set netns $w
                case :name
                    set state keywords
            end
            set expect
            continue
        end
        switch $state
            case options
                switch $w
                    case @ARG_OPTIONS@
                        set expect $w
                    case '@NETNS_LONG@=*'
                        set netns (string replace -r '^[^=]*=' '' -- $w)
                    case '@NETNS_SHORT@?*'
                        set netns (string sub -s 3 -- $w)
                    case '-*'
                    case '*'
                        set -l command (__rfou_resolve $w $top_words)
                        switch "$command"
@COMMAND_CASES@                        end
                end
            case verb
                set verb (__rfou_resolve $w $tunnel_verbs)
                switch "$verb"
@VERB_CASES@                end
            case name newname
                switch $w
                    case dev name
                        set expect :name
                    case '*'
                        set state keywords
                end
            case keywords
                set -l kw (__rfou_resolve $w $keywords)
                if test -n "$kw"; and contains -- $kw $types
                    set offer $after_type
                end
                switch "$kw"
                    case @VALUE_KEYWORDS@
                        set expect $kw
                end
        end
    end

    if test -n "$expect"
        switch $expect
            case @NETNS_OPTIONS@
                __rfou_netns
            case @FILE_OPTIONS@
                __fish_complete_path $cur
                echo -
            case :name
                if test "$verb" != add
                    __rfou_devices $netns
                end
@VALUE_CASES@        end
        return
    end
    switch $state
        case options
            if string match -q -- '-*' $cur
                printf '%s\t%s\n' @OPTION_HELP@
            else
                printf '%s\n' $top_words
            end
        case verb
            printf '%s\n' $tunnel_verbs
        case name
            echo dev
            __rfou_devices $netns
        case keywords
            printf '%s\n' $offer
    end
end

complete -c rfou -f -a '(__rfou_complete)'
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse;

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
        for (keyword, _) in VALUES {
            assert!(
                all_keywords().contains(keyword),
                "VALUES names \"{keyword}\", which no table has"
            );
        }
    }

    #[test]
    fn every_command_word_and_verb_has_a_rule() {
        for word in command_words() {
            after_command(word);
        }
        for verb in TUNNEL {
            after_verb(verb);
        }
    }

    #[test]
    fn scripts_hold_every_keyword_and_value_word() {
        for script in [bash(), zsh(), fish()] {
            let mut all: Vec<&str> = all_keywords();
            all.extend(command_words());
            all.extend(APPLY_OPTIONS);
            all.extend(TUNNEL);
            all.extend(TunnelMode::WORDS);
            all.extend(proto::NAMES.iter().map(|(n, _)| *n));
            for word in all {
                assert!(
                    script
                        .split(|c: char| c.is_whitespace() || "()'\"|;".contains(c))
                        .any(|w| w == word),
                    "\"{word}\" is missing from a script:\n{script}"
                );
            }
            assert_eq!(placeholder(&script), None);
        }
    }
}
