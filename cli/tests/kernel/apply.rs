//! `rfou apply` and `rfou export` against the real kernel: additions, idempotence, drift
//! repaired in place, prune scope, all-or-nothing on a refusal, a kill -9 then a re-run, bad
//! files, and the export round trip on states built by iproute2 (what a run refuses or waits
//! for before it sends anything is in apply_guard.rs).

use serde_json::Value;

use crate::harness::{mtu, rfou, rfou_stdin, Netns, RfouOutput, A4, A6, B4, B6};
use crate::promises::{apply, with_dummy, File};

/// The namespace as iproute2 reads it: the ports (sorted) and every link with its details.
pub(crate) fn snapshot(ns: &Netns) -> (Vec<Value>, Value) {
    let mut ports = ns
        .ip_json(&["fou", "show"])
        .as_array()
        .cloned()
        .unwrap_or_default();
    ports.sort_by_key(|p| p.to_string());
    (ports, ns.ip_json(&["-d", "link", "show"]))
}

fn ifindex(ns: &Netns, dev: &str) -> u64 {
    ns.link_json(dev)["ifindex"].as_u64().expect("an ifindex")
}

fn encap(ns: &Netns, dev: &str) -> Value {
    ns.link_json(dev)["linkinfo"]["info_data"]["encap"].clone()
}

fn lines(out: &RfouOutput) -> Vec<&str> {
    out.stdout.lines().collect()
}

const SITE: &str = r#"
[[port]]
port = 5555
ipproto = "ipip"

[[port]]
port = 5556
gue = true
family = "inet6"

[[tunnel]]
name = "tun1"
mode = "ipip"
local = "192.0.2.1"
remote = "192.0.2.2"
encap = "fou"
encap-dport = 5555
up = true

[[tunnel]]
name = "g6"
mode = "ip6gre"
local = "2001:db8::1"
remote = "2001:db8::2"
encap = "gue"
encap-dport = 5556
"#;

