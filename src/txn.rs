//! All or nothing: a [`Snapshot`] of what a run may change, read before it; an undo log of
//! every change made ([`Transaction`]); and on failure, the log undone in reverse and the
//! namespace read back and compared with the snapshot ([`Rollback`]). Only what reads back
//! is claimed. `rfou apply`, `-b --atomic` and the put-back after a refused tunnel change
//! all undo through here.

use std::net::IpAddr;

use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteProtocol};

use crate::addresses::address_of;
use crate::devices::Devices;
use crate::error::{Error, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
use crate::links::device_of;
use crate::tunnel::{differences as setting_differences, Tunnel};

/// What a namespace holds, read at one moment: its fou ports (where read), its tunnels and
/// its devices.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every fou port (the dump's losses recovered), or `None` where they were not read.
    pub ports: Option<Vec<FouPort>>,
    /// Every tunnel of the kinds rfou knows.
    pub tunnels: Vec<Tunnel>,
    /// Every device.
    pub devices: Devices,
    /// What a reader should know about the ports read: that the list may be incomplete.
    pub notes: Vec<String>,
}

impl Snapshot {
    /// The ports read (none where they were not).
    pub fn ports(&self) -> &[FouPort] {
        self.ports.as_deref().unwrap_or(&[])
    }

    /// The tunnel called `name`, if there is one.
    pub fn tunnel(&self, name: &str) -> Option<&Tunnel> {
        self.tunnels.iter().find(|t| t.name == name)
    }
}

impl Handle {
    /// The namespace now: its tunnels and devices, and with `with_ports` its fou ports.
    pub fn snapshot(&mut self, with_ports: bool) -> Result<Snapshot> {
        let (ports, notes) = if with_ports {
            let list = self.fou_ports()?;
            (Some(list.ports), list.notes)
        } else {
            (None, Vec::new())
        };
        let links = self.links()?;
        let tunnels = links
            .iter()
            .filter_map(crate::tunnel::wire::tunnel_of)
            .collect();
        let devices = Devices::new(links.iter().filter_map(device_of).collect());
        Ok(Snapshot {
            ports,
            tunnels,
            devices,
            notes,
        })
    }
}

/// What takes one change back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Delete a port that was added.
    DelPort(FouPort),
    /// Add back a port that was deleted.
    AddPort(FouPort),
    /// Delete a tunnel that was made.
    DelTunnel(String),
    /// Put a tunnel that was changed back as it was read: every setting, MTU and state.
    Restore(Box<Tunnel>),
    /// Make a tunnel that was deleted again (a new device: what lived on it is gone).
    Recreate(Box<Tunnel>),
}

impl Undo {
    fn apply(&self, handle: &mut Handle) -> Result<()> {
        match self {
            // The port as added; where the kernel picked its local address, the one port
            // with the bindings it was given.
            Undo::DelPort(port) if port.kernel_picks_local() => {
                handle.fou_del_matching(port).map(|_| ())
            }
            Undo::DelPort(port) => handle.fou_del(port),
            Undo::AddPort(port) => handle.fou_add(port),
            Undo::DelTunnel(name) => handle.tunnel_del(name),
            Undo::Restore(tunnel) => handle.tunnel_restore(tunnel),
            Undo::Recreate(tunnel) => handle.tunnel_recreate(tunnel),
        }
    }
}

/// A run that changes a namespace all or nothing: what it started from, and how to take
/// back each change it made.
#[derive(Debug)]
pub struct Transaction {
    before: Snapshot,
    log: Vec<Undo>,
}

impl Transaction {
    /// A transaction from the namespace as `before` read it.
    pub fn new(before: Snapshot) -> Self {
        Transaction {
            before,
            log: Vec::new(),
        }
    }

    /// What the namespace held when the transaction began.
    pub fn before(&self) -> &Snapshot {
        &self.before
    }

    /// Logs how to take back a change just made.
    pub fn record(&mut self, undo: Undo) {
        self.log.push(undo);
    }

    /// How many changes are logged.
    pub fn changes(&self) -> usize {
        self.log.len()
    }

    /// Undoes every logged change, the last first (each is tried, whatever the others do),
    /// then reads the namespace back and compares it with what it held before.
    pub fn rollback(self, handle: &mut Handle) -> Rollback {
        let mut rollback = Rollback {
            undone: self.log.len(),
            ..Rollback::default()
        };
        for undo in self.log.iter().rev() {
            if let Undo::Recreate(t) = undo {
                rollback.recreated.push(t.name.clone());
            }
            if let Err(err) = undo.apply(handle) {
                rollback.failures.push(err);
            }
        }
        match handle.snapshot(self.before.ports.is_some()) {
            Ok(after) => rollback.differences = differences(&self.before, &after),
            Err(err) => rollback.unread = Some(err),
        }
        rollback
    }
}

