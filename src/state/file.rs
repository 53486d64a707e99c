//! The desired-state file: TOML read with serde into [`DesiredState`], every error with
//! `FILE:LINE`.
//!
//! Keys are the command line's own keywords. A key that is not one is an error (serde's
//! `deny_unknown_fields`), so a misspelt `encap-dprot` never silently means "no port".

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{is_fallback_device, DesiredPort, DesiredState, DesiredTunnel};
use crate::cli::words;
use crate::error::{Error, Result};
use crate::fou::{Family, FouEncap, FouPort};
use crate::proto;
use crate::tunnel::{Encap, EncapSpec, EncapType, SourcePort, TunnelMode, TunnelUpdate};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    port: Vec<Spanned<PortEntry>>,
    #[serde(default)]
    tunnel: Vec<Spanned<TunnelEntry>>,
}

/// A number, or a word that stands for one (`ipproto = "gre"`, `ttl = "inherit"`).
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum NumberOrWord {
    Number(i64),
    Word(String),
}

type Field<T> = Option<Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortEntry {
    port: Field<i64>,
    ipproto: Field<NumberOrWord>,
    gue: Field<bool>,
    family: Field<String>,
    local: Field<String>,
    peer: Field<String>,
    peer_port: Field<i64>,
    dev: Field<String>,
    remcsum_nopartial: Field<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TunnelEntry {
    name: Field<String>,
    mode: Field<String>,
    local: Field<String>,
    remote: Field<String>,
    ttl: Field<NumberOrWord>,
    tos: Field<NumberOrWord>,
    dev: Field<String>,
    key: Field<NumberOrWord>,
    ikey: Field<NumberOrWord>,
    okey: Field<NumberOrWord>,
    encap: Field<String>,
    #[serde(rename = "encap-sport")]
    encap_sport: Field<NumberOrWord>,
    #[serde(rename = "encap-dport")]
    encap_dport: Field<i64>,
    #[serde(rename = "encap-csum")]
    encap_csum: Field<bool>,
    #[serde(rename = "encap-csum6", alias = "encap-udp6-csum")]
    encap_csum6: Field<bool>,
    #[serde(rename = "encap-remcsum")]
    encap_remcsum: Field<bool>,
    mtu: Field<i64>,
    up: Field<bool>,
}

/// Where an error is: the file's name and the text, to turn byte offsets into lines.
struct Source<'a> {
    name: &'a str,
    /// The offset of every newline, in order: a line is found by a binary search (counting
    /// the newlines before each entry again made a file of 2,000 entries take 60 ms).
    newlines: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(name: &'a str, text: &str) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Source { name, newlines }
    }

    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&i| i < offset) + 1
    }

    fn error(&self, span: &Range<usize>, message: impl std::fmt::Display) -> Error {
        Error::invalid(format!(
            "{}:{}: {message}",
            self.name,
            self.line(span.start)
        ))
    }

    /// An error of a field: the field's own line.
    fn at<T>(&self, field: &Spanned<T>, message: impl std::fmt::Display) -> Error {
        self.error(&field.span(), message)
    }
}

/// Reads a desired-state file. `name` is how errors name it (`-` reads as `<stdin>`).
pub fn parse(name: &str, text: &str) -> Result<DesiredState> {
    let source = Source::new(name, text);
    let document: Document = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| source.line(s.start)).unwrap_or(1);
        // toml's message can span several lines (it quotes the input); the first says it.
        let message = e.message().trim().replace('\n', " ");
        Error::invalid(format!("{name}:{line}: {message}"))
    })?;
    let mut state = DesiredState::default();
    let mut ports_seen: HashMap<PortKey, usize> = HashMap::new();
    for entry in &document.port {
        let line = source.line(entry.span().start);
        let port = port_entry(&source, entry.get_ref(), line)?;
        let key = PortKey::of(&port);
        if let Some(first) = ports_seen.insert(key, port.line) {
            return Err(source.error(
                &entry.span(),
                format!(
                    "{} is given twice (first at line {first}): one entry per port",
                    describe_port(&port)
                ),
            ));
        }
        state.ports.push(port);
    }
    let mut names_seen: HashMap<String, usize> = HashMap::new();
    for entry in &document.tunnel {
        let line = source.line(entry.span().start);
        let tunnel = tunnel_entry(&source, entry.get_ref(), line)?;
        if let Some(first) = names_seen.insert(tunnel.name.clone(), tunnel.line) {
            return Err(source.error(
                &entry.span(),
                format!(
                    "tunnel \"{}\" is given twice (first at line {first}): one entry per name",
                    tunnel.name
                ),
            ));
        }
        state.tunnels.push(tunnel);
    }
    Ok(state)
}

