//! Presenting state: tables for people, JSON for programs.
//!
//! The JSON of ports is that of `ip -j fou show`, field for field; the JSON of tunnels is
//! rfou's own, documented in rfou-tunnel(8).

use std::collections::HashMap;

use serde::Serialize;
use tabled::grid::util::string::get_line_width;
use tabled::settings::Style;
use tabled::tables::CompactTable;

use crate::fou::{FouEncap, FouPort};
use crate::proto;
use crate::tunnel::{EncapType, SourcePort, Tunnel};

/// Device names by index, to show `dev` by name.
pub type Names = HashMap<u32, String>;

/// A port's device by name; `ifN` for one that is gone, as ip prints it (and reads it back).
fn port_dev(names: &Names, index: Option<i32>) -> Option<String> {
    index.map(|i| crate::ports::device_name(names, i))
}

/// Ports as `ip -j fou show` prints them, byte for byte, the final newline included; with
/// `pretty`, as `ip -j -p fou show` lays them out (iproute2's own JSON writer: four spaces
/// a level, `[ {`, `},{` and `} ]` between objects, `[ ]` when there are none).
///
/// The fields, in ip's order: `port`, then `ipproto` or `"gue": null`, `family`, and where
/// set `local`, `peer`, `peer_port`, `dev`. Written straight into one string: a show can
/// list tens of thousands of ports.
pub fn ports_json(ports: &[FouPort], names: &Names, pretty: bool) -> String {
    use std::fmt::Write;
    if pretty && ports.is_empty() {
        return "[ ]\n".to_string();
    }
    let (open, lead, colon, close, end) = if pretty {
        ("[ ", "\n        ", ": ", "\n    }", " ]\n")
    } else {
        ("[", "", ":", "}", "]\n")
    };
    let mut out = String::with_capacity(8 + ports.len() * 64);
    out.push_str(open);
    for (index, p) in ports.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('{');
        let mut first = true;
        let mut key = |out: &mut String, key: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(lead);
            out.push('"');
            out.push_str(key);
            out.push('"');
            out.push_str(colon);
        };
        // Writing to a String cannot fail.
        key(&mut out, "port");
        push_number(&mut out, p.port.into());
        match p.encap {
            FouEncap::Direct { ipproto } => {
                key(&mut out, "ipproto");
                push_number(&mut out, ipproto.into());
            }
            FouEncap::Gue => {
                key(&mut out, "gue");
                out.push_str("null");
            }
        }
        key(&mut out, "family");
        out.push('"');
        out.push_str(p.family.name());
        out.push('"');
        if let Some(local) = p.local {
            key(&mut out, "local");
            let _ = write!(out, "\"{local}\"");
        }
        if let Some(peer) = p.peer {
            key(&mut out, "peer");
            let _ = write!(out, "\"{peer}\"");
        }
        if let Some(peer_port) = p.peer_port {
            key(&mut out, "peer_port");
            push_number(&mut out, peer_port.into());
        }
        if let Some(dev) = port_dev(names, p.ifindex) {
            key(&mut out, "dev");
            // A device name can hold any character but / and space: escaped as JSON.
            out.push_str(&serde_json::to_string(&dev).expect("a string serializes"));
        }
        out.push_str(close);
    }
    out.push_str(end);
    out
}

/// Appends `n` in decimal: `write!` goes through the formatting machinery, a good part of
/// the time of writing a list of thousands of ports.
fn push_number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// `text` made safe to print in a message: control characters written as escapes (`\x1b`,
/// `\t`), and every word longer than [`LONG_WORD`] characters cut, saying how long it was.
/// A batch file can hold anything; its errors quote its words.
pub fn for_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * LONG_WORD));
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let length = word.chars().count();
        let kept = if length > LONG_WORD {
            word.chars().take(LONG_WORD / 2)
        } else {
            word.chars().take(length)
        };
        for c in kept {
            match c {
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                c if c.is_control() && c.is_ascii() => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        if length > LONG_WORD {
            out.push_str(&format!("... ({length} characters)"));
        }
    }
    out
}

/// Words longer than this are cut in messages.
pub const LONG_WORD: usize = 80;

pub fn to_json<T: Serialize>(value: &T, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(value).expect("serializable")
    } else {
        serde_json::to_string(value).expect("serializable")
    }
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn protocol_name(number: u8) -> String {
    match proto::NAMES.iter().find(|(_, n)| *n == number) {
        Some((name, _)) => format!("{number} ({name})"),
        None => number.to_string(),
    }
}

