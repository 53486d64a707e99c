//! The modules rfou loads itself, each tested where it is not loaded beforehand (the harness
//! and scripts/vm-run load every module the suite needs, so a test that wants one absent
//! unloads it, alone: [`modules_alone`]): `apply --prune` loads `udp_diag` to see the ports
//! the kernel's dump loses, and a FOU or GUE encapsulation on an IPv6 tunnel loads `fou6`.

use std::collections::BTreeSet;

use crate::harness::{loaded_modules, modules_alone, rf_ok, rfou, try_run, Netns, Reload, A6, B6};

fn is_loaded(module: &str) -> bool {
    loaded_modules().iter().any(|m| m == module)
}

/// Unloads `module`, which must work (no other test holds it: see [`modules_alone`]).
fn unload(module: &str) {
    let out = try_run("rmmod", &[module]);
    assert!(
        out.status.success(),
        "rmmod {module}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!is_loaded(module), "{module} still loaded");
}

/// The port numbers `rfou -j show` lists.
fn listed(ns: &Netns) -> (BTreeSet<u64>, String) {
    let out = rfou(Some(ns), &["-j", "show"]);
    out.assert_ok();
    let ports = out
        .json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| p["port"].as_u64().expect("a port"))
        .collect();
    (ports, out.stderr)
}

/// A desired state of IPv6 ports carrying IPv6 (41), one a number of `ports`.
fn state_file(ns: &Netns, tag: &str, ports: &BTreeSet<u64>) -> std::path::PathBuf {
    let text: String = ports
        .iter()
        .map(|port| format!("[[port]]\nport = {port}\nipproto = 41\nfamily = \"inet6\"\n"))
        .collect();
    let path = std::env::temp_dir().join(format!("{}-{tag}.toml", ns.name()));
    std::fs::write(&path, text).expect("write the state file");
    path
}

/// Without udp_diag, `show` lists what the kernel's dump sends, and that misses ports; `apply`
/// still sees them (a port that exists is never seen as missing), and `apply --prune` loads
/// udp_diag and deletes them when the file does not name them, and only them.
#[test]
fn apply_prune_loads_udp_diag_and_prunes_the_ports_the_dump_lost() {
    let _alone = modules_alone();
    let _reload = Reload;
    let ns = Netns::new("m-diag");
    // IPv6 ports: the largest entries of the dump (108 bytes), so the fewest to a reply
    // buffer, and the kernel drops the last of each full one.
    let all: BTreeSet<u64> = (30000..30700).collect();
    let batch: String = all
        .iter()
        .map(|port| format!("add port {port} ipproto 41 -6\n"))
        .collect();
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::write(&path, batch).expect("write the batch");
    rfou(Some(&ns), &["-b", path.to_str().unwrap()]).assert_ok();
    let _ = std::fs::remove_file(&path);

    unload("udp_diag");
    let (seen, said) = listed(&ns);
    assert!(
        said.contains("udp_diag"),
        "show should say the list may miss ports: {said}"
    );
    assert!(!is_loaded("udp_diag"), "show loaded udp_diag");
    let lost: BTreeSet<u64> = all.difference(&seen).copied().collect();
    assert!(
        !lost.is_empty() && lost.len() < 10,
        "the dump of 700 IPv6 ports should lose a few, it lost {lost:?}: nothing to prune"
    );

    // The file names every port: nothing is missing, lost by the dump or not.
    let every = state_file(&ns, "every", &all);
    let check = rfou(Some(&ns), &["apply", "--check", every.to_str().unwrap()]);
    check.assert_ok();
    assert_eq!(check.stdout, "unchanged\n", "{check}");

    // The file names all but the lost ones: --prune deletes exactly those.
    let kept: BTreeSet<u64> = seen.clone();
    let file = state_file(&ns, "kept", &kept);
    assert!(!is_loaded("udp_diag"));
    let out = rfou(Some(&ns), &["apply", "--prune", file.to_str().unwrap()]);
    out.assert_ok();
    assert!(
        is_loaded("udp_diag"),
        "apply --prune did not load udp_diag\n{out}"
    );
    let pruned: BTreeSet<u64> = out
        .stdout
        .lines()
        .map(|line| {
            line.strip_prefix("- port ")
                .and_then(|rest| rest.split(' ').next()?.parse().ok())
                .unwrap_or_else(|| panic!("not a port deleted: {line}\n{out}"))
        })
        .collect();
    assert_eq!(pruned, lost, "what --prune deleted\n{out}");
    assert_eq!(listed(&ns).0, kept, "the ports left");
    let _ = std::fs::remove_file(&every);
    let _ = std::fs::remove_file(&file);
}

/// The encapsulation of `dev` as iproute2 reads it: (type, dport).
fn encap(ns: &Netns, dev: &str) -> (String, u64) {
    let data = &ns.link_json(dev)["linkinfo"]["info_data"]["encap"];
    (
        data["type"].as_str().unwrap_or("none").to_string(),
        data["dport"].as_u64().unwrap_or(0),
    )
}

/// FOU or GUE on an IPv6 tunnel needs fou6, which the kernel does not load on demand: rfou
/// loads it, both when it makes such a tunnel and when it gives one made by ip its
/// encapsulation.
#[test]
fn fou6_is_loaded_for_an_ipv6_tunnels_encapsulation() {
    let _alone = modules_alone();
    let _reload = Reload;
    let ns = Netns::new("m-fou6");
    ns.ip_batch(&format!(
        "link add dummy0 type dummy\naddr add {A6}/64 dev dummy0 nodad\nlink set dummy0 up"
    ));

    unload("fou6");
    rf_ok(
        &ns,
        &format!("tunnel add t6 mode ip6ip6 remote {B6} local {A6} encap fou encap-dport 5555"),
    );
    assert!(is_loaded("fou6"), "tunnel add did not load fou6");
    assert_eq!(encap(&ns, "t6"), ("fou".to_string(), 5555));
    rf_ok(&ns, "tunnel del t6");

    unload("fou6");
    ns.ip_line(&format!("link add g6 type ip6gre remote {B6} local {A6}"));
    rf_ok(&ns, "tunnel encap dev g6 gue encap-dport 5556");
    assert!(is_loaded("fou6"), "tunnel encap did not load fou6");
    assert_eq!(encap(&ns, "g6"), ("gue".to_string(), 5556));
}
