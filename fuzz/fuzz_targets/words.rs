//! The command line: what `main` does with its arguments before it opens anything. The
//! global options are read by `quick::read` (the plain command lines) or else by clap
//! (`args::read`), then the command's words by `rfou_cli::parse`, walking the grammar.
//! Besides not panicking:
//! - a command line that `quick::read` takes, clap reads the same (where it starts with a
//!   global option: without one both take every word as the command's);
//! - a command that parses prints (`print::words`) to words that parse to the same command;
//! - `help` of any topic that parses gives its text or an error, never a panic.
//!
//! An input holds one command line or several, one a line (so that one input can meet many
//! refusals, each of which ends its line's reading, and the minimized corpus stays small).
#![no_main]

use std::ffi::OsString;

use libfuzzer_sys::fuzz_target;
use rfou::Family;
use rfou_cli::{args, help, parse, print, quick, Command};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        command_line(line);
    }
});

/// One command line: the arguments after the program's name, NUL-separated as in
/// /proc/PID/cmdline.
fn command_line(line: &str) {
    let argv: Vec<OsString> = if line.is_empty() {
        Vec::new()
    } else {
        line.split('\0').map(OsString::from).collect()
    };
    let read = match quick::read(&argv) {
        Some(quick) => {
            if argv
                .first()
                .is_some_and(|w| w.to_string_lossy().starts_with('-'))
            {
                let clap = args::read(argv.iter().cloned()).ok();
                assert_eq!(clap.as_ref(), Some(&quick), "{argv:?}");
            }
            quick
        }
        None => match args::read(argv) {
            Ok(read) => read,
            Err(_) => return,
        },
    };
    // The global -6 or -4, as `main` takes them.
    let family = match (read.has("-6"), read.has("-4")) {
        (true, _) => Some(Family::Inet6),
        (_, true) => Some(Family::Inet),
        _ => None,
    };
    let Ok(command) = parse(&read.words, family) else {
        return;
    };
    if let Command::Help(topic) = &command {
        let _ = help::text(topic.as_deref());
    }
    let printed = print::words(&command);
    let again = parse(&printed, None);
    assert!(
        again.as_ref().ok() == Some(&command),
        "{:?} parsed to {command:?}, printed as {printed:?}, parsed to {again:?}",
        read.words
    );
}
