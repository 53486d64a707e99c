//! Runs of tunnel adds and of tunnel changes in a batch: read and sent many requests per
//! `sendmsg`, they must do exactly what the same lines do one rfou process a line. Each test
//! runs its lines one by one in a namespace, past every failure, and as a batch, with and
//! without `--force`, in two more made alike; it compares the exit status, standard error
//! line for line (each failure with its file and line number, each MTU note in its turn) and
//! the kernel's state as iproute2 reads it: without `--force` against the state one by one
//! left right after the first failing line, with it against the state at the end.

use crate::harness::{rf, Netns, RfouOutput};
use crate::undo::{state, BatchFile};

/// What running `lines` one by one, past every failure, said and left.
struct OneByOne {
    outputs: Vec<RfouOutput>,
    /// The kernel's state right after the first failing line, if one failed.
    at_first_failure: Option<crate::undo::State>,
    at_end: crate::undo::State,
}

fn one_by_one(ns: &Netns, lines: &[String]) -> OneByOne {
    let mut outputs = Vec::with_capacity(lines.len());
    let mut at_first_failure = None;
    for line in lines {
        let out = rf(ns, line);
        if out.status != 0 && at_first_failure.is_none() {
            at_first_failure = Some(state(ns));
        }
        outputs.push(out);
    }
    OneByOne {
        outputs,
        at_first_failure,
        at_end: state(ns),
    }
}

/// The standard error a batch of `lines` in file `path` in namespace `batch_ns` must print
/// (past failures when `force`), and its exit status, from what one by one (in `single_ns`)
/// printed.
fn expected(
    single: &OneByOne,
    single_ns: &Netns,
    batch_ns: &Netns,
    path: &str,
    lines: &[String],
    force: bool,
) -> (i32, String) {
    let mut expected = String::new();
    let mut status = 0;
    let mut applied = 0;
    for (index, (line, out)) in lines.iter().zip(&single.outputs).enumerate() {
        let number = index + 1;
        // The messages name the namespace: the batch's, there.
        let stderr = out.stderr.replace(single_ns.name(), batch_ns.name());
        if out.status == 0 {
            applied += 1;
            expected += &stderr;
            continue;
        }
        if status == 0 {
            status = out.status;
        }
        // Its notes before the error as they are; the error (the last line) with the file,
        // the line number and the line's words in front.
        let text = stderr.trim_end_matches('\n');
        let (notes, error) = text.rsplit_once('\n').unwrap_or(("", text));
        if !notes.is_empty() {
            expected += notes;
            expected += "\n";
        }
        let error = error
            .strip_prefix("rfou: ")
            .unwrap_or_else(|| panic!("line {number} failed without an error: {out}"));
        expected += &format!("rfou: {path}:{number}: {line}: {error}\n");
        if !force {
            expected += &format!(
                "rfou: {path}: stopped at line {number}; {applied} line(s) before it were applied\n"
            );
            return (status, expected);
        }
    }
    if status != 0 {
        expected += &format!(
            "rfou: {path}: {applied} of {} line(s) applied\n",
            lines.len()
        );
    }
    (status, expected)
}

/// Runs `lines` one by one, as a batch and as a batch with `--force`, each in a namespace
/// that `setup` (an `ip -batch`) makes, and asserts that the batches end as one by one does.
/// Returns the numbers of the lines that failed.
#[track_caller]
fn same_as_one_by_one(tag: &str, setup: &str, lines: &[String]) -> Vec<usize> {
    let single_ns = Netns::new(&format!("{tag}s"));
    let stop_ns = Netns::new(&format!("{tag}b"));
    let force_ns = Netns::new(&format!("{tag}f"));
    for ns in [&single_ns, &stop_ns, &force_ns] {
        ns.ip_batch(setup);
    }
    let before = state(&single_ns);
    assert_eq!(state(&stop_ns), before, "the setups differ");
    assert_eq!(state(&force_ns), before, "the setups differ");

    let single = one_by_one(&single_ns, lines);
    let text = lines.join("\n") + "\n";
    for (ns, force) in [(&stop_ns, false), (&force_ns, true)] {
        let file = BatchFile::new(ns, tag, &text);
        let path = file.0.to_str().unwrap().to_string();
        let mode: &[&str] = if force { &["--force"] } else { &[] };
        let batch = file.run(ns, mode);
        let (status, stderr) = expected(&single, &single_ns, ns, &path, lines, force);
        assert_eq!(batch.status, status, "force {force}: {batch}");
        assert_eq!(
            batch.stderr, stderr,
            "force {force}: standard error, batch against one by one"
        );
        let want = match (&single.at_first_failure, force) {
            (Some(at_failure), false) => at_failure,
            _ => &single.at_end,
        };
        let after = state(ns);
        assert_eq!(
            &after, want,
            "force {force}: the kernel's state, batch against one by one"
        );
        assert_ne!(after, before, "force {force}: the batch changed nothing");
    }
    (1..=lines.len())
        .filter(|&n| single.outputs[n - 1].status != 0)
        .collect()
}

