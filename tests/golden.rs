//! Golden vectors: the exact bytes of every request rfou sends, and the decoding of replies
//! laid out as the kernel lays them out (`fou_fill_info` in net/ipv4/fou_core.c; the
//! rtnetlink fill_info of each tunnel kind). Ports must travel big-endian: 5555 is 15 b3.

use netlink_packet_core::{
    NetlinkHeader, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_generic::GenlMessage;
use netlink_packet_route::link::InfoIpTunnel;
use rfou::fou::{FouAttr, FouMessage, PortRequest};
use rfou::netlink::{encode, encode_window};
use rfou::tunnel::link::{change_link_request, del_link_request, new_link_request};
use rfou::tunnel::{TunnelData, TunnelMode};
use rfou::{Encap, Family, FouEncap, FouPort, SourcePort, TunnelKind};

const FOU_FAMILY: u16 = 0x1c;

fn fou_request(message: FouMessage, flags: u16) -> Vec<u8> {
    let mut request = GenlMessage::from_payload(message);
    request.set_resolved_family_id(FOU_FAMILY);
    encode(request, flags, 1)
}

/// The add of `port`, as a single add sends it (a [`FouMessage`]) and as a batch does (a
/// [`PortRequest`], encoded from the port without a vector of attributes): the same bytes.
fn fou_add_request(port: &FouPort, flags: u16) -> Vec<u8> {
    let single = fou_request(FouMessage::add(port), flags);
    let mut request = GenlMessage::from_payload(PortRequest::add(port));
    request.set_resolved_family_id(FOU_FAMILY);
    assert_eq!(encode(request, flags, 1), single, "{port}");
    single
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
            attr(11, &0x0001_0203i32.to_ne_bytes()), // FOU_ATTR_IFINDEX, s32
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
        fou_request(FouMessage::del(&port), NLM_F_ACK),
        genl(2, &socket, REQ_ACK)
    );
    assert_eq!(
        fou_request(FouMessage::get(&port), NLM_F_ACK),
        genl(3, &socket, REQ_ACK)
    );
}

