//! The `rfou` command: words to [`Command`]s ([`parse`], walking [`grammar`]), commands run
//! against a [`rfou::Handle`] ([`exec`], [`batch`], [`atomic`]), and what they print
//! ([`output`]). `main.rs` reads the global options and maps errors to exit statuses
//! ([`exit`]). This crate is the command's: its items are public for the binary, its tests
//! and the fuzz targets, not as an API.

pub mod args;
pub mod atomic;
pub mod batch;
pub mod complete;
pub mod doctor;
pub mod exec;
pub mod exit;
pub mod grammar;
pub mod help;
pub mod output;
pub mod parse;
pub mod print;
pub mod quick;
pub(crate) mod runs;
pub mod stubs;
mod walk;
pub mod words;

pub use parse::parse;

use rfou::fou::{Family, FouPort};
use rfou::state::ApplyOptions;
use rfou::tunnel::{EncapSpec, TunnelSettings, TunnelSpec};

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
    // The tunnel's settings boxed: unboxed they would make every command, `add port` too,
    // as large as the largest, and a batch holds one per line.
    TunnelAdd(Box<TunnelSpec>),
    TunnelChange {
        name: String,
        settings: Box<TunnelSettings>,
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
    /// `doctor [dev NAME]`: the data path's checks, of one device or of all.
    Doctor {
        dev: Option<String>,
    },
    /// `apply [--check] [--prune | --defer-bound] FILE`: make the namespace hold what FILE
    /// says.
    Apply {
        file: String,
        options: ApplyOptions,
    },
    /// `export`: the namespace's ports and tunnels as a desired-state file.
    Export,
    /// `import networkd FILE...`: systemd-networkd's FOU ports and tunnels as a
    /// desired-state file; reads the files only, never the kernel.
    ImportNetworkd {
        files: Vec<String>,
    },
    Help(Option<String>),
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
    /// of the batch's text.
    pub text: &'a str,
    pub command: Command,
}

impl Line<'_> {
    /// Says on `err` that this line of `file` failed: `rfou: FILE:N: WORDS: why`, the words
    /// one space apart. A failure to write to standard error has nowhere to be said.
    pub(crate) fn tell_failure(&self, file: &str, e: &rfou::Error, err: &mut dyn std::io::Write) {
        let words = batch::split(self.text).join(" ");
        let text = output::for_message(&format!("{words}: {e}"));
        let _ = writeln!(err, "rfou: {file}:{}: {text}", self.number);
    }
}
