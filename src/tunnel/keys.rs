//! The keywords of a tunnel's settings: one table ([`KEYS`]) that the command line's parser,
//! completer and help and the desired-state file all read, so that `tunnel add` and a
//! `[[tunnel]]` entry take the same words, and that each setting is printed, exported and
//! compared one way.

use std::fmt;

use super::kind::{parse_proto, proto_word, PROTO_WORDS};
use super::settings::{EncapLimit, Inherit, TunnelSettings};
use super::{EncapSpec, EncapType, SourcePort, TunnelKind};
use crate::error::{Error, Result};
use crate::values;

/// A value as a command line or a file gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// A word (`64`, `inherit`, `0x10`, `192.0.2.1`), as the command line gives every value.
    Word(&'a str),
    /// A number, as a file gives it (decimal, whatever the setting's word would be).
    Number(i64),
    /// A flag: given (`pmtudisc`, `= true`) or negated (`nopmtudisc`, `= false`).
    Flag(bool),
}

/// A setting's value as rfou writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// On or off.
    Flag(bool),
    /// A number (a TOML integer).
    Number(u64),
    /// A word (an address, `inherit`, `auto`, a TOS in hexadecimal...).
    Word(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Flag(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Word(w) => f.write_str(w),
        }
    }
}

/// What a keyword's value is, for completion and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// No value: the keyword is a flag (or its negation).
    Flag,
    /// Something to type (a number, an address).
    Typed,
    /// One of these words, or something typed.
    Words(&'static [&'static str]),
    /// A network device of the namespace.
    Device,
}

/// One keyword of a tunnel's settings.
pub struct Key {
    /// The keyword, and the key of a `[[tunnel]]` entry.
    pub name: &'static str,
    /// The keywords that turn a flag off (`nopmtudisc`), on the command line.
    pub negations: &'static [&'static str],
    /// Other spellings, taken as the keyword (`hoplimit` for `ttl`).
    pub aliases: &'static [&'static str],
    /// What its value is.
    pub value: ValueKind,
    /// What it sets (two keywords that set one thing cannot be given together).
    pub sets: &'static [&'static str],
    /// A shorthand for other keywords (`key` is `ikey` and `okey`): read, never written.
    pub shorthand: bool,
    applies: fn(TunnelKind) -> bool,
    set: fn(&mut TunnelSettings, Input, Option<TunnelKind>) -> Result<()>,
    get: fn(&TunnelSettings) -> Option<Value>,
}

impl Key {
    /// Whether a tunnel of `kind` has this setting.
    pub fn applies(&self, kind: TunnelKind) -> bool {
        (self.applies)(kind)
    }

    /// The value `settings` gives this setting, as rfou writes it.
    pub fn get(&self, settings: &TunnelSettings) -> Option<Value> {
        (self.get)(settings)
    }

    /// Whether `word` is this keyword, an alias or the negation.
    pub fn is(&self, word: &str) -> bool {
        self.name == word || self.negations.contains(&word) || self.aliases.contains(&word)
    }
}

fn any(_: TunnelKind) -> bool {
    true
}
fn ipv4_underlay(kind: TunnelKind) -> bool {
    !kind.ipv6_underlay()
}
fn ipv6_underlay(kind: TunnelKind) -> bool {
    kind.ipv6_underlay()
}
fn gre(kind: TunnelKind) -> bool {
    kind.is_gre()
}
fn gre_ipv4(kind: TunnelKind) -> bool {
    matches!(kind, TunnelKind::Gre | TunnelKind::GreTap)
}
fn is_ip(kind: TunnelKind) -> bool {
    kind.is_ip()
}
fn sit(kind: TunnelKind) -> bool {
    kind == TunnelKind::Sit
}

/// The word of an input (a file's number as its decimal word).
fn word<'a>(input: Input<'a>, key: &str) -> Result<std::borrow::Cow<'a, str>> {
    match input {
        Input::Word(w) => Ok(w.into()),
        Input::Number(n) => Ok(n.to_string().into()),
        Input::Flag(_) => Err(Error::invalid(format!("{key} needs a value"))),
    }
}