/// What a rollback did, as read back.
#[derive(Debug, Default)]
pub struct Rollback {
    /// How many changes it undid.
    pub undone: usize,
    /// The undo steps that failed.
    pub failures: Vec<Error>,
    /// What differs between the namespace read back and what it held before.
    pub differences: Vec<String>,
    /// Why the namespace could not be read back, if it could not.
    pub unread: Option<Error>,
    /// The tunnels made again: new devices, without what lived on the old ones.
    pub recreated: Vec<String>,
}

impl Rollback {
    /// Whether the namespace read back as it was before.
    pub fn as_before(&self) -> bool {
        self.failures.is_empty() && self.differences.is_empty() && self.unread.is_none()
    }

    /// What the rollback did, in a sentence that claims only what was read back: `place`
    /// names the namespace.
    pub fn describe(&self, place: &str) -> String {
        if self.undone == 0 {
            return "nothing had been changed".into();
        }
        let count = self.undone;
        let mut text = if self.as_before() {
            format!("the {count} change(s) made before it were undone, and {place} reads back as before")
        } else {
            let mut t = format!(
                "UNDO INCOMPLETE: of the {count} change(s) made before it, {} could not be undone",
                self.failures.len()
            );
            for f in &self.failures {
                t += &format!("; {f}");
            }
            if let Some(err) = &self.unread {
                t += &format!("; {place} cannot be read back: {err}");
            }
            if !self.differences.is_empty() {
                t += &format!(
                    "; {place} now differs from before: {}",
                    self.differences.join("; ")
                );
            }
            t
        };
        if !self.recreated.is_empty() {
            text += &format!(
                " (tunnel(s) {} were made again: new devices, without the addresses and routes they had)",
                self.recreated.join(", ")
            );
        }
        text
    }
}

/// What differs between two snapshots, in what a run manages: ports (where both read them),
/// and each tunnel's kind, settings, MTU and state (not its index: a tunnel made again has a
/// new one).
pub fn differences(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(was), Some(is)) = (&before.ports, &after.ports) {
        for port in was.iter().filter(|p| !is.contains(p)) {
            out.push(format!("{} is missing", port.describe(&before.devices)));
        }
        for port in is.iter().filter(|p| !was.contains(p)) {
            out.push(format!("{} is new", port.describe(&after.devices)));
        }
    }
    for was in &before.tunnels {
        match after.tunnel(&was.name) {
            None => out.push(format!("tunnel \"{}\" is missing", was.name)),
            Some(is) => {
                let changed = tunnel_differences(was, &before.devices, is, &after.devices);
                if !changed.is_empty() {
                    out.push(format!("tunnel \"{}\": {}", was.name, changed.join(", ")));
                }
            }
        }
    }
    for is in &after.tunnels {
        if before.tunnel(&is.name).is_none() {
            out.push(format!("tunnel \"{}\" is new", is.name));
        }
    }
    out
}

/// What differs between two readings of a tunnel, in words (`ttl 64, was inherit`).
pub fn tunnel_differences(
    was: &Tunnel,
    was_devices: &Devices,
    now: &Tunnel,
    now_devices: &Devices,
) -> Vec<String> {
    if was.kind != now.kind {
        return vec![format!("kind {}, was {}", now.kind.name(), was.kind.name())];
    }
    let mut out: Vec<String> =
        setting_differences(&was.settings(was_devices), &now.settings(now_devices))
            .into_iter()
            .map(|d| format!("{} {}, was {}", d.key, d.new, d.old))
            .collect();
    if now.group != was.group {
        out.push(format!("group {}, was {}", now.group, was.group));
    }
    if out.is_empty() && now.attrs != was.attrs {
        out.push("other tunnel settings".to_string());
    }
    out
}

