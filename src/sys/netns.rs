//! Network namespaces: by name, as `ip netns` keeps them under `/run/netns`; by the path of a
//! namespace file (`/proc/PID/ns/net`, a bind mount); or by an open descriptor of one.
//!
//! A netlink socket belongs to the namespace it was opened in, so a namespace is entered
//! with `setns` only around the opening of sockets, and the thread goes back at once.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

const NETNS_RUN_DIR: &str = "/run/netns";

/// The file of the namespace NAME, checked to be a plain name that exists.
pub fn path(name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(Error::invalid(format!(
            "\"{name}\" is not a network namespace name"
        )));
    }
    let path = file_of(name);
    if !path.exists() {
        return Err(Error::invalid(format!(
            "network namespace \"{name}\" does not exist (no {}); create it with `ip netns add {name}`",
            path.display()
        ))
        .with_kind(ErrorKind::NoSuchNamespace));
    }
    Ok(path)
}

/// Where `ip netns` keeps the namespace NAME (`/run/netns/NAME`), for a name [`path`]
/// checked already.
pub(crate) fn file_of(name: &str) -> PathBuf {
    PathBuf::from(NETNS_RUN_DIR).join(name)
}

/// The file of namespace `name`, open: what a handle keeps to open its sockets in it later
/// ([`within_fd`]).
pub(crate) fn open(name: &str) -> Result<File> {
    File::open(path(name)?)
        .map_err(|e| open_error(e, format!("cannot open network namespace \"{name}\"")))
}

/// The namespace file at `path`, open.
pub(crate) fn open_path(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| open_error(e, format!("cannot open {}", path_what(path))))
}

/// The namespace at `path`, for messages.
pub(crate) fn path_what(path: &Path) -> String {
    format!("the network namespace at {}", path.display())
}

/// Runs `f` with the calling thread inside the namespace `ns` is an open descriptor of, then
/// returns to the namespace it was in, also when `f` panics. Sockets opened by `f` stay in
/// `ns`. `what` names the namespace in errors.
pub(crate) fn within_fd<T>(
    ns: BorrowedFd<'_>,
    what: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let inside = Inside::enter(ns, what)?;
    let result = f();
    inside.leave()?;
    result
}

/// The calling thread inside another network namespace, until [`Inside::leave`] or drop takes
/// it back to the one it was in.
struct Inside {
    home: File,
    left: bool,
}

impl Inside {
    fn enter(ns: BorrowedFd<'_>, what: &str) -> Result<Self> {
        let home = File::open("/proc/thread-self/ns/net")
            .or_else(|_| File::open("/proc/self/ns/net"))
            .map_err(|e| {
                Error::system(format!("cannot open the current network namespace: {e}"))
            })?;
        enter(ns).map_err(|e| match e.raw_os_error() {
            Some(errno @ (libc::EPERM | libc::EACCES)) => Error::kernel(
                errno,
                format!(
                    "cannot enter {what}: permission denied (CAP_SYS_ADMIN is needed; run as root)"
                ),
            ),
            // setns answers EINVAL to a descriptor of anything but a network namespace (such
            // as a /run/netns file left behind unmounted): there is no namespace there.
            Some(libc::EINVAL) => Error::new(
                ErrorKind::NoSuchNamespace,
                format!("cannot enter {what}: it is not a network namespace"),
            ),
            _ => Error::system(format!("cannot enter {what}: {e}")),
        })?;
        Ok(Inside { home, left: false })
    }

    /// Back to the namespace the thread was in.
    fn leave(mut self) -> Result<()> {
        self.left = true;
        enter(self.home.as_fd()).map_err(|e| {
            Error::system(format!(
                "cannot return to the original network namespace: {e}"
            ))
        })
    }
}

impl Drop for Inside {
    /// Reached without [`Inside::leave`] only when the code inside panicked. A thread that
    /// cannot go back would open every later socket in the wrong namespace: nothing may run
    /// on in it, so the process stops.
    fn drop(&mut self) {
        if !self.left && enter(self.home.as_fd()).is_err() {
            eprintln!("rfou: cannot return to the original network namespace; stopping");
            std::process::abort();
        }
    }
}

