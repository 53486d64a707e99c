//! Tunnels and their UDP encapsulation: ipip, sit, ip6tnl, gre, gretap, ip6gre, ip6gretap.
//!
//! The kernel keeps a tunnel's settings as `IFLA_IPTUN_*` (ipip, sit, ip6tnl) or
//! `IFLA_GRE_*` attributes; a change rebuilds the tunnel from the attributes sent, so rfou
//! always reads a tunnel whole, edits it, and writes it back whole ([`TunnelData`]).

pub(crate) mod attrs;
mod encap;
// Public for the command and the tests (with the `cli` feature, hidden): the wire form of
// tunnels. What a program needs of them is re-exported below.
internal_modules!(link, mtu);

pub use encap::{Encap, EncapSpec, EncapType, SourcePort};
pub use link::{ChangeReport, TunnelSpec, TunnelUpdate};
pub use mtu::MtuChange;

use std::net::IpAddr;

use netlink_packet_route::link::{GreIOFlags, InfoData, InfoGre, InfoGre6, InfoIpTunnel, InfoKind};

use attrs::Setting;

use crate::error::{Error, Result};

/// The kind of tunnel device (`IFLA_INFO_KIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    /// IPv4 in IPv4 (`ipip`).
    Ipip,
    /// IPv6 in IPv4 (`sit`).
    Sit,
    /// IPv4 or IPv6 in IPv6 (`ip6tnl`: ipip6, ip6ip6, any).
    Ip6Tnl,
    /// GRE over IPv4 (`gre`).
    Gre,
    /// Ethernet in GRE over IPv4 (`gretap`).
    GreTap,
    /// GRE over IPv6 (`ip6gre`).
    Ip6Gre,
    /// Ethernet in GRE over IPv6 (`ip6gretap`).
    Ip6GreTap,
}

impl TunnelKind {
    /// Every kind rfou knows.
    pub const ALL: [TunnelKind; 7] = [
        TunnelKind::Ipip,
        TunnelKind::Sit,
        TunnelKind::Ip6Tnl,
        TunnelKind::Gre,
        TunnelKind::GreTap,
        TunnelKind::Ip6Gre,
        TunnelKind::Ip6GreTap,
    ];

    /// The name `ip link` uses (`type ipip`, `type ip6gre`...).
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Ipip => "ipip",
            TunnelKind::Sit => "sit",
            TunnelKind::Ip6Tnl => "ip6tnl",
            TunnelKind::Gre => "gre",
            TunnelKind::GreTap => "gretap",
            TunnelKind::Ip6Gre => "ip6gre",
            TunnelKind::Ip6GreTap => "ip6gretap",
        }
    }

    /// The kernel module that provides this kind.
    pub fn module(self) -> &'static str {
        match self {
            TunnelKind::Ipip => "ipip",
            TunnelKind::Sit => "sit",
            TunnelKind::Ip6Tnl => "ip6_tunnel",
            TunnelKind::Gre | TunnelKind::GreTap => "ip_gre",
            TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => "ip6_gre",
        }
    }

    /// Whether the outer (underlay) header is IPv6.
    pub fn ipv6_underlay(self) -> bool {
        matches!(
            self,
            TunnelKind::Ip6Tnl | TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap
        )
    }

    /// Whether this is a GRE kind (it has keys).
    pub fn is_gre(self) -> bool {
        !matches!(
            self,
            TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Ip6Tnl
        )
    }

    pub(crate) fn info_kind(self) -> InfoKind {
        match self {
            TunnelKind::Ipip => InfoKind::IpIp,
            TunnelKind::Sit => InfoKind::SitTun,
            TunnelKind::Ip6Tnl => InfoKind::Ip6Tnl,
            TunnelKind::Gre => InfoKind::GreTun,
            TunnelKind::GreTap => InfoKind::GreTap,
            TunnelKind::Ip6Gre => InfoKind::GreTun6,
            TunnelKind::Ip6GreTap => InfoKind::GreTap6,
        }
    }

    pub(crate) fn from_info_kind(kind: &InfoKind) -> Option<Self> {
        Self::ALL.into_iter().find(|k| &k.info_kind() == kind)
    }
}

