//! `Local=` and `Remote=` of a tunnel's `[Tunnel]` as networkd 252 reads them, line by line
//! with the address family the first one sets, and the tunnels it refuses for them.

use std::net::IpAddr;

use super::ini::Assignment;
use super::source::Source;
use crate::error::Result;
use crate::tunnel::TunnelKind;
use crate::values;

/// The `Local=` words that stand for an address networkd finds on the underlying device,
/// with whether each is an IPv6 one.
const LOCAL_TYPES: &[(&str, bool)] = &[
    ("ipv4_link_local", false),
    ("dhcp4", false),
    ("ipv6_link_local", true),
    ("dhcp6", true),
    ("slaac", true),
];

/// The addresses networkd keeps, each with the line it comes from.
#[derive(Default)]
pub(super) struct Addresses<'a> {
    pub(super) local: Option<(IpAddr, &'a Assignment)>,
    /// A `Local=` that names an address type (`dhcp4`...).
    pub(super) local_type: Option<&'a Assignment>,
    pub(super) remote: Option<(IpAddr, &'a Assignment)>,
    /// Whether the addresses are IPv6 ones, and the line that said so first; `None` while
    /// no address is set.
    family: Option<(bool, &'a Assignment)>,
}

/// Reads the `Local=` and `Remote=` lines of `section` in file order, as networkd does: an
/// empty value, `any` or an unspecified address unsets the address (and the family where
/// the other is unset too); a line of another family than the one set is ignored, named.
/// An address networkd cannot parse is an error.
pub(super) fn read<'a>(source: &mut Source, section: &[&'a Assignment]) -> Result<Addresses<'a>> {
    let mut got = Addresses::default();
    for a in section.iter().copied() {
        let local = match a.key.as_str() {
            "Local" => true,
            "Remote" => false,
            _ => continue,
        };
        let typed = LOCAL_TYPES
            .iter()
            .find(|(word, _)| local && a.value == *word);
        let (v6, addr) = match typed {
            Some((_, v6)) => (*v6, None),
            None if a.value.is_empty() || a.value == "any" => {
                got.unset(local);
                continue;
            }
            None => {
                let addr = values::address(&a.value, &a.key).map_err(|e| source.bad(a, e))?;
                if addr.is_unspecified() {
                    got.unset(local);
                    continue;
                }
                (addr.is_ipv6(), Some(addr))
            }
        };
        if let Some((family, first)) = got.family.filter(|(f, _)| *f != v6) {
            let why = format!(
                "{} is {}, and {}={} (line {}) made the tunnel {} first: networkd ignores this line",
                a.value,
                family_name(v6),
                first.key,
                first.value,
                first.line,
                family_name(family)
            );
            source.note(a, why);
            continue;
        }
        got.family.get_or_insert((v6, a));
        match (local, addr) {
            (true, addr) => {
                got.local = addr.map(|addr| (addr, a));
                got.local_type = typed.map(|_| a);
            }
            (false, addr) => got.remote = addr.map(|addr| (addr, a)),
        }
    }
    Ok(got)
}

fn family_name(v6: bool) -> &'static str {
    if v6 {
        "IPv6"
    } else {
        "IPv4"
    }
}

impl Addresses<'_> {
    fn unset(&mut self, local: bool) {
        if local {
            self.local = None;
            self.local_type = None;
        } else {
            self.remote = None;
        }
        if self.local.is_none() && self.local_type.is_none() && self.remote.is_none() {
            self.family = None;
        }
    }

    /// The error for a tunnel of `kind` networkd refuses for its addresses (as
    /// `netdev_tunnel_verify` does): an IPv6 address on an IPv4 underlay and the other way
    /// round, a gretap or ip6gretap without a remote address, an ip6tnl without any IPv6
    /// address, a `Local=` address type on a tunnel made on no device (`independent`).
    pub(super) fn verify(
        &self,
        source: &Source,
        name: &Assignment,
        kind: TunnelKind,
        independent: bool,
    ) -> Result<()> {
        let v6 = kind.ipv6_underlay();
        let refused = |why: String| format!("networkd refuses a {} tunnel {why}", kind.name());
        if let Some((family, a)) = self.family.filter(|(f, _)| *f != v6) {
            return Err(source.bad(
                a,
                refused(format!("with an {} address", family_name(family))),
            ));
        }
        let tap = matches!(kind, TunnelKind::GreTap | TunnelKind::Ip6GreTap);
        if tap && self.remote.is_none() {
            return Err(source.bad(
                name,
                refused(format!(
                    "without a Remote= {} address: it is not made",
                    family_name(v6)
                )),
            ));
        }
        if kind == TunnelKind::Ip6Tnl && self.family.is_none() {
            return Err(source.bad(
                name,
                refused("without an IPv6 Local= or Remote= address: it is not made".into()),
            ));
        }
        if let Some(a) = self.local_type.filter(|_| independent) {
            return Err(source.bad(
                a,
                refused(
                    "with a Local= address type and Independent= or AssignToLoopback=: it is not made"
                        .into(),
                ),
            ));
        }
        Ok(())
    }
}
