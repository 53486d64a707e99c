//! Presenting state: tables for people, JSON for programs.
//!
//! The JSON of ports is that of `ip -j fou show`, field for field; the JSON of tunnels is
//! rfou's own, documented in rfou-tunnel(8).

use std::collections::HashMap;

use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use crate::fou::{FouEncap, FouPort};
use crate::proto;
use crate::tunnel::{EncapType, SourcePort, Tunnel};

/// Serializes as JSON `null`: `"gue": null`, as ip prints it.
#[derive(Serialize)]
struct Null;

#[derive(Serialize)]
struct PortJson<'a> {
    port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    ipproto: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gue: Option<Null>,
    family: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    local: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dev: Option<&'a str>,
}

/// Device names by index, to show `dev` by name.
pub type Names = HashMap<u32, String>;

fn dev_name(names: &Names, index: Option<u32>) -> Option<&str> {
    index.and_then(|i| names.get(&i)).map(String::as_str)
}

/// Ports as `ip -j fou show` prints them.
pub fn ports_json(ports: &[FouPort], names: &Names, pretty: bool) -> String {
    let items: Vec<PortJson> = ports
        .iter()
        .map(|p| PortJson {
            port: p.port,
            ipproto: match p.encap {
                FouEncap::Direct { ipproto } => Some(ipproto),
                FouEncap::Gue => None,
            },
            gue: (p.encap == FouEncap::Gue).then_some(Null),
            family: p.family.name(),
            local: p.local.map(|a| a.to_string()),
            peer: p.peer.map(|a| a.to_string()),
            peer_port: p.peer_port,
            dev: dev_name(names, p.ifindex.map(|i| i as u32)),
        })
        .collect();
    to_json(&items, pretty)
}

pub fn to_json<T: Serialize>(value: &T, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(value).expect("serializable")
    } else {
        serde_json::to_string(value).expect("serializable")
    }
}

#[derive(Tabled)]
struct PortRow {
    #[tabled(rename = "PORT")]
    port: u16,
    #[tabled(rename = "FAMILY")]
    family: &'static str,
    #[tabled(rename = "CARRIES")]
    carries: String,
    #[tabled(rename = "LOCAL")]
    local: String,
    #[tabled(rename = "PEER")]
    peer: String,
    #[tabled(rename = "DEV")]
    dev: String,
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
    let rows = ports.iter().map(|p| PortRow {
        port: p.port,
        family: p.family.name(),
        carries: match p.encap {
            FouEncap::Direct { ipproto } => format!("ipproto {}", protocol_name(ipproto)),
            FouEncap::Gue => "gue".to_string(),
        } + if p.remcsum_nopartial {
            " remcsum_nopartial"
        } else {
            ""
        },
        local: or_dash(p.local),
        peer: match (p.peer, p.peer_port) {
            (Some(a), Some(port)) if a.is_ipv6() => format!("[{a}]:{port}"),
            (Some(a), Some(port)) => format!("{a}:{port}"),
            (peer, _) => or_dash(peer),
        },
        dev: or_dash(dev_name(names, p.ifindex.map(|i| i as u32))),
    });
    let mut table = Table::new(rows);
    table.with(Style::blank());
    format!("{table}\n")
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
    ttl: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    dev: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ikey: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    okey: Option<u32>,
    mtu: u32,
    encap: Option<EncapJson>,
}

fn sport_wire(sport: SourcePort) -> u16 {
    match sport {
        SourcePort::Auto => 0,
        SourcePort::Fixed(p) => p,
    }
}

/// Tunnels as JSON: an array of objects with `name`, `ifindex`, `kind`, `mode`, `local`,
/// `remote`, `ttl`, `dev`, `ikey`, `okey`, `mtu` and `encap` (null when none).
pub fn tunnels_json(tunnels: &[Tunnel], names: &Names, pretty: bool) -> String {
    let items: Vec<TunnelJson> = tunnels
        .iter()
        .map(|t| TunnelJson {
            name: &t.name,
            ifindex: t.ifindex,
            kind: t.kind.name(),
            mode: t.mode(),
            local: t.local.map(|a| a.to_string()),
            remote: t.remote.map(|a| a.to_string()),
            ttl: t.ttl,
            dev: dev_name(names, t.link),
            ikey: t.ikey,
            okey: t.okey,
            mtu: t.mtu,
            encap: (t.encap.kind != EncapType::None).then(|| EncapJson {
                kind: t.encap.kind,
                sport: sport_wire(t.encap.sport),
                dport: t.encap.dport,
                csum: t.encap.csum,
                csum6: t.encap.csum6,
                remcsum: t.encap.remcsum,
            }),
        })
        .collect();
    to_json(&items, pretty)
}

#[derive(Tabled)]
struct TunnelRow {
    #[tabled(rename = "NAME")]
    name: String,
    #[tabled(rename = "MODE")]
    mode: &'static str,
    #[tabled(rename = "LOCAL")]
    local: String,
    #[tabled(rename = "REMOTE")]
    remote: String,
    #[tabled(rename = "ENCAP")]
    encap: &'static str,
    #[tabled(rename = "SPORT")]
    sport: String,
    #[tabled(rename = "DPORT")]
    dport: String,
    #[tabled(rename = "FLAGS")]
    flags: String,
    #[tabled(rename = "MTU")]
    mtu: u32,
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
        TunnelRow {
            name: t.name.clone(),
            mode: t.mode(),
            local: or_dash(t.local),
            remote: or_dash(t.remote),
            encap: e.kind.name(),
            sport: if none {
                "-".into()
            } else {
                match e.sport {
                    SourcePort::Auto => "auto".into(),
                    SourcePort::Fixed(p) => p.to_string(),
                }
            },
            dport: if none {
                "-".into()
            } else {
                e.dport.to_string()
            },
            flags: if flags.is_empty() {
                "-".into()
            } else {
                flags.join(",")
            },
            mtu: t.mtu,
        }
    });
    let mut table = Table::new(rows);
    table.with(Style::blank());
    format!("{table}\n")
}
