//! The namespace as a desired-state file: what `rfou export` prints. Applying it back to the
//! same namespace changes nothing (`rfou export | rfou apply --check -`).

use std::fmt::Write;

use super::plan::{sport_word, tos_word};
use super::{default_ttl, is_fallback_device, tunnel_tos, Current};
use crate::fou::{Family, FouEncap};
use crate::tunnel::EncapType;

/// A TOML string: JSON's escapes are TOML's too.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// Every fou port and every tunnel (but the kernel's fallback devices) of `current`.
/// Settings at their default are left out, as a person would write the file; `mtu` is left
/// out (the kernel picks it from the encap and the underlay), `up = true` is written for a
/// tunnel that is up.
pub fn export(current: &Current) -> String {
    let mut out = String::from("# rfou desired state (rfou export)\n");
    let mut ports = current.ports.clone();
    ports.sort_by_key(|p| (p.port, p.family, p.local, p.peer, p.peer_port, p.ifindex));
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
            let name = current
                .device_name(i as u32)
                .map_or_else(|| format!("#{i}"), str::to_string);
            let _ = writeln!(out, "dev = {}", quoted(&name));
        }
        if p.remcsum_nopartial {
            out.push_str("remcsum_nopartial = true\n");
        }
    }
    for t in current
        .tunnels
        .iter()
        .filter(|t| !is_fallback_device(&t.name))
    {
        let _ = writeln!(
            out,
            "\n[[tunnel]]\nname = {}\nmode = \"{}\"",
            quoted(&t.name),
            t.mode()
        );
        if let Some(a) = t.local {
            let _ = writeln!(out, "local = \"{a}\"");
        }
        if let Some(a) = t.remote {
            let _ = writeln!(out, "remote = \"{a}\"");
        }
        if t.ttl != default_ttl(t.kind) {
            let _ = writeln!(out, "ttl = {}", t.ttl);
        }
        let tos = tunnel_tos(t);
        if tos != 0 && !t.kind.ipv6_underlay() {
            let _ = writeln!(out, "tos = {}", quoted(&tos_word(tos)));
        }
        if let Some(i) = t.link {
            let name = current
                .device_name(i)
                .map_or_else(|| format!("#{i}"), str::to_string);
            let _ = writeln!(out, "dev = {}", quoted(&name));
        }
        if t.kind.is_gre() {
            match (t.ikey, t.okey) {
                (Some(i), Some(o)) if i == o => {
                    let _ = writeln!(out, "key = {i}");
                }
                (i, o) => {
                    if let Some(i) = i {
                        let _ = writeln!(out, "ikey = {i}");
                    }
                    if let Some(o) = o {
                        let _ = writeln!(out, "okey = {o}");
                    }
                }
            }
        }
        let e = &t.encap;
        if e.kind != EncapType::None {
            let _ = writeln!(
                out,
                "encap = \"{}\"\nencap-sport = {}\nencap-dport = {}\nencap-csum = {}\nencap-csum6 = {}\nencap-remcsum = {}",
                e.kind.name(),
                match e.sport {
                    crate::tunnel::SourcePort::Auto => quoted(&sport_word(e.sport)),
                    crate::tunnel::SourcePort::Fixed(p) => p.to_string(),
                },
                e.dport,
                e.csum,
                e.csum6,
                e.remcsum
            );
        }
        if t.up {
            out.push_str("up = true\n");
        }
    }
    out
}
