//! The MTU a tunnel should have for its encapsulation.
//!
//! A tunnel made with its encap gets an MTU with room for it, but on ipip, sit, gre and
//! gretap a later change of encap leaves the MTU as it was (ip6tnl and ip6gre recompute it
//! themselves). rfou sets the MTU the tunnel would have had if made with the new encap,
//! unless the MTU was chosen by hand; then it keeps it and warns if it no longer fits.

use netlink_packet_core::Nla;
use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_route::link::{GreIOFlags, InfoGre, InfoGre6, InfoIpTunnel, LinkMessage};
use netlink_packet_route::route::{RouteAttribute, RouteMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use serde::Serialize;

use super::{Encap, Tunnel, TunnelData, TunnelKind};
use crate::error::Result;
use crate::handle::Handle;

/// ETH_DATA_LEN: what the kernel assumes when a tunnel has no underlay device.
const DEFAULT_UNDERLAY_MTU: u32 = 1500;
const ETH_HLEN: u32 = 14;
const IPV4_MIN_MTU: u32 = 68;
const IPV6_MIN_MTU: u32 = 1280;

/// What happened to a tunnel's MTU when its encapsulation changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MtuChange {
    pub old: u32,
    pub new: u32,
    /// The MTU sent to the kernel, when rfou changes it.
    #[serde(skip)]
    pub set: Option<u32>,
    /// Why it was kept, or what no longer fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Bytes in front of the inner packet, but for the encap: outer IP header, GRE header, the
/// IPv6 tunnel encapsulation limit option unless it is turned off, and for the tap kinds the
/// inner Ethernet header (which the device's MTU does not count).
pub fn tunnel_header_len(kind: TunnelKind, data: &TunnelData) -> u32 {
    let optional_gre = |oflags: Option<GreIOFlags>| {
        let oflags = oflags.unwrap_or(GreIOFlags::empty());
        let optional = [GreIOFlags::Checksum, GreIOFlags::Key, GreIOFlags::Seq]
            .iter()
            .filter(|f| oflags.contains(**f))
            .count() as u32;
        4 + 4 * optional
    };
    let (ip, gre) = match data {
        TunnelData::Gre(attrs) => (
            20,
            optional_gre(attrs.iter().find_map(|a| match a {
                InfoGre::OFlags(f) => Some(*f),
                _ => None,
            })),
        ),
        TunnelData::Gre6(attrs) => (
            40,
            optional_gre(attrs.iter().find_map(|a| match a {
                InfoGre6::OFlags(f) => Some(*f),
                _ => None,
            })),
        ),
        TunnelData::Ip(_) if kind == TunnelKind::Ip6Tnl => (40, 0),
        TunnelData::Ip(_) => (20, 0),
    };
    let encap_limit = if kind.ipv6_underlay() && !ignores_encap_limit(data) {
        8
    } else {
        0
    };
    let ether = if matches!(kind, TunnelKind::GreTap | TunnelKind::Ip6GreTap) {
        ETH_HLEN
    } else {
        0
    };
    ip + gre + encap_limit + ether
}

/// IP6_TNL_F_IGN_ENCAP_LIMIT (`encaplimit none`): no encapsulation limit option is sent.
fn ignores_encap_limit(data: &TunnelData) -> bool {
    const IGN: u32 = rfou_uapi::tunnel::IP6_TNL_F_IGN_ENCAP_LIMIT;
    match data {
        TunnelData::Ip(attrs) => attrs
            .iter()
            .any(|a| matches!(a, InfoIpTunnel::Ipv6Flags(f) if f.bits() & IGN != 0)),
        // ip6gre keeps its flags in IFLA_GRE_FLAGS, which the crate leaves undecoded.
        TunnelData::Gre6(attrs) => attrs.iter().any(|a| match a {
            InfoGre6::Other(nla) if nla.kind() == rfou_uapi::tunnel::IFLA_GRE_FLAGS => {
                let mut value = [0u8; 4];
                if nla.value_len() == 4 {
                    nla.emit_value(&mut value);
                }
                u32::from_ne_bytes(value) & IGN != 0
            }
            _ => false,
        }),
        TunnelData::Gre(_) => false,
    }
}

/// The MTU of a tunnel of `kind` with `data` and `encap` over an underlay of `underlay` bytes.
pub fn default_mtu(kind: TunnelKind, data: &TunnelData, encap: &Encap, underlay: u32) -> u32 {
    let min = if kind == TunnelKind::Sit {
        IPV6_MIN_MTU
    } else {
        IPV4_MIN_MTU
    };
    underlay
        .saturating_sub(tunnel_header_len(kind, data) + encap.overhead())
        .max(min)
}

impl Handle {
    /// What the MTU of `tunnel` should become with `encap`; `None` for kinds the kernel
    /// recomputes itself.
    pub(crate) fn mtu_for_encap(
        &mut self,
        tunnel: &Tunnel,
        encap: &Encap,
    ) -> Result<Option<MtuChange>> {
        if tunnel.kind.ipv6_underlay() {
            return Ok(None);
        }
        let underlay = self.underlay_mtu(tunnel)?;
        let was = default_mtu(tunnel.kind, &tunnel.data, &tunnel.encap, underlay);
        let should = default_mtu(tunnel.kind, &tunnel.data, encap, underlay);
        if tunnel.mtu == was {
            return Ok(Some(MtuChange {
                old: tunnel.mtu,
                new: should,
                set: (should != tunnel.mtu).then_some(should),
                warning: None,
            }));
        }
        let warning = (tunnel.mtu > should).then(|| {
            format!(
                "{} keeps the MTU {} it was given by hand, but with {} encapsulation only {} fits the underlay (MTU {}): larger packets will be fragmented or dropped; set `ip link set {} mtu {}`",
                tunnel.name, tunnel.mtu, encap.kind.name(), should, underlay, tunnel.name, should
            )
        });
        Ok(Some(MtuChange {
            old: tunnel.mtu,
            new: tunnel.mtu,
            set: None,
            warning,
        }))
    }

    /// The MTU of the device a tunnel's packets leave by: the route to its remote, else its
    /// bound device, else the kernel's default; the order the kernel itself uses.
    pub(crate) fn underlay_mtu(&mut self, tunnel: &Tunnel) -> Result<u32> {
        if let Some(remote) = tunnel.remote {
            let mut request = RouteMessage::default();
            request.header.address_family = if remote.is_ipv4() {
                AddressFamily::Inet
            } else {
                AddressFamily::Inet6
            };
            request.header.destination_prefix_length = if remote.is_ipv4() { 32 } else { 128 };
            request
                .attributes
                .push(RouteAttribute::Destination(remote.into()));
            if let Some(link) = tunnel.link {
                request.attributes.push(RouteAttribute::Oif(link));
            }
            let replies = self
                .route
                .request(RouteNetlinkMessage::GetRoute(request), NLM_F_REQUEST)
                .unwrap_or_default();
            let oif = replies.iter().find_map(|reply| match reply {
                RouteNetlinkMessage::NewRoute(route) => {
                    route.attributes.iter().find_map(|a| match a {
                        RouteAttribute::Oif(oif) => Some(*oif),
                        _ => None,
                    })
                }
                _ => None,
            });
            if let Some(mtu) = oif.and_then(|oif| self.mtu_of(oif)) {
                return Ok(mtu);
            }
        }
        if let Some(mtu) = tunnel.link.and_then(|link| self.mtu_of(link)) {
            return Ok(mtu);
        }
        Ok(DEFAULT_UNDERLAY_MTU)
    }

    /// The MTU of device `index`, by a targeted get (a dump would cost as much as the
    /// namespace has devices, on every encap change of a bulk run).
    fn mtu_of(&mut self, index: u32) -> Option<u32> {
        let mut request = LinkMessage::default();
        request.header.index = index;
        let replies = self
            .route
            .request(RouteNetlinkMessage::GetLink(request), NLM_F_REQUEST)
            .ok()?;
        replies.iter().find_map(|reply| match reply {
            RouteNetlinkMessage::NewLink(link) => super::link::link_mtu(link),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::InfoGre;

    #[test]
    fn matches_what_the_kernel_gives_tunnels_made_with_their_encap() {
        // Measured on Linux 6.1 over a 1500-byte underlay.
        let ip = TunnelData::empty(TunnelKind::Ipip);
        assert_eq!(
            default_mtu(TunnelKind::Ipip, &ip, &Encap::none(), 1500),
            1480
        );
        assert_eq!(
            default_mtu(TunnelKind::Ipip, &ip, &Encap::fou(5555), 1500),
            1472
        );
        let gre = TunnelData::empty(TunnelKind::Gre);
        assert_eq!(
            default_mtu(TunnelKind::Gre, &gre, &Encap::none(), 1500),
            1476
        );
        assert_eq!(
            default_mtu(TunnelKind::Gre, &gre, &Encap::fou(5555), 1500),
            1468
        );
        // gre with a key, GUE with remote checksum offload: 1500 - 20 - 8 - 12 - 8.
        let keyed = TunnelData::Gre(vec![InfoGre::OFlags(GreIOFlags::Key)]);
        let gue = Encap {
            remcsum: true,
            ..Encap::gue(5556)
        };
        assert_eq!(default_mtu(TunnelKind::Gre, &keyed, &gue, 1500), 1452);
        let tap = TunnelData::empty(TunnelKind::GreTap);
        assert_eq!(
            default_mtu(TunnelKind::GreTap, &tap, &Encap::none(), 1500),
            1462
        );
    }
}
