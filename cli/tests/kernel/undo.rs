//! Changes the kernel half-applies, deletes it fakes, and `--atomic` undo (issue #11): each
//! test compares the kernel's state before and after, as iproute2 reads it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::harness::{rf, rfou, Netns, RfouOutput};

/// A namespace's links and fou ports, without what changes when a device is made again (its
/// index, statistics, operstate): enough to tell "as before" from anything else.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub(crate) links: Vec<Value>,
    pub(crate) addresses: Vec<Value>,
    pub(crate) ports: BTreeSet<String>,
}

pub(crate) fn state(ns: &Netns) -> State {
    // One ip process for the three lists: each process costs in an emulated VM.
    let text = ns.ip_batch_with(&["-j", "-d"], "link show\naddr show\nfou show");
    let mut lists = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let mut next = || lists.next().map(|v| v.unwrap()).unwrap_or(json!([]));
    let (links, addrs, fou) = (next(), next(), next());
    let mut links: Vec<Value> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            // The carrier flags are the kernel's own view of the link, set when its link
            // watch gets to it (a veth whose peer is down gains NO-CARRIER a while after it
            // is set up): no rfou command changes them, so they are not compared.
            let flags: Vec<&Value> = l["flags"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter(|f| *f != "NO-CARRIER" && *f != "LOWER_UP")
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "name": l["ifname"], "mtu": l["mtu"], "group": l["group"],
                "flags": flags, "info": l["linkinfo"]["info_data"],
            })
        })
        .collect();
    links.sort_by_key(|l| l["name"].as_str().unwrap().to_string());
    let mut addresses: Vec<Value> = addrs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({ "name": l["ifname"], "addr": l["addr_info"] }))
        .collect();
    addresses.sort_by_key(|l| l["name"].as_str().unwrap().to_string());
    let ports = fou
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.to_string())
        .collect();
    State {
        links,
        addresses,
        ports,
    }
}

/// A batch file that is deleted with its guard.
pub(crate) struct BatchFile(pub(crate) PathBuf);

impl BatchFile {
    pub(crate) fn new(ns: &Netns, tag: &str, text: &str) -> BatchFile {
        let path = std::env::temp_dir().join(format!("{}-{tag}.batch", ns.name()));
        std::fs::write(&path, text).unwrap();
        BatchFile(path)
    }

    pub(crate) fn run(&self, ns: &Netns, mode: &[&str]) -> RfouOutput {
        let mut args = vec!["-b", self.0.to_str().unwrap()];
        args.extend_from_slice(mode);
        rfou(Some(ns), &args)
    }
}

impl Drop for BatchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `line` (one command, or a batch when it has several lines) exits with `status`, says every
/// one of `words`, and leaves the namespace as it was.
#[track_caller]
fn assert_refused(ns: &Netns, line: &str, status: i32, words: &[&str]) -> RfouOutput {
    let before = state(ns);
    let out = if line.contains('\n') {
        BatchFile::new(ns, "refused", line).run(ns, &[])
    } else {
        rf(ns, line)
    };
    out.assert_fails(status);
    for word in words {
        assert!(
            out.stderr.to_lowercase().contains(&word.to_lowercase()),
            "{out}\nthe message should say \"{word}\""
        );
    }
    assert_eq!(state(ns), before, "{out}\nthe state changed");
    out
}

#[test]
fn fallback_devices_are_neither_changed_nor_deleted() {
    let ns = Netns::new("fallback");
    // One reading of the state around all 18 refusals: each process is slow in an emulated
    // VM, and a refusal that changed something would show at the end all the same.
    let before = state(&ns);
    for dev in ["tunl0", "sit0", "ip6tnl0", "gre0", "gretap0", "ip6gre0"] {
        for line in [
            format!("tunnel encap dev {dev} fou encap-dport 5555"),
            format!("tunnel change {dev} ttl 7"),
            format!("tunnel del {dev}"),
        ] {
            let out = rf(&ns, &line);
            out.assert_fails(2);
            assert!(
                out.stderr.contains("fallback device") && out.stderr.contains(dev),
                "{out}"
            );
        }
    }
    assert_eq!(state(&ns), before, "a refused command changed the state");
    // A run of deletes (one group delete) refuses them too, and moves none to another group.
    let out = assert_refused(&ns, "tunnel del gre0\ntunnel del sit0\n", 2, &["fallback"]);
    assert!(out.stderr.contains(":1:"), "{out}");
    // So does --atomic, with nothing to undo.
    let batch = BatchFile::new(&ns, "fb-atomic", "tunnel del tunl0\n");
    let before = state(&ns);
    let out = batch.run(&ns, &["--atomic"]);
    out.assert_fails(2);
    assert!(out.stderr.contains("fallback"), "{out}");
    assert!(!out.stderr.contains("cannot recreate"), "{out}");
    assert_eq!(state(&ns), before, "{out}");
}

