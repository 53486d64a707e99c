//! The change lock of a network namespace: held while rfou reads something, edits it and
//! writes it back, so that two rfou processes do not each write back what they read and undo
//! each other's change. Tools other than rfou do not take it.

use std::fs::File;
use std::os::fd::AsRawFd;

use crate::error::{Error, Result};

/// Where the change locks live: one file a network namespace.
pub(crate) const LOCK_DIR: &str = "/run/rfou";

/// A held change lock, released on drop. `None` where the lock file cannot be made for lack
/// of permission: such a process has no privilege on the namespace either, unless in a user
/// namespace of its own, and the kernel's refusal says more than a lock file's would.
pub(crate) struct ChangeLock {
    _file: Option<File>,
}

impl ChangeLock {
    /// No lock: what is held already by the same process (a second `flock` of the same file
    /// from this process would wait for the first forever).
    pub(crate) fn none() -> Self {
        ChangeLock { _file: None }
    }

    /// Takes the lock of the namespace whose identity (device and inode of its namespace
    /// file) is `netns`, waiting for any other rfou that holds it (an exclusive `flock` on
    /// `/run/rfou/netns-DEV-INO.lock`).
    pub(crate) fn take(netns: std::io::Result<(u64, u64)>) -> Result<Self> {
        // Without permission (the kernel tells a namespace's identity only to who may
        // administer it; /run may not be writable) there is no lock, as [`ChangeLock`] says;
        // any other failure is an error.
        let unlocked = |e: std::io::Error, what: &str| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                Ok(ChangeLock::none())
            } else {
                Err(Error::system(format!("{what}: {e}")))
            }
        };
        let (dev, ino) = match netns {
            Ok(id) => id,
            Err(e) => return unlocked(e, "cannot tell which namespace this is"),
        };
        let path = format!("{LOCK_DIR}/netns-{dev}-{ino}.lock");
        let file = std::fs::create_dir_all(LOCK_DIR).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        });
        let file = match file {
            Ok(file) => file,
            Err(e) => return unlocked(e, &format!("cannot open the lock file {path}")),
        };
        loop {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(ChangeLock { _file: Some(file) });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(Error::system(format!("cannot lock {path}: {err}")));
            }
        }
    }
}
