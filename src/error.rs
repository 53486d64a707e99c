//! The one error type of rfou: what went wrong, said so a person can act on it, and of which
//! kind, so a program can act on it without reading the text.

use std::fmt;
use std::sync::Arc;

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
    /// tunnel...): found before anything was sent to the kernel.
    InvalidInput,
    /// The kernel refused for another reason; [`Error::errno`] says which.
    KernelRefused,
    /// Anything else the system refused: a socket, a namespace file, an unreadable reply, a
    /// state that does not read back as it was written.
    System,
}

/// Why an operation failed: a sentence for people ([`fmt::Display`]), an [`ErrorKind`] for
/// programs ([`Error::kind`]), the errno the kernel answered where it did ([`Error::errno`]),
/// and what it happened in: [`Error::context`] puts a sentence in front, and the error it
/// wraps is its [`std::error::Error::source`].
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    errno: Option<i32>,
    message: String,
    /// What is worth knowing after the failure (what became of the changes before it).
    notes: Vec<String>,
    /// The error this one says the context of, or the system's own error it came from.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    /// Whether `source` is an rfou error this one gives the context of: then its text
    /// follows this one's message.
    wraps: bool,
}

impl Error {
    /// An error of kind `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            errno: None,
            message: message.into(),
            notes: Vec::new(),
            source: None,
            wraps: false,
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
            _ => ErrorKind::KernelRefused,
        };
        Error {
            errno: Some(errno),
            ..Self::new(kind, message)
        }
    }

    /// The same error, of kind `kind`: its message and errno stay.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same error, with the system error it came from as its source.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self.wraps = false;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno the kernel (or the system) answered, where it did, whatever the kind.
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// This error said in the context `context`: `context` comes first in the message, the
    /// kind and errno stay, and this error becomes the new one's source.
    pub fn context(self, context: impl Into<String>) -> Self {
        Error {
            kind: self.kind,
            errno: self.errno,
            message: context.into(),
            notes: Vec::new(),
            source: Some(Arc::new(self)),
            wraps: true,
        }
    }

    /// The same error with `note` said after its message: what is worth knowing after it
    /// (what became of the changes made before the failure).
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let (true, Some(inner)) = (self.wraps, &self.source) {
            write!(f, ": {inner}")?;
        }
        for note in &self.notes {
            write!(f, "; {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for Error {
    /// Two errors are equal when they say the same of the same kind and errno.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.errno == other.errno
            && self.to_string() == other.to_string()
    }
}

impl Eq for Error {}

/// `Result` with rfou's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The text of an errno, as strerror gives it ("Address already in use").
pub(crate) fn errno_text(errno: i32) -> String {
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
    use std::error::Error as _;

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
        assert_eq!(err.kind(), ErrorKind::KernelRefused);
        assert_eq!(err.errno(), Some(libc::EBUSY));
    }

    #[test]
    fn a_new_kind_keeps_the_errno() {
        let err = Error::kernel(libc::EADDRINUSE, "taken").with_kind(ErrorKind::PortInUse);
        assert_eq!(err.kind(), ErrorKind::PortInUse);
        assert_eq!(err.errno(), Some(libc::EADDRINUSE));
    }

    #[test]
    fn context_goes_in_front_and_the_error_becomes_its_source() {
        let inner = Error::kernel(libc::EEXIST, "b");
        let err = inner.clone().context("a").with_note("c");
        assert_eq!(err.to_string(), "a: b; c");
        assert_eq!(err.kind(), ErrorKind::KernelRefused);
        assert_eq!(err.errno(), Some(libc::EEXIST));
        let source = err.source().expect("a source");
        assert_eq!(source.to_string(), "b");
        // Notes of the inner error stay with it, in its place.
        let err = Error::invalid("x").with_note("y").context("w");
        assert_eq!(err.to_string(), "w: x; y");
    }

    #[test]
    fn a_system_error_keeps_its_source_without_repeating_it() {
        let io = std::io::Error::from_raw_os_error(libc::ENOENT);
        let err = Error::system("cannot read f").with_source(io);
        assert_eq!(err.to_string(), "cannot read f");
        assert!(err.source().is_some());
    }
}
