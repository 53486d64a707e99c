//! What else runs at the same time (issue #11, faults): two rfou changing one tunnel, another
//! tool renaming or deleting the tunnel rfou is changing, the namespace deleted under a batch.
//! Each test makes the two meet for certain, and checks that they did, before it judges what
//! came out: runs that happen not to overlap would pass whatever rfou does.

use std::fs::File;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Netns, RfouOutput, RFOU};
use crate::sent::{traced, NETLINK_ROUTE};
use crate::undo::BatchFile;

/// The TTL and encap destination port of tunnel `dev`, as iproute2 reads it.
fn ttl_and_dport(ns: &Netns, dev: &str) -> (u64, u64) {
    let info = &ns.link_json(dev)["linkinfo"]["info_data"];
    (
        info["ttl"].as_u64().unwrap_or(0),
        info["encap"]["dport"].as_u64().unwrap_or(0),
    )
}

/// Holds `ns`'s change lock (the one rfou takes before it reads what it will write back) as
/// another rfou would: returns the open, locked file and its inode.
fn hold_change_lock(ns: &Netns) -> (File, u64) {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(format!("/run/netns/{}", ns.name())).expect("the namespace file");
    std::fs::create_dir_all("/run/rfou").expect("/run/rfou");
    let path = format!("/run/rfou/netns-{}-{}.lock", meta.dev(), meta.ino());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .expect("open the lock file");
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
    let inode = file.metadata().expect("the lock file").ino();
    (file, inode)
}

/// How many processes wait for the lock on file `inode` (`/proc/locks` lists each waiter as
/// `N: -> FLOCK ... PID MAJ:MIN:INODE ...`).
fn lock_waiters(inode: u64) -> usize {
    let locks = std::fs::read_to_string("/proc/locks").expect("/proc/locks");
    let inode = inode.to_string();
    locks
        .lines()
        .filter(|l| l.contains(" -> "))
        .filter(|l| {
            l.split_whitespace()
                .any(|f| f.matches(':').count() == 2 && f.rsplit(':').next() == Some(&inode))
        })
        .count()
}

/// `rfou -n NS WORDS...` started, its output piped.
fn start(ns: &Netns, line: &str) -> Child {
    Command::new(RFOU)
        .args(["-n", ns.name()])
        .args(line.split_whitespace())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rfou")
}

