//! The command line: words to `Command`s (`parse`), and commands run against a
//! [`crate::Handle`] (`exec`). `src/main.rs` only reads the global options.

pub mod atomic;
pub mod batch;
pub mod completions;
pub mod exec;
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

/// Usage text of `rfou help`: the grammar of the contract.
pub const USAGE: &str = "\
Usage: rfou [ OPTIONS ] { add | del | show } ...
       rfou [ OPTIONS ] tunnel { add | change | del | show | encap } ...
       rfou [ OPTIONS ] doctor
       rfou [ OPTIONS ] apply [ --check ] [ --prune ] FILE
       rfou [ OPTIONS ] export

  rfou add port PORT { ipproto PROTO | gue } [ local ADDR ] [ peer ADDR ]
           [ peer_port PORT ] [ dev IFNAME ] [ remcsum_nopartial ] [ -6 ]
  rfou del port PORT [ local ADDR ] [ peer ADDR ] [ peer_port PORT ] [ dev IFNAME ] [ -6 ]
  rfou show [ port PORT ] [ -6 | -4 ]

  rfou tunnel encap dev NAME { fou | gue | none } [ encap-sport { PORT | auto } ]
           [ encap-dport PORT ] [ [no]encap-csum ] [ [no]encap-csum6 ] [ [no]encap-remcsum ]
  rfou tunnel add NAME mode MODE [ remote ADDR ] [ local ADDR ] [ ttl N ] [ tos T ]
           [ dev PHYS ] [ key K | ikey K | okey K ] [ encap { fou | gue | none } ENCAP-OPTIONS ]
  rfou tunnel change NAME [ the same options ]
  rfou tunnel del NAME
  rfou tunnel show [ NAME ]

  rfou apply [ --check ] [ --prune ] FILE   make the namespace hold what FILE (TOML, - for
           standard input) says; --check only prints the plan (exit 0 in sync, 3 would change)
  rfou export                              the namespace's ports and tunnels as such a FILE

Where: PORT  := 1..65535
       PROTO := 1..255 | ipip | ipencap | ipv6 | sit | gre | etherip | mpls
       MODE  := ipip | sit | gre | gretap | ipip6 | ip6ip6 | any | ip6gre | ip6gretap

OPTIONS: -n NETNS  -j  -p  -b FILE [ --force | --atomic ]  -6  -4  -V  -h
Keywords may be shortened to any unique prefix. Exit status: 0 done, 1 the kernel or the
system refused, 2 the command line is wrong.
";
