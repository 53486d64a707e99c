//! SIGKILL at any line of a batch, then the same batch again (issue #11, faults).
//!
//! rfou changes the kernel only inside the `sendto` of a netlink request (the kernel applies
//! every request of one `sendto` before it returns), and learns what the kernel did only in a
//! `recvfrom`. strace kills rfou (SIGKILL) as it enters the K-th of those calls, for K = 1, 2,
//! ... until a run ends on its own: every point of a batch where a kill can fall between two
//! steps the kernel sees. Killed before a request, the request is not sent; killed before a
//! read, it was applied and rfou does not know it. The kernel states the two reach are the
//! same (the state after a request), so both batches, plain and `--atomic`, are killed before
//! each request: a kill before each read too would double the test's time under emulation
//! (an `--atomic` batch reads far more than it sends) for no kernel state not seen already.
//! An `--atomic` batch's note of the line it is at may name that line or the one before.
//!
//! After each kill the namespace must read back, with iproute2, as before the batch or as
//! after one of its lines, never half a line (a tunnel with its new encap and its old remote);
//! the one step between lines the kernel can show is the group delete's move of its tunnels
//! to a borrowed device group, before the group is deleted. Then the same batch runs again
//! with `--force` and must leave exactly what one uninterrupted run leaves, with no device in
//! the borrowed group, failing exactly the lines done already that cannot be done twice (an
//! add, a delete), and saying so. A killed `--atomic` batch is not undone (nothing is left to
//! undo it): the next `--atomic` run says at which line it was killed, fails at the first line
//! already applied and undoes its own, and `--force` then finishes the batch.
//!
//! Every run is limited to 60 s: the namespace's change lock in /run/rfou, held by the
//! killed process, must not make the next one wait. strace is needed (scripts/test installs
//! it): without it these tests fail, they never skip.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use crate::harness::{rf_ok, try_run, Netns, RfouOutput, RFOU};
use crate::undo::{state, BatchFile, State};

/// What each namespace holds before the batch: an underlay, a GRE tunnel to change, three
/// tunnels to delete and a fou port to delete, all made by iproute2 (see [`prepare`]).
const SETUP: &str = "link add v0 type dummy\n\
                     addr add 10.2.0.1/24 dev v0\n\
                     link add tk type gre remote 10.2.0.2 local 10.2.0.1\n\
                     link add td1 type ipip remote 10.2.3.1 local 10.2.0.1\n\
                     link add td2 type gre remote 10.2.3.2 local 10.2.0.1\n\
                     link add td3 type ipip remote 10.2.3.3 local 10.2.0.1\n\
                     fou add port 6000 ipproto 4";

/// The batch: port adds (one window), a port delete, tunnel adds (one with its encap), an
/// encap change, a change of remote, TTL and encap at once (half of it applied would show),
/// a group delete of three tunnels, and a last port add.
const LINES: &[&str] = &[
    "add port 7001 ipproto 4",
    "add port 7002 gue",
    "del port 6000",
    "tunnel add ta mode ipip remote 10.2.1.1 local 10.2.0.1",
    "tunnel add tb mode gre remote 10.2.1.2 local 10.2.0.1 encap fou encap-dport 7001",
    "tunnel encap dev ta fou encap-dport 7001",
    "tunnel change tk remote 10.2.0.9 ttl 17 encap gue encap-dport 7002",
    "tunnel del td1",
    "tunnel del td2",
    "tunnel del td3",
    "add port 7003 ipproto 47",
];

/// The lines of the plain or the `--atomic` batch. The `--atomic` batch is the same less
/// two of the three deletes: `--atomic` deletes one tunnel at a time, reading addresses and
/// routes first, and every read is a point to kill at; one delete stands for all, and keeps
/// the test's time in bounds under emulation.
fn lines(atomic: bool) -> Vec<&'static str> {
    LINES
        .iter()
        .copied()
        .filter(|line| !(atomic && matches!(*line, "tunnel del td2" | "tunnel del td3")))
        .collect()
}

/// The tunnels the plain batch deletes as one group delete (lines 8 to 10).
const GROUP_DELETED: &[&str] = &["td1", "td2", "td3"];
/// How many lines come before that group delete.
const BEFORE_GROUP_DELETE: usize = 7;

/// A namespace as [`SETUP`] says. Its devices stay down: a device that goes up gets an IPv6
/// link-local address, "tentative" for a while, and the states would differ by that.
fn prepare(prefix: &str) -> Netns {
    let ns = Netns::new(prefix);
    ns.ip_batch(SETUP);
    ns
}

/// A line that, done already, is done again and succeeds: it sets what is set. The others
/// (adds and deletes) fail when run a second time.
fn repeatable(line: &str) -> bool {
    line.starts_with("tunnel encap") || line.starts_with("tunnel change")
}

