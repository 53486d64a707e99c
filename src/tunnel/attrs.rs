//! A tunnel's attributes as the kernel keeps them, kept whole ([`TunnelAttrs`]), and the
//! settings rfou reads and writes in them ([`Setting`]), the same for the three kinds of
//! tunnel attributes: `IFLA_IPTUN_*` (ipip, sit, ip6tnl), `IFLA_GRE_*` of gre and gretap, and
//! of ip6gre and ip6gretap. Each kind's attributes are matched here, once.
//!
//! A change rebuilds the tunnel from the attributes sent, so rfou reads a tunnel whole, edits
//! the settings it changes and sends everything back, attributes it does not know included.

use std::net::IpAddr;

use netlink_packet_core::{DefaultNla, Nla};
use netlink_packet_route::link::{
    GreEncapFlags, GreEncapType, GreIOFlags, InfoData, InfoGre, InfoGre6, InfoIpTunnel,
    Ip6TunnelFlags, TunnelEncapFlags, TunnelEncapType,
};
use rfou_uapi::tunnel::{IFLA_GRE_FLAGS, IFLA_GRE_IGNORE_DF};

use super::TunnelKind;

/// A tunnel's attributes, whole, as the kernel reported them or as they are to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TunnelAttrs {
    Ip(Vec<InfoIpTunnel>),
    Gre(Vec<InfoGre>),
    Gre6(Vec<InfoGre6>),
}

/// One tunnel setting, whichever kind of attribute holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    Local(IpAddr),
    Remote(IpAddr),
    Ttl(u8),
    Tos(u8),
    /// The underlay device, by index.
    Link(u32),
    /// The inner protocol (`IFLA_IPTUN_PROTO`).
    Protocol(u8),
    EncapLimit(u8),
    /// Traffic class and flow label of the IPv6 underlays, as one number (tclass << 20 |
    /// flowlabel).
    FlowInfo(u32),
    /// The flags of the IPv6 underlays (`IP6_TNL_F_*`).
    Ip6Flags(u32),
    /// The flags of sit (`SIT_ISATAP`).
    SitFlags(u16),
    PmtuDisc(bool),
    IgnoreDf(bool),
    FwMark(u32),
    IKey(u32),
    OKey(u32),
    IFlags(GreIOFlags),
    OFlags(GreIOFlags),
    EncapType(u16),
    EncapFlags(u16),
    /// 0 is auto.
    EncapSport(u16),
    EncapDport(u16),
}

/// A kind of tunnel attribute: which of its attributes hold which [`Setting`].
trait TunnelAttr: Sized {
    /// The setting this attribute holds, if it is one rfou knows.
    fn setting(&self) -> Option<Setting>;
    /// The attribute that holds `setting`, if this kind of tunnel has it.
    fn of(setting: Setting) -> Option<Self>;
}

impl TunnelAttr for InfoIpTunnel {
    fn setting(&self) -> Option<Setting> {
        Some(match self {
            InfoIpTunnel::Local(a) => Setting::Local(*a),
            InfoIpTunnel::Remote(a) => Setting::Remote(*a),
            InfoIpTunnel::Ttl(t) => Setting::Ttl(*t),
            InfoIpTunnel::Tos(t) => Setting::Tos(*t),
            InfoIpTunnel::Link(l) => Setting::Link(*l),
            InfoIpTunnel::Protocol(p) => Setting::Protocol(u8::from(*p)),
            InfoIpTunnel::EncapLimit(l) => Setting::EncapLimit(*l),
            InfoIpTunnel::FlowInfo(f) => Setting::FlowInfo(*f),
            InfoIpTunnel::Ipv6Flags(f) => Setting::Ip6Flags(f.bits()),
            InfoIpTunnel::Ipv6SitFlags(f) => Setting::SitFlags(sit_flags_from_wire(*f)),
            InfoIpTunnel::PMtuDisc(p) => Setting::PmtuDisc(*p),
            InfoIpTunnel::FwMark(m) => Setting::FwMark(*m),
            InfoIpTunnel::EncapType(t) => Setting::EncapType(u16::from(*t)),
            InfoIpTunnel::EncapFlags(f) => Setting::EncapFlags(f.bits()),
            InfoIpTunnel::EncapSPort(p) => Setting::EncapSport(*p),
            InfoIpTunnel::EncapDPort(p) => Setting::EncapDport(*p),
            _ => return None,
        })
    }

