//! Golden vectors of the rtnetlink link requests: making, changing, deleting tunnels, setting
//! a device up, and the two steps of a group delete.

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};

use super::{attr, header, REQ_ACK};
use crate::sys::encode::{encode, encode_window};
use crate::tunnel::wire::{
    change_link_request, del_group_request, del_link_request, new_link_request, set_group_request,
    set_up_request, NewLink,
};
use crate::tunnel::{Encap, TunnelAttrs, TunnelKind, TunnelMode, TunnelSettings, TunnelSpec};
use crate::SourcePort;

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

/// `ifinfomsg` with the device flags and the change mask set.
fn ifinfomsg_flags(index: u32, flags: u32, change: u32) -> Vec<u8> {
    let mut out = ifinfomsg(index);
    out[8..12].copy_from_slice(&flags.to_ne_bytes());
    out[12..16].copy_from_slice(&change.to_ne_bytes());
    out
}

/// `up = true` of a desired state, or an `--atomic` undo of a tunnel made again: the device's
/// IFF_UP flag and nothing else (the change mask names that one flag).
#[test]
fn link_up_and_down_change_the_up_flag_alone() {
    const IFF_UP: u32 = 1;
    let mut up = header(32, RTM_NEWLINK, REQ_ACK, 1);
    up.extend(ifinfomsg_flags(5, IFF_UP, IFF_UP));
    assert_eq!(encode(set_up_request(5, true), NLM_F_ACK, 1), up);
    let mut down = header(32, RTM_NEWLINK, REQ_ACK, 1);
    down.extend(ifinfomsg_flags(5, 0, IFF_UP));
    assert_eq!(encode(set_up_request(5, false), NLM_F_ACK, 1), down);
}

/// A group delete's two steps: each tunnel moved to the borrowed group (`IFLA_GROUP` on its
/// index, a window of them with one ack at its end), then one `RTM_DELLINK` of index 0
/// with that group, which deletes the group's devices.
#[test]
fn group_delete_moves_each_tunnel_then_deletes_the_group() {
    const IFLA_GROUP: u16 = 27;
    const GROUP: u32 = 0x7ead_0000;
    let moves = [12u32, 13].map(|index| set_group_request(index, GROUP));
    let mut expected = Vec::new();
    for (index, flags, seq) in [(12, NLM_F_REQUEST, 7), (13, REQ_ACK, 8)] {
        expected.extend(header(40, RTM_NEWLINK, flags, seq));
        expected.extend(ifinfomsg(index));
        expected.extend(attr(IFLA_GROUP, &GROUP.to_ne_bytes()));
    }
    assert_eq!(encode_window(moves, NLM_F_REQUEST, 7), expected);

    let mut delete = header(40, RTM_DELLINK, REQ_ACK, 1);
    delete.extend(ifinfomsg(0));
    delete.extend(attr(IFLA_GROUP, &GROUP.to_ne_bytes()));
    assert_eq!(encode(del_group_request(GROUP), NLM_F_ACK, 1), delete);
}

/// `tunnel change NAME nokey` (and `noikey`) of a gre tunnel with `key 5`: the key removed
/// in each direction named, its value 0 and its `GRE_KEY` bit (`0x2000`, big-endian)
/// cleared, as `ip link set NAME type gre nokey` sends them; `key 0` would keep the bit.
#[test]
fn nokey_clears_the_keys_and_their_gre_key_bits() {
    let be16 = |kind: u16, v: u16| attr(kind, &v.to_be_bytes());
    let be32 = |kind: u16, v: u32| attr(kind, &v.to_be_bytes());
    const GRE_KEY: u16 = 0x2000;
    // IFLA_GRE_: IFLAGS 2, OFLAGS 3, IKEY 4, OKEY 5.
    let keyed = || {
        let mut attrs = TunnelAttrs::empty(TunnelKind::Gre);
        TunnelSettings {
            ikey: Some(5),
            okey: Some(5),
            ..TunnelSettings::default()
        }
        .write(&mut attrs, None, false);
        attrs
    };
    let request = |attrs: TunnelAttrs| {
        encode(
            change_link_request(7, TunnelKind::Gre, attrs, None),
            NLM_F_ACK,
            1,
        )
    };
    let expected = |data: &[Vec<u8>]| link("gre", 7, &[], data, REQ_ACK);
    assert_eq!(
        request(keyed()),
        expected(&[be32(4, 5), be32(5, 5), be16(2, GRE_KEY), be16(3, GRE_KEY)])
    );
    for (removed, data) in [
        (
            (true, true),
            [be32(4, 0), be32(5, 0), be16(2, 0), be16(3, 0)],
        ),
        // What is written again goes after what is kept.
        (
            (true, false),
            [be32(5, 5), be16(3, GRE_KEY), be32(4, 0), be16(2, 0)],
        ),
        (
            (false, true),
            [be32(4, 5), be16(2, GRE_KEY), be32(5, 0), be16(3, 0)],
        ),
    ] {
        let mut attrs = keyed();
        TunnelSettings {
            no_ikey: removed.0,
            no_okey: removed.1,
            ..TunnelSettings::default()
        }
        .write(&mut attrs, None, false);
        assert_eq!(request(attrs), expected(&data), "{removed:?}");
    }
}
