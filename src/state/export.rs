//! The namespace as a desired-state file: what `rfou export` prints. Applying it back to the
//! same namespace changes nothing (`rfou export | rfou apply --check -`), and applying it to
//! a fresh namespace with the same underlays makes the same tunnels and ports.

use std::collections::HashMap;
use std::fmt::Write;

use crate::error::Result;
use crate::fou::{Family, FouEncap};
use crate::handle::Handle;
use crate::tunnel::rules::is_fallback;
use crate::tunnel::{TunnelKind, Value};
use crate::txn::Snapshot;

/// A TOML string: JSON's escapes are TOML's too.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A value as TOML writes it.
fn toml_value(value: &Value) -> String {
    match value {
        Value::Flag(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Word(w) => quoted(w),
    }
}

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
        let _ = writeln!(out, "\n[[port]]\nport = {}", p.port);
        match p.encap {
            FouEncap::Direct { ipproto } => {
                let _ = writeln!(out, "ipproto = {ipproto}");
            }
            FouEncap::Gue => out.push_str("gue = true\n"),
        }
        if p.family == Family::Inet6 {
            out.push_str("family = \"inet6\"\n");
        }
        if let Some(a) = p.local {
            let _ = writeln!(out, "local = \"{a}\"");
        }
        if let Some(a) = p.peer {
            let _ = writeln!(out, "peer = \"{a}\"");
        }
        if let Some(n) = p.peer_port {
            let _ = writeln!(out, "peer_port = {n}");
        }
        if let Some(i) = p.ifindex {
            let _ = writeln!(out, "dev = {}", quoted(&current.devices.name_of(i)));
        }
        if p.remcsum_nopartial {
            out.push_str("remcsum_nopartial = true\n");
        }
    }
    for t in current.tunnels.iter().filter(|t| !is_fallback(t)) {
        let _ = writeln!(
            out,
            "\n[[tunnel]]\nname = {}\nmode = \"{}\"",
            quoted(&t.name),
            t.mode().word()
        );
        let mut settings = t.settings(&current.devices).without_defaults(t.kind);
        if t.kind == TunnelKind::Ip6Tnl {
            // The mode word says it.
            settings.proto = None;
        }
        settings.mtu = (computed.get(&t.name) != Some(&t.mtu)).then_some(t.mtu);
        settings.up = t.up.then_some(true);
        for (key, value) in settings.values() {
            let _ = writeln!(out, "{key} = {}", toml_value(&value));
        }
    }
    out
}
