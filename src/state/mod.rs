//! Desired state: a file that says which fou ports and tunnels a namespace holds
//! ([`parse`]), the typed [`Plan`] that takes the namespace there ([`plan()`]),
//! applying it all or nothing ([`crate::Handle::apply_plan`]), and the namespace written back as
//! such a file ([`export()`]).
//!
//! A tunnel entry says the whole tunnel: a setting it leaves out has the value
//! `rfou tunnel add` gives it (no key, no encap, TTL inherit or hop limit 64, tos 0), so a
//! setting changed by hand is put back. Two exceptions, because the kernel picks them and a
//! file rarely should: `mtu` and `up` are compared only when the entry gives them.

// Public for the command and the tests (with the `cli` feature, hidden); what a program
// needs of them is re-exported below.
internal_modules!(apply, defer, export, file, plan);

use std::collections::HashMap;
use std::net::IpAddr;

use netlink_packet_route::link::{InfoGre, InfoIpTunnel, LinkFlags};

use crate::fou::FouPort;
use crate::tunnel::{Encap, Tunnel, TunnelData, TunnelKind, TunnelMode};

pub use apply::Applied;
pub use export::export;
pub use file::parse;
pub use plan::{plan, Change, Diff, Plan};

/// A `[[port]]` of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPort {
    /// The port; its `ifindex` is unset (the device is named by `dev`).
    pub port: FouPort,
    /// The device the port is bound to (`dev`), by name.
    pub dev: Option<String>,
    /// The line of the file it came from.
    pub line: usize,
}

/// A `[[tunnel]]` of the file, whole: every setting that is not given has its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTunnel {
    /// The tunnel's device name.
    pub name: String,
    /// Its mode (`mode`): the kind of tunnel.
    pub mode: TunnelMode,
    /// The local underlay address, or any.
    pub local: Option<IpAddr>,
    /// The remote underlay address, or any.
    pub remote: Option<IpAddr>,
    /// 0 means inherit.
    pub ttl: u8,
    /// 0 unless given; 1 means inherit. Only IPv4-underlay tunnels have one.
    pub tos: u8,
    /// The underlay device (`dev`), by name.
    pub dev: Option<String>,
    /// The GRE input key.
    pub ikey: Option<u32>,
    /// The GRE output key.
    pub okey: Option<u32>,
    /// The UDP encapsulation (none unless given).
    pub encap: Encap,
    /// Compared only when given.
    pub mtu: Option<u32>,
    /// Compared only when given.
    pub up: Option<bool>,
    /// The line of the file it came from.
    pub line: usize,
}

/// What a file asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredState {
    /// The `[[port]]` entries, in file order.
    pub ports: Vec<DesiredPort>,
    /// The `[[tunnel]]` entries, in file order.
    pub tunnels: Vec<DesiredTunnel>,
}

/// What the namespace holds, read whole: every port (the lossy dump's losses recovered), every
/// tunnel, and the names of all devices.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// Every fou port.
    pub ports: Vec<FouPort>,
    /// Every tunnel (of the kinds rfou knows).
    pub tunnels: Vec<Tunnel>,
    /// Every device of the namespace: name to index.
    pub devices: HashMap<String, u32>,
    /// The flags of every device, by index (the kind of remote a tunnel was made with shows
    /// in them: see `tunnel change`'s checks).
    pub flags: HashMap<u32, LinkFlags>,
}

impl Current {
    /// The name of device `index`, if the namespace has it.
    pub fn device_name(&self, index: u32) -> Option<&str> {
        self.devices
            .iter()
            .find(|(_, i)| **i == index)
            .map(|(n, _)| n.as_str())
    }
}

/// The devices the kernel makes itself in every namespace with the module loaded: never
/// managed, never pruned.
#[doc(hidden)]
pub const FALLBACK_DEVICES: &[&str] = &[
    "tunl0",
    "sit0",
    "ip6tnl0",
    "gre0",
    "gretap0",
    "erspan0",
    "ip6gre0",
    "ip6erspan0",
    "ip_vti0",
    "ip6_vti0",
];

#[doc(hidden)]
/// Whether `name` is a tunnel module's fallback device (`tunl0`, `gre0`...), which rfou leaves alone.
pub fn is_fallback_device(name: &str) -> bool {
    FALLBACK_DEVICES.contains(&name)
}

/// The TTL (hop limit) `rfou tunnel add` gives a tunnel of `kind` when none is named:
/// inherit on IPv4 underlays, 64 on IPv6 (iproute2's default).
#[doc(hidden)]
pub fn default_ttl(kind: TunnelKind) -> u8 {
    if kind.ipv6_underlay() {
        64
    } else {
        0
    }
}

/// The tos of a tunnel as the kernel reports it (0 for the kinds without one).
#[doc(hidden)]
pub fn tunnel_tos(tunnel: &Tunnel) -> u8 {
    match &tunnel.data {
        TunnelData::Ip(attrs) => attrs
            .iter()
            .find_map(|a| match a {
                InfoIpTunnel::Tos(t) if !tunnel.kind.ipv6_underlay() => Some(*t),
                _ => None,
            })
            .unwrap_or(0),
        TunnelData::Gre(attrs) => attrs
            .iter()
            .find_map(|a| match a {
                InfoGre::Tos(t) => Some(*t),
                _ => None,
            })
            .unwrap_or(0),
        TunnelData::Gre6(_) => 0,
    }
}

#[cfg(test)]
mod tests;
