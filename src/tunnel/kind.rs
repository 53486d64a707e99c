//! The kinds of tunnel rfou works on, and the `mode` words that name them.

use netlink_packet_route::link::InfoKind;

use crate::error::{Error, Result};
use crate::values;

/// The kind of tunnel device (`IFLA_INFO_KIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// The name `ip link` uses (`type ipip`, `type ip6gre`...), the device's kind.
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

    /// The kind whose device kind (`IFLA_INFO_KIND`) is `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
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

    /// Whether this is a GRE kind (it has keys, sequence numbers and GRE checksums).
    pub fn is_gre(self) -> bool {
        !self.is_ip()
    }

    /// Whether this kind keeps `IFLA_IPTUN_*` attributes (ipip, sit, ip6tnl), which carry the
    /// inner protocol.
    pub fn is_ip(self) -> bool {
        matches!(
            self,
            TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Ip6Tnl
        )
    }

    /// Whether this kind carries Ethernet frames (gretap, ip6gretap).
    pub fn is_tap(self) -> bool {
        matches!(self, TunnelKind::GreTap | TunnelKind::Ip6GreTap)
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

/// A tunnel's mode: its kind, and for ipip, sit and ip6tnl the inner protocol it carries
/// (`IFLA_IPTUN_PROTO`: 4 IPIP, 41 IPv6, 137 MPLS, 0 any). An ip6tnl's mode word says its
/// protocol (`ipip6`, `ip6ip6`, `any`); ipip's and sit's is the `proto` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TunnelMode {
    /// The kind of tunnel.
    pub kind: TunnelKind,
    /// The inner protocol, where the mode says one (`None`: the kernel's default).
    pub proto: Option<u8>,
}

/// The `mode` words: (word, kind, inner protocol).
const MODES: &[(&str, TunnelKind, Option<u8>)] = &[
    ("ipip", TunnelKind::Ipip, None),
    ("sit", TunnelKind::Sit, None),
    ("gre", TunnelKind::Gre, None),
    ("gretap", TunnelKind::GreTap, None),
    ("ipip6", TunnelKind::Ip6Tnl, Some(4)),
    ("ip6ip6", TunnelKind::Ip6Tnl, Some(41)),
    ("any", TunnelKind::Ip6Tnl, Some(0)),
    ("ip6tnl", TunnelKind::Ip6Tnl, None),
    ("ip6gre", TunnelKind::Ip6Gre, None),
    ("ip6gretap", TunnelKind::Ip6GreTap, None),
];

/// The words of the inner protocol of ipip and sit tunnels (`proto`), as `ip link` names
/// them: (word, protocol, the kinds that carry it).
const PROTOS: &[(&str, u8, &[TunnelKind])] = &[
    ("any", 0, &[TunnelKind::Ipip, TunnelKind::Sit]),
    ("ipip", 4, &[TunnelKind::Ipip, TunnelKind::Sit]),
    ("ip6ip", 41, &[TunnelKind::Sit]),
    ("mplsip", 137, &[TunnelKind::Ipip, TunnelKind::Sit]),
];

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
        "ip6tnl",
        "ip6gre",
        "ip6gretap",
    ];

    /// A mode of `kind` with the kernel's default inner protocol.
    pub fn of(kind: TunnelKind) -> Self {
        TunnelMode { kind, proto: None }
    }

    /// The mode called `word` (one of [`TunnelMode::WORDS`], any letter case); any other word
    /// is [`crate::ErrorKind::InvalidInput`].
    pub fn parse(word: &str) -> Result<Self> {
        MODES
            .iter()
            .find(|(name, _, _)| values::is(word, name))
            .map(|&(_, kind, proto)| TunnelMode { kind, proto })
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown tunnel mode \"{word}\": use one of {}",
                    Self::WORDS.join(", ")
                ))
            })
    }

    /// The `mode` word of this mode: the kind's name, but for ip6tnl the word of its
    /// protocol (`ipip6`, `ip6ip6`, `any`; `ip6tnl` when it says none).
    pub fn word(self) -> &'static str {
        match (self.kind, self.proto) {
            (TunnelKind::Ip6Tnl, Some(4)) => "ipip6",
            (TunnelKind::Ip6Tnl, Some(41)) => "ip6ip6",
            (TunnelKind::Ip6Tnl, Some(_)) => "any",
            (kind, _) => kind.name(),
        }
    }

    /// The IP protocols this mode's packets carry under their outer header, which the receive
    /// port at the far end hands them to (`ipproto` of a direct FOU port): the main one first.
    /// An `any` mode carries more than one, by the packet inside: ip6tnl IPv4 (4) and IPv6
    /// (41); ipip IPv4 and MPLS (137); sit IPv6, IPv4 and MPLS. GRE kinds carry GRE (47).
    pub fn carried_protocols(self) -> &'static [u8] {
        match (self.kind, self.proto.unwrap_or(0)) {
            (kind, _) if kind.is_gre() => &[47],
            (_, 4) => &[4],
            (_, 41) => &[41],
            (_, 137) => &[137],
            (TunnelKind::Ipip, _) => &[4, 137],
            (TunnelKind::Sit, _) => &[41, 4, 137],
            _ => &[4, 41],
        }
    }

    /// The inner protocol this mode carries, the kernel's default where it says none: any
    /// (0) for ipip, sit and ip6tnl as `ip link add` makes them; none for GRE.
    pub fn proto_or_default(self) -> Option<u8> {
        self.kind.is_ip().then(|| self.proto.unwrap_or(0))
    }
}