fn finish(child: Child, line: &str) -> RfouOutput {
    let out = child.wait_with_output().expect("wait for rfou");
    RfouOutput {
        cmdline: format!("rfou {line}"),
        status: out.status.code().unwrap_or(128),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Two rfou change one tunnel at once, each reading it whole and writing it back: neither
/// change is lost (the later writer does not put back what it read before the other wrote).
///
/// They meet for certain: the test holds the namespace's change lock while both start, and
/// lets go only once `/proc/locks` shows both waiting for it. Each has then read nothing it
/// will write back (rfou reads after it has the lock), and both run through the lock.
#[test]
fn two_rfou_changing_one_tunnel_at_once_both_count() {
    let ns = Netns::new("twowriters");
    ns.ip_line("link add tc type ipip remote 10.1.0.2 local 10.1.0.1");
    for round in 1..=3u64 {
        let before = ttl_and_dport(&ns, "tc");
        let (lock, inode) = hold_change_lock(&ns);
        let ttl = format!("tunnel change tc ttl {}", 10 + round);
        let encap = format!("tunnel encap dev tc fou encap-dport {}", 5000 + round);
        let a = start(&ns, &ttl);
        let b = start(&ns, &encap);
        let deadline = Instant::now() + Duration::from_secs(60);
        while lock_waiters(inode) < 2 {
            assert!(
                Instant::now() < deadline,
                "round {round}: the two rfou never both waited for the change lock: {}",
                std::fs::read_to_string("/proc/locks").unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            ttl_and_dport(&ns, "tc"),
            before,
            "round {round}: a change went past the lock"
        );
        drop(lock);
        let (a, b) = (finish(a, &ttl), finish(b, &encap));
        a.assert_ok();
        b.assert_ok();
        assert_eq!(
            ttl_and_dport(&ns, "tc"),
            (10 + round, 5000 + round),
            "round {round}: a change was lost\n{a}\n{b}"
        );
    }
}

/// The number (from 1) of the `sendto` in which `tunnel change tr ttl 44` asks for `tr` by
/// name: what it reads and then writes back.
fn sendto_reading_tr(ns: &Netns) -> usize {
    const RTM_GETLINK: u16 = 18;
    const IFLA_IFNAME: u16 = 3;
    ns.ip_line("link add tr type ipip remote 10.1.0.2 local 10.1.0.1 ttl 3");
    let (out, sends) = traced(ns, &["tunnel", "change", "tr", "ttl", "44"]);
    out.assert_ok();
    ns.ip_line("link del tr");
    assert!(sends.iter().all(|s| s.call == "sendto"), "{sends:?}");
    sends
        .iter()
        .position(|s| {
            s.protocol == NETLINK_ROUTE
                && s.messages.iter().any(|m| {
                    m.kind == RTM_GETLINK
                        && m.attrs(16)
                            .iter()
                            .any(|(kind, name)| *kind == IFLA_IFNAME && name.starts_with(b"tr\0"))
                })
        })
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("tunnel change never read tr by name: {sends:#?}"))
}

/// A tunnel renamed or deleted by someone else while rfou changes it: rfou's success means
/// the change is on the device, and a failure says which device is missing and leaves the
/// device as it was.
///
/// The rename or delete lands between rfou's read of the tunnel and what it sends next, for
/// certain: rfou runs under strace, which holds it at the `sendto` after the read for a
/// while; the test waits for the read to be done, renames or deletes, and checks that rfou
/// was still held (else it tries again with a longer hold).
#[test]
fn a_tunnel_renamed_or_deleted_during_a_change_is_reported_truthfully() {
    let ns = Netns::new("renamed");
    let read = sendto_reading_tr(&ns);
    for delete in [false, true] {
        let mut landed = false;
        for hold in [2u64, 8] {
            ns.ip_line("link add tr type ipip remote 10.1.0.2 local 10.1.0.1 ttl 3");
            let trace = std::env::temp_dir().join(format!("{}-{delete}.trace", ns.name()));
            let _ = std::fs::remove_file(&trace);
            let inject = format!(
                "inject=sendto:delay_enter={}:when={}",
                hold * 1_000_000,
                read + 1
            );
            let child = Command::new("strace")
                .args(["-f", "-qq", "-e", "trace=sendto", "-e", &inject, "-o"])
                .arg(&trace)
                .args([RFOU, "-n", ns.name(), "tunnel", "change", "tr", "ttl", "44"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run rfou under strace");
            let mut child = child;
            // The sendto calls rfou has made and returned from: a line of the trace each.
            let sent = || {
                std::fs::read_to_string(&trace)
                    .unwrap_or_default()
                    .split_inclusive('\n')
                    .filter(|l| l.ends_with('\n') && l.contains(" sendto("))
                    .count()
            };
            // Wait until the read is done.
            let deadline = Instant::now() + Duration::from_secs(60);
            while sent() < read {
                assert!(
                    child.try_wait().expect("try_wait").is_none(),
                    "rfou ended before its read of tr"
                );
                assert!(Instant::now() < deadline, "rfou never read tr");
                std::thread::sleep(Duration::from_millis(10));
            }
            if delete {
                ns.ip_line("link del tr");
            } else {
                ns.ip_line("link set tr name tr2");
            }
            // Landed between the read and the next request: that one not sent yet.
            landed = sent() == read;
            let out = finish(child, "tunnel change tr ttl 44 (under strace)");
            let _ = std::fs::remove_file(&trace);
            let name = if ns.try_ip(&["link", "show", "tr2"]).status.success() {
                Some("tr2")
            } else if ns.try_ip(&["link", "show", "tr"]).status.success() {
                Some("tr")
            } else {
                None
            };
            if landed {
                match (out.status, name) {
                    (0, Some(name)) => assert_eq!(ttl_and_dport(&ns, name).0, 44, "{out}"),
                    (0, None) => {
                        panic!("rfou succeeded on a tunnel deleted before it wrote\n{out}")
                    }
                    (_, found) => {
                        assert!(
                            out.stderr.contains("\"tr\"") && !out.stderr.contains("panicked"),
                            "{out}"
                        );
                        if let Some(name) = found {
                            assert_eq!(ttl_and_dport(&ns, name).0, 3, "{out}");
                        }
                    }
                }
            }
            for dev in ["tr", "tr2"] {
                if ns.try_ip(&["link", "show", dev]).status.success() {
                    ns.ip_line(&format!("link del {dev}"));
                }
            }
            if landed {
                break;
            }
        }
        assert!(
            landed,
            "rfou was done before the {} landed, even held 8 s: nothing was tested",
            if delete { "delete" } else { "rename" }
        );
    }
}

/// Waits until `dev` exists in `ns` (up to 60 s).
#[track_caller]
fn wait_for_link(ns: &Netns, dev: &str) {
    let start = Instant::now();
    while !ns.try_ip(&["link", "show", dev]).status.success() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{dev} never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The namespace is deleted while a batch works in it: rfou's sockets keep it alive, so the
/// lines still succeed, in a namespace nobody can reach; rfou says so and exits 1.
///
/// The deletion must land while the batch runs: a batch that is done first (a fast kernel, a
/// quiet host) proves nothing, so it is tried again with a batch four times as long.
#[test]
fn a_namespace_deleted_under_a_batch_is_reported() {
    for lines in [400, 1600, 6400] {
        let ns = Netns::new("nsgone");
        let mut text = String::new();
        for i in 0..lines {
            text += &format!(
                "tunnel add tg{i} mode ipip remote 10.{}.{}.{} local 10.0.0.1\n",
                i / 40000 + 1,
                i / 200 % 200 + 1,
                i % 200 + 2
            );
        }
        let batch = BatchFile::new(&ns, "gone", &text);
        let (deleted_while_running, out) = std::thread::scope(|s| {
            let run = s.spawn(|| batch.run(&ns, &[]));
            wait_for_link(&ns, "tg0");
            crate::harness::run("ip", &["netns", "del", ns.name()]);
            // Still running once the name is gone: its end (where rfou looks) comes after.
            let running = !run.is_finished();
            (running, run.join().unwrap())
        });
        if !deleted_while_running {
            // Done before (or while) the namespace went: nothing to judge; a longer batch.
            continue;
        }
        assert!(
            out.stderr.contains("was deleted while the batch ran"),
            "{out}"
        );
        out.assert_fails(1);
        return;
    }
    panic!("every batch was done before its namespace could be deleted: nothing was tested");
}
