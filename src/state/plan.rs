//! The plan: what must change for the namespace to hold what the file says. A pure function
//! of the desired state and the state read ([`Current`]), so it is tested without a kernel.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde_json::{json, Value};

use super::{default_ttl, tunnel_tos, Current, DesiredState, DesiredTunnel};
use crate::error::{Error, ErrorKind, Result};
use crate::fou::FouPort;
use crate::tunnel::{Encap, EncapType, SourcePort, Tunnel, TunnelKind};

/// One setting of a tunnel that differs: its keyword, the value now and the value wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// The setting (`remote`, `ttl`, `encap`...).
    pub key: &'static str,
    /// Its value now, as a file writes it.
    pub old: String,
    /// The value the file asks for.
    pub new: String,
}

/// One change of a plan. Ports carry their device by index (resolved) and by name (to show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Add a port.
    AddPort {
        /// The port, its device by index.
        port: FouPort,
        /// Its device by name, to show.
        dev: Option<String>,
    },
    /// Delete a port the file does not name (with prune).
    DelPort {
        /// The port, its device by index.
        port: FouPort,
        /// Its device by name, to show.
        dev: Option<String>,
    },
    /// Same socket, other encapsulation: the kernel cannot change a port, so delete and add.
    ReplacePort {
        /// The port now.
        old: FouPort,
        /// The port the file asks for.
        new: FouPort,
        /// Its device by name, to show.
        dev: Option<String>,
    },
    /// Create a tunnel.
    AddTunnel(DesiredTunnel),
    /// Changed in place: the tunnel keeps its device (ifindex, addresses, routes).
    ChangeTunnel {
        /// The tunnel now.
        current: Tunnel,
        /// The tunnel the file asks for.
        desired: DesiredTunnel,
        /// The settings that change.
        diffs: Vec<Diff>,
    },
    /// Deleted and made again: what the kernel cannot change in place (`why`).
    ReplaceTunnel {
        /// The tunnel now.
        current: Tunnel,
        /// The tunnel the file asks for.
        desired: DesiredTunnel,
        /// What cannot change in place.
        why: String,
    },
    /// Delete a tunnel the file does not name (with prune; only FOU/GUE-encapsulated ones).
    DelTunnel(Tunnel),
}

/// The changes, in the order they are applied: deletions first (they free ports and tunnel
/// endpoints that additions may need), then replacements, changes and additions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Whether the namespace holds the state already.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One line per change, as `apply` prints them.
    pub fn lines(&self) -> Vec<String> {
        self.changes.iter().flat_map(Change::lines).collect()
    }

    /// `{"changed": BOOL, "changes": [...]}`, one object per line of [`Plan::lines`].
    pub fn to_json(&self) -> Value {
        let changes: Vec<Value> = self.changes.iter().flat_map(Change::json).collect();
        json!({ "changed": !self.is_empty(), "changes": changes })
    }
}

impl Change {
    /// The lines `rfou apply` prints for this change (`+ port 5555 ipproto 4`...).
    pub fn lines(&self) -> Vec<String> {
        match self {
            Change::AddPort { port, dev } => vec![format!("+ {}", port_words(port, dev))],
            Change::DelPort { port, dev } => vec![format!("- {}", port_words(port, dev))],
            Change::ReplacePort { old, new, dev } => vec![format!(
                "replace {} -> {}",
                port_words(old, dev),
                encap_words_of_port(new)
            )],
            Change::AddTunnel(d) => vec![format!("+ {}", desired_words(d))],
            Change::ChangeTunnel { desired, diffs, .. } => diffs
                .iter()
                .map(|d| format!("~ tunnel {} {} {} -> {}", desired.name, d.key, d.old, d.new))
                .collect(),
            Change::ReplaceTunnel { desired, why, .. } => {
                vec![format!("replace {} ({why})", desired_words(desired))]
            }
            Change::DelTunnel(t) => vec![format!("- tunnel {} mode {}", t.name, t.mode())],
        }
    }

