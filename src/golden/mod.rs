//! Golden vectors: the exact bytes of every request rfou sends, and the decoding of replies
//! laid out as the kernel lays them out (`fou_fill_info` in net/ipv4/fou_core.c; the
//! rtnetlink fill_info of each tunnel kind). Ports must travel big-endian: 5555 is 15 b3.
//!
//! Here the fou family's requests and replies; in `link.rs` the link requests (tunnels made,
//! changed, deleted, a device set up, a group delete); in `reads.rs` the reads (the family
//! lookup, links, addresses, routes, socket diagnostics).

mod link;
mod reads;

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_generic::GenlMessage;

use crate::fou::wire::{decode_port, PortRequest};
use crate::sys::encode::{encode, encode_window};
use crate::{Family, FouEncap, FouPort};

const FOU_FAMILY: u16 = 0x1c;

fn fou_request(request: PortRequest, flags: u16) -> Vec<u8> {
    let mut message = GenlMessage::from_payload(request);
    message.set_resolved_family_id(FOU_FAMILY);
    encode(message, flags, 1)
}

fn fou_add_request(port: &FouPort, flags: u16) -> Vec<u8> {
    fou_request(PortRequest::add(port), flags)
}

/// nlmsghdr (native endian, as the kernel reads it on this host) for a message of `len` bytes.
fn header(len: u32, kind: u16, flags: u16, seq: u32) -> Vec<u8> {
    let mut out = len.to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out
}

/// One attribute: length and type in native order, the value as given, padded to 4.
fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut out = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

fn genl(cmd: u8, attrs: &[Vec<u8>], flags: u16) -> Vec<u8> {
    genl_seq(cmd, attrs, flags, 1)
}

fn genl_seq(cmd: u8, attrs: &[Vec<u8>], flags: u16, seq: u32) -> Vec<u8> {
    let body: Vec<u8> = attrs.concat();
    let mut out = header(16 + 4 + body.len() as u32, FOU_FAMILY, flags, seq);
    out.extend_from_slice(&[cmd, 1, 0, 0]);
    out.extend(body);
    out
}

const REQ_ACK: u16 = NLM_F_REQUEST | NLM_F_ACK;

#[test]
fn fou_add_direct_ipip_on_5555() {
    let bytes = fou_add_request(&FouPort::direct(5555, 4), NLM_F_ACK);
    let expected = genl(
        1, // FOU_CMD_ADD
        &[
            attr(1, &[0x15, 0xb3]), // FOU_ATTR_PORT, big-endian
            attr(2, &[2]),          // FOU_ATTR_AF = AF_INET, u8
            attr(4, &[1]),          // FOU_ATTR_TYPE = FOU_ENCAP_DIRECT
            attr(3, &[4]),          // FOU_ATTR_IPPROTO = 4
        ],
        REQ_ACK,
    );
    assert_eq!(bytes, expected);
}

/// A window of a batch's port adds: the requests back to back in one buffer, numbered on, and
/// only the last asks for an ack (the kernel answers failures unasked).
#[test]
fn window_of_port_adds_asks_one_ack_at_its_end() {
    let ports = [5555u16, 5556, 5557].map(|port| FouPort::direct(port, 4));
    let requests = ports.iter().map(|port| {
        let mut request = GenlMessage::from_payload(PortRequest::add(port));
        request.set_resolved_family_id(FOU_FAMILY);
        request
    });
    let bytes = encode_window(requests, NLM_F_REQUEST, 41);
    let add = |port: [u8; 2], flags, seq| {
        genl_seq(
            1,
            &[attr(1, &port), attr(2, &[2]), attr(4, &[1]), attr(3, &[4])],
            flags,
            seq,
        )
    };
    let expected = [
        add([0x15, 0xb3], NLM_F_REQUEST, 41),
        add([0x15, 0xb4], NLM_F_REQUEST, 42),
        add([0x15, 0xb5], REQ_ACK, 43),
    ]
    .concat();
    assert_eq!(bytes, expected);
}

#[test]
fn fou_add_gue_sends_no_ipproto_at_all() {
    let bytes = fou_add_request(&FouPort::gue(6080), NLM_F_ACK);
    let expected = genl(
        1,
        &[attr(1, &[0x17, 0xc0]), attr(2, &[2]), attr(4, &[2])],
        REQ_ACK,
    );
    assert_eq!(bytes, expected);
}

