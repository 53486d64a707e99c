//! [`TunnelSettings`]: the one settings type of a tunnel, for `tunnel add`, `tunnel change`
//! and the desired state alike, and how it is written into and read from the kernel's
//! attributes.
//!
//! A field left `None` means "not given": `tunnel change` keeps it, `tunnel add` and the
//! desired state give it its default ([`TunnelSettings::defaults`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_route::link::GreIOFlags;
use rfou_uapi::tunnel::{
    IP6_TNL_F_IGN_ENCAP_LIMIT, IP6_TNL_F_USE_ORIG_FLOWLABEL, IP6_TNL_F_USE_ORIG_FWMARK,
    IP6_TNL_F_USE_ORIG_TCLASS, IPV6_DEFAULT_TNL_ENCAP_LIMIT, SIT_ISATAP,
};

use super::attrs::{Setting, TunnelAttrs};
use super::{Encap, EncapSpec, EncapType, SourcePort, TunnelKind};

/// A value that can also be taken from each inner packet (`tclass inherit`,
/// `flowlabel inherit`, `fwmark inherit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Inherit {
    /// Taken from the inner packet.
    Inherit,
    /// This value on every packet.
    Value(u32),
}

/// The encapsulation limit of the IPv6 underlays (RFC 2473).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncapLimit {
    /// No encapsulation limit option is sent (`encaplimit none`).
    None,
    /// The option, with this limit.
    Limit(u8),
}

/// A tunnel's settings: what `tunnel add` and `tunnel change` take and a desired state
/// holds. `None` is "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TunnelSettings {
    /// The remote underlay address (the unspecified address is "any").
    pub remote: Option<IpAddr>,
    /// The local underlay address (the unspecified address is "any").
    pub local: Option<IpAddr>,
    /// The underlay device (`dev PHYS`), by name; a device that is gone by ip's `ifN`.
    pub dev: Option<String>,
    /// The TTL, or the hop limit of the IPv6 underlays; 0 means inherit.
    pub ttl: Option<u8>,
    /// The TOS of the IPv4 underlays; 1 means inherit (as iproute2 encodes it).
    pub tos: Option<u8>,
    /// The traffic class of the IPv6 underlays.
    pub tclass: Option<Inherit>,
    /// The flow label of the IPv6 underlays (20 bits).
    pub flowlabel: Option<Inherit>,
    /// The encapsulation limit of the IPv6 underlays.
    pub encaplimit: Option<EncapLimit>,
    /// Path MTU discovery (ipip, sit, gre, gretap).
    pub pmtudisc: Option<bool>,
    /// Whether GRE clears the DF bit of what it sends (gre, gretap: `ignore-df`).
    pub ignore_df: Option<bool>,
    /// The inner protocol of ipip, sit and ip6tnl (`proto`; ip6tnl's by its mode word).
    pub proto: Option<u8>,
    /// ISATAP (sit).
    pub isatap: Option<bool>,
    /// The GRE input key (a key in use; `None` in a whole tunnel: no key).
    pub ikey: Option<u32>,
    /// The GRE output key.
    pub okey: Option<u32>,
    /// The input key removed (`noikey`, `nokey`): a change that clears the key and its
    /// `GRE_KEY` bit. Never set with `ikey`; a whole tunnel says "no key" by `ikey: None`.
    pub no_ikey: bool,
    /// The output key removed (`nookey`, `nokey`).
    pub no_okey: bool,
    /// GRE sequence numbers on what is received.
    pub iseq: Option<bool>,
    /// GRE sequence numbers on what is sent.
    pub oseq: Option<bool>,
    /// GRE checksums on what is received.
    pub icsum: Option<bool>,
    /// GRE checksums on what is sent.
    pub ocsum: Option<bool>,
    /// The firewall mark of what the tunnel sends (`inherit`: the IPv6 underlays only).
    pub fwmark: Option<Inherit>,
    /// The UDP encapsulation.
    pub encap: Option<EncapSpec>,
    /// The device's MTU (a desired state compares it only when given).
    pub mtu: Option<u32>,
    /// Whether the device is up (a desired state compares it only when given).
    pub up: Option<bool>,
}

/// Traffic class and flow label in the kernel's flow information.
const TCLASS_SHIFT: u32 = 20;
const TCLASS_MASK: u32 = 0x0ff0_0000;
const FLOWLABEL_MASK: u32 = 0x000f_ffff;