    fn json(&self) -> Vec<Value> {
        let (action, object, id) = match self {
            Change::AddPort { port, .. } => ("add", "port", json!(port.port)),
            Change::DelPort { port, .. } => ("delete", "port", json!(port.port)),
            Change::ReplacePort { new, .. } => ("replace", "port", json!(new.port)),
            Change::AddTunnel(d) => ("add", "tunnel", json!(d.name)),
            Change::ChangeTunnel { desired, diffs, .. } => {
                return diffs
                    .iter()
                    .zip(self.lines())
                    .map(|(d, text)| {
                        json!({"action": "change", "object": "tunnel", "name": desired.name,
                               "key": d.key, "old": d.old, "new": d.new, "text": text})
                    })
                    .collect()
            }
            Change::ReplaceTunnel { desired, .. } => ("replace", "tunnel", json!(desired.name)),
            Change::DelTunnel(t) => ("delete", "tunnel", json!(t.name)),
        };
        let key = if object == "port" { "port" } else { "name" };
        self.lines()
            .into_iter()
            .map(|text| json!({"action": action, "object": object, key: id, "text": text}))
            .collect()
    }
}

/// A port in the words of `rfou add`, its device by name.
pub fn port_words(port: &FouPort, dev: &Option<String>) -> String {
    let dev = dev
        .clone()
        .or_else(|| port.ifindex.map(|i| format!("#{i}")));
    port.words(true, dev.as_deref()).join(" ")
}

fn encap_words_of_port(port: &FouPort) -> String {
    let mut text = port.carries_words().join(" ");
    if port.remcsum_nopartial {
        text += " remcsum_nopartial";
    }
    text
}

/// A desired tunnel in the words of `rfou tunnel add` (defaults left out).
pub fn desired_words(d: &DesiredTunnel) -> String {
    let kind = d.mode.kind;
    let mut text = format!("tunnel {} mode {}", d.name, mode_word(d));
    if let Some(a) = d.local {
        text += &format!(" local {a}");
    }
    if let Some(a) = d.remote {
        text += &format!(" remote {a}");
    }
    if d.ttl != default_ttl(kind) {
        text += &format!(" ttl {}", ttl_word(d.ttl));
    }
    if d.tos != 0 {
        text += &format!(" tos {}", tos_word(d.tos));
    }
    if let Some(dev) = &d.dev {
        text += &format!(" dev {dev}");
    }
    match (d.ikey, d.okey) {
        (Some(i), Some(o)) if i == o => text += &format!(" key {i}"),
        (i, o) => {
            if let Some(i) = i {
                text += &format!(" ikey {i}");
            }
            if let Some(o) = o {
                text += &format!(" okey {o}");
            }
        }
    }
    if d.encap.kind != EncapType::None {
        text += &format!(" encap {}", encap_words(&d.encap));
    }
    if let Some(mtu) = d.mtu {
        text += &format!(" mtu {mtu}");
    }
    if d.up == Some(true) {
        text += " up";
    }
    text
}

fn mode_word(d: &DesiredTunnel) -> &'static str {
    match (d.mode.kind, d.mode.ip6_proto) {
        (TunnelKind::Ip6Tnl, Some(4)) => "ipip6",
        (TunnelKind::Ip6Tnl, Some(41)) => "ip6ip6",
        (TunnelKind::Ip6Tnl, Some(_)) => "any",
        (TunnelKind::Ip6Tnl, None) => "ip6tnl",
        (kind, _) => kind.name(),
    }
}

/// `fou encap-sport auto encap-dport 5555 encap-csum ...`: every option, so two encaps that
/// differ never read the same.
pub fn encap_words(e: &Encap) -> String {
    if e.kind == EncapType::None {
        return "none".into();
    }
    let flag = |on: bool, word: &str| {
        if on {
            word.to_string()
        } else {
            format!("no{word}")
        }
    };
    format!(
        "{} encap-sport {} encap-dport {} {} {} {}",
        e.kind.name(),
        sport_word(e.sport),
        e.dport,
        flag(e.csum, "encap-csum"),
        flag(e.csum6, "encap-csum6"),
        flag(e.remcsum, "encap-remcsum")
    )
}

pub fn sport_word(sport: SourcePort) -> String {
    match sport {
        SourcePort::Auto => "auto".into(),
        SourcePort::Fixed(p) => p.to_string(),
    }
}

