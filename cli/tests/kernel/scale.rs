//! Many ports: the kernel's dump drops one entry per full reply buffer; rfou lists them all.

use std::collections::BTreeSet;
use std::io::Write;

use crate::harness::{rfou, Netns};
use crate::sent::{traced, Message, NETLINK_ROUTE, NETLINK_SOCK_DIAG};

/// (port, family) of every entry of a `-j show` array.
fn keys(list: &serde_json::Value) -> Vec<(u64, String)> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|p| {
            (
                p["port"].as_u64().unwrap(),
                p["family"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Runs `batch` (lines of rfou) in `ns`, from a file; every line must succeed.
fn run_batch(ns: &Netns, batch: &str) {
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(batch.as_bytes()))
        .expect("write the batch file");
    rfou(Some(ns), &["-b", path.to_str().unwrap()]).assert_ok();
    let _ = std::fs::remove_file(&path);
}

#[test]
fn show_lists_every_one_of_4000_ports_that_the_dump_loses_some_of() {
    let ns = Netns::new("scale");
    ns.ip_batch(
        "link add v0 type veth peer name v1\n\
         addr add 10.9.0.1/16 dev v0\n\
         addr add fd09::1/64 dev v0 nodad\n\
         link set v0 up\nlink set v1 up\n",
    );
    let mut batch = String::new();
    let mut expected = BTreeSet::new();
    for i in 0..3000u32 {
        let port = 10000 + i;
        let bound = match i % 50 {
            0 => " local 10.9.0.1 peer 10.9.0.2 peer_port 999 dev v0",
            n if n % 10 == 0 => " local 10.9.0.1",
            _ => "",
        };
        let carries = if i % 3 == 0 { "gue" } else { "ipproto 4" };
        batch += &format!("add port {port} {carries}{bound}\n");
        expected.insert((port as u64, "inet".to_string()));
    }
    for i in 0..1000u32 {
        let port = 20000 + i;
        let bound = if i % 10 == 0 { " local fd09::1" } else { " -6" };
        batch += &format!("add port {port} ipproto 41{bound}\n");
        expected.insert((port as u64, "inet6".to_string()));
    }
    run_batch(&ns, &batch);

    let ours = keys(&rfou(Some(&ns), &["-j", "show"]).assert_ok().json());
    let theirs = keys(&ns.ip_json(&["fou", "show"]));
    eprintln!(
        "4000 ports: rfou show lists {}, ip fou show lists {}",
        ours.len(),
        theirs.len()
    );
    // The dump must have lost some: otherwise rfou's recovery (socket diagnostics) did not
    // run and this test proves nothing about it.
    assert!(
        theirs.len() < 4000,
        "ip fou show listed all 4000 ports: the kernel's dump lost none, nothing was recovered"
    );
    assert_eq!(ours.len(), 4000, "rfou must list every port");
    assert_eq!(ours.iter().cloned().collect::<BTreeSet<_>>(), expected);
    // What ip lists, rfou lists in the same order.
    let in_ip: BTreeSet<_> = theirs.iter().cloned().collect();
    let ours_seen_by_ip: Vec<_> = ours
        .iter()
        .filter(|k| in_ip.contains(*k))
        .cloned()
        .collect();
    assert_eq!(ours_seen_by_ip, theirs);
    // The table lists them all too (a header line, then a line a port).
    let table = rfou(Some(&ns), &["show"]).assert_ok().stdout.clone();
    assert_eq!(table.lines().count(), 4001);
}

/// A batch of 1,000 port adds whose line 500 fails (it repeats line 10's port).
fn batch_with_failure_at_500(ns: &Netns) -> std::path::PathBuf {
    let mut batch = String::new();
    for line in 1..=1000u32 {
        let port = if line == 500 { 30010 } else { 30000 + line };
        batch += &format!("add port {port} ipproto 4\n");
    }
    let path = std::env::temp_dir().join(format!("{}-fail.batch", ns.name()));
    std::fs::write(&path, batch).expect("write the batch file");
    path
}

fn ports_of(ns: &Netns) -> BTreeSet<u64> {
    keys(&rfou(Some(ns), &["-j", "show"]).assert_ok().json())
        .into_iter()
        .map(|(port, _)| port)
        .collect()
}

#[test]
fn a_failing_line_500_leaves_exactly_lines_1_to_499_applied() {
    let ns = Netns::new("batch500");
    let path = batch_with_failure_at_500(&ns);
    let out = rfou(Some(&ns), &["-b", path.to_str().unwrap()]);
    out.assert_fails(1);
    assert!(out.stderr.contains(":500:"), "{out}");
    assert!(
        out.stderr.contains("499 line(s) before it were applied"),
        "{out}"
    );
    let expected: BTreeSet<u64> = (1..500).map(|line| 30000 + line).collect();
    assert_eq!(ports_of(&ns), expected);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn with_force_a_failing_line_500_is_the_only_one_missing() {
    let ns = Netns::new("batchforce");
    let path = batch_with_failure_at_500(&ns);
    let out = rfou(Some(&ns), &["-b", path.to_str().unwrap(), "--force"]);
    out.assert_fails(1);
    assert!(out.stderr.contains(":500:"), "{out}");
    assert!(out.stderr.contains("999 of 1000 line(s) applied"), "{out}");
    let expected: BTreeSet<u64> = (1..=1000)
        .filter(|l| *l != 500)
        .map(|l| 30000 + l)
        .collect();
    assert_eq!(ports_of(&ns), expected);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn atomic_batch_failing_at_line_500_applies_nothing() {
    let ns = Netns::new("atomic500");
    rfou(Some(&ns), &["add", "port", "29999", "gue"]).assert_ok();
    let before = ports_of(&ns);
    let path = batch_with_failure_at_500(&ns);
    let out = rfou(Some(&ns), &["-b", path.to_str().unwrap(), "--atomic"]);
    out.assert_fails(1);
    assert!(out.stderr.contains(":500:"), "{out}");
    assert!(out.stderr.contains("undid the 499 change(s)"), "{out}");
    assert_eq!(ports_of(&ns), before);
    let _ = std::fs::remove_file(&path);
}

/// What a namespace's tunnels and ports are, without what changes when a device is made
/// again (its index, statistics): enough to tell "as before" from anything else.
fn state(ns: &Netns) -> (Vec<serde_json::Value>, BTreeSet<String>) {
    let links = ns.ip_json(&["-d", "link", "show"]);
    let mut tunnels: Vec<serde_json::Value> = links
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["ifname"].as_str().unwrap().starts_with('t'))
        .map(|l| {
            serde_json::json!({
                "name": l["ifname"], "mtu": l["mtu"], "group": l["group"],
                "up": l["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
                "info": l["linkinfo"]["info_data"],
            })
        })
        .collect();
    tunnels.sort_by_key(|t| t["name"].as_str().unwrap().to_string());
    let ports = ns
        .ip_json(&["fou", "show"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.to_string())
        .collect();
    (tunnels, ports)
}

#[test]
fn atomic_batch_undoes_every_kind_of_change() {
    let ns = Netns::new("atomicall");
    ns.ip_batch(
        "link add v0 type veth peer name v1\n\
         addr add 10.8.0.1/24 dev v0\nlink set v0 up\nlink set v1 up\n\
         fou add port 5555 ipproto 4\n\
         fou add port 5556 gue local 10.8.0.1\n\
         link add tkeep type gre remote 10.8.0.2 local 10.8.0.1 key 7 ttl 9 encap gue encap-sport 1234 encap-dport 5556 encap-csum\n\
         link add tgone type ipip remote 10.8.0.3 local 10.8.0.1 encap fou encap-dport 5555\n\
         link set tgone mtu 1400 group 3 up\n",
    );
    let before = state(&ns);
    let batch = "add port 6000 ipproto 47\n\
                 del port 5556\n\
                 del port 5555\n\
                 tunnel add tnew mode ipip remote 10.8.0.9 local 10.8.0.1 encap fou encap-dport 6000\n\
                 tunnel encap dev tkeep fou encap-dport 6000 noencap-csum\n\
                 tunnel change tkeep remote 10.8.0.7\n\
                 tunnel del tgone\n\
                 add port 6000 ipproto 4\n";
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::write(&path, batch).unwrap();
    let out = rfou(Some(&ns), &["-b", path.to_str().unwrap(), "--atomic"]);
    out.assert_fails(1);
    assert!(out.stderr.contains(":8:"), "{out}");
    assert!(out.stderr.contains("undid the 7 change(s)"), "{out}");
    assert_eq!(state(&ns), before, "{out}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_run_of_tunnel_deletes_uses_one_group_delete_and_stops_where_one_by_one_would() {
    let ns = Netns::new("groupdel");
    let mut setup = String::from("link add v0 type veth peer name v1\nlink set v0 up\n");
    for i in 0..200 {
        setup += &format!(
            "link add tn{i} type ipip remote 10.7.{}.{} local 10.7.0.1\n",
            i / 200,
            i % 200 + 2
        );
    }
    setup += "link set v1 group 5\n";
    ns.ip_batch(&setup);
    let mut batch = String::new();
    for i in 0..100 {
        batch += &format!("tunnel del tn{i}\n");
    }
    // Line 101 names a device that is no tunnel: the 100 before it go, the lines after stay.
    batch += "tunnel del v0\n";
    for i in 100..200 {
        batch += &format!("tunnel del tn{i}\n");
    }
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::write(&path, &batch).unwrap();
    let (out, sends) = traced(&ns, &["-b", path.to_str().unwrap()]);
    out.assert_fails(2);
    assert!(out.stderr.contains(":101:"), "{out}");
    // On the wire: the 100 tunnels moved to one group (IFLA_GROUP on each index), then one
    // RTM_DELLINK of that group, and no delete of any one device.
    const RTM_NEWLINK: u16 = 16;
    const RTM_DELLINK: u16 = 17;
    const IFLA_GROUP: u16 = 27;
    let route: Vec<&Message> = sends
        .iter()
        .filter(|s| s.protocol == NETLINK_ROUTE)
        .flat_map(|s| &s.messages)
        .collect();
    let group_of = |m: &Message| {
        m.attrs(16)
            .iter()
            .find(|(kind, _)| *kind == IFLA_GROUP)
            .map(|(_, v)| u32::from_ne_bytes(v[..4].try_into().unwrap()))
    };
    let deletes: Vec<&&Message> = route.iter().filter(|m| m.kind == RTM_DELLINK).collect();
    assert_eq!(deletes.len(), 1, "one RTM_DELLINK on the wire: {deletes:?}");
    let group = group_of(deletes[0]).expect("the delete names a group");
    assert_eq!(
        &deletes[0].body[4..8],
        &[0; 4],
        "the group delete names no device"
    );
    // rfou(8): the temporary device group is numbered "from 0x7ead0000 up".
    assert!(group >= 0x7ead_0000, "the borrowed group {group:#x}");
    let moves = route
        .iter()
        .filter(|m| m.kind == RTM_NEWLINK && group_of(m) == Some(group))
        .count();
    assert_eq!(moves, 100, "each tunnel moved to group {group:#x} once");
    let names: BTreeSet<String> = ns
        .ip_json(&["link", "show"])
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_string())
        .collect();
    for i in 0..200 {
        assert_eq!(names.contains(&format!("tn{i}")), i >= 100, "tn{i}");
    }
    assert!(
        names.contains("v0") && names.contains("v1"),
        "other devices stay: {names:?}"
    );
    // The rest, with --force past the veth: all gone, the veths and their groups untouched.
    let out = rfou(Some(&ns), &["-b", path.to_str().unwrap(), "--force"]);
    out.assert_fails(2);
    let links = ns.ip_json(&["link", "show"]);
    let left: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap())
        .collect();
    assert!(left.iter().all(|n| !n.starts_with("tn")), "{left:?}");
    assert_eq!(ns.link_json("v1")["group"], "5");
    let _ = std::fs::remove_file(&path);
}

/// Thousands of scattered ports (no two consecutive, more runs than one socket filter holds):
/// every port is listed, and the kernel takes rfou's filter of the UDP sockets (a tree of
/// port comparisons) as it is: one socket-diagnostics request per family, not a second one
/// without the filter after an EINVAL.
#[test]
fn show_of_scattered_ports_lists_every_one_with_the_kernels_socket_filter() {
    let ns = Netns::new("scatter");
    let mut batch = String::new();
    let mut expected = BTreeSet::new();
    for i in 0..2600u32 {
        let port = 10001 + 2 * i;
        batch += &format!("add port {port} ipproto 4\n");
        expected.insert((port as u64, "inet".to_string()));
    }
    run_batch(&ns, &batch);

    let (out, sends) = traced(&ns, &["-j", "show"]);
    out.assert_ok();
    let ours = keys(&out.json());
    assert_eq!(ours.len(), 2600, "rfou must list every port");
    assert_eq!(ours.into_iter().collect::<BTreeSet<_>>(), expected);
    // One socket-diagnostics request per family, each with its filter (an attribute after
    // the 56-byte request): the kernel took the filter, no second request went without it.
    let diag: Vec<&Message> = sends
        .iter()
        .filter(|s| s.protocol == NETLINK_SOCK_DIAG)
        .flat_map(|s| &s.messages)
        .collect();
    assert_eq!(
        diag.len(),
        2,
        "one socket-diagnostics request per family (the kernel took the filter): {diag:?}"
    );
    const INET_DIAG_REQ_BYTECODE: u16 = 1;
    assert!(
        diag.iter().any(|m| m
            .attrs(56)
            .iter()
            .any(|(kind, _)| *kind == INET_DIAG_REQ_BYTECODE)),
        "no request carried the filter: {diag:?}"
    );
}
