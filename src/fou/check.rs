//! What the kernel would refuse of a receive port, refused before anything is sent.

use std::net::IpAddr;

use super::{Family, FouEncap, FouPort};
use crate::error::{Error, Result};

/// What the kernel would refuse anyway, refused before anything is sent: for any port
/// operation (add, delete, get).
pub fn validate(port: &FouPort) -> Result<()> {
    validate_socket(port, port.ifindex.is_some())
}

/// [`validate`] for a port to add: also `dev` without `local`, which the kernel refuses, and
/// a direct port of IP protocol 0, which kernels with the fix for CVE-2026-23083 refuse
/// (older ones made a port that decapsulates to nothing).
pub fn validate_add(port: &FouPort) -> Result<()> {
    validate(port)?;
    if port.encap == (FouEncap::Direct { ipproto: 0 }) {
        return Err(Error::invalid(format!(
            "port {}: ipproto 0 is not a protocol a fou port can carry (use 1..255, or GUE)",
            port.port
        )));
    }
    check_dev_needs_local(port, port.ifindex.is_some())
}

/// The kernel binds a port to a device only together with a local address (EINVAL).
pub(crate) fn check_dev_needs_local(port: &FouPort, has_dev: bool) -> Result<()> {
    if has_dev && port.local.is_none() {
        return Err(Error::invalid(format!(
            "port {}: dev needs local: the kernel binds a fou port to a device only together \
             with a local address",
            port.port
        )));
    }
    Ok(())
}

/// [`validate`] before the device is looked up: `has_dev` says whether `dev` was given.
pub(crate) fn validate_socket(port: &FouPort, has_dev: bool) -> Result<()> {
    if port.port == 0 {
        return Err(Error::invalid("port 0 is not a port: use 1..65535"));
    }
    for (word, addr) in [("local", port.local), ("peer", port.peer)] {
        let Some(addr) = addr else { continue };
        if Family::of(&addr) != port.family {
            return Err(Error::invalid(format!(
                "{word} {addr} is not an {} address, but the port is {}",
                if port.family == Family::Inet {
                    "IPv4"
                } else {
                    "IPv6"
                },
                if port.family == Family::Inet {
                    "IPv4 (add -6 for IPv6)"
                } else {
                    "IPv6 (-6)"
                }
            )));
        }
        let IpAddr::V6(v6) = addr else { continue };
        if let Some(v4) = v6.to_ipv4_mapped() {
            return Err(Error::invalid(format!(
                "{word} {addr} is an IPv4-mapped address: the socket of an IPv6 fou port is \
                 IPv6-only and cannot use it; for an IPv4 port say {word} {v4} (without -6)"
            )));
        }
        // fe80::/10: meaningful only on one link.
        if v6.segments()[0] & 0xffc0 == 0xfe80 && !has_dev {
            return Err(Error::invalid(format!(
                "{word} {addr} is a link-local address: say on which device, with dev IFNAME"
            )));
        }
    }
    match (port.peer.is_some(), port.peer_port.is_some()) {
        (true, false) => {
            return Err(Error::invalid(
                "peer needs peer_port: both peer and peer port must be set (the kernel connects \
                 the port's socket to the pair)",
            ))
        }
        (false, true) => {
            return Err(Error::invalid(
                "peer_port needs peer: both peer and peer port must be set (a peer port without \
                 a peer address means nothing)",
            ))
        }
        _ => {}
    }
    if port.peer_port == Some(0) {
        return Err(Error::invalid("peer_port 0 is not a port: use 1..65535"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn ipproto_0_is_refused_before_an_add_is_sent() {
        let err = validate_add(&FouPort::direct(5555, 0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("ipproto 0"), "{err}");
        validate_add(&FouPort::direct(5555, 4)).unwrap();
        validate_add(&FouPort::gue(5555)).unwrap();
        // A port the kernel lists with ipproto 0 (made before the fix) can still be deleted.
        validate(&FouPort::direct(5555, 0)).unwrap();
    }
}