/// Ports as a table.
pub fn ports_table(ports: &[FouPort], names: &Names) -> String {
    let rows = ports.iter().map(|p| {
        [
            p.port.to_string(),
            p.family.name().to_string(),
            match p.encap {
                FouEncap::Direct { ipproto } => format!("ipproto {}", protocol_name(ipproto)),
                FouEncap::Gue => "gue".to_string(),
            } + if p.remcsum_nopartial {
                " remcsum_nopartial"
            } else {
                ""
            },
            or_dash(p.local),
            match (p.peer, p.peer_port) {
                (Some(a), Some(port)) if a.is_ipv6() => format!("[{a}]:{port}"),
                (Some(a), Some(port)) => format!("{a}:{port}"),
                (peer, _) => or_dash(peer),
            },
            or_dash(port_dev(names, p.ifindex)),
        ]
    });
    blank_table(["PORT", "FAMILY", "CARRIES", "LOCAL", "PEER", "DEV"], rows)
}

#[derive(Serialize)]
struct EncapJson {
    #[serde(rename = "type")]
    kind: EncapType,
    /// 0 means auto, as in `ip -j -d link show`.
    sport: u16,
    dport: u16,
    csum: bool,
    csum6: bool,
    remcsum: bool,
}

#[derive(Serialize)]
struct TunnelJson<'a> {
    name: &'a str,
    ifindex: u32,
    kind: &'static str,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    local: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<String>,
    /// The underlay device, by name (`ifN` when it is gone): `link` in `ip -j -d link show`.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    ttl: u8,
    /// As ip prints it: hexadecimal in a string, left out when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    tos: Option<String>,
    /// IPv4 underlays only, as in ip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pmtudisc: Option<bool>,
    /// GRE keys as ip prints them: dotted quads.
    #[serde(skip_serializing_if = "Option::is_none")]
    ikey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    okey: Option<String>,
    mtu: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    encap: Option<EncapJson>,
}

/// A tunnel's TOS and path MTU discovery, as `ip -j -d link show` prints them: the TOS when
/// not 0, path MTU discovery on the IPv4 underlays (off when the kernel does not say).
fn tos_and_pmtudisc(t: &Tunnel) -> (Option<String>, Option<bool>) {
    use crate::tunnel::attrs::Setting;
    use crate::tunnel::TunnelData;
    use netlink_packet_route::link::{InfoGre, InfoIpTunnel};
    if t.kind.ipv6_underlay() {
        return (None, None);
    }
    let tos = t.data.settings().into_iter().find_map(|s| match s {
        Setting::Tos(v) if v != 0 => Some(format!("{v:#x}")),
        _ => None,
    });
    // Path MTU discovery is read here only, so it is not one of the settings rfou writes.
    let pmtudisc = match &t.data {
        TunnelData::Ip(attrs) => attrs.contains(&InfoIpTunnel::PMtuDisc(true)),
        TunnelData::Gre(attrs) => attrs.contains(&InfoGre::PathMTUDiscovery(true)),
        TunnelData::Gre6(_) => false,
    };
    (tos, Some(pmtudisc))
}

/// A GRE key as ip prints it: the four bytes as a dotted quad.
fn key_text(key: u32) -> String {
    std::net::Ipv4Addr::from(key).to_string()
}

/// Tunnels as JSON: an array of objects with `name`, `ifindex`, `kind`, `mode`, and where set
/// `local`, `remote`, `link`, then `ttl`, `tos`, `pmtudisc`, `ikey`, `okey`, `mtu` and
/// `encap`. What ip's `linkinfo.info_data` also carries has its name and shape there
/// (rfou-tunnel(8) lists the differences, and why).
pub fn tunnels_json(tunnels: &[Tunnel], names: &Names, pretty: bool) -> String {
    let items: Vec<TunnelJson> = tunnels
        .iter()
        .map(|t| {
            let (tos, pmtudisc) = tos_and_pmtudisc(t);
            TunnelJson {
                name: &t.name,
                ifindex: t.ifindex,
                kind: t.kind.name(),
                mode: t.mode(),
                local: t.local.map(|a| a.to_string()),
                remote: t.remote.map(|a| a.to_string()),
                link: t.link.map(|i| crate::ports::device_name(names, i as i32)),
                ttl: t.ttl,
                tos,
                pmtudisc,
                ikey: t.ikey.map(key_text),
                okey: t.okey.map(key_text),
                mtu: t.mtu,
                encap: (t.encap.kind != EncapType::None).then(|| EncapJson {
                    kind: t.encap.kind,
                    sport: t.encap.sport.wire(),
                    dport: t.encap.dport,
                    csum: t.encap.csum,
                    csum6: t.encap.csum6,
                    remcsum: t.encap.remcsum,
                }),
            }
        })
        .collect();
    to_json(&items, pretty)
}