/// The GRE key iproute2 gives a gre or gretap tunnel whose remote is an IPv4 multicast group,
/// in each direction where no key (or key 0) is given: the group's address, as `ip link add`,
/// `ip link change` and `ip tunnel add` do (`remote 239.1.1.1` makes `ikey 239.1.1.1 okey
/// 239.1.1.1`), so that the tunnels of two groups over one local address tell their packets
/// apart. `tunnel add`, `tunnel change`, the desired state and the kernel's rules
/// (`rules.rs`) all take it from here.
pub(crate) fn multicast_key(kind: TunnelKind, remote: Option<IpAddr>) -> Option<u32> {
    match (kind, remote) {
        (TunnelKind::Gre | TunnelKind::GreTap, Some(IpAddr::V4(group))) if group.is_multicast() => {
            Some(u32::from(group))
        }
        _ => None,
    }
}

impl TunnelSettings {
    /// A change of the encapsulation alone (`tunnel encap`): every other setting kept.
    pub fn encap_only(encap: EncapSpec) -> Self {
        TunnelSettings {
            encap: Some(encap),
            ..TunnelSettings::default()
        }
    }

    /// The settings a tunnel of `kind` gets when they are not given: what `ip link add NAME
    /// type KIND` makes (TTL inherit on IPv4 underlays and hop limit 64 on IPv6 ones,
    /// encapsulation limit 4, path MTU discovery on, the inner protocol "any", no key, no
    /// encapsulation). `dev`, `mtu` and `up` stay `None`: no device; the MTU and state the
    /// kernel gives.
    pub fn defaults(kind: TunnelKind) -> Self {
        let v6 = kind.ipv6_underlay();
        let any = if v6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        let gre = kind.is_gre();
        let ipv4_pmtu = !v6;
        TunnelSettings {
            remote: Some(any),
            local: Some(any),
            dev: None,
            ttl: Some(if v6 { 64 } else { 0 }),
            tos: (!v6).then_some(0),
            tclass: v6.then_some(Inherit::Value(0)),
            flowlabel: v6.then_some(Inherit::Value(0)),
            encaplimit: v6.then_some(EncapLimit::Limit(IPV6_DEFAULT_TNL_ENCAP_LIMIT)),
            pmtudisc: ipv4_pmtu.then_some(true),
            ignore_df: matches!(kind, TunnelKind::Gre | TunnelKind::GreTap).then_some(false),
            proto: kind.is_ip().then_some(0),
            isatap: (kind == TunnelKind::Sit).then_some(false),
            ikey: None,
            okey: None,
            no_ikey: false,
            no_okey: false,
            iseq: gre.then_some(false),
            oseq: gre.then_some(false),
            icsum: gre.then_some(false),
            ocsum: gre.then_some(false),
            fwmark: Some(Inherit::Value(0)),
            encap: Some(EncapSpec::none()),
            mtu: None,
            up: None,
        }
    }

    /// These settings as a whole tunnel of `kind`: every setting not given has its default,
    /// and a gre or gretap tunnel to a multicast group the group's key where it has none, as
    /// iproute2 gives it.
    pub fn whole(&self, kind: TunnelKind) -> Self {
        let d = Self::defaults(kind);
        let group_key = multicast_key(kind, self.remote);
        let key = |given: Option<u32>| match (given, group_key) {
            (Some(0) | None, Some(group)) => Some(group),
            (given, _) => given,
        };
        TunnelSettings {
            remote: self.remote.or(d.remote),
            local: self.local.or(d.local),
            dev: self.dev.clone(),
            ttl: self.ttl.or(d.ttl),
            tos: self.tos.or(d.tos),
            tclass: self.tclass.or(d.tclass),
            flowlabel: self.flowlabel.or(d.flowlabel),
            encaplimit: self.encaplimit.or(d.encaplimit),
            pmtudisc: self.pmtudisc.or(d.pmtudisc),
            ignore_df: self.ignore_df.or(d.ignore_df),
            proto: self.proto.or(d.proto),
            isatap: self.isatap.or(d.isatap),
            // A key removed is no key, which a multicast group's key takes the place of.
            ikey: key(self.ikey),
            okey: key(self.okey),
            no_ikey: false,
            no_okey: false,
            iseq: self.iseq.or(d.iseq),
            oseq: self.oseq.or(d.oseq),
            icsum: self.icsum.or(d.icsum),
            ocsum: self.ocsum.or(d.ocsum),
            fwmark: self.fwmark.or(d.fwmark),
            // The encapsulation said whole: what is not given has iproute2's default (a
            // spec that does not resolve is kept as given, for the checks to refuse).
            encap: Some(match self.encap {
                Some(spec) => spec
                    .resolve(kind, &Encap::none())
                    .map(|e| EncapSpec::whole(&e))
                    .unwrap_or(spec),
                None => EncapSpec::none(),
            }),
            mtu: self.mtu,
            up: self.up,
        }
    }

