//! Network namespaces by name, as `ip netns` keeps them under `/run/netns`.
//!
//! A netlink socket belongs to the namespace it was opened in, so a namespace is entered
//! with `setns` only around the opening of sockets, and the thread goes back at once.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::error::{Error, Result};

const NETNS_RUN_DIR: &str = "/run/netns";

/// The file of the namespace NAME, checked to be a plain name that exists.
pub fn path(name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(Error::invalid(format!(
            "\"{name}\" is not a network namespace name"
        )));
    }
    let path = PathBuf::from(NETNS_RUN_DIR).join(name);
    if !path.exists() {
        return Err(Error::invalid(format!(
            "network namespace \"{name}\" does not exist (no {}); create it with `ip netns add {name}`",
            path.display()
        )));
    }
    Ok(path)
}

/// Runs `f` with the calling thread inside namespace `name`, then returns to the namespace it
/// was in. Sockets opened by `f` stay in `name`.
pub fn within<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    within_file(name, &open(name)?, f)
}

/// The file of namespace `name`, open: what [`within_file`] enters.
pub(crate) fn open(name: &str) -> Result<File> {
    File::open(path(name)?)
        .map_err(|e| Error::system(format!("cannot open network namespace \"{name}\": {e}")))
}

/// [`within`] the namespace `target`, opened by [`open`] (`name` is for messages).
pub(crate) fn within_file<T>(
    name: &str,
    target: &File,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let home = File::open("/proc/thread-self/ns/net")
        .or_else(|_| File::open("/proc/self/ns/net"))
        .map_err(|e| Error::system(format!("cannot open the current network namespace: {e}")))?;
    enter(target).map_err(|e| match e.raw_os_error() {
        Some(libc::EPERM) => Error::Kernel {
            errno: libc::EPERM,
            message: format!(
                "cannot enter network namespace \"{name}\": permission denied (CAP_SYS_ADMIN is needed; run as root)"
            ),
        },
        _ => Error::system(format!("cannot enter network namespace \"{name}\": {e}")),
    })?;
    let result = f();
    enter(&home).map_err(|e| {
        Error::system(format!(
            "cannot return to the original network namespace: {e}"
        ))
    })?;
    result
}

fn enter(ns: &File) -> std::io::Result<()> {
    // SAFETY: setns takes a valid open descriptor of a namespace file and a namespace type.
    let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_slashes_are_refused_before_touching_the_filesystem() {
        let err = path("../etc").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("not a network namespace name"));
    }

    #[test]
    fn a_missing_namespace_says_how_to_create_it() {
        let err = path("rfou-surely-missing-ns").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err
            .to_string()
            .contains("ip netns add rfou-surely-missing-ns"));
    }
}