/// A `mode` of `rfou tunnel add`: a kind, and for ip6tnl the inner protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelMode {
    /// The kind of tunnel.
    pub kind: TunnelKind,
    /// `IFLA_IPTUN_PROTO` of an ip6tnl: 4 (ipip6), 41 (ip6ip6), 0 (any).
    pub ip6_proto: Option<u8>,
}

impl TunnelMode {
    /// Every word `mode` takes: the `ip tunnel` modes and the `ip link` type names.
    pub const WORDS: &'static [&'static str] = &[
        "ipip",
        "sit",
        "gre",
        "gretap",
        "ipip6",
        "ip6ip6",
        "any",
        "ip6gre",
        "ip6gretap",
        "ip6tnl",
    ];

    /// The mode called `word` (one of [`TunnelMode::WORDS`]); any other word is [`crate::ErrorKind::InvalidInput`].
    pub fn parse(word: &str) -> Result<Self> {
        let (kind, ip6_proto) = match word {
            "ipip" => (TunnelKind::Ipip, None),
            "sit" => (TunnelKind::Sit, None),
            "gre" => (TunnelKind::Gre, None),
            "gretap" => (TunnelKind::GreTap, None),
            "ipip6" => (TunnelKind::Ip6Tnl, Some(libc::IPPROTO_IPIP as u8)),
            "ip6ip6" => (TunnelKind::Ip6Tnl, Some(libc::IPPROTO_IPV6 as u8)),
            "any" => (TunnelKind::Ip6Tnl, Some(0)),
            "ip6tnl" => (TunnelKind::Ip6Tnl, None),
            "ip6gre" => (TunnelKind::Ip6Gre, None),
            "ip6gretap" => (TunnelKind::Ip6GreTap, None),
            _ => {
                return Err(Error::invalid(format!(
                    "unknown tunnel mode \"{word}\": use one of {}",
                    Self::WORDS.join(", ")
                )))
            }
        };
        Ok(TunnelMode { kind, ip6_proto })
    }
}

/// A tunnel's settings as the kernel reports them, kept whole so they can be sent back.
/// The wire form: not part of the API (see the crate docs, Stability).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunnelData {
    Ip(Vec<InfoIpTunnel>),
    Gre(Vec<InfoGre>),
    Gre6(Vec<InfoGre6>),
}

impl TunnelData {
    /// No settings at all: what a new tunnel of `kind` starts from.
    pub fn empty(kind: TunnelKind) -> Self {
        match kind {
            TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Ip6Tnl => TunnelData::Ip(Vec::new()),
            TunnelKind::Gre | TunnelKind::GreTap => TunnelData::Gre(Vec::new()),
            TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => TunnelData::Gre6(Vec::new()),
        }
    }

    /// What `rfou tunnel add` starts a tunnel of `mode` from: the settings `ip link add`
    /// sends when given none. The kernel's own defaults differ where iproute2 sends its own:
    /// for ipip and sit iproute2 sends protocol 0 ("any": the kernel would take only the
    /// mode's own) and for sit a TTL of 0 (inherit: the kernel would take 64); for the IPv6
    /// underlays a hop limit of 64 (the kernel would take 0) and an encapsulation limit of 4.
    pub fn defaults(mode: TunnelMode) -> Self {
        let kind = mode.kind;
        let settings: &[Setting] = match kind {
            TunnelKind::Ipip | TunnelKind::Sit => &[Setting::Ttl(0), Setting::Protocol(0)],
            TunnelKind::Ip6Tnl | TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => {
                &[Setting::Ttl(64), Setting::EncapLimit(4)]
            }
            TunnelKind::Gre | TunnelKind::GreTap => &[],
        };
        let mut data = TunnelData::empty(kind);
        for setting in settings {
            data.set(*setting);
        }
        if let (TunnelKind::Ip6Tnl, Some(proto)) = (kind, mode.ip6_proto) {
            data.set(Setting::Protocol(proto));
        }
        data
    }

