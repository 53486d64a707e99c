//! The checks of a NIC with RSS: QEMU's virtio-net with `rss=on` (the VM's NIC, which
//! scripts/vm-run adds with RFOU_VM_NIC_RSS=1), moved into a namespace of the test's own for
//! the test and back after. Its UDP flow hash is made to leave the ports out, found, and
//! fixed by the fix the doctor gives.

use super::{doctor, doctor_read_only, ethtool, run_fix, virtio_nic, VIRTIO};
use crate::harness::*;

/// The virtio NIC, moved into `ns`; put back (its UDP hash on addresses and ports, as QEMU
/// starts it) and moved home when dropped.
struct Moved<'a> {
    ns: &'a Netns,
    dev: String,
}

impl<'a> Moved<'a> {
    fn into(ns: &'a Netns, dev: &str) -> Self {
        run("ip", &["link", "set", dev, "netns", ns.name()]);
        Moved {
            ns,
            dev: dev.to_string(),
        }
    }
}

impl Drop for Moved<'_> {
    fn drop(&mut self) {
        let dev = self.dev.as_str();
        let _ = self
            .ns
            .exec("ethtool", &["-N", dev, "rx-flow-hash", "udp4", "sdfn"]);
        let _ = self.ns.try_ip(&["link", "set", dev, "netns", "1"]);
    }
}

#[test]
fn rss_that_leaves_out_the_ports_is_found_and_fixed_on_virtio_net() {
    require_kernel();
    let _nic = VIRTIO.lock().unwrap_or_else(|e| e.into_inner());
    let dev = virtio_nic();
    let ns = Netns::new("doctor-virtio");
    let _moved = Moved::into(&ns, &dev);
    ns.ip_batch(&format!(
        "addr add 203.0.113.1/24 dev {dev}\nlink set {dev} up"
    ));
    rf_ok(&ns, "add port 7000 ipproto ipip");
    rf_ok(
        &ns,
        "tunnel add tv mode ipip local 203.0.113.1 remote 203.0.113.2 encap fou encap-dport 7000",
    );
    let (text, _) = ethtool(Some(&ns), &["-N", &dev, "rx-flow-hash", "udp4", "sd"]);
    assert!(!text.contains("Cannot"), "ethtool -N {dev} udp4 sd: {text}");

    let found = doctor_read_only(&[], Some(&ns), &[&dev], &["dev", "tv"]);
    let fix = found
        .expect(&format!("rss-udp {dev}"), "warn", Some(true))
        .unwrap();
    assert_eq!(
        fix,
        format!(
            "ip netns exec {} ethtool -N {dev} rx-flow-hash udp4 sdfn",
            ns.name()
        )
    );
    // Two queue pairs in use (one per vCPU): RSS spreads, no RPS needed.
    found.expect(&format!("queues {dev}"), "ok", Some(false));
    found.expect(&format!("gro {dev}"), "ok", Some(false));
    found.expect(&format!("offload {dev}"), "warn", None);
    run_fix(&fix);
    let fixed = doctor(Some(&ns), &["dev", "tv"]);
    fixed.expect(&format!("rss-udp {dev}"), "ok", Some(false));
    assert_eq!(fixed.out.status, 0, "{}", fixed.out);
}
