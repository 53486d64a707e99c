//! The MTU a tunnel should have for its encapsulation and its underlay.
//!
//! A tunnel made with its encap gets an MTU with room for it over the device its packets leave
//! by, but a later change of encap or of remote leaves ipip, sit, gre and gretap with the MTU
//! they had (a change of bound device does not), and ip6tnl and ip6gre work theirs out again
//! on every change, dropping one set by hand. rfou sets the MTU the tunnel would have had if
//! made with its new settings, unless the MTU was chosen by hand; then it keeps it and warns
//! if it no longer fits.

use netlink_packet_route::link::GreIOFlags;
use netlink_packet_route::route::{RouteAttribute, RouteFlags, RouteMessage, RouteType};
use netlink_packet_route::AddressFamily;
use rfou_uapi::tunnel::IP6_TNL_F_IGN_ENCAP_LIMIT;
use std::net::{IpAddr, Ipv6Addr};
use std::ops::RangeInclusive;

use super::attrs::TunnelAttrs;
use super::settings::Read;
use super::{Encap, Tunnel, TunnelKind};
use crate::error::Result;
use crate::handle::Handle;
use crate::links::link_mtu;

/// ETH_DATA_LEN: what the kernel assumes when a tunnel has no underlay device.
const DEFAULT_UNDERLAY_MTU: u32 = 1500;
const ETH_HLEN: u32 = 14;
const IPV4_MIN_MTU: u32 = 68;
const IPV6_MIN_MTU: u32 = 1280;
/// IP_MAX_MTU: the largest IPv4 packet.
const IP_MAX_MTU: u32 = 0xFFFF;

/// What happened to a tunnel's MTU when its encapsulation or underlay changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtuChange {
    /// The MTU before.
    pub old: u32,
    /// The MTU after.
    pub new: u32,
    /// The MTU sent to the kernel, when rfou changes it.
    pub set: Option<u32>,
    /// Why it was kept, or what no longer fits.
    pub warning: Option<String>,
}

/// The GRE header a tunnel of `kind` sends: 4 bytes, and 4 more for each of checksum, key
/// and sequence number it sends; none for the other kinds.
fn gre_header_len(kind: TunnelKind, read: &Read) -> u32 {
    if !kind.is_gre() {
        return 0;
    }
    let optional = [GreIOFlags::Checksum, GreIOFlags::Key, GreIOFlags::Seq]
        .iter()
        .filter(|f| read.oflags.contains(**f))
        .count() as u32;
    4 + 4 * optional
}

/// Bytes in front of the inner packet, but for the encap: outer IP header, GRE header, the
/// IPv6 tunnel encapsulation limit option unless it is turned off, and for the tap kinds the
/// inner Ethernet header (which the device's MTU does not count).
pub(crate) fn tunnel_header_len(kind: TunnelKind, attrs: &TunnelAttrs) -> u32 {
    let read = Read::from(attrs);
    let ip = if kind.ipv6_underlay() { 40 } else { 20 };
    let gre = gre_header_len(kind, &read);
    let encap_limit = if kind.ipv6_underlay() && read.ip6_flags & IP6_TNL_F_IGN_ENCAP_LIMIT == 0 {
        8
    } else {
        0
    };
    let ether = if kind.is_tap() { ETH_HLEN } else { 0 };
    ip + gre + encap_limit + ether
}

/// The MTU of a tunnel of `kind` with `attrs` and `encap` whose packets leave by an
/// underlay device of MTU `underlay` (`None`: no route to the remote and no bound device),
/// as the kernel works it out when it makes the tunnel (`ip link add ... encap ...`).
pub(crate) fn default_mtu(
    kind: TunnelKind,
    attrs: &TunnelAttrs,
    encap: &Encap,
    underlay: Option<u32>,
) -> u32 {
    let header = tunnel_header_len(kind, attrs) + encap.overhead();
    match (kind, underlay) {
        // sit sets its MTU from an underlay device only; without one it keeps the MTU it was
        // given before its encap was known: ETH_DATA_LEN less the IPv4 header.
        (TunnelKind::Sit, None) => DEFAULT_UNDERLAY_MTU - 20,
        (TunnelKind::Sit, Some(mtu)) => mtu.saturating_sub(header).max(IPV6_MIN_MTU),
        // ip6tnl, ip6gre and ip6gretap never go below the IPv6 minimum, and take the
        // underlay's MTU as it is (lo's 65536 included).
        (kind, underlay) if kind.ipv6_underlay() => underlay
            .unwrap_or(DEFAULT_UNDERLAY_MTU)
            .saturating_sub(header)
            .max(IPV6_MIN_MTU),
        // ipip, gre and gretap count an underlay as at most IP_MAX_MTU (lo has 65536).
        (_, underlay) => underlay
            .unwrap_or(DEFAULT_UNDERLAY_MTU)
            .min(IP_MAX_MTU)
            .saturating_sub(header)
            .max(IPV4_MIN_MTU),
    }
}