pub fn ttl_word(ttl: u8) -> String {
    if ttl == 0 {
        "inherit".into()
    } else {
        ttl.to_string()
    }
}

pub fn tos_word(tos: u8) -> String {
    if tos == 1 {
        "inherit".into()
    } else {
        format!("0x{tos:02x}")
    }
}

fn addr_word(a: Option<IpAddr>) -> String {
    a.map_or_else(|| "any".into(), |a| a.to_string())
}

fn opt_word<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

/// What makes a port the same socket: everything the kernel matches on a delete.
type SocketKey = (
    u16,
    crate::Family,
    Option<IpAddr>,
    Option<IpAddr>,
    Option<u16>,
    Option<i32>,
);

fn socket_key(p: &FouPort) -> SocketKey {
    (p.port, p.family, p.local, p.peer, p.peer_port, p.ifindex)
}

/// The plan that makes `current` hold `desired`; with `prune`, also deletes the fou ports
/// and the FOU/GUE-encapsulated tunnels `desired` does not name (never another device).
/// `file` names the file in errors (`FILE:LINE`).
pub fn plan(desired: &DesiredState, current: &Current, prune: bool, file: &str) -> Result<Plan> {
    let device = |name: &str, line: usize, what: &str| -> Result<u32> {
        current.devices.get(name).copied().ok_or_else(|| {
            Error::invalid(format!(
                "{file}:{line}: {what}: device \"{name}\" does not exist in the namespace"
            ))
            .with_kind(ErrorKind::NoSuchDevice)
        })
    };
    let dev_name =
        |index: Option<i32>| index.and_then(|i| current.device_name(i as u32).map(str::to_string));

    let mut port_deletes = Vec::new();
    let mut port_replaces = Vec::new();
    let mut port_adds = Vec::new();
    let existing: HashMap<SocketKey, &FouPort> =
        current.ports.iter().map(|p| (socket_key(p), p)).collect();
    let mut wanted = HashSet::new();
    for d in &desired.ports {
        let mut port = d.port.clone();
        if let Some(dev) = &d.dev {
            port.ifindex = Some(device(dev, d.line, &format!("port {}", port.port))? as i32);
        }
        let key = socket_key(&port);
        wanted.insert(key);
        match existing.get(&key) {
            None => port_adds.push(Change::AddPort {
                port,
                dev: d.dev.clone(),
            }),
            Some(now)
                if now.encap != port.encap || now.remcsum_nopartial != port.remcsum_nopartial =>
            {
                port_replaces.push(Change::ReplacePort {
                    old: (*now).clone(),
                    new: port,
                    dev: d.dev.clone(),
                })
            }
            Some(_) => {}
        }
    }
    if prune {
        for p in &current.ports {
            if !wanted.contains(&socket_key(p)) {
                port_deletes.push(Change::DelPort {
                    port: p.clone(),
                    dev: dev_name(p.ifindex),
                });
            }
        }
    }

    let mut tunnel_deletes = Vec::new();
    let mut tunnel_replaces = Vec::new();
    let mut tunnel_changes = Vec::new();
    let mut tunnel_adds = Vec::new();
    let tunnels: HashMap<&str, &Tunnel> = current
        .tunnels
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    for d in &desired.tunnels {
        let link = match &d.dev {
            Some(dev) => Some(device(dev, d.line, &format!("tunnel \"{}\"", d.name))?),
            None => None,
        };
        match tunnels.get(d.name.as_str()) {
            Some(now) => match replace_reason(now, d) {
                Some(why) => tunnel_replaces.push(Change::ReplaceTunnel {
                    current: (*now).clone(),
                    desired: d.clone(),
                    why,
                }),
                None => {
                    let diffs = tunnel_diffs(now, d, link, current);
                    if !diffs.is_empty() {
                        tunnel_changes.push(Change::ChangeTunnel {
                            current: (*now).clone(),
                            desired: d.clone(),
                            diffs,
                        });
                    }
                }
            },
            None if current.devices.contains_key(&d.name) => {
                return Err(Error::invalid(format!(
                "{file}:{}: a device \"{}\" exists and is not a tunnel: rfou will not replace it",
                d.line, d.name
            )))
            }
            None => tunnel_adds.push(Change::AddTunnel(d.clone())),
        }
    }
    if prune {
        let named: HashSet<&str> = desired.tunnels.iter().map(|t| t.name.as_str()).collect();
        for t in &current.tunnels {
            if t.encap.kind != EncapType::None
                && !super::is_fallback_device(&t.name)
                && !named.contains(t.name.as_str())
            {
                tunnel_deletes.push(Change::DelTunnel(t.clone()));
            }
        }
    }

    let mut changes = tunnel_deletes;
    changes.extend(port_deletes);
    changes.extend(port_replaces);
    changes.extend(port_adds);
    changes.extend(tunnel_replaces);
    changes.extend(tunnel_changes);
    changes.extend(tunnel_adds);
    Ok(Plan { changes })
}

