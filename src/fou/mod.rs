//! FOU and GUE receive ports: the generic-netlink family `fou`.
//!
//! [`FouPort`] is a port as the kernel keeps it, and [`SocketId`] what tells one port from
//! another; `wire` is its wire form (one encoder, one decoder), `ops` what a
//! [`crate::Handle`] does with ports, `check` what is refused before anything is sent.

mod check;
pub(crate) mod diag;
mod ops;
mod recover;
mod spec;
mod support;
pub(crate) mod wire;

pub(crate) use check::{check_dev_needs_local, validate_socket};
pub use check::{validate, validate_add};
pub use spec::{PortSpec, PORT_KEYS};
pub use support::{fou_module, tunnel_encap_support, FouModule};

use std::net::IpAddr;

use crate::devices::Devices;

/// The address family of a receive port's UDP socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl Family {
    /// The address family number (`AF_INET`, `AF_INET6`) as `FOU_ATTR_AF` carries it.
    pub fn af(self) -> u8 {
        match self {
            Family::Inet => libc::AF_INET as u8,
            Family::Inet6 => libc::AF_INET6 as u8,
        }
    }

    /// The name `ip -j fou show` uses: `inet` or `inet6`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }

    /// The family of `addr`.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }
}

/// What a receive port hands the packets it receives to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FouEncap {
    /// Direct FOU: the UDP payload is a packet of this IP protocol (4 IPIP, 41 IPv6, 47 GRE).
    Direct {
        /// The IP protocol number (1..255).
        ipproto: u8,
    },
    /// GUE: the protocol is read from each packet's GUE header.
    Gue,
}

/// One FOU/GUE receive port.
///
/// ```
/// use rfou::{FouPort, Family};
/// let port = FouPort::direct(5555, 4).with_local("10.0.0.1".parse().unwrap());
/// assert_eq!(port.family, Family::Inet);
/// assert_eq!(port.local, Some("10.0.0.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FouPort {
    /// The UDP port number the kernel listens on (1..65535).
    pub port: u16,
    /// The family of the port's socket: IPv4 or IPv6.
    pub family: Family,
    /// What the port hands its packets to.
    pub encap: FouEncap,
    /// The local address the socket is bound to (`local`), if any.
    pub local: Option<IpAddr>,
    /// The peer address the socket is connected to (`peer`), if any; needs `peer_port`.
    pub peer: Option<IpAddr>,
    /// The peer's UDP port (`peer_port`), with `peer`.
    pub peer_port: Option<u16>,
    /// The device the socket is bound to (`dev`), by index.
    pub ifindex: Option<u32>,
    /// Remote checksum offload without partial checksums (`remcsum_nopartial`).
    pub remcsum_nopartial: bool,
}

impl FouPort {
    /// A direct FOU port on IPv4 carrying `ipproto` (1..255: [`crate::Handle::fou_add`]
    /// refuses 0 with [`crate::ErrorKind::InvalidInput`], as newer kernels do).
    pub fn direct(port: u16, ipproto: u8) -> Self {
        Self::new(port, FouEncap::Direct { ipproto })
    }

    /// A GUE port on IPv4.
    pub fn gue(port: u16) -> Self {
        Self::new(port, FouEncap::Gue)
    }

    fn new(port: u16, encap: FouEncap) -> Self {
        FouPort {
            port,
            family: Family::Inet,
            encap,
            local: None,
            peer: None,
            peer_port: None,
            ifindex: None,
            remcsum_nopartial: false,
        }
    }

    /// The same port on IPv6 (for a port without addresses, which say the family).
    pub fn ipv6(mut self) -> Self {
        self.family = Family::Inet6;
        self
    }

    /// Binds the port to a local address; the family follows the address.
    pub fn with_local(mut self, addr: IpAddr) -> Self {
        self.family = Family::of(&addr);
        self.local = Some(addr);
        self
    }

    /// Connects the port to a peer; the family follows the address.
    pub fn with_peer(mut self, addr: IpAddr, peer_port: Option<u16>) -> Self {
        self.family = Family::of(&addr);
        self.peer = Some(addr);
        self.peer_port = peer_port;
        self
    }