/// IP6_MAX_MTU: the largest IPv6 packet, its header included.
const IP6_MAX_MTU: u32 = IP_MAX_MTU + 40;

/// The MTUs a tunnel of `kind` with `attrs` (its headers and encapsulation) can have: what
/// the kernel keeps when it is asked for one, on a creation or a change. Outside, a change
/// is refused and a creation gets another MTU without a word.
///
/// The largest is the largest packet of the outer protocol less the tunnel's headers (outer
/// IP header, GRE header, encapsulation, and for the tap kinds the inner Ethernet header);
/// the IPv6 kinds count the largest IPv6 packet with its header, ipip6 (IPv4 inside) the
/// largest IPv4 one. sit takes what an IPv6 packet can be over its IPv4 header, whatever
/// its encapsulation. The smallest is what the inner protocol needs: 1280 when it is IPv6
/// alone (sit, ip6ip6), 68 otherwise. The kernel test
/// `promises_mtu::each_kind_keeps_the_mtus_its_range_says` asks `ip link add` for each bound
/// and one past it, of each kind, on each kernel of the suite.
pub(crate) fn mtu_range(kind: TunnelKind, attrs: &TunnelAttrs) -> RangeInclusive<u32> {
    let read = Read::from(attrs);
    let gre = gre_header_len(kind, &read);
    let ether = if kind.is_tap() { ETH_HLEN } else { 0 };
    let headers = gre + read.encap.overhead() + ether;
    match kind {
        TunnelKind::Ipip | TunnelKind::Gre | TunnelKind::GreTap => {
            IPV4_MIN_MTU..=IP_MAX_MTU - 20 - headers
        }
        TunnelKind::Sit => IPV6_MIN_MTU..=IP6_MAX_MTU - 20,
        TunnelKind::Ip6Tnl => match read.proto {
            // IPv4 inside.
            4 => IPV4_MIN_MTU..=IP_MAX_MTU - 40 - headers,
            41 => IPV6_MIN_MTU..=IP6_MAX_MTU - 40 - headers,
            _ => IPV4_MIN_MTU..=IP6_MAX_MTU - 40 - headers,
        },
        TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => IPV4_MIN_MTU..=IP6_MAX_MTU - 40 - headers,
    }
}

impl Tunnel {
    /// The MTU the kernel gives a tunnel made as this one whose packets leave by an underlay
    /// device of MTU `underlay` (`None`: no route to its remote and no bound device): the
    /// largest that fits its path with its encapsulation ([`Handle::underlay_mtu`] finds
    /// the underlay).
    pub fn fitting_mtu(&self, underlay: Option<u32>) -> u32 {
        default_mtu(self.kind, &self.attrs, &self.encap, underlay)
    }
}

impl Handle {
    /// What the MTU of tunnel `old` should become when it is changed into `new`.
    ///
    /// An MTU that is what the kernel gave `old` (its [`default_mtu`] over its underlay) is
    /// replaced by what the kernel gives a tunnel made as `new`, over the underlay `new` will
    /// have. Any other MTU was chosen by hand and is kept: sent back as it is, since ip6tnl
    /// and ip6gre recompute their MTU on every change, and ipip, sit and gre when their
    /// underlay device changes. A warning says when it no longer fits.
    ///
    /// `underlay`, where given, is the MTU of `old`'s underlay as read already
    /// ([`Handle::underlay_mtus`]); otherwise it is read here.
    pub(crate) fn mtu_for_change(
        &mut self,
        old: &Tunnel,
        new: &Tunnel,
        underlay: Option<Option<u32>>,
    ) -> Result<MtuChange> {
        let before = match underlay {
            Some(mtu) => mtu,
            None => self.underlay_mtu(old)?,
        };
        let after = if (old.remote, old.local, old.link) == (new.remote, new.local, new.link) {
            before
        } else {
            self.underlay_mtu(new)?
        };
        let was = default_mtu(old.kind, &old.attrs, &old.encap, before);
        let should = default_mtu(new.kind, &new.attrs, &new.encap, after);
        if old.mtu == was {
            return Ok(MtuChange {
                old: old.mtu,
                new: should,
                set: Some(should),
                warning: None,
            });
        }
        let warning = (old.mtu > should).then(|| {
            let underlay = match after {
                Some(mtu) => format!("its underlay (MTU {mtu})"),
                None => format!(
                    "a path of MTU {DEFAULT_UNDERLAY_MTU} (it has no route to its remote and no bound device)"
                ),
            };
            format!(
                "{} keeps the MTU {} it was given by hand, but with {} encapsulation only {should} fits {underlay}: larger packets will be fragmented or dropped; set `ip link set {} mtu {should}`",
                old.name, old.mtu, new.encap.kind, old.name
            )
        });
        Ok(MtuChange {
            old: old.mtu,
            new: old.mtu,
            set: Some(old.mtu),
            warning,
        })
    }