    /// Writes the tunnel settings given into `attrs`, replacing what they replace; the
    /// underlay device as `link` (its index, resolved by the caller). With `whole`, the
    /// settings are the whole tunnel: a key not given is cleared, not kept. The
    /// encapsulation, the MTU and the state are not tunnel attributes: see [`EncapSpec`]
    /// and the link request.
    pub(crate) fn write(&self, attrs: &mut TunnelAttrs, link: Option<u32>, whole: bool) {
        // An address left out is "any" to the kernel, which rebuilds a tunnel from what is
        // sent; and gretap and ip6gretap refuse an unspecified remote (EINVAL).
        for (address, setting) in [
            (self.remote, Setting::Remote as fn(IpAddr) -> Setting),
            (self.local, Setting::Local),
        ] {
            match address {
                Some(a) if a.is_unspecified() => attrs.remove(setting(a)),
                Some(a) => attrs.set(setting(a)),
                None => {}
            }
        }
        let simple = [
            self.ttl.map(Setting::Ttl),
            self.tos.map(Setting::Tos),
            link.map(Setting::Link),
            self.pmtudisc.map(Setting::PmtuDisc),
            self.ignore_df.map(Setting::IgnoreDf),
            self.proto.map(Setting::Protocol),
            self.ikey.map(Setting::IKey),
            self.okey.map(Setting::OKey),
        ];
        for setting in simple.into_iter().flatten() {
            attrs.set(setting);
        }
        let now = Read::from(&*attrs);
        // The IPv6 underlays keep inherit as flag bits beside the values.
        let mut ip6 = now.ip6_flags;
        let mut flowinfo = now.flowinfo;
        let mut flag = |bit: u32, on: bool| {
            if on {
                ip6 |= bit;
            } else {
                ip6 &= !bit;
            }
        };
        if let Some(t) = self.tclass {
            flag(IP6_TNL_F_USE_ORIG_TCLASS, t == Inherit::Inherit);
            if let Inherit::Value(v) = t {
                flowinfo = (flowinfo & !TCLASS_MASK) | ((v << TCLASS_SHIFT) & TCLASS_MASK);
            }
        }
        if let Some(f) = self.flowlabel {
            flag(IP6_TNL_F_USE_ORIG_FLOWLABEL, f == Inherit::Inherit);
            if let Inherit::Value(v) = f {
                flowinfo = (flowinfo & !FLOWLABEL_MASK) | (v & FLOWLABEL_MASK);
            }
        }
        if let Some(limit) = self.encaplimit {
            flag(IP6_TNL_F_IGN_ENCAP_LIMIT, limit == EncapLimit::None);
            if let EncapLimit::Limit(l) = limit {
                attrs.set(Setting::EncapLimit(l));
            }
        }
        if let Some(mark) = self.fwmark {
            flag(IP6_TNL_F_USE_ORIG_FWMARK, mark == Inherit::Inherit);
            if let Inherit::Value(v) = mark {
                attrs.set(Setting::FwMark(v));
            }
        }
        if self.tclass.is_some() || self.flowlabel.is_some() {
            attrs.set(Setting::FlowInfo(flowinfo));
        }
        if ip6 != now.ip6_flags {
            attrs.set(Setting::Ip6Flags(ip6));
        }
        if let Some(isatap) = self.isatap {
            let flags = if isatap {
                now.sit_flags | SIT_ISATAP
            } else {
                now.sit_flags & !SIT_ISATAP
            };
            attrs.set(Setting::SitFlags(flags));
        }
        self.write_gre_flags(attrs, &now, whole);
    }

    /// Gives a gre or gretap tunnel whose `attrs` (as a change leaves them) send to a
    /// multicast group the group's key in each direction that has none, as `ip link change`
    /// does (and [`TunnelSettings::whole`] for a tunnel made whole).
    pub(crate) fn give_multicast_keys(kind: TunnelKind, attrs: &mut TunnelAttrs) {
        let now = Read::from(&*attrs);
        let Some(group) = multicast_key(kind, now.remote) else {
            return;
        };
        let missing = |flags: GreIOFlags, key: u32| !flags.contains(GreIOFlags::Key) || key == 0;
        let keys = TunnelSettings {
            ikey: missing(now.iflags, now.ikey).then_some(group),
            okey: missing(now.oflags, now.okey).then_some(group),
            ..TunnelSettings::default()
        };
        keys.write(attrs, None, false);
    }