#[test]
fn a_group_delete_with_a_device_the_kernel_keeps_says_so_and_puts_its_group_back() {
    // --force lets the fallback line through the checks of the other lines; the fallback
    // itself is refused before the group delete, and the others go.
    let ns = Netns::new("groupkeep");
    ns.ip_batch(
        "link add v0 type veth peer name v1\nlink set v0 up\n\
         link add ta type ipip remote 10.6.0.2 local 10.6.0.1\n\
         link add tb type ipip remote 10.6.0.3 local 10.6.0.1\n",
    );
    let batch = BatchFile::new(
        &ns,
        "mix",
        "tunnel del ta\ntunnel del tunl0\ntunnel del tb\n",
    );
    let out = batch.run(&ns, &["--force"]);
    out.assert_fails(2);
    assert!(
        out.stderr.contains(":2:") && out.stderr.contains("fallback"),
        "{out}"
    );
    assert!(out.stderr.contains("2 of 3 line(s) applied"), "{out}");
    let links = ns.ip_json(&["link", "show"]);
    let names: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"ta") && !names.contains(&"tb"),
        "{names:?}"
    );
    assert_eq!(ns.link_json("tunl0")["group"], "default");
}

#[test]
fn taken_endpoints_are_refused_before_anything_is_sent() {
    let ns = Netns::new("taken");
    ns.ip_batch(
        "link add v0 type veth peer name v1\n\
         addr add 10.5.0.1/24 dev v0\naddr add fd05::1/64 dev v0 nodad\nlink set v0 up\n\
         link add i1 type ipip remote 10.5.0.2 local 10.5.0.1\n\
         link add i2 type ipip remote 10.5.0.3 local 10.5.0.1\n\
         link add s1 type sit remote 10.5.0.2 local 10.5.0.1\n\
         link add s2 type sit remote 10.5.0.3 local 10.5.0.1\n\
         link add g1 type gre remote 10.5.0.2 local 10.5.0.1\n\
         link add g2 type gre remote 10.5.0.3 local 10.5.0.1\n\
         link add p1 type ip6tnl remote fd05::2 local fd05::1\n\
         link add p2 type ip6tnl remote fd05::3 local fd05::1\n\
         link add q1 type ip6gre remote fd05::2 local fd05::1\n\
         link add q2 type ip6gre remote fd05::3 local fd05::1\n",
    );
    for (first, second, remote) in [
        ("i1", "i2", "10.5.0.2"),
        ("s1", "s2", "10.5.0.2"),
        ("g1", "g2", "10.5.0.2"),
        ("p1", "p2", "fd05::2"),
        ("q1", "q2", "fd05::2"),
    ] {
        assert_refused(
            &ns,
            &format!("tunnel change {second} remote {remote} encap fou encap-dport 5555"),
            1,
            &[&format!("\"{first}\""), "same local and remote"],
        );
    }
}

#[test]
fn a_tunnel_without_remote_cannot_be_given_one() {
    let ns = Netns::new("noremote");
    ns.ip_batch(
        "link add n1 type ipip local 192.0.2.1\n\
         link add n2 type sit local 192.0.2.1\n\
         link add n3 type gre local 192.0.2.1\n",
    );
    for dev in ["n1", "n2", "n3"] {
        assert_refused(
            &ns,
            &format!("tunnel change {dev} remote 192.0.2.30 encap fou encap-dport 5555"),
            1,
            &["no remote address", "delete it and add it again"],
        );
    }
}

