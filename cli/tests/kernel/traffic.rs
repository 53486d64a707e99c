//! Traffic through FOU and GUE tunnels that rfou alone configured.
//!
//! Each test joins two namespaces with a veth pair, gives each side its receive port
//! (`rfou add`) and its tunnel (`rfou tunnel add ... encap ...`, or `rfou tunnel add` then
//! `rfou tunnel encap`); only the addresses inside the tunnel come from `ip addr`, which is not
//! rfou's job. Then: pings cross the tunnel; the receiver's UDP (or UDP6) counter proves UDP
//! carried them; and once the receiver's port is gone (`rfou del`), the tunnel is dead.
//!
//! Where a tunnel got its encapsulation after it was made, a full-size ping with DF set proves
//! rfou gave it the MTU the encapsulation leaves room for, the one iproute2's tunnel made with
//! the same encapsulation gets.

use crate::harness::{
    address_tunnel, assert_full_size_ping, mtu, rf_ok, underlay_pair, Netns, A4, A6, B4, B6,
    INNER_A4, INNER_A6, INNER_B4, INNER_B6,
};

/// How many echo requests the counted ping sends.
const PINGS: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Underlay {
    V4,
    V6,
}

/// `linkinfo.info_data.encap` of `dev` as `ip -j -d link show` prints it (null when none).
#[track_caller]
fn ip_encap(ns: &Netns, dev: &str) -> serde_json::Value {
    ns.link_json(dev)["linkinfo"]["info_data"]["encap"].clone()
}

/// The MTU iproute2's tunnel gets when made with `ip link add ref0 TYPE-AND-OPTIONS` over a
/// 1500-byte underlay (a dummy device holding the local addresses, in a namespace of its own).
#[track_caller]
fn iproute2_mtu(type_and_options: &str) -> u64 {
    let ns = Netns::new("mtu-ref");
    ns.ip(&["link", "add", "dummy0", "type", "dummy"]);
    ns.ip(&["addr", "add", &format!("{A4}/24"), "dev", "dummy0"]);
    ns.ip(&["addr", "add", &format!("{A6}/64"), "dev", "dummy0", "nodad"]);
    ns.ip(&["link", "set", "dummy0", "up"]);
    assert_eq!(mtu(&ns, "dummy0"), 1500);
    ns.ip_line(&format!("link add ref0 {type_and_options}"));
    mtu(&ns, "ref0")
}

