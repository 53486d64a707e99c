//! Words to typed commands, walking the tables of [`crate::grammar`]. Nothing here talks to
//! the kernel: a command that parses is complete, so a bad word never leaves anything half
//! done.

use rfou::fou::PortSpec;
use rfou::state::{ApplyOptions, DEFER_WITH_PRUNE};
use rfou::tunnel::rules::check_settings;
use rfou::tunnel::{Encap, EncapSpec, TunnelKind, TunnelMode, TunnelSettings, TunnelSpec};
use rfou::values::Input;
use rfou::{Error, Family, Result};

use crate::grammar::{
    self, APPLY_OPTIONS, DOCTOR, IMPORT_SOURCES, PORT_SHOW, STATE_COMMANDS, TOP, TUNNEL,
};
use crate::help;
use crate::words::{keyword, nearest, unknown, Once, Words};
use crate::Command;

/// Parses the words of one command (what follows `rfou` and its global options).
/// `family` is the `-6`/`-4` given among the global options.
pub fn parse<S: AsRef<str>>(words: &[S], family: Option<Family>) -> Result<Command> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    parse_words(&words, family)
}

/// [`parse`] of words already borrowed: a batch's lines, without a vector each.
pub fn parse_words(words: &[&str], family: Option<Family>) -> Result<Command> {
    if let Some(topic) = help_asked(words)? {
        return Ok(Command::Help(topic));
    }
    let mut words = Words::new(words);
    match words.peek() {
        Some("apply") => {
            words.next_word();
            return apply(&mut words);
        }
        Some("export") => {
            words.next_word();
            no_more(&mut words, "export")?;
            return Ok(Command::Export);
        }
        Some("import") => {
            words.next_word();
            return import(&mut words);
        }
        _ => {}
    }
    let Some(word) = words.next_word() else {
        return Ok(Command::Help(None));
    };
    let Some(object) = keyword(word, TOP)? else {
        if word.starts_with('-') {
            return Err(unknown_option(word));
        }
        return Err(unknown(word, &[TOP, STATE_COMMANDS].concat(), "rfou"));
    };
    match object {
        "add" => {
            let spec = read_port(&mut words, grammar::port_add(), "rfou add", family)?;
            let (port, dev) = spec.to_add()?;
            Ok(Command::PortAdd { port, dev })
        }
        "delete" => {
            let spec = read_port(&mut words, grammar::port_del(), "rfou del", family)?;
            let (port, dev) = spec.to_del()?;
            Ok(Command::PortDel { port, dev })
        }
        "show" | "list" => {
            let spec = read_port(&mut words, PORT_SHOW, "rfou show", family)?;
            Ok(Command::PortShow {
                port: spec.number(),
                family: spec.family(),
            })
        }
        "tunnel" => tunnel(&mut words),
        "doctor" => doctor(&mut words),
        _ => {
            let topic = words.next_word();
            help::text(topic)?;
            no_more(&mut words, "help TOPIC")?;
            Ok(Command::Help(topic.map(str::to_string)))
        }
    }
}

/// A word like an option where the command goes: global options come before it, so this is
/// none of them.
fn unknown_option(word: &str) -> Error {
    let names: Vec<&str> = grammar::GLOBAL_OPTIONS
        .iter()
        .flat_map(|o| o.names())
        .collect();
    let name = word.split('=').next().unwrap_or(word);
    match nearest(name, &names) {
        Some(near) => Error::invalid(format!("unknown option \"{word}\": did you mean `{near}`?")),
        None => Error::invalid(format!(
            "unknown option \"{word}\": see `rfou --help` for the options"
        )),
    }
}

/// Help asked for a command: `rfou TOPIC help` (help the only word after it), or `--help`
/// or `-h` anywhere after it. `Some(None)`: help on everything.
fn help_asked(words: &[&str]) -> Result<Option<Option<String>>> {
    let [first, rest @ ..] = words else {
        return Ok(None);
    };
    let asked = rest == ["help"] || rest.iter().any(|w| *w == "--help" || *w == "-h");
    if !asked {
        return Ok(None);
    }
    let topic = if STATE_COMMANDS.contains(first) {
        *first
    } else {
        match keyword(first, TOP)? {
            Some("help") => return Ok(Some(None)),
            Some(topic) => topic,
            None => return Ok(None),
        }
    };
    Ok(Some(Some(topic.to_string())))
}

