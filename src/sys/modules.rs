//! Kernel modules rfou depends on, loaded the way `modprobe` loads them.

use std::path::Path;
use std::process::Command;

/// Whether module `name` is loaded (or built in: built-in modules have /sys/module too).
pub fn is_loaded(name: &str) -> bool {
    Path::new("/sys/module").join(name).exists()
}

/// Loads module `name` with modprobe unless it is there already; the error says why not.
pub fn load(name: &str) -> Result<(), String> {
    if is_loaded(name) {
        return Ok(());
    }
    let output = Command::new("modprobe")
        .arg(name)
        .output()
        .map_err(|e| format!("cannot run modprobe: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.trim();
        Err(if stderr.is_empty() {
            format!("`modprobe {name}` failed with {}", output.status)
        } else {
            format!("`modprobe {name}`: {stderr}")
        })
    }
}

/// Whether module `name` is loaded or built into this kernel, found without loading
/// anything (a built-in module need not show in /sys/module; modules.builtin lists it).
pub fn is_available_without_loading(name: &str) -> bool {
    if is_loaded(name) {
        return true;
    }
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let builtin = Path::new("/lib/modules")
        .join(release.trim())
        .join("modules.builtin");
    std::fs::read_to_string(builtin).is_ok_and(|list| {
        list.lines()
            .any(|line| line.rsplit('/').next() == Some(&format!("{name}.ko")))
    })
}