/// Sends `count` echo requests, 0.2 s apart; returns how many replies came back.
fn ping_count(ns: &Netns, addr: &str, count: u64) -> u64 {
    let out = ns.exec(
        "ping",
        &["-n", "-c", &count.to_string(), "-i", "0.2", "-W", "2", addr],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // "5 packets transmitted, 5 received, 0% packet loss, time 803ms"
    text.lines()
        .find(|l| l.contains("packets transmitted"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "ping {addr} from {}: no summary:\n{text}{}",
                ns.name(),
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// Pings `to` from `from` through the tunnel: every echo request must be answered, and the
/// receiver's UDP (IPv4 underlay) or UDP6 (IPv6 underlay) InDatagrams must grow by at least the
/// number of requests: UDP carried them.
#[track_caller]
fn assert_carried_by_udp(from: &Netns, to: &Netns, addr: &str, underlay: Underlay) {
    // One ping first, so address resolution on the underlay (and on a gretap, inside) is done.
    from.ping_ok(addr);
    let before = to.udp_counters();
    let replies = ping_count(from, addr, PINGS);
    let after = to.udp_counters();
    assert_eq!(
        replies,
        PINGS,
        "ping {addr} from {}: {replies} of {PINGS} replies",
        from.name()
    );
    let (was, now, what) = match underlay {
        Underlay::V4 => (
            before.v4.in_datagrams,
            after.v4.in_datagrams,
            "UdpInDatagrams",
        ),
        Underlay::V6 => (
            before.v6.in_datagrams,
            after.v6.in_datagrams,
            "Udp6InDatagrams",
        ),
    };
    assert!(
        now >= was + PINGS,
        "{PINGS} pings to {addr} crossed the tunnel, but {}'s {what} grew only from {was} to {now} \
         ({before:?} -> {after:?})",
        to.name()
    );
}

/// Deletes the receiver's port with rfou (`del_words`, e.g. `del port 5555`); after that, pings
/// through the tunnel go unanswered and land on a UDP port with no socket.
#[track_caller]
fn assert_dead_without_port(
    from: &Netns,
    to: &Netns,
    addr: &str,
    del_words: &str,
    underlay: Underlay,
) {
    rf_ok(to, del_words);
    assert_eq!(
        to.ip_json(&["fou", "show"]),
        serde_json::json!([]),
        "`rfou {del_words}` left a port in {}",
        to.name()
    );
    let before = to.udp_counters();
    from.ping_fails(addr);
    let after = to.udp_counters();
    let (stats_before, stats_after) = match underlay {
        Underlay::V4 => (before.v4, after.v4),
        Underlay::V6 => (before.v6, after.v6),
    };
    assert!(
        stats_after.no_ports > stats_before.no_ports,
        "without its port, {}'s UDP NoPorts did not grow: {before:?} -> {after:?}",
        to.name()
    );
    assert_eq!(
        stats_after.in_datagrams,
        stats_before.in_datagrams,
        "without its port, {} still received UDP datagrams",
        to.name()
    );
}

/// IPIP over FOU. Side a makes its tunnel plain and gives it the encapsulation afterwards
/// (`tunnel encap`), side b makes it with its encapsulation: both get iproute2's MTU, 1472.
#[test]
fn ipip_over_fou() {
    let (a, b) = underlay_pair("t-ipip");
    rf_ok(&a, "add port 5555 ipproto 4");
    rf_ok(&b, "add port 5555 ipproto ipip");

    rf_ok(
        &a,
        &format!("tunnel add tun1 mode ipip remote {B4} local {A4}"),
    );
    assert_eq!(mtu(&a, "tun1"), 1480);
    let out = rf_ok(&a, "tunnel encap dev tun1 fou encap-dport 5555");
    assert!(
        out.stderr.contains("1480") && out.stderr.contains("1472"),
        "tunnel encap should say the MTU went 1480 -> 1472:\n{out}"
    );
    rf_ok(
        &b,
        &format!("tunnel add tun1 mode ipip remote {A4} local {B4} encap fou encap-dport 5555"),
    );
    address_tunnel(&a, "tun1", &format!("{INNER_A4}/30"));
    address_tunnel(&b, "tun1", &format!("{INNER_B4}/30"));

    let reference = iproute2_mtu(&format!(
        "type ipip remote {B4} local {A4} encap fou encap-dport 5555"
    ));
    assert_eq!(reference, 1472);
    assert_eq!(mtu(&a, "tun1"), reference, "after rfou tunnel encap");
    assert_eq!(
        mtu(&b, "tun1"),
        reference,
        "made by rfou tunnel add ... encap"
    );
    for ns in [&a, &b] {
        let encap = ip_encap(ns, "tun1");
        assert_eq!(encap["type"], "fou", "{}: {encap}", ns.name());
        assert_eq!(encap["dport"], 5555, "{}: {encap}", ns.name());
        assert_eq!(encap["sport"], 0, "{}: {encap}", ns.name());
    }

    assert_carried_by_udp(&a, &b, INNER_B4, Underlay::V4);
    assert_carried_by_udp(&b, &a, INNER_A4, Underlay::V4);
    assert_full_size_ping(&a, "tun1", INNER_B4);
    assert_full_size_ping(&b, "tun1", INNER_A4);
    assert_dead_without_port(&a, &b, INNER_B4, "del port 5555", Underlay::V4);
}

/// GRE over GUE with UDP checksums (`encap-csum`); side a gets its encapsulation with
/// `tunnel encap`, side b with `tunnel add`.
#[test]
fn gre_over_gue_with_csum() {
    let (a, b) = underlay_pair("t-gregue");
    rf_ok(&a, "add port 5556 gue");
    rf_ok(&b, "add port 5556 gue");

    rf_ok(
        &a,
        &format!("tunnel add gre1 mode gre remote {B4} local {A4}"),
    );
    assert_eq!(mtu(&a, "gre1"), 1476);
    rf_ok(&a, "tunnel encap dev gre1 gue encap-dport 5556 encap-csum");
    rf_ok(
        &b,
        &format!(
            "tunnel add gre1 mode gre remote {A4} local {B4} encap gue encap-dport 5556 encap-csum"
        ),
    );
    address_tunnel(&a, "gre1", &format!("{INNER_A4}/30"));
    address_tunnel(&b, "gre1", &format!("{INNER_B4}/30"));

    for ns in [&a, &b] {
        let encap = ip_encap(ns, "gre1");
        assert_eq!(encap["type"], "gue", "{}: {encap}", ns.name());
        assert_eq!(encap["dport"], 5556, "{}: {encap}", ns.name());
        assert_eq!(encap["csum"], true, "{}: {encap}", ns.name());
    }
    // 1500 - 20 (IPv4) - 8 (UDP) - 4 (GUE) - 4 (GRE).
    let reference = iproute2_mtu(&format!(
        "type gre remote {B4} local {A4} encap gue encap-dport 5556 encap-csum"
    ));
    assert_eq!(reference, 1464);
    assert_eq!(mtu(&a, "gre1"), reference, "after rfou tunnel encap");
    assert_eq!(
        mtu(&b, "gre1"),
        reference,
        "made by rfou tunnel add ... encap"
    );

    assert_carried_by_udp(&a, &b, INNER_B4, Underlay::V4);
    assert_carried_by_udp(&b, &a, INNER_A4, Underlay::V4);
    assert_full_size_ping(&a, "gre1", INNER_B4);
    assert_full_size_ping(&b, "gre1", INNER_A4);
    assert_dead_without_port(&a, &b, INNER_B4, "del port 5556", Underlay::V4);
}

/// GRE over direct FOU (ipproto 47), both sides given their encapsulation by `tunnel encap`:
/// the MTU goes from 1476 to iproute2's 1468, and a full-size DF ping fits.
#[test]
fn gre_over_fou_full_size_after_tunnel_encap() {
    let (a, b) = underlay_pair("t-grefou");
    for (ns, local, remote) in [(&a, A4, B4), (&b, B4, A4)] {
        rf_ok(ns, "add port 5557 ipproto gre");
        rf_ok(
            ns,
            &format!("tunnel add gre1 mode gre remote {remote} local {local}"),
        );
        assert_eq!(mtu(ns, "gre1"), 1476);
        let out = rf_ok(ns, "tunnel encap dev gre1 fou encap-dport 5557");
        assert!(
            out.stderr.contains("1476") && out.stderr.contains("1468"),
            "tunnel encap should say the MTU went 1476 -> 1468:\n{out}"
        );
    }
    address_tunnel(&a, "gre1", &format!("{INNER_A4}/30"));
    address_tunnel(&b, "gre1", &format!("{INNER_B4}/30"));

    let reference = iproute2_mtu(&format!(
        "type gre remote {B4} local {A4} encap fou encap-dport 5557"
    ));
    assert_eq!(reference, 1468);
    assert_eq!(mtu(&a, "gre1"), reference);
    assert_eq!(mtu(&b, "gre1"), reference);

    assert_carried_by_udp(&a, &b, INNER_B4, Underlay::V4);
    assert_full_size_ping(&a, "gre1", INNER_B4);
    assert_full_size_ping(&b, "gre1", INNER_A4);
    assert_dead_without_port(&a, &b, INNER_B4, "del port 5557", Underlay::V4);
}

/// SIT over FOU: IPv6 inside IPv4, the port carrying ipproto 41.
#[test]
fn sit_over_fou() {
    let (a, b) = underlay_pair("t-sit");
    rf_ok(&a, "add port 5558 ipproto 41");
    rf_ok(&b, "add port 5558 ipproto ipv6");
    for (ns, local, remote) in [(&a, A4, B4), (&b, B4, A4)] {
        rf_ok(
            ns,
            &format!(
                "tunnel add sit1 mode sit remote {remote} local {local} encap fou encap-dport 5558"
            ),
        );
        let encap = ip_encap(ns, "sit1");
        assert_eq!(encap["type"], "fou", "{}: {encap}", ns.name());
        assert_eq!(encap["dport"], 5558, "{}: {encap}", ns.name());
    }
    address_tunnel(&a, "sit1", &format!("{INNER_A6}/64"));
    address_tunnel(&b, "sit1", &format!("{INNER_B6}/64"));
    let reference = iproute2_mtu(&format!(
        "type sit remote {B4} local {A4} encap fou encap-dport 5558"
    ));
    assert_eq!(mtu(&a, "sit1"), reference);

    assert_carried_by_udp(&a, &b, INNER_B6, Underlay::V4);
    assert_carried_by_udp(&b, &a, INNER_A6, Underlay::V4);
    assert_dead_without_port(&a, &b, INNER_B6, "del port 5558", Underlay::V4);
}

/// ip6tnl in mode ipip6 (IPv4 inside IPv6) over FOU on an IPv6 underlay: the receive port is
/// an IPv6 one (`-6`) carrying ipproto 4.
#[test]
fn ip6tnl_ipip6_over_fou_on_ipv6() {
    let (a, b) = underlay_pair("t-ip6tnl");
    // `-6` as a global option on one side, as a keyword on the other.
    rf_ok(&a, "-6 add port 5559 ipproto 4");
    rf_ok(&b, "add port 5559 ipproto 4 -6");
    for ns in [&a, &b] {
        let ports = ns.ip_json(&["fou", "show"]);
        assert_eq!(ports[0]["family"], "inet6", "{}: {ports}", ns.name());
    }
    for (ns, local, remote) in [(&a, A6, B6), (&b, B6, A6)] {
        rf_ok(
            ns,
            &format!(
                "tunnel add ip6t1 mode ipip6 remote {remote} local {local} encap fou encap-dport 5559"
            ),
        );
        let link = ns.link_json("ip6t1");
        let data = &link["linkinfo"]["info_data"];
        assert_eq!(data["proto"], "ipip6", "{}: {link}", ns.name());
        assert_eq!(data["encap"]["type"], "fou", "{}: {link}", ns.name());
        assert_eq!(data["encap"]["dport"], 5559, "{}: {link}", ns.name());
    }
    address_tunnel(&a, "ip6t1", &format!("{INNER_A4}/30"));
    address_tunnel(&b, "ip6t1", &format!("{INNER_B4}/30"));
    let reference = iproute2_mtu(&format!(
        "type ip6tnl mode ipip6 remote {B6} local {A6} encap fou encap-dport 5559"
    ));
    assert_eq!(mtu(&a, "ip6t1"), reference);

    assert_carried_by_udp(&a, &b, INNER_B4, Underlay::V6);
    assert_carried_by_udp(&b, &a, INNER_A4, Underlay::V6);
    assert_dead_without_port(&a, &b, INNER_B4, "del port 5559 -6", Underlay::V6);
}

/// ip6gre over GUE on an IPv6 underlay (an IPv6 GUE port, `-6 gue`).
#[test]
fn ip6gre_over_gue_on_ipv6() {
    let (a, b) = underlay_pair("t-ip6gre");
    rf_ok(&a, "-6 add port 5560 gue");
    rf_ok(&b, "add port 5560 gue -6");
    for (ns, local, remote) in [(&a, A6, B6), (&b, B6, A6)] {
        rf_ok(
            ns,
            &format!(
                "tunnel add g6 mode ip6gre remote {remote} local {local} encap gue encap-dport 5560"
            ),
        );
        let encap = ip_encap(ns, "g6");
        assert_eq!(encap["type"], "gue", "{}: {encap}", ns.name());
        assert_eq!(encap["dport"], 5560, "{}: {encap}", ns.name());
        // iproute2's default on IPv6 underlays: the UDP checksum, which IPv6 wants.
        assert_eq!(encap["csum6"], true, "{}: {encap}", ns.name());
    }
    address_tunnel(&a, "g6", &format!("{INNER_A4}/30"));
    address_tunnel(&b, "g6", &format!("{INNER_B4}/30"));
    let reference = iproute2_mtu(&format!(
        "type ip6gre remote {B6} local {A6} encap gue encap-dport 5560"
    ));
    assert_eq!(mtu(&a, "g6"), reference);

    assert_carried_by_udp(&a, &b, INNER_B4, Underlay::V6);
    assert_carried_by_udp(&b, &a, INNER_A4, Underlay::V6);
    assert_dead_without_port(&a, &b, INNER_B4, "-6 del port 5560", Underlay::V6);
}

/// gretap (Ethernet inside GRE) over FOU, ipproto 47: ARP and pings between addresses on the
/// gretap devices. Side a gets the encapsulation by `tunnel encap`.
#[test]
fn gretap_over_fou() {
    let (a, b) = underlay_pair("t-gretap");
    rf_ok(&a, "add port 5561 ipproto 47");
    rf_ok(&b, "add port 5561 ipproto 47");
    rf_ok(
        &a,
        &format!("tunnel add tap1 mode gretap remote {B4} local {A4}"),
    );
    rf_ok(&a, "tunnel encap dev tap1 fou encap-dport 5561");
    rf_ok(
        &b,
        &format!("tunnel add tap1 mode gretap remote {A4} local {B4} encap fou encap-dport 5561"),
    );
    for ns in [&a, &b] {
        let link = ns.link_json("tap1");
        assert_eq!(link["linkinfo"]["info_kind"], "gretap", "{link}");
        assert_eq!(
            link["linkinfo"]["info_data"]["encap"]["type"], "fou",
            "{link}"
        );
    }
    address_tunnel(&a, "tap1", &format!("{INNER_A4}/24"));
    address_tunnel(&b, "tap1", &format!("{INNER_B4}/24"));
    let reference = iproute2_mtu(&format!(
        "type gretap remote {B4} local {A4} encap fou encap-dport 5561"
    ));
    assert_eq!(mtu(&a, "tap1"), reference, "after rfou tunnel encap");
    assert_eq!(
        mtu(&b, "tap1"),
        reference,
        "made by rfou tunnel add ... encap"
    );

    assert_carried_by_udp(&a, &b, INNER_B4, Underlay::V4);
    assert_carried_by_udp(&b, &a, INNER_A4, Underlay::V4);
    assert_dead_without_port(&a, &b, INNER_B4, "del port 5561", Underlay::V4);
}
