//! A tunnel's UDP encapsulation (`encap fou|gue|none ...`).

use std::fmt;

use super::attrs::Setting;
use super::{TunnelAttrs, TunnelKind};
use crate::error::{Error, Result};
use crate::values;

/// The UDP encapsulation of a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncapType {
    /// None: plain IP.
    None,
    /// FOU: the inner packet right after the UDP header.
    Fou,
    /// GUE: a GUE header between the UDP header and the inner packet.
    Gue,
    /// A type this version of rfou does not know (MPLS-in-UDP is 3): kept as the kernel
    /// reports it, shown as `unknown(N)`, and never written over by a change that does not
    /// name the encapsulation.
    Other(u16),
}

impl EncapType {
    /// The words `encap` takes.
    pub const WORDS: &'static [&'static str] = &["fou", "gue", "none"];

    /// The encapsulation called `word` (`fou`, `gue`, `none`, in any letter case).
    pub fn parse(word: &str) -> Result<Self> {
        [EncapType::Fou, EncapType::Gue, EncapType::None]
            .into_iter()
            .find(|t| values::is(word, &t.to_string()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown encapsulation \"{word}\": use fou, gue or none"
                ))
            })
    }
}

impl fmt::Display for EncapType {
    /// `none`, `fou`, `gue`, or `unknown(N)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncapType::None => f.write_str("none"),
            EncapType::Fou => f.write_str("fou"),
            EncapType::Gue => f.write_str("gue"),
            EncapType::Other(n) => write!(f, "unknown({n})"),
        }
    }
}

/// The UDP source port of encapsulated packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourcePort {
    /// Picked per flow from the flow hash: what spreads FOU traffic over ECMP paths and RSS
    /// queues. The kernel keeps it as port 0.
    Auto,
    /// This port on every packet.
    Fixed(u16),
}

impl SourcePort {
    /// The port as the kernel keeps it (`IFLA_*_ENCAP_SPORT`): 0 for auto.
    pub fn wire(self) -> u16 {
        match self {
            SourcePort::Auto => 0,
            SourcePort::Fixed(p) => p,
        }
    }

    fn from_wire(port: u16) -> Self {
        if port == 0 {
            SourcePort::Auto
        } else {
            SourcePort::Fixed(port)
        }
    }
}

/// A tunnel's encapsulation, whole.
///
/// ```
/// use rfou::{Encap, SourcePort};
/// let encap = Encap::fou(5555);
/// assert_eq!(encap.sport, SourcePort::Auto);
/// assert_eq!(encap.overhead(), 8);
/// assert_eq!(Encap::gue(5555).overhead(), 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Encap {
    /// FOU, GUE or none.
    pub kind: EncapType,
    /// The UDP source port.
    pub sport: SourcePort,
    /// The UDP destination port: the far end's receive port.
    pub dport: u16,
    /// UDP checksums over IPv4 (`encap-csum`).
    pub csum: bool,
    /// UDP checksums over IPv6 (`encap-csum6`).
    pub csum6: bool,
    /// GUE remote checksum offload (`encap-remcsum`).
    pub remcsum: bool,
}

impl Encap {
    /// No encapsulation.
    pub fn none() -> Self {
        Encap {
            kind: EncapType::None,
            sport: SourcePort::Auto,
            dport: 0,
            csum: false,
            csum6: false,
            remcsum: false,
        }
    }

    /// FOU to UDP port `dport`, the source port picked per flow.
    pub fn fou(dport: u16) -> Self {
        Encap {
            kind: EncapType::Fou,
            dport,
            ..Encap::none()
        }
    }

    /// GUE to UDP port `dport`, the source port picked per flow.
    pub fn gue(dport: u16) -> Self {
        Encap {
            kind: EncapType::Gue,
            dport,
            ..Encap::none()
        }
    }

