//! Tests of the harness and the VM pipeline, with iproute2 only (no rfou): if these fail, the
//! other kernel tests cannot be believed either way.

use crate::harness::{veth_pair, Netns};
use std::panic::{self, AssertUnwindSafe};

fn netns_exists(name: &str) -> bool {
    crate::harness::run("ip", &["netns", "list"])
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name))
}

#[test]
fn netns_guard_creates_and_deletes() {
    let ns = Netns::new("guard");
    let name = ns.name().to_string();
    assert!(netns_exists(&name), "{name} missing after Netns::new");
    let lo = ns.link_json("lo");
    assert!(
        lo["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
        "lo is not up in {name}: {lo}"
    );
    drop(ns);
    assert!(!netns_exists(&name), "{name} left behind after drop");

    // Also when the test panics.
    let mut name = String::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let ns = Netns::new("guard-panic");
        name = ns.name().to_string();
        panic!("deliberate panic: checking that Netns is deleted on unwind");
    }));
    assert!(result.is_err());
    assert!(!name.is_empty());
    assert!(!netns_exists(&name), "{name} left behind after a panic");
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("did not panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn ip_failures_panic_with_ips_message() {
    let ns = Netns::new("fail");
    let msg = panic_message(|| {
        ns.ip(&["link", "set", "nosuchdev", "up"]);
    });
    assert!(msg.contains("Cannot find device"), "{msg}");
    let msg = panic_message(|| {
        ns.ip_batch("link set lo up\nlink set nosuchdev up");
    });
    assert!(msg.contains("Cannot find device"), "{msg}");
    let msg = panic_message(|| {
        ns.ping_ok("192.0.2.1");
    });
    assert!(msg.contains("Network is unreachable"), "{msg}");
}

#[test]
fn veth_pair_carries_ipv4_and_ipv6() {
    let a = Netns::new("veth-a");
    let b = Netns::new("veth-b");
    veth_pair(
        &a,
        &["192.0.2.1/24", "2001:db8::1/64"],
        &b,
        &["192.0.2.2/24", "2001:db8::2/64"],
    );
    a.ping_ok("192.0.2.2");
    b.ping_ok("192.0.2.1");
    a.ping_ok("2001:db8::2");
    b.ping_ok("2001:db8::1");
    a.ping_fails("192.0.2.3");
}

/// IPIP over FOU, set up with iproute2 alone: the tunnel carries pings inside UDP, and stops
/// when the receiver's fou port goes.
#[test]
fn ipip_over_fou_with_iproute2() {
    let a = Netns::new("fou-a");
    let b = Netns::new("fou-b");
    veth_pair(&a, &["192.0.2.1/24"], &b, &["192.0.2.2/24"]);
    for (ns, local, remote, inner) in [
        (&a, "192.0.2.1", "192.0.2.2", "10.99.0.1/30"),
        (&b, "192.0.2.2", "192.0.2.1", "10.99.0.2/30"),
    ] {
        ns.ip_batch(&format!(
            "fou add port 5555 ipproto 4\n\
             link add tun1 type ipip remote {remote} local {local} \
             encap fou encap-sport auto encap-dport 5555\n\
             addr add {inner} dev tun1\n\
             link set tun1 up"
        ));
    }

    // What iproute2 reports of it.
    let ports = b.ip_json(&["fou", "show"]);
    let ports = ports.as_array().expect("ip -j fou show: not an array");
    assert_eq!(ports.len(), 1, "ports: {ports:?}");
    assert_eq!(ports[0]["port"], 5555, "{}", ports[0]);
    assert_eq!(ports[0]["ipproto"], 4, "{}", ports[0]);
    assert_eq!(ports[0]["family"], "inet", "{}", ports[0]);
    let link = a.link_json("tun1");
    let encap = &link["linkinfo"]["info_data"]["encap"];
    assert_eq!(encap["type"], "fou", "{link}");
    assert_eq!(encap["dport"], 5555, "{link}");
    assert_eq!(encap["sport"], 0, "encap-sport auto reads as 0: {link}");
    // Made with its encap, the tunnel leaves room for the 8-byte UDP header: 1500 - 20 - 8.
    assert_eq!(link["mtu"], 1472, "{link}");

    // Pings cross the tunnel, and arrive as UDP datagrams.
    let before = b.udp_counters();
    a.ping_ok("10.99.0.2");
    let after = b.udp_counters();
    assert!(
        after.v4.in_datagrams > before.v4.in_datagrams,
        "receiver's UdpInDatagrams did not grow: {before:?} -> {after:?}"
    );

    // Without the receiver's fou port, the datagrams find no socket and the tunnel is dead.
    b.ip(&["fou", "del", "port", "5555"]);
    assert_eq!(b.ip_json(&["fou", "show"]), serde_json::json!([]));
    let before = b.udp_counters();
    a.ping_fails("10.99.0.2");
    let after = b.udp_counters();
    assert!(
        after.v4.no_ports > before.v4.no_ports,
        "receiver's UdpNoPorts did not grow: {before:?} -> {after:?}"
    );
    assert_eq!(after.v4.in_datagrams, before.v4.in_datagrams);
}
