//! Many ports: the kernel's dump drops one entry per full reply buffer; rfou lists them all.

use std::collections::BTreeSet;
use std::io::Write;

use crate::harness::{rfou, Netns};

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
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(batch.as_bytes()))
        .expect("write the batch file");
    rfou(Some(&ns), &["-b", path.to_str().unwrap()]).assert_ok();
    let _ = std::fs::remove_file(&path);

    let ours = keys(&rfou(Some(&ns), &["-j", "show"]).assert_ok().json());
    let theirs = keys(&ns.ip_json(&["fou", "show"]));
    eprintln!(
        "4000 ports: rfou show lists {}, ip fou show lists {}",
        ours.len(),
        theirs.len()
    );
    assert_eq!(ours.len(), 4000, "rfou must list every port");
    assert_eq!(ours.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(theirs.len() <= ours.len());
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