/// The namespace's state before the batch (index 0) and after each of its lines (index N
/// after line N), the lines of the plain or the `--atomic` batch run one by one with rfou in a
/// namespace of their own.
fn line_states(atomic: bool) -> &'static [State] {
    static PLAIN: OnceLock<Vec<State>> = OnceLock::new();
    static ATOMIC: OnceLock<Vec<State>> = OnceLock::new();
    let cell = if atomic { &ATOMIC } else { &PLAIN };
    cell.get_or_init(|| {
        let ns = prepare("killref");
        let mut states = vec![state(&ns)];
        for line in lines(atomic) {
            rf_ok(&ns, line);
            states.push(state(&ns));
        }
        for (n, pair) in states.windows(2).enumerate() {
            assert_ne!(pair[0], pair[1], "line {} changed nothing", n + 1);
        }
        states
    })
}

/// Panics unless strace runs: these tests need it and must not pass without it.
pub(crate) fn require_strace() {
    let out = std::process::Command::new("strace").arg("-V").output();
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`strace -V` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "the SIGKILL tests need strace, which cannot be run ({e}): install it (scripts/test does)"
        ),
    }
}

/// `rfou -n NS ARGS...` under strace, killed with SIGKILL as it enters the `k`-th call of
/// `syscall` (if it makes that many); limited to 60 s.
pub(crate) fn rfou_killed_at(ns: &Netns, args: &[&str], syscall: &str, k: usize) -> RfouOutput {
    let trace = format!("trace={syscall}");
    let inject = format!("inject={syscall}:signal=KILL:when={k}");
    let mut all = vec![
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        &trace,
        "-e",
        &inject,
        RFOU,
        "-n",
        ns.name(),
    ];
    all.extend_from_slice(args);
    output("strace", &all)
}

/// `rfou -n NS -b FILE [--atomic]` killed as [`rfou_killed_at`] says.
fn run_killed(ns: &Netns, batch: &BatchFile, atomic: bool, syscall: &str, k: usize) -> RfouOutput {
    let mut args = vec!["-b", batch.0.to_str().unwrap()];
    if atomic {
        args.push("--atomic");
    }
    rfou_killed_at(ns, &args, syscall, k)
}