/// The keywords of a port command and their values, into a [`PortSpec`].
fn read_port(
    words: &mut Words,
    keywords: &[&'static str],
    context: &str,
    family: Option<Family>,
) -> Result<PortSpec> {
    let mut spec = PortSpec::with_family(family);
    while let Some(kw) = words.expect_keyword(keywords, context)? {
        match grammar::value_of(kw) {
            Some(_) => {
                // The keyword is refused before its value is read: `port 1 port x` says
                // "given twice", not "x is not a number".
                let value = words.peek();
                let input = match value {
                    Some(v) => Input::Word(v),
                    None => return Err(Error::invalid(format!("{kw} needs a value"))),
                };
                spec.set(kw, input)?;
                words.next_word();
            }
            None => spec.set(kw, Input::Flag(true))?,
        }
    }
    Ok(spec)
}

/// `apply [--check] [--prune | --defer-bound] FILE`, the options in any order.
fn apply(words: &mut Words) -> Result<Command> {
    let (mut options, mut file) = (ApplyOptions::default(), None);
    while let Some(word) = words.next_word() {
        let flag = match word {
            "--check" => &mut options.check,
            "--prune" => &mut options.prune,
            "--defer-bound" => &mut options.defer_bound,
            w if w.starts_with("--") => {
                return Err(unknown(w, APPLY_OPTIONS, "rfou apply"));
            }
            w if file.is_some() => {
                return Err(Error::invalid(format!(
                    "apply takes one FILE; \"{w}\" is a second one"
                )))
            }
            w => {
                file = Some(w.to_string());
                continue;
            }
        };
        if *flag {
            return Err(Error::invalid(format!(
                "{word} is given twice: say it once"
            )));
        }
        *flag = true;
    }
    // --prune deletes the ports the file does not name, as the plan sees them: a port that
    // --defer-bound left out would be one of them where the kernel has it.
    if options.prune && options.defer_bound {
        return Err(Error::invalid(DEFER_WITH_PRUNE));
    }
    match file {
        Some(file) => Ok(Command::Apply { file, options }),
        None => Err(Error::invalid(
            "apply needs FILE: the desired state (TOML), or - for standard input",
        )),
    }
}

/// `import networkd FILE...`: at least one file; a word like an option is none.
fn import(words: &mut Words) -> Result<Command> {
    match words.next_word() {
        Some("networkd") => {}
        Some(word) => return Err(unknown(word, IMPORT_SOURCES, "rfou import")),
        None => {
            return Err(Error::invalid(
                "import needs what to import from: rfou import networkd FILE...",
            ))
        }
    }
    let mut files = Vec::new();
    while let Some(word) = words.next_word() {
        if word == "-" {
            return Err(Error::invalid(
                "import networkd reads files by name (their ending says what they are): - is none",
            ));
        }
        if word.starts_with('-') {
            return Err(Error::invalid(format!(
                "import networkd takes no option \"{word}\" (a file whose name starts with - is ./{word})"
            )));
        }
        files.push(word.to_string());
    }
    if files.is_empty() {
        return Err(Error::invalid(
            "import networkd needs FILE...: systemd-networkd's .netdev files (and the .network files that name their tunnels' devices)",
        ));
    }
    Ok(Command::ImportNetworkd { files })
}

/// `doctor [dev NAME]`.
fn doctor(words: &mut Words) -> Result<Command> {
    let dev = match words.expect_keyword(DOCTOR, "rfou doctor")? {
        Some(_) => {
            let name = words.value("dev")?;
            rfou::values::device_name(name, "dev")?;
            Some(name.to_string())
        }
        None => None,
    };
    no_more(words, "doctor dev NAME")?;
    Ok(Command::Doctor { dev })
}

fn no_more(words: &mut Words, context: &str) -> Result<()> {
    match words.next_word() {
        Some(word) => Err(Error::invalid(format!(
            "unexpected \"{word}\" after {context}"
        ))),
        None => Ok(()),
    }
}

fn tunnel(words: &mut Words) -> Result<Command> {
    let Some(verb) = words.expect_keyword(TUNNEL, "rfou tunnel")? else {
        return Ok(Command::TunnelShow { name: None });
    };
    match verb {
        "add" => {
            let name = tunnel_name(words, "tunnel add")?;
            let (mode, mut settings) = tunnel_options(words, true)?;
            let mode = mode.ok_or_else(|| {
                Error::invalid(format!(
                    "tunnel add {name} needs mode MODE: one of {}",
                    TunnelMode::WORDS.join(", ")
                ))
            })?;
            if mode.kind == TunnelKind::Ip6Tnl {
                if settings.proto.is_some() {
                    return Err(Error::invalid(
                        "an ip6tnl tunnel says its inner protocol with its mode: ipip6, ip6ip6 or any",
                    ));
                }
                settings.proto = mode.proto;
            }
            check_settings(&settings, mode.kind)?;
            settings
                .encap
                .unwrap_or_else(EncapSpec::none)
                .resolve(mode.kind, &Encap::none())?;
            Ok(Command::TunnelAdd(Box::new(TunnelSpec {
                name,
                kind: mode.kind,
                settings,
            })))
        }
        "change" => {
            let name = tunnel_name(words, "tunnel change")?;
            let (_, settings) = tunnel_options(words, false)?;
            if let Some(encap) = &settings.encap {
                encap.check()?;
            }
            Ok(Command::TunnelChange {
                name,
                settings: Box::new(settings),
            })
        }
        "delete" => {
            let name = tunnel_name(words, "tunnel del")?;
            no_more(words, &format!("tunnel del {name}"))?;
            Ok(Command::TunnelDel { name })
        }
        "show" | "list" => {
            let name = match words.peek() {
                Some(_) => Some(tunnel_name(words, "tunnel show")?),
                None => None,
            };
            no_more(words, "tunnel show NAME")?;
            Ok(Command::TunnelShow { name })
        }
        "encap" => {
            let name = tunnel_name(words, "tunnel encap")?;
            let encap = encap_words(words)?;
            encap.check()?;
            if encap.kind.is_none() {
                return Err(Error::invalid(format!(
                    "tunnel encap dev {name} needs the encapsulation: fou, gue or none"
                )));
            }
            Ok(Command::TunnelEncap { name, encap })
        }
        _ => Ok(Command::Help(Some("tunnel".into()))),
    }
}

/// The device name of a tunnel command: `NAME`, `dev NAME` or `name NAME`.
fn tunnel_name(words: &mut Words, context: &str) -> Result<String> {
    let missing = || Error::invalid(format!("{context} needs a device name"));
    let word = words.next_word().ok_or_else(missing)?;
    let name = if word == "dev" || word == "name" {
        words.next_word().ok_or_else(missing)?
    } else {
        word
    };
    rfou::values::device_name(name, "name")?;
    Ok(name.to_string())
}

/// The keywords of `tunnel add` (with `mode`) or `tunnel change`, each once, into settings.
fn tunnel_options(words: &mut Words, adding: bool) -> Result<(Option<TunnelMode>, TunnelSettings)> {
    let context = if adding {
        "tunnel add"
    } else {
        "tunnel change"
    };
    let options = grammar::tunnel_options(adding);
    let mut mode = None;
    let mut settings = TunnelSettings::default();
    let mut once = Once::default();
    while let Some(word) = words.next_word() {
        let Some(kw) = keyword(word, options)? else {
            if !adding && word == "mode" {
                return Err(Error::invalid(
                    "tunnel change cannot change the mode: delete the tunnel and add it again",
                ));
            }
            return Err(unknown(word, options, context));
        };
        once.set(kw, grammar::sets(kw))?;
        if kw == "mode" {
            mode = Some(TunnelMode::parse(words.value("mode")?)?);
            continue;
        }
        let input = match grammar::value_of(kw) {
            Some(_) => Input::Word(words.value(kw)?),
            None => Input::Flag(true),
        };
        settings.set(kw, input, mode.map(|m| m.kind))?;
    }
    if adding {
        if let Some(encap) = settings.encap.filter(|e| e.kind.is_none()) {
            if encap != EncapSpec::default() {
                return Err(Error::invalid(
                    "encap options need `encap fou|gue|none` first",
                ));
            }
        }
    }
    Ok((mode, settings))
}

/// `{fou|gue|none} [options]` of `tunnel encap`, each once. The type may also be written
/// as `ip link set` writes it: `encap fou`, or `noencap` for `none`.
fn encap_words(words: &mut Words) -> Result<EncapSpec> {
    let mut settings = TunnelSettings::default();
    let mut once = Once::default();
    let options = grammar::encap_words();
    while let Some(word) = words.next_word() {
        if let Some(t) = keyword(word, grammar::ENCAP_TYPES)? {
            // A bare type sets what `encap TYPE` sets.
            once.set(t, grammar::sets("encap"))?;
            settings.set("encap", Input::Word(t), None)?;
            continue;
        }
        let Some(option) = keyword(word, options)? else {
            return Err(unknown(
                word,
                &[grammar::ENCAP_TYPES, options].concat(),
                "tunnel encap",
            ));
        };
        once.set(option, grammar::sets(option))?;
        let input = match grammar::value_of(option) {
            Some(_) => Input::Word(words.value(option)?),
            None => Input::Flag(true),
        };
        settings.set(option, input, None)?;
    }
    Ok(settings.encap.unwrap_or_default())
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