    /// The MTU of the device a tunnel's packets leave by, as the kernel finds it when it
    /// works the tunnel's MTU out: the route to its remote from its local address, else (ipip,
    /// sit, gre, gretap) its bound device; `None` when there is neither.
    ///
    /// ipip, sit, gre and gretap look the route up through their bound device (and where no
    /// route goes through it, IPv4 takes the remote as on the device's link). ip6tnl, ip6gre
    /// and ip6gretap only prefer their bound device (they hold to it for a link-local or
    /// multicast remote), and do not look for an underlay unless they can send
    /// (`IP6_TNL_F_CAP_XMIT`: both addresses set, neither loopback, a link-local one only
    /// with a bound device). Without a route, ip6gre and ip6gretap use no device at all; the
    /// others take their bound device.
    pub fn underlay_mtu(&mut self, tunnel: &Tunnel) -> Result<Option<u32>> {
        let Some(request) = underlay_route_request(tunnel) else {
            return Ok(None);
        };
        let route = request.and_then(|request| self.route_to(request));
        let oif = self.route_oif(tunnel, route);
        if let Some(mtu) = oif.and_then(|oif| self.mtu_of(oif)) {
            return Ok(Some(mtu));
        }
        if !bound_device_counts(tunnel.kind) {
            return Ok(None);
        }
        Ok(tunnel.link.and_then(|link| self.mtu_of(link)))
    }

    /// The device a tunnel's packets leave by and its peer's arrive on: the device of the
    /// route to its remote (looked up as [`Handle::underlay_mtu`] does), else its bound
    /// device; `None` when it has neither (no remote, or no route to it, and no `dev`).
    pub fn underlay_device(&mut self, tunnel: &Tunnel) -> Option<u32> {
        let route = underlay_route_request(tunnel)
            .flatten()
            .and_then(|request| self.route_to(request));
        self.route_oif(tunnel, route).or(tunnel.link)
    }

    /// [`Handle::underlay_mtu`] of each of `tunnels`, the route lookups and then the reads
    /// of the devices they lead to each many requests per `sendmsg`; with each, the devices
    /// whose MTU was read for it (a change of one of those before it would change its
    /// answer).
    pub(crate) fn underlay_mtus(&mut self, tunnels: &[&Tunnel]) -> Vec<UnderlayRead> {
        let requests: Vec<Option<Option<RouteMessage>>> =
            tunnels.iter().map(|t| underlay_route_request(t)).collect();
        let lookups = requests.iter().flatten().flatten().cloned();
        let mut answers = self.routes_to(lookups).into_iter();
        let mut reads = Vec::with_capacity(tunnels.len());
        for (tunnel, request) in tunnels.iter().zip(&requests) {
            let Some(request) = request else {
                reads.push(UnderlayRead::default());
                continue;
            };
            let route = match request {
                Some(_) => answers.next().flatten(),
                None => None,
            };
            let mut devices = Vec::new();
            devices.extend(self.route_oif(tunnel, route));
            if bound_device_counts(tunnel.kind) {
                devices.extend(tunnel.link);
            }
            reads.push(UnderlayRead { mtu: None, devices });
        }
        let mut wanted: Vec<u32> = reads.iter().flat_map(|r| r.devices.clone()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mtus: crate::maps::HashMap<u32, u32> = wanted
            .iter()
            .zip(self.links_by_index(&wanted))
            .filter_map(|(index, link)| Some((*index, link_mtu(&link?)?)))
            .collect();
        for read in &mut reads {
            // The route's device first, then (all but ip6gre and ip6gretap) the bound one.
            read.mtu = read.devices.iter().find_map(|d| mtus.get(d).copied());
        }
        reads
    }

    /// The device the kernel's answer to a tunnel's route lookup leads by. A remote of this
    /// host: the lookup answers lo, but the IPv6 tunnels take the device of the route's
    /// entry, the one that holds the address (measured: an ip6tnl to an address of a
    /// 9000-byte device gets 8952, not lo's 65488), looked up again for it.
    fn route_oif(&mut self, tunnel: &Tunnel, route: Option<RouteMessage>) -> Option<u32> {
        let route = match route {
            Some(r) if tunnel.kind.ipv6_underlay() && r.header.kind == RouteType::Local => {
                let mut request = underlay_route_request(tunnel).flatten()?;
                request.header.flags = RouteFlags::FibMatch;
                self.route_to(request)
            }
            route => route,
        };
        route?.attributes.iter().find_map(|a| match a {
            RouteAttribute::Oif(oif) => Some(*oif),
            _ => None,
        })
    }

    /// The MTU of device `index`, by a targeted get (a dump would cost as much as the
    /// namespace has devices, on every encap change of a bulk run).
    fn mtu_of(&mut self, index: u32) -> Option<u32> {
        link_mtu(&self.link_by_index(index)?)
    }
}

/// The underlay of one tunnel as [`Handle::underlay_mtus`] read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UnderlayRead {
    /// The MTU of the device its packets leave by (`None`: no route and no bound device).
    pub(crate) mtu: Option<u32>,
    /// The devices whose MTU was looked at, the route's first.
    pub(crate) devices: Vec<u32>,
}

