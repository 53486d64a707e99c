//! The one error type of rfou: what went wrong, said so a person can act on it.

use std::fmt;

/// Why an operation failed.
///
/// `Invalid` is the caller's mistake (a bad word, a port out of range, a device that is not a
/// tunnel): nothing was sent to the kernel. `Kernel` is a refusal by the kernel, already
/// translated into a sentence; `errno` keeps the raw code for programs. `System` is everything
/// else the system refused (a socket, a namespace file, a module that cannot be loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Invalid(String),
    Kernel { errno: i32, message: String },
    System(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    pub fn system(message: impl Into<String>) -> Self {
        Error::System(message.into())
    }

    /// The exit status the command line uses for this error: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) => 2,
            Error::Kernel { .. } | Error::System(_) => 1,
        }
    }

    /// The errno the kernel answered, if this is a kernel refusal.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The same error with `context` put in front of its message.
    pub fn context(self, context: &str) -> Self {
        match self {
            Error::Invalid(m) => Error::Invalid(format!("{context}: {m}")),
            Error::Kernel { errno, message } => Error::Kernel {
                errno,
                message: format!("{context}: {message}"),
            },
            Error::System(m) => Error::System(format!("{context}: {m}")),
        }
    }
}

impl Error {
    /// The same error with `more` said after its message.
    pub fn context_after(self, more: &str) -> Self {
        match self {
            Error::Invalid(m) => Error::Invalid(format!("{m}; {more}")),
            Error::Kernel { errno, message } => Error::Kernel {
                errno,
                message: format!("{message}; {more}"),
            },
            Error::System(m) => Error::System(format!("{m}; {more}")),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(m) | Error::System(m) => f.write_str(m),
            Error::Kernel { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// The text of an errno, as strerror gives it ("Address already in use").
pub fn errno_text(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    // std appends " (os error N)"; the name alone reads better in a sentence.
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}