    /// Bytes this encapsulation adds to every packet after the outer IP header: the UDP
    /// header, and for GUE its 4-byte header, plus 8 more with remote checksum offload (its
    /// option and the private flags word).
    pub fn overhead(&self) -> u32 {
        match self.kind {
            EncapType::None => 0,
            EncapType::Fou => 8,
            EncapType::Gue if self.remcsum => 20,
            EncapType::Gue => 12,
            // Every UDP encapsulation has at least the UDP header.
            EncapType::Other(_) => 8,
        }
    }

    fn flags(&self) -> u16 {
        use rfou_uapi::tunnel::*;
        let mut flags = 0;
        if self.csum {
            flags |= TUNNEL_ENCAP_FLAG_CSUM;
        }
        if self.csum6 {
            flags |= TUNNEL_ENCAP_FLAG_CSUM6;
        }
        if self.remcsum {
            flags |= TUNNEL_ENCAP_FLAG_REMCSUM;
        }
        flags
    }

    fn set_flags(&mut self, flags: u16) {
        use rfou_uapi::tunnel::*;
        self.csum = flags & TUNNEL_ENCAP_FLAG_CSUM != 0;
        self.csum6 = flags & TUNNEL_ENCAP_FLAG_CSUM6 != 0;
        self.remcsum = flags & TUNNEL_ENCAP_FLAG_REMCSUM != 0;
    }

    fn set_type(&mut self, kind: u16) {
        self.kind = match kind {
            rfou_uapi::tunnel::TUNNEL_ENCAP_NONE => EncapType::None,
            rfou_uapi::tunnel::TUNNEL_ENCAP_FOU => EncapType::Fou,
            rfou_uapi::tunnel::TUNNEL_ENCAP_GUE => EncapType::Gue,
            other => EncapType::Other(other),
        };
    }

    fn type_wire(&self) -> u16 {
        match self.kind {
            EncapType::None => rfou_uapi::tunnel::TUNNEL_ENCAP_NONE,
            EncapType::Fou => rfou_uapi::tunnel::TUNNEL_ENCAP_FOU,
            EncapType::Gue => rfou_uapi::tunnel::TUNNEL_ENCAP_GUE,
            EncapType::Other(n) => n,
        }
    }

    /// The encapsulation in a tunnel's settings (none when it has no encap settings).
    pub(crate) fn read(settings: &[Setting]) -> Self {
        let mut encap = Encap::none();
        for setting in settings {
            match *setting {
                Setting::EncapType(t) => encap.set_type(t),
                Setting::EncapFlags(f) => encap.set_flags(f),
                Setting::EncapSport(p) => encap.sport = SourcePort::from_wire(p),
                Setting::EncapDport(p) => encap.dport = p,
                _ => {}
            }
        }
        if encap.kind == EncapType::None {
            return Encap::none();
        }
        encap
    }

    /// Replaces the encapsulation in a tunnel's attributes. All four attributes are always
    /// sent, `none` included: the kernel replaces the whole encap when it sees any of them.
    pub(crate) fn write(&self, data: &mut TunnelAttrs) {
        data.set(Setting::EncapType(self.type_wire()));
        data.set(Setting::EncapFlags(self.flags()));
        data.set(Setting::EncapSport(self.sport.wire()));
        data.set(Setting::EncapDport(self.dport));
    }
}

/// An encapsulation as a command gives it: a type, and only the options it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncapSpec {
    /// The encapsulation, or keep it.
    pub kind: Option<EncapType>,
    /// The UDP source port, or keep it.
    pub sport: Option<SourcePort>,
    /// The UDP destination port, or keep it.
    pub dport: Option<u16>,
    /// UDP checksums over IPv4, or keep them.
    pub csum: Option<bool>,
    /// UDP checksums over IPv6, or keep them.
    pub csum6: Option<bool>,
    /// GUE remote checksum offload, or keep it.
    pub remcsum: Option<bool>,
}

