//! The wire form of the fou family (`include/uapi/linux/fou.h`): one encoder
//! ([`PortRequest`]) for every request rfou sends, and one decoder ([`decode_port`]) for
//! every port the kernel describes. Ports travel big-endian, the interface index as a full
//! 32 bits in host order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{DecodeError, Emitable};
use netlink_packet_generic::constants::GENL_HDRLEN;
use netlink_packet_generic::GenlFamily;
use rfou_uapi::fou as uapi;

use super::{Family, FouEncap, FouPort};
use crate::sys::attrs::{attr_len, attrs, write_attr};

/// Calls `f` with the type and value of each attribute of a `cmd` request about `port`, in
/// the order they are sent: those that name its socket (all add binds, and del and get
/// match), then, for add, its encapsulation.
fn each_attr(cmd: u8, port: &FouPort, mut f: impl FnMut(u16, &[u8])) {
    f(uapi::FOU_ATTR_PORT, &port.port.to_be_bytes());
    f(uapi::FOU_ATTR_AF, &[port.family.af()]);
    match port.local {
        Some(IpAddr::V4(a)) => f(uapi::FOU_ATTR_LOCAL_V4, &a.octets()),
        Some(IpAddr::V6(a)) => f(uapi::FOU_ATTR_LOCAL_V6, &a.octets()),
        None => {}
    }
    match port.peer {
        Some(IpAddr::V4(a)) => f(uapi::FOU_ATTR_PEER_V4, &a.octets()),
        Some(IpAddr::V6(a)) => f(uapi::FOU_ATTR_PEER_V6, &a.octets()),
        None => {}
    }
    if let Some(p) = port.peer_port {
        f(uapi::FOU_ATTR_PEER_PORT, &p.to_be_bytes());
    }
    if let Some(i) = port.ifindex {
        // FOU_ATTR_IFINDEX is an s32: an index's 32 bits as they are.
        f(uapi::FOU_ATTR_IFINDEX, &i.to_ne_bytes());
    }
    if cmd != uapi::FOU_CMD_ADD {
        return;
    }
    match port.encap {
        FouEncap::Direct { ipproto } => {
            f(uapi::FOU_ATTR_TYPE, &[uapi::FOU_ENCAP_DIRECT]);
            f(uapi::FOU_ATTR_IPPROTO, &[ipproto]);
        }
        // GUE reads the protocol from each packet: no IPPROTO at all (an IPPROTO of 0 is
        // refused by newer kernels).
        FouEncap::Gue => f(uapi::FOU_ATTR_TYPE, &[uapi::FOU_ENCAP_GUE]),
    }
    if port.remcsum_nopartial {
        f(uapi::FOU_ATTR_REMCSUM_NOPARTIAL, &[]);
    }
}

/// A request of the fou family: a command and the port it is about (none for a dump),
/// encoded straight from the port.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PortRequest<'a> {
    cmd: u8,
    port: Option<&'a FouPort>,
    /// The attributes' length, padding included: asked for more than once per request.
    len: usize,
}

impl<'a> PortRequest<'a> {
    fn about(cmd: u8, port: &'a FouPort) -> Self {
        let mut len = 0;
        each_attr(cmd, port, |_, value| len += attr_len(value.len()));
        PortRequest {
            cmd,
            port: Some(port),
            len,
        }
    }

    /// `FOU_CMD_ADD` for `port`.
    pub(crate) fn add(port: &'a FouPort) -> Self {
        Self::about(uapi::FOU_CMD_ADD, port)
    }

    /// `FOU_CMD_DEL` of the socket `port` names (the kernel matches every socket attribute).
    pub(crate) fn del(port: &'a FouPort) -> Self {
        Self::about(uapi::FOU_CMD_DEL, port)
    }

    /// `FOU_CMD_GET` of one socket (a "do", not a dump).
    pub(crate) fn get(port: &'a FouPort) -> Self {
        Self::about(uapi::FOU_CMD_GET, port)
    }

    /// `FOU_CMD_GET` with no attributes, to send as a dump.
    pub(crate) fn dump() -> Self {
        PortRequest {
            cmd: uapi::FOU_CMD_GET,
            port: None,
            len: 0,
        }
    }
}

impl GenlFamily for PortRequest<'_> {
    fn family_name() -> &'static str {
        uapi::FOU_GENL_NAME
    }

    fn command(&self) -> u8 {
        self.cmd
    }

    fn version(&self) -> u8 {
        uapi::FOU_GENL_VERSION
    }
}

impl Emitable for PortRequest<'_> {
    fn buffer_len(&self) -> usize {
        self.len
    }

    fn emit(&self, buffer: &mut [u8]) {
        let Some(port) = self.port else { return };
        let mut at = 0;
        each_attr(self.cmd, port, |kind, value| {
            at += write_attr(&mut buffer[at..], kind, value);
        });
    }
}

fn fixed<const N: usize>(value: &[u8], what: &str) -> Result<[u8; N], DecodeError> {
    value
        .get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            DecodeError::from(format!("{what}: expected {N} bytes, got {}", value.len()))
        })
}