#[test]
fn fou_dump_is_a_bare_get() {
    let bytes = fou_request(FouMessage::dump(), NLM_F_DUMP);
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

fn decode(raw: &[u8]) -> FouPort {
    let mut header = NetlinkHeader::default();
    header.message_type = FOU_FAMILY;
    let message: GenlMessage<FouMessage> =
        netlink_packet_core::NetlinkDeserializable::deserialize(&header, &raw[16..]).unwrap();
    message.payload.to_port().unwrap()
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

#[test]
fn fou_attr_round_trip_keeps_unknown_attributes() {
    let message = FouMessage {
        cmd: 1,
        attrs: vec![
            FouAttr::Port(1),
            FouAttr::PeerPort(65535),
            FouAttr::Ifindex(-1),
        ],
    };
    let bytes = fou_request(message.clone(), NLM_F_ACK);
    let mut header = NetlinkHeader::default();
    header.message_type = FOU_FAMILY;
    let back: GenlMessage<FouMessage> =
        netlink_packet_core::NetlinkDeserializable::deserialize(&header, &bytes[16..]).unwrap();
    assert_eq!(back.payload, message);
}

// ---- rtnetlink -------------------------------------------------------------------------

const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;

fn ifinfomsg(index: u32) -> Vec<u8> {
    let mut out = vec![0, 0]; // family AF_UNSPEC, pad
    out.extend_from_slice(&0u16.to_ne_bytes()); // type
    out.extend_from_slice(&(index as i32).to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes()); // flags
    out.extend_from_slice(&0u32.to_ne_bytes()); // change
    out
}

fn link(kind_name: &str, index: u32, before: &[Vec<u8>], data: &[Vec<u8>], flags: u16) -> Vec<u8> {
    let mut name = kind_name.as_bytes().to_vec();
    name.push(0);
    let linkinfo = attr(18, &[attr(1, &name), attr(2, &data.concat())].concat()); // IFLA_LINKINFO
    let body = [ifinfomsg(index), before.concat(), linkinfo].concat();
    let mut out = header(16 + body.len() as u32, RTM_NEWLINK, flags, 1);
    out.extend(body);
    out
}

fn encap_data(kind: TunnelKind, encap: &Encap) -> TunnelData {
    let mut data = TunnelData::empty(kind);
    rfou::tunnel::link::write_encap(encap, &mut data);
    data
}

#[test]
fn ipip_encap_fou_5555_change_request() {
    let request = change_link_request(
        7,
        TunnelKind::Ipip,
        encap_data(TunnelKind::Ipip, &Encap::fou(5555)),
        None,
    );
    let expected = link(
        "ipip",
        7,
        &[],
        &[
            attr(15, &1u16.to_ne_bytes()), // IFLA_IPTUN_ENCAP_TYPE = TUNNEL_ENCAP_FOU, host order
            attr(16, &0u16.to_ne_bytes()), // IFLA_IPTUN_ENCAP_FLAGS
            attr(17, &[0, 0]),             // IFLA_IPTUN_ENCAP_SPORT: 0 = auto
            attr(18, &[0x15, 0xb3]),       // IFLA_IPTUN_ENCAP_DPORT 5555, big-endian
        ],
        REQ_ACK,
    );
    assert_eq!(encode(request, NLM_F_ACK, 1), expected);
}

#[test]
fn gre_encap_gue_with_fixed_sport_flags_and_mtu() {
    let encap = Encap {
        sport: SourcePort::Fixed(1234),
        csum: true,
        remcsum: true,
        ..Encap::gue(5556)
    };
    let request = change_link_request(
        9,
        TunnelKind::Gre,
        encap_data(TunnelKind::Gre, &encap),
        Some(1452),
    );
    let mut expected = link(
        "gre",
        9,
        &[],
        &[
            attr(14, &2u16.to_ne_bytes()),     // IFLA_GRE_ENCAP_TYPE = GUE
            attr(15, &0b101u16.to_ne_bytes()), // CSUM | REMCSUM
            attr(16, &[0x04, 0xd2]),           // IFLA_GRE_ENCAP_SPORT 1234, big-endian
            attr(17, &[0x15, 0xb4]),           // IFLA_GRE_ENCAP_DPORT 5556, big-endian
        ],
        REQ_ACK,
    );
    // IFLA_MTU comes after IFLA_LINKINFO.
    expected.extend(attr(4, &1452u32.to_ne_bytes()));
    let len = expected.len() as u32;
    expected[..4].copy_from_slice(&len.to_ne_bytes());
    assert_eq!(encode(request, NLM_F_ACK, 1), expected);
}

#[test]
fn ip6gre_and_gretap_use_the_gre_attributes() {
    for (kind, name) in [
        (TunnelKind::Ip6Gre, "ip6gre"),
        (TunnelKind::GreTap, "gretap"),
        (TunnelKind::Ip6GreTap, "ip6gretap"),
    ] {
        let request = change_link_request(3, kind, encap_data(kind, &Encap::fou(5555)), None);
        let expected = link(
            name,
            3,
            &[],
            &[
                attr(14, &1u16.to_ne_bytes()),
                attr(15, &0u16.to_ne_bytes()),
                attr(16, &[0, 0]),
                attr(17, &[0x15, 0xb3]),
            ],
            REQ_ACK,
        );
        assert_eq!(encode(request, NLM_F_ACK, 1), expected, "{name}");
    }
}

#[test]
fn sit_and_ip6tnl_use_the_iptun_attributes() {
    for (kind, name) in [(TunnelKind::Sit, "sit"), (TunnelKind::Ip6Tnl, "ip6tnl")] {
        let request = change_link_request(4, kind, encap_data(kind, &Encap::none()), None);
        let expected = link(
            name,
            4,
            &[],
            &[
                attr(15, &0u16.to_ne_bytes()),
                attr(16, &0u16.to_ne_bytes()),
                attr(17, &[0, 0]),
                attr(18, &[0, 0]),
            ],
            REQ_ACK,
        );
        assert_eq!(encode(request, NLM_F_ACK, 1), expected, "{name}");
    }
}

#[test]
fn new_link_carries_the_name_and_del_link_only_the_index() {
    let mut data = TunnelData::Ip(vec![
        InfoIpTunnel::Remote("10.0.0.2".parse().unwrap()),
        InfoIpTunnel::Local("10.0.0.1".parse().unwrap()),
    ]);
    rfou::tunnel::link::write_encap(&Encap::none(), &mut data);
    let request = new_link_request("tun1", TunnelKind::Ipip, data);
    let flags = NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    let expected = link(
        "ipip",
        0,
        &[attr(3, b"tun1\0")], // IFLA_IFNAME
        &[
            attr(3, &[10, 0, 0, 2]), // IFLA_IPTUN_REMOTE
            attr(2, &[10, 0, 0, 1]), // IFLA_IPTUN_LOCAL
            attr(15, &0u16.to_ne_bytes()),
            attr(16, &0u16.to_ne_bytes()),
            attr(17, &[0, 0]),
            attr(18, &[0, 0]),
        ],
        NLM_F_REQUEST | flags,
    );
    assert_eq!(encode(request, flags, 1), expected);

    let mut del = header(32, RTM_DELLINK, REQ_ACK, 1);
    del.extend(ifinfomsg(12));
    assert_eq!(encode(del_link_request(12), NLM_F_ACK, 1), del);
}

/// `rfou tunnel add NAME mode MODE` with no other settings starts from what `ip link add type
/// ...` sends (as `ip -d -j link show` showed on 6.1 for every mode): ipip and sit send TTL 0
/// (inherit) and protocol 0 (any), where the kernel alone would give sit a TTL of 64 and each
/// only its own protocol; the IPv6 kinds a hop limit of 64 and an encapsulation limit of 4,
/// and ip6tnl the protocol of its mode; gre and gretap nothing (the kernel's defaults are ip's).
#[test]
fn tunnel_add_starts_from_the_defaults_of_ip_link_add() {
    let ttl_inherit_any = vec![attr(4, &[0]), attr(9, &[0])]; // IFLA_IPTUN_TTL, IFLA_IPTUN_PROTO
    let ip6tnl = |proto: Option<u8>| {
        let mut v = vec![attr(4, &[64]), attr(6, &[4])]; // IFLA_IPTUN_TTL, IFLA_IPTUN_ENCAP_LIMIT
        v.extend(proto.map(|p| attr(9, &[p])));
        v
    };
    let ip6gre = vec![attr(8, &[64]), attr(11, &[4])]; // IFLA_GRE_TTL, IFLA_GRE_ENCAP_LIMIT
    for (mode, kind_name, data) in [
        ("ipip", "ipip", ttl_inherit_any.clone()),
        ("sit", "sit", ttl_inherit_any),
        ("gre", "gre", vec![]),
        ("gretap", "gretap", vec![]),
        ("ipip6", "ip6tnl", ip6tnl(Some(4))),
        ("ip6ip6", "ip6tnl", ip6tnl(Some(41))),
        ("any", "ip6tnl", ip6tnl(Some(0))),
        ("ip6tnl", "ip6tnl", ip6tnl(None)),
        ("ip6gre", "ip6gre", ip6gre.clone()),
        ("ip6gretap", "ip6gretap", ip6gre.clone()),
    ] {
        let mode = TunnelMode::parse(mode).unwrap();
        let request = new_link_request("t1", mode.kind, TunnelData::defaults(mode));
        let flags = NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        let expected = link(
            kind_name,
            0,
            &[attr(3, b"t1\0")],
            &data,
            NLM_F_REQUEST | flags,
        );
        assert_eq!(encode(request, flags, 1), expected, "mode {mode:?}");
    }
}
