//! The keywords of a tunnel's settings: one table ([`KEYS`]) that the command line's parser,
//! completer and help and the desired-state file all read, so that `tunnel add` and a
//! `[[tunnel]]` entry take the same words, and that each setting is printed, exported and
//! compared one way.

use std::fmt;

use super::kind::{parse_proto, proto_word, PROTO_WORDS};
use super::settings::{EncapLimit, Inherit, TunnelSettings};
use super::{EncapSpec, EncapType, SourcePort, TunnelKind};
use crate::error::{Error, Result};
use crate::values::{self, Input};

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
    pub(super) set: fn(&mut TunnelSettings, Input, Option<TunnelKind>) -> Result<()>,
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
        other => Ok(Inherit::Value(other.number(key, 0..=max)? as u32)),
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
    let w = input.word(key)?;
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
            let name = i.word("dev")?;
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
                Input::Number(_) => i.number("ttl", 0..=255)? as u8,
                _ => values::ttl(&i.word("ttl")?)?,
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
                Input::Number(_) => i.number("tos", 0..=255)? as u8,
                _ => values::tos(&i.word("tos")?)?,
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
                other => EncapLimit::Limit(other.number("encaplimit", 0..=255)? as u8),
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
            s.pmtudisc = Some(i.flag("pmtudisc")?);
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
            s.ignore_df = Some(i.flag("ignore-df")?);
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
            let w = i.word("proto")?;
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
            s.isatap = Some(i.flag("isatap")?);
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
            let on = i.flag("seq")?;
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
            s.iseq = Some(i.flag("iseq")?);
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
            s.oseq = Some(i.flag("oseq")?);
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
            let on = i.flag("csum")?;
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
            s.icsum = Some(i.flag("icsum")?);
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
            s.ocsum = Some(i.flag("ocsum")?);
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
            encap_mut(s).kind = Some(EncapType::parse(&i.word("encap")?)?);
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
                other => SourcePort::Fixed(other.number("encap-sport", 1..=65535)? as u16),
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
                other => other.number("encap-dport", 1..=65535)? as u16,
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
            encap_mut(s).csum = Some(i.flag("encap-csum")?);
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
            encap_mut(s).csum6 = Some(i.flag("encap-csum6")?);
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
            encap_mut(s).remcsum = Some(i.flag("encap-remcsum")?);
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
            s.mtu = Some(i.number("mtu", 68..=65535)? as u32);
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
            s.up = Some(i.flag("up")?);
            Ok(())
        },
        get: |s| s.up.map(Value::Flag),
    },
];

fn gre_key(input: Input, key: &str) -> Result<u32> {
    match input {
        Input::Number(_) => Ok(input.number(key, 0..=u32::MAX.into())? as u32),
        other => values::key(&other.word(key)?, key),
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
}
