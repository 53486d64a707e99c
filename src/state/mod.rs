//! Desired state: a file that says which fou ports and tunnels a namespace holds
//! ([`parse`]), the [`Plan`] that takes the namespace there ([`plan()`]), applying it all or
//! nothing ([`crate::Handle::apply_state`]), and the namespace written back as such a file
//! ([`crate::Handle::export_state`]).
//!
//! A tunnel entry says the whole tunnel: a setting it leaves out has the value
//! `rfou tunnel add` gives it (no key, no encap, TTL inherit or hop limit 64, tos 0), so a
//! setting changed by hand is put back. Two exceptions, because the kernel picks them and a
//! file rarely should: `mtu` and `up` are compared only when the entry gives them.

mod apply;
mod defer;
mod export;
#[cfg(test)]
mod export_tests;
mod file;
mod networkd;
mod plan;
#[cfg(test)]
mod tests;
mod write;

use crate::fou::FouPort;
use crate::tunnel::TunnelSpec;

pub use apply::{ApplyFailure, DEFER_WITH_PRUNE};
pub use defer::{defer_bound, Bindable, Deferred, Reason};
pub use export::{export, Export};
pub use file::parse;
pub use networkd::{import_networkd, Import, NetworkdFile, Note, NETWORKD_KEYS};
pub use plan::{plan, Change, Plan};

/// A `[[port]]` of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPort {
    /// The port; its `ifindex` is unset (the device is named by `dev`).
    pub port: FouPort,
    /// The device the port is bound to (`dev`), by name.
    pub dev: Option<String>,
    /// The line of the file it came from.
    pub line: usize,
}

/// A `[[tunnel]]` of the file, whole: every setting that is not given has its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTunnel {
    /// The tunnel.
    pub spec: TunnelSpec,
    /// The line of the file it came from.
    pub line: usize,
}

/// What a file asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredState {
    /// The `[[port]]` entries, in file order.
    pub ports: Vec<DesiredPort>,
    /// The `[[tunnel]]` entries, in file order.
    pub tunnels: Vec<DesiredTunnel>,
}

/// How to apply a desired state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Also delete the fou ports and FOU/GUE tunnels the file does not name.
    pub prune: bool,
    /// Only plan, and check the plan as applying would: change nothing.
    pub check: bool,
    /// Leave out the `[[port]]` entries the kernel cannot bind yet (their `local` address or
    /// `dev` is missing), as at boot before the network is up; they are listed in
    /// [`Plan::deferred`]. Refused with `prune`, which would delete such a port.
    pub defer_bound: bool,
}