impl EncapSpec {
    /// Refuses what this spec says against itself, whatever the tunnel: options of
    /// `encap none`, and remote checksum offload with `encap fou`.
    pub fn check(&self) -> Result<()> {
        let options = EncapSpec {
            kind: None,
            ..*self
        };
        match self.kind {
            Some(EncapType::None) if options != EncapSpec::default() => Err(Error::invalid(
                "encap none takes no options (encap-sport, encap-dport, encap-csum...): there is no UDP header",
            )),
            Some(EncapType::Fou) if self.remcsum == Some(true) => Err(Error::invalid(
                "encap-remcsum needs gue: remote checksum offload is an option of the GUE header",
            )),
            _ => Ok(()),
        }
    }

    /// The encapsulation a tunnel of `kind`, whose encap is now `current`, gets from this
    /// spec. Options not named keep their current value, as `ip link change` does; a tunnel
    /// that had no encap starts from iproute2's defaults (sport auto, and the IPv6 UDP
    /// checksum on for IPv6 underlays).
    pub fn resolve(&self, kind: TunnelKind, current: &Encap) -> Result<Encap> {
        self.check()?;
        let encap_type = self.kind.unwrap_or(current.kind);
        if self.kind.is_none() && current.kind == EncapType::None && *self != EncapSpec::default() {
            return Err(Error::invalid(
                "the tunnel has no encapsulation to change: say `encap fou` or `encap gue` too",
            ));
        }
        if let EncapType::Other(n) = encap_type {
            return Err(Error::invalid(format!(
                "the tunnel's encapsulation is of a type rfou does not know ({n}): say `encap fou`, \
                 `encap gue` or `encap none` to replace it"
            )));
        }
        if encap_type == EncapType::None {
            return Ok(Encap::none());
        }
        let mut encap = if current.kind == EncapType::None {
            Encap {
                csum6: kind.ipv6_underlay(),
                ..Encap::none()
            }
        } else {
            *current
        };
        encap.kind = encap_type;
        if let Some(sport) = self.sport {
            encap.sport = sport;
        }
        if let Some(dport) = self.dport {
            encap.dport = dport;
        }
        if let Some(v) = self.csum {
            encap.csum = v;
        }
        if let Some(v) = self.csum6 {
            encap.csum6 = v;
        }
        match (encap_type, self.remcsum) {
            (EncapType::Fou, Some(true)) => return Err(Error::invalid(
                "encap-remcsum needs gue: remote checksum offload is an option of the GUE header",
            )),
            (EncapType::Fou, _) => encap.remcsum = false,
            (_, Some(v)) => encap.remcsum = v,
            _ => {}
        }
        if encap.dport == 0 {
            return Err(Error::invalid(format!(
                "encap {encap_type} needs encap-dport PORT: the UDP port the far end receives on (its `rfou add port PORT`)"
            )));
        }
        Ok(encap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: EncapType, dport: Option<u16>) -> EncapSpec {
        EncapSpec {
            kind: Some(kind),
            dport,
            ..EncapSpec::default()
        }
    }

    #[test]
    fn fou_needs_a_destination_port() {
        let err = spec(EncapType::Fou, None)
            .resolve(TunnelKind::Ipip, &Encap::none())
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("needs encap-dport"), "{err}");
    }

    #[test]
    fn new_encap_starts_from_iproute2_defaults() {
        let v4 = spec(EncapType::Fou, Some(5555))
            .resolve(TunnelKind::Ipip, &Encap::none())
            .unwrap();
        assert_eq!(v4, Encap::fou(5555));
        let v6 = spec(EncapType::Gue, Some(6666))
            .resolve(TunnelKind::Ip6Gre, &Encap::none())
            .unwrap();
        assert!(v6.csum6 && !v6.csum && v6.sport == SourcePort::Auto);
    }