/// Tunnels as a table.
pub fn tunnels_table(tunnels: &[Tunnel]) -> String {
    let rows = tunnels.iter().map(|t| {
        let e = &t.encap;
        let none = e.kind == EncapType::None;
        let flags: Vec<&str> = [(e.csum, "csum"), (e.csum6, "csum6"), (e.remcsum, "remcsum")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
        [
            t.name.clone(),
            t.mode().to_string(),
            or_dash(t.local),
            or_dash(t.remote),
            e.kind.name().to_string(),
            if none {
                "-".into()
            } else {
                match e.sport {
                    SourcePort::Auto => "auto".into(),
                    SourcePort::Fixed(p) => p.to_string(),
                }
            },
            if none {
                "-".into()
            } else {
                e.dport.to_string()
            },
            if flags.is_empty() {
                "-".into()
            } else {
                flags.join(",")
            },
            t.mtu.to_string(),
        ]
    });
    blank_table(
        [
            "NAME", "MODE", "LOCAL", "REMOTE", "ENCAP", "SPORT", "DPORT", "FLAGS", "MTU",
        ],
        rows,
    )
}

/// `rows` under `header`, in left-aligned columns with no lines between them (tabled's
/// blank style). The cells are measured here, and tabled's `CompactTable` writes them
/// without a grid of its own: at 10,000 ports, its `Table` took longer than reading them.
fn blank_table<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> String {
    let mut all = vec![header.map(String::from)];
    all.extend(rows);
    // A column's width includes the space either side of its cells.
    let mut widths = [0; N];
    for row in &all {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(get_line_width(cell) + 2);
        }
    }
    let mut out = CompactTable::new(&all)
        .columns(N)
        .width(widths)
        .with(Style::blank())
        .to_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_written_as_tabled_table_writes_them() {
        let cell = |s: &str| s.to_string();
        let rows = [
            [cell("5555"), cell("inet"), cell("ipproto 4 (ipip)"), cell("-")],
            [cell("7"), cell("inet6"), cell("gue"), cell("2001:db8::1")],
            [cell("65535"), cell("inet"), cell("ü-dev"), cell("网卡")],
        ];
        let header = ["PORT", "FAMILY", "CARRIES", "X"];
        for count in 0..=rows.len() {
            let mut builder = tabled::builder::Builder::default();
            builder.push_record(header);
            for row in &rows[..count] {
                builder.push_record(row.clone());
            }
            let mut table = builder.build();
            table.with(Style::blank());
            assert_eq!(
                blank_table(header, rows[..count].iter().cloned()),
                format!("{table}\n")
            );
        }
        let (ports, names) = sample();
        assert_eq!(
            ports_table(&ports, &names),
            concat!(
                " PORT   FAMILY   CARRIES            LOCAL          PEER             DEV  \n",
                " 5557   inet     ipproto 47 (gre)   192.0.2.1      192.0.2.2:6000   d0   \n",
                " 5558   inet     gue                198.51.100.1   -                if10 \n",
                " 5556   inet6    gue                -              -                -    \n",
            )
        );
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for n in [0, 7, 9, 10, 99, 100, 5555, 65535, 1_000_000, u32::MAX] {
            let mut out = String::from("x");
            push_number(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    fn sample() -> (Vec<FouPort>, Names) {
        let mut bound = FouPort::direct(5557, 47)
            .with_local("192.0.2.1".parse().unwrap())
            .with_peer("192.0.2.2".parse().unwrap(), Some(6000));
        bound.ifindex = Some(2);
        let mut gone = FouPort::gue(5558).with_local("198.51.100.1".parse().unwrap());
        gone.ifindex = Some(10);
        let ports = vec![bound, gone, FouPort::gue(5556).ipv6()];
        let names = Names::from([(2, "d0".to_string())]);
        (ports, names)
    }

    /// What `ip -j -p fou show` printed for these ports (iproute2 6.1, measured in the VM).
    #[test]
    fn pretty_json_is_ips_byte_for_byte() {
        let (ports, names) = sample();
        let expected = "[ {\n        \"port\": 5557,\n        \"ipproto\": 47,\n        \"family\": \"inet\",\n        \"local\": \"192.0.2.1\",\n        \"peer\": \"192.0.2.2\",\n        \"peer_port\": 6000,\n        \"dev\": \"d0\"\n    },{\n        \"port\": 5558,\n        \"gue\": null,\n        \"family\": \"inet\",\n        \"local\": \"198.51.100.1\",\n        \"dev\": \"if10\"\n    },{\n        \"port\": 5556,\n        \"gue\": null,\n        \"family\": \"inet6\"\n    } ]\n";
        assert_eq!(ports_json(&ports, &names, true), expected);
        assert_eq!(ports_json(&[], &names, true), "[ ]\n");
    }

    #[test]
    fn compact_json_is_ips_byte_for_byte() {
        let (ports, names) = sample();
        let expected = r#"[{"port":5557,"ipproto":47,"family":"inet","local":"192.0.2.1","peer":"192.0.2.2","peer_port":6000,"dev":"d0"},{"port":5558,"gue":null,"family":"inet","local":"198.51.100.1","dev":"if10"},{"port":5556,"gue":null,"family":"inet6"}]"#;
        assert_eq!(ports_json(&ports, &names, false), format!("{expected}\n"));
        assert_eq!(ports_json(&[], &names, false), "[]\n");
    }

    /// The members ip's `linkinfo.info_data` also has, in its shapes (measured in the VM,
    /// and checked against ip by tests/kernel/tunnel_json.rs): `link` by name, `tos` in hex,
    /// keys as dotted quads; no `encap` at all when there is none.
    #[test]
    fn tunnel_json_has_ips_names_and_shapes() {
        use crate::tunnel::{TunnelData, TunnelKind};
        use netlink_packet_route::link::{GreIOFlags, InfoGre, InfoIpTunnel};
        let gre = Tunnel::from_data(
            "g1".into(),
            7,
            TunnelKind::Gre,
            1476,
            TunnelData::Gre(vec![
                InfoGre::Link(2),
                InfoGre::IFlags(GreIOFlags::Key),
                InfoGre::IKey(7),
                InfoGre::OKey(0),
                InfoGre::Local("192.0.2.1".parse().unwrap()),
                InfoGre::Remote("192.0.2.2".parse().unwrap()),
                InfoGre::Ttl(0),
                InfoGre::Tos(0x10),
                InfoGre::PathMTUDiscovery(true),
            ]),
        );
        let six = Tunnel::from_data(
            "s1".into(),
            8,
            TunnelKind::Ip6Tnl,
            1452,
            TunnelData::Ip(vec![InfoIpTunnel::Ttl(64), InfoIpTunnel::Link(9)]),
        );
        let names = Names::from([(2, "d0".to_string())]);
        let expected = r#"[{"name":"g1","ifindex":7,"kind":"gre","mode":"gre","local":"192.0.2.1","remote":"192.0.2.2","link":"d0","ttl":0,"tos":"0x10","pmtudisc":true,"ikey":"0.0.0.7","mtu":1476},{"name":"s1","ifindex":8,"kind":"ip6tnl","mode":"any","link":"if9","ttl":64,"mtu":1452}]"#;
        assert_eq!(tunnels_json(&[gre, six], &names, false), expected);
    }

    #[test]
    fn a_gone_device_shows_as_ip_shows_it() {
        let (ports, names) = sample();
        let table = ports_table(&ports, &names);
        assert!(table.contains("if10"), "{table}");
        assert!(table.contains("d0"), "{table}");
        // No ports: the header alone.
        assert_eq!(ports_table(&[], &names).lines().count(), 1);
    }

    #[test]
    fn messages_escape_control_characters_and_cut_long_words() {
        assert_eq!(
            for_message("unknown \"a\x1b[2Jb\""),
            "unknown \"a\\x1b[2Jb\""
        );
        assert_eq!(for_message("tab\there\u{85}"), "tab\\there\\u{85}");
        let long = "x".repeat(10_000_000);
        let text = for_message(&format!("bad \"{long}\" here"));
        assert!(text.len() < 200, "{}", text.len());
        assert!(text.starts_with("bad \"xxxx"), "{text}");
        assert!(text.ends_with("... (10000002 characters) here"), "{text}");
        assert_eq!(for_message("plain words stay"), "plain words stay");
    }
}