/// What makes two port entries the same port: the socket the kernel would bind.
#[derive(Hash, PartialEq, Eq)]
struct PortKey(
    u16,
    Family,
    Option<IpAddr>,
    Option<IpAddr>,
    Option<u16>,
    Option<String>,
);

impl PortKey {
    fn of(p: &DesiredPort) -> Self {
        PortKey(
            p.port.port,
            p.port.family,
            p.port.local,
            p.port.peer,
            p.port.peer_port,
            p.dev.clone(),
        )
    }
}

fn describe_port(p: &DesiredPort) -> String {
    p.port.describe(p.dev.as_deref())
}

/// A number of `range`, or an error naming the key and the range.
fn number(
    source: &Source,
    field: &Spanned<i64>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64> {
    let value = *field.get_ref();
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(source.at(
            field,
            format!(
                "{key} = {value} is out of range: use {}..{}",
                range.start(),
                range.end()
            ),
        ))
    }
}

fn udp_port(source: &Source, field: &Spanned<i64>, key: &str) -> Result<u16> {
    Ok(number(source, field, key, 1..=65535)? as u16)
}

fn address(source: &Source, field: &Spanned<String>, key: &str) -> Result<IpAddr> {
    field.get_ref().parse().map_err(|_| {
        source.at(
            field,
            format!(
                "{key} = \"{}\" is not an IPv4 or IPv6 address",
                field.get_ref()
            ),
        )
    })
}

/// A value the command line would read as a word (`ttl = 64` reads as `ttl 64`).
fn word(value: &NumberOrWord) -> String {
    match value {
        NumberOrWord::Number(n) => n.to_string(),
        NumberOrWord::Word(w) => w.clone(),
    }
}

