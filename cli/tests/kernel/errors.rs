//! The error cases of the contract that need a kernel: each one exits with the status the
//! contract gives (1 the kernel or system refused, 2 the command line is wrong), says what went
//! wrong in words a person can act on, and leaves the kernel's state exactly as it was
//! (`ip -j fou show` and `ip -j -d link show`, before and after).
//!
//! Also batches (`rfou -b FILE`): a bad line applies nothing, a refused line stops the batch
//! there unless `--force`. The library's own errors are in library.rs.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::harness::{rf, rf_ok, rfou, veth_pair, Netns, RfouOutput, A4, A6, B4};

/// What the kernel holds in a namespace, as iproute2 reads it: its fou ports and its links
/// (in detail). `operstate` is left out: the kernel settles it in the background.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    ports: Value,
    links: Value,
}

pub(crate) fn state(ns: &Netns) -> State {
    let mut links = ns.ip_json(&["-d", "link", "show"]);
    for link in links.as_array_mut().into_iter().flatten() {
        if let Some(map) = link.as_object_mut() {
            map.remove("operstate");
        }
    }
    State {
        ports: ns.ip_json(&["fou", "show"]),
        links,
    }
}

/// A namespace with something in it to disturb: `dummy0` (A4/24, A6/64), a veth to a second
/// namespace, the port 5555 (ipip, by ip), an ipip tunnel `tun1` without encap and a gre
/// tunnel `gre1` with one (both by ip).
pub(crate) fn populated(prefix: &str) -> (Netns, Netns) {
    let ns = Netns::new(prefix);
    let peer = Netns::new(&format!("{prefix}-peer"));
    veth_pair(&ns, &["198.51.100.1/24"], &peer, &["198.51.100.2/24"]);
    ns.ip(&["link", "add", "dummy0", "type", "dummy"]);
    ns.ip(&["addr", "add", &format!("{A4}/24"), "dev", "dummy0"]);
    ns.ip(&["addr", "add", &format!("{A6}/64"), "dev", "dummy0", "nodad"]);
    ns.ip(&["link", "set", "dummy0", "up"]);
    ns.ip_line("fou add port 5555 ipproto 4");
    ns.ip_line(&format!(
        "link add tun1 type ipip remote {B4} local {A4} ttl 20"
    ));
    ns.ip_line(&format!(
        "link add gre1 type gre remote {B4} local {A4} key 9 encap fou encap-dport 5555"
    ));
    (ns, peer)
}

/// Runs `line` in `ns`: it must exit with `status`, its stderr must contain every one of
/// `words` (case-insensitively), and the kernel state must be as before.
#[track_caller]
fn assert_refused(ns: &Netns, line: &str, status: i32, words: &[&str]) -> RfouOutput {
    let before = state(ns);
    let out = rf(ns, line);
    out.assert_fails(status);
    let stderr = out.stderr.to_lowercase();
    for word in words {
        assert!(
            stderr.contains(&word.to_lowercase()),
            "{out}\nthe message should mention \"{word}\""
        );
    }
    assert!(
        out.stdout.trim().is_empty(),
        "{out}\na refused command prints nothing on stdout"
    );
    let after = state(ns);
    assert_eq!(
        before.ports,
        after.ports,
        "`{line}` changed the fou ports of {}",
        ns.name()
    );
    assert_eq!(
        before.links,
        after.links,
        "`{line}` changed the links of {}",
        ns.name()
    );
    out
}

#[test]
fn duplicate_port_is_refused_by_name() {
    let (ns, _peer) = populated("e-dup");
    let out = assert_refused(
        &ns,
        "add port 5555 ipproto 4",
        1,
        &["5555", "already exists"],
    );
    assert!(out.stderr.contains(ns.name()), "names the namespace: {out}");
    // The same number as GUE, or bound to an address, is the same UDP port all the same.
    assert_refused(&ns, "add port 5555 gue", 1, &["5555", "already exists"]);
    rf_ok(&ns, "add port 5556 gue -6");
    assert_refused(&ns, "add port 5556 gue -6", 1, &["5556", "already exists"]);
}