    fn of(setting: Setting) -> Option<Self> {
        Some(match setting {
            Setting::Local(a) => InfoIpTunnel::Local(a),
            Setting::Remote(a) => InfoIpTunnel::Remote(a),
            Setting::Ttl(t) => InfoIpTunnel::Ttl(t),
            Setting::Tos(t) => InfoIpTunnel::Tos(t),
            Setting::Link(l) => InfoIpTunnel::Link(l),
            Setting::Protocol(p) => InfoIpTunnel::Protocol(p.into()),
            Setting::EncapLimit(l) => InfoIpTunnel::EncapLimit(l),
            Setting::FlowInfo(f) => InfoIpTunnel::FlowInfo(f),
            Setting::Ip6Flags(f) => InfoIpTunnel::Ipv6Flags(Ip6TunnelFlags::from_bits_retain(f)),
            Setting::SitFlags(f) => InfoIpTunnel::Ipv6SitFlags(sit_flags_to_wire(f)),
            Setting::PmtuDisc(p) => InfoIpTunnel::PMtuDisc(p),
            Setting::FwMark(m) => InfoIpTunnel::FwMark(m),
            Setting::EncapType(t) => InfoIpTunnel::EncapType(TunnelEncapType::from(t)),
            Setting::EncapFlags(f) => {
                InfoIpTunnel::EncapFlags(TunnelEncapFlags::from_bits_retain(f))
            }
            Setting::EncapSport(p) => InfoIpTunnel::EncapSPort(p),
            Setting::EncapDport(p) => InfoIpTunnel::EncapDPort(p),
            // No keys, sequence numbers or GRE checksums, no ignore-df without GRE.
            Setting::IKey(_)
            | Setting::OKey(_)
            | Setting::IFlags(_)
            | Setting::OFlags(_)
            | Setting::IgnoreDf(_) => return None,
        })
    }
}

/// An attribute the crate keeps as raw bytes: `kind` with a `u8` or `u32` value.
fn other_u8(kind: u16, value: u8) -> DefaultNla {
    DefaultNla::new(kind, vec![value])
}

fn other_u32(kind: u16, value: u32) -> DefaultNla {
    DefaultNla::new(kind, value.to_ne_bytes().to_vec())
}

/// The value of a raw attribute of `kind`, if `nla` is one, as bytes.
fn other_value(nla: &DefaultNla, kind: u16) -> Option<Vec<u8>> {
    (nla.kind() == kind).then(|| {
        let mut value = vec![0; nla.value_len()];
        nla.emit_value(&mut value);
        value
    })
}

impl TunnelAttr for InfoGre {
    fn setting(&self) -> Option<Setting> {
        Some(match self {
            InfoGre::Local(a) => Setting::Local((*a).into()),
            InfoGre::Remote(a) => Setting::Remote((*a).into()),
            InfoGre::Ttl(t) => Setting::Ttl(*t),
            InfoGre::Tos(t) => Setting::Tos(*t),
            InfoGre::PathMTUDiscovery(p) => Setting::PmtuDisc(*p),
            InfoGre::Link(l) => Setting::Link(*l),
            InfoGre::IKey(k) => Setting::IKey(*k),
            InfoGre::OKey(k) => Setting::OKey(*k),
            InfoGre::IFlags(f) => Setting::IFlags(*f),
            InfoGre::OFlags(f) => Setting::OFlags(*f),
            InfoGre::FwMask(m) => Setting::FwMark(*m),
            InfoGre::EncapType(t) => Setting::EncapType(u16::from(t)),
            InfoGre::EncapFlags(f) => Setting::EncapFlags(f.bits()),
            InfoGre::SourcePort(p) => Setting::EncapSport(*p),
            InfoGre::DestinationPort(p) => Setting::EncapDport(*p),
            InfoGre::Other(nla) => match other_value(nla, IFLA_GRE_IGNORE_DF)?.as_slice() {
                [v] => Setting::IgnoreDf(*v != 0),
                _ => return None,
            },
            _ => return None,
        })
    }

