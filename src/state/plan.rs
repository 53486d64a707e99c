//! The plan: what must change for the namespace to hold what the file says. A pure function
//! of the desired state and the state read ([`Snapshot`]), so it is tested without a kernel.

use crate::maps::{HashMap, HashSet};

use super::{DesiredState, DesiredTunnel};
use crate::error::{Error, ErrorKind, Result};
use crate::fou::{FouPort, SocketId};
use crate::tunnel::rules::{in_place_refusal, is_fallback};
use crate::tunnel::{differences, Diff, EncapType, Tunnel, TunnelSettings};
use crate::txn::Snapshot;

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
    /// The ports left out because they cannot be bound yet (with `defer_bound`), in file
    /// order.
    pub deferred: Vec<super::Deferred>,
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
}

impl Change {
    /// The lines `rfou apply` prints for this change (`+ port 5555 ipproto 4`...).
    pub fn lines(&self) -> Vec<String> {
        let port =
            |p: &FouPort, dev: &Option<String>| p.words_with_dev(true, dev.as_deref()).join(" ");
        match self {
            Change::AddPort { port: p, dev } => vec![format!("+ {}", port(p, dev))],
            Change::DelPort { port: p, dev } => vec![format!("- {}", port(p, dev))],
            Change::ReplacePort { old, new, dev } => {
                let mut carries = new.carries_words();
                if new.remcsum_nopartial {
                    carries.push("remcsum_nopartial".into());
                }
                vec![format!(
                    "replace {} -> {}",
                    port(old, dev),
                    carries.join(" ")
                )]
            }
            Change::AddTunnel(d) => vec![format!("+ {}", tunnel_words(d))],
            Change::ChangeTunnel { desired, diffs, .. } => diffs
                .iter()
                .map(|d| {
                    format!(
                        "~ tunnel {} {} {} -> {}",
                        desired.spec.name, d.key, d.old, d.new
                    )
                })
                .collect(),
            Change::ReplaceTunnel { desired, why, .. } => {
                vec![format!("replace {} ({why})", tunnel_words(desired))]
            }
            Change::DelTunnel(t) => vec![format!("- tunnel {} mode {}", t.name, t.mode().word())],
        }
    }
}

/// A desired tunnel in the words of `rfou tunnel add` (defaults left out).
pub(crate) fn tunnel_words(d: &DesiredTunnel) -> String {
    let spec = &d.spec;
    let mut words = vec![
        "tunnel".to_string(),
        spec.name.clone(),
        "mode".into(),
        spec.mode().word().into(),
    ];
    // Settings a file gave were read by the keywords themselves and say themselves; others
    // (made in code) are shown whole.
    let mut settings = spec
        .settings
        .without_defaults(spec.kind)
        .unwrap_or_else(|_| spec.settings.clone());
    if spec.kind == crate::TunnelKind::Ip6Tnl {
        // The mode word says it.
        settings.proto = None;
    }
    words.extend(settings.words());
    words.join(" ")
}

