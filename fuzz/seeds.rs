//! Writes the seed inputs of every target under `corpus/<target>/` (`scripts/fuzz seeds`):
//! well-formed examples of what each reads, made with rfou's own encoders where it has them,
//! so that the fuzzer starts from real messages rather than from nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use netlink_packet_generic::GenlMessage;
use netlink_packet_route::link::{
    GreEncapFlags, GreEncapType, GreIOFlags, InfoGre, InfoGre6, InfoIpTunnel, LinkAttribute,
    TunnelEncapFlags, TunnelEncapType,
};
use netlink_packet_route::RouteNetlinkMessage;
use rfou::fou::FouMessage;
use rfou::netlink::encode;
use rfou::tunnel::link::new_link_request;
use rfou::tunnel::{TunnelData, TunnelKind};
use rfou::FouPort;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 2;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const SOCK_DIAG_BY_FAMILY: u16 = 20;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed file");
}

/// One netlink message: header and body.
fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(body);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

fn words() {
    let commands = [
        "add port 5555 ipproto ipip local 10.0.0.1 peer 10.0.0.2 peer_port 6666 dev eth0",
        "add port 5556 gue remcsum_nopartial -6",
        "del port 5555 local fe80::1 -6",
        "show port 5555 -4",
        "tunnel add tun1 mode ipip remote 192.0.2.2 local 192.0.2.1 ttl 64 tos inherit dev eth0 encap fou encap-sport auto encap-dport 5555 encap-csum",
        "tunnel add g1 mode ip6gre key 1.2.3.4 encap gue encap-dport 1 noencap-csum6 encap-remcsum",
        "tunnel change tun1 ikey 5 okey 6 encap-sport 7 noencap-remcsum",
        "tunnel encap dev tun1 none",
        "tunnel del name dev",
        "tunnel show tun1",
        "doctor",
        "help tunnel",
    ];
    for (index, command) in commands.iter().enumerate() {
        let mut bytes = vec![index as u8 % 3];
        bytes.extend(command.replace(' ', "\0").bytes());
        write("words", &index.to_string(), &bytes);
    }
    write(
        "batch",
        "0",
        concat!(
            "# ports\nadd port 5555 ipproto 4\nadd port 5556 gue -6 # GUE\n\n",
            "tunnel add tun1 mode ipip encap fou encap-dport 5555\n",
            "tunnel del tun1\n  tunnel  del\ttun2\nfrobnicate\n"
        )
        .as_bytes(),
    );
}

fn fou() {
    let ports = [
        FouPort::direct(5555, 4),
        FouPort::direct(5555, 41)
            .with_local(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)))
            .with_peer(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), Some(6666)),
        FouPort {
            ifindex: Some(1),
            remcsum_nopartial: true,
            ..FouPort::gue(7777).with_local(IpAddr::V6(Ipv6Addr::LOCALHOST))
        },
    ];
    for (index, port) in ports.iter().enumerate() {
        let mut reply = GenlMessage::from_payload(FouMessage::add(port));
        reply.set_resolved_family_id(0x1c);
        write(
            "fou_reply",
            &index.to_string(),
            &encode(reply, NLM_F_MULTI, 1),
        );
    }
}