/// Runs `program`, limited to 60 s (a lock left behind would make it wait for ever).
fn output(program: &str, args: &[&str]) -> RfouOutput {
    use std::os::unix::process::ExitStatusExt;
    let mut all = vec!["60", program];
    all.extend_from_slice(args);
    let out = try_run("timeout", &all);
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    assert_ne!(status, 124, "`{}` hung (60 s)", all.join(" "));
    RfouOutput {
        cmdline: all.join(" "),
        status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `rfou -n NS -b FILE MODE...`, limited to 60 s.
fn rerun(ns: &Netns, batch: &BatchFile, mode: &[&str]) -> RfouOutput {
    let mut args = vec!["-n", ns.name(), "-b", batch.0.to_str().unwrap()];
    args.extend_from_slice(mode);
    output(RFOU, &args)
}

/// After which line the namespace is: Some(N) when it reads back exactly as after line N (0:
/// before the batch). A kill inside the group delete may leave some of its tunnels moved to
/// the device group rfou borrows for it, not yet deleted: those count as before the delete,
/// and the flag says so.
fn position(now: &State, atomic: bool) -> Option<(usize, bool)> {
    let states = line_states(atomic);
    if let Some(n) = states.iter().position(|s| s == now) {
        return Some((n, false));
    }
    let mut moved_back = now.clone();
    let mut borrowed = false;
    for link in &mut moved_back.links {
        let name = link["name"].as_str().unwrap_or("");
        if GROUP_DELETED.contains(&name) && link["group"] != "default" {
            link["group"] = Value::from("default");
            borrowed = true;
        }
    }
    if !borrowed {
        return None;
    }
    states
        .iter()
        .position(|s| *s == moved_back)
        .map(|n| (n, true))
}

/// The line numbers rfou reported as failed (`rfou: FILE:LINE: ...`).
fn failed_lines(out: &RfouOutput, batch: &BatchFile) -> BTreeSet<usize> {
    let prefix = format!("rfou: {}:", batch.0.display());
    out.stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| rest.split(':').next()?.parse().ok())
        .collect()
}

/// The lines that fail when the batch runs again after line `n`: those done already that
/// cannot be done twice.
fn done_twice(n: usize, atomic: bool) -> BTreeSet<usize> {
    let lines = lines(atomic);
    (1..=n).filter(|&l| !repeatable(lines[l - 1])).collect()
}

/// Kills the batch at the 1st, 2nd, ... `syscall`, checks the state and a re-run each time;
/// returns how many kills there were.
fn kill_at_every_call(atomic: bool, syscall: &str) -> usize {
    require_strace();
    let states = line_states(atomic);
    let last = states.last().unwrap();
    let lines = lines(atomic);
    let text = lines.join("\n") + "\n";
    let started = std::time::Instant::now();
    let mut k = 1;
    let mut note_gone_checked = false;
    loop {
        let ns = prepare("kill");
        let batch = BatchFile::new(&ns, "kill", &text);
        let at = format!(
            "killed at {syscall} #{k}{}",
            if atomic { " (--atomic)" } else { "" }
        );
        let killed = run_killed(&ns, &batch, atomic, syscall, k);
        if killed.status == 0 {
            // Fewer calls than k: the batch ran whole, as the lines one by one.
            assert_eq!(state(&ns), *last, "uninterrupted batch\n{killed}");
            break;
        }
        assert_eq!(killed.status, 128 + 9, "{at}: not killed\n{killed}");
        let now = state(&ns);
        let Some((n, borrowed)) = position(&now, atomic) else {
            panic!(
                "{at}: the namespace is neither as before the batch nor as after one of its lines \
                 (half a line applied?)\nnow: {now:#?}\nbefore: {:#?}",
                states[0]
            );
        };
        assert!(
            !borrowed || (!atomic && n == BEFORE_GROUP_DELETE),
            "{at}: tunnels in a borrowed group after line {n}"
        );
        eprintln!(
            "{at}: as after line {n}{}",
            if borrowed {
                ", tunnels in the borrowed group"
            } else {
                ""
            }
        );
        if atomic && check_atomic_rerun(&ns, &batch, &at, n, &mut note_gone_checked) {
            k += 1;
            continue;
        }
        // The same batch again, past the lines done already: they fail, and say so.
        let again = rerun(&ns, &batch, &["--force"]);
        let expected = done_twice(n, atomic);
        assert_eq!(
            failed_lines(&again, &batch),
            expected,
            "{at} after line {n}: the re-run's failures\n{again}"
        );
        if expected.is_empty() {
            again.assert_ok();
        } else {
            again.assert_fails(1);
            let applied = format!(
                "{} of {} line(s) applied",
                lines.len() - expected.len(),
                lines.len()
            );
            assert!(
                again.stderr.contains(&applied),
                "{at}: expected \"{applied}\"\n{again}"
            );
        }
        assert_eq!(
            state(&ns),
            *last,
            "{at} after line {n}: the re-run\n{again}"
        );
        k += 1;
    }
    let kills = k - 1;
    println!(
        "{syscall}{}: {kills} kills, {:.1} s",
        if atomic { " --atomic" } else { "" },
        started.elapsed().as_secs_f64()
    );
    assert!(
        kills > 0,
        "rfou made no {syscall} call: the test killed nothing"
    );
    kills
}

/// A killed `--atomic` batch cannot undo itself. The next `--atomic` run of the same batch
/// says where it was killed (or nothing, if it was killed before its first line), then fails
/// at the first line already applied and undoes its own lines, leaving the namespace as the
/// kill left it; when nothing was applied, it applies the whole batch (then this returns true).
/// Once (`note_gone_checked`), a third run shows that the second one removed the note.
fn check_atomic_rerun(
    ns: &Netns,
    batch: &BatchFile,
    at: &str,
    n: usize,
    note_gone_checked: &mut bool,
) -> bool {
    let again = rerun(ns, batch, &["--atomic"]);
    let note = again
        .stderr
        .split("was killed at line ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<usize>()
                .ok()
        });
    match note {
        // The note names the line about to run: applied or not yet.
        Some(line) => assert!(
            line == n || line == n + 1,
            "{at}: the namespace is as after line {n}, the note says line {line}\n{again}"
        ),
        None => assert_eq!(n, 0, "{at}: no word of the kill after line {n}\n{again}"),
    }
    if n == 0 {
        again.assert_ok();
        assert_eq!(
            state(ns),
            *line_states(true).last().unwrap(),
            "{at}\n{again}"
        );
        return true;
    }
    again.assert_fails(1);
    assert!(again.stderr.contains("is as it was"), "{at}\n{again}");
    assert_eq!(
        failed_lines(&again, batch),
        BTreeSet::from([1]),
        "{at}\n{again}"
    );
    assert_eq!(
        state(ns),
        line_states(true)[n],
        "{at}: the --atomic re-run\n{again}"
    );
    if !*note_gone_checked {
        // That run ended (undone): the next one has nothing to report.
        let third = rerun(ns, batch, &["--atomic"]);
        assert!(!third.stderr.contains("was killed"), "{at}\n{third}");
        *note_gone_checked = true;
    }
    false
}

/// A plain batch killed before each of its requests: the kernel is always as after some
/// line, and `--force` finishes it.
#[test]
fn a_batch_killed_before_any_request_is_finished_by_running_it_again() {
    kill_at_every_call(false, "sendto");
}

/// An `--atomic` batch killed before each of its requests: the next `--atomic` run names the
/// line it was killed at and changes nothing; `--force` finishes it.
#[test]
fn an_atomic_batch_killed_before_any_request_is_reported_then_finished() {
    kill_at_every_call(true, "sendto");
}