fn flag(input: Input, key: &str) -> Result<bool> {
    match input {
        Input::Flag(on) => Ok(on),
        _ => Err(Error::invalid(format!(
            "{key} is a flag: it takes no value (true or false in a file)"
        ))),
    }
}

/// A number of `range`: a file's number as it is, a word as [`values::number`] reads it.
fn number(input: Input, key: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64> {
    match input {
        Input::Number(n) if n >= 0 && range.contains(&(n as u64)) => Ok(n as u64),
        Input::Number(n) => Err(Error::invalid(format!(
            "{key} {n} is out of range: use {}..{}",
            range.start(),
            range.end()
        ))),
        other => values::number_in(&word(other, key)?, key, range),
    }
}

/// A number or `inherit`.
fn inherit(input: Input, key: &str, max: u64, hex: bool) -> Result<Inherit> {
    match input {
        Input::Word(w) if values::is(w, "inherit") => Ok(Inherit::Inherit),
        Input::Word(w) if hex => {
            let digits = w
                .strip_prefix("0x")
                .or_else(|| w.strip_prefix("0X"))
                .unwrap_or(w);
            u32::from_str_radix(digits, 16)
                .ok()
                .filter(|v| u64::from(*v) <= max)
                .map(Inherit::Value)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "{key} \"{w}\" is not valid: use inherit or a hexadecimal number up to {max:#x}"
                    ))
                })
        }
        other => Ok(Inherit::Value(number(other, key, 0..=max)? as u32)),
    }
}

fn inherit_value(value: Inherit, hex: bool) -> Value {
    match value {
        Inherit::Inherit => Value::Word("inherit".into()),
        Inherit::Value(v) if hex => Value::Word(format!("0x{v:02x}")),
        Inherit::Value(v) => Value::Number(v.into()),
    }
}

fn address(input: Input, key: &str) -> Result<std::net::IpAddr> {
    let w = word(input, key)?;
    if values::is(&w, "any") {
        // The family is the tunnel's: said when the settings are checked against it.
        return Ok(std::net::Ipv4Addr::UNSPECIFIED.into());
    }
    values::address(&w, key)
}

fn address_value(a: std::net::IpAddr) -> Value {
    Value::Word(if a.is_unspecified() {
        "any".into()
    } else {
        a.to_string()
    })
}

fn encap_mut(s: &mut TunnelSettings) -> &mut EncapSpec {
    s.encap.get_or_insert_with(EncapSpec::default)
}

/// The spec's value of an encap option, where the encapsulation is one that has options.
fn encap_get<T>(s: &TunnelSettings, f: impl Fn(&EncapSpec) -> Option<T>) -> Option<T> {
    let e = s.encap.as_ref()?;
    if e.kind == Some(EncapType::None) {
        return None;
    }
    f(e)
}

