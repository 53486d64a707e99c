//! The demo's namespaces (scripts/demo-netns: IPIP, GRE and SIT over FOU between two
//! namespaces joined by veth, set up with rfou alone), made with the demo's own commands in
//! one batch a side: `rfou doctor` finds no failure on either side, and exits 0. (The demo
//! runs the doctor itself, and fails where it finds one; this test keeps the suite's time.)

use super::doctor;
use crate::harness::*;

/// One side of the demo: its receive ports and tunnels, as scripts/demo-netns makes them.
fn side(ns: &Netns, local: &str, remote: &str) {
    ns.ip_line(&format!(
        "link add tun-sit type sit remote {remote} local {local}"
    ));
    let batch = format!(
        "add port 5555 ipproto ipip
add port 5556 ipproto gre
add port 5557 ipproto ipv6
tunnel add tun-ipip mode ipip remote {remote} local {local} encap fou encap-dport 5555
tunnel add tun-gre mode gre remote {remote} local {local} encap fou encap-dport 5556
tunnel encap dev tun-sit fou encap-dport 5557
"
    );
    rf_batch(ns, &batch);
}

#[test]
fn the_demos_namespaces_have_no_failure() {
    let left = Netns::new("demo-left");
    let right = Netns::new("demo-right");
    veth_pair_named(
        &left,
        "veth-l",
        &["192.0.2.1/24"],
        &right,
        "veth-r",
        &["192.0.2.2/24"],
    );
    side(&left, "192.0.2.1", "192.0.2.2");
    side(&right, "192.0.2.2", "192.0.2.1");
    for ns in [&left, &right] {
        let report = doctor(Some(ns), &[]);
        assert_eq!(report.out.status, 0, "{}", report.out);
        for (name, status) in report.summary() {
            assert_ne!(status, "fail", "{name}: {}", report.out);
        }
        for tunnel in ["tun-ipip", "tun-gre", "tun-sit"] {
            for id in ["port-proto", "port-missing", "encap-sport", "mtu"] {
                report.expect(&format!("{id} {tunnel}"), "ok", Some(false));
            }
        }
    }
}
