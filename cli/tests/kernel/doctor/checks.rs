//! Every check of the data path both ways, on veth and dummy underlays: one namespace with one
//! defect of each kind, one `rfou -j doctor` that must find each with its fix and exit 1
//! (changing nothing), then each fix run as given, and a second doctor that finds them all
//! fixed and exits 0. The module check is made and fixed here too (fou6 unloaded under an IPv6
//! tunnel), so this test has the kernel's modules to itself; the privilege check runs the
//! first doctor without CAP_NET_ADMIN.

use super::{doctor, doctor_read_only, run_fix, sysctls, Doctor};
use crate::harness::*;

/// The namespace's tunnels and ports, each tunnel with one defect of its own (and ports that
/// fit it otherwise): `tp` port-proto and rp-filter, `tm` port-missing, `ts` encap-sport, `t6`
/// csum6 (and module fou6), `tmtu` mtu; port 40000 port-ephemeral. veth0, their underlay,
/// has GRO off (veth's default), one queue without RPS (veth's default), and UDP tunnel
/// segmentation turned off.
const SETUP: &str = "
add port 5555 ipproto gre
tunnel add tp mode ipip local 192.0.2.1 remote 192.0.2.2 encap fou encap-dport 5555
tunnel add tm mode gre local 192.0.2.1 remote 192.0.2.2 encap fou encap-dport 5556
add port 5557 ipproto ipv6
tunnel add ts mode sit local 192.0.2.1 remote 192.0.2.2 encap fou encap-sport 4000 encap-dport 5557
add port 5558 ipproto ipv6 -6
tunnel add t6 mode ip6ip6 local 2001:db8::1 remote 2001:db8::2 encap fou encap-dport 5558 noencap-csum6
add port 5559 ipproto ipip
tunnel add tmtu mode ipip local 192.0.2.1 remote 192.0.2.3 encap fou encap-dport 5559
add port 40000 gue
";

/// The checks the defects make: (check, status, whether it has a fix).
const FOUND: &[(&str, &str, bool)] = &[
    ("module fou6", "fail", true),
    ("privilege", "warn", false),
    ("port-proto tp", "fail", true),
    ("rp-filter tp", "warn", true),
    ("port-missing tm", "warn", true),
    ("encap-sport ts", "warn", true),
    ("csum6 t6", "warn", true),
    ("mtu tmtu", "fail", true),
    ("queues veth0", "warn", true),
    ("offload veth0", "warn", true),
    ("gro veth0", "warn", true),
    ("port-ephemeral 40000", "warn", true),
];

/// Unloads fou6 and loads it again when dropped, also when the test fails.
struct Fou6Unloaded;

impl Fou6Unloaded {
    fn new() -> Self {
        // rmmod, not modprobe -r: that would take the unused modules fou6 needs with it.
        run("rmmod", &["fou6"]);
        Fou6Unloaded
    }
}

impl Drop for Fou6Unloaded {
    fn drop(&mut self) {
        let _ = try_run("modprobe", &["fou6"]);
    }
}

#[test]
fn every_defect_is_found_with_its_fix_and_every_fix_makes_it_ok() {
    let _alone = modules_alone();
    let ns = Netns::new("doctor");
    sysctls(
        &ns,
        &[
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ],
    );
    ns.ip_batch(
        "link add veth0 type veth peer name veth1
addr add 192.0.2.1/24 dev veth0
addr add 2001:db8::1/64 dev veth0 nodad
link set veth0 up
link set veth1 up",
    );
    rf_batch(&ns, SETUP.trim());
    ns.ip_line("link set tmtu mtu 1480");
    sysctls(&ns, &["net.ipv4.conf.tp.rp_filter=1"]);
    ns.exec_ok(
        "ethtool",
        &["-K", "veth0", "tx-udp_tnl-segmentation", "off"],
    );
    let fou6 = Fou6Unloaded::new();

    // Without CAP_NET_ADMIN (dropped from the bounding set, so rfou never has it).
    let drop_net_admin = ["setpriv", "--bounding-set", "-net_admin"];
    let found = doctor_read_only(&drop_net_admin, Some(&ns), &["veth0"], &[]);
    assert_eq!(found.out.status, 1, "{}", found.out);
    for (name, status, fixed) in FOUND {
        found.expect(name, status, Some(*fixed));
    }
    let fixes: Vec<String> = found.report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["fix"].as_str().map(str::to_string))
        .collect();
    // No RSS on veth: unknown, with the reason; and nothing else is amiss.
    found.expect("rss-udp veth0", "unknown", Some(false));
    let rss = found.check("rss-udp veth0");
    assert!(
        rss["detail"].as_str().unwrap().contains("EOPNOTSUPP"),
        "{rss}"
    );
    for (name, status) in found.summary() {
        let listed = FOUND.iter().any(|(n, ..)| *n == name) || name == "rss-udp veth0";
        assert!(
            listed || status == "ok",
            "{name} is {status}, not ok: {}",
            found.out
        );
    }
    // README.md shows this namespace's report, as root, as what a misconfigured host looks
    // like: it must be what the doctor prints here.
    let text = rfou(Some(&ns), &["doctor"]);
    assert_eq!(text.status, 1, "{text}");
    assert_readme_shows(&text.stdout.replace(ns.name(), README_NETNS));
    // The fixes, as given, in the report's order (the module's first), in one shell that
    // stops at the first that fails.
    run_fix(&format!("set -e\n{}", fixes.join("\n")));
    assert!(std::path::Path::new("/sys/module/fou6").exists());
    drop(fou6);

    let fixed = doctor(Some(&ns), &[]);
    assert_eq!(fixed.out.status, 0, "{}", fixed.out);
    for (name, ..) in FOUND {
        fixed.expect(name, "ok", Some(false));
    }
    fixed.expect("rss-udp veth0", "unknown", Some(false));
}