/// The error of opening a namespace file: a missing one is [`ErrorKind::NoSuchNamespace`].
fn open_error(e: std::io::Error, what: String) -> Error {
    match e.raw_os_error() {
        Some(libc::ENOENT) => Error::invalid(format!("{what}: it does not exist"))
            .with_kind(ErrorKind::NoSuchNamespace),
        Some(errno @ (libc::EPERM | libc::EACCES)) => {
            Error::kernel(errno, format!("{what}: permission denied"))
        }
        _ => Error::system(format!("{what}: {e}")),
    }
}

fn enter(ns: BorrowedFd<'_>) -> std::io::Result<()> {
    // SAFETY: setns takes an open descriptor (borrowed, so valid for the call) and a
    // namespace type; it reads nothing else.
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
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("not a network namespace name"));
    }

    #[test]
    fn a_missing_namespace_says_how_to_create_it() {
        let err = path("rfou-surely-missing-ns").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSuchNamespace);
        assert!(err
            .to_string()
            .contains("ip netns add rfou-surely-missing-ns"));
    }

    #[test]
    fn a_missing_namespace_file_is_no_such_namespace() {
        let err = open_path(Path::new("/nonexistent/rfou/ns")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSuchNamespace);
        assert!(err.to_string().contains("/nonexistent/rfou/ns"), "{err}");
    }

    /// The identity of the namespace the calling thread is in.
    fn current() -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata("/proc/thread-self/ns/net").expect("own namespace");
        (meta.dev(), meta.ino())
    }

    /// The guard's promise, tried where it can be kept without root: in a child process
    /// (forked, so one thread) that makes a user namespace with two network namespaces of its
    /// own. Inside the child, `within_fd` enters the second and the code inside it panics,
    /// returns an error, or returns: each time the thread is back in the first. The child
    /// reports by its exit status: 0 kept, 1 broken, 2 the namespaces could not be made.
    #[test]
    fn the_thread_comes_back_after_a_panic_an_error_and_a_return() {
        // SAFETY: the child only makes namespaces, runs the guard and exits with _exit; the
        // panic inside is raised with resume_unwind, which runs no panic hook (no lock that
        // another thread of the parent may have held at the fork).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = (|| {
                // SAFETY: plain system calls on this, the child's only thread.
                if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
                    return 2;
                }
                let first = File::open("/proc/thread-self/ns/net").expect("first");
                let home = current();
                // SAFETY: as above.
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    return 2;
                }
                let second = File::open("/proc/thread-self/ns/net").expect("second");
                let away = current();
                if enter(first.as_fd()).is_err() || current() != home || away == home {
                    return 2;
                }
                let panicked = std::panic::catch_unwind(|| {
                    within_fd(second.as_fd(), "the second", || -> Result<()> {
                        assert_eq!(current(), away);
                        std::panic::resume_unwind(Box::new("inside"))
                    })
                });
                let failed = within_fd(second.as_fd(), "the second", || -> Result<()> {
                    Err(Error::system("inside"))
                });
                let inside = within_fd(second.as_fd(), "the second", || Ok(current()));
                let kept = panicked.is_err()
                    && failed.is_err()
                    && matches!(inside, Ok(id) if id == away)
                    && current() == home;
                if kept {
                    0
                } else {
                    1
                }
            })();
            // SAFETY: ends the child at once, running nothing of the parent's.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(libc::WIFEXITED(status), "the child did not exit: {status}");
        match libc::WEXITSTATUS(status) {
            0 => {}
            1 => panic!("a thread was left in the other namespace"),
            2 => panic!(
                "cannot make a user namespace with network namespaces here (as root, or with \
                 sysctl kernel.unprivileged_userns_clone=1 where the kernel has it)"
            ),
            other => panic!("the child exited {other}"),
        }
    }

    #[test]
    fn a_file_that_is_no_namespace_is_refused_without_entering_anything() {
        // setns checks the kind of the descriptor before the privilege: EINVAL anywhere.
        let file = File::open("/proc/self/stat").unwrap();
        let err = within_fd(file.as_fd(), "/proc/self/stat", || Ok(())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSuchNamespace, "{err}");
        assert!(err.to_string().contains("not a network namespace"), "{err}");
    }
}
