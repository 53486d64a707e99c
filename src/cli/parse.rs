//! Words to typed commands. Nothing here talks to the kernel: a command that parses is
//! complete, so a bad word never leaves anything half done.

use super::help;
use super::words::{self, keyword, unknown, Words};
use super::{ApplyOptions, Command};
use crate::error::{Error, Result};
use crate::fou::{Family, FouEncap, FouPort};
use crate::proto;
use crate::tunnel::{EncapSpec, EncapType, SourcePort, TunnelMode, TunnelSpec, TunnelUpdate};

pub const TOP: &[&str] = &["add", "delete", "show", "list", "tunnel", "help", "doctor"];
/// The desired-state commands. Only their whole words are taken, never a prefix: `rfou a`
/// stays `add`, as in iproute2.
pub const STATE_COMMANDS: &[&str] = &["apply", "export"];
/// The options of `apply`.
pub const APPLY_OPTIONS: &[&str] = &["--check", "--prune", "--defer-bound"];
pub const PORT_ADD: &[&str] = &[
    "port",
    "ipproto",
    "gue",
    "local",
    "peer",
    "peer_port",
    "dev",
    "remcsum_nopartial",
    "-6",
    "-4",
];
pub const PORT_DEL: &[&str] = &["port", "local", "peer", "peer_port", "dev", "-6", "-4"];
pub const PORT_SHOW: &[&str] = &["port", "-6", "-4"];
pub const TUNNEL: &[&str] = &["add", "change", "delete", "show", "list", "encap", "help"];
pub const ENCAP_TYPES: &[&str] = &["fou", "gue", "none"];
pub const ENCAP_OPTIONS: &[&str] = &[
    "encap-sport",
    "encap-dport",
    "encap-csum",
    "noencap-csum",
    "encap-csum6",
    "noencap-csum6",
    "encap-udp6-csum",
    "noencap-udp6-csum",
    "encap-remcsum",
    "noencap-remcsum",
];
/// What `tunnel add` and `tunnel change` take besides the encap options.
const LINK_OPTIONS: &[&str] = &[
    "mode", "remote", "local", "ttl", "hoplimit", "tos", "dsfield", "dev", "key", "ikey", "okey",
    "encap",
];
pub const TUNNEL_OPTIONS: &[&str] =
    &concat::<{ LINK_OPTIONS.len() + ENCAP_OPTIONS.len() }>(LINK_OPTIONS, ENCAP_OPTIONS);

/// Two keyword tables as one, at compile time.
const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// Parses the words of one command (what follows `rfou` and its global options).
/// `family` is the `-6`/`-4` given among the global options.
pub fn parse<S: AsRef<str>>(words: &[S], family: Option<Family>) -> Result<Command> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    parse_words(&words, family)
}

/// [`parse`] of words already borrowed: a batch's lines, without a vector each (collecting
/// one was an eighth of the instructions of parsing an `add port` line).
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
        "add" => port_add(&mut words, family),
        "delete" => port_del(&mut words, family),
        "show" | "list" => port_show(&mut words, family),
        "tunnel" => tunnel(&mut words),
        "doctor" => {
            no_more(&mut words, "doctor")?;
            Ok(Command::Doctor)
        }
        _ => {
            let topic = words.next_word();
            help::text(topic)?;
            no_more(&mut words, "help TOPIC")?;
            Ok(Command::Help(topic.map(str::to_string)))
        }
    }
}