/// The port a fou reply describes, read from the message's payload as the kernel sent it:
/// the generic-netlink header, then the attributes. The kernel sends every attribute, with
/// zeroes for the unset ones; those read as `None`. Attributes this version does not know
/// are left unread.
pub(crate) fn decode_port(payload: &[u8]) -> Result<FouPort, DecodeError> {
    let body = payload
        .get(GENL_HDRLEN..)
        .ok_or_else(|| DecodeError::from("fou reply shorter than its generic-netlink header"))?;
    let mut port = None;
    let mut decoded = FouPort::direct(0, 0);
    let (mut inet6, mut gue, mut ipproto) = (false, false, 0);
    for attr in attrs(body) {
        let (kind, v) =
            attr.map_err(|overrun| DecodeError::from(format!("fou reply: {overrun}")))?;
        match kind {
            uapi::FOU_ATTR_PORT => port = Some(u16::from_be_bytes(fixed(v, "FOU_ATTR_PORT")?)),
            uapi::FOU_ATTR_AF => inet6 = fixed::<1>(v, "FOU_ATTR_AF")?[0] == libc::AF_INET6 as u8,
            uapi::FOU_ATTR_IPPROTO => ipproto = fixed::<1>(v, "FOU_ATTR_IPPROTO")?[0],
            uapi::FOU_ATTR_TYPE => gue = fixed::<1>(v, "FOU_ATTR_TYPE")?[0] == uapi::FOU_ENCAP_GUE,
            uapi::FOU_ATTR_REMCSUM_NOPARTIAL => decoded.remcsum_nopartial = true,
            uapi::FOU_ATTR_LOCAL_V4 => {
                decoded.local = specified(Ipv4Addr::from(fixed::<4>(v, "FOU_ATTR_LOCAL_V4")?))
            }
            uapi::FOU_ATTR_LOCAL_V6 => {
                decoded.local = specified(Ipv6Addr::from(fixed::<16>(v, "FOU_ATTR_LOCAL_V6")?))
            }
            uapi::FOU_ATTR_PEER_V4 => {
                decoded.peer = specified(Ipv4Addr::from(fixed::<4>(v, "FOU_ATTR_PEER_V4")?))
            }
            uapi::FOU_ATTR_PEER_V6 => {
                decoded.peer = specified(Ipv6Addr::from(fixed::<16>(v, "FOU_ATTR_PEER_V6")?))
            }
            uapi::FOU_ATTR_PEER_PORT => {
                let p = u16::from_be_bytes(fixed(v, "FOU_ATTR_PEER_PORT")?);
                decoded.peer_port = (p != 0).then_some(p);
            }
            uapi::FOU_ATTR_IFINDEX => {
                let i = u32::from_ne_bytes(fixed(v, "FOU_ATTR_IFINDEX")?);
                decoded.ifindex = (i != 0).then_some(i);
            }
            _ => {}
        }
    }
    decoded.port = port.ok_or_else(|| DecodeError::from("fou reply without FOU_ATTR_PORT"))?;
    decoded.family = if inet6 { Family::Inet6 } else { Family::Inet };
    decoded.encap = if gue {
        FouEncap::Gue
    } else {
        FouEncap::Direct { ipproto }
    };
    Ok(decoded)
}

/// `addr`, unless it is the wildcard (the kernel's "unset").
fn specified(addr: impl Into<IpAddr>) -> Option<IpAddr> {
    let addr = addr.into();
    (!addr.is_unspecified()).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payload of a reply describing `port`: a generic-netlink header, then the
    /// attributes of an add (every attribute a reply has).
    fn reply(port: &FouPort) -> Vec<u8> {
        let request = PortRequest::add(port);
        let mut payload = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        let start = payload.len();
        payload.resize(start + request.buffer_len(), 0xaa);
        request.emit(&mut payload[start..]);
        payload
    }

    #[test]
    fn a_port_decodes_to_what_was_encoded() {
        let mut bound = FouPort::direct(5555, 4).with_peer("2001:db8::2".parse().unwrap(), Some(6));
        bound.local = Some("2001:db8::1".parse().unwrap());
        bound.ifindex = Some(u32::MAX - 1);
        bound.remcsum_nopartial = true;
        for port in [bound, FouPort::gue(7), FouPort::direct(8, 47).ipv6()] {
            assert_eq!(decode_port(&reply(&port)).unwrap(), port);
        }
    }

    #[test]
    fn unknown_attributes_and_flag_bits_are_skipped_and_overruns_refused() {
        assert!(decode_port(&[1, 1]).is_err());
        assert!(decode_port(&[1, 1, 0, 0]).is_err(), "no FOU_ATTR_PORT");
        // An attribute this version does not know (type 99, 5 bytes, padded) is skipped; so
        // are the flag bits of a type.
        let mut payload = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        payload.extend_from_slice(&[9, 0, 99, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
        payload.extend_from_slice(&[6, 0, 1, 0x40, 0x15, 0xb3, 0, 0]); // PORT | NET_BYTEORDER
        payload.extend_from_slice(&[5, 0, 3, 0, 4, 0, 0, 0]); // IPPROTO 4
        assert_eq!(decode_port(&payload).unwrap(), FouPort::direct(5555, 4));
        // An attribute longer than what is left, or shorter than its own header, is an error.
        let mut long = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        long.extend_from_slice(&[12, 0, 1, 0, 0x15, 0xb3, 0, 0]);
        assert!(decode_port(&long).is_err());
        let mut short = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        short.extend_from_slice(&[2, 0, 1, 0, 0x15, 0xb3, 0, 0]);
        assert!(decode_port(&short).is_err());
        // A value of the wrong size is an error, not a guess.
        let mut odd = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        odd.extend_from_slice(&[5, 0, 1, 0, 0x15, 0, 0, 0]);
        assert!(decode_port(&odd).is_err());
    }

    #[test]
    fn a_dump_request_has_no_attributes() {
        let dump = PortRequest::dump();
        assert_eq!(dump.buffer_len(), 0);
        assert_eq!(dump.command(), uapi::FOU_CMD_GET);
    }
}