/// The plan that makes `current` hold `desired`; with `prune`, also deletes the fou ports
/// and the FOU/GUE-encapsulated tunnels `desired` does not name (never another device, never
/// a fallback device). `file` names the file in errors (`FILE:LINE`).
pub fn plan(desired: &DesiredState, current: &Snapshot, prune: bool, file: &str) -> Result<Plan> {
    // A tunnel the file makes may be another's underlay device.
    let made_here: HashSet<&str> = desired
        .tunnels
        .iter()
        .map(|t| t.spec.name.as_str())
        .collect();
    let device = |name: &str, line: usize, what: &str| -> Result<Option<u32>> {
        match current.devices.index_of(name) {
            Some(index) => Ok(Some(index)),
            None if made_here.contains(name) => Ok(None),
            None => Err(Error::new(
                ErrorKind::NoSuchDevice,
                format!("{file}:{line}: {what}: device \"{name}\" does not exist in the namespace"),
            )),
        }
    };

    let mut port_deletes = Vec::new();
    let mut port_replaces = Vec::new();
    let mut port_adds = Vec::new();
    let existing: HashMap<SocketId, &FouPort> =
        current.ports().iter().map(|p| (p.socket(), p)).collect();
    let mut wanted = HashSet::default();
    for d in &desired.ports {
        let mut port = d.port.clone();
        if let Some(dev) = &d.dev {
            let what = format!("port {}", port.port);
            port.ifindex = device(dev, d.line, &what)?;
            if port.ifindex.is_none() {
                return Err(Error::invalid(format!(
                    "{file}:{}: {what}: a port cannot be bound to \"{dev}\", a tunnel this file makes: bind it to a device that exists",
                    d.line
                )));
            }
        }
        // The port the kernel holds for it: the same socket, or where the kernel picks the
        // local address, the one it bound.
        let now = existing.get(&port.socket()).copied().or_else(|| {
            current
                .ports()
                .iter()
                .find(|p| port.kernel_picks_local() && p.is_socket_asked(&port))
        });
        wanted.insert(now.map_or(port.socket(), FouPort::socket));
        match now {
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
        for p in current.ports() {
            if !wanted.contains(&p.socket()) {
                port_deletes.push(Change::DelPort {
                    port: p.clone(),
                    dev: p.ifindex.map(|i| current.devices.name_of(i)),
                });
            }
        }
    }

    // By name: looking each tunnel of the file up in the list would grow with the square of
    // their number.
    let tunnels_now: HashMap<&str, &Tunnel> = current
        .tunnels
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut tunnel_deletes = Vec::new();
    let mut tunnel_replaces = Vec::new();
    let mut tunnel_changes = Vec::new();
    let mut tunnel_adds = Vec::new();
    for d in &desired.tunnels {
        let spec = &d.spec;
        if let Some(dev) = &spec.settings.dev {
            device(dev, d.line, &format!("tunnel \"{}\"", spec.name))?;
        }
        match tunnels_now.get(spec.name.as_str()).copied() {
            Some(now) => match replace_reason(now, d, current) {
                Some(why) => tunnel_replaces.push(Change::ReplaceTunnel {
                    current: now.clone(),
                    desired: d.clone(),
                    why,
                }),
                None => {
                    let diffs = tunnel_diffs(now, d, current);
                    if !diffs.is_empty() {
                        tunnel_changes.push(Change::ChangeTunnel {
                            current: now.clone(),
                            desired: d.clone(),
                            diffs,
                        });
                    }
                }
            },
            None if current.devices.named(&spec.name).is_some() => {
                return Err(Error::invalid(format!(
                    "{file}:{}: a device \"{}\" exists and is not a tunnel: rfou will not replace it",
                    d.line, spec.name
                )))
            }
            None => tunnel_adds.push(d.clone()),
        }
    }
    if prune {
        for t in &current.tunnels {
            if t.encap.kind != EncapType::None
                && !is_fallback(t)
                && !made_here.contains(t.name.as_str())
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
    changes.extend(
        underlays_first(tunnel_adds)
            .into_iter()
            .map(Change::AddTunnel),
    );
    Ok(Plan {
        changes,
        deferred: Vec::new(),
    })
}

/// `adds` ordered so that a tunnel whose underlay device is another of them comes after it.
fn underlays_first(mut adds: Vec<DesiredTunnel>) -> Vec<DesiredTunnel> {
    let mut ordered: Vec<DesiredTunnel> = Vec::with_capacity(adds.len());
    while !adds.is_empty() {
        let pending: HashSet<String> = adds.iter().map(|t| t.spec.name.clone()).collect();
        let (ready, waiting): (Vec<_>, Vec<_>) = adds.into_iter().partition(|t| {
            t.spec
                .settings
                .dev
                .as_ref()
                .is_none_or(|dev| !pending.contains(dev) || dev == &t.spec.name)
        });
        if ready.is_empty() {
            // A loop of underlays: left in file order, for the kernel to refuse.
            ordered.extend(waiting);
            break;
        }
        ordered.extend(ready);
        adds = waiting;
    }
    ordered
}

/// Why `now` cannot become `d` in place, if it cannot: another kind of device, or a change
/// the kernel refuses by the kind of remote the tunnel was made with (ipip, sit and gre).
fn replace_reason(now: &Tunnel, d: &DesiredTunnel, current: &Snapshot) -> Option<String> {
    if now.kind != d.spec.kind {
        return Some(format!(
            "was {}: the kernel cannot change a tunnel's kind",
            now.mode().word()
        ));
    }
    // The underlay device by index; one not made yet (by this file) is none the tunnel has.
    let link = d
        .spec
        .settings
        .dev
        .as_ref()
        .map(|dev| current.devices.index_of(dev).unwrap_or(u32::MAX));
    let after = d.spec.as_reported(now.ifindex, now.mtu, link);
    in_place_refusal(now, &after).map(|why| {
        if now.remote == after.remote {
            return why;
        }
        let show = |a: Option<std::net::IpAddr>| a.map_or("any".to_string(), |a| a.to_string());
        format!(
            "remote {} -> {}: {why}",
            show(now.remote),
            show(after.remote)
        )
    })
}

/// The settings of `now` that differ from `d`, in the order of [`crate::tunnel::KEYS`]; the
/// MTU and the state only where the file gives them.
fn tunnel_diffs(now: &Tunnel, d: &DesiredTunnel, current: &Snapshot) -> Vec<Diff> {
    let mut have = now.settings(&current.devices);
    let want: TunnelSettings = d.spec.settings.whole(d.spec.kind);
    if want.mtu.is_none() {
        have.mtu = None;
    }
    if want.up.is_none() {
        have.up = None;
    }
    differences(&have, &want)
}