/// Whether the kernel takes a tunnel's bound device (`dev`) as its underlay where it finds
/// no route to the remote: every kind but ip6gre and ip6gretap, which then keep the MTU
/// they would have over no underlay: an ip6tnl to an unrouted remote bound to a 9000-byte
/// device gets 8952, an ip6gre 1448 (the kernel test
/// `promises_words::apply_keeps_what_the_kernel_decides_for_bound_tunnels_and_connected_ports`).
fn bound_device_counts(kind: TunnelKind) -> bool {
    !matches!(kind, TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap)
}

/// The route lookup the kernel makes to find a tunnel's underlay: `None` when it looks for
/// none (an IPv6 tunnel that cannot send), `Some(None)` when it has no remote to look up
/// (only a bound device then counts).
fn underlay_route_request(tunnel: &Tunnel) -> Option<Option<RouteMessage>> {
    let v6 = tunnel.kind.ipv6_underlay();
    if v6 && !ip6_can_send(tunnel) {
        return None;
    }
    let Some(remote) = tunnel.remote else {
        return Some(None);
    };
    Some(Some(route_lookup(tunnel, remote)))
}

/// The route lookup (`RTM_GETROUTE` without `NLM_F_DUMP`) of the way `tunnel`'s packets to
/// `remote` leave, as the kernel looks it up for the tunnel: from its local address, and
/// through its bound device where the kernel holds to it.
pub(crate) fn route_lookup(tunnel: &Tunnel, remote: IpAddr) -> RouteMessage {
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
    // The kernel looks the route up from the tunnel's local address: where that is no
    // address of this namespace (yet), IPv4 finds no route, and neither do we.
    if let Some(local) = tunnel.local.filter(|l| l.is_ipv4() == remote.is_ipv4()) {
        request.header.source_prefix_length = if local.is_ipv4() { 32 } else { 128 };
        request
            .attributes
            .push(RouteAttribute::Source(local.into()));
    }
    let strict = match remote {
        IpAddr::V4(_) => true,
        IpAddr::V6(a) => a.is_multicast() || is_link_local(a),
    };
    if let Some(link) = tunnel.link.filter(|_| strict) {
        request.attributes.push(RouteAttribute::Oif(link));
    }
    request
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// Whether an ip6tnl, ip6gre or ip6gretap tunnel can send (the kernel's `ip6_tnl_get_cap`),
/// and so works its MTU out from a route.
fn ip6_can_send(tunnel: &Tunnel) -> bool {
    let (Some(IpAddr::V6(local)), Some(IpAddr::V6(remote))) = (tunnel.local, tunnel.remote) else {
        return false;
    };
    let link_local = is_link_local(local) || is_link_local(remote);
    !local.is_multicast()
        && !local.is_loopback()
        && !remote.is_loopback()
        && (!link_local || tunnel.link.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::{InfoGre, InfoIpTunnel};

    #[test]
    fn matches_what_the_kernel_gives_tunnels_made_with_their_encap() {
        // Measured on Linux 6.1 over a 1500-byte underlay.
        let ip = TunnelAttrs::empty(TunnelKind::Ipip);
        assert_eq!(
            default_mtu(TunnelKind::Ipip, &ip, &Encap::none(), Some(1500)),
            1480
        );
        assert_eq!(
            default_mtu(TunnelKind::Ipip, &ip, &Encap::fou(5555), Some(1500)),
            1472
        );
        let gre = TunnelAttrs::empty(TunnelKind::Gre);
        assert_eq!(
            default_mtu(TunnelKind::Gre, &gre, &Encap::none(), Some(1500)),
            1476
        );
        assert_eq!(
            default_mtu(TunnelKind::Gre, &gre, &Encap::fou(5555), Some(1500)),
            1468
        );
        // gre with a key, GUE with remote checksum offload: 1500 - 20 - 8 - 12 - 8.
        let keyed = TunnelAttrs::Gre(vec![InfoGre::OFlags(GreIOFlags::Key)]);
        let gue = Encap {
            remcsum: true,
            ..Encap::gue(5556)
        };
        assert_eq!(default_mtu(TunnelKind::Gre, &keyed, &gue, Some(1500)), 1452);
        let tap = TunnelAttrs::empty(TunnelKind::GreTap);
        assert_eq!(
            default_mtu(TunnelKind::GreTap, &tap, &Encap::none(), Some(1500)),
            1462
        );
    }

    #[test]
    fn matches_the_kernel_over_other_underlays() {
        // Measured on Linux 6.1 with `ip link add ... encap ...`.
        let fou = Encap::fou(5555);
        let ip = TunnelAttrs::empty(TunnelKind::Ipip);
        // A remote of this host is routed through lo (MTU 65536); ipip counts IP_MAX_MTU.
        assert_eq!(
            default_mtu(TunnelKind::Ipip, &ip, &Encap::none(), Some(65536)),
            65515
        );
        assert_eq!(default_mtu(TunnelKind::Ipip, &ip, &fou, Some(9000)), 8972);
        assert_eq!(default_mtu(TunnelKind::Ipip, &ip, &fou, None), 1472);
        // sit with no underlay keeps the MTU it was made with, encap or not.
        let sit = TunnelAttrs::empty(TunnelKind::Sit);
        assert_eq!(default_mtu(TunnelKind::Sit, &sit, &fou, None), 1480);
        assert_eq!(default_mtu(TunnelKind::Sit, &sit, &fou, Some(1280)), 1280);
        assert_eq!(default_mtu(TunnelKind::Sit, &sit, &fou, Some(1500)), 1472);
        // The IPv6 kinds: the encapsulation limit option, and never below 1280.
        let ip6 = TunnelAttrs::empty(TunnelKind::Ip6Tnl);
        assert_eq!(
            default_mtu(TunnelKind::Ip6Tnl, &ip6, &fou, Some(1500)),
            1444
        );
        assert_eq!(
            default_mtu(TunnelKind::Ip6Tnl, &ip6, &fou, Some(1280)),
            1280
        );
        let tap6 = TunnelAttrs::empty(TunnelKind::Ip6GreTap);
        let gue_remcsum = Encap {
            remcsum: true,
            ..Encap::gue(5556)
        };
        assert_eq!(
            default_mtu(TunnelKind::Ip6GreTap, &tap6, &gue_remcsum, Some(1500)),
            1414
        );
    }

    #[test]
    fn ipv6_tunnels_look_for_an_underlay_only_when_they_can_send() {
        let tunnel = |local: Option<&str>, remote: &str, link: Option<u32>| {
            let mut attrs = vec![InfoIpTunnel::Remote(remote.parse().unwrap())];
            attrs.extend(local.map(|l| InfoIpTunnel::Local(l.parse().unwrap())));
            attrs.extend(link.map(InfoIpTunnel::Link));
            let link = super::super::model::LinkState {
                mtu: 1452,
                ..Default::default()
            };
            Tunnel::new(
                "t".into(),
                1,
                TunnelKind::Ip6Tnl,
                link,
                TunnelAttrs::Ip(attrs),
            )
        };
        assert!(ip6_can_send(&tunnel(
            Some("2001:db8::1"),
            "2001:db8::2",
            None
        )));
        assert!(!ip6_can_send(&tunnel(None, "2001:db8::2", None)));
        assert!(!ip6_can_send(&tunnel(Some("::1"), "2001:db8::2", None)));
        assert!(!ip6_can_send(&tunnel(Some("fe80::1"), "2001:db8::2", None)));
        assert!(ip6_can_send(&tunnel(Some("fe80::1"), "fe80::2", Some(3))));
        assert!(ip6_can_send(&tunnel(Some("2001:db8::1"), "ff02::5", None)));
    }
}