    /// What tells this port's socket from any other: the kernel matches deletes and gets
    /// on all of it.
    pub fn socket(&self) -> SocketId {
        SocketId {
            port: self.port,
            family: self.family,
            local: self.local,
            peer: self.peer,
            peer_port: self.peer_port,
            ifindex: self.ifindex,
        }
    }

    /// Whether the kernel gives this port its local address: a port given a peer and no
    /// local address is connected to the peer, which binds it to the address the route to
    /// the peer leaves from. The kernel reports that address from then on, and matches
    /// deletes and gets on it (as `ip fou` finds: `fou del` with the words of the add fails).
    pub fn kernel_picks_local(&self) -> bool {
        self.local.is_none() && self.peer.is_some()
    }

    /// Whether this port, read from the kernel, is the socket `asked` asks for: the same
    /// socket, or, where the kernel picks the local address ([`FouPort::kernel_picks_local`]),
    /// the same but for it.
    pub fn is_socket_asked(&self, asked: &FouPort) -> bool {
        let asked_socket = asked.socket();
        let socket = self.socket();
        socket == asked_socket
            || (asked.kernel_picks_local()
                && socket
                    == SocketId {
                        local: self.local,
                        ..asked_socket
                    })
    }

    /// Whether this port has every binding `given` names (its number and family always):
    /// the bindings `given` leaves out match anything. What `del port 5558 dev eth0` matches.
    pub fn has_bindings_of(&self, given: &FouPort) -> bool {
        given.port == self.port
            && given.family == self.family
            && given.local.is_none_or(|a| self.local == Some(a))
            && given.peer.is_none_or(|a| self.peer == Some(a))
            && given.peer_port.is_none_or(|p| self.peer_port == Some(p))
            && given.ifindex.is_none_or(|i| self.ifindex == Some(i))
    }

    /// The words that say this port on the command line, in the order of the grammar:
    /// `port 5555 ipproto 4 local 10.0.0.1 dev eth0 remcsum_nopartial`, and `-6` where no
    /// address says the family. With `carries` the words of `add` (what the port carries,
    /// `remcsum_nopartial`), without them those of `del`. The device is named as `devices`
    /// names it (`ifN` when it is gone). Every text of a port is made of these words.
    pub fn words(&self, carries: bool, devices: &Devices) -> Vec<String> {
        self.words_with_dev(carries, self.dev_name(devices).as_deref())
    }

    /// [`FouPort::words`] with the device named `dev` (what a command gave, by name).
    pub fn words_with_dev(&self, carries: bool, dev: Option<&str>) -> Vec<String> {
        let mut words = vec!["port".to_string(), self.port.to_string()];
        if carries {
            words.extend(self.carries_words());
        }
        words.extend(self.binding_words(dev));
        if carries && self.remcsum_nopartial {
            words.push("remcsum_nopartial".to_string());
        }
        if self.family == Family::Inet6 && self.local.is_none() && self.peer.is_none() {
            words.push("-6".to_string());
        }
        words
    }

    /// What the port carries, as `add` says it: `ipproto 4`, or `gue`.
    pub fn carries_words(&self) -> Vec<String> {
        match self.encap {
            FouEncap::Direct { ipproto } => vec!["ipproto".to_string(), ipproto.to_string()],
            FouEncap::Gue => vec!["gue".to_string()],
        }
    }

    /// What binds the port's socket: `local A peer B peer_port P dev D`, each where set.
    fn binding_words(&self, dev: Option<&str>) -> Vec<String> {
        let mut words = Vec::new();
        let mut pair = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                words.extend([key.to_string(), value]);
            }
        };
        pair("local", self.local.map(|a| a.to_string()));
        pair("peer", self.peer.map(|a| a.to_string()));
        pair("peer_port", self.peer_port.map(|p| p.to_string()));
        pair("dev", dev.map(str::to_string));
        words
    }

    /// The name of the port's device, as `devices` names it.
    fn dev_name(&self, devices: &Devices) -> Option<String> {
        self.ifindex.map(|index| devices.name_of(index))
    }

    /// `fou port 5555 (inet) local 10.0.0.1 dev eth0`: the port and what binds it, for
    /// messages.
    pub fn describe(&self, devices: &Devices) -> String {
        self.describe_with_dev(self.dev_name(devices).as_deref())
    }

    /// [`FouPort::describe`] with the device named `dev`.
    pub fn describe_with_dev(&self, dev: Option<&str>) -> String {
        let mut text = format!("fou port {} ({})", self.port, self.family.name());
        for word in self.binding_words(dev) {
            text.push(' ');
            text.push_str(&word);
        }
        text
    }
}

