//! The command line: words to [`Command`]s ([`parse`]), and commands run against a
//! [`Handle`] ([`exec`]). `src/main.rs` only reads the global options.

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
    TunnelAdd(TunnelSpec),
    TunnelChange {
        name: String,
        update: TunnelUpdate,
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
    /// `apply [--check] [--prune] FILE`: make the namespace hold what FILE says.
    Apply {
        file: String,
        check: bool,
        prune: bool,
    },
    /// `export`: the namespace's ports and tunnels as a desired-state file.
    Export,
    Help(Option<String>),
}

/// How output is written: `-j` and `-p`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Format {
    pub json: bool,
    pub pretty: bool,
}