#[test]
fn delete_of_a_missing_port_is_refused() {
    let (ns, _peer) = populated("e-delmiss");
    assert_refused(&ns, "del port 6000", 1, &["6000", "no such fou port"]);
    // 5555 exists, but as IPv4 only; nor is it bound to that address.
    assert_refused(&ns, "del port 5555 -6", 1, &["5555", "no such fou port"]);
    assert_refused(
        &ns,
        &format!("del port 5555 local {A4}"),
        1,
        &["5555", "no such fou port"],
    );
}

#[test]
fn dev_without_local_is_refused() {
    let (ns, _peer) = populated("e-devloc");
    // Refused before anything is sent: the kernel would answer a bare EINVAL.
    let out = assert_refused(&ns, "add port 5560 ipproto 4 dev dummy0", 2, &["5560"]);
    assert!(
        out.stderr.contains("dev") && out.stderr.contains("local"),
        "should say that dev needs local: {out}"
    );
    // With local it is fine.
    rf_ok(
        &ns,
        &format!("add port 5560 ipproto 4 local {A4} dev dummy0"),
    );
}

/// `tunnel add` refused by the kernel with EEXIST: for a name that is taken, and for a tunnel
/// whose endpoints another tunnel of that kind has (the kernel keeps one per endpoints); the
/// message says which of the two it is.
#[test]
fn tunnel_add_of_an_existing_name_or_endpoints_is_refused() {
    let (ns, _peer) = populated("e-exists");
    // tun1 (ipip, B4 <- A4) and gre1 (key 9) exist, by ip.
    let out = assert_refused(
        &ns,
        &format!("tunnel add dummy0 mode ipip remote 198.51.100.7 local {A4}"),
        1,
        &["dummy0", "already exists"],
    );
    assert!(out.stderr.contains(ns.name()), "names the namespace: {out}");
    let out = assert_refused(
        &ns,
        &format!("tunnel add tun2 mode ipip remote {B4} local {A4}"),
        1,
        &["tun2", "same local and remote"],
    );
    assert!(
        !out.stderr.contains("device \"tun2\" already exists"),
        "tun2 does not exist; its endpoints do:\n{out}"
    );
    assert_refused(
        &ns,
        &format!("tunnel add gre2 mode gre remote {B4} local {A4} key 9"),
        1,
        &["gre2", "same local and remote", "key"],
    );
    // A change onto the endpoints of another tunnel is refused the same way.
    rf_ok(
        &ns,
        &format!("tunnel add tun2 mode ipip remote 198.51.100.7 local {A4}"),
    );
    assert_refused(
        &ns,
        &format!("tunnel change tun2 remote {B4}"),
        1,
        &["tun2", "same local and remote"],
    );
    // Another key is another tunnel.
    rf_ok(
        &ns,
        &format!("tunnel add gre2 mode gre remote {B4} local {A4} key 10"),
    );
}

#[test]
fn missing_device_is_refused() {
    let (ns, _peer) = populated("e-nodev");
    for line in [
        format!("add port 5561 ipproto 4 local {A4} dev nosuch0"),
        format!("del port 5555 local {A4} dev nosuch0"),
        "tunnel encap dev nosuch0 fou encap-dport 5555".to_string(),
        "tunnel change nosuch0 ttl 5".to_string(),
        "tunnel del nosuch0".to_string(),
        "tunnel show nosuch0".to_string(),
        format!("tunnel add tun9 mode ipip remote {B4} dev nosuch0"),
    ] {
        assert_refused(&ns, &line, 2, &["nosuch0", "does not exist"]);
    }
}