/// A dummy device to bind tunnels to, and a tunnel with the endpoints line 66 of [`adds`]
/// asks for.
const ADD_SETUP: &str = "link add v0 type dummy\n\
                         link add taken type ipip remote 10.3.9.66 local 10.3.0.1";

/// 74 tunnel adds: ipip, gre and sit, FOU and GUE, some bound to v0. Lines 1 to 68 go as one
/// run over two windows of 64 requests, line 66 in the second: it asks for the endpoints of
/// the tunnel `taken`, which the kernel refuses (one tunnel per endpoints), and the kernel
/// makes lines 67 and 68 in the same `sendmsg`. Line 69 is bound to the tunnel line 10 makes,
/// and line 72 takes the name line 71 took: each starts a run.
fn adds() -> Vec<String> {
    (1..=74)
        .map(|i| match i {
            69 => "tunnel add u69 mode gre remote 10.3.8.1 local 10.3.0.1 dev t10".to_string(),
            72 => "tunnel add t71 mode ipip remote 10.3.8.2 local 10.3.0.1".to_string(),
            _ => {
                let mode = if i == 66 { "ipip" } else { ["ipip", "gre", "sit"][i % 3] };
                let encap = if i % 2 == 0 { "fou" } else { "gue" };
                let dev = if i % 5 == 0 { " dev v0" } else { "" };
                format!(
                    "tunnel add t{i} mode {mode} remote 10.3.9.{i} local 10.3.0.1{dev} encap {encap} encap-dport 5555"
                )
            }
        })
        .collect()
}

#[test]
fn a_run_of_tunnel_adds_ends_as_one_by_one_with_and_without_force() {
    let failed = same_as_one_by_one("runadd", ADD_SETUP, &adds());
    assert_eq!(failed, [66, 72], "lines 66 and 72 should have failed");
}

/// 74 ipip tunnels with FOU encap, made by iproute2.
fn change_setup() -> String {
    (1..=74)
        .map(|i| {
            format!(
                "link add t{i} type ipip remote 10.3.9.{i} local 10.3.0.1 encap fou encap-dport 5555\n"
            )
        })
        .collect()
}

/// 74 changes: encap changes (each an MTU note: GUE's header is longer) and TTL changes.
/// Lines 1 to 68 go as one run over two windows of requests; line 66 asks for a TTL and an
/// MTU, which the kernel refuses after it set the TTL (the MTU is above what the tunnel can
/// carry), and the kernel makes the changes of lines 67 and 68 in the same `sendmsg`. Line 69
/// changes a remote (it goes alone), line 72 changes line 70's tunnel again (it starts a
/// run), and line 73 names no tunnel.
fn changes() -> Vec<String> {
    (1..=74)
        .map(|i| match i {
            66 => "tunnel change t66 ttl 9 mtu 65535".to_string(),
            69 => "tunnel change t69 remote 10.3.7.69".to_string(),
            72 => "tunnel encap dev t70 fou encap-dport 6001".to_string(),
            73 => "tunnel encap dev nosuch gue encap-dport 6000".to_string(),
            _ if i % 3 == 0 => format!("tunnel change t{i} ttl {}", 10 + i % 50),
            _ => format!("tunnel encap dev t{i} gue encap-dport 6000"),
        })
        .collect()
}

#[test]
fn a_run_of_tunnel_changes_ends_as_one_by_one_with_and_without_force() {
    let failed = same_as_one_by_one("runchg", &change_setup(), &changes());
    assert_eq!(failed, [66, 73], "lines 66 and 73 should have failed");
}

#[test]
fn a_change_over_a_tunnel_changed_before_it_in_the_run_sees_its_new_mtu() {
    // "over" is routed over "under": the MTU "over" gets with its new encap depends on the
    // MTU of "under", which the line before changes.
    let setup = "link add under type ipip remote 10.3.5.2 local 10.3.0.1\n\
                 addr add 10.4.0.1/24 dev under\n\
                 link set under up\n\
                 link add over type ipip remote 10.4.0.2 local 10.4.0.1 encap fou encap-dport 5555";
    let lines = [
        "tunnel change under mtu 1400".to_string(),
        "tunnel encap dev over gue encap-dport 6000".to_string(),
    ];
    assert_eq!(
        same_as_one_by_one("rununder", setup, &lines),
        Vec::<usize>::new()
    );
}
