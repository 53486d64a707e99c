//! Golden vectors of the requests that read: the generic-netlink family lookup, links by name,
//! by index and all of them, every address, every route, the route a tunnel's packets take,
//! and the socket-diagnostics dumps of UDP sockets with and without the port filter.

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::RouteNetlinkMessage::GetRoute;

use super::{attr, header, REQ_ACK};
use crate::addresses::{get_addresses, get_routes};
use crate::fou::diag::{diag_request, port_filter};
use crate::handle::family_request;
use crate::links::{get_link_by_index, get_link_by_name, get_links};
use crate::sys::encode::{encode, encode_window};
use crate::tunnel::mtu::route_lookup;
use crate::tunnel::{TunnelKind, TunnelSettings, TunnelSpec};
use crate::Family;

const REQ_DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;
const RTM_GETLINK: u16 = 18;
const RTM_GETADDR: u16 = 22;
const RTM_GETROUTE: u16 = 26;
const SOCK_DIAG_BY_FAMILY: u16 = 20;

/// `CTRL_CMD_GETFAMILY` of "fou" (the controller, id 0x10, version 2), sent as a window of
/// one: one ack asked, at its end.
#[test]
fn family_lookup_names_the_family_alone() {
    let body = [vec![3, 2, 0, 0], attr(2, b"fou\0")].concat(); // CTRL_ATTR_FAMILY_NAME
    let mut expected = header(16 + body.len() as u32, 0x10, REQ_ACK, 4);
    expected.extend(body);
    assert_eq!(
        encode_window([family_request("fou")], NLM_F_REQUEST, 4),
        expected
    );
}

/// `ifinfomsg` of device `index`, AF_UNSPEC, no flags.
fn ifinfomsg(index: u32) -> Vec<u8> {
    let mut out = vec![0; 16];
    out[4..8].copy_from_slice(&index.to_ne_bytes());
    out
}

/// `IFLA_EXT_MASK` = `RTEXT_FILTER_SKIP_STATS`: no counters in the replies.
fn skip_stats() -> Vec<u8> {
    attr(29, &8u32.to_ne_bytes())
}

#[test]
fn link_reads_by_name_by_index_and_all_leave_the_counters_out() {
    let body = [ifinfomsg(0), attr(3, b"tun1\0"), skip_stats()].concat(); // IFLA_IFNAME
    let mut by_name = header(16 + body.len() as u32, RTM_GETLINK, REQ_ACK, 1);
    by_name.extend(body);
    assert_eq!(encode(get_link_by_name("tun1"), NLM_F_ACK, 1), by_name);

    let body = [ifinfomsg(0x0102_0304), skip_stats()].concat();
    let mut by_index = header(16 + body.len() as u32, RTM_GETLINK, REQ_ACK, 1);
    by_index.extend(body);
    assert_eq!(
        encode(get_link_by_index(0x0102_0304), NLM_F_ACK, 1),
        by_index
    );

    let body = [ifinfomsg(0), skip_stats()].concat();
    let mut all = header(16 + body.len() as u32, RTM_GETLINK, REQ_DUMP, 1);
    all.extend(body);
    assert_eq!(encode(get_links(), NLM_F_DUMP, 1), all);
}

/// Every address and every route: a bare `ifaddrmsg` (8 bytes) or `rtmsg` (12 bytes) of
/// zeroes, AF_UNSPEC, as a dump.
#[test]
fn address_and_route_reads_are_bare_dumps() {
    let mut addresses = header(24, RTM_GETADDR, REQ_DUMP, 1);
    addresses.extend([0; 8]);
    assert_eq!(encode(get_addresses(), NLM_F_DUMP, 1), addresses);
    let mut routes = header(28, RTM_GETROUTE, REQ_DUMP, 1);
    routes.extend([0; 12]);
    assert_eq!(encode(get_routes(), NLM_F_DUMP, 1), routes);
}

/// `rtmsg`: family, destination and source prefix lengths, the rest zero (no table, any
/// protocol, scope and type, no flags).
fn rtmsg(family: u8, dst_len: u8, src_len: u8) -> Vec<u8> {
    let mut out = vec![family, dst_len, src_len];
    out.extend([0; 9]);
    out
}