#[test]
fn device_that_is_not_a_tunnel_is_refused() {
    let (ns, _peer) = populated("e-notun");
    // lo has no kind (no IFLA_INFO_KIND): rfou says so in those words.
    for (dev, kind) in [
        ("veth0", "a veth"),
        ("dummy0", "a dummy"),
        ("lo", "a device without a kind"),
    ] {
        for line in [
            format!("tunnel encap dev {dev} fou encap-dport 5555"),
            format!("tunnel encap dev {dev} none"),
            format!("tunnel change {dev} ttl 5"),
            format!("tunnel del {dev}"),
            format!("tunnel show {dev}"),
        ] {
            let out = assert_refused(&ns, &line, 2, &[dev, "not a tunnel"]);
            assert!(
                out.stderr.contains(kind),
                "should name the kind {kind}: {out}"
            );
        }
    }
}

#[test]
fn missing_namespace_is_refused() {
    let name = format!("rfou-missing-{}", std::process::id());
    for args in [
        vec!["-n", &name, "show"],
        vec!["-n", &name, "add", "port", "5555", "ipproto", "4"],
        vec!["-n", &name, "tunnel", "show"],
    ] {
        let out = rfou(None, &args);
        out.assert_fails(2);
        assert!(
            out.stderr.contains(&name) && out.stderr.contains("does not exist"),
            "{out}"
        );
    }
    assert!(
        !PathBuf::from("/run/netns").join(&name).exists(),
        "rfou created the namespace {name}"
    );
}

#[test]
fn fou_and_gue_need_encap_dport() {
    let (ns, _peer) = populated("e-dport");
    for line in [
        "tunnel encap dev tun1 fou",
        "tunnel encap dev tun1 gue",
        "tunnel encap dev tun1 fou encap-sport 4000 encap-csum",
        "tunnel change tun1 encap gue",
    ] {
        assert_refused(&ns, line, 2, &["encap-dport"]);
    }
    let out = assert_refused(
        &ns,
        &format!("tunnel add tun2 mode ipip remote 198.51.100.9 local {A4} encap fou"),
        2,
        &["encap-dport"],
    );
    assert!(
        !ns.try_ip(&["link", "show", "dev", "tun2"]).status.success(),
        "{out}\ntun2 was created"
    );
    // gre1 has a dport already: the encap type alone changes it.
    rf_ok(&ns, "tunnel encap dev gre1 gue");
}

/// Command lines that are wrong: exit 2, the offending word named, nothing touched.
#[test]
fn bad_words_touch_nothing() {
    let (ns, _peer) = populated("e-words");
    let cases: &[(&str, &[&str])] = &[
        (
            "tunnel encap dev tun1 fou encap-sport 70000 encap-dport 5555",
            &["encap-sport", "70000"],
        ),
        (
            "tunnel encap dev tun1 fou encap-dport 70000",
            &["encap-dport", "70000"],
        ),
        ("tunnel encap dev tun1 fou encap-dport 0", &["encap-dport"]),
        ("add port 5557 ipproto 0", &["ipproto", "0"]),
        ("add port 5557 ipproto 256", &["ipproto", "256"]),
        ("add port 5557 ipproto bogus", &["ipproto", "bogus"]),
        ("add port 5557 ipproto 4 gue", &["ipproto", "gue"]),
        ("add port 5557", &["ipproto", "gue"]),
        ("add port 0 gue", &["port 0"]),
        ("add port 65536 gue", &["65536"]),
        (
            "add port 5557 ipproto 4 peer_port 7000",
            &["peer_port", "peer"],
        ),
        (
            "add port 5557 ipproto 4 local 2001:db8::1 -4",
            &["local", "2001:db8::1"],
        ),
        (
            "-6 add port 5557 ipproto 4 local 192.0.2.1",
            &["local", "192.0.2.1"],
        ),
        (
            "add port 5557 gue local 192.0.2.1 peer 2001:db8::2",
            &["peer", "2001:db8::2"],
        ),
        (
            "tunnel add tun3 mode ip6gre local 192.0.2.1",
            &["local", "192.0.2.1", "IPv6"],
        ),
        (
            "tunnel add tun3 mode ipip remote 2001:db8::2",
            &["remote", "2001:db8::2", "IPv4"],
        ),
        ("add port 5557 ipproto 4 frobnicate", &["frobnicate"]),
        (
            "tunnel encap dev tun1 fou encap-dport 5555 frobnicate",
            &["frobnicate"],
        ),
        ("tunnel add tun3 mode ipip bogus", &["bogus"]),
        ("tunnel add tun3 mode warp", &["warp"]),
        ("frobnicate", &["frobnicate"]),
        ("tunnel frobnicate", &["frobnicate"]),
    ];
    for (line, words) in cases {
        assert_refused(&ns, line, 2, words);
    }
}

