//! The systemd unit (systemd/rfou-apply.service) passes `systemd-analyze verify`: every key
//! known, every command executable, its manual page found. Needs `systemd-analyze` (Debian
//! package `systemd`); the test fails, never skips, without it.

use std::path::PathBuf;
use std::process::Command;

const UNIT: &str = "rfou-apply.service";

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let dir = std::env::temp_dir().join(format!("rfou-systemd-{}", std::process::id()));
    let man8 = dir.join("man/man8");
    std::fs::create_dir_all(&man8).expect("temp dir");
    for entry in std::fs::read_dir(root().join("man")).expect("man/") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, man8.join(path.file_name().expect("a name"))).expect("copy a page");
    }
    let unit = std::fs::read_to_string(root().join("systemd").join(UNIT)).expect("the unit");
    // The unit runs the installed /usr/local/bin/rfou; verify checks that it is executable,
    // so point it at the binary this build made.
    assert!(unit.contains("/usr/local/bin/rfou apply"), "{unit}");
    let unit = unit.replace("/usr/local/bin/rfou", env!("CARGO_BIN_EXE_rfou"));
    let path = dir.join(UNIT);
    std::fs::write(&path, unit).expect("write the unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .env("MANPATH", dir.join("man"))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run systemd-analyze ({e}): install it with `apt-get install systemd`")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify {UNIT}: {}\n{stderr}",
        out.status
    );
}
