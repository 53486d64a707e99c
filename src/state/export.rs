//! The namespace as a desired-state file: what `rfou export` prints. Applying it back to the
//! same namespace changes nothing (`rfou export | rfou apply --check -`), and applying it to
//! a fresh namespace with the same underlays makes the same tunnels and ports. What a file
//! cannot say (a port or a setting `apply` could not make) is refused, not written: export
//! never writes a file that `apply` would refuse.

use crate::maps::HashMap;

use super::parse;
use super::write::{port_entry, tunnel_entry};
use crate::error::{Error, Result};
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
        let mut computed = HashMap::default();
        for tunnel in &snapshot.tunnels {
            let underlay = self.underlay_mtu(tunnel)?;
            computed.insert(tunnel.name.clone(), tunnel.fitting_mtu(underlay));
        }
        Ok(Export {
            text: export(&snapshot, &computed)?,
            notes: snapshot.notes.clone(),
        })
    }
}

/// Every fou port and every tunnel (but the kernel's fallback devices) of `current`.
/// Settings at their default are left out, as a person would write the file; a tunnel's MTU
/// is written where it is not `computed` (the MTU it would get if made as it is), and
/// `up = true` where it is up.
///
/// Each entry is read back by the desired-state reader before it is written, so that export
/// never writes a file that `apply` refuses: an error names the first port or tunnel a file
/// cannot say, and why (a port of ipproto 0, which older kernels took; an encapsulation
/// type rfou does not know; `encap fou` without a destination port or with remote checksum
/// offload, which `ip link` makes).
pub fn export(current: &Snapshot, computed: &HashMap<String, u32>) -> Result<String> {
    let mut out = String::from("# rfou desired state (rfou export)\n");
    let mut ports = current.ports().to_vec();
    ports.sort_by_key(|p| p.socket());
    for p in &ports {
        let mut entry = String::from("\n");
        let dev = p.ifindex.map(|i| current.devices.name_of(i));
        port_entry(&mut entry, p, dev.as_deref());
        readable(&entry, || p.describe(&current.devices))?;
        out.push_str(&entry);
    }
    for t in current.tunnels.iter().filter(|t| !is_fallback(t)) {
        let what = || format!("tunnel \"{}\"", t.name);
        let mut settings = t.settings(&current.devices);
        settings.mtu = (computed.get(&t.name) != Some(&t.mtu)).then_some(t.mtu);
        settings.up = t.up.then_some(true);
        let spec = TunnelSpec {
            name: t.name.clone(),
            kind: t.kind,
            settings,
        };
        let mut entry = String::from("\n");
        tunnel_entry(&mut entry, &spec).map_err(|e| cannot(&what(), &e.to_string()))?;
        readable(&entry, what)?;
        out.push_str(&entry);
    }
    Ok(out)
}

/// The name the entries are read back under, in the reader's messages.
const ENTRY: &str = "entry";

/// Refuses an `entry` of the file that the desired-state reader refuses; `what` names it.
fn readable(entry: &str, what: impl Fn() -> String) -> Result<()> {
    parse(ENTRY, entry).map(|_| ()).map_err(|e| {
        let text = e.to_string();
        // The reader says where (`entry:LINE: `): in an entry that is no file, only why.
        let why = text
            .strip_prefix(ENTRY)
            .and_then(|rest| rest.split_once(": "))
            .map_or(text.as_str(), |(_, why)| why);
        cannot(&what(), why)
    })
}

/// The export's refusal of `what`, for `why`.
fn cannot(what: &str, why: &str) -> Error {
    Error::system(format!(
        "cannot export {what} as a desired-state file: {why}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::tunnel::{Encap, EncapType, TunnelKind, TunnelSettings};
    use crate::{FouPort, Tunnel};

    /// An ipip tunnel `t` whose encapsulation is `encap`, as the kernel reports it.
    fn encapsulated(encap: Encap) -> Tunnel {
        let spec = TunnelSpec {
            name: "t".into(),
            kind: TunnelKind::Ipip,
            settings: TunnelSettings::default(),
        };
        let tunnel = spec.as_reported(7, 1480, None);
        let mut attrs = tunnel.attrs.clone();
        encap.write(&mut attrs);
        tunnel.with_attrs(attrs)
    }

    fn export_of(ports: Vec<FouPort>, tunnels: Vec<Tunnel>) -> Result<String> {
        let current = Snapshot {
            ports: Some(ports),
            tunnels,
            ..Snapshot::default()
        };
        export(&current, &HashMap::default())
    }

    /// Found by the `link_reply` fuzz target (2026-12-05): a tunnel whose encapsulation a
    /// file cannot say (a type rfou does not know, as MPLS-in-UDP's 3; or `encap fou` with
    /// no destination port, which `ip link add ... encap fou` makes) made the export panic;
    /// one with `encap fou` and remote checksum offload (which `ip link` takes too) was
    /// written as a file that `apply` refuses. Each is refused, naming the tunnel and why,
    /// and never written.
    #[test]
    fn a_tunnel_a_file_cannot_say_is_refused_not_a_panic() {
        let unknown = Encap {
            kind: EncapType::Other(3),
            ..Encap::fou(5555)
        };
        let remcsum = Encap {
            remcsum: true,
            ..Encap::fou(5555)
        };
        for (encap, why) in [
            (unknown, "encap unknown(3) cannot be said by its keyword"),
            (Encap::fou(0), "encap-dport 0 cannot be said by its keyword"),
            (remcsum, "encap-remcsum needs gue"),
        ] {
            let err = export_of(Vec::new(), vec![encapsulated(encap)]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::System);
            let text = err.to_string();
            assert!(
                text.starts_with(&format!(
                    "cannot export tunnel \"t\" as a desired-state file: {why}"
                )),
                "{text}"
            );
        }
        let fine = export_of(Vec::new(), vec![encapsulated(Encap::fou(5555))]).unwrap();
        assert!(fine.contains("encap-dport = 5555"), "{fine}");
    }

    /// A port of ipip protocol 0 (older kernels made them) is refused: `apply` could not
    /// make it.
    #[test]
    fn a_port_apply_could_not_add_is_refused() {
        let err = export_of(vec![FouPort::direct(5555, 0)], Vec::new()).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cannot export fou port 5555 (inet) as a desired-state file: ipproto 0 is out of range"
            ),
            "{err}"
        );
        assert!(export_of(vec![FouPort::direct(5555, 4)], Vec::new()).is_ok());
    }
}
