//! A desired-state file written out: one `[[port]]` or `[[tunnel]]` entry at a time, as
//! `rfou export` and `rfou import` print them and [`super::parse`] reads them back. Settings
//! at their default are left out, as a person would write the file.

use std::fmt::Write;

use crate::error::Result;
use crate::fou::{Family, FouEncap, FouPort};
use crate::tunnel::{TunnelKind, TunnelSpec, Value};

/// A TOML string: JSON's escapes are TOML's too.
pub(crate) fn quoted(text: &str) -> String {
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

/// Appends a `[[port]]` entry for `port`, bound to the device named `dev` (the port's
/// `ifindex` is not read: the device is named).
pub fn port_entry(out: &mut String, port: &FouPort, dev: Option<&str>) {
    let _ = writeln!(out, "[[port]]\nport = {}", port.port);
    match port.encap {
        FouEncap::Direct { ipproto } => {
            let _ = writeln!(out, "ipproto = {ipproto}");
        }
        FouEncap::Gue => out.push_str("gue = true\n"),
    }
    if port.family == Family::Inet6 {
        out.push_str("family = \"inet6\"\n");
    }
    if let Some(a) = port.local {
        let _ = writeln!(out, "local = \"{a}\"");
    }
    if let Some(a) = port.peer {
        let _ = writeln!(out, "peer = \"{a}\"");
    }
    if let Some(n) = port.peer_port {
        let _ = writeln!(out, "peer_port = {n}");
    }
    if let Some(dev) = dev {
        let _ = writeln!(out, "dev = {}", quoted(dev));
    }
    if port.remcsum_nopartial {
        out.push_str("remcsum_nopartial = true\n");
    }
}

/// Appends a `[[tunnel]]` entry for `tunnel`: its name, its mode word, and each setting that
/// differs from the default of its kind (`mtu` and `up` where given). An error names the
/// first setting no keyword can say (see [`crate::tunnel::TunnelSettings::without_defaults`]);
/// `out` then holds part of the entry.
pub fn tunnel_entry(out: &mut String, tunnel: &TunnelSpec) -> Result<()> {
    let _ = writeln!(
        out,
        "[[tunnel]]\nname = {}\nmode = \"{}\"",
        quoted(&tunnel.name),
        tunnel.mode().word()
    );
    let mut settings = tunnel.settings.without_defaults(tunnel.kind)?;
    if tunnel.kind == TunnelKind::Ip6Tnl {
        // The mode word says it.
        settings.proto = None;
    }
    for (key, value) in settings.values() {
        let _ = writeln!(out, "{key} = {}", toml_value(&value));
    }
    Ok(())
}