fn links() {
    let ip = TunnelData::Ip(vec![
        InfoIpTunnel::Local(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        InfoIpTunnel::Remote(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))),
        InfoIpTunnel::Ttl(64),
        InfoIpTunnel::Link(1),
        InfoIpTunnel::EncapType(TunnelEncapType::from(1u16)),
        InfoIpTunnel::EncapFlags(TunnelEncapFlags::from_bits_retain(3)),
        InfoIpTunnel::EncapSPort(0),
        InfoIpTunnel::EncapDPort(5555),
    ]);
    let ip6 = TunnelData::Ip(vec![
        InfoIpTunnel::Remote(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        InfoIpTunnel::Protocol(4u8.into()),
        InfoIpTunnel::EncapLimit(4),
        InfoIpTunnel::EncapType(TunnelEncapType::from(2u16)),
        InfoIpTunnel::EncapDPort(5556),
    ]);
    let gre = TunnelData::Gre(vec![
        InfoGre::Local(Ipv4Addr::new(192, 0, 2, 1)),
        InfoGre::IKey(5),
        InfoGre::OKey(6),
        InfoGre::IFlags(GreIOFlags::Key),
        InfoGre::OFlags(GreIOFlags::Key),
        InfoGre::EncapType(GreEncapType::from(2u16)),
        InfoGre::EncapFlags(GreEncapFlags::from_bits_retain(4)),
        InfoGre::SourcePort(1000),
        InfoGre::DestinationPort(5555),
    ]);
    let gre6 = TunnelData::Gre6(vec![
        InfoGre6::Remote(Ipv6Addr::LOCALHOST),
        InfoGre6::Ttl(64),
        InfoGre6::IKey(7),
        InfoGre6::IFlags(GreIOFlags::Key),
        InfoGre6::EncapType(GreEncapType::from(1u16)),
        InfoGre6::DestinationPort(5555),
    ]);
    let links = [
        ("tun1", TunnelKind::Ipip, ip),
        ("t6", TunnelKind::Ip6Tnl, ip6),
        ("g1", TunnelKind::GreTap, gre),
        ("g6", TunnelKind::Ip6Gre, gre6),
    ];
    for (index, (name, kind, data)) in links.into_iter().enumerate() {
        let RouteNetlinkMessage::NewLink(mut link) = new_link_request(name, kind, data) else {
            unreachable!("a new link")
        };
        link.header.index = 7;
        link.attributes.push(LinkAttribute::Mtu(1472));
        link.attributes.push(LinkAttribute::Group(3));
        let reply = RouteNetlinkMessage::NewLink(link);
        write("link_reply", &index.to_string(), &encode(reply, 0, 1));
    }
}

fn acks() {
    // The window's first request is 7: its number, then the datagram.
    let first = 7u32.to_ne_bytes();
    let header = message(0x1c, 5, 7, &[]);
    let mut failed = (-22i32).to_ne_bytes().to_vec();
    failed.extend_from_slice(&header);
    let text = b"bad port\0";
    failed.extend_from_slice(&((4 + text.len()) as u16).to_ne_bytes());
    failed.extend_from_slice(&1u16.to_ne_bytes());
    failed.extend_from_slice(text);
    let mut acked = 0i32.to_ne_bytes().to_vec();
    acked.extend_from_slice(&header);
    let datagram = [
        message(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 8, &failed),
        message(NLMSG_ERROR, NLM_F_CAPPED, 9, &acked),
        message(NLMSG_DONE, NLM_F_MULTI, 10, &(-1i32).to_ne_bytes()),
        message(0x1c, NLM_F_MULTI, 11, &[1, 2, 3, 4]),
    ]
    .concat();
    write("ack", "0", &[&first[..], &datagram].concat());
    // An uncapped error: the whole request comes back before the attributes.
    let mut uncapped = (-17i32).to_ne_bytes().to_vec();
    uncapped.extend_from_slice(&message(0x10, 5, 7, &[0; 16]));
    uncapped.extend_from_slice(&((4 + text.len()) as u16).to_ne_bytes());
    uncapped.extend_from_slice(&1u16.to_ne_bytes());
    uncapped.extend_from_slice(text);
    let datagram = message(NLMSG_ERROR, NLM_F_ACK_TLVS, 7, &uncapped);
    write("ack", "1", &[&first[..], &datagram].concat());
}

fn sock_diag() {
    // struct inet_diag_msg of a UDP socket: family, state, timer, retrans, the socket id
    // (ports big-endian, addresses, interface, cookie), expires, queues, uid, inode.
    for (index, family) in [2u8, 10].into_iter().enumerate() {
        let mut body = vec![family, 7, 0, 0];
        body.extend_from_slice(&5555u16.to_be_bytes());
        body.extend_from_slice(&6666u16.to_be_bytes());
        body.extend_from_slice(&[10, 0, 0, 1]);
        body.extend_from_slice(&[0; 12]);
        body.extend_from_slice(&[10, 0, 0, 2]);
        body.extend_from_slice(&[0; 12]);
        body.extend_from_slice(&1u32.to_ne_bytes());
        body.extend_from_slice(&[0xff; 8]);
        body.extend_from_slice(&[0; 20]);
        write(
            "sock_diag",
            &index.to_string(),
            &message(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 1, &body),
        );
    }
}

fn main() {
    words();
    fou();
    links();
    acks();
    sock_diag();
}
