//! The tunnel settings rfou reads and writes, the same for the three kinds of tunnel
//! attributes: `IFLA_IPTUN_*` (ipip, sit, ip6tnl), `IFLA_GRE_*` of gre and gretap, and of
//! ip6gre and ip6gretap. Each kind's attributes are matched here, once; the rest of the
//! tunnel code reads and writes [`Setting`]s.

use std::net::IpAddr;

use netlink_packet_route::link::{
    GreEncapFlags, GreEncapType, GreIOFlags, InfoGre, InfoGre6, InfoIpTunnel, TunnelEncapFlags,
    TunnelEncapType,
};

use super::TunnelData;

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
pub(crate) trait TunnelAttr: Sized {
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
            Setting::EncapType(t) => InfoIpTunnel::EncapType(TunnelEncapType::from(t)),
            Setting::EncapFlags(f) => {
                InfoIpTunnel::EncapFlags(TunnelEncapFlags::from_bits_retain(f))
            }
            Setting::EncapSport(p) => InfoIpTunnel::EncapSPort(p),
            Setting::EncapDport(p) => InfoIpTunnel::EncapDPort(p),
            // No keys without GRE.
            Setting::IKey(_) | Setting::OKey(_) | Setting::IFlags(_) | Setting::OFlags(_) => {
                return None
            }
        })
    }
}

/// The GRE attributes of both underlays: the same names, addresses of the underlay's family
/// (`$addr`), and one setting that only this one has (`$only`: gre's tos, ip6gre's
/// encapsulation limit; rfou refuses tos on IPv6 underlays and has never written it there).
macro_rules! gre_attr {
    ($info:ident, $addr:ident, $only:ident) => {
        impl TunnelAttr for $info {
            fn setting(&self) -> Option<Setting> {
                Some(match self {
                    $info::Local(a) => Setting::Local((*a).into()),
                    $info::Remote(a) => Setting::Remote((*a).into()),
                    $info::Ttl(t) => Setting::Ttl(*t),
                    $info::$only(v) => Setting::$only(*v),
                    $info::Link(l) => Setting::Link(*l),
                    $info::IKey(k) => Setting::IKey(*k),
                    $info::OKey(k) => Setting::OKey(*k),
                    $info::IFlags(f) => Setting::IFlags(*f),
                    $info::OFlags(f) => Setting::OFlags(*f),
                    $info::EncapType(t) => Setting::EncapType(u16::from(t)),
                    $info::EncapFlags(f) => Setting::EncapFlags(f.bits()),
                    $info::SourcePort(p) => Setting::EncapSport(*p),
                    $info::DestinationPort(p) => Setting::EncapDport(*p),
                    _ => return None,
                })
            }

            fn of(setting: Setting) -> Option<Self> {
                Some(match setting {
                    Setting::Local(IpAddr::$addr(a)) => $info::Local(a),
                    Setting::Remote(IpAddr::$addr(a)) => $info::Remote(a),
                    Setting::Ttl(t) => $info::Ttl(t),
                    Setting::$only(v) => $info::$only(v),
                    Setting::Link(l) => $info::Link(l),
                    Setting::IKey(k) => $info::IKey(k),
                    Setting::OKey(k) => $info::OKey(k),
                    Setting::IFlags(f) => $info::IFlags(f),
                    Setting::OFlags(f) => $info::OFlags(f),
                    Setting::EncapType(t) => $info::EncapType(GreEncapType::from(t)),
                    Setting::EncapFlags(f) => $info::EncapFlags(GreEncapFlags::from_bits_retain(f)),
                    Setting::EncapSport(p) => $info::SourcePort(p),
                    Setting::EncapDport(p) => $info::DestinationPort(p),
                    // An address of the other family, ip6tnl's protocol, what the other
                    // underlay alone has.
                    _ => return None,
                })
            }
        }
    };
}

gre_attr!(InfoGre, V4, Tos);
gre_attr!(InfoGre6, V6, EncapLimit);

/// `$body` for the attributes of each kind of [`TunnelData`], bound to `$attrs`.
macro_rules! each_kind {
    ($data:expr, $attrs:ident => $body:expr) => {
        match $data {
            TunnelData::Ip($attrs) => $body,
            TunnelData::Gre($attrs) => $body,
            TunnelData::Gre6($attrs) => $body,
        }
    };
}

impl TunnelData {
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
}

fn set<A: TunnelAttr>(attrs: &mut Vec<A>, setting: Setting) {
    if let Some(attr) = A::of(setting) {
        let kind = std::mem::discriminant(&attr);
        attrs.retain(|a| std::mem::discriminant(a) != kind);
        attrs.push(attr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::TunnelKind;

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
            let mut held = 0;
            for setting in all {
                let mut data = TunnelData::empty(kind);
                data.set(setting);
                data.set(setting);
                let read = data.settings();
                assert!(read.is_empty() || read == [setting], "{kind:?} {setting:?}");
                held += read.len();
            }
            // ipip, sit and ip6tnl have no keys; gre no IPv6 address, protocol or
            // encapsulation limit; ip6gre no IPv4 address, protocol or tos.
            let expected = match kind {
                TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Ip6Tnl => 11,
                _ => 12,
            };
            assert_eq!(held, expected, "{kind:?}");
            let mut data = TunnelData::empty(kind);
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
}