    /// GRE's key, sequence and checksum bits (`GRE_KEY`, `GRE_SEQ`, `GRE_CSUM` of the input
    /// and output flags), which say whether each is in use. A key given sets its bit; a key
    /// removed (`nokey`), or with `whole` a key not given, clears it and the key.
    fn write_gre_flags(&self, attrs: &mut TunnelAttrs, now: &Read, whole: bool) {
        let edit = |flags: GreIOFlags,
                    key: Option<bool>,
                    seq: Option<bool>,
                    csum: Option<bool>|
         -> GreIOFlags {
            let mut flags = flags;
            let mut put = |bit: GreIOFlags, on: Option<bool>| match on {
                Some(true) => flags |= bit,
                Some(false) => flags -= bit,
                None => {}
            };
            put(GreIOFlags::Key, key);
            put(GreIOFlags::Seq, seq);
            put(GreIOFlags::Checksum, csum);
            flags
        };
        // Whether each key is on (given), off (removed, or not given in a whole tunnel), or
        // left as it is.
        let key_bit = |key: Option<u32>, removed: bool| match key {
            Some(_) => Some(true),
            None if whole || removed => Some(false),
            None => None,
        };
        let ikey = key_bit(self.ikey, self.no_ikey);
        let okey = key_bit(self.okey, self.no_okey);
        let iflags = edit(now.iflags, ikey, self.iseq, self.icsum);
        let oflags = edit(now.oflags, okey, self.oseq, self.ocsum);
        if ikey == Some(false) {
            attrs.set(Setting::IKey(0));
        }
        if okey == Some(false) {
            attrs.set(Setting::OKey(0));
        }
        if iflags != now.iflags || ikey.is_some() || whole {
            attrs.set(Setting::IFlags(iflags));
        }
        if oflags != now.oflags || okey.is_some() || whole {
            attrs.set(Setting::OFlags(oflags));
        }
    }

    /// The whole settings of a tunnel of `kind` whose attributes are `attrs`, as the kernel
    /// reported them (the device by name from `dev`, resolved by the caller; no MTU or state).
    pub(crate) fn read(kind: TunnelKind, attrs: &TunnelAttrs, dev: Option<String>) -> Self {
        let r = Read::from(attrs);
        let v6 = kind.ipv6_underlay();
        let any = Self::defaults(kind).remote.expect("an address");
        let ip6 = |bit: u32| r.ip6_flags & bit != 0;
        let inherit = |bit: u32, value: u32| {
            if ip6(bit) {
                Inherit::Inherit
            } else {
                Inherit::Value(value)
            }
        };
        let gre = kind.is_gre();
        let key = |flags: GreIOFlags, key: u32| flags.contains(GreIOFlags::Key).then_some(key);
        TunnelSettings {
            remote: Some(r.remote.unwrap_or(any)),
            local: Some(r.local.unwrap_or(any)),
            dev,
            ttl: Some(r.ttl),
            tos: (!v6).then_some(r.tos),
            tclass: v6.then(|| {
                inherit(
                    IP6_TNL_F_USE_ORIG_TCLASS,
                    (r.flowinfo & TCLASS_MASK) >> TCLASS_SHIFT,
                )
            }),
            flowlabel: v6
                .then(|| inherit(IP6_TNL_F_USE_ORIG_FLOWLABEL, r.flowinfo & FLOWLABEL_MASK)),
            encaplimit: v6.then(|| {
                if ip6(IP6_TNL_F_IGN_ENCAP_LIMIT) {
                    EncapLimit::None
                } else {
                    EncapLimit::Limit(r.encap_limit)
                }
            }),
            pmtudisc: (!v6).then_some(r.pmtudisc),
            ignore_df: matches!(kind, TunnelKind::Gre | TunnelKind::GreTap).then_some(r.ignore_df),
            proto: kind.is_ip().then_some(r.proto),
            isatap: (kind == TunnelKind::Sit).then_some(r.sit_flags & SIT_ISATAP != 0),
            ikey: if gre { key(r.iflags, r.ikey) } else { None },
            okey: if gre { key(r.oflags, r.okey) } else { None },
            no_ikey: false,
            no_okey: false,
            iseq: gre.then_some(r.iflags.contains(GreIOFlags::Seq)),
            oseq: gre.then_some(r.oflags.contains(GreIOFlags::Seq)),
            icsum: gre.then_some(r.iflags.contains(GreIOFlags::Checksum)),
            ocsum: gre.then_some(r.oflags.contains(GreIOFlags::Checksum)),
            fwmark: Some(if v6 {
                inherit(IP6_TNL_F_USE_ORIG_FWMARK, r.fwmark)
            } else {
                Inherit::Value(r.fwmark)
            }),
            encap: Some(EncapSpec::whole(&r.encap)),
            mtu: None,
            up: None,
        }
    }
}

