//! What `rfou apply` refuses or waits for before it sends anything: endpoints another tunnel
//! has (refused by `--check` and `apply` in the same words), and the namespace's change lock
//! while another process holds it.

use std::process::{Command, Stdio};

use crate::apply::snapshot;
use crate::harness::{A4, B4, RFOU};
use crate::promises::{apply, with_dummy, File};

/// A tunnel whose endpoints another tunnel has is refused before anything is sent, as
/// `tunnel change` refuses it: the namespace is untouched, and the message names both.
#[test]
fn taken_endpoints_are_refused_before_anything_is_sent() {
    let ns = with_dummy("endpoints");
    ns.ip_batch(&format!(
        "fou add port 5555 ipproto 4\n\
         link add t1 type ipip local {A4} remote {B4} encap fou encap-dport 5555\n\
         link add g1 type gre local {A4} remote {B4} key 7\n\
         link add g2 type gre local {A4} remote {B4} key 8"
    ));
    let keep = format!(
        "[[port]]\nport = 5555\nipproto = 4\n\
         [[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nlocal = \"{A4}\"\nremote = \"{B4}\"\n\
         encap = \"fou\"\nencap-dport = 5555\n\
         [[tunnel]]\nname = \"g2\"\nmode = \"gre\"\nlocal = \"{A4}\"\nremote = \"{B4}\"\nkey = 8\n"
    );
    let g1 = |key: u32| {
        format!("[[tunnel]]\nname = \"g1\"\nmode = \"gre\"\nlocal = \"{A4}\"\nremote = \"{B4}\"\nkey = {key}\n")
    };
    // In sync first: the check is not a false alarm.
    apply(
        &ns,
        &[],
        &File::new("endpoints-sync", &format!("{keep}{}", g1(7))),
    )
    .assert_ok();
    let cases = [
        // A new tunnel with t1's endpoints, after changes (a port, t1's TTL) that go first.
        (
            format!(
                "{}[[port]]\nport = 6000\ngue = true\n{}\
                 [[tunnel]]\nname = \"t2\"\nmode = \"ipip\"\nlocal = \"{A4}\"\nremote = \"{B4}\"\n",
                keep.replace("encap-dport = 5555\n", "encap-dport = 5555\nttl = 20\n"),
                g1(7)
            ),
            "t2",
            "t1",
        ),
        // A change in place of g1 onto g2's key.
        (format!("{keep}{}", g1(8)), "g1", "g2"),
    ];
    for (i, (text, refused, other)) in cases.iter().enumerate() {
        let file = File::new(&format!("endpoints-{i}"), text);
        let before = snapshot(&ns);
        // --check runs the checks apply runs: it refuses what apply would, in the same words.
        let check = apply(&ns, &["--check"], &file);
        let out = apply(&ns, &[], &file);
        for out in [&check, &out] {
            out.assert_fails(1);
            assert!(
                out.stderr.contains(&format!("tunnel \"{refused}\""))
                    && out.stderr.contains(&format!("\"{other}\""))
                    && out.stderr.contains("same local and remote"),
                "{out}"
            );
            assert!(out.stderr.contains("nothing was changed"), "{out}");
            assert!(out.stdout.is_empty(), "{out}");
        }
        assert_eq!(check.stderr, out.stderr);
        assert_eq!(snapshot(&ns), before, "case {i}: the namespace changed");
    }
}

/// A run holds the namespace's change lock, the one `tunnel change` takes: while another
/// process holds it, apply waits and changes nothing; `--check` does not wait.
#[test]
fn a_run_takes_the_change_lock() {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let ns = with_dummy("lock");
    let meta = std::fs::metadata(format!("/run/netns/{}", ns.name())).expect("the namespace file");
    std::fs::create_dir_all("/run/rfou").expect("/run/rfou");
    let path = format!("/run/rfou/netns-{}-{}.lock", meta.dev(), meta.ino());
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .expect("open the lock file");
    // SAFETY: flock on an fd this test owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let file = File::new("lock", "[[port]]\nport = 7000\nipproto = 4\n");
    let before = snapshot(&ns);
    apply(&ns, &["--check"], &file).assert_fails(3);
    let mut child = Command::new(RFOU)
        .args(["-n", ns.name(), "apply", file.path()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rfou");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let waiting = child.try_wait().expect("try_wait").is_none();
    let unchanged = snapshot(&ns) == before;
    drop(lock);
    let out = child.wait_with_output().expect("wait for rfou");
    let text = format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(waiting, "apply did not wait for the lock: {text}");
    assert!(
        unchanged,
        "apply changed the namespace while another held the lock"
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "+ port 7000 ipproto 4\n"
    );
    apply(&ns, &["--check"], &file).assert_ok();
}
