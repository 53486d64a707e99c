//! Exit statuses: 0 done, 1 the kernel or the system refused, 2 the command line (or a file
//! it names) is wrong, 3 `apply --check` found changes to make.

use rfou::{Error, ErrorKind};

/// The exit status of the command line being wrong.
pub const BAD_INPUT: u8 = 2;
/// The exit status of a refusal by the kernel or the system.
pub const REFUSED: u8 = 1;
/// The exit status of `apply --check` when the namespace is not in sync.
pub const WOULD_CHANGE: u8 = 3;

/// The exit status for `err`: bad input (a value, a word, a file's content, a device or
/// namespace that does not exist), found before anything was sent, is 2; anything the
/// kernel or the system refused is 1.
pub fn status(err: &Error) -> u8 {
    match err.kind() {
        ErrorKind::InvalidInput | ErrorKind::NoSuchDevice | ErrorKind::NoSuchNamespace => BAD_INPUT,
        _ => REFUSED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_2_and_refusals_are_1() {
        assert_eq!(status(&Error::invalid("x")), 2);
        assert_eq!(status(&Error::new(ErrorKind::NoSuchDevice, "x")), 2);
        assert_eq!(status(&Error::kernel(libc_eperm(), "x")), 1);
        assert_eq!(status(&Error::system("x")), 1);
        assert_eq!(status(&Error::invalid("x").context("while y")), 2);
    }

    fn libc_eperm() -> i32 {
        1
    }
}
