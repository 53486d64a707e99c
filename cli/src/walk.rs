//! The completer's walk over the words before the cursor, as the parser reads them: global
//! options, a command word, its keywords and their values. At the cursor, what the grammar
//! accepts there.

use rfou::tunnel::TunnelMode;

use crate::grammar::{
    self, sets, value_of, value_words, GlobalOption, OptionArg, Value, APPLY_OPTIONS, DOCTOR,
    ENCAP_TYPES, GLOBAL_OPTIONS, IMPORT_SOURCES, PORT_SHOW, STATE_COMMANDS, TOP, TUNNEL,
};
use crate::help;
use crate::words::keyword;

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

/// What to offer at the cursor: words, and whether file names fit too.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Candidates {
    pub words: Vec<String>,
    pub files: bool,
}

pub(crate) fn words(list: &[&str]) -> Candidates {
    Candidates {
        words: list.iter().map(|w| w.to_string()).collect(),
        files: false,
    }
}

pub(crate) fn nothing() -> Candidates {
    Candidates::default()
}

/// The command words: [`TOP`] and the desired-state commands.
pub fn command_words() -> Vec<&'static str> {
    [TOP, STATE_COMMANDS].concat()
}

/// One walk over the words before the cursor. `None`: the grammar refuses them, so there is
/// nothing to offer.
pub(crate) struct Walk<'a> {
    pub(crate) inventory: &'a dyn Inventory,
    pub(crate) netns: Option<String>,
}

impl Walk<'_> {
    pub(crate) fn run(&mut self, before: &[&str], cur: &str) -> Option<Candidates> {
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
            "apply" | "export" | "import" => command,
            other => keyword(other, TOP).ok()??,
        };
        match command {
            "add" => self.port(grammar::port_add(), rest, family_given),
            "delete" => self.port(grammar::port_del(), rest, family_given),
            "show" | "list" => self.port(PORT_SHOW, rest, family_given),
            "tunnel" => self.tunnel(rest),
            "apply" => apply(rest, cur),
            "help" => rest.is_empty().then(|| words(help::TOPICS)),
            "doctor" => self.doctor(rest),
            "export" => Some(nothing()),
            "import" => import(rest),
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
            Value::Device => Candidates {
                words: self.devices(false),
                files: false,
            },
            other => words(&value_words(other)),
        }
    }

    /// `doctor [dev NAME]`: any device of the namespace.
    fn doctor(&self, rest: &[&str]) -> Option<Candidates> {
        match rest {
            [] => Some(words(DOCTOR)),
            [dev] if keyword(dev, DOCTOR).ok()?.is_some() => Some(self.value(Value::Device)),
            _ => Some(nothing()),
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
        let options = grammar::tunnel_options(adding);
        let mut words_left = rest.iter();
        while let Some(word) = words_left.next() {
            let kw = keyword(word, options).ok()??;
            let fields = sets(kw);
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
            } else if kw == "noencap" {
                encap = Some("none");
            }
        }
        let encap_options = grammar::encap_options();
        let open: Vec<&str> = options
            .iter()
            .copied()
            .filter(|k| !sets(k).iter().any(|f| set.contains(f)))
            .filter(|k| match mode {
                Some(m) => tunnel_option_fits(k, m),
                None => true,
            })
            .filter(|k| !encap_options.contains(k) || encap_options_fit(encap, adding))
            .collect();
        Some(words(&open))
    }
}

/// Whether a tunnel of mode `mode` takes keyword `k`: what the library's table says of each
/// setting (an ip6tnl's protocol is its mode's).
fn tunnel_option_fits(k: &str, mode: TunnelMode) -> bool {
    match rfou::tunnel::key(k) {
        Some(key) if key.name == "proto" => {
            matches!(mode.kind, rfou::TunnelKind::Ipip | rfou::TunnelKind::Sit)
        }
        Some(key) => key.applies(mode.kind),
        None => true,
    }
}

/// Whether encap options are taken after `encap` gave `encap`: `tunnel add` needs `encap`
/// first, and `encap none` takes none (there is no UDP header to set).
fn encap_options_fit(encap: Option<&str>, adding: bool) -> bool {
    match encap {
        None => !adding,
        Some("none") => false,
        Some(_) => true,
    }
}

/// `tunnel encap dev NAME`: the encapsulation first (bare, `encap TYPE` or `noencap`), then
/// its options, each once.
fn encap_only(rest: &[&str]) -> Option<Candidates> {
    let encap_options = grammar::encap_options();
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
        let kw = keyword(word, grammar::encap_words()).ok()??;
        let fields = sets(kw);
        if fields.iter().any(|f| set.contains(f))
            || (kw == "encap" || kw == "noencap") && encap.is_some()
        {
            return None;
        }
        set.extend(fields);
        if kw == "noencap" {
            encap = Some("none");
        }
        if let Some(value) = value_of(kw) {
            let Some(value_word) = words_left.next() else {
                return Some(match value {
                    Value::Words(list) => words(list),
                    _ => nothing(),
                });
            };
            if kw == "encap" {
                encap = Some(keyword(value_word, ENCAP_TYPES).ok()??);
            }
        }
    }
    if encap.is_none() {
        return Some(words(ENCAP_TYPES));
    }
    let open: Vec<&str> = encap_options
        .iter()
        .copied()
        .filter(|k| !sets(k).iter().any(|f| set.contains(f)))
        .filter(|_| encap_options_fit(encap, true))
        .collect();
    Some(words(&open))
}

/// `apply [--check] [--prune | --defer-bound] FILE`.
fn apply(rest: &[&str], cur: &str) -> Option<Candidates> {
    let mut file = false;
    for word in rest {
        match *word {
            w if APPLY_OPTIONS.contains(&w) => {}
            w if w.starts_with("--") => return None,
            _ if file => return None,
            _ => file = true,
        }
    }
    let open: Vec<&str> = APPLY_OPTIONS
        .iter()
        .copied()
        .filter(|o| !rest.contains(o))
        // --prune and --defer-bound exclude each other.
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

/// `import networkd FILE...`: the source, then files.
fn import(rest: &[&str]) -> Option<Candidates> {
    match rest.first() {
        None => Some(words(IMPORT_SOURCES)),
        Some(source) if IMPORT_SOURCES.contains(source) => Some(Candidates {
            words: Vec::new(),
            files: true,
        }),
        Some(_) => None,
    }
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
