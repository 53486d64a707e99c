//! Issue #23, item 1: a run whose read-back differs from its plan undoes everything it did
//! and exits 1, saying what the kernel kept instead. The file check refuses every value rfou
//! knows the kernel would alter, so the kernel alone no longer gives such a run on 6.1 and
//! 7.2 (on 6.12 an ip6gretap does: `promises_mtu`). Here another process makes the
//! difference, as a user's script could: strace holds rfou at each of its netlink sends, and
//! in the pause after the send that made the tunnel, `ip link set` gives the tunnel another
//! MTU than the file's; the read-back sees it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::RFOU;
use crate::kill::require_strace;
use crate::promises::{with_dummy, File};
use crate::undo::state;

/// How long strace holds rfou at the entry of each `sendto`: long enough for the test to see
/// the tunnel and change it between the send that made it and the read-back's first.
const HOLD_MICROSECONDS: &str = "1000000";

#[test]
fn a_read_back_that_differs_from_the_plan_undoes_the_run() {
    require_strace();
    let ns = with_dummy("p-readback");
    let file = File::new(
        "p-readback",
        "[[port]]\nport = 5555\nipproto = 4\n\
         [[tunnel]]\nname = \"rb1\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.9\"\n\
         encap = \"fou\"\nencap-dport = 5555\nmtu = 1400\n",
    );
    let before = state(&ns);
    let inject = format!("inject=sendto:delay_enter={HOLD_MICROSECONDS}");
    let started = Instant::now();
    let apply = Command::new("timeout")
        .args(["120", "strace", "-f", "-qq", "-o", "/dev/null"])
        .args(["-e", "trace=sendto", "-e", &inject])
        .args([RFOU, "-n", ns.name(), "apply", file.path()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rfou under strace");
    // The tunnel appears; at once, while rfou is held before its next send, another MTU.
    let changed = loop {
        let shown = ns.try_ip(&["link", "show", "dev", "rb1"]);
        if shown.status.success() {
            break ns
                .try_ip(&["link", "set", "dev", "rb1", "mtu", "1300"])
                .status
                .success();
        }
        assert!(
            started.elapsed() < Duration::from_secs(100),
            "rfou did not make tunnel rb1 within 100 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = apply.wait_with_output().expect("wait for rfou");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(changed, "ip could not change rb1's MTU: {stderr}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "rfou apply did not fail on the read-back (the MTU was changed after it?): {stderr}"
    );
    assert!(
        stderr.contains("keeps other values than asked") && stderr.contains("mtu 1300"),
        "{stderr}"
    );
    assert!(stderr.contains("reads back as before"), "{stderr}");
    assert_eq!(state(&ns), before, "the run was not undone: {stderr}");
}