/// Every pair of line kinds, then a line the kernel refuses: `--atomic` leaves the namespace
/// as it was, and says so only then. One namespace for all 16 pairs. `tt` keeps the MTU the
/// kernel gave it (1480), which `tunnel encap` changes (1472): the undo must put it back.
#[test]
fn atomic_undoes_every_pair_of_line_kinds() {
    let ns = Netns::new("pairs");
    ns.ip_batch(
        "link add v0 type veth peer name v1\naddr add 10.4.0.1/24 dev v0\nlink set v0 up\n\
         fou add port 5555 ipproto 4\n\
         link add tt type ipip remote 10.4.0.2 local 10.4.0.1 ttl 20\n\
         link add tu type gre remote 10.4.0.3 local 10.4.0.1 key 5\n\
         link set tt group 3 up\n",
    );
    let kinds = ["add", "change", "encap", "del"];
    let line = |kind: &str, name: &str, n: u32| match kind {
        "add" => format!("tunnel add {name} mode ipip remote 10.4.1.{n} local 10.4.0.1"),
        "change" => format!("tunnel change {name} ttl 33"),
        "encap" => format!("tunnel encap dev {name} fou encap-dport 5555"),
        _ => format!("tunnel del {name}"),
    };
    let before = state(&ns);
    for first in kinds {
        for second in kinds {
            let target1 = if first == "add" { "tn" } else { "tt" };
            let target2 = match (first, second) {
                // tt is gone: make it again, or work on the other tunnel.
                ("del", "add") => "tt",
                ("del", _) => "tu",
                (_, "add") => "tm",
                _ => target1,
            };
            let text = format!(
                "{}\n{}\nadd port 5555 ipproto 4\n",
                line(first, target1, 1),
                line(second, target2, 2)
            );
            let batch = BatchFile::new(&ns, &format!("{first}-{second}"), &text);
            let out = batch.run(&ns, &["--atomic"]);
            out.assert_fails(1);
            assert!(
                out.stderr.contains(":3:") && out.stderr.contains("is as it was"),
                "{first} then {second}:\n{text}\n{out}"
            );
            assert_eq!(state(&ns), before, "{first} then {second}:\n{text}\n{out}");
        }
    }
}

#[test]
fn atomic_refuses_to_delete_a_tunnel_whose_addresses_it_could_not_bring_back() {
    let ns = Netns::new("atomaddr");
    ns.ip_batch(
        "link add ta type ipip remote 10.3.0.2 local 10.3.0.1\n\
         link add tb type ipip remote 10.3.0.3 local 10.3.0.1\n\
         addr add 10.33.0.1/30 dev ta\nlink set ta up\n\
         link set tb up\nroute add 10.34.0.0/16 dev tb\n",
    );
    for (dev, what) in [
        ("ta", "address 10.33.0.1/30"),
        ("tb", "route to 10.34.0.0/16"),
    ] {
        let before = state(&ns);
        let batch = BatchFile::new(
            &ns,
            dev,
            &format!("tunnel change ta ttl 9\ntunnel del {dev}\n"),
        );
        let out = batch.run(&ns, &["--atomic"]);
        out.assert_fails(2);
        assert!(out.stderr.contains(what), "{out}");
        assert!(out.stderr.contains("is as it was"), "{out}");
        assert_eq!(state(&ns), before, "{out}");
    }
}

/// Under `--atomic`, `del` deletes the port a plain `del` deletes: here the one port 6100,
/// named by its local address alone although it also has a peer. The undo adds it back whole.
#[test]
fn atomic_del_deletes_the_port_a_plain_del_deletes_and_undoes_it_whole() {
    let ns = Netns::new("atomdel");
    ns.ip_batch(
        "link add v0 type veth peer name v1\naddr add 10.5.0.1/24 dev v0\nlink set v0 up\n\
         fou add port 6100 gue local 10.5.0.1 peer 10.5.0.2 peer_port 7000\n",
    );
    let before = state(&ns);
    let batch = BatchFile::new(
        &ns,
        "undone",
        "del port 6100 local 10.5.0.1\ntunnel del nosuch\n",
    );
    let out = batch.run(&ns, &["--atomic"]);
    out.assert_fails(2);
    assert!(
        out.stderr.contains(":2:")
            && out.stderr.contains("undid the 1 change(s)")
            && out.stderr.contains("is as it was"),
        "{out}"
    );
    assert_eq!(state(&ns), before, "{out}");
    let batch = BatchFile::new(&ns, "done", "del port 6100 local 10.5.0.1\n");
    let out = batch.run(&ns, &["--atomic"]);
    out.assert_ok();
    assert!(state(&ns).ports.is_empty(), "{out}");
}
