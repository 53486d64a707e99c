//! The boot units (systemd/rfou-apply.service, systemd/rfou-apply-bound.service) pass
//! `systemd-analyze verify` (every key known, the command of `ExecStart=` there and
//! executable, the manual page of `Documentation=` found) and `systemd-analyze security`
//! rates each 4.0 or lower, with what the early unit needs of its place in the boot. Needs
//! `systemd-analyze` (Debian package `systemd`); the tests fail, never skip, without it.
//!
//! What verify cannot see: the units run `/usr/libexec/rfou/rfou-boot`, which is not on
//! this machine; the test puts the repository's `systemd/rfou-boot` at that place in a copy
//! of each unit, so verify checks the script, and the script runs `/usr/sbin/rfou`, which
//! verify never looks at. That the installed script and binary work is the boot test's
//! (scripts/boot-test): a Debian image booted with systemd as PID 1, the package installed.
//! So that verify's success means something, the same copies broken on purpose (an unknown
//! key, a command that does not exist, a manual page that does not exist) must fail it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const UNITS: &[&str] = &["rfou-apply.service", "rfou-apply-bound.service"];
/// The paths the units run, as the package installs them.
const RFOU: &str = "/usr/sbin/rfou";
const BOOT_SCRIPT: &str = "/usr/libexec/rfou/rfou-boot";

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn unit_text(unit: &str) -> String {
    std::fs::read_to_string(root().join("systemd").join(unit)).expect("the unit")
}

fn systemd_analyze(args: &[&str], path: &Path, env: &[(&str, &Path)]) -> Output {
    Command::new("systemd-analyze")
        .args(args)
        .arg(path)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run systemd-analyze ({e}): install it with `apt-get install systemd`")
        })
}

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("rfou-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `systemd-analyze verify` of `text` saved as `unit` in `dir`, with the manual pages of
/// `dir/man`: its exit status and what it said.
fn verify(dir: &Path, unit: &str, text: &str) -> (bool, String) {
    let path = dir.join(unit);
    std::fs::write(&path, text).expect("write the unit");
    let out = systemd_analyze(&["verify"], &path, &[("MANPATH", &dir.join("man"))]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success() && stderr.trim().is_empty(), stderr)
}

#[test]
fn units_pass_systemd_analyze_verify() {
    let dir = TempDir::new("systemd-verify");
    let man8 = dir.0.join("man/man8");
    std::fs::create_dir_all(&man8).expect("temp dir");
    for entry in std::fs::read_dir(root().join("man")).expect("man/") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, man8.join(path.file_name().expect("a name"))).expect("copy a page");
    }
    // verify checks that the command of ExecStart= is executable: point the units at the
    // script of the repository (which runs rfou from RFOU, default /usr/sbin/rfou: that one
    // verify does not see).
    let script = root().join("systemd/rfou-boot");
    for unit in UNITS {
        let text = unit_text(unit);
        assert!(
            text.contains(&format!("ExecStart={BOOT_SCRIPT} ")),
            "{unit}: {text}"
        );
        let text = text.replace(BOOT_SCRIPT, script.to_str().expect("UTF-8"));
        let (ok, stderr) = verify(&dir.0, unit, &text);
        assert!(ok, "systemd-analyze verify {unit}:\n{stderr}");

        // The same unit broken three ways: verify must say so, or its success above proves
        // nothing.
        let missing = dir.0.join("no-such-rfou-boot");
        let broken = [
            (
                "an unknown key",
                text.replace("[Service]\n", "[Service]\nFrobnicate=yes\n"),
                "Unknown key",
            ),
            (
                "a command that does not exist",
                text.replace(
                    script.to_str().expect("UTF-8"),
                    missing.to_str().expect("UTF-8"),
                ),
                "is not executable",
            ),
            (
                "a manual page that does not exist",
                text.replace("man:rfou-apply(8)", "man:rfou-no-such-page(8)"),
                "rfou-no-such-page",
            ),
        ];
        for (what, text, said) in broken {
            let (ok, stderr) = verify(&dir.0, unit, &text);
            assert!(
                !ok && stderr.contains(said),
                "{unit} with {what}: systemd-analyze verify did not say \"{said}\":\n{stderr}"
            );
        }
    }
    let script_text = std::fs::read_to_string(&script).expect("the script");
    assert!(
        script_text.contains(&format!("rfou=${{RFOU:-{RFOU}}}")),
        "systemd/rfou-boot runs {RFOU} by default"
    );
}

/// `systemd-analyze security` (systemd 252 on Debian 12) rates each unit 4.0 or lower.
#[test]
fn units_are_rated_4_or_lower_by_systemd_analyze_security() {
    for unit in UNITS {
        let path = root().join("systemd").join(unit);
        let out = systemd_analyze(&["security", "--offline=true"], &path, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.contains("Overall exposure level"))
            .unwrap_or_else(|| panic!("no exposure level for {unit}: {out:?}"));
        let score: f64 = line
            .split(": ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("cannot read the level of: {line}"));
        assert!(score <= 4.0, "{unit}: {line}");
    }
}

/// The early unit's place in the boot: after sysctl.d is applied, before the network is
/// configured, with a start timeout; the late one after it, and before network-online.
#[test]
fn units_are_ordered_as_the_boot_needs() {
    let setting = |text: &str, key: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .flat_map(|v| v.split_whitespace().map(str::to_string))
            .collect()
    };
    let early = unit_text("rfou-apply.service");
    assert!(setting(&early, "After").contains(&"systemd-sysctl.service".into()));
    assert!(setting(&early, "Before").contains(&"network-pre.target".into()));
    assert_eq!(setting(&early, "TimeoutStartSec"), ["90"]);
    assert_eq!(setting(&early, "ExecStart"), [BOOT_SCRIPT, "early"]);
    let late = unit_text("rfou-apply-bound.service");
    assert!(setting(&late, "After").contains(&"rfou-apply.service".into()));
    assert!(setting(&late, "Before").contains(&"network-online.target".into()));
    assert_eq!(setting(&late, "ExecStart"), [BOOT_SCRIPT, "late", "60"]);
    assert_eq!(setting(&late, "TimeoutStartSec"), ["120"]);
}