#[test]
fn fou_add_bound_v4_with_peer_dev_and_remcsum() {
    let mut port = FouPort::direct(5558, 47)
        .with_local("10.0.0.1".parse().unwrap())
        .with_peer("10.0.0.2".parse().unwrap(), Some(7777));
    port.ifindex = Some(0x0001_0203); // a 32-bit index: all four bytes matter
    port.remcsum_nopartial = true;
    let bytes = fou_add_request(&port, NLM_F_ACK);
    let expected = genl(
        1,
        &[
            attr(1, &[0x15, 0xb6]),
            attr(2, &[2]),
            attr(6, &[10, 0, 0, 1]),                 // FOU_ATTR_LOCAL_V4
            attr(8, &[10, 0, 0, 2]),                 // FOU_ATTR_PEER_V4
            attr(10, &[0x1e, 0x61]),                 // FOU_ATTR_PEER_PORT 7777, big-endian
            attr(11, &0x0001_0203u32.to_ne_bytes()), // FOU_ATTR_IFINDEX, s32
            attr(4, &[1]),
            attr(3, &[47]),
            attr(5, &[]), // FOU_ATTR_REMCSUM_NOPARTIAL, a flag
        ],
        REQ_ACK,
    );
    assert_eq!(bytes, expected);
}

#[test]
fn fou_del_and_get_name_the_socket_only_v6() {
    let port = FouPort::direct(5557, 41).with_local("fd00::1".parse().unwrap());
    let mut local = [0u8; 16];
    local[0] = 0xfd;
    local[15] = 1;
    let socket = [attr(1, &[0x15, 0xb5]), attr(2, &[10]), attr(7, &local)];
    assert_eq!(
        fou_request(PortRequest::del(&port), NLM_F_ACK),
        genl(2, &socket, REQ_ACK)
    );
    assert_eq!(
        fou_request(PortRequest::get(&port), NLM_F_ACK),
        genl(3, &socket, REQ_ACK)
    );
}

#[test]
fn fou_dump_is_a_bare_get() {
    let bytes = fou_request(PortRequest::dump(), NLM_F_DUMP);
    assert_eq!(bytes, genl(3, &[], NLM_F_REQUEST | NLM_F_DUMP));
}

/// A reply entry of the dump, as the kernel sends it.
#[derive(Clone, Copy)]
struct Entry<'a> {
    af: u8,
    port: u16,
    peer_port: u16,
    proto: u8,
    kind: u8,
    ifindex: i32,
    local: &'a [u8],
    peer: &'a [u8],
}

impl Entry<'_> {
    /// The kernel's order: AF, PORT, PEER_PORT, IPPROTO, TYPE, IFINDEX, [REMCSUM_NOPARTIAL],
    /// LOCAL, PEER; unset values as zeroes.
    fn bytes(&self) -> Vec<u8> {
        let (local_type, peer_type) = if self.af == 2 { (6, 8) } else { (7, 9) };
        let body = [
            attr(2, &[self.af]),
            attr(1, &self.port.to_be_bytes()),
            attr(10, &self.peer_port.to_be_bytes()),
            attr(3, &[self.proto]),
            attr(4, &[self.kind]),
            attr(11, &self.ifindex.to_ne_bytes()),
            attr(local_type, self.local),
            attr(peer_type, self.peer),
        ]
        .concat();
        let mut out = header(
            20 + body.len() as u32,
            FOU_FAMILY,
            2, /* NLM_F_MULTI */
            1,
        );
        out.extend_from_slice(&[3, 1, 0, 0]);
        out.extend(body);
        out
    }
}

/// The port a reply message describes, read as production reads it: the payload after
/// the netlink header.
fn decode(raw: &[u8]) -> FouPort {
    decode_port(&raw[16..]).unwrap()
}

#[test]
fn decodes_dump_entries_v4_v6_bound_and_gue() {
    let unbound = Entry {
        af: 2,
        port: 5555,
        peer_port: 0,
        proto: 4,
        kind: 1,
        ifindex: 0,
        local: &[0; 4],
        peer: &[0; 4],
    };
    let plain = decode(&unbound.bytes());
    assert_eq!(plain, FouPort::direct(5555, 4));

    let gue6 = decode(
        &Entry {
            af: 10,
            port: 6080,
            proto: 0,
            kind: 2,
            local: &[0; 16],
            peer: &[0; 16],
            ..unbound
        }
        .bytes(),
    );
    assert_eq!(gue6, FouPort::gue(6080).ipv6());

    let bound = Entry {
        port: 5558,
        peer_port: 7777,
        ifindex: 300,
        local: &[10, 0, 0, 1],
        peer: &[10, 0, 0, 2],
        ..unbound
    };
    let bound = decode(&bound.bytes());
    assert_eq!(bound.local, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(bound.peer, Some("10.0.0.2".parse().unwrap()));
    assert_eq!(bound.peer_port, Some(7777));
    assert_eq!(bound.ifindex, Some(300));
    assert_eq!(bound.family, Family::Inet);
    assert_eq!(bound.encap, FouEncap::Direct { ipproto: 4 });
}