/// What a tunnel's attributes say, each setting read once (the kernel's defaults where an
/// attribute is missing).
pub(crate) struct Read {
    pub(crate) local: Option<IpAddr>,
    pub(crate) remote: Option<IpAddr>,
    pub(crate) link: Option<u32>,
    pub(crate) ttl: u8,
    pub(crate) tos: u8,
    pub(crate) proto: u8,
    pub(crate) encap_limit: u8,
    pub(crate) flowinfo: u32,
    pub(crate) ip6_flags: u32,
    pub(crate) sit_flags: u16,
    pub(crate) pmtudisc: bool,
    pub(crate) ignore_df: bool,
    pub(crate) fwmark: u32,
    pub(crate) ikey: u32,
    pub(crate) okey: u32,
    pub(crate) iflags: GreIOFlags,
    pub(crate) oflags: GreIOFlags,
    pub(crate) encap: Encap,
}

impl From<&TunnelAttrs> for Read {
    fn from(attrs: &TunnelAttrs) -> Self {
        let settings = attrs.settings();
        let specified = |a: IpAddr| (!a.is_unspecified()).then_some(a);
        let mut r = Read {
            local: None,
            remote: None,
            link: None,
            ttl: 0,
            tos: 0,
            proto: 0,
            encap_limit: IPV6_DEFAULT_TNL_ENCAP_LIMIT,
            flowinfo: 0,
            ip6_flags: 0,
            sit_flags: 0,
            // The kernel reports path MTU discovery where it has it; a tunnel without the
            // attribute discovers (the kernel's default).
            pmtudisc: true,
            ignore_df: false,
            fwmark: 0,
            ikey: 0,
            okey: 0,
            iflags: GreIOFlags::empty(),
            oflags: GreIOFlags::empty(),
            encap: Encap::read(&settings),
        };
        for setting in settings {
            match setting {
                Setting::Local(a) => r.local = specified(a),
                Setting::Remote(a) => r.remote = specified(a),
                Setting::Link(l) => r.link = (l != 0).then_some(l),
                Setting::Ttl(t) => r.ttl = t,
                Setting::Tos(t) => r.tos = t,
                Setting::Protocol(p) => r.proto = p,
                Setting::EncapLimit(l) => r.encap_limit = l,
                Setting::FlowInfo(f) => r.flowinfo = f,
                Setting::Ip6Flags(f) => r.ip6_flags = f,
                Setting::SitFlags(f) => r.sit_flags = f,
                Setting::PmtuDisc(p) => r.pmtudisc = p,
                Setting::IgnoreDf(v) => r.ignore_df = v,
                Setting::FwMark(m) => r.fwmark = m,
                Setting::IKey(k) => r.ikey = k,
                Setting::OKey(k) => r.okey = k,
                Setting::IFlags(f) => r.iflags = f,
                Setting::OFlags(f) => r.oflags = f,
                Setting::EncapType(_)
                | Setting::EncapFlags(_)
                | Setting::EncapSport(_)
                | Setting::EncapDport(_) => {}
            }
        }
        r
    }
}

impl EncapSpec {
    /// No encapsulation, said whole.
    pub fn none() -> Self {
        EncapSpec {
            kind: Some(EncapType::None),
            ..EncapSpec::default()
        }
    }

    /// `encap`, every option given.
    pub fn whole(encap: &Encap) -> Self {
        if encap.kind == EncapType::None {
            return Self::none();
        }
        EncapSpec {
            kind: Some(encap.kind),
            sport: Some(encap.sport),
            dport: Some(encap.dport),
            csum: Some(encap.csum),
            csum6: Some(encap.csum6),
            remcsum: Some(encap.remcsum),
        }
    }
}

impl SourcePort {
    /// `auto`, or the port.
    pub fn word(self) -> String {
        match self {
            SourcePort::Auto => "auto".into(),
            SourcePort::Fixed(p) => p.to_string(),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
