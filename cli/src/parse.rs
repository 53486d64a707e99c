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
            let spec = read_port(&mut words, &grammar::port_add(), "rfou add", family)?;
            let (port, dev) = spec.to_add()?;
            Ok(Command::PortAdd { port, dev })
        }
        "delete" => {
            let spec = read_port(&mut words, &grammar::port_del(), "rfou del", family)?;
            let (port, dev) = spec.socket()?;
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
        let Some(kw) = keyword(word, &options)? else {
            if !adding && word == "mode" {
                return Err(Error::invalid(
                    "tunnel change cannot change the mode: delete the tunnel and add it again",
                ));
            }
            return Err(unknown(word, &options, context));
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

/// `{fou|gue|none} [options]` of `tunnel encap`, each once.
fn encap_words(words: &mut Words) -> Result<EncapSpec> {
    let mut settings = TunnelSettings::default();
    let mut once = Once::default();
    let options = grammar::encap_options();
    while let Some(word) = words.next_word() {
        if let Some(t) = keyword(word, grammar::ENCAP_TYPES)? {
            if settings.encap.is_some_and(|e| e.kind.is_some()) {
                return Err(Error::invalid(format!(
                    "the encapsulation is given twice (\"{t}\")"
                )));
            }
            settings.set("encap", Input::Word(t), None)?;
            continue;
        }
        let Some(option) = keyword(word, &options)? else {
            return Err(unknown(
                word,
                &[grammar::ENCAP_TYPES, &options].concat(),
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
mod tests {
    use super::*;

    fn refused(line: &str, family: Option<Family>) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let err = parse(&words, family).expect_err(line);
        assert_eq!(err.kind(), rfou::ErrorKind::InvalidInput, "{line}: {err}");
        err.to_string()
    }

    #[test]
    fn a_keyword_given_twice_is_refused_not_taken_as_the_last() {
        for (line, says) in [
            ("add port 1 port 2 gue", "\"port\" is given twice"),
            (
                "add port 1 ipproto 4 ipproto 47",
                "\"ipproto\" is given twice",
            ),
            ("add port 1 gue gue", "\"gue\" is given twice"),
            (
                "add port 1 gue local 192.0.2.1 local 192.0.2.2",
                "\"local\" is given twice",
            ),
            (
                "add port 1 gue -4 -6",
                "\"-4\" and \"-6\" both set the family",
            ),
            ("del port 1 -6 -6", "\"-6\" is given twice"),
            (
                "add port 1 gue peer 192.0.2.1 peer 192.0.2.2",
                "\"peer\" is given twice",
            ),
            (
                "add port 1 gue peer_port 2 peer_port 3",
                "\"peer_port\" is given twice",
            ),
            ("add port 1 gue dev a dev b", "\"dev\" is given twice"),
            (
                "add port 1 gue remcsum_nopartial remcsum_nopartial",
                "\"remcsum_nopartial\" is given twice",
            ),
            // Before the value is read: the second `port` is refused, not its value.
            ("add port 1 gue port x", "\"port\" is given twice"),
            ("show -4 -4", "\"-4\" is given twice"),
            ("show port 1 port 2", "\"port\" is given twice"),
            (
                "tunnel add t1 mode ipip mode gre",
                "\"mode\" is given twice",
            ),
            (
                "tunnel add t1 mode ipip ttl 3 hoplimit 4",
                "\"ttl\" and \"hoplimit\"",
            ),
            (
                "tunnel add t1 mode gre key 1 ikey 2",
                "\"key\" and \"ikey\" both set ikey",
            ),
            (
                "tunnel change t1 remote 192.0.2.1 remote 192.0.2.2",
                "given twice",
            ),
            (
                "tunnel add t1 mode ipip encap fou encap-dport 1 encap-dport 2",
                "\"encap-dport\" is given twice",
            ),
            (
                "tunnel encap dev t1 fou encap-dport 1 encap-csum noencap-csum",
                "both set encap-csum",
            ),
            (
                "tunnel add t1 mode gre pmtudisc nopmtudisc",
                "both set pmtudisc",
            ),
        ] {
            let text = refused(line, None);
            assert!(text.contains(says), "{line}: {text}");
        }
    }

    #[test]
    fn the_family_before_the_command_and_after_must_agree() {
        let text = refused("add port 1 gue -4", Some(Family::Inet6));
        assert!(text.contains("contradicts"), "{text}");
        let words = ["add", "port", "1", "gue", "-6"];
        let Command::PortAdd { port, .. } = parse(&words, Some(Family::Inet6)).unwrap() else {
            panic!("not an add")
        };
        assert_eq!(port.family, Family::Inet6);
    }

    #[test]
    fn numbers_with_a_leading_zero_are_refused_and_hex_is_read() {
        let text = refused("add port 05555 ipproto 4", None);
        assert!(text.contains("octal, 2925"), "{text}");
        let text = refused("add port 5555 ipproto 010", None);
        assert!(text.contains("octal, 8"), "{text}");
        let text = refused("tunnel add t1 mode ipip encap fou encap-dport 05555", None);
        assert!(text.contains("leading zero"), "{text}");
        let words = ["add", "port", "0x15b3", "ipproto", "0x2f"];
        let Command::PortAdd { port, .. } = parse(&words, None).unwrap() else {
            panic!("not an add")
        };
        assert_eq!(
            (port.port, port.encap),
            (5555, rfou::FouEncap::Direct { ipproto: 47 })
        );
    }

    #[test]
    fn what_the_kernel_answers_einval_to_is_refused_with_the_reason() {
        for (line, says) in [
            (
                "add port 1 gue local 192.0.2.1 peer 192.0.2.2",
                "both peer and peer port must be set",
            ),
            (
                "add port 1 gue peer_port 9",
                "both peer and peer port must be set",
            ),
            ("add port 1 gue local fe80::1", "link-local"),
            (
                "add port 1 gue local 2001:db8::1 peer fe80::2 peer_port 9",
                "link-local",
            ),
            ("add port 1 gue local ::ffff:192.0.2.1 -6", "IPv4-mapped"),
            ("add port 1 gue local ::ffff:192.0.2.1", "192.0.2.1"),
            ("add port 1 gue dev eth0", "dev needs local"),
            ("del port 1 local fe80::1", "link-local"),
            ("tunnel add z%d mode ipip", "template"),
            ("tunnel add a:b mode ipip", "`:`"),
            ("tunnel add t1 mode gre ignore-df", "needs nopmtudisc"),
            ("tunnel add t1 mode ip6tnl tos 4", "IPv4 underlays"),
            ("tunnel add t1 mode ipip encap fou", "needs encap-dport"),
        ] {
            let text = refused(line, None);
            assert!(text.contains(says), "{line}: {text}");
        }
        // With dev, a link-local address is fine; del takes dev alone (it picks the port).
        for line in [
            "add port 1 gue local fe80::1 dev eth0",
            "del port 1 dev eth0",
            "tunnel add t1 mode gre nopmtudisc ignore-df",
            "doctor dev eth0",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            parse(&words, None).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }

    #[test]
    fn an_ip6tnl_says_its_protocol_with_its_mode() {
        let words = ["tunnel", "add", "t", "mode", "ipip6"];
        let Command::TunnelAdd(spec) = parse(&words, None).unwrap() else {
            panic!("not an add")
        };
        assert_eq!(
            (spec.kind, spec.settings.proto),
            (TunnelKind::Ip6Tnl, Some(4))
        );
        let text = refused("tunnel add t mode any proto ipip", None);
        assert!(text.contains("with its mode"), "{text}");
        let text = refused("tunnel add t mode ipip proto ip6ip", None);
        assert!(text.contains("not one a ipip tunnel carries"), "{text}");
    }

    #[test]
    fn import_takes_its_source_and_files() {
        let words = ["import", "networkd", "a.netdev", "b.network"];
        assert_eq!(
            parse(&words, None).unwrap(),
            Command::ImportNetworkd {
                files: vec!["a.netdev".into(), "b.network".into()]
            }
        );
        for (line, says) in [
            ("import", "import needs what to import from"),
            ("import networkd", "needs FILE..."),
            ("import netwrkd a.netdev", "did you mean `networkd`?"),
            ("import networkd -x", "takes no option \"-x\""),
            // A whole word only, as apply and export.
            ("imp networkd a.netdev", "unknown"),
        ] {
            let text = refused(line, None);
            assert!(text.contains(says), "{line}: {text}");
        }
        assert_eq!(
            parse(&["import", "networkd", "--help"], None).unwrap(),
            Command::Help(Some("import".into()))
        );
    }
}
