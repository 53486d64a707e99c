//! Issue #23, "apply keeps every promise": one test per bullet of its list (the map is
//! docs/apply-promises.md). Every test of a refusal compares the namespace before and after,
//! as iproute2 reads it (`undo::state`).

use crate::harness::{modules_alone, rfou, rfou_stdin, Netns, RfouOutput};
use crate::undo::state;

/// A namespace with `dummy0` up holding 192.0.2.1/24 and 2001:db8::1/64.
pub(crate) fn with_dummy(prefix: &str) -> Netns {
    let ns = Netns::new(prefix);
    ns.ip_batch(
        "link add dummy0 type dummy\naddr add 192.0.2.1/24 dev dummy0\n\
         addr add 2001:db8::1/64 dev dummy0 nodad\nlink set dummy0 up",
    );
    ns
}

/// A desired-state file in the temporary directory, deleted with its guard.
pub(crate) struct File(std::path::PathBuf);

impl File {
    pub(crate) fn new(name: &str, text: &str) -> File {
        let path = std::env::temp_dir().join(format!("rfou-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, text).expect("write the state file");
        File(path)
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `rfou -n NS apply ARGS... FILE`.
pub(crate) fn apply(ns: &Netns, args: &[&str], file: &File) -> RfouOutput {
    let mut all = vec!["apply"];
    all.extend_from_slice(args);
    all.push(file.path());
    rfou(Some(ns), &all)
}

/// The lines of the file given before each bad entry: a port and a tunnel that would be
/// made, so that a refusal that comes late would show.
const GOOD: &str = "[[port]]\nport = 5555\ngue = true\n\n\
    [[tunnel]]\nname = \"good\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.9\"\n\
    encap = \"gue\"\nencap-dport = 5555\n\n";

/// The line of GOOD's last line, plus one: where a bad entry appended to it starts.
fn first_line_after_good() -> usize {
    GOOD.lines().count() + 1
}

/// Bullets "Exit 1 with the changes left in place" and "Values the kernel rejects pass the
/// file check": a value the kernel would refuse, or keep otherwise than asked, is refused by
/// the file check with FILE:LINE and exit 2, by `--check` as by `apply`, and nothing is sent.
#[test]
fn values_the_kernel_would_refuse_or_alter_are_refused_with_file_and_line() {
    let ns = with_dummy("p-values");
    let start = first_line_after_good();
    // (the bad entry, the line of the file it is refused at (from the entry's first), what
    // the message says)
    let cases: &[(&str, usize, &str)] = &[
        (
            "[[tunnel]]\nname = \"t6\"\nmode = \"ip6ip6\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8::2\"\nmtu = 1000\n",
            5,
            "mtu 1000 is out of range",
        ),
        (
            "[[tunnel]]\nname = \"t4\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.2\"\nmtu = 65535\n",
            5,
            "mtu 65535 is out of range",
        ),
        (
            "[[tunnel]]\nname = \"t4\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.2\"\n\
             encap = \"fou\"\nencap-dport = 5555\nmtu = 65508\n",
            7,
            "mtu 65508 is out of range",
        ),
        ("[[port]]\nport = 6000\ngue = true\nlocal = \"0.0.0.0\"\n", 0, "wildcard"),
        ("[[tunnel]]\nname = \"z%d\"\nmode = \"gre\"\nremote = \"192.0.2.3\"\n", 1, "template"),
        ("[[tunnel]]\nname = \"z:colon\"\nmode = \"gre\"\nremote = \"192.0.2.3\"\n", 1, "`:`"),
        ("[[tunnel]]\nname = \"..\"\nmode = \"gre\"\nremote = \"192.0.2.3\"\n", 1, "`.` and `..`"),
        (
            "[[tunnel]]\nname = \"gt\"\nmode = \"gretap\"\nlocal = \"192.0.2.1\"\nremote = \"0.0.0.0\"\n",
            4,
            "needs a remote address",
        ),
        (
            "[[tunnel]]\nname = \"gm\"\nmode = \"gre\"\nremote = \"239.1.1.1\"\n",
            3,
            "needs a local address",
        ),
    ];
    let before = state(&ns);
    for (i, (bad, line, says)) in cases.iter().enumerate() {
        let file = File::new(&format!("p-values-{i}"), &format!("{GOOD}{bad}"));
        let place = format!("{}:{}:", file.path(), start + line);
        for args in [&["--check"][..], &[]] {
            let out = apply(&ns, args, &file);
            out.assert_fails(2);
            assert!(
                out.stderr.contains(&place) && out.stderr.contains(says),
                "case {i}: wanted {place} ... {says}\n{out}"
            );
            assert!(out.stdout.is_empty(), "{out}");
        }
        assert_eq!(state(&ns), before, "case {i}: the namespace changed");
    }
}

/// A UDP socket bound in `ns` to `port` on every IPv4 address: while it lives, the kernel
/// refuses a fou port of that number (EADDRINUSE), a refusal no check can see coming.
pub(crate) fn udp_socket_in(ns: &Netns, port: u16) -> std::net::UdpSocket {
    crate::harness::in_netns(ns.name(), || {
        std::net::UdpSocket::bind(("0.0.0.0", port)).expect("bind the UDP socket")
    })
}

/// Bullet "A gone device": a port and a tunnel bound to a device deleted since are exported
/// with the name ip gives it (`ifN`), and the export reads back in sync.
#[test]
fn a_gone_device_is_exported_as_ip_names_it_and_reads_back_in_sync() {
    let ns = with_dummy("p-gone");
    ns.ip_batch(
        "link add d9 type dummy\naddr add 198.51.100.1/24 dev d9\nlink set d9 up\n\
         fou add port 6000 gue local 198.51.100.1 dev d9\n\
         link add name tg type gre local 192.0.2.1 remote 192.0.2.9 dev d9",
    );
    let index = ns.link_json("d9")["ifindex"].as_u64().expect("an index");
    ns.ip_line("link del d9");
    let export = rfou(Some(&ns), &["export"]);
    export.assert_ok();
    let dev = format!("dev = \"if{index}\"");
    assert_eq!(
        export.stdout.matches(&dev).count(),
        2,
        "{dev}:\n{}",
        export.stdout
    );
    let before = state(&ns);
    let check = rfou_stdin(&ns, &["apply", "--check", "-"], export.stdout.as_bytes());
    check.assert_ok();
    assert_eq!(check.stdout, "unchanged\n", "{check}");
    assert_eq!(state(&ns), before);
}

/// Bullet "`--check` promises what `apply` refuses", within one file: two new tunnels with
/// the same endpoints, and two tunnels that swap remotes, are refused by `--check` as by
/// `apply` (exit 1, the same words, the reason), and nothing is sent.
#[test]
fn check_refuses_what_apply_refuses_within_one_file() {
    let ns = with_dummy("p-pairs");
    ns.ip_batch(
        "link add name a type ipip local 192.0.2.1 remote 192.0.2.5\n\
         link add name b type ipip local 192.0.2.1 remote 192.0.2.6",
    );
    let tunnel = |name: &str, remote: &str| {
        format!("[[tunnel]]\nname = \"{name}\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"{remote}\"\n")
    };
    let cases = [
        (
            format!(
                "{}{}{}{}",
                tunnel("a", "192.0.2.5"),
                tunnel("b", "192.0.2.6"),
                tunnel("c", "192.0.2.7"),
                tunnel("d", "192.0.2.7")
            ),
            "which the same run makes",
        ),
        (
            format!("{}{}", tunnel("a", "192.0.2.6"), tunnel("b", "192.0.2.5")),
            "would each take endpoints another of them still has",
        ),
    ];
    for (i, (text, says)) in cases.iter().enumerate() {
        let file = File::new(&format!("p-pairs-{i}"), text);
        let before = state(&ns);
        let check = apply(&ns, &["--check"], &file);
        let out = apply(&ns, &[], &file);
        for out in [&check, &out] {
            out.assert_fails(1);
            assert!(
                out.stderr.contains(says) && out.stderr.contains("nothing was changed"),
                "case {i}: {out}"
            );
            assert!(out.stdout.is_empty(), "{out}");
        }
        assert_eq!(
            check.stderr, out.stderr,
            "--check and apply say different things"
        );
        assert_eq!(state(&ns), before, "case {i}: the namespace changed");
    }
}

/// Loads udp_diag again when dropped, also when the test fails: the other tests need it.
struct LoadUdpDiag;

impl Drop for LoadUdpDiag {
    fn drop(&mut self) {
        let out = crate::harness::try_run("modprobe", &["udp_diag"]);
        if !out.status.success() {
            eprintln!("cannot load udp_diag again: the tests after this one may fail");
        }
    }
}

/// Bullet "Without `udp_diag`": with the kernel's lossy dump alone, `export` says on stderr
/// that its list of ports may be incomplete, and `apply --check` finds every port the file
/// names that exists (exit 0), loading no module to look; `--check --prune` loads udp_diag,
/// as `apply --prune` does, and plans to delete every port the file leaves out. Unloads udp_diag, so it runs
/// alone ([`modules_alone`]).
#[test]
fn without_udp_diag_export_says_so_and_check_finds_every_port() {
    let _alone = modules_alone();
    let _load = LoadUdpDiag;
    let out = crate::harness::try_run("rmmod", &["udp_diag"]);
    assert!(
        out.status.success(),
        "rmmod udp_diag: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ns = with_dummy("p-nodiag");
    let ports: Vec<u16> = (20000..20600).collect();
    let batch: Vec<String> = ports
        .iter()
        .map(|p| format!("fou add port {p} ipproto 4"))
        .collect();
    ns.ip_batch(&batch.join("\n"));
    let file: String = ports
        .iter()
        .map(|p| format!("[[port]]\nport = {p}\nipproto = 4\n"))
        .collect();
    let file = File::new("p-nodiag", &file);

    let export = rfou(Some(&ns), &["export"]);
    export.assert_ok();
    assert!(
        export.stderr.contains("udp_diag") && export.stderr.contains("misses a port"),
        "export said nothing of the ports it may have missed: {}",
        export.stderr
    );
    let before = state(&ns);
    let check = apply(&ns, &["--check"], &file);
    check.assert_ok();
    assert_eq!(check.stdout, "unchanged\n", "{check}");
    assert_eq!(apply(&ns, &[], &file).assert_ok().stdout, "unchanged\n");
    assert_eq!(state(&ns), before);
    assert!(
        !std::path::Path::new("/sys/module/udp_diag").exists(),
        "a reader loaded udp_diag"
    );
    // `--check --prune` plans on the list `apply --prune` reads (it loads udp_diag too): each
    // port the file leaves out is one to delete, none lost by the dump.
    let half: String = ports[..300]
        .iter()
        .map(|p| format!("[[port]]\nport = {p}\nipproto = 4\n"))
        .collect();
    let half = File::new("p-nodiag-half", &half);
    let check = apply(&ns, &["--check", "--prune"], &half);
    check.assert_fails(3);
    assert_eq!(
        check
            .stdout
            .lines()
            .filter(|l| l.starts_with("- port"))
            .count(),
        300,
        "{check}"
    );
    assert_eq!(state(&ns), before);
}

/// Bullet "A failed `--prune` run": a prune that would delete a tunnel carrying an address or
/// a route, which no undo could bring back, is refused before anything is sent.
#[test]
fn prune_refuses_to_delete_a_tunnel_that_carries_an_address_or_a_route() {
    let ns = with_dummy("p-prune");
    ns.ip_batch(
        "fou add port 5555 gue\nfou add port 5556 gue\n\
         link add name tp type ipip local 192.0.2.1 remote 192.0.2.7 encap gue encap-dport 5555\n\
         addr add 10.9.9.1/24 dev tp\nlink set tp up\n\
         link add name tr type ipip local 192.0.2.1 remote 192.0.2.8 encap gue encap-dport 5555\n\
         link set tr up\nroute add 10.8.0.0/16 dev tr",
    );
    let tp = "[[tunnel]]\nname = \"tp\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.7\"\n\
              encap = \"gue\"\nencap-dport = 5555\nup = true\n";
    for (text, says) in [
        (
            "[[port]]\nport = 5555\ngue = true\n".to_string(),
            "address 10.9.9.1/24",
        ),
        (
            format!("[[port]]\nport = 5555\ngue = true\n{tp}"),
            "a route to 10.8.0.0/16",
        ),
    ] {
        let file = File::new("p-prune", &text);
        let before = state(&ns);
        for args in [&["--check", "--prune"][..], &["--prune"]] {
            let out = apply(&ns, args, &file);
            out.assert_fails(2);
            assert!(
                out.stderr.contains(says) && out.stderr.contains("nothing was changed"),
                "{out}"
            );
        }
        assert_eq!(state(&ns), before, "the namespace changed");
    }
}

/// Bullet "A namespace deleted during `apply`": rfou's sockets keep it alive, so the changes
/// still succeed, in a namespace nobody can reach; rfou says so and exits 1. The deletion
/// must land before apply's last look at the namespace: a run that exits 0 had looked
/// already (or was done), so it is tried again with a file four times as long. If no run
/// ever reports the deletion, the test fails: a missing check cannot pass.
#[test]
fn a_namespace_deleted_during_apply_is_reported() {
    for count in [1000u32, 4000, 16000] {
        let ns = Netns::new("p-nsgone");
        let text: String = (0..count)
            .map(|i| format!("[[port]]\nport = {}\nipproto = 4\n", 10000 + i))
            .collect();
        let file = File::new("p-nsgone", &text);
        let out = std::thread::scope(|s| {
            let run = s.spawn(|| apply(&ns, &[], &file));
            let started = std::time::Instant::now();
            while ns.ip(&["fou", "show"]).trim().is_empty() {
                assert!(started.elapsed().as_secs() < 120, "apply added no port");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            crate::harness::run("ip", &["netns", "del", ns.name()]);
            run.join().expect("apply")
        });
        if out.status == 0 {
            continue;
        }
        out.assert_fails(1);
        assert!(
            out.stderr.contains(&format!(
                "namespace \"{}\" was deleted (or replaced) while",
                ns.name()
            )),
            "{out}"
        );
        return;
    }
    panic!("no apply reported its namespace deleted while it ran (3 tries, 1,000 to 16,000 ports)");
}