/// Runs a command-line value parser and puts the field's line in front of its error.
fn via<T>(
    source: &Source,
    field: &Spanned<NumberOrWord>,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Result<T> {
    parse(&word(field.get_ref())).map_err(|e| source.at(field, e))
}

fn port_entry(source: &Source, e: &PortEntry, line: usize) -> Result<DesiredPort> {
    let here = |message: &str| Error::invalid(format!("{}:{line}: {message}", source.name));
    let port = match &e.port {
        Some(p) => udp_port(source, p, "port")?,
        None => return Err(here("a [[port]] needs `port = PORT` (1..65535)")),
    };
    let encap = match (&e.ipproto, e.gue.as_ref().map(|g| *g.get_ref())) {
        (Some(p), Some(true)) => {
            return Err(source.at(
                p,
                "give ipproto or `gue = true`, not both: a port is either direct FOU or GUE",
            ))
        }
        (Some(p), _) => FouEncap::Direct {
            ipproto: match p.get_ref() {
                NumberOrWord::Number(n) if !(1..=255).contains(n) => {
                    return Err(source.at(
                        p,
                        format!(
                            "ipproto = {n} is out of range: use 1..255 (or `gue = true`; 0 is no protocol)"
                        ),
                    ))
                }
                _ => via(source, p, proto::parse)?,
            },
        },
        (None, Some(true)) => FouEncap::Gue,
        (None, _) => {
            return Err(here(&format!(
                "port {port} needs `ipproto = PROTO` or `gue = true`: what does it carry?"
            )))
        }
    };
    let local = e
        .local
        .as_ref()
        .map(|a| address(source, a, "local"))
        .transpose()?;
    let peer = e
        .peer
        .as_ref()
        .map(|a| address(source, a, "peer"))
        .transpose()?;
    let peer_port = e
        .peer_port
        .as_ref()
        .map(|p| udp_port(source, p, "peer_port"))
        .transpose()?;
    let family = match &e.family {
        None => local
            .or(peer)
            .map(|a| Family::of(&a))
            .unwrap_or(Family::Inet),
        Some(f) => match f.get_ref().as_str() {
            "inet" | "ipv4" | "4" => Family::Inet,
            "inet6" | "ipv6" | "6" => Family::Inet6,
            other => {
                return Err(source.at(
                    f,
                    format!("family = \"{other}\" is not a family: use \"inet\" or \"inet6\""),
                ))
            }
        },
    };
    let dev = match &e.dev {
        Some(d) => Some(device_name(source, d, "dev")?),
        None => None,
    };
    let fou = FouPort {
        port,
        family,
        encap,
        local,
        peer,
        peer_port,
        ifindex: None,
        remcsum_nopartial: e.remcsum_nopartial.as_ref().is_some_and(|r| *r.get_ref()),
    };
    crate::ports::validate(&fou).map_err(|err| here(&err.to_string()))?;
    if dev.is_some() && local.is_none() {
        return Err(here(&format!(
            "port {port} has dev but no local: the kernel binds a device only with a local address (it answers EINVAL)"
        )));
    }
    Ok(DesiredPort {
        port: fou,
        dev,
        line,
    })
}

fn device_name(source: &Source, field: &Spanned<String>, key: &str) -> Result<String> {
    let name = field.get_ref();
    if name.is_empty()
        || name.len() > 15
        || name.contains('/')
        || name.chars().any(char::is_whitespace)
    {
        return Err(source.at(
            field,
            format!(
                "{key} = \"{name}\" is not a device name (1 to 15 characters, no '/' or spaces)"
            ),
        ));
    }
    Ok(name.clone())
}

fn tunnel_entry(source: &Source, e: &TunnelEntry, line: usize) -> Result<DesiredTunnel> {
    let here = |message: &str| Error::invalid(format!("{}:{line}: {message}", source.name));
    let name = match &e.name {
        Some(n) => device_name(source, n, "name")?,
        None => return Err(here("a [[tunnel]] needs `name = \"NAME\"`")),
    };
    if is_fallback_device(&name) {
        return Err(here(&format!(
            "\"{name}\" is a fallback device the kernel makes itself: it cannot be managed, give your tunnel another name"
        )));
    }
    let mode = match &e.mode {
        Some(m) => TunnelMode::parse(m.get_ref()).map_err(|err| source.at(m, err))?,
        None => {
            return Err(here(&format!(
                "tunnel \"{name}\" needs `mode = \"MODE\"`: one of {}",
                TunnelMode::WORDS.join(", ")
            )))
        }
    };
    let kind = mode.kind;
    let local = e
        .local
        .as_ref()
        .map(|a| address(source, a, "local"))
        .transpose()?;
    let remote = e
        .remote
        .as_ref()
        .map(|a| address(source, a, "remote"))
        .transpose()?;
    let ttl = match &e.ttl {
        Some(t) => via(source, t, words::ttl)?,
        None => super::default_ttl(kind),
    };
    let tos = e
        .tos
        .as_ref()
        .map(|t| match t.get_ref() {
            // A number in TOML is a number: 16 means 0x10, not the hex digits "16".
            NumberOrWord::Number(n) if (0..=255).contains(n) => Ok(*n as u8),
            NumberOrWord::Number(n) => Err(source.at(
                t,
                format!("tos = {n} is out of range: use 0..255 or \"inherit\""),
            )),
            NumberOrWord::Word(_) => via(source, t, words::tos),
        })
        .transpose()?;
    let key_of = |field: &Field<NumberOrWord>, what: &str| -> Result<Option<u32>> {
        field
            .as_ref()
            .map(|k| match k.get_ref() {
                NumberOrWord::Number(n) if (0..=u32::MAX as i64).contains(n) => Ok(*n as u32),
                NumberOrWord::Number(n) => Err(source.at(
                    k,
                    format!("{what} = {n} is out of range: use 0..4294967295 or a dotted quad"),
                )),
                NumberOrWord::Word(_) => via(source, k, |w| words::key(w, what)),
            })
            .transpose()
    };
    let key = key_of(&e.key, "key")?;
    let mut ikey = key_of(&e.ikey, "ikey")?;
    let mut okey = key_of(&e.okey, "okey")?;
    if let Some(k) = key {
        if ikey.is_some() || okey.is_some() {
            return Err(here("give key, or ikey and okey, not both"));
        }
        ikey = Some(k);
        okey = Some(k);
    }
    let dev = match &e.dev {
        Some(d) => Some(device_name(source, d, "dev")?),
        None => None,
    };
    let settings = TunnelUpdate {
        remote,
        local,
        ttl: Some(ttl),
        tos,
        dev: dev.clone(),
        ikey,
        okey,
        encap: None,
    };
    settings
        .validate(kind)
        .map_err(|err| here(&err.to_string()))?;
    let encap = tunnel_encap(source, e, kind)?;
    let mtu = e
        .mtu
        .as_ref()
        .map(|m| number(source, m, "mtu", 68..=65535).map(|m| m as u32))
        .transpose()?;
    Ok(DesiredTunnel {
        name,
        mode,
        local,
        remote,
        ttl,
        tos: tos.unwrap_or(0),
        dev,
        ikey,
        okey,
        encap,
        mtu,
        up: e.up.as_ref().map(|u| *u.get_ref()),
        line,
    })
}

/// The whole encapsulation an entry asks for: what it names, iproute2's defaults for the rest.
fn tunnel_encap(source: &Source, e: &TunnelEntry, kind: crate::TunnelKind) -> Result<Encap> {
    let kind_word = match &e.encap {
        Some(w) => Some(match w.get_ref().as_str() {
            "fou" => EncapType::Fou,
            "gue" => EncapType::Gue,
            "none" => EncapType::None,
            other => {
                return Err(source.at(
                    w,
                    format!("encap = \"{other}\" is not an encapsulation: use fou, gue or none"),
                ))
            }
        }),
        None => None,
    };
    // The first encap option given, for errors about the encap as a whole.
    let option_spans = [
        e.encap_sport.as_ref().map(|s| s.span()),
        e.encap_dport.as_ref().map(|s| s.span()),
        e.encap_csum.as_ref().map(|s| s.span()),
        e.encap_csum6.as_ref().map(|s| s.span()),
        e.encap_remcsum.as_ref().map(|s| s.span()),
    ];
    let first_option = option_spans.iter().flatten().min_by_key(|s| s.start);
    let Some(encap_type) = kind_word else {
        return match first_option {
            Some(span) => Err(source.error(
                span,
                "encap options need `encap = \"fou\"` or `encap = \"gue\"` in the same [[tunnel]]",
            )),
            None => Ok(Encap::none()),
        };
    };
    let spec = EncapSpec {
        kind: Some(encap_type),
        sport: e
            .encap_sport
            .as_ref()
            .map(|s| match s.get_ref() {
                NumberOrWord::Word(w) if w == "auto" => Ok(SourcePort::Auto),
                NumberOrWord::Number(n) if (1..=65535).contains(n) => {
                    Ok(SourcePort::Fixed(*n as u16))
                }
                _ => Err(source.at(
                    s,
                    format!(
                        "encap-sport = {} is not valid: use 1..65535 or \"auto\"",
                        word(s.get_ref())
                    ),
                )),
            })
            .transpose()?,
        dport: e
            .encap_dport
            .as_ref()
            .map(|p| udp_port(source, p, "encap-dport"))
            .transpose()?,
        csum: e.encap_csum.as_ref().map(|v| *v.get_ref()),
        csum6: e.encap_csum6.as_ref().map(|v| *v.get_ref()),
        remcsum: e.encap_remcsum.as_ref().map(|v| *v.get_ref()),
    };
    let span = e.encap.as_ref().expect("encap given").span();
    spec.resolve(kind, &Encap::none())
        .map_err(|err| source.error(&span, err))
}
