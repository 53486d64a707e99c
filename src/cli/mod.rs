//! The command line: words to `Command`s (`parse`), and commands run against a
//! [`crate::Handle`] (`exec`). `src/main.rs` only reads the global options.

pub mod atomic;
pub mod batch;
pub mod completions;
pub mod exec;
pub mod help;
pub mod parse;
pub mod print;
pub mod words;

pub use parse::parse;

use crate::fou::{Family, FouPort};
use crate::tunnel::{EncapSpec, TunnelSpec, TunnelUpdate};

/// One command of the contract, checked and complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    PortAdd {
        port: FouPort,
        dev: Option<String>,
    },
    PortDel {
        port: FouPort,
        dev: Option<String>,
    },
    PortShow {
        port: Option<u16>,
        family: Option<Family>,
    },
    // The tunnel's settings boxed: unboxed they made every command, `add port` too, 128
    // bytes, and a batch holds one per line.
    TunnelAdd(Box<TunnelSpec>),
    TunnelChange {
        name: String,
        update: Box<TunnelUpdate>,
    },
    TunnelEncap {
        name: String,
        encap: EncapSpec,
    },
    TunnelDel {
        name: String,
    },
    TunnelShow {
        name: Option<String>,
    },
    Doctor,
    /// `apply [--check] [--prune | --defer-bound] FILE`: make the namespace hold what FILE
    /// says.
    Apply { file: String, options: ApplyOptions },
    /// `export`: the namespace's ports and tunnels as a desired-state file.
    Export,
    Help(Option<String>),
}

/// The options of `apply`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// `--check`: only plan.
    pub check: bool,
    /// `--prune`: also delete the ports and encapsulated tunnels the file does not name.
    pub prune: bool,
    /// `--defer-bound`: leave out the ports whose address or device is not there yet.
    pub defer_bound: bool,
}

/// How output is written: `-j` and `-p`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Format {
    pub json: bool,
    pub pretty: bool,
}

/// Where a batch writes: what its commands print, in `format`, to `out`; notes and errors to
/// `err`.
pub struct Io<'a> {
    pub format: Format,
    pub out: &'a mut dyn std::io::Write,
    pub err: &'a mut dyn std::io::Write,
}

/// One line of a batch that holds a command (read by [`batch`], run by it or by [`atomic`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub number: usize,
    /// The line as written, from its first word to its last (its comment left out): a slice
    /// of the batch's text, as copying each line was an allocation a line.
    pub text: &'a str,
    pub command: Command,
}

impl Line<'_> {
    /// Says on `err` that this line of `file` failed: `rfou: FILE:N: WORDS: why`, the words
    /// one space apart.
    pub(crate) fn tell_failure(&self, file: &str, e: &crate::Error, err: &mut dyn std::io::Write) {
        let words = batch::split(self.text).join(" ");
        let text = crate::output::for_message(&format!("{words}: {e}"));
        let _ = writeln!(err, "rfou: {file}:{}: {text}", self.number);
    }
}