/// Every keyword of a tunnel's settings, in the order rfou writes them.
pub static KEYS: &[Key] = &[
    Key {
        name: "remote",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["remote"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            s.remote = Some(address(i, "remote")?);
            Ok(())
        },
        get: |s| s.remote.map(address_value),
    },
    Key {
        name: "local",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["local"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            s.local = Some(address(i, "local")?);
            Ok(())
        },
        get: |s| s.local.map(address_value),
    },
    Key {
        name: "dev",
        negations: &[],
        aliases: &[],
        value: ValueKind::Device,
        sets: &["dev"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            let name = word(i, "dev")?;
            values::device_name(&name, "dev")?;
            s.dev = Some(name.into_owned());
            Ok(())
        },
        get: |s| s.dev.clone().map(Value::Word),
    },
    Key {
        name: "ttl",
        negations: &[],
        aliases: &["hoplimit"],
        value: ValueKind::Words(&["inherit"]),
        sets: &["ttl"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            s.ttl = Some(match i {
                Input::Number(_) => number(i, "ttl", 0..=255)? as u8,
                _ => values::ttl(&word(i, "ttl")?)?,
            });
            Ok(())
        },
        get: |s| {
            s.ttl.map(|t| match t {
                0 => Value::Word("inherit".into()),
                t => Value::Number(t.into()),
            })
        },
    },
    Key {
        name: "tos",
        negations: &[],
        aliases: &["dsfield"],
        value: ValueKind::Words(&["inherit"]),
        sets: &["tos"],
        shorthand: false,
        applies: ipv4_underlay,
        set: |s, i, _| {
            // A file's number is a number (16 is 0x10); a word is read as ip reads it.
            s.tos = Some(match i {
                Input::Number(_) => number(i, "tos", 0..=255)? as u8,
                _ => values::tos(&word(i, "tos")?)?,
            });
            Ok(())
        },
        get: |s| s.tos.map(|t| Value::Word(values::tos_word(t))),
    },
    Key {
        name: "tclass",
        negations: &[],
        aliases: &[],
        value: ValueKind::Words(&["inherit"]),
        sets: &["tclass"],
        shorthand: false,
        applies: ipv6_underlay,
        set: |s, i, _| {
            s.tclass = Some(inherit(i, "tclass", 0xff, true)?);
            Ok(())
        },
        get: |s| s.tclass.map(|v| inherit_value(v, true)),
    },
    Key {
        name: "flowlabel",
        negations: &[],
        aliases: &[],
        value: ValueKind::Words(&["inherit"]),
        sets: &["flowlabel"],
        shorthand: false,
        applies: ipv6_underlay,
        set: |s, i, _| {
            s.flowlabel = Some(inherit(i, "flowlabel", 0xf_ffff, false)?);
            Ok(())
        },
        get: |s| s.flowlabel.map(|v| inherit_value(v, false)),
    },
    Key {
        name: "encaplimit",
        negations: &[],
        aliases: &[],
        value: ValueKind::Words(&["none"]),
        sets: &["encaplimit"],
        shorthand: false,
        applies: ipv6_underlay,
        set: |s, i, _| {
            s.encaplimit = Some(match i {
                Input::Word(w) if values::is(w, "none") => EncapLimit::None,
                other => EncapLimit::Limit(number(other, "encaplimit", 0..=255)? as u8),
            });
            Ok(())
        },
        get: |s| {
            s.encaplimit.map(|l| match l {
                EncapLimit::None => Value::Word("none".into()),
                EncapLimit::Limit(n) => Value::Number(n.into()),
            })
        },
    },
    Key {
        name: "pmtudisc",
        negations: &["nopmtudisc"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["pmtudisc"],
        shorthand: false,
        applies: ipv4_underlay,
        set: |s, i, _| {
            s.pmtudisc = Some(flag(i, "pmtudisc")?);
            Ok(())
        },
        get: |s| s.pmtudisc.map(Value::Flag),
    },
    Key {
        name: "ignore-df",
        negations: &["noignore-df"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["ignore-df"],
        shorthand: false,
        applies: gre_ipv4,
        set: |s, i, _| {
            s.ignore_df = Some(flag(i, "ignore-df")?);
            Ok(())
        },
        get: |s| s.ignore_df.map(Value::Flag),
    },
    Key {
        name: "proto",
        negations: &[],
        aliases: &[],
        value: ValueKind::Words(PROTO_WORDS),
        sets: &["proto"],
        shorthand: false,
        // An ip6tnl's is said by its mode word (`ipip6`, `ip6ip6`, `any`).
        applies: is_ip,
        set: |s, i, kind| {
            let w = word(i, "proto")?;
            s.proto = Some(match kind {
                Some(kind) => parse_proto(kind, &w)?,
                // Without the kind (`tunnel change`): any of the words; checked against the
                // tunnel's kind when it is known.
                None => parse_proto(TunnelKind::Sit, &w)?,
            });
            Ok(())
        },
        get: |s| s.proto.map(|p| Value::Word(proto_word(p))),
    },
    Key {
        name: "isatap",
        negations: &["noisatap"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["isatap"],
        shorthand: false,
        applies: sit,
        set: |s, i, _| {
            s.isatap = Some(flag(i, "isatap")?);
            Ok(())
        },
        get: |s| s.isatap.map(Value::Flag),
    },
    Key {
        name: "key",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["ikey", "okey"],
        shorthand: true,
        applies: gre,
        set: |s, i, _| {
            let key = gre_key(i, "key")?;
            s.ikey = Some(key);
            s.okey = Some(key);
            Ok(())
        },
        get: |_| None,
    },
    Key {
        name: "ikey",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["ikey"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            s.ikey = Some(gre_key(i, "ikey")?);
            Ok(())
        },
        get: |s| s.ikey.map(|k| Value::Number(k.into())),
    },
    Key {
        name: "okey",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["okey"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            s.okey = Some(gre_key(i, "okey")?);
            Ok(())
        },
        get: |s| s.okey.map(|k| Value::Number(k.into())),
    },
    Key {
        name: "seq",
        negations: &["noseq"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["iseq", "oseq"],
        shorthand: true,
        applies: gre,
        set: |s, i, _| {
            let on = flag(i, "seq")?;
            s.iseq = Some(on);
            s.oseq = Some(on);
            Ok(())
        },
        get: |_| None,
    },
    Key {
        name: "iseq",
        negations: &["noiseq"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["iseq"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            s.iseq = Some(flag(i, "iseq")?);
            Ok(())
        },
        get: |s| s.iseq.map(Value::Flag),
    },
    Key {
        name: "oseq",
        negations: &["nooseq"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["oseq"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            s.oseq = Some(flag(i, "oseq")?);
            Ok(())
        },
        get: |s| s.oseq.map(Value::Flag),
    },
    Key {
        name: "csum",
        negations: &["nocsum"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["icsum", "ocsum"],
        shorthand: true,
        applies: gre,
        set: |s, i, _| {
            let on = flag(i, "csum")?;
            s.icsum = Some(on);
            s.ocsum = Some(on);
            Ok(())
        },
        get: |_| None,
    },
    Key {
        name: "icsum",
        negations: &["noicsum"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["icsum"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            s.icsum = Some(flag(i, "icsum")?);
            Ok(())
        },
        get: |s| s.icsum.map(Value::Flag),
    },
    Key {
        name: "ocsum",
        negations: &["noocsum"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["ocsum"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            s.ocsum = Some(flag(i, "ocsum")?);
            Ok(())
        },
        get: |s| s.ocsum.map(Value::Flag),
    },
    Key {
        name: "fwmark",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["fwmark"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            s.fwmark = Some(inherit(i, "fwmark", u32::MAX.into(), false)?);
            Ok(())
        },
        get: |s| s.fwmark.map(|v| inherit_value(v, false)),
    },
    Key {
        name: "encap",
        negations: &[],
        aliases: &[],
        value: ValueKind::Words(EncapType::WORDS),
        sets: &["the encapsulation"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            encap_mut(s).kind = Some(EncapType::parse(&word(i, "encap")?)?);
            Ok(())
        },
        get: |s| {
            let kind = s.encap.as_ref()?.kind?;
            Some(Value::Word(kind.to_string()))
        },
    },
    Key {
        name: "encap-sport",
        negations: &[],
        aliases: &[],
        value: ValueKind::Words(&["auto"]),
        sets: &["encap-sport"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            let sport = match i {
                Input::Word(w) if values::is(w, "auto") => SourcePort::Auto,
                Input::Word(w) => SourcePort::Fixed(
                    values::port(w, "encap-sport")
                        .map_err(|e| Error::invalid(format!("{e} (or auto)")))?,
                ),
                other => SourcePort::Fixed(number(other, "encap-sport", 1..=65535)? as u16),
            };
            encap_mut(s).sport = Some(sport);
            Ok(())
        },
        get: |s| {
            encap_get(s, |e| e.sport).map(|p| match p {
                SourcePort::Auto => Value::Word("auto".into()),
                SourcePort::Fixed(p) => Value::Number(p.into()),
            })
        },
    },
    Key {
        name: "encap-dport",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["encap-dport"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            let port = match i {
                Input::Word(w) => values::port(w, "encap-dport")?,
                other => number(other, "encap-dport", 1..=65535)? as u16,
            };
            encap_mut(s).dport = Some(port);
            Ok(())
        },
        get: |s| encap_get(s, |e| e.dport).map(|p| Value::Number(p.into())),
    },
    Key {
        name: "encap-csum",
        negations: &["noencap-csum"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["encap-csum"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            encap_mut(s).csum = Some(flag(i, "encap-csum")?);
            Ok(())
        },
        get: |s| encap_get(s, |e| e.csum).map(Value::Flag),
    },
    Key {
        name: "encap-csum6",
        negations: &["noencap-csum6", "noencap-udp6-csum"],
        aliases: &["encap-udp6-csum"],
        value: ValueKind::Flag,
        sets: &["encap-csum6"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            encap_mut(s).csum6 = Some(flag(i, "encap-csum6")?);
            Ok(())
        },
        get: |s| encap_get(s, |e| e.csum6).map(Value::Flag),
    },
    Key {
        name: "encap-remcsum",
        negations: &["noencap-remcsum"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["encap-remcsum"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            encap_mut(s).remcsum = Some(flag(i, "encap-remcsum")?);
            Ok(())
        },
        get: |s| encap_get(s, |e| e.remcsum).map(Value::Flag),
    },
    Key {
        name: "mtu",
        negations: &[],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["mtu"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            s.mtu = Some(number(i, "mtu", 68..=65535)? as u32);
            Ok(())
        },
        get: |s| s.mtu.map(|m| Value::Number(m.into())),
    },
    Key {
        name: "up",
        negations: &["down"],
        aliases: &[],
        value: ValueKind::Flag,
        sets: &["up"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            s.up = Some(flag(i, "up")?);
            Ok(())
        },
        get: |s| s.up.map(Value::Flag),
    },
];

fn gre_key(input: Input, key: &str) -> Result<u32> {
    match input {
        Input::Number(_) => Ok(number(input, key, 0..=u32::MAX.into())? as u32),
        other => values::key(&word(other, key)?, key),
    }
}

/// The keyword `word` names, exactly: its name, an alias or its negation.
pub fn key(word: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.is(word))
}

/// Whether `word` turns its keyword's flag off (`nopmtudisc`, `noencap-udp6-csum`, `down`).
pub fn is_negation(word: &str) -> bool {
    KEYS.iter().any(|k| k.negations.contains(&word))
}

impl TunnelSettings {
    /// Sets the setting of keyword `word` (a name, alias or negation of [`KEYS`]) from
    /// `input`; `kind` is the tunnel's where it is known (what `proto` is checked against).
    /// A flag's keyword is `Input::Flag(true)` whatever the word; its negation turns it off.
    pub fn set(&mut self, word: &str, input: Input, kind: Option<TunnelKind>) -> Result<()> {
        let Some(key) = key(word) else {
            return Err(Error::invalid(format!(
                "\"{word}\" is not a tunnel setting"
            )));
        };
        let input = match input {
            Input::Flag(on) if is_negation(word) => Input::Flag(!on),
            other => other,
        };
        (key.set)(self, input, kind)
    }

    /// Every setting given, as (keyword, value), in the order of [`KEYS`]: what the command
    /// line prints and a file holds. Shorthands are written as what they stand for.
    pub fn values(&self) -> Vec<(&'static str, Value)> {
        KEYS.iter()
            .filter(|k| !k.shorthand)
            .filter_map(|k| Some((k.name, k.get(self)?)))
            .collect()
    }
}

impl TunnelSettings {
    /// The settings given, as command-line words in the order of [`KEYS`]: a flag as its
    /// keyword or its negation, any other setting as its keyword and value.
    pub fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        let same_keys = self.ikey.is_some() && self.ikey == self.okey;
        for (name, value) in self.values() {
            // One key for both directions is said once, as `key`.
            match name {
                "ikey" if same_keys => {
                    out.extend(["key".to_string(), value.to_string()]);
                    continue;
                }
                "okey" if same_keys => continue,
                _ => {}
            }
            let key = key(name).expect("a keyword of the table");
            match value {
                Value::Flag(true) => out.push(name.to_string()),
                Value::Flag(false) => out.push(key.negations[0].to_string()),
                value => out.extend([name.to_string(), value.to_string()]),
            }
        }
        out
    }

    /// These settings less those that are the default of a tunnel of `kind`: what a person
    /// would write to make it.
    pub fn without_defaults(&self, kind: TunnelKind) -> TunnelSettings {
        let defaults = TunnelSettings::defaults(kind);
        let mut out = TunnelSettings::default();
        for key in KEYS.iter().filter(|k| !k.shorthand) {
            let value = key.get(self);
            if value.is_some() && value != key.get(&defaults) {
                let input = match &value {
                    Some(Value::Flag(b)) => Input::Flag(*b),
                    Some(Value::Number(n)) => Input::Number(*n as i64),
                    Some(Value::Word(w)) => Input::Word(w),
                    None => unreachable!("a value"),
                };
                // Without the kind: an ip6tnl's protocol is set here as any value.
                (key.set)(&mut out, input, None).expect("a value read back");
            }
        }
        // The encapsulation goes whole where it is not the default.
        if out.encap.is_some() {
            out.encap = self.encap;
        }
        out
    }
}

/// One setting that differs between two tunnels' settings: its keyword and its two values,
/// as rfou writes them (`none` where one has no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// The setting's keyword (`remote`, `ttl`, `encap`...).
    pub key: &'static str,
    /// Its value in the first.
    pub old: String,
    /// Its value in the second.
    pub new: String,
}

/// The encapsulation of `settings` in words: `none`, or the type and every option
/// (`fou encap-sport auto encap-dport 5555 noencap-csum encap-csum6 noencap-remcsum`), so
/// that two that differ never read the same.
fn encap_text(settings: &TunnelSettings) -> String {
    let Some(kind) = settings.encap.as_ref().and_then(|e| e.kind) else {
        return "none".into();
    };
    if kind == EncapType::None {
        return "none".into();
    }
    let mut words = vec![kind.to_string()];
    for key in KEYS.iter().filter(|k| k.name.starts_with("encap-")) {
        match key.get(settings) {
            Some(Value::Flag(true)) => words.push(key.name.into()),
            Some(Value::Flag(false)) => words.push(key.negations[0].into()),
            Some(value) => words.push(format!("{} {value}", key.name)),
            None => {}
        }
    }
    words.join(" ")
}

/// The settings that differ between `old` and `new`, in the order of [`KEYS`]. An
/// encapsulation of another type is one difference (`encap`), its options said whole.
pub fn differences(old: &TunnelSettings, new: &TunnelSettings) -> Vec<Diff> {
    let encap_kind = |s: &TunnelSettings| s.encap.as_ref().and_then(|e| e.kind);
    let encap_replaced = encap_kind(old) != encap_kind(new);
    let text = |v: Option<Value>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let mut out = Vec::new();
    for key in KEYS.iter().filter(|k| !k.shorthand) {
        let is_encap = key.name == "encap" || key.name.starts_with("encap-");
        if is_encap && encap_replaced {
            if key.name == "encap" {
                out.push(Diff {
                    key: "encap",
                    old: encap_text(old),
                    new: encap_text(new),
                });
            }
            continue;
        }
        let (a, b) = (key.get(old), key.get(new));
        if a != b {
            out.push(Diff {
                key: key.name,
                old: text(a),
                new: text(b),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_is_unique_and_no_alias_is_another_keyword() {
        let mut seen = std::collections::HashSet::new();
        for key in KEYS {
            for word in std::iter::once(key.name)
                .chain(key.negations.iter().copied())
                .chain(key.aliases.iter().copied())
            {
                assert!(seen.insert(word), "{word} twice");
            }
            assert_eq!(
                key.value == ValueKind::Flag,
                !key.negations.is_empty(),
                "{}",
                key.name
            );
        }
    }

    #[test]
    fn words_and_file_values_set_the_same() {
        let mut from_words = TunnelSettings::default();
        let mut from_file = TunnelSettings::default();
        for (word, file) in [
            ("ttl", Input::Number(64)),
            ("encap-dport", Input::Number(5555)),
            ("ikey", Input::Number(7)),
            ("fwmark", Input::Number(9)),
            ("encaplimit", Input::Number(3)),
        ] {
            let text = match file {
                Input::Number(n) => n.to_string(),
                _ => unreachable!(),
            };
            from_words.set(word, Input::Word(&text), None).unwrap();
            from_file.set(word, file, None).unwrap();
        }
        assert_eq!(from_words, from_file);
        // The TOS word is hexadecimal, as ip reads it; a file's number is a number.
        let mut s = TunnelSettings::default();
        s.set("tos", Input::Word("10"), None).unwrap();
        assert_eq!(s.tos, Some(0x10));
        s.set("tos", Input::Number(10), None).unwrap();
        assert_eq!(s.tos, Some(10));
    }

    #[test]
    fn flags_and_their_negations() {
        let mut s = TunnelSettings::default();
        s.set("nopmtudisc", Input::Flag(true), None).unwrap();
        assert_eq!(s.pmtudisc, Some(false));
        s.set("pmtudisc", Input::Flag(false), None).unwrap();
        assert_eq!(s.pmtudisc, Some(false));
        s.set("noencap-udp6-csum", Input::Flag(true), None).unwrap();
        assert_eq!(s.encap.unwrap().csum6, Some(false));
        s.set("down", Input::Flag(true), None).unwrap();
        assert_eq!(s.up, Some(false));
        assert!(s.set("ttl", Input::Flag(true), None).is_err());
        assert!(s.set("pmtudisc", Input::Word("x"), None).is_err());
    }

    #[test]
    fn values_are_written_as_they_are_read() {
        let mut s = TunnelSettings::default();
        for (word, value) in [
            ("remote", "any"),
            ("ttl", "inherit"),
            ("tos", "0x10"),
            ("tclass", "inherit"),
            ("flowlabel", "74565"),
            ("encaplimit", "none"),
            ("proto", "ip6ip"),
            ("fwmark", "inherit"),
            ("encap", "gue"),
            ("encap-sport", "auto"),
        ] {
            s.set(word, Input::Word(value), None).unwrap();
        }
        for (word, value) in s.values() {
            let mut again = TunnelSettings::default();
            let input = match &value {
                Value::Flag(b) => Input::Flag(*b),
                Value::Number(n) => Input::Number(*n as i64),
                Value::Word(w) => Input::Word(w),
            };
            again.set(word, input, None).unwrap();
            assert_eq!(
                KEYS.iter().find(|k| k.name == word).unwrap().get(&again),
                Some(value.clone()),
                "{word}"
            );
        }
        assert!(s
            .values()
            .iter()
            .any(|(k, v)| *k == "tos" && v.to_string() == "0x10"));
    }

    #[test]
    fn differences_name_each_setting_and_an_encapsulation_whole() {
        let mut a = TunnelSettings::defaults(TunnelKind::Ipip);
        let mut b = a.clone();
        b.ttl = Some(64);
        b.encap = Some(EncapSpec::whole(&crate::tunnel::Encap::fou(5555)));
        let diffs = differences(&a, &b);
        assert_eq!(
            diffs,
            [
                Diff {
                    key: "ttl",
                    old: "inherit".into(),
                    new: "64".into()
                },
                Diff {
                    key: "encap",
                    old: "none".into(),
                    new: "fou encap-sport auto encap-dport 5555 noencap-csum noencap-csum6 noencap-remcsum".into()
                },
            ]
        );
        a.encap = b.encap;
        a.ttl = b.ttl;
        b.encap.as_mut().unwrap().dport = Some(6000);
        assert_eq!(differences(&a, &b)[0].key, "encap-dport");
        assert!(differences(&a, &a).is_empty());
    }
}