    fn of(setting: Setting) -> Option<Self> {
        Some(match setting {
            Setting::Local(IpAddr::V4(a)) => InfoGre::Local(a),
            Setting::Remote(IpAddr::V4(a)) => InfoGre::Remote(a),
            Setting::Ttl(t) => InfoGre::Ttl(t),
            Setting::Tos(t) => InfoGre::Tos(t),
            Setting::PmtuDisc(p) => InfoGre::PathMTUDiscovery(p),
            Setting::IgnoreDf(v) => InfoGre::Other(other_u8(IFLA_GRE_IGNORE_DF, v.into())),
            Setting::Link(l) => InfoGre::Link(l),
            Setting::IKey(k) => InfoGre::IKey(k),
            Setting::OKey(k) => InfoGre::OKey(k),
            Setting::IFlags(f) => InfoGre::IFlags(f),
            Setting::OFlags(f) => InfoGre::OFlags(f),
            Setting::FwMark(m) => InfoGre::FwMask(m),
            Setting::EncapType(t) => InfoGre::EncapType(GreEncapType::from(t)),
            Setting::EncapFlags(f) => InfoGre::EncapFlags(GreEncapFlags::from_bits_retain(f)),
            Setting::EncapSport(p) => InfoGre::SourcePort(p),
            Setting::EncapDport(p) => InfoGre::DestinationPort(p),
            // An IPv6 address, what the IP kinds or the IPv6 underlays alone have.
            _ => return None,
        })
    }
}

impl TunnelAttr for InfoGre6 {
    fn setting(&self) -> Option<Setting> {
        Some(match self {
            InfoGre6::Local(a) => Setting::Local((*a).into()),
            InfoGre6::Remote(a) => Setting::Remote((*a).into()),
            InfoGre6::Ttl(t) => Setting::Ttl(*t),
            InfoGre6::EncapLimit(l) => Setting::EncapLimit(*l),
            InfoGre6::FlowLabel(f) => Setting::FlowInfo(*f),
            InfoGre6::Link(l) => Setting::Link(*l),
            InfoGre6::IKey(k) => Setting::IKey(*k),
            InfoGre6::OKey(k) => Setting::OKey(*k),
            InfoGre6::IFlags(f) => Setting::IFlags(*f),
            InfoGre6::OFlags(f) => Setting::OFlags(*f),
            InfoGre6::FwMask(m) => Setting::FwMark(*m),
            InfoGre6::EncapType(t) => Setting::EncapType(u16::from(t)),
            InfoGre6::EncapFlags(f) => Setting::EncapFlags(f.bits()),
            InfoGre6::SourcePort(p) => Setting::EncapSport(*p),
            InfoGre6::DestinationPort(p) => Setting::EncapDport(*p),
            InfoGre6::Other(nla) => match other_value(nla, IFLA_GRE_FLAGS)?.as_slice() {
                &[a, b, c, d] => Setting::Ip6Flags(u32::from_ne_bytes([a, b, c, d])),
                _ => return None,
            },
            _ => return None,
        })
    }

    fn of(setting: Setting) -> Option<Self> {
        Some(match setting {
            Setting::Local(IpAddr::V6(a)) => InfoGre6::Local(a),
            Setting::Remote(IpAddr::V6(a)) => InfoGre6::Remote(a),
            Setting::Ttl(t) => InfoGre6::Ttl(t),
            Setting::EncapLimit(l) => InfoGre6::EncapLimit(l),
            Setting::FlowInfo(f) => InfoGre6::FlowLabel(f),
            Setting::Ip6Flags(f) => InfoGre6::Other(other_u32(IFLA_GRE_FLAGS, f)),
            Setting::Link(l) => InfoGre6::Link(l),
            Setting::IKey(k) => InfoGre6::IKey(k),
            Setting::OKey(k) => InfoGre6::OKey(k),
            Setting::IFlags(f) => InfoGre6::IFlags(f),
            Setting::OFlags(f) => InfoGre6::OFlags(f),
            Setting::FwMark(m) => InfoGre6::FwMask(m),
            Setting::EncapType(t) => InfoGre6::EncapType(GreEncapType::from(t)),
            Setting::EncapFlags(f) => InfoGre6::EncapFlags(GreEncapFlags::from_bits_retain(f)),
            Setting::EncapSport(p) => InfoGre6::SourcePort(p),
            Setting::EncapDport(p) => InfoGre6::DestinationPort(p),
            // An IPv4 address, what the IP kinds or the IPv4 underlays alone have (rfou
            // never writes ip6gre's tos: its traffic class is in the flow information).
            _ => return None,
        })
    }
}