/// Adds, then says unchanged; drift made with iproute2 is repaired in place (same ifindex);
/// `--check` tells in sync (0) from would change (3) and changes nothing; MTUs are iproute2's.
#[test]
fn apply_adds_is_idempotent_and_repairs_drift_in_place() {
    let ns = with_dummy("apply");
    let file = File::new("site", SITE);
    let first = apply(&ns, &[], &file);
    first.assert_ok();
    assert_eq!(
        lines(&first)[..2],
        ["+ port 5555 ipproto 4", "+ port 5556 gue -6"],
        "{first}"
    );
    assert!(
        lines(&first)[2].starts_with("+ tunnel tun1 mode ipip"),
        "{first}"
    );
    let ports = ns.ip_json(&["fou", "show"]);
    assert_eq!(ports.as_array().map(Vec::len), Some(2), "{ports}");
    assert_eq!(encap(&ns, "tun1")["dport"], 5555);
    assert_eq!(encap(&ns, "g6")["type"], "gue");
    assert!(ns.link_json("tun1")["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f == "UP")));

    // The MTU iproute2 gives a tunnel made with the same encap over the same underlay.
    ns.ip_line(&format!(
        "link add ref4 type ipip local {A4} remote 192.0.2.3 encap fou encap-dport 5555"
    ));
    ns.ip_line(&format!(
        "link add ref6 type ip6gre local {A6} remote 2001:db8::3 encap gue encap-dport 5556"
    ));
    assert_eq!(mtu(&ns, "tun1"), mtu(&ns, "ref4"));
    assert_eq!(mtu(&ns, "g6"), mtu(&ns, "ref6"));

    let again = apply(&ns, &[], &file);
    again.assert_ok();
    assert_eq!(again.stdout, "unchanged\n", "{again}");
    let json = rfou(Some(&ns), &["-j", "apply", file.path()]);
    json.assert_ok();
    assert_eq!(
        json.json(),
        serde_json::json!({"changed": false, "changes": []})
    );

    // Drift: another encap port, a TTL, and a port gone, all by iproute2.
    let index = ifindex(&ns, "tun1");
    ns.ip_line(&format!(
        "link change tun1 type ipip local {A4} remote {B4} ttl 9 encap fou encap-dport 6000"
    ));
    ns.ip_line("fou del port 5555");
    let before = snapshot(&ns);
    let check = apply(&ns, &["--check"], &file);
    check.assert_fails(3);
    assert_eq!(snapshot(&ns), before, "--check changed the namespace");
    let expected = [
        "+ port 5555 ipproto 4",
        "~ tunnel tun1 ttl 9 -> inherit",
        "~ tunnel tun1 encap-dport 6000 -> 5555",
    ];
    assert_eq!(lines(&check), expected, "{check}");
    let checked = rfou(Some(&ns), &["-j", "apply", "--check", file.path()]);
    checked.assert_fails(3);
    assert_eq!(checked.json()["changed"], true);
    assert_eq!(checked.json()["changes"][2]["key"], "encap-dport");

    let repair = apply(&ns, &[], &file);
    repair.assert_ok();
    assert_eq!(lines(&repair), expected, "{repair}");
    assert_eq!(
        ifindex(&ns, "tun1"),
        index,
        "tun1 was recreated, not changed"
    );
    assert_eq!(encap(&ns, "tun1")["dport"], 5555);
    assert_eq!(ns.link_json("tun1")["linkinfo"]["info_data"]["ttl"], 0);
    assert_eq!(mtu(&ns, "tun1"), mtu(&ns, "ref4"));
    let in_sync = apply(&ns, &["--check"], &file);
    in_sync.assert_ok();
    assert_eq!(in_sync.stdout, "unchanged\n");

    // A mode the kernel cannot change: replaced, and the plan says so.
    let gre = File::new("gre", &SITE.replace("mode = \"ipip\"", "mode = \"gre\""));
    let replaced = apply(&ns, &[], &gre);
    replaced.assert_ok();
    assert!(
        lines(&replaced)
            .iter()
            .any(|l| l.starts_with("replace tunnel tun1 mode gre") && l.contains("was ipip")),
        "{replaced}"
    );
    assert_eq!(ns.link_json("tun1")["linkinfo"]["info_kind"], "gre");
    assert_eq!(apply(&ns, &[], &gre).stdout, "unchanged\n");
}

/// `--prune` deletes the fou ports and the FOU/GUE tunnels the file does not name, and
/// nothing else: not a plain tunnel, not a fallback device, not another device.
#[test]
fn prune_deletes_only_ports_and_encapsulated_tunnels() {
    let ns = with_dummy("prune");
    ns.ip_batch(&format!(
        "fou add port 7000 gue\nfou add port 7001 ipproto 47\n\
         link add plain type gre local {A4} remote {B4}\n\
         link add extra type ipip local {A4} remote 192.0.2.5 encap fou encap-dport 7000\n\
         link add keep type sit local {A4} remote 192.0.2.6 encap gue encap-dport 7000"
    ));
    let file = File::new(
        "prune",
        &format!(
            "[[port]]\nport = 7001\nipproto = 47\n\n[[tunnel]]\nname = \"keep\"\nmode = \"sit\"\n\
             local = \"{A4}\"\nremote = \"192.0.2.6\"\nencap = \"gue\"\nencap-dport = 7000\n"
        ),
    );
    let devices = |ns: &Netns| -> Vec<String> {
        let mut names: Vec<String> = ns
            .ip_json(&["link", "show"])
            .as_array()
            .expect("links")
            .iter()
            .map(|l| l["ifname"].as_str().expect("a name").to_string())
            .collect();
        names.sort();
        names
    };
    let before = devices(&ns);
    assert!(before.contains(&"tunl0".to_string()) && before.contains(&"gre0".to_string()));
    // Without --prune nothing is deleted.
    assert_eq!(apply(&ns, &[], &file).assert_ok().stdout, "unchanged\n");
    let out = apply(&ns, &["--prune"], &file);
    out.assert_ok();
    assert_eq!(
        lines(&out),
        ["- tunnel extra mode ipip", "- port 7000 gue"],
        "{out}"
    );
    let after = devices(&ns);
    let gone: Vec<&String> = before.iter().filter(|d| !after.contains(d)).collect();
    assert_eq!(gone, [&"extra".to_string()]);
    let ports = ns.ip_json(&["fou", "show"]);
    assert_eq!(ports.as_array().map(Vec::len), Some(1), "{ports}");
    assert_eq!(
        apply(&ns, &["--prune"], &file).assert_ok().stdout,
        "unchanged\n"
    );
}

/// A change the kernel refuses undoes every change this run made before it (a prune's
/// deletes, a port replaced, ports added): the namespace reads back (iproute2) exactly as
/// before, and the message names the object and the reason. The refusal is one no check can
/// see coming: port 7777 is taken by a plain UDP socket.
#[test]
fn a_refusal_undoes_what_the_run_applied() {
    let ns = with_dummy("rollback");
    ns.ip_batch(&format!(
        "fou add port 5555 ipproto 4\nfou add port 7000 gue\n\
         link add t1 type ipip local {A4} remote {B4} encap fou encap-dport 5555\n\
         link add gone type gre local {A4} remote 192.0.2.4 encap gue encap-dport 7000\n\
         link add t2 type ipip local {A4} remote 192.0.2.3"
    ));
    let _taken = crate::promises::udp_socket_in(&ns, 7777);
    let file = File::new(
        "rollback",
        &format!(
            "[[port]]\nport = 5555\ngue = true\n[[port]]\nport = 6000\ngue = true\n\
             [[port]]\nport = 6001\nipproto = 47\n[[port]]\nport = 7777\ngue = true\n\
             [[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nlocal = \"{A4}\"\nremote = \"{B4}\"\n\
             encap = \"fou\"\nencap-dport = 6000\nttl = 20\n\
             [[tunnel]]\nname = \"t2\"\nmode = \"ipip\"\nlocal = \"{A4}\"\nremote = \"192.0.2.3\"\nttl = 30\n"
        ),
    );
    let before = crate::undo::state(&ns);
    let check = apply(&ns, &["--check", "--prune"], &file);
    check.assert_fails(3);
    let out = apply(&ns, &["--prune"], &file);
    out.assert_fails(1);
    assert!(out.stderr.contains("port 7777"), "{out}");
    assert!(out.stderr.contains("reads back as before"), "{out}");
    assert!(
        out.stderr.contains("gone"),
        "the recreated tunnel is not named: {out}"
    );
    assert_eq!(
        crate::undo::state(&ns),
        before,
        "the namespace is not as it was"
    );
}

/// What a send of apply changes: its port adds (`FOU_CMD_ADD` of the fou family) and its
/// tunnel adds (`RTM_NEWLINK` with a name).
fn changes_in(send: &crate::sent::Send) -> (usize, usize) {
    use crate::sent::{NETLINK_GENERIC, NETLINK_ROUTE};
    const GENL_ID_CTRL: u16 = 0x10;
    const RTM_NEWLINK: u16 = 16;
    const IFLA_IFNAME: u16 = 3;
    let ports = send
        .messages
        .iter()
        .filter(|m| send.protocol == NETLINK_GENERIC && m.kind != GENL_ID_CTRL)
        .filter(|m| m.body.first() == Some(&1))
        .count();
    let tunnels = send
        .messages
        .iter()
        .filter(|m| send.protocol == NETLINK_ROUTE && m.kind == RTM_NEWLINK)
        .filter(|m| m.attrs(16).iter().any(|(kind, _)| *kind == IFLA_IFNAME))
        .count();
    (ports, tunnels)
}

/// Killed with SIGKILL in the middle, a re-run of the same apply finishes the job.
///
/// Where the middle is, the wire says: the same apply in a namespace of its own, under
/// strace, lists every request it sends; the kill falls as rfou enters the `sendto` of the
/// middle one of those that change something. So the kill lands mid-run, with exactly the
/// ports and tunnels of the sends before it made, and the re-run must add exactly the rest.
#[test]
fn killed_midway_a_rerun_converges() {
    let mut text = String::new();
    for port in 20000..20600 {
        text += &format!("[[port]]\nport = {port}\nipproto = 4\n");
    }
    for i in 0..40 {
        text += &format!(
            "[[tunnel]]\nname = \"k{i}\"\nmode = \"gre\"\nlocal = \"{A4}\"\nremote = \"198.51.100.{}\"\nencap = \"fou\"\nencap-dport = 20000\n",
            i + 1
        );
    }
    let file = File::new("kill", &text);

    let reference = with_dummy("killref");
    let (whole, sends) = crate::sent::traced(&reference, &["apply", file.path()]);
    whole.assert_ok();
    assert!(
        sends.iter().all(|s| s.call == "sendto"),
        "apply sent with sendmsg too: the kill below counts sendto alone"
    );
    let changing: Vec<usize> = (0..sends.len())
        .filter(|&i| changes_in(&sends[i]) != (0, 0))
        .collect();
    let total = changing.iter().fold((0, 0), |(p, t), &i| {
        let (dp, dt) = changes_in(&sends[i]);
        (p + dp, t + dt)
    });
    assert_eq!(total, (600, 40), "what the whole apply sent: {changing:?}");
    assert!(changing.len() >= 2, "one send made every change: no middle");
    let middle = changing[changing.len() / 2];
    let before = sends[..middle].iter().fold((0, 0), |(p, t), send| {
        let (dp, dt) = changes_in(send);
        (p + dp, t + dt)
    });
    drop(reference);

    let ns = with_dummy("kill");
    let killed = crate::kill::rfou_killed_at(&ns, &["apply", file.path()], "sendto", middle + 1);
    assert_eq!(
        killed.status,
        128 + 9,
        "not killed at send {}\n{killed}",
        middle + 1
    );
    let ports = ns.ip_json(&["fou", "show"]).as_array().map_or(0, Vec::len);
    let tunnels: Vec<String> = ns
        .ip_json(&["link", "show"])
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["ifname"].as_str())
        .filter(|name| name.starts_with('k'))
        .map(str::to_string)
        .collect();
    println!(
        "killed at send {} of {}: {ports} ports of 600, {} tunnels of 40",
        middle + 1,
        sends.len(),
        tunnels.len()
    );
    // ip's dump may lose a port of hundreds (see scale::): rfou's list is whole.
    let listed = rfou(Some(&ns), &["-j", "show"]).json();
    assert_eq!(
        (listed.as_array().map_or(0, Vec::len), tunnels.len()),
        before,
        "the kill did not land where the wire says (ports, tunnels made before it)"
    );
    assert!(
        before != (0, 0) && before != (600, 40),
        "the kill landed before or after every change: {before:?}"
    );

    let rerun = apply(&ns, &[], &file);
    rerun.assert_ok();
    let added_ports = lines(&rerun)
        .iter()
        .filter(|l| l.starts_with("+ port "))
        .count();
    let added_tunnels: Vec<&str> = lines(&rerun)
        .iter()
        .filter_map(|l| l.strip_prefix("+ tunnel "))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    assert_eq!(
        lines(&rerun).len(),
        added_ports + added_tunnels.len(),
        "the re-run only adds: {rerun}"
    );
    assert_eq!(
        added_ports,
        600 - before.0,
        "ports the re-run added\n{rerun}"
    );
    assert_eq!(
        added_tunnels.len(),
        40 - before.1,
        "tunnels the re-run added\n{rerun}"
    );
    assert!(
        added_tunnels
            .iter()
            .all(|t| !tunnels.iter().any(|had| had == t)),
        "the re-run added a tunnel the killed run had made\n{rerun}"
    );
    let check = apply(&ns, &["--check"], &file);
    check.assert_ok();
    assert_eq!(check.stdout, "unchanged\n", "{check}");
    let fou = rfou(Some(&ns), &["-j", "show"]).json();
    assert_eq!(fou.as_array().map(Vec::len), Some(600));
    assert!(ns.try_ip(&["link", "show", "dev", "k39"]).status.success());
}

/// A bad file is refused with exit 2 and FILE:LINE, and nothing is sent: the state before and
/// after are the same, even when the bad entry comes after good ones.
#[test]
fn bad_files_are_refused_before_anything_is_sent() {
    let ns = with_dummy("badfile");
    ns.ip_line("fou add port 4000 gue");
    let good = "[[port]]\nport = 5000\nipproto = 4\n[[tunnel]]\nname = \"ok\"\nmode = \"gre\"\n";
    let cases = [
        ("syntax", format!("{good}[[port]\n"), ":7:"),
        (
            "unknown",
            format!("{good}[[port]]\nport = 1\ngue = true\nlcoal = \"1.2.3.4\"\n"),
            ":10:",
        ),
        (
            "range",
            format!("{good}[[port]]\nport = 65536\ngue = true\n"),
            ":8:",
        ),
        (
            "ipproto0",
            format!("{good}[[port]]\nport = 2\nipproto = 0\n"),
            ":9:",
        ),
        (
            "nodport",
            format!("{good}[[tunnel]]\nname = \"t\"\nmode = \"ipip\"\nencap = \"fou\"\n"),
            ":10:",
        ),
        (
            "dupport",
            format!("{good}[[port]]\nport = 5000\ngue = true\n"),
            ":7:",
        ),
        (
            "dupname",
            format!("{good}[[tunnel]]\nname = \"ok\"\nmode = \"ipip\"\n"),
            ":7:",
        ),
    ];
    let before = snapshot(&ns);
    for (name, text, line) in &cases {
        let file = File::new(name, text);
        let out = apply(&ns, &[], &file);
        out.assert_fails(2);
        let place = format!("{}{line}", file.path());
        assert!(out.stderr.contains(&place), "{name}: wanted {place}\n{out}");
        let piped = rfou_stdin(&ns, &["apply", "--check", "-"], text.as_bytes());
        piped.assert_fails(2);
        assert!(piped.stderr.contains(&format!("<stdin>{line}")), "{piped}");
    }
    assert_eq!(snapshot(&ns), before, "a bad file changed the namespace");
}

/// States built by iproute2 with every port option and every tunnel kind and encap option:
/// `export | apply --check -` finds nothing to change, and the export applied to an empty
/// namespace makes one that exports the same.
#[test]
fn export_round_trip_on_states_built_by_iproute2() {
    let ns = with_dummy("export");
    ns.ip_batch(&format!(
        "fou add port 1 ipproto 4\n\
         fou add port 2 gue\n\
         fou add port 3 ipproto 41 -6\n\
         fou add port 4 ipproto 47 local {A4} peer {B4} peer_port 9 dev dummy0\n\
         fou add port 5 gue local {A6} peer {B6} peer_port 10 -6\n\
         link add tuna type ipip local {A4} remote {B4} ttl 5 tos 0x10 encap fou encap-sport 4000 encap-dport 1 encap-csum\n\
         link add tunb type sit local {A4} remote 192.0.2.7 encap gue encap-dport 2 encap-remcsum\n\
         link add tunc type ip6tnl mode ipip6 local {A6} remote {B6} encap gue encap-dport 2 noencap-udp6-csum\n\
         link add tund type ip6tnl mode ip6ip6 local {A6} remote 2001:db8::7 hoplimit 9 encap fou encap-dport 1\n\
         link add tune type ip6tnl mode any local {A6} remote 2001:db8::8\n\
         link add tunf type gre local {A4} remote 192.0.2.8 key 7 encap fou encap-dport 1 encap-csum dev dummy0\n\
         link add tung type gretap local {A4} remote 192.0.2.9 ikey 1 okey 2 encap gue encap-dport 2\n\
         link add tunh type ip6gre local {A6} remote 2001:db8::9 encap fou encap-dport 1\n\
         link add tuni type ip6gretap local {A6} remote 2001:db8::a key 3 encap gue encap-dport 2 encap-remcsum\n\
         link add tunj type ipip local {A4} remote 192.0.2.10\n\
         link set tuna up"
    ));
    // What iproute2 cannot say: remcsum_nopartial, by rfou.
    rfou(Some(&ns), &["add", "port", "6", "gue", "remcsum_nopartial"]).assert_ok();
    let export = rfou(Some(&ns), &["export"]);
    export.assert_ok();
    for word in [
        "ttl = 5",
        "tos = \"0x10\"",
        "encap-sport = 4000",
        "key = 7",
        "ikey = 1",
        "remcsum_nopartial = true",
        "up = true",
        "mode = \"ipip6\"",
        "dev = \"dummy0\"",
    ] {
        assert!(
            export.stdout.contains(word),
            "{word} missing from:\n{}",
            export.stdout
        );
    }
    let check = rfou_stdin(
        &ns,
        &["apply", "--check", "--prune", "-"],
        export.stdout.as_bytes(),
    );
    check.assert_ok();
    assert_eq!(check.stdout, "unchanged\n", "{check}\n{}", export.stdout);

    let copy = with_dummy("export-copy");
    rfou_stdin(&copy, &["apply", "-"], export.stdout.as_bytes()).assert_ok();
    let again = rfou(Some(&copy), &["export"]);
    again.assert_ok();
    assert_eq!(again.stdout, export.stdout);
}