/// A batch file that is deleted with its guard.
struct BatchFile(PathBuf);

impl BatchFile {
    fn new(tag: &str, text: &str) -> BatchFile {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("rfou-batch-{tag}-{}-{n}.txt", std::process::id()));
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        BatchFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for BatchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub(crate) fn port_numbers(ns: &Netns) -> Vec<u64> {
    let mut v: Vec<u64> = ns
        .ip_json(&["fou", "show"])
        .as_array()
        .expect("fou show: an array")
        .iter()
        .filter_map(|p| p["port"].as_u64())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn batch_with_a_bad_line_applies_nothing() {
    let (ns, _peer) = populated("e-batch-parse");
    let file = BatchFile::new(
        "parse",
        "# ports\nadd port 7001 ipproto 4\nadd port 7002 frobnicate\nadd port 7003 gue\n",
    );
    // The comment is line 1: the bad line is line 3.
    let before = state(&ns);
    let out = rf(&ns, &format!("-b {}", file.path()));
    out.assert_fails(2);
    assert!(
        out.stderr.contains(&format!("{}:3", file.path())),
        "the message should name {}:3:\n{out}",
        file.path()
    );
    assert!(!out.stderr.contains(&format!("{}:2", file.path())), "{out}");
    assert_eq!(
        state(&ns),
        before,
        "a batch with a bad line changed the kernel"
    );
    assert_eq!(port_numbers(&ns), [5555]);
}

#[test]
fn batch_stops_at_the_line_the_kernel_refuses() {
    let (ns, _peer) = populated("e-batch-stop");
    let file = BatchFile::new(
        "stop",
        "add port 7001 ipproto 4\nadd port 5555 ipproto 4\nadd port 7003 gue\n",
    );
    let out = rf(&ns, &format!("-b {}", file.path()));
    out.assert_fails(1);
    assert!(
        out.stderr.contains(&format!("{}:2", file.path())),
        "the message should name {}:2:\n{out}",
        file.path()
    );
    assert!(out.stderr.contains("5555"), "{out}");
    assert!(out.stderr.contains("already exists"), "{out}");
    assert_eq!(
        port_numbers(&ns),
        [5555, 7001],
        "line 1 applied, line 3 not"
    );
}

#[test]
fn batch_with_force_goes_past_the_refused_line() {
    let (ns, _peer) = populated("e-batch-force");
    let file = BatchFile::new(
        "force",
        "add port 7001 ipproto 4\nadd port 5555 ipproto 4\nadd port 7003 gue\n",
    );
    let out = rf(&ns, &format!("-b {} --force", file.path()));
    out.assert_fails(1);
    assert!(
        out.stderr.contains(&format!("{}:2", file.path())),
        "the message should name {}:2:\n{out}",
        file.path()
    );
    assert!(!out.stderr.contains(&format!("{}:1", file.path())), "{out}");
    assert!(!out.stderr.contains(&format!("{}:3", file.path())), "{out}");
    assert_eq!(
        port_numbers(&ns),
        [5555, 7001, 7003],
        "lines 1 and 3 applied"
    );
    let ports = ns.ip_json(&["fou", "show"]);
    let p7003 = ports
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == 7003)
        .unwrap();
    assert_eq!(p7003, &json!({"port": 7003, "gue": null, "family": "inet"}));
}