/// `$body` for the attributes of each kind of [`TunnelAttrs`], bound to `$attrs`.
macro_rules! each_kind {
    ($data:expr, $attrs:ident => $body:expr) => {
        match $data {
            TunnelAttrs::Ip($attrs) => $body,
            TunnelAttrs::Gre($attrs) => $body,
            TunnelAttrs::Gre6($attrs) => $body,
        }
    };
}

impl TunnelAttrs {
    /// No attributes at all, of the form `kind` keeps.
    pub(crate) fn empty(kind: TunnelKind) -> Self {
        match kind {
            TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Ip6Tnl => TunnelAttrs::Ip(Vec::new()),
            TunnelKind::Gre | TunnelKind::GreTap => TunnelAttrs::Gre(Vec::new()),
            TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => TunnelAttrs::Gre6(Vec::new()),
        }
    }

    /// The settings rfou knows, in the order of their attributes.
    pub(crate) fn settings(&self) -> Vec<Setting> {
        each_kind!(self, attrs => attrs.iter().filter_map(TunnelAttr::setting).collect())
    }

    /// Sets `setting`: the attribute that held it before goes, the new one comes last (as
    /// the kernel sends them back, one each). Nothing changes where this kind of tunnel has
    /// no such setting.
    pub(crate) fn set(&mut self, setting: Setting) {
        each_kind!(self, attrs => set(attrs, setting))
    }

    /// Removes the attribute that holds settings like `like` (its value does not matter).
    pub(crate) fn remove(&mut self, like: Setting) {
        let kind = std::mem::discriminant(&like);
        each_kind!(self, attrs => attrs.retain(|a| {
            a.setting().is_none_or(|s| std::mem::discriminant(&s) != kind)
        }))
    }

    pub(crate) fn from_info(data: &InfoData) -> Option<Self> {
        Some(match data {
            InfoData::IpTunnel(attrs) => TunnelAttrs::Ip(attrs.clone()),
            InfoData::GreTun(attrs) | InfoData::GreTap(attrs) => TunnelAttrs::Gre(attrs.clone()),
            InfoData::GreTun6(attrs) | InfoData::GreTap6(attrs) => TunnelAttrs::Gre6(attrs.clone()),
            _ => return None,
        })
    }

    pub(crate) fn into_info(self, kind: TunnelKind) -> InfoData {
        match (self, kind) {
            (TunnelAttrs::Ip(a), _) => InfoData::IpTunnel(a),
            (TunnelAttrs::Gre(a), TunnelKind::GreTap) => InfoData::GreTap(a),
            (TunnelAttrs::Gre(a), _) => InfoData::GreTun(a),
            (TunnelAttrs::Gre6(a), TunnelKind::Ip6GreTap) => InfoData::GreTap6(a),
            (TunnelAttrs::Gre6(a), _) => InfoData::GreTun6(a),
        }
    }
}

fn set<A: TunnelAttr>(attrs: &mut Vec<A>, setting: Setting) {
    if let Some(attr) = A::of(setting) {
        // Attributes the crate keeps raw are told apart by their type, not by the variant.
        let kind = std::mem::discriminant(&setting);
        attrs.retain(|a| {
            a.setting()
                .is_none_or(|s| std::mem::discriminant(&s) != kind)
        });
        attrs.push(attr);
    }
}

/// sit's flags (`IFLA_IPTUN_FLAGS`, `SIT_ISATAP`) as the kernel holds them: the attribute's
/// two bytes in the host's order (iproute2 writes them so, and the kernel stores and dumps
/// the bytes as they came). netlink-packet-route reads and writes them in network order;
/// this takes its number back to the bytes, and the bytes to the host's number.
fn sit_flags_from_wire(parsed: u16) -> u16 {
    u16::from_ne_bytes(parsed.to_be_bytes())
}