/// What tells one receive port's socket from another: number, family, and the bindings
/// (local, peer, peer port, device). The kernel holds one port per socket, and matches a
/// delete or a get on all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId {
    /// The UDP port number.
    pub port: u16,
    /// The socket's family.
    pub family: Family,
    /// The local address, if bound to one.
    pub local: Option<IpAddr>,
    /// The peer address, if connected.
    pub peer: Option<IpAddr>,
    /// The peer's port, if connected.
    pub peer_port: Option<u16>,
    /// The device, by index, if bound to one.
    pub ifindex: Option<u32>,
}

/// The receive ports of a namespace as [`crate::Handle::fou_ports`] found them, with what a
/// reader should know about the list: that the fou module is not loaded (so there are none),
/// or that the list may be incomplete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList {
    /// The ports, in the kernel's order (newest first).
    pub ports: Vec<FouPort>,
    /// Sentences for the user, for standard error; empty when the list is simply complete.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::Device;

    /// A port asked with a peer and no local address is the one the kernel bound to the
    /// route's source; one asked without a peer is the wildcard socket alone.
    #[test]
    fn the_kernel_picks_the_local_address_of_a_connected_port() {
        let peer = "192.0.2.9".parse().unwrap();
        let asked = FouPort::gue(7777).with_peer(peer, Some(99));
        let bound = asked.clone().with_local("192.0.2.1".parse().unwrap());
        assert!(asked.kernel_picks_local());
        assert!(bound.is_socket_asked(&asked));
        assert!(!asked.is_socket_asked(&bound));
        let other_peer = FouPort::gue(7777)
            .with_peer("192.0.2.8".parse().unwrap(), Some(99))
            .with_local("192.0.2.1".parse().unwrap());
        assert!(!other_peer.is_socket_asked(&asked));
        let wildcard = FouPort::gue(7777);
        assert!(!wildcard.kernel_picks_local());
        assert!(!bound.is_socket_asked(&wildcard));
    }

    #[test]
    fn every_text_of_a_port_is_its_words_in_the_order_of_the_grammar() {
        let mut port = FouPort::gue(6000)
            .with_peer("2001:db8::2".parse().unwrap(), Some(7000))
            .with_local("2001:db8::1".parse().unwrap());
        port.ifindex = Some(4);
        port.remcsum_nopartial = true;
        let devices = Devices::new(vec![Device {
            index: 4,
            name: "eth0".into(),
            kind: None,
            flags: 0,
        }]);
        assert_eq!(
            port.words(true, &devices).join(" "),
            "port 6000 gue local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev eth0 remcsum_nopartial"
        );
        assert_eq!(
            port.words(false, &devices).join(" "),
            "port 6000 local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev eth0"
        );
        assert_eq!(
            port.describe(&devices),
            "fou port 6000 (inet6) local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev eth0"
        );
        port.ifindex = Some(9);
        assert_eq!(
            port.describe(&devices),
            "fou port 6000 (inet6) local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev if9"
        );
        assert_eq!(
            FouPort::direct(5555, 4)
                .ipv6()
                .words(true, &Devices::default())
                .join(" "),
            "port 5555 ipproto 4 -6"
        );
    }

    #[test]
    fn bindings_left_out_match_anything() {
        let mut port = FouPort::gue(6003).with_local("192.0.2.1".parse().unwrap());
        port.ifindex = Some(7);
        assert!(port.has_bindings_of(&FouPort::gue(6003)));
        let mut by_dev = FouPort::gue(6003);
        by_dev.ifindex = Some(7);
        assert!(port.has_bindings_of(&by_dev));
        by_dev.ifindex = Some(8);
        assert!(!port.has_bindings_of(&by_dev));
        assert!(!port.has_bindings_of(&FouPort::gue(6003).ipv6()));
        assert!(!port.has_bindings_of(&FouPort::gue(6004)));
        // The socket tells ports apart by every binding, not by what they carry.
        assert_eq!(FouPort::gue(1).socket(), FouPort::direct(1, 4).socket());
        assert_ne!(FouPort::gue(1).socket(), FouPort::gue(1).ipv6().socket());
    }
}