/// A word like an option where the command goes: global options come before it, so this is
/// none of them (clap took those).
fn unknown_option(word: &str) -> Error {
    let names: Vec<&str> = super::completions::GLOBAL_OPTIONS
        .iter()
        .flat_map(|o| o.short.into_iter().chain(o.long))
        .collect();
    let name = word.split('=').next().unwrap_or(word);
    match words::nearest(name, &names) {
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

/// The fields a port command can give, before they are checked against each other.
#[derive(Default)]
struct PortWords {
    port: Option<u16>,
    ipproto: Option<u8>,
    gue: bool,
    local: Option<std::net::IpAddr>,
    peer: Option<std::net::IpAddr>,
    peer_port: Option<u16>,
    dev: Option<String>,
    remcsum_nopartial: bool,
    family: Option<Family>,
}

fn read_port_words(
    words: &mut Words,
    keywords: &[&'static str],
    context: &str,
    family: Option<Family>,
) -> Result<PortWords> {
    let mut out = PortWords {
        family,
        ..PortWords::default()
    };
    // Each keyword once: its field is still unset (a `Once` per line was a fifth of the
    // instructions of parsing an `add port` line).
    let mut family_word: Option<&'static str> = None;
    while let Some(kw) = words.expect_keyword(keywords, context)? {
        let given = |already_set: bool| match already_set {
            true => Err(words::set_twice(kw, kw, kw)),
            false => Ok(()),
        };
        match kw {
            "port" => {
                given(out.port.is_some())?;
                out.port = Some(words::port(words.value("port")?, "port")?)
            }
            "ipproto" => {
                given(out.ipproto.is_some())?;
                out.ipproto = Some(proto::parse(words.value("ipproto")?)?)
            }
            "gue" => {
                given(out.gue)?;
                out.gue = true
            }
            "local" => {
                given(out.local.is_some())?;
                out.local = Some(words::address(words.value("local")?, "local")?)
            }
            "peer" => {
                given(out.peer.is_some())?;
                out.peer = Some(words::address(words.value("peer")?, "peer")?)
            }
            "peer_port" => {
                given(out.peer_port.is_some())?;
                out.peer_port = Some(words::port(words.value("peer_port")?, "peer_port")?)
            }
            "dev" => {
                given(out.dev.is_some())?;
                out.dev = Some(words.value("dev")?.to_string())
            }
            "remcsum_nopartial" => {
                given(out.remcsum_nopartial)?;
                out.remcsum_nopartial = true
            }
            "-6" | "-4" => {
                // -4 and -6 set one thing, the family.
                if let Some(first) = family_word {
                    return Err(words::set_twice(first, kw, "the family"));
                }
                family_word = Some(kw);
                let said = if kw == "-6" {
                    Family::Inet6
                } else {
                    Family::Inet
                };
                if family.is_some_and(|f| f != said) {
                    return Err(Error::invalid(format!(
                        "{kw} contradicts the {} given before the command: a port is of one family",
                        if said == Family::Inet6 { "-4" } else { "-6" }
                    )));
                }
                out.family = Some(said);
            }
            _ => unreachable!("every keyword is handled"),
        }
    }
    Ok(out)
}

impl PortWords {
    /// The port these words describe; addresses must agree with `-6`/`-4` and each other.
    fn into_port(self, encap: FouEncap) -> Result<(FouPort, Option<String>)> {
        let port = self
            .port
            .ok_or_else(|| Error::invalid("missing port: say `port PORT` (1..65535)"))?;
        let addr_family = self.local.or(self.peer).map(|a| Family::of(&a));
        let family = match (self.family, addr_family) {
            (Some(f), _) => f,
            (None, Some(f)) => f,
            (None, None) => Family::Inet,
        };
        let fou = FouPort {
            port,
            family,
            encap,
            local: self.local,
            peer: self.peer,
            peer_port: self.peer_port,
            ifindex: None,
            remcsum_nopartial: self.remcsum_nopartial,
        };
        crate::ports::validate_socket(&fou, self.dev.is_some())?;
        Ok((fou, self.dev))
    }
}

fn port_add(words: &mut Words, family: Option<Family>) -> Result<Command> {
    let w = read_port_words(words, PORT_ADD, "rfou add", family)?;
    let encap = match (w.ipproto, w.gue) {
        (Some(_), true) => {
            return Err(Error::invalid(
                "give ipproto or gue, not both: a port is either direct FOU or GUE",
            ))
        }
        (None, false) => {
            return Err(Error::invalid(
                "give ipproto PROTO or gue: what does the port carry?",
            ))
        }
        (Some(ipproto), false) => FouEncap::Direct { ipproto },
        (None, true) => FouEncap::Gue,
    };
    let (port, dev) = w.into_port(encap)?;
    crate::ports::check_dev_needs_local(&port, dev.is_some())?;
    Ok(Command::PortAdd { port, dev })
}

fn port_del(words: &mut Words, family: Option<Family>) -> Result<Command> {
    let w = read_port_words(words, PORT_DEL, "rfou del", family)?;
    let (port, dev) = w.into_port(FouEncap::Gue)?;
    Ok(Command::PortDel { port, dev })
}

fn port_show(words: &mut Words, family: Option<Family>) -> Result<Command> {
    let w = read_port_words(words, PORT_SHOW, "rfou show", family)?;
    Ok(Command::PortShow {
        port: w.port,
        family: w.family,
    })
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
            return Err(Error::invalid(format!("{word} is given twice: say it once")));
        }
        *flag = true;
    }
    // --prune deletes the ports the file does not name, as the plan sees it: a port that
    // --defer-bound left out would be one of them where the kernel has it.
    if options.prune && options.defer_bound {
        return Err(Error::invalid(
            "--defer-bound and --prune cannot be given together: --prune would delete a port \
             that the file names and --defer-bound left out",
        ));
    }
    match file {
        Some(file) => Ok(Command::Apply { file, options }),
        None => Err(Error::invalid(
            "apply needs FILE: the desired state (TOML), or - for standard input",
        )),
    }
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
            let (mode, settings) = tunnel_options(words, true)?;
            let mode = mode.ok_or_else(|| {
                Error::invalid(format!(
                    "tunnel add {name} needs mode MODE: one of {}",
                    TunnelMode::WORDS.join(", ")
                ))
            })?;
            settings.validate(mode.kind)?;
            Ok(Command::TunnelAdd(Box::new(TunnelSpec {
                name,
                mode,
                settings,
            })))
        }
        "change" => {
            let name = tunnel_name(words, "tunnel change")?;
            let (mode, update) = tunnel_options(words, false)?;
            if mode.is_some() {
                return Err(Error::invalid(
                    "tunnel change cannot change the mode: delete the tunnel and add it again",
                ));
            }
            Ok(Command::TunnelChange {
                name,
                update: Box::new(update),
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
            let encap = encap_words(words, None)?;
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
    if name.is_empty()
        || name.len() > 15
        || name.contains('/')
        || name.chars().any(char::is_whitespace)
    {
        return Err(Error::invalid(format!(
            "\"{name}\" is not a device name (1 to 15 characters, no '/' or spaces)"
        )));
    }
    Ok(name.to_string())
}

fn tunnel_options(words: &mut Words, adding: bool) -> Result<(Option<TunnelMode>, TunnelUpdate)> {
    let context = if adding {
        "tunnel add"
    } else {
        "tunnel change"
    };
    let mut mode = None;
    let mut update = TunnelUpdate::default();
    let mut encap = EncapSpec::default();
    let mut once = words::Once::default();
    while let Some(word) = words.next_word() {
        let Some(kw) = keyword(word, TUNNEL_OPTIONS)? else {
            return Err(unknown(word, TUNNEL_OPTIONS, context));
        };
        once.set(kw, sets(kw))?;
        match kw {
            "mode" => mode = Some(TunnelMode::parse(words.value("mode")?)?),
            "remote" => update.remote = Some(words::address(words.value("remote")?, "remote")?),
            "local" => update.local = Some(words::address(words.value("local")?, "local")?),
            "ttl" | "hoplimit" => update.ttl = Some(words::ttl(words.value(kw)?)?),
            "tos" | "dsfield" => update.tos = Some(words::tos(words.value(kw)?)?),
            "dev" => update.dev = Some(words.value("dev")?.to_string()),
            "key" => {
                let k = words::key(words.value("key")?, "key")?;
                update.ikey = Some(k);
                update.okey = Some(k);
            }
            "ikey" => update.ikey = Some(words::key(words.value("ikey")?, "ikey")?),
            "okey" => update.okey = Some(words::key(words.value("okey")?, "okey")?),
            "encap" => encap.kind = Some(encap_type(words.value("encap")?)?),
            option => encap_option(option, words, &mut encap)?,
        }
    }
    if encap != EncapSpec::default() {
        if adding && encap.kind.is_none() {
            return Err(Error::invalid(
                "encap options need `encap fou|gue|none` first",
            ));
        }
        update.encap = Some(encap);
    }
    Ok((mode, update))
}

/// What a tunnel keyword sets, so that two keywords setting one thing are refused
/// (`ttl` and `hoplimit`, `key` and `ikey`, `encap-csum` and `noencap-csum`).
pub(crate) fn sets(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "ttl" | "hoplimit" => &["ttl"],
        "tos" | "dsfield" => &["tos"],
        "key" => &["ikey", "okey"],
        "encap" => &["the encapsulation"],
        "encap-csum" | "noencap-csum" => &["encap-csum"],
        "encap-csum6" | "noencap-csum6" | "encap-udp6-csum" | "noencap-udp6-csum" => {
            &["encap-csum6"]
        }
        "encap-remcsum" | "noencap-remcsum" => &["encap-remcsum"],
        "mode" => &["mode"],
        "remote" => &["remote"],
        "local" => &["local"],
        "dev" => &["dev"],
        "ikey" => &["ikey"],
        "okey" => &["okey"],
        "encap-sport" => &["encap-sport"],
        "encap-dport" => &["encap-dport"],
        other => unreachable!("every tunnel keyword sets something: {other}"),
    }
}

fn encap_type(word: &str) -> Result<EncapType> {
    match keyword(word, ENCAP_TYPES)? {
        Some("fou") => Ok(EncapType::Fou),
        Some("gue") => Ok(EncapType::Gue),
        Some("none") => Ok(EncapType::None),
        _ => Err(Error::invalid(format!(
            "unknown encapsulation \"{word}\": use fou, gue or none"
        ))),
    }
}

/// `{fou|gue|none} [options]` of `tunnel encap`.
fn encap_words(words: &mut Words, kind: Option<EncapType>) -> Result<EncapSpec> {
    let mut spec = EncapSpec {
        kind,
        ..EncapSpec::default()
    };
    let mut once = words::Once::default();
    while let Some(word) = words.next_word() {
        if let Some(t) = keyword(word, ENCAP_TYPES)? {
            if spec.kind.is_some() {
                return Err(Error::invalid(format!(
                    "the encapsulation is given twice (\"{t}\")"
                )));
            }
            spec.kind = Some(encap_type(t)?);
            continue;
        }
        let Some(option) = keyword(word, ENCAP_OPTIONS)? else {
            return Err(unknown(
                word,
                &[ENCAP_TYPES, ENCAP_OPTIONS].concat(),
                "tunnel encap",
            ));
        };
        once.set(option, sets(option))?;
        encap_option(option, words, &mut spec)?;
    }
    Ok(spec)
}

fn encap_option(option: &str, words: &mut Words, spec: &mut EncapSpec) -> Result<()> {
    match option {
        "encap-sport" => {
            let value = words.value("encap-sport")?;
            spec.sport = Some(if value == "auto" {
                SourcePort::Auto
            } else {
                SourcePort::Fixed(
                    words::port(value, "encap-sport")
                        .map_err(|e| Error::invalid(format!("{e} (or auto)")))?,
                )
            });
        }
        "encap-dport" => {
            spec.dport = Some(words::port(words.value("encap-dport")?, "encap-dport")?)
        }
        "encap-csum" => spec.csum = Some(true),
        "noencap-csum" => spec.csum = Some(false),
        "encap-csum6" | "encap-udp6-csum" => spec.csum6 = Some(true),
        "noencap-csum6" | "noencap-udp6-csum" => spec.csum6 = Some(false),
        "encap-remcsum" => spec.remcsum = Some(true),
        "noencap-remcsum" => spec.remcsum = Some(false),
        _ => unreachable!("every encap option is handled"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(line: &str, family: Option<Family>) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let err = parse(&words, family).expect_err(line);
        assert_eq!(err.exit_code(), 2, "{line}: {err}");
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
            (5555, FouEncap::Direct { ipproto: 47 })
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
        ] {
            let text = refused(line, None);
            assert!(text.contains(says), "{line}: {text}");
        }
        // With dev, a link-local address is fine; del takes dev alone (it picks the port).
        for line in [
            "add port 1 gue local fe80::1 dev eth0",
            "del port 1 dev eth0",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            parse(&words, None).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }
}
