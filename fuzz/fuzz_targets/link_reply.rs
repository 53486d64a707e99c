//! rtnetlink link replies of tunnels: an RTM_NEWLINK message read by
//! `tunnel::wire::decode_link` (`links::parse_link`, which decodes the link attributes rfou
//! reads with netlink-packet-route, then `tunnel_of`: the reading of every tunnel rfou shows,
//! changes or puts back). The input is
//! what varies from tunnel to tunnel: its kind, flags and MTU, and the tunnel attributes
//! (`IFLA_INFO_DATA`, as the kernel lays them out); the target puts them in a link message as
//! the kernel sends it, so that the fuzzing goes to the attributes rfou reads rather than to
//! the link's other attributes, which `parse_link` skips. A tunnel it reads
//! - shows as `rfou tunnel show` prints it, as a table and as JSON, without a panic;
//! - where the kernel could have such a tunnel (settings the kernel's rules allow,
//!   `check_settings`; flags with which it can be changed in place into itself,
//!   `in_place_refusal`), is exported
//!   (`export`) to a file that the desired-state reader reads back and that plans no change,
//!   or else refused by the export naming it (a setting a file cannot say).
//!
//! An input holds one link or several, [`NEXT_LINK`] between them (so that the minimized
//! corpus can hold few inputs, each covering what many did).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou::fuzzing::decode_link;
use rfou::tunnel::rules::{check_settings, in_place_refusal};
use rfou::txn::Snapshot;
use rfou::Devices;
use rfou_cli::output::tunnels;
use rfou_fuzz::{device, export_plans_nothing};

/// The `IFLA_INFO_KIND` of each kind of tunnel, picked by the input's first byte.
const TUNNEL_KINDS: [&str; 7] = [
    "ipip",
    "sit",
    "ip6tnl",
    "gre",
    "gretap",
    "ip6gre",
    "ip6gretap",
];

/// One attribute: length and type in native order, the value, padded to 4 bytes.
fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut out = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// An RTM_NEWLINK reply as the kernel sends it for a tunnel of `kind` called `name` (index
/// 7): the ifinfomsg with `flags`, then the name, the MTU, the group, and `IFLA_LINKINFO`
/// with the kind and `data` (the tunnel attributes).
fn link_message(kind: &str, name: &str, flags: u32, mtu: u32, data: &[u8]) -> Vec<u8> {
    const RTM_NEWLINK: u16 = 16;
    const NLM_F_MULTI: u16 = 2;
    const IFLA_IFNAME: u16 = 3;
    const IFLA_MTU: u16 = 4;
    const IFLA_LINKINFO: u16 = 18;
    const IFLA_GROUP: u16 = 27;
    const IFLA_INFO_KIND: u16 = 1;
    const IFLA_INFO_DATA: u16 = 2;
    // An attribute's length is 16 bits: what does not fit is left out.
    let data = &data[..data.len().min(usize::from(u16::MAX) - 64)];
    let info = [
        attr(IFLA_INFO_KIND, &[kind.as_bytes(), &[0]].concat()),
        attr(IFLA_INFO_DATA, data),
    ]
    .concat();
    let mut ifinfomsg = vec![0, 0];
    ifinfomsg.extend_from_slice(&768u16.to_ne_bytes()); // ARPHRD_TUNNEL
    ifinfomsg.extend_from_slice(&7i32.to_ne_bytes());
    ifinfomsg.extend_from_slice(&flags.to_ne_bytes());
    ifinfomsg.extend_from_slice(&0u32.to_ne_bytes());
    let body = [
        ifinfomsg,
        attr(IFLA_IFNAME, &[name.as_bytes(), &[0]].concat()),
        attr(IFLA_MTU, &mtu.to_ne_bytes()),
        attr(IFLA_GROUP, &0u32.to_ne_bytes()),
        attr(IFLA_LINKINFO, &info),
    ]
    .concat();
    let mut message = ((16 + body.len()) as u32).to_ne_bytes().to_vec();
    message.extend_from_slice(&RTM_NEWLINK.to_ne_bytes());
    message.extend_from_slice(&NLM_F_MULTI.to_ne_bytes());
    message.extend_from_slice(&1u32.to_ne_bytes());
    message.extend_from_slice(&0u32.to_ne_bytes());
    message.extend(body);
    message
}

/// What separates the links of one input (`scripts/fuzz` joins minimized inputs with it).
const NEXT_LINK: &[u8] = b"\nnext link\n";

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Some(at) = rest
        .windows(NEXT_LINK.len())
        .position(|window| window == NEXT_LINK)
    {
        link(&rest[..at]);
        rest = &rest[at + NEXT_LINK.len()..];
    }
    link(rest);
});

/// One link: read, shown, and exported where the kernel could have it.
fn link(data: &[u8]) {
    // The kind, the flags (up, point-to-point, broadcast), the MTU, then the attributes.
    let Some((&[kind, flags, m0, m1, m2, m3], attributes)) = data.split_first_chunk::<6>() else {
        return;
    };
    let kind = TUNNEL_KINDS[usize::from(kind) % TUNNEL_KINDS.len()];
    let flags = u32::from(flags & 1) | u32::from(flags & 2) << 3 | u32::from(flags & 4) >> 1;
    let mtu = u32::from_ne_bytes([m0, m1, m2, m3]);
    let Some(tunnel) = decode_link(&link_message(kind, "tun1", flags, mtu, attributes)) else {
        return;
    };
    assert_eq!((tunnel.name.as_str(), tunnel.kind.name()), ("tun1", kind));
    assert_eq!((tunnel.mtu, tunnel.up), (mtu, flags & 1 != 0));
    // The underlay device, where the tunnel has one, exists under a name of its own.
    let underlay = tunnel.link.filter(|&index| index != 0 && index != 7);
    let devices = Devices::new(
        underlay
            .map(|index| device(index, "eth0"))
            .into_iter()
            .collect(),
    );
    let _ = tunnels::table(std::slice::from_ref(&tunnel));
    let _ = tunnels::json(std::slice::from_ref(&tunnel), &devices, true);

    let settings = tunnel.settings(&devices);
    let kernel_could_have_it = check_settings(&settings, tunnel.kind).is_ok()
        && in_place_refusal(&tunnel, &tunnel).is_none();
    if kernel_could_have_it {
        let current = Snapshot {
            ports: Some(Vec::new()),
            tunnels: vec![tunnel.clone()],
            devices,
            notes: Vec::new(),
        };
        if let Err(e) = export_plans_nothing(&current) {
            let text = e.to_string();
            assert!(text.starts_with("cannot export tunnel \"tun1\" "), "{text}");
        }
    }
}
