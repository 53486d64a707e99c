//! The table of a tunnel's settings ([`KEYS`]): for each keyword, the kinds that have it,
//! how its value is read into [`TunnelSettings`] and how it is written back.

use super::keys::{Key, Value, ValueKind};
use super::kind::{parse_proto, proto_word, PROTO_WORDS};
use super::settings::{EncapLimit, Inherit, TunnelSettings};
use super::{EncapSpec, EncapType, SourcePort, TunnelKind};
use crate::error::{Error, Result};
use crate::values::{self, Input};

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

/// An address, or "any": `any`, `0.0.0.0` and `::` are the one value "any" (the family is
/// the tunnel's, said when the settings are checked against it), so that what parses prints
/// as `any` and parses back the same.
fn address(input: Input, key: &str) -> Result<std::net::IpAddr> {
    let w = input.word(key)?;
    let any = std::net::Ipv4Addr::UNSPECIFIED.into();
    if values::is(&w, "any") {
        return Ok(any);
    }
    let address = values::address(&w, key)?;
    Ok(if address.is_unspecified() {
        any
    } else {
        address
    })
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

/// A flag of the tunnel's settings: `name` sets the field on, each of `negations` off.
macro_rules! flag {
    ($name:literal, [$($negation:literal),*], $field:ident, $applies:expr) => {
        Key {
            name: $name,
            negations: &[$($negation),*],
            aliases: &[],
            value: ValueKind::Flag,
            sets: &[$name],
            shorthand: false,
            applies: $applies,
            set: |s, i, _| {
                s.$field = Some(i.flag($name)?);
                Ok(())
            },
            get: |s| s.$field.map(Value::Flag),
        }
    };
}

/// A flag of the encapsulation's options.
macro_rules! encap_flag {
    ($name:literal, [$($negation:literal),*], $field:ident) => {
        Key {
            name: $name,
            negations: &[$($negation),*],
            aliases: &[],
            value: ValueKind::Flag,
            sets: &[$name],
            shorthand: false,
            applies: any,
            set: |s, i, _| {
                encap_mut(s).$field = Some(i.flag($name)?);
                Ok(())
            },
            get: |s| encap_get(s, |e| e.$field).map(Value::Flag),
        }
    };
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
        // ip's words for it on every kind.
        aliases: &["hoplimit", "hlim"],
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
            // In hexadecimal, as ip reads it (`flowlabel 100` is 0x100).
            s.flowlabel = Some(inherit(i, "flowlabel", 0xf_ffff, true)?);
            Ok(())
        },
        get: |s| s.flowlabel.map(|v| inherit_value(v, true)),
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
    flag!("pmtudisc", ["nopmtudisc"], pmtudisc, ipv4_underlay),
    flag!("ignore-df", ["noignore-df"], ignore_df, gre_ipv4),
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
    flag!("isatap", ["noisatap"], isatap, sit),
    // A key, or (`nokey`, `noikey`, `nookey`, as ip takes them) none: the key and its
    // GRE_KEY bit cleared. `key 0` is a key of 0, as with ip.
    Key {
        name: "key",
        negations: &["nokey"],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["ikey", "okey"],
        shorthand: true,
        applies: gre,
        set: |s, i, _| {
            let key = gre_key(i, "key")?;
            (s.ikey, s.no_ikey) = key;
            (s.okey, s.no_okey) = key;
            Ok(())
        },
        get: |_| None,
    },
    Key {
        name: "ikey",
        negations: &["noikey"],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["ikey"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            (s.ikey, s.no_ikey) = gre_key(i, "ikey")?;
            Ok(())
        },
        get: |s| key_value(s.ikey, s.no_ikey),
    },
    Key {
        name: "okey",
        negations: &["nookey"],
        aliases: &[],
        value: ValueKind::Typed,
        sets: &["okey"],
        shorthand: false,
        applies: gre,
        set: |s, i, _| {
            (s.okey, s.no_okey) = gre_key(i, "okey")?;
            Ok(())
        },
        get: |s| key_value(s.okey, s.no_okey),
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
    flag!("iseq", ["noiseq"], iseq, gre),
    flag!("oseq", ["nooseq"], oseq, gre),
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
    flag!("icsum", ["noicsum"], icsum, gre),
    flag!("ocsum", ["noocsum"], ocsum, gre),
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
        // `noencap` is `encap none`, as ip takes it.
        negations: &["noencap"],
        aliases: &[],
        value: ValueKind::Words(EncapType::WORDS),
        sets: &["the encapsulation"],
        shorthand: false,
        applies: any,
        set: |s, i, _| {
            encap_mut(s).kind = Some(match i {
                Input::Flag(false) => EncapType::None,
                other => EncapType::parse(&other.word("encap")?)?,
            });
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
            // 0 is auto, as ip reads it and the kernel takes it.
            let sport = match i {
                Input::Word(w)
                    if values::is(w, "auto")
                        || matches!(values::number(w, "encap-sport"), Ok(Some(0))) =>
                {
                    SourcePort::Auto
                }
                Input::Number(0) => SourcePort::Auto,
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
    encap_flag!("encap-csum", ["noencap-csum"], csum),
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
    encap_flag!("encap-remcsum", ["noencap-remcsum"], remcsum),
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
    flag!("up", ["down"], up, any),
];

/// A GRE key as (the key, whether it is removed): its negation (`Input::Flag(false)`)
/// removes it.
fn gre_key(input: Input, key: &str) -> Result<(Option<u32>, bool)> {
    let value = match input {
        Input::Flag(false) => return Ok((None, true)),
        Input::Number(_) => input.number(key, 0..=u32::MAX.into())? as u32,
        other => values::key(&other.word(key)?, key)?,
    };
    Ok((Some(value), false))
}

/// A key's value as written: its number, or off where it is removed.
fn key_value(key: Option<u32>, removed: bool) -> Option<Value> {
    match key {
        Some(k) => Some(Value::Number(k.into())),
        None => removed.then_some(Value::Flag(false)),
    }
}
