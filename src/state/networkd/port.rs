//! A `Kind=fou` netdev's `[FooOverUDP]` section as a `[[port]]`: what systemd-networkd 252
//! asks the kernel for. It always asks for an IPv4 port (`FOU_ATTR_AF` inet), so the kernel
//! leaves out an IPv6 `Local=` or `Peer=` (and the `PeerPort=` that goes with a peer); it
//! never binds a port to a device.

use std::net::IpAddr;

use super::ini::Assignment;
use super::source::{last, Source};
use crate::error::Result;
use crate::fou::PortSpec;
use crate::state::DesiredPort;
use crate::values::{self, Input};

pub(super) const KEYS: &[&str] = &[
    "Protocol",
    "Encapsulation",
    "Port",
    "PeerPort",
    "Local",
    "Peer",
];

/// The protocol names networkd 252 takes in `Protocol=`: glibc's `IPPROTO_*` names, in any
/// letter case. A number is taken only where one of these names it.
const IPPROTO_NAMES: &[(&str, u16)] = &[
    ("hopopts", 0),
    ("ip", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ipip", 4),
    ("tcp", 6),
    ("egp", 8),
    ("pup", 12),
    ("udp", 17),
    ("idp", 22),
    ("tp", 29),
    ("dccp", 33),
    ("ipv6", 41),
    ("routing", 43),
    ("fragment", 44),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmpv6", 58),
    ("none", 59),
    ("dstopts", 60),
    ("mtp", 92),
    ("beetph", 94),
    ("encap", 98),
    ("pim", 103),
    ("comp", 108),
    ("sctp", 132),
    ("mh", 135),
    ("udplite", 136),
    ("mpls", 137),
    ("ethernet", 143),
    ("raw", 255),
    ("mptcp", 262),
];

/// The protocol number of `Protocol=`, as networkd reads it; 0 where it leaves it unset.
fn protocol(source: &Source, a: &Assignment) -> Result<u8> {
    let number = match IPPROTO_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&a.value))
    {
        Some((_, n)) => *n,
        None => {
            let n =
                values::number_in(&a.value, "Protocol=", 1..=255).map_err(|e| source.bad(a, e))?;
            if !IPPROTO_NAMES.iter().any(|(_, p)| u64::from(*p) == n) {
                return Err(source.bad(
                    a,
                    "networkd 252 takes only the numbers of protocols it has a name for, and \
                     leaves this one unset (then refuses the port): use a name it knows, or rfou add",
                ));
            }
            n as u16
        }
    };
    u8::try_from(number)
        .map_err(|_| source.bad(a, "out of range: a fou port carries a protocol of 1..255"))
}

/// Reads `[FooOverUDP]`.
pub(super) fn read(source: &mut Source, name: &Assignment) -> Result<DesiredPort> {
    let section = source.section("FooOverUDP");
    source.unknown_keys("FooOverUDP", &section, KEYS);
    let get = |key| last(&section, key);
    let gue = match get("Encapsulation") {
        None => false,
        Some(a) => match a.value.as_str() {
            "FooOverUDP" => false,
            "GenericUDPEncapsulation" => true,
            _ => {
                return Err(source.bad(
                    a,
                    "not an encapsulation: use FooOverUDP or GenericUDPEncapsulation",
                ))
            }
        },
    };
    let mut spec = PortSpec::default();
    spec.set("family", Input::Word("inet"))?;
    let Some(port) = get("Port") else {
        return Err(source.bad(
            name,
            "no Port= in [FooOverUDP]: networkd would ask for port 0, which is no port",
        ));
    };
    spec.set("port", Input::Word(&port.value))
        .map_err(|e| source.bad(port, e))?;
    let proto = match get("Protocol") {
        Some(a) => protocol(source, a)?,
        None => 0,
    };
    match (gue, proto, get("Protocol")) {
        (true, 0, _) => spec.set("gue", Input::Flag(true))?,
        (true, _, Some(a)) => {
            return Err(source.bad(
                a,
                "a GenericUDPEncapsulation port takes no Protocol=: networkd refuses it",
            ))
        }
        (false, 0, _) => {
            return Err(source.bad(
                get("Protocol").unwrap_or(name),
                "a FooOverUDP port needs Protocol= (1..255 or a name): networkd refuses it",
            ))
        }
        (_, p, _) => spec
            .set("ipproto", Input::Number(p.into()))
            .map_err(|e| source.bad(get("Protocol").unwrap_or(name), e))?,
    }
    let address = |a: &Assignment| values::address(&a.value, &a.key).map_err(|e| source.bad(a, e));
    let local = get("Local")
        .map(|a| Ok::<_, crate::Error>((a, address(a)?)))
        .transpose()?;
    let peer = get("Peer")
        .map(|a| Ok::<_, crate::Error>((a, address(a)?)))
        .transpose()?;
    let peer_port = get("PeerPort");
    // networkd refuses a peer without a peer port, and a peer port without a peer.
    match (peer, peer_port) {
        (Some((a, _)), None) => {
            return Err(source.bad(a, "a Peer= needs PeerPort=: networkd refuses the port"))
        }
        (None, Some(a)) => {
            return Err(source.bad(a, "a PeerPort= needs Peer=: networkd refuses the port"))
        }
        _ => {}
    }
    let v6 = |addr: &IpAddr| addr.is_ipv6();
    if let Some((a, addr)) = local {
        if v6(&addr) {
            source.note(a, "networkd 252 asks for an IPv4 port, and the kernel leaves an IPv6 address out: imported as the unbound port networkd makes");
        } else if !addr.is_unspecified() {
            // 0.0.0.0 binds nothing: the kernel makes the port unbound, as without local.
            spec.set("local", Input::Word(&a.value))
                .map_err(|e| source.bad(a, e))?;
        }
    }
    if let (Some((a, addr)), Some(port_a)) = (peer, peer_port) {
        if v6(&addr) {
            source.note(a, "networkd 252 asks for an IPv4 port, and the kernel leaves an IPv6 address (and its PeerPort=) out: imported as the port networkd makes");
        } else {
            spec.set("peer", Input::Word(&a.value))
                .map_err(|e| source.bad(a, e))?;
            spec.set("peer_port", Input::Word(&port_a.value))
                .map_err(|e| source.bad(port_a, e))?;
        }
    }
    let (port, dev) = spec.to_add().map_err(|e| source.bad(name, e))?;
    Ok(DesiredPort {
        port,
        dev,
        line: name.line,
    })
}
