//! `rfou doctor` against the kernel: the NIC reader against ethtool ([`nic`]); every check of
//! the data path both ways, the condition made and then fixed with the fix the doctor gives,
//! on veth and dummy ([`checks`]) and QEMU's virtio-net with RSS ([`virtio`]); and the demo's
//! namespaces, where nothing fails ([`demo`]). Every run of the doctor that finds something is
//! bracketed by [`snapshot`]s of what it could change, which must be equal: it reads only.
//!
//! The suite runs under emulation on three kernels: namespaces are shared within a test, and
//! one `rfou -j doctor` is judged for many checks.

mod checks;
mod demo;
mod nic;
mod virtio;

use std::sync::Mutex;

use serde_json::Value;

use crate::harness::*;

/// Held by every test that reads or moves the VM's virtio-net NIC (it is one, and a test
/// moves it into a namespace of its own).
pub static VIRTIO: Mutex<()> = Mutex::new(());

/// What `rfou -j doctor` said.
pub struct Doctor {
    pub out: RfouOutput,
    pub report: Value,
}

impl Doctor {
    /// The check called `name`; panics, showing the report, where there is none.
    #[track_caller]
    pub fn check(&self, name: &str) -> &Value {
        self.report["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["check"] == name))
            .unwrap_or_else(|| panic!("{}\nno check `{name}` in the report", self.out))
    }

    /// Asserts that check `name` has `status`, and, for a finding, a detail that says why and
    /// a fix where `fixed` (`Some(true)`: one is given, `Some(false)`: none); returns its fix.
    #[track_caller]
    pub fn expect(&self, name: &str, status: &str, fixed: Option<bool>) -> Option<String> {
        let check = self.check(name);
        assert_eq!(check["status"], status, "{name}: {check:#}\n{}", self.out);
        let detail = check["detail"].as_str().unwrap_or("");
        assert!(
            detail.len() > 20,
            "{name}: a detail that says why: {check:#}"
        );
        let fix = check["fix"].as_str().map(str::to_string);
        if let Some(fixed) = fixed {
            assert_eq!(fix.is_some(), fixed, "{name}: fix or none: {check:#}");
        }
        fix
    }

    /// The names and statuses of every check, for messages.
    pub fn summary(&self) -> Vec<(String, String)> {
        self.report["checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| {
                        let s = |k: &str| c[k].as_str().unwrap_or("?").to_string();
                        (s("check"), s("status"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `rfou [-n NS] -j doctor ARGS`, run under `prefix` (e.g. `setpriv ...`) where given.
#[track_caller]
pub fn doctor_with(prefix: &[&str], ns: Option<&Netns>, args: &[&str]) -> Doctor {
    let mut all: Vec<&str> = Vec::new();
    if let Some(ns) = ns {
        all.extend(["-n", ns.name()]);
    }
    all.extend(["-j", "doctor"]);
    all.extend_from_slice(args);
    let out = if prefix.is_empty() {
        rfou(None, &all)
    } else {
        let mut words = prefix.to_vec();
        words.push(RFOU);
        words.extend_from_slice(&all);
        let run = try_run(words[0], &words[1..]);
        RfouOutput {
            cmdline: words.join(" "),
            status: run.status.code().unwrap_or(128),
            stdout: String::from_utf8_lossy(&run.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
        }
    };
    let report = out.json();
    // The exit status is 1 exactly when a check failed, and `ok` says the same.
    let failed = report["checks"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["status"] == "fail"));
    assert_eq!(out.status, i32::from(failed), "exit status: {out}");
    assert_eq!(report["ok"], !failed, "ok: {out}");
    Doctor { out, report }
}

/// `rfou [-n NS] -j doctor ARGS`.
#[track_caller]
pub fn doctor(ns: Option<&Netns>, args: &[&str]) -> Doctor {
    doctor_with(&[], ns, args)
}

/// Everything the doctor could change and a fix would: the devices (`ip -d link`), the
/// receive ports, the IPv4 settings of every device, the port range and reserved ports, the
/// RPS masks, the kernel's modules, and the features and UDP flow hashes of `nics` (the
/// devices the doctor reads those of). Read in the namespace (here where `None`) in one shell
/// with few processes: each costs much under emulation.
#[track_caller]
pub fn snapshot(ns: Option<&Netns>, nics: &[&str]) -> String {
    let mut script = String::from(
        r#"ip -d -j link show
ip -j fou show 2>&1
grep -H . /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/ip_local_port_range \
    /proc/sys/net/ipv4/ip_local_reserved_ports /sys/class/net/*/queues/rx-*/rps_cpus
awk '{ print $1 }' /proc/modules | sort
"#,
    );
    for nic in nics {
        script.push_str(&format!(
            "ethtool -k {nic} 2>&1\nethtool -n {nic} rx-flow-hash udp4 2>&1\n\
             ethtool -n {nic} rx-flow-hash udp6 2>&1\n"
        ));
    }
    // ethtool -n fails on a device without RSS: its message is what is compared.
    script.push_str("true\n");
    let out = match ns {
        Some(ns) => ns.exec("sh", &["-c", &script]),
        None => try_run("sh", &["-c", &script]),
    };
    assert!(out.status.success(), "snapshot: {out:?}");
    without_carrier(&String::from_utf8_lossy(&out.stdout))
}

/// The snapshot `text` with the carrier of each link left out of its first line (`ip -d -j
/// link show`): the flags NO-CARRIER and LOWER_UP and the operstate they make. They are the
/// kernel's own view of a link, set by its link watch a while after the link is set up (a NIC
/// set up just before the doctor runs can gain its carrier during the run, the slower the
/// emulator the likelier), and nothing the doctor or a fix does changes them. The link's own
/// UP flag, which a command can change, stays compared.
fn without_carrier(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut links: Value = serde_json::from_str(first)
        .unwrap_or_else(|e| panic!("snapshot: `ip -d -j link show`: bad JSON ({e}):\n{first}"));
    for link in links.as_array_mut().into_iter().flatten() {
        if let Some(fields) = link.as_object_mut() {
            fields.remove("operstate");
        }
        if let Some(flags) = link["flags"].as_array_mut() {
            flags.retain(|f| f != "NO-CARRIER" && f != "LOWER_UP");
        }
    }
    format!("{links}\n{rest}")
}

/// Runs `rfou -j doctor` in `ns` and asserts it changed nothing of what [`snapshot`] reads
/// (the features and hashes of `nics`).
#[track_caller]
pub fn doctor_read_only(
    prefix: &[&str],
    ns: Option<&Netns>,
    nics: &[&str],
    args: &[&str],
) -> Doctor {
    let before = snapshot(ns, nics);
    let report = doctor_with(prefix, ns, args);
    let after = snapshot(ns, nics);
    if before != after {
        let changed: Vec<String> = before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("- {a}\n+ {b}"))
            .collect();
        panic!(
            "rfou doctor changed the kernel's state:\n{}\n{}",
            changed.join("\n"),
            report.out
        );
    }
    report
}

/// Runs a fix the doctor gave, as a person would paste it into a root shell: `rfou` is the
/// binary under test.
#[track_caller]
pub fn run_fix(fix: &str) {
    let dir = std::path::Path::new(RFOU)
        .parent()
        .expect("the rfou binary's directory");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", fix])
        .env("PATH", path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run sh: {e}"));
    assert!(
        out.status.success(),
        "the fix `{fix}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets sysctls in `ns` in one process: `KEY=VALUE` each.
#[track_caller]
pub fn sysctls(ns: &Netns, settings: &[&str]) {
    let mut args = vec!["-qw"];
    args.extend_from_slice(settings);
    ns.exec_ok("sysctl", &args);
}

/// `ethtool ARGS` in `ns` (or here): its stdout and stderr, and whether it exited 0.
pub fn ethtool(ns: Option<&Netns>, args: &[&str]) -> (String, bool) {
    let out = match ns {
        Some(ns) => ns.exec("ethtool", args),
        None => try_run("ethtool", args),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (text, out.status.success())
}

/// The VM's virtio-net NIC, in the initial namespace.
pub fn virtio_nic() -> String {
    let found: Vec<String> = std::fs::read_dir("/sys/bus/virtio/drivers/virtio_net")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_dir(e.path().join("net")).ok())
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    match found.as_slice() {
        [nic] => nic.clone(),
        _ => panic!(
            "expected one virtio-net NIC with RSS, found {found:?}: run the kernel tests in \
             scripts/vm-run with RFOU_VM_NIC_RSS=1 (scripts/test sets it)"
        ),
    }
}

/// The kernel's release as (major, minor).
pub fn release() -> (u32, u32) {
    let text = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let mut parts = text
        .split(['.', '-'])
        .map(|p| p.trim().parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}
