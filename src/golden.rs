//! Golden vectors: the exact bytes of every request rfou sends, and the decoding of replies
//! laid out as the kernel lays them out (`fou_fill_info` in net/ipv4/fou_core.c; the
//! rtnetlink fill_info of each tunnel kind). Ports must travel big-endian: 5555 is 15 b3.

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_generic::GenlMessage;

use crate::fou::wire::{decode_port, PortRequest};
use crate::sys::encode::{encode, encode_window};
use crate::tunnel::wire::{change_link_request, del_link_request, new_link_request, NewLink};
use crate::tunnel::{Encap, TunnelAttrs, TunnelKind, TunnelMode, TunnelSettings, TunnelSpec};
use crate::{Family, FouEncap, FouPort, SourcePort};

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

fn encap_data(kind: TunnelKind, encap: &Encap) -> TunnelAttrs {
    let mut data = TunnelAttrs::empty(kind);
    encap.write(&mut data);
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
    let settings = TunnelSettings {
        remote: Some("10.0.0.2".parse().unwrap()),
        local: Some("10.0.0.1".parse().unwrap()),
        ..Default::default()
    };
    let mut data = TunnelAttrs::empty(TunnelKind::Ipip);
    settings.write(&mut data, None, false);
    Encap::none().write(&mut data);
    let request = new_link_request("tun1", TunnelKind::Ipip, data, NewLink::default());
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

/// `rfou tunnel add NAME mode MODE` with no other settings sends every setting at the
/// default `ip link add type ...` gives it (the in-kernel test
/// `every_mode_starts_with_the_defaults_of_ip_link_add` compares the two tunnels): the TTL
/// (0, inherit, on IPv4 underlays; a hop limit of 64 on IPv6 ones), no underlay device, the
/// inner protocol 0 ("any", where the kernel alone would take only the mode's own), path MTU
/// discovery on, the encapsulation limit 4, no flow label or traffic class, no firewall mark,
/// no GRE key, sequence numbers or checksums, and no encapsulation. An unspecified address
/// is left out (the kernel reads its absence as "any").
#[test]
fn tunnel_add_sends_every_default_of_ip_link_add() {
    let u8_ = |kind: u16, v: u8| attr(kind, &[v]);
    let u32_ = |kind: u16, v: u32| attr(kind, &v.to_ne_bytes());
    let be16 = |kind: u16, v: u16| attr(kind, &v.to_be_bytes());
    let be32 = |kind: u16, v: u32| attr(kind, &v.to_be_bytes());
    let iptun_encap = vec![
        attr(15, &0u16.to_ne_bytes()),
        attr(16, &0u16.to_ne_bytes()),
        attr(17, &[0, 0]),
        attr(18, &[0, 0]),
    ];
    let gre_encap = vec![
        attr(14, &0u16.to_ne_bytes()),
        attr(15, &0u16.to_ne_bytes()),
        attr(16, &[0, 0]),
        attr(17, &[0, 0]),
    ];
    // IFLA_IPTUN_: LINK 1, TTL 4, TOS 5, ENCAP_LIMIT 6, FLOWINFO 7, FLAGS 8, PROTO 9,
    // PMTUDISC 10, FWMARK 20.
    let ipip = [
        vec![
            u8_(4, 0),
            u8_(5, 0),
            u32_(1, 0),
            u8_(10, 1),
            u8_(9, 0),
            u32_(20, 0),
        ],
        iptun_encap.clone(),
    ]
    .concat();
    let sit = [
        vec![
            u8_(4, 0),
            u8_(5, 0),
            u32_(1, 0),
            u8_(10, 1),
            u8_(9, 0),
            u32_(20, 0),
            attr(8, &0u16.to_ne_bytes()),
        ],
        iptun_encap.clone(),
    ]
    .concat();
    let ip6tnl = |proto: u8| {
        [
            vec![
                u8_(4, 64),
                u32_(1, 0),
                u8_(9, proto),
                u8_(6, 4),
                u32_(20, 0),
                be32(7, 0),
            ],
            iptun_encap.clone(),
        ]
        .concat()
    };
    // IFLA_GRE_: LINK 1, IFLAGS 2, OFLAGS 3, IKEY 4, OKEY 5, TTL 8, TOS 9, PMTUDISC 10,
    // ENCAP_LIMIT 11, FLOWINFO 12, IGNORE_DF 19, FWMARK 20.
    let gre_keys = vec![be32(4, 0), be32(5, 0), be16(2, 0), be16(3, 0)];
    let gre = [
        vec![
            u8_(8, 0),
            u8_(9, 0),
            u32_(1, 0),
            u8_(10, 1),
            u8_(19, 0),
            u32_(20, 0),
        ],
        gre_keys.clone(),
        gre_encap.clone(),
    ]
    .concat();
    let ip6gre = [
        vec![u8_(8, 64), u32_(1, 0), u8_(11, 4), u32_(20, 0), be32(12, 0)],
        gre_keys,
        gre_encap,
    ]
    .concat();
    for (mode, kind_name, data) in [
        ("ipip", "ipip", ipip),
        ("sit", "sit", sit),
        ("gre", "gre", gre.clone()),
        ("gretap", "gretap", gre),
        ("ipip6", "ip6tnl", ip6tnl(4)),
        ("ip6ip6", "ip6tnl", ip6tnl(41)),
        ("any", "ip6tnl", ip6tnl(0)),
        ("ip6tnl", "ip6tnl", ip6tnl(0)),
        ("ip6gre", "ip6gre", ip6gre.clone()),
        ("ip6gretap", "ip6gretap", ip6gre.clone()),
    ] {
        let mode = TunnelMode::parse(mode).unwrap();
        let spec = TunnelSpec {
            name: "t1".into(),
            kind: mode.kind,
            settings: TunnelSettings {
                proto: mode.proto,
                ..TunnelSettings::default()
            },
        };
        let mut attrs = TunnelAttrs::empty(mode.kind);
        spec.settings
            .whole(mode.kind)
            .write(&mut attrs, Some(0), true);
        Encap::none().write(&mut attrs);
        let request = new_link_request("t1", mode.kind, attrs, NewLink::default());
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