impl Handle {
    /// After the kernel refused a change of `saved`: reads the tunnel again and, if the
    /// kernel left part of the change in place, puts it back as `saved` was. `err` says,
    /// after its message, which: nothing, restored (read back to check), or what differs.
    pub(crate) fn put_back(&mut self, saved: &Tunnel, err: Error) -> Error {
        let same =
            |now: &Tunnel| now.attrs == saved.attrs && now.mtu == saved.mtu && now.up == saved.up;
        let name = &saved.name;
        match self.tunnel(name) {
            Ok(now) if same(&now) => err,
            Ok(_) => {
                // On a fallback device the kernel answers even the restore with EINVAL after
                // setting it: what counts is what reads back.
                let restore = Undo::Restore(Box::new(saved.clone())).apply(self);
                match self.tunnel(name) {
                    Ok(now) if same(&now) => err.with_note(format!(
                        "the kernel had applied part of the change; tunnel \"{name}\" was restored as it was (read back)"
                    )),
                    Ok(now) => {
                        let devices = self.devices().unwrap_or_default();
                        err.with_note(format!(
                            "the kernel applied part of the change, and tunnel \"{name}\" could not be restored{}: {}",
                            restore.err().map(|e| format!(" ({e})")).unwrap_or_default(),
                            tunnel_differences(saved, &devices, &now, &devices).join(", ")
                        ))
                    }
                    Err(read) => err.with_note(format!(
                        "the kernel may have applied part of the change; tunnel \"{name}\" cannot be read back ({read})"
                    )),
                }
            }
            Err(read) => err.with_note(format!(
                "tunnel \"{name}\" cannot be read back to check it is unchanged ({read})"
            )),
        }
    }

    /// What lives on `tunnel` that deleting it loses and making it again does not bring
    /// back: its addresses (but the IPv6 link-local ones the kernel makes itself), and its
    /// routes (but those the kernel makes for the addresses). A run that may have to undo a
    /// delete refuses to delete a tunnel that carries any.
    pub fn tunnel_attachments(&mut self, tunnel: &Tunnel) -> Result<Vec<String>> {
        let mut held = Vec::new();
        for message in self.addresses()? {
            if message.header.index != tunnel.ifindex {
                continue;
            }
            match address_of(&message) {
                Some(a) if made_by_the_kernel(tunnel, a, message.header.prefix_len) => {}
                Some(a) => held.push(format!("address {a}/{}", message.header.prefix_len)),
                None => {}
            }
        }
        for message in self.routes()? {
            let on_tunnel = message
                .attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Oif(i) if *i == tunnel.ifindex));
            if on_tunnel && message.header.protocol != RouteProtocol::Kernel {
                let destination = message.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Destination(RouteAddress::Inet(d)) => Some(d.to_string()),
                    RouteAttribute::Destination(RouteAddress::Inet6(d)) => Some(d.to_string()),
                    _ => None,
                });
                held.push(match destination {
                    Some(d) => format!(
                        "a route to {d}/{}",
                        message.header.destination_prefix_length
                    ),
                    None => "a route".to_string(),
                });
            }
        }
        Ok(held)
    }
}

/// Whether the kernel gives `tunnel` the address `addr`/`prefix` itself, each time it comes
/// up, so that a tunnel made again has it again: an IPv6 link-local address, and on sit the
/// IPv4-compatible addresses (`::a.b.c.d/96`) it makes from the IPv4 addresses the tunnel
/// sends from (a sit tunnel with a local address and no remote, once up, holds `::` and
/// its local address).
fn made_by_the_kernel(tunnel: &Tunnel, addr: IpAddr, prefix: u8) -> bool {
    let IpAddr::V6(a) = addr else {
        return false;
    };
    let link_local = a.segments()[0] & 0xffc0 == 0xfe80;
    let v4_compatible = a.segments()[..6] == [0; 6];
    link_local || (tunnel.kind == crate::tunnel::TunnelKind::Sit && prefix == 96 && v4_compatible)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::{TunnelKind, TunnelSettings, TunnelSpec};

    #[test]
    fn the_addresses_the_kernel_makes_are_not_the_users() {
        let tunnel = |kind| {
            let spec = TunnelSpec {
                name: "t".into(),
                kind,
                settings: TunnelSettings::default(),
            };
            spec.as_reported(7, 1480, None)
        };
        let (sit, ipip) = (tunnel(TunnelKind::Sit), tunnel(TunnelKind::Ipip));
        let v4_compatible: IpAddr = "::203.0.0.155".parse().unwrap();
        assert!(made_by_the_kernel(&sit, v4_compatible, 96));
        assert!(!made_by_the_kernel(&sit, v4_compatible, 128));
        assert!(!made_by_the_kernel(&ipip, v4_compatible, 96));
        assert!(made_by_the_kernel(&ipip, "fe80::1".parse().unwrap(), 64));
        assert!(!made_by_the_kernel(
            &sit,
            "2001:db8::1".parse().unwrap(),
            96
        ));
        assert!(!made_by_the_kernel(&sit, "192.0.2.1".parse().unwrap(), 24));
    }
}