    pub(crate) fn from_info(data: &InfoData) -> Option<Self> {
        Some(match data {
            InfoData::IpTunnel(attrs) => TunnelData::Ip(attrs.clone()),
            InfoData::GreTun(attrs) | InfoData::GreTap(attrs) => TunnelData::Gre(attrs.clone()),
            InfoData::GreTun6(attrs) | InfoData::GreTap6(attrs) => TunnelData::Gre6(attrs.clone()),
            _ => return None,
        })
    }

    pub(crate) fn into_info(self, kind: TunnelKind) -> InfoData {
        match (self, kind) {
            (TunnelData::Ip(a), _) => InfoData::IpTunnel(a),
            (TunnelData::Gre(a), TunnelKind::GreTap) => InfoData::GreTap(a),
            (TunnelData::Gre(a), _) => InfoData::GreTun(a),
            (TunnelData::Gre6(a), TunnelKind::Ip6GreTap) => InfoData::GreTap6(a),
            (TunnelData::Gre6(a), _) => InfoData::GreTun6(a),
        }
    }
}

/// A tunnel device, read from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// The device name.
    pub name: String,
    /// The device index.
    pub ifindex: u32,
    /// The kind of tunnel.
    pub kind: TunnelKind,
    /// The device's MTU.
    pub mtu: u32,
    /// The local underlay address, if set.
    pub local: Option<IpAddr>,
    /// The remote underlay address, if set.
    pub remote: Option<IpAddr>,
    /// 0 means inherit.
    pub ttl: u8,
    /// The underlay device the tunnel is bound to (`dev PHYS`), by index.
    pub link: Option<u32>,
    /// The GRE input key, if set.
    pub ikey: Option<u32>,
    /// The GRE output key, if set.
    pub okey: Option<u32>,
    /// For ip6tnl: the inner protocol (4 ipip6, 41 ip6ip6, 0 any).
    pub ip6_proto: Option<u8>,
    /// The UDP encapsulation.
    pub encap: Encap,
    /// Whether the device is administratively up.
    pub up: bool,
    /// The device group (`ip link set ... group N`).
    pub group: u32,
    pub(crate) data: TunnelData,
}

impl Tunnel {
    /// The `mode` word of `rfou tunnel add` that makes this tunnel.
    pub fn mode(&self) -> &'static str {
        match (self.kind, self.ip6_proto) {
            (TunnelKind::Ip6Tnl, Some(4)) => "ipip6",
            (TunnelKind::Ip6Tnl, Some(41)) => "ip6ip6",
            (TunnelKind::Ip6Tnl, _) => "any",
            (kind, _) => kind.name(),
        }
    }

    pub(crate) fn from_data(
        name: String,
        ifindex: u32,
        kind: TunnelKind,
        mtu: u32,
        data: TunnelData,
    ) -> Self {
        let settings = data.settings();
        let mut tunnel = Tunnel {
            name,
            ifindex,
            kind,
            mtu,
            local: None,
            remote: None,
            ttl: 0,
            link: None,
            ikey: None,
            okey: None,
            ip6_proto: None,
            encap: Encap::read(&settings),
            up: false,
            group: 0,
            data,
        };
        let unspecified = |a: IpAddr| (!a.is_unspecified()).then_some(a);
        // A key is only in use when its GRE flag says so; the kernel reports 0 otherwise.
        let (mut ikey_flag, mut okey_flag) = (false, false);
        for setting in settings {
            match setting {
                Setting::Local(a) => tunnel.local = unspecified(a),
                Setting::Remote(a) => tunnel.remote = unspecified(a),
                Setting::Ttl(t) => tunnel.ttl = t,
                Setting::Link(l) if l != 0 => tunnel.link = Some(l),
                Setting::Protocol(p) if kind == TunnelKind::Ip6Tnl => tunnel.ip6_proto = Some(p),
                Setting::IKey(k) => tunnel.ikey = Some(k),
                Setting::OKey(k) => tunnel.okey = Some(k),
                Setting::IFlags(f) => ikey_flag |= f.contains(GreIOFlags::Key),
                Setting::OFlags(f) => okey_flag |= f.contains(GreIOFlags::Key),
                _ => {}
            }
        }
        tunnel.ikey = tunnel.ikey.filter(|_| ikey_flag);
        tunnel.okey = tunnel.okey.filter(|_| okey_flag);
        tunnel
    }
}
