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

/// The running kernel's release (`uname -r`), if it can be read.
fn release() -> Option<String> {
    let text = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    Some(text.trim().to_string())
}

/// A module's name as the kernel keeps it: `-` and `_` are the same to modprobe.
fn normalized(name: &str) -> String {
    name.replace('-', "_")
}

/// Whether module `name` is loaded, built in, or could be loaded by modprobe (its file is
/// listed in the kernel's `modules.dep`); found without loading anything.
pub fn is_loadable(name: &str) -> bool {
    if is_available_without_loading(name) {
        return true;
    }
    let Some(release) = release() else {
        return false;
    };
    let wanted = normalized(name);
    let dep = Path::new("/lib/modules").join(release).join("modules.dep");
    std::fs::read_to_string(dep).is_ok_and(|list| {
        list.lines().any(|line| {
            let file = line.split(':').next().unwrap_or("");
            let base = file.rsplit('/').next().unwrap_or("");
            base.split(".ko").next().map(normalized) == Some(wanted.clone())
        })
    })
}

/// Whether the running kernel was built with `option` (`CONFIG_...`, as `y` or `m`), read
/// from a copy of its configuration: `/boot/config-RELEASE` or `/lib/modules/RELEASE/config`
/// (where Debian and most distributions put it). `None` where no copy is found.
pub fn kernel_config(option: &str) -> Option<bool> {
    let release = release()?;
    let copies = [
        Path::new("/boot").join(format!("config-{release}")),
        Path::new("/lib/modules").join(&release).join("config"),
    ];
    let text = copies
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())?;
    let set = format!("{option}=");
    Some(
        text.lines()
            .filter_map(|line| line.strip_prefix(&set))
            .any(|value| value == "y" || value == "m"),
    )
}

/// Whether the kernel has a function or variable called `symbol` now, in itself or in a
/// loaded module (`/proc/kallsyms`, which every process may read). `None` where the list
/// cannot be read.
pub fn has_symbol(symbol: &str) -> Option<bool> {
    let text = std::fs::read_to_string("/proc/kallsyms").ok()?;
    // Each line: address, type, name, and `[module]` for a module's.
    Some(
        text.lines()
            .any(|line| line.split_whitespace().nth(2) == Some(symbol)),
    )
}
