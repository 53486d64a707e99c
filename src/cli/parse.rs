//! Words to typed commands. Nothing here talks to the kernel: a command that parses is
//! complete, so a bad word never leaves anything half done.

use super::words::{self, keyword, unknown, Words};
use super::Command;
use crate::error::{Error, Result};
use crate::fou::{Family, FouEncap, FouPort};
use crate::proto;
use crate::tunnel::{EncapSpec, EncapType, SourcePort, TunnelMode, TunnelSpec, TunnelUpdate};

pub const TOP: &[&str] = &["add", "delete", "show", "list", "tunnel", "help", "doctor"];
/// The desired-state commands. Only their whole words are taken, never a prefix: `rfou a`
/// stays `add`, as in iproute2.
pub const STATE_COMMANDS: &[&str] = &["apply", "export"];
/// The options of `apply`.
pub const APPLY_OPTIONS: &[&str] = &["--check", "--prune"];
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
    let mut words = Words::new(&words);
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
    let Some(object) = words.expect_keyword(TOP, "rfou")? else {
        return Ok(Command::Help(None));
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
        _ => Ok(Command::Help(words.next_word().map(str::to_string))),
    }
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
    while let Some(kw) = words.expect_keyword(keywords, context)? {
        match kw {
            "port" => out.port = Some(words::port(words.value("port")?, "port")?),
            "ipproto" => out.ipproto = Some(proto::parse(words.value("ipproto")?)?),
            "gue" => out.gue = true,
            "local" => out.local = Some(words::address(words.value("local")?, "local")?),
            "peer" => out.peer = Some(words::address(words.value("peer")?, "peer")?),
            "peer_port" => {
                out.peer_port = Some(words::port(words.value("peer_port")?, "peer_port")?)
            }
            "dev" => out.dev = Some(words.value("dev")?.to_string()),
            "remcsum_nopartial" => out.remcsum_nopartial = true,
            "-6" => out.family = Some(Family::Inet6),
            "-4" => out.family = Some(Family::Inet),
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
        crate::ports::validate(&fou)?;
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

/// `apply [--check] [--prune] FILE`, the options in any order.
fn apply(words: &mut Words) -> Result<Command> {
    let (mut check, mut prune, mut file) = (false, false, None);
    while let Some(word) = words.next_word() {
        match word {
            "--check" => check = true,
            "--prune" => prune = true,
            w if w.starts_with("--") => {
                return Err(unknown(w, APPLY_OPTIONS, "rfou apply"));
            }
            w if file.is_some() => {
                return Err(Error::invalid(format!(
                    "apply takes one FILE; \"{w}\" is a second one"
                )))
            }
            w => file = Some(w.to_string()),
        }
    }
    match file {
        Some(file) => Ok(Command::Apply { file, check, prune }),
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
            Ok(Command::TunnelAdd(TunnelSpec {
                name,
                mode,
                settings,
            }))
        }
        "change" => {
            let name = tunnel_name(words, "tunnel change")?;
            let (mode, update) = tunnel_options(words, false)?;
            if mode.is_some() {
                return Err(Error::invalid(
                    "tunnel change cannot change the mode: delete the tunnel and add it again",
                ));
            }
            Ok(Command::TunnelChange { name, update })
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
    while let Some(word) = words.next_word() {
        let Some(kw) = keyword(word, TUNNEL_OPTIONS)? else {
            return Err(unknown(word, TUNNEL_OPTIONS, context));
        };
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