/// The number netlink-packet-route must be given (it writes it in network order) for the
/// attribute's bytes to be `flags` in the host's order: the inverse of
/// [`sit_flags_from_wire`].
fn sit_flags_to_wire(flags: u16) -> u16 {
    u16::from_be_bytes(flags.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every setting a kind has reads back as what was set; what it has not leaves it as
    /// it was.
    #[test]
    fn a_setting_set_reads_back_for_every_kind_that_has_it() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let all = [
            Setting::Local(v4),
            Setting::Remote(v6),
            Setting::Ttl(9),
            Setting::Tos(3),
            Setting::Link(4),
            Setting::Protocol(41),
            Setting::EncapLimit(4),
            Setting::FlowInfo(0x1234_5678),
            Setting::Ip6Flags(0x21),
            Setting::SitFlags(1),
            Setting::PmtuDisc(false),
            Setting::IgnoreDf(true),
            Setting::FwMark(77),
            Setting::IKey(5),
            Setting::OKey(6),
            Setting::IFlags(GreIOFlags::Key),
            Setting::OFlags(GreIOFlags::Key),
            Setting::EncapType(1),
            Setting::EncapFlags(2),
            Setting::EncapSport(7),
            Setting::EncapDport(8),
        ];
        for kind in TunnelKind::ALL {
            let mut held = Vec::new();
            for setting in all {
                let mut data = TunnelAttrs::empty(kind);
                data.set(setting);
                data.set(setting);
                let read = data.settings();
                assert!(read.is_empty() || read == [setting], "{kind:?} {setting:?}");
                held.extend(read);
            }
            // The IP kinds share one attribute set (so sit's flags and ip6tnl's flags are
            // both in it, and so is ip6tnl's FLOWINFO); gre has no IPv6 address, protocol,
            // encapsulation limit, flow information or IPv6 flags; ip6gre no IPv4 address,
            // protocol, tos, path MTU discovery or ignore-df.
            let expected = match kind {
                TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Ip6Tnl => 16,
                TunnelKind::Gre | TunnelKind::GreTap => 15,
                TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => 15,
            };
            assert_eq!(held.len(), expected, "{kind:?}: {held:?}");
            let mut data = TunnelAttrs::empty(kind);
            data.set(Setting::Ttl(1));
            data.set(Setting::EncapDport(2));
            data.set(Setting::Ttl(3));
            assert_eq!(
                data.settings(),
                [Setting::EncapDport(2), Setting::Ttl(3)],
                "{kind:?}"
            );
        }
    }

    #[test]
    fn raw_attributes_are_replaced_by_their_type_and_others_kept() {
        let unknown = InfoGre::Other(DefaultNla::new(99, vec![1, 2]));
        let mut data = TunnelAttrs::Gre(vec![unknown.clone()]);
        data.set(Setting::IgnoreDf(true));
        data.set(Setting::IgnoreDf(false));
        assert_eq!(data.settings(), [Setting::IgnoreDf(false)]);
        let TunnelAttrs::Gre(attrs) = &data else {
            unreachable!()
        };
        assert_eq!(attrs[0], unknown, "an attribute rfou does not know stays");
        assert_eq!(attrs.len(), 2);
    }

    /// ISATAP is sent as the bytes iproute2 sends (`SIT_ISATAP` in the host's order), and
    /// those bytes read back as ISATAP.
    #[test]
    fn sit_flags_are_sent_and_read_in_the_hosts_byte_order() {
        use netlink_packet_core::Emitable;
        let info = InfoIpTunnel::Ipv6SitFlags(sit_flags_to_wire(rfou_uapi::tunnel::SIT_ISATAP));
        let mut buffer = vec![0u8; info.buffer_len()];
        info.emit(&mut buffer);
        assert_eq!(
            &buffer[4..6],
            &rfou_uapi::tunnel::SIT_ISATAP.to_ne_bytes()[..],
            "the attribute's payload"
        );
        let parsed = u16::from_be_bytes([buffer[4], buffer[5]]);
        assert_eq!(sit_flags_from_wire(parsed), rfou_uapi::tunnel::SIT_ISATAP);
    }
}