/// The inner protocol of an ipip or sit tunnel called `word` (`any`, `ipip`, `ip6ip`,
/// `mplsip`: what `ip link ... type ipip mode ...` takes).
pub fn parse_proto(kind: TunnelKind, word: &str) -> Result<u8> {
    if kind == TunnelKind::Ip6Tnl {
        return Err(Error::invalid(
            "an ip6tnl tunnel says its inner protocol with its mode: ipip6, ip6ip6 or any",
        ));
    }
    let fits: Vec<&str> = PROTOS
        .iter()
        .filter(|(_, _, kinds)| kinds.contains(&kind))
        .map(|(name, _, _)| *name)
        .collect();
    if fits.is_empty() {
        return Err(Error::invalid(format!(
            "proto is an option of ipip and sit tunnels; {} tunnels carry what GRE carries",
            kind.name()
        )));
    }
    PROTOS
        .iter()
        .find(|(name, _, kinds)| values::is(word, name) && kinds.contains(&kind))
        .map(|(_, proto, _)| *proto)
        .ok_or_else(|| {
            Error::invalid(format!(
                "proto \"{word}\" is not one a {} tunnel carries: use one of {}",
                kind.name(),
                fits.join(", ")
            ))
        })
}

/// The word of inner protocol `proto` of an ipip or sit tunnel (its number where no word
/// names it).
pub fn proto_word(proto: u8) -> String {
    match PROTOS.iter().find(|(_, p, _)| *p == proto) {
        Some((name, _, _)) => (*name).to_string(),
        None => proto.to_string(),
    }
}

/// Every word `proto` takes.
pub const PROTO_WORDS: &[&str] = &["any", "ipip", "ip6ip", "mplsip"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_carries_its_protocols() {
        let carried = |word: &str, proto: Option<u8>| {
            let mode = TunnelMode {
                proto,
                ..TunnelMode::parse(word).unwrap()
            };
            mode.carried_protocols().to_vec()
        };
        assert_eq!(carried("gre", None), [47]);
        assert_eq!(carried("ip6gretap", None), [47]);
        assert_eq!(carried("ipip", Some(4)), [4]);
        assert_eq!(carried("ipip", Some(0)), [4, 137]);
        assert_eq!(carried("sit", Some(41)), [41]);
        assert_eq!(carried("sit", None), [41, 4, 137]);
        assert_eq!(carried("ipip6", Some(4)), [4]);
        assert_eq!(carried("ip6ip6", Some(41)), [41]);
        assert_eq!(carried("any", Some(0)), [4, 41]);
    }

    #[test]
    fn every_mode_word_reads_back_as_itself() {
        for word in TunnelMode::WORDS {
            let mode = TunnelMode::parse(word).unwrap();
            assert_eq!(mode.word(), *word);
            assert_eq!(TunnelMode::parse(&word.to_uppercase()).unwrap(), mode);
        }
        assert!(TunnelMode::parse("vti").is_err());
        assert_eq!(
            TunnelMode::of(TunnelKind::Ip6Tnl).proto_or_default(),
            Some(0)
        );
        assert_eq!(TunnelMode::of(TunnelKind::Gre).proto_or_default(), None);
    }

    #[test]
    fn protocols_are_those_each_kind_carries() {
        assert_eq!(parse_proto(TunnelKind::Sit, "ip6ip").unwrap(), 41);
        assert_eq!(parse_proto(TunnelKind::Ipip, "IPIP").unwrap(), 4);
        assert!(parse_proto(TunnelKind::Ipip, "ip6ip").is_err());
        assert!(parse_proto(TunnelKind::Gre, "any").is_err());
        assert!(parse_proto(TunnelKind::Ip6Tnl, "any").is_err());
        for word in PROTO_WORDS {
            assert_eq!(
                proto_word(parse_proto(TunnelKind::Sit, word).unwrap()),
                *word
            );
        }
        assert_eq!(proto_word(99), "99");
    }
}
