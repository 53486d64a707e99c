//! `apply --defer-bound`: the `[[port]]` entries that the kernel cannot bind yet are left out
//! of the desired state, so that the rest of a file applies early at boot, before the network
//! is configured (see rfou-apply(8), AT BOOT).
//!
//! A port cannot be bound yet when its `dev` does not exist, or when its `local` address is
//! not one a socket of the namespace can bind: no device holds it, or (IPv6) it is still
//! tentative (duplicate address detection) or failed it. The kernel refuses such a port with
//! ENODEV or EADDRNOTAVAIL; networkd, ifupdown or NetworkManager make the device or address
//! later in the boot.

use crate::maps::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use netlink_packet_route::link::LinkFlags;

use super::{DesiredPort, DesiredState};
use crate::addresses::address_of;
use crate::error::Result;
use crate::handle::Handle;
use crate::links::link_name;

/// What ports of the namespace can be bound to now.
#[derive(Debug, Clone, Default)]
pub struct Bindable {
    /// The names of the namespace's devices.
    pub devices: HashSet<String>,
    /// The addresses a socket can bind: held by a device and, for IPv6, past duplicate
    /// address detection (or optimistic).
    pub addresses: HashSet<IpAddr>,
    /// The IPv4 prefixes of the addresses on loopback devices: the kernel makes every address
    /// of such a prefix local (`127.0.0.2` is bindable when `lo` holds `127.0.0.1/8`).
    pub loopback_prefixes: Vec<(Ipv4Addr, u8)>,
}

impl Bindable {
    /// Whether a socket can bind `address` now. The unspecified address (`0.0.0.0`, `::`)
    /// always: the kernel makes such a port unbound.
    pub fn has_address(&self, address: IpAddr) -> bool {
        if address.is_unspecified() || self.addresses.contains(&address) {
            return true;
        }
        let IpAddr::V4(a) = address else {
            return false;
        };
        self.loopback_prefixes
            .iter()
            .any(|&(net, len)| prefix_bits(a, len) == prefix_bits(net, len))
    }
}

fn prefix_bits(a: Ipv4Addr, len: u8) -> u32 {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    u32::from(a) & mask
}

/// Why a port is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its `dev` does not exist.
    NoDevice,
    /// Its `local` address cannot be bound.
    NoAddress,
}

/// A `[[port]]` left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    /// The entry of the file.
    pub port: DesiredPort,
    /// Why it cannot be made yet.
    pub reason: Reason,
}

impl Deferred {
    /// `FILE:LINE: port 5555 local 10.0.0.1: deferred: the address is not on this host yet`.
    /// `place` says where the address or device is missing (`on this host`, `in namespace
    /// "blue"`).
    pub fn message(&self, file: &str, place: &str) -> String {
        let p = &self.port;
        let mut what = format!("port {}", p.port.port);
        if let Some(local) = p.port.local {
            what += &format!(" local {local}");
        }
        if let Some(dev) = &p.dev {
            what += &format!(" dev {dev}");
        }
        let why = match self.reason {
            Reason::NoDevice => "the device",
            Reason::NoAddress => "the address",
        };
        format!(
            "{file}:{}: {what}: deferred: {why} is not {place} yet",
            p.line
        )
    }
}

/// Takes out of `desired` the ports that cannot be bound now (their device first, then their
/// address), and returns them in file order. Everything else stays as it was.
pub fn defer_bound(desired: &mut DesiredState, bindable: &Bindable) -> Vec<Deferred> {
    let mut deferred = Vec::new();
    desired.ports.retain(|p| {
        let reason = if p
            .dev
            .as_ref()
            .is_some_and(|d| !bindable.devices.contains(d))
        {
            Some(Reason::NoDevice)
        } else if p.port.local.is_some_and(|a| !bindable.has_address(a)) {
            Some(Reason::NoAddress)
        } else {
            None
        };
        match reason {
            Some(reason) => {
                deferred.push(Deferred {
                    port: p.clone(),
                    reason,
                });
                false
            }
            None => true,
        }
    });
    deferred
}

/// Whether a socket can bind an address with these flags: not while it is tentative (unless
/// optimistic), never once duplicate address detection failed.
fn usable(flags: AddressFlags) -> bool {
    !flags.contains(AddressFlags::Dadfailed)
        && (!flags.contains(AddressFlags::Tentative) || flags.contains(AddressFlags::Optimistic))
}

/// The flags of an address: the 32-bit attribute where the kernel sends it, else the header's.
fn flags_of(message: &AddressMessage) -> AddressFlags {
    message
        .attributes
        .iter()
        .find_map(|a| match a {
            AddressAttribute::Flags(f) => Some(*f),
            _ => None,
        })
        .unwrap_or_else(|| {
            let h = message.header.flags;
            let mut f = AddressFlags::empty();
            for (bit, flag) in [
                (AddressHeaderFlags::Tentative, AddressFlags::Tentative),
                (AddressHeaderFlags::Optimistic, AddressFlags::Optimistic),
                (AddressHeaderFlags::Dadfailed, AddressFlags::Dadfailed),
            ] {
                if h.contains(bit) {
                    f |= flag;
                }
            }
            f
        })
}

