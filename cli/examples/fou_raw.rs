//! `fou_raw`: sends fou requests exactly as written, past rfou's own checks, and prints the
//! kernel's answer. `scripts/kernel-facts` runs it inside a VM on each kernel to record what
//! the kernel itself says to requests that rfou refuses before sending (an `IPPROTO` of 0,
//! for one) and the extended-ack texts of its refusals.
//!
//! Usage, as root, in the namespace to test (`ip netns exec NS fou_raw ...`):
//!
//! ```text
//! fou_raw add|del ATTR...
//!   ATTR: port=N af=4|6 ipproto=N type=N local=ADDR peer=ADDR peer_port=N ifindex=N remcsum
//! ```
//!
//! Prints one line: `ok`, or `ERRNO_NAME (N): EXTENDED-ACK-TEXT` (`-` when the kernel gave
//! none). Exit status 0 whether or not the kernel refused; 2 for a bad argument.

use std::process::ExitCode;

use rfou_uapi::fou as uapi;

#[path = "../tests/support/raw_fou.rs"]
mod raw_fou;

fn describe(err: &raw_fou::Refusal) -> String {
    // The errno names that fou answers with; others print as `errno (N)`.
    let name = match err.errno {
        libc::EINVAL => "EINVAL",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENOENT => "ENOENT",
        libc::EPERM => "EPERM",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ERANGE => "ERANGE",
        libc::ENODEV => "ENODEV",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        _ => "errno",
    };
    let text = err.text.as_deref().filter(|t| !t.is_empty()).unwrap_or("-");
    format!("{name} ({}): {text}", err.errno)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match args.first().map(String::as_str) {
        Some("add") => uapi::FOU_CMD_ADD,
        Some("del") => uapi::FOU_CMD_DEL,
        _ => {
            eprintln!("usage: fou_raw add|del ATTR...");
            return ExitCode::from(2);
        }
    };
    let attrs = match args[1..]
        .iter()
        .map(|w| raw_fou::attr(w))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(attrs) => attrs,
        Err(why) => {
            eprintln!("fou_raw: {why}");
            return ExitCode::from(2);
        }
    };
    match raw_fou::send(cmd, &attrs) {
        Ok(()) => println!("ok"),
        Err(err) => println!("{}", describe(&err)),
    }
    ExitCode::SUCCESS
}