/// The route lookup of a tunnel's underlay: to its remote, from its local address, and
/// through its bound device for an IPv4 remote (which the kernel holds to) but not for a
/// global IPv6 one (which it only prefers).
#[test]
fn route_lookup_of_a_tunnel_from_its_local_address() {
    let tunnel = |kind, remote: &str, local: &str| {
        TunnelSpec {
            name: "t1".into(),
            kind,
            settings: TunnelSettings {
                remote: Some(remote.parse().unwrap()),
                local: Some(local.parse().unwrap()),
                ..Default::default()
            },
        }
        .as_reported(9, 1480, Some(3))
    };
    let v4 = tunnel(TunnelKind::Ipip, "10.0.0.2", "10.0.0.1");
    assert_eq!(v4.link, Some(3));
    let body = [
        rtmsg(2, 32, 32),
        attr(1, &[10, 0, 0, 2]),      // RTA_DST
        attr(2, &[10, 0, 0, 1]),      // RTA_SRC
        attr(4, &3u32.to_ne_bytes()), // RTA_OIF
    ]
    .concat();
    let mut expected = header(16 + body.len() as u32, RTM_GETROUTE, REQ_ACK, 1);
    expected.extend(body);
    let request = GetRoute(route_lookup(&v4, v4.remote.unwrap()));
    assert_eq!(encode(request, NLM_F_ACK, 1), expected);

    let v6 = tunnel(TunnelKind::Ip6Tnl, "2001:db8::2", "2001:db8::1");
    let address = |last: u8| {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[15] = last;
        a
    };
    let body = [
        rtmsg(10, 128, 128),
        attr(1, &address(2)),
        attr(2, &address(1)),
    ]
    .concat();
    let mut expected = header(16 + body.len() as u32, RTM_GETROUTE, REQ_ACK, 1);
    expected.extend(body);
    assert_eq!(
        encode(
            GetRoute(route_lookup(&v6, v6.remote.unwrap())),
            NLM_F_ACK,
            1
        ),
        expected
    );
}

/// `inet_diag_req_v2`: the family, UDP, no extensions, every state (bits 1 to 11: a UDP
/// socket is "established" when connected, "close" when not), a socket id of zeroes.
fn inet_diag_req(family: u8) -> Vec<u8> {
    let mut out = vec![family, 17, 0, 0];
    out.extend(0x0ffeu32.to_ne_bytes());
    out.extend([0; 48]);
    out
}

/// The socket-diagnostics dump of every UDP socket of a family, and the same with the port
/// filter that leaves out ports 5555, 5556 and 5558 (`INET_DIAG_REQ_BYTECODE`: for each run
/// of ports, "port >= first, else the next run" and "port >= last + 1, else refuse"; then
/// accept).
#[test]
fn socket_diagnostics_dumps_with_and_without_the_port_filter() {
    let mut plain = header(72, SOCK_DIAG_BY_FAMILY, REQ_DUMP, 0);
    plain.extend(inet_diag_req(2));
    assert_eq!(diag_request(Family::Inet, &[]), plain);

    let op = |code: u8, yes: u8, no: u16| {
        let mut out = vec![code, yes];
        out.extend(no.to_ne_bytes());
        out
    };
    // S_GE is 2, JMP 1; a comparison's value is the `no` of the op after it, and a jump
    // counts from the op's own start. The filter is 36 bytes: refusing jumps to 4 bytes past
    // its end (from byte 8: 32; from byte 24: 16).
    let filter = [
        op(2, 8, 16),
        op(0, 0, 5555),
        op(2, 8, 32),
        op(0, 0, 5557),
        op(2, 8, 16),
        op(0, 0, 5558),
        op(2, 8, 16),
        op(0, 0, 5559),
        op(1, 4, 4),
    ]
    .concat();
    assert_eq!(port_filter(&[5558, 5555, 5556]), filter);
    let mut filtered = header(72 + 40, SOCK_DIAG_BY_FAMILY, REQ_DUMP, 0);
    filtered.extend(inet_diag_req(10));
    filtered.extend(attr(1, &filter)); // INET_DIAG_REQ_BYTECODE
    assert_eq!(diag_request(Family::Inet6, &filter), filtered);
}