impl Handle {
    /// The devices and bindable addresses of the namespace: a link dump and an address dump
    /// (RTM_GETADDR, both families).
    pub fn bindable(&mut self) -> Result<Bindable> {
        let links = self.links()?;
        let loopbacks: HashSet<u32> = links
            .iter()
            .filter(|l| l.header.flags.contains(LinkFlags::Loopback))
            .map(|l| l.header.index)
            .collect();
        let mut bindable = Bindable {
            devices: links
                .iter()
                .filter_map(|l| link_name(l).map(str::to_string))
                .collect(),
            ..Bindable::default()
        };
        for message in self.addresses()? {
            let Some(address) = address_of(&message) else {
                continue;
            };
            if !usable(flags_of(&message)) {
                continue;
            }
            if let IpAddr::V4(a) = address {
                if loopbacks.contains(&message.header.index) {
                    bindable
                        .loopback_prefixes
                        .push((a, message.header.prefix_len));
                }
            }
            bindable.addresses.insert(address);
        }
        Ok(bindable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> DesiredState {
        super::super::file::parse("b.toml", text).expect("a valid file")
    }

    const PORTS: &str = r#"
[[port]]
port = 5555
ipproto = 4
local = "10.0.0.1"

[[port]]
port = 5556
ipproto = 4
local = "10.0.0.2"
dev = "eth1"

[[port]]
port = 5557
gue = true

[[port]]
port = 5558
gue = true
family = "inet6"
local = "2001:db8::1"
"#;

    fn bindable(addresses: &[&str], devices: &[&str]) -> Bindable {
        Bindable {
            devices: devices.iter().map(|d| d.to_string()).collect(),
            addresses: addresses
                .iter()
                .map(|a| a.parse().expect("an address"))
                .collect(),
            loopback_prefixes: vec![("127.0.0.1".parse().expect("v4"), 8)],
        }
    }

    fn numbers(ports: &[DesiredPort]) -> Vec<u16> {
        ports.iter().map(|p| p.port.port).collect()
    }

    #[test]
    fn ports_without_their_address_or_device_are_left_out_in_file_order() {
        let mut desired = file(PORTS);
        let deferred = defer_bound(&mut desired, &bindable(&[], &["lo", "eth0"]));
        assert_eq!(numbers(&desired.ports), [5557]);
        let got: Vec<(u16, Reason)> = deferred
            .iter()
            .map(|d| (d.port.port.port, d.reason.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (5555, Reason::NoAddress),
                (5556, Reason::NoDevice),
                (5558, Reason::NoAddress)
            ]
        );
        assert_eq!(
            deferred[0].message("b.toml", "on this host"),
            "b.toml:2: port 5555 local 10.0.0.1: deferred: the address is not on this host yet"
        );
        assert_eq!(
            deferred[1].message("b.toml", "in namespace \"blue\""),
            "b.toml:7: port 5556 local 10.0.0.2 dev eth1: deferred: the device is not in namespace \"blue\" yet"
        );
    }

    #[test]
    fn ports_whose_address_and_device_exist_stay() {
        let mut desired = file(PORTS);
        let all = file(PORTS);
        let deferred = defer_bound(
            &mut desired,
            &bindable(&["10.0.0.1", "10.0.0.2", "2001:db8::1"], &["eth1"]),
        );
        assert!(deferred.is_empty(), "{deferred:?}");
        assert_eq!(desired, all);
    }

    #[test]
    fn a_device_that_exists_without_the_address_defers_for_the_address() {
        let mut desired = file(PORTS);
        let deferred = defer_bound(&mut desired, &bindable(&["10.0.0.1"], &["eth1"]));
        assert_eq!(numbers(&desired.ports), [5555, 5557]);
        assert_eq!(deferred[0].reason, Reason::NoAddress);
        assert_eq!(deferred[0].port.port.port, 5556);
    }

    #[test]
    fn tunnels_are_never_left_out() {
        let text =
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nlocal = \"10.0.0.9\"\ndev = \"eth9\"\n";
        let mut desired = file(text);
        assert!(defer_bound(&mut desired, &bindable(&[], &[])).is_empty());
        assert_eq!(desired, file(text));
    }

    #[test]
    fn loopback_prefixes_are_local_whole() {
        let b = bindable(&["127.0.0.1"], &["lo"]);
        assert!(b.has_address("127.0.0.2".parse().unwrap()));
        assert!(b.has_address("127.255.255.254".parse().unwrap()));
        assert!(!b.has_address("128.0.0.1".parse().unwrap()));
        assert!(b.has_address("::".parse().unwrap()));
        assert!(!b.has_address("::1".parse().unwrap()));
        let none = Bindable::default();
        assert!(!none.has_address("127.0.0.1".parse().unwrap()));
        assert!(none.has_address("0.0.0.0".parse().unwrap()));
    }

    #[test]
    fn tentative_addresses_cannot_be_bound_optimistic_ones_can() {
        assert!(usable(AddressFlags::Permanent));
        assert!(usable(AddressFlags::Nodad));
        assert!(!usable(AddressFlags::Tentative));
        assert!(usable(AddressFlags::Tentative | AddressFlags::Optimistic));
        assert!(!usable(AddressFlags::Dadfailed));
        let mut m = AddressMessage::default();
        m.header.flags = AddressHeaderFlags::Tentative;
        assert!(!usable(flags_of(&m)));
        m.attributes
            .push(AddressAttribute::Flags(AddressFlags::Permanent));
        assert!(usable(flags_of(&m)));
    }
}
