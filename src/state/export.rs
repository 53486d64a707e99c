//! The namespace as a desired-state file: what `rfou export` prints. Applying it back to the
//! same namespace changes nothing (`rfou export | rfou apply --check -`), and applying it to
//! a fresh namespace with the same underlays makes the same tunnels and ports.

use std::collections::HashMap;

use super::write::{port_entry, tunnel_entry};
use crate::error::Result;
use crate::handle::Handle;
use crate::tunnel::rules::is_fallback;
use crate::tunnel::TunnelSpec;
use crate::txn::Snapshot;

/// What [`Handle::export_state`] found: the file, and what a reader should know about it
/// (that the list of ports may be incomplete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The desired-state file.
    pub text: String,
    /// Sentences for the user, for standard error.
    pub notes: Vec<String>,
}

impl Handle {
    /// The namespace as a desired-state file ([`export`]), with the MTU each tunnel would
    /// get if made as it is (an MTU that differs from it was set by hand, and is written).
    pub fn export_state(&mut self) -> Result<Export> {
        let snapshot = self.snapshot(true)?;
        let mut computed = HashMap::new();
        for tunnel in &snapshot.tunnels {
            let underlay = self.underlay_mtu(tunnel)?;
            computed.insert(tunnel.name.clone(), tunnel.fitting_mtu(underlay));
        }
        Ok(Export {
            text: export(&snapshot, &computed),
            notes: snapshot.notes.clone(),
        })
    }
}

/// Every fou port and every tunnel (but the kernel's fallback devices) of `current`.
/// Settings at their default are left out, as a person would write the file; a tunnel's MTU
/// is written where it is not `computed` (the MTU it would get if made as it is), and
/// `up = true` where it is up.
pub fn export(current: &Snapshot, computed: &HashMap<String, u32>) -> String {
    let mut out = String::from("# rfou desired state (rfou export)\n");
    let mut ports = current.ports().to_vec();
    ports.sort_by_key(|p| p.socket());
    for p in &ports {
        out.push('\n');
        let dev = p.ifindex.map(|i| current.devices.name_of(i));
        port_entry(&mut out, p, dev.as_deref());
    }
    for t in current.tunnels.iter().filter(|t| !is_fallback(t)) {
        out.push('\n');
        let mut settings = t.settings(&current.devices);
        settings.mtu = (computed.get(&t.name) != Some(&t.mtu)).then_some(t.mtu);
        settings.up = t.up.then_some(true);
        let spec = TunnelSpec {
            name: t.name.clone(),
            kind: t.kind,
            settings,
        };
        tunnel_entry(&mut out, &spec);
    }
    out
}