    #[test]
    fn unnamed_options_keep_their_current_value() {
        let current = Encap {
            sport: SourcePort::Fixed(1234),
            csum: true,
            ..Encap::gue(5556)
        };
        let changed = EncapSpec {
            dport: Some(7000),
            ..EncapSpec::default()
        }
        .resolve(TunnelKind::Gre, &current)
        .unwrap();
        assert_eq!(
            changed,
            Encap {
                dport: 7000,
                ..current
            }
        );
    }

    #[test]
    fn remcsum_is_a_gue_option() {
        let err = EncapSpec {
            remcsum: Some(true),
            ..spec(EncapType::Fou, Some(1))
        }
        .resolve(TunnelKind::Gre, &Encap::none())
        .unwrap_err();
        assert!(err.to_string().contains("needs gue"));
        let from_gue = Encap {
            remcsum: true,
            ..Encap::gue(9)
        };
        let to_fou = spec(EncapType::Fou, None)
            .resolve(TunnelKind::Gre, &from_gue)
            .unwrap();
        assert!(!to_fou.remcsum);
        assert_eq!(to_fou.dport, 9);
    }

    #[test]
    fn options_alone_need_an_encapsulation_to_change() {
        let only_port = EncapSpec {
            dport: Some(7000),
            ..EncapSpec::default()
        };
        let err = only_port
            .resolve(TunnelKind::Ipip, &Encap::none())
            .unwrap_err();
        assert!(
            err.to_string().contains("no encapsulation to change"),
            "{err}"
        );
        assert_eq!(
            only_port.resolve(TunnelKind::Ipip, &Encap::fou(1)).unwrap(),
            Encap::fou(7000)
        );
    }

    #[test]
    fn none_clears_everything_and_takes_no_ports() {
        let current = Encap {
            csum: true,
            ..Encap::fou(5)
        };
        assert_eq!(
            spec(EncapType::None, None)
                .resolve(TunnelKind::Ipip, &current)
                .unwrap(),
            Encap::none()
        );
        assert!(spec(EncapType::None, Some(5))
            .resolve(TunnelKind::Ipip, &current)
            .is_err());
    }

    #[test]
    fn write_then_read_is_the_same_encap_for_every_kind() {
        let encap = Encap {
            sport: SourcePort::Fixed(4000),
            csum: true,
            remcsum: true,
            ..Encap::gue(5555)
        };
        for kind in TunnelKind::ALL {
            let mut data = TunnelAttrs::empty(kind);
            Encap::fou(1).write(&mut data);
            encap.write(&mut data);
            assert_eq!(Encap::read(&data.settings()), encap, "{kind:?}");
            Encap::none().write(&mut data);
            assert_eq!(Encap::read(&data.settings()), Encap::none(), "{kind:?}");
        }
    }

    #[test]
    fn an_unknown_type_is_kept_and_never_taken_for_none() {
        let mut data = TunnelAttrs::empty(TunnelKind::Ipip);
        data.set(Setting::EncapType(3));
        data.set(Setting::EncapDport(6635));
        let read = Encap::read(&data.settings());
        assert_eq!(read.kind, EncapType::Other(3));
        assert_eq!(read.kind.to_string(), "unknown(3)");
        assert_eq!(read.dport, 6635);
        // A change of its options alone is refused, not turned into none.
        let err = EncapSpec {
            dport: Some(1),
            ..EncapSpec::default()
        }
        .resolve(TunnelKind::Ipip, &read)
        .unwrap_err();
        assert!(err.to_string().contains("does not know (3)"), "{err}");
        // Naming the encapsulation replaces it.
        let fou = EncapSpec {
            kind: Some(EncapType::Fou),
            dport: Some(1),
            ..EncapSpec::default()
        };
        assert_eq!(
            fou.resolve(TunnelKind::Ipip, &read).unwrap().kind,
            EncapType::Fou
        );
        assert_eq!(EncapType::parse("GUE").unwrap(), EncapType::Gue);
    }
}
