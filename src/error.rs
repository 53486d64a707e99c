//! The one error type of rfou: what went wrong, said so a person can act on it, and of which
//! kind, so a program can act on it without reading the text.

use std::fmt;

/// What kind of failure an [`Error`] is: match on this, never on the message.
///
/// More kinds may come (the enum is `#[non_exhaustive]`): keep a `_` arm.
///
/// ```
/// use rfou::{Error, ErrorKind};
/// fn explain(err: &Error) -> &'static str {
///     match err.kind() {
///         ErrorKind::PortInUse => "pick another port",
///         ErrorKind::PermissionDenied => "run as root",
///         ErrorKind::InvalidInput => "fix the request",
///         _ => "see the message",
///     }
/// }
/// assert_eq!(explain(&Error::invalid("port 0 is not a port")), "fix the request");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A network device named in the request does not exist (or is gone).
    NoSuchDevice,
    /// The network namespace asked for does not exist (or the file or descriptor given is
    /// no network namespace).
    NoSuchNamespace,
    /// The receive port (or tunnel endpoints) is taken: the kernel answered `EADDRINUSE`
    /// or `EEXIST`.
    PortInUse,
    /// No receive port has the bindings given (the kernel answered `ESRCH` or `ENOENT`).
    NoSuchPort,
    /// The kernel refused for lack of privilege (`EPERM`, `EACCES`): `CAP_NET_ADMIN`, or
    /// `CAP_SYS_ADMIN` to enter a namespace.
    PermissionDenied,
    /// A kernel module rfou needs (fou, a tunnel's module) is missing and could not be
    /// loaded.
    ModuleMissing,
    /// The request itself is wrong (a port out of range, ipproto 0, a device that is not a
    /// tunnel...): nothing was sent to the kernel.
    InvalidInput,
    /// The kernel refused for another reason; the errno it answered.
    KernelRefused(i32),
    /// Anything else the system refused: a socket, a namespace file, an unreadable reply.
    System,
}

/// Why an operation failed: a sentence for people ([`fmt::Display`]) and an [`ErrorKind`]
/// for programs ([`Error::kind`]).
///
/// Errors of the caller's input ([`Error::exit_code`] 2) were found before anything was
/// sent to the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    errno: Option<i32>,
    /// The caller's mistake (exit status 2), kept apart from `kind`: a missing device or
    /// namespace named by the caller is bad input too.
    input: bool,
    message: String,
}

impl Error {
    /// An error of kind `kind` with `message`; [`ErrorKind::InvalidInput`] counts as bad
    /// input (exit status 2), every other kind as a failure (1).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            errno: match kind {
                ErrorKind::KernelRefused(errno) => Some(errno),
                _ => None,
            },
            input: kind == ErrorKind::InvalidInput,
            message: message.into(),
        }
    }

    /// Bad input ([`ErrorKind::InvalidInput`]): nothing was sent to the kernel.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// A failure of the system outside the kernel's answers ([`ErrorKind::System`]).
    pub fn system(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::System, message)
    }

    /// A refusal by the kernel with `errno`, already said in `message`: of kind
    /// [`ErrorKind::PermissionDenied`] for `EPERM` and `EACCES`, else
    /// [`ErrorKind::KernelRefused`]. [`Error::errno`] keeps the code whatever the kind.
    pub fn kernel(errno: i32, message: impl Into<String>) -> Self {
        let kind = match errno {
            libc::EPERM | libc::EACCES => ErrorKind::PermissionDenied,
            _ => ErrorKind::KernelRefused(errno),
        };
        Error {
            errno: Some(errno),
            ..Self::new(kind, message)
        }
    }

    /// The same error, of kind `kind`: its message, errno and exit status stay.
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The sentence that says what failed and why (what [`fmt::Display`] prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The exit status the command line uses for this error: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.input {
            2
        } else {
            1
        }
    }

    /// The errno the kernel answered, if this is a kernel refusal (whatever its kind).
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// The same error with `context` put in front of its message.
    pub fn context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The same error with `more` said after its message.
    pub fn context_after(mut self, more: &str) -> Self {
        self.message = format!("{}; {more}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with rfou's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The text of an errno, as strerror gives it ("Address already in use").
#[doc(hidden)]
pub fn errno_text(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    // std appends " (os error N)"; the name alone reads better in a sentence.
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_refusals_are_classified_by_errno_and_keep_it() {
        let err = Error::kernel(libc::EPERM, "no");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(err.errno(), Some(libc::EPERM));
        assert_eq!(
            Error::kernel(libc::EACCES, "no").kind(),
            ErrorKind::PermissionDenied
        );
        let err = Error::kernel(libc::EBUSY, "busy");
        assert_eq!(err.kind(), ErrorKind::KernelRefused(libc::EBUSY));
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn a_new_kind_keeps_the_exit_status_and_errno() {
        let err = Error::invalid("device \"x\" does not exist").with_kind(ErrorKind::NoSuchDevice);
        assert_eq!(err.kind(), ErrorKind::NoSuchDevice);
        assert_eq!(err.exit_code(), 2);
        let err = Error::kernel(libc::EADDRINUSE, "taken").with_kind(ErrorKind::PortInUse);
        assert_eq!(err.errno(), Some(libc::EADDRINUSE));
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn context_changes_the_message_only() {
        let err = Error::invalid("b").context("a").context_after("c");
        assert_eq!(err.to_string(), "a: b; c");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.exit_code(), 2);
        assert_eq!(Error::system("s").exit_code(), 1);
    }
}