/// The found report of `ns` for `dev NAME`: only that tunnel and its underlay, or that device.
#[track_caller]
fn names(report: &Doctor) -> Vec<String> {
    report.summary().into_iter().map(|(name, _)| name).collect()
}

#[test]
fn a_dummy_underlay_and_a_strict_all_rp_filter_and_doctor_dev() {
    let ns = Netns::new("doctor-dummy");
    sysctls(
        &ns,
        &[
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ],
    );
    ns.ip_batch(
        "link add d0 type dummy
addr add 198.51.100.1/24 dev d0
link set d0 up",
    );
    rf_ok(&ns, "add port 6000 ipproto ipip");
    rf_ok(
        &ns,
        "tunnel add t1 mode ipip local 198.51.100.1 remote 198.51.100.2 encap fou encap-dport 6000",
    );
    sysctls(&ns, &["net.ipv4.conf.all.rp_filter=1"]);

    // (That the doctor changes nothing is the first test's, on veth.)
    let found = doctor(Some(&ns), &["dev", "d0"]);
    // dummy: GRO and UDP tunnel segmentation on, no RSS, one queue; `all` makes it strict.
    found.expect("rp-filter d0", "warn", Some(true));
    assert!(
        found.check("rp-filter d0")["detail"]
            .as_str()
            .unwrap()
            .contains("all.rp_filter is 1"),
        "{}",
        found.out
    );
    found.expect("gro d0", "ok", Some(false));
    found.expect("offload d0", "ok", Some(false));
    found.expect("rss-udp d0", "unknown", Some(false));
    let queues = found.expect("queues d0", "warn", Some(true)).unwrap();
    // `dev d0` is the device's checks, the kernel's and rfou's; not the tunnel's.
    assert_eq!(
        names(&found),
        [
            "module fou",
            "privilege",
            "rss-udp d0",
            "queues d0",
            "offload d0",
            "gro d0",
            "rp-filter d0"
        ],
        "{}",
        found.out
    );
    run_fix(&found.expect("rp-filter d0", "warn", None).unwrap());
    run_fix(&queues);

    // `dev t1`: the tunnel's checks and its underlay's, the underlay's fixed now; the
    // tunnel's own rp_filter is strict through `all` too.
    let tunnel = doctor(Some(&ns), &["dev", "t1"]);
    tunnel.expect("rp-filter t1", "warn", Some(true));
    for (name, status) in tunnel.summary() {
        let expected = match name.as_str() {
            "rss-udp d0" => "unknown",
            "rp-filter t1" => "warn",
            _ => "ok",
        };
        assert_eq!(status, expected, "{name}: {}", tunnel.out);
    }
    assert!(names(&tunnel).contains(&"mtu t1".to_string()));
    assert!(names(&tunnel).contains(&"queues d0".to_string()));
    assert!(!names(&tunnel).contains(&"port-ephemeral 6000".to_string()));

    // A tunnel with no remote has no route to look up: its underlay is its bound device.
    rf_ok(
        &ns,
        "tunnel add tb mode ipip local 198.51.100.1 dev d0 encap fou encap-dport 6000",
    );
    let bound = doctor(Some(&ns), &["dev", "tb"]);
    for name in ["mtu tb", "queues d0", "gro d0"] {
        assert!(
            names(&bound).contains(&name.to_string()),
            "{name}: {}",
            bound.out
        );
    }

    // A name that is nothing here is the command line's error: exit 2, nothing printed.
    let out = rf(&ns, "-j doctor dev nosuch0");
    out.assert_fails(2);
    assert!(out.stdout.is_empty(), "{out}");
    assert!(out.stderr.contains("nosuch0"), "{out}");
}

/// The namespace's name in README.md's report.
const README_NETNS: &str = "edge";

/// Asserts that the block after "A misconfigured host" in README.md is `report`, word for
/// word (lines may wrap differently: the test's namespace has a longer name).
#[track_caller]
fn assert_readme_shows(report: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let block: String = readme
        .split_once("\nA misconfigured host")
        .and_then(|(_, rest)| rest.split_once("\n```\n"))
        .and_then(|(_, rest)| rest.split_once("\n```\n"))
        .map(|(block, _)| block.to_string())
        .expect("README.md: a ``` block after \"A misconfigured host\"");
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        words(&block),
        words(report),
        "README.md's doctor report is not what the doctor prints for this namespace; \
         it prints:\n{report}"
    );
}