/// Why `now` cannot become `d` in place, if it cannot: another kind of device, or (ipip and
/// gre) a change between point-to-point and not, which the kernel refuses on a live device.
fn replace_reason(now: &Tunnel, d: &DesiredTunnel) -> Option<String> {
    if now.kind != d.mode.kind {
        return Some(format!(
            "was {}: the kernel cannot change a tunnel's mode",
            now.mode()
        ));
    }
    if matches!(now.kind, TunnelKind::Ipip | TunnelKind::Gre) {
        let p2p = |a: Option<IpAddr>| match a {
            Some(IpAddr::V4(a)) if a.is_multicast() => 2,
            Some(_) => 1,
            None => 0,
        };
        if p2p(now.remote) != p2p(d.remote) {
            return Some(format!(
                "remote {} -> {}: the kernel cannot turn a point-to-point {} tunnel into one without a fixed remote, or back",
                addr_word(now.remote),
                addr_word(d.remote),
                now.kind.name()
            ));
        }
    }
    None
}

/// The settings of `now` that differ from `d`, in the order of `tunnel add`'s words.
fn tunnel_diffs(
    now: &Tunnel,
    d: &DesiredTunnel,
    link: Option<u32>,
    current: &Current,
) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let mut diff = |key: &'static str, old: String, new: String| {
        if old != new {
            diffs.push(Diff { key, old, new });
        }
    };
    if let Some(proto) = d.mode.ip6_proto {
        let now_proto = now.ip6_proto.unwrap_or(0);
        if now_proto != proto {
            let name = |p: u8| match p {
                4 => "ipip6",
                41 => "ip6ip6",
                _ => "any",
            };
            diff("mode", name(now_proto).into(), name(proto).into());
        }
    }
    diff("local", addr_word(now.local), addr_word(d.local));
    diff("remote", addr_word(now.remote), addr_word(d.remote));
    diff("ttl", ttl_word(now.ttl), ttl_word(d.ttl));
    if !now.kind.ipv6_underlay() {
        diff("tos", tos_word(tunnel_tos(now)), tos_word(d.tos));
    }
    let dev_word = |l: Option<u32>| {
        l.map_or_else(
            || "none".into(),
            |i| {
                current
                    .device_name(i)
                    .map_or_else(|| format!("#{i}"), str::to_string)
            },
        )
    };
    diff("dev", dev_word(now.link), dev_word(link));
    if now.kind.is_gre() {
        diff("ikey", opt_word(now.ikey), opt_word(d.ikey));
        diff("okey", opt_word(now.okey), opt_word(d.okey));
    }
    let (a, b) = (&now.encap, &d.encap);
    if a.kind != b.kind {
        diff("encap", encap_words(a), encap_words(b));
    } else if b.kind != EncapType::None {
        diff("encap-sport", sport_word(a.sport), sport_word(b.sport));
        diff("encap-dport", a.dport.to_string(), b.dport.to_string());
        diff("encap-csum", a.csum.to_string(), b.csum.to_string());
        diff("encap-csum6", a.csum6.to_string(), b.csum6.to_string());
        diff(
            "encap-remcsum",
            a.remcsum.to_string(),
            b.remcsum.to_string(),
        );
    }
    if let Some(mtu) = d.mtu {
        diff("mtu", now.mtu.to_string(), mtu.to_string());
    }
    if let Some(up) = d.up {
        diff("up", now.up.to_string(), up.to_string());
    }
    diffs
}
