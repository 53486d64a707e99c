//! Pins of what differs, or once differed, between the kernels rfou is tested on (Debian's 6.1,
//! 6.12 and 7.2, see docs/kernels.md), and of what rfou does about it. scripts/test runs this
//! file on each of them.

use rfou_uapi::fou as uapi;

use crate::harness::*;
use crate::raw_fou::{self, Refusal};

/// Sends one fou request with exactly these attributes (type and value bytes), in `ns`, past
/// rfou's own checks. A thread of its own enters the namespace and ends there.
fn raw(ns: &Netns, cmd: u8, attrs: Vec<(u16, Vec<u8>)>) -> Result<(), Refusal> {
    in_netns(ns.name(), || raw_fou::send(cmd, &attrs))
}

fn attrs(words: &[&str]) -> Vec<(u16, Vec<u8>)> {
    words
        .iter()
        .map(|w| raw_fou::attr(w).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn ports(ns: &Netns) -> serde_json::Value {
    ns.ip_json(&["fou", "show"])
}

/// An `IPPROTO` of 0 is refused by the kernel itself (the CVE-2026-23083 fix, backported to
/// Debian's 6.1 and 6.12), also for GUE, which clients sent it with. rfou refuses `ipproto 0`
/// before sending anything and sends no `IPPROTO` at all for GUE, so its GUE ports work on
/// every kernel.
#[test]
fn ipproto_0_is_refused_by_every_kernel_and_never_sent_by_rfou() {
    let ns = Netns::new("k-proto0");
    // One port already there, so that "unchanged" compares something.
    rf_ok(&ns, "add port 5600 ipproto 4");
    let before = ports(&ns);
    for kind in [uapi::FOU_ENCAP_DIRECT, uapi::FOU_ENCAP_GUE] {
        let words = ["port=5601", "af=4", &format!("type={kind}"), "ipproto=0"];
        let err =
            raw(&ns, uapi::FOU_CMD_ADD, attrs(&words)).expect_err("the kernel accepted IPPROTO 0");
        assert_eq!(err.errno, libc::ERANGE, "type {kind}: {err:?}");
        assert_eq!(
            ports(&ns),
            before,
            "type {kind}: the refused request changed the ports"
        );
    }
    rf(&ns, "add port 5601 ipproto 0").assert_fails(2);
    assert_eq!(
        ports(&ns),
        before,
        "rfou's refused ipproto 0 changed the ports"
    );
    rf_ok(&ns, "add port 5601 gue");
    let listed = ports(&ns);
    assert!(
        listed
            .as_array()
            .expect("an array")
            .contains(&serde_json::json!({"port": 5601, "gue": null, "family": "inet"})),
        "{listed}"
    );
}

fn sorted(list: serde_json::Value) -> Vec<serde_json::Value> {
    let mut v = list.as_array().cloned().unwrap_or_default();
    v.sort_by_key(|p| p.to_string());
    v
}

/// A direct port requested with no `IPPROTO` at all: Debian's 6.1 and 7.2 refuse it (EINVAL),
/// 6.12 accepts it and makes a port of protocol 0 (docs/kernels.md). rfou always sends
/// `IPPROTO` for a direct port (tests/golden.rs), but another client can leave such a port
/// behind on 6.12: rfou lists it as `ip` does and deletes it.
#[test]
fn a_direct_port_without_ipproto_is_accepted_by_6_12_alone_and_listed_and_deleted_by_rfou() {
    let ns = Netns::new("k-noproto");
    rf_ok(&ns, "add port 5600 ipproto 4");
    let before = ports(&ns);
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let result = raw(
        &ns,
        uapi::FOU_CMD_ADD,
        attrs(&[
            "port=5602",
            "af=4",
            &format!("type={}", uapi::FOU_ENCAP_DIRECT),
        ]),
    );
    if !release.starts_with("6.12.") {
        let err = match result {
            Ok(()) => panic!("{} accepted a direct port without IPPROTO", release.trim()),
            Err(err) => err,
        };
        assert_eq!(err.errno, libc::EINVAL, "{err:?}");
        assert_eq!(ports(&ns), before);
        return;
    }
    result.unwrap_or_else(|e| {
        panic!(
            "{} refused a direct port without IPPROTO: {e:?}",
            release.trim()
        )
    });
    let listed = ports(&ns);
    assert!(
        listed
            .as_array()
            .expect("an array")
            .contains(&serde_json::json!({"port": 5602, "ipproto": 0, "family": "inet"})),
        "{listed}"
    );
    let shown = rf_ok(&ns, "-j show").json();
    assert_eq!(
        sorted(shown),
        sorted(listed),
        "rfou -j show against ip -j fou show"
    );
    rf_ok(&ns, "del port 5602");
    assert_eq!(ports(&ns), before, "rfou del left the port");
}
