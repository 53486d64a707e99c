//! The kernel's rules for tunnels, in one place, checked before anything is sent by every
//! path that makes or changes a tunnel (`tunnel add`, `tunnel change`, batches, `--atomic`,
//! the desired state's plan): the fallback devices, one tunnel per endpoints, what each kind
//! of tunnel takes, and (from `in_place.rs`, re-exported here) what the kernel changes in
//! place: the kind of remote a tunnel is made with, and ipip's and sit's inner protocol.

use crate::maps::HashMap;
use std::net::IpAddr;

pub(crate) use super::in_place::{check_in_place, remote_class};
pub use super::in_place::{in_place_refusal, kept_setting_change, remote_class_change};

use super::attrs::TunnelAttrs;
use super::keys::KEYS;
use super::mtu::mtu_range;
use super::settings::{multicast_key, Inherit, Read, TunnelSettings};
use super::{Tunnel, TunnelKind};
use crate::error::{Error, Result};

/// The devices the tunnel modules make themselves in every namespace they are loaded in:
/// each catches the packets no other tunnel of its kind takes. The kernel refuses to change
/// one (after setting part of the change) and skips it when deleting (answering success).
/// rfou never manages, changes or prunes them.
pub const FALLBACK_DEVICES: &[&str] = &[
    "tunl0",
    "sit0",
    "ip6tnl0",
    "gre0",
    "gretap0",
    "erspan0",
    "ip6gre0",
    "ip6erspan0",
    "ip_vti0",
    "ip6_vti0",
];

/// The fallback device of `kind`'s module (ip6gretap has none of its own).
fn fallback_name(kind: TunnelKind) -> Option<&'static str> {
    match kind {
        TunnelKind::Ipip => Some("tunl0"),
        TunnelKind::Sit => Some("sit0"),
        TunnelKind::Ip6Tnl => Some("ip6tnl0"),
        TunnelKind::Gre => Some("gre0"),
        TunnelKind::GreTap => Some("gretap0"),
        TunnelKind::Ip6Gre => Some("ip6gre0"),
        TunnelKind::Ip6GreTap => None,
    }
}

/// Whether `name` is a tunnel module's fallback device (`tunl0`, `gre0`...).
pub fn is_fallback_name(name: &str) -> bool {
    FALLBACK_DEVICES.contains(&name)
}

/// Whether `tunnel` is its module's fallback device.
pub fn is_fallback(tunnel: &Tunnel) -> bool {
    fallback_name(tunnel.kind) == Some(tunnel.name.as_str())
}

/// Refuses to `verb` a fallback device, saying why, before anything is sent.
pub fn refuse_fallback(tunnel: &Tunnel, verb: &str) -> Result<()> {
    if !is_fallback(tunnel) {
        return Ok(());
    }
    let module = tunnel.kind.module();
    let why = if verb == "delete" {
        format!("it goes only with the module (`modprobe -r {module}`)")
    } else {
        "the kernel keeps it without settings of its own".to_string()
    };
    Err(Error::invalid(format!(
        "cannot {verb} tunnel \"{}\": it is the fallback device of the {module} module, which \
         the kernel makes in every namespace; {why}. Make a tunnel of your own with `rfou tunnel add`",
        tunnel.name
    )))
}

/// What the kernel keeps unique among tunnels: their kind, local and remote addresses,
/// underlay device and, for GRE, input key (none is key 0).
type Endpoints = (TunnelKind, Option<IpAddr>, Option<IpAddr>, Option<u32>, u32);

fn endpoints(t: &Tunnel) -> Endpoints {
    let key = if t.kind.is_gre() {
        t.ikey.unwrap_or(0)
    } else {
        0
    };
    (t.kind, t.local, t.remote, t.link, key)
}

/// Whether two tunnels have what the kernel keeps unique ([`Endpoints`]).
fn same_endpoints(a: &Tunnel, b: &Tunnel) -> bool {
    endpoints(a) == endpoints(b)
}

/// Tunnels filed by their endpoints, for a run that checks many tunnels against many: a
/// list would compare each of a thousand additions with every tunnel before it.
#[derive(Debug, Default)]
pub(crate) struct ByEndpoints(HashMap<Endpoints, Vec<Tunnel>>);

impl ByEndpoints {
    pub(crate) fn new(tunnels: &[Tunnel]) -> Self {
        let mut filed = ByEndpoints::default();
        for t in tunnels {
            filed.insert(t.clone());
        }
        filed
    }

    pub(crate) fn insert(&mut self, tunnel: Tunnel) {
        self.0.entry(endpoints(&tunnel)).or_default().push(tunnel);
    }

    /// Takes out the tunnel named as `tunnel` is, filed under `tunnel`'s endpoints.
    pub(crate) fn remove(&mut self, tunnel: &Tunnel) {
        if let Some(filed) = self.0.get_mut(&endpoints(tunnel)) {
            filed.retain(|t| t.name != tunnel.name);
        }
    }

    /// [`check_endpoints`] against the tunnels filed; `what` and `place` are only written
    /// out for a refusal.
    pub(crate) fn check(
        &self,
        what: impl FnOnce() -> String,
        tunnel: &Tunnel,
        place: impl FnOnce() -> String,
    ) -> Result<()> {
        let same = self
            .0
            .get(&endpoints(tunnel))
            .map_or(&[][..], Vec::as_slice);
        match endpoints_taken_by(tunnel, same) {
            None => Ok(()),
            Some(_) => check_endpoints(&what(), tunnel, same, &place()),
        }
    }
}

/// The tunnel among `others` (by name, not `tunnel` itself) that has `tunnel`'s endpoints,
/// if one has.
pub fn endpoints_taken_by<'a>(tunnel: &Tunnel, others: &'a [Tunnel]) -> Option<&'a Tunnel> {
    others
        .iter()
        .find(|other| other.name != tunnel.name && same_endpoints(tunnel, other))
}

/// Refuses `tunnel` (as it is to be) when another tunnel of `others` has its kind and
/// endpoints: what the kernel would answer (EEXIST), said before anything is sent. `what`
/// begins the message (`cannot change tunnel "t1"`), `place` names the namespace.
pub(crate) fn check_endpoints(
    what: &str,
    tunnel: &Tunnel,
    others: &[Tunnel],
    place: &str,
) -> Result<()> {
    let Some(other) = endpoints_taken_by(tunnel, others) else {
        return Ok(());
    };
    let show = |a: Option<IpAddr>| a.map_or("any".to_string(), |a| a.to_string());
    // A tunnel not made yet (no index) is one the same run makes before.
    let (whose, remedy) = if other.ifindex == 0 {
        (
            format!("\"{}\", which the same run makes,", other.name),
            "change one of them".to_string(),
        )
    } else {
        (
            format!("\"{}\" in {place}", other.name),
            format!("change them, or delete \"{}\"", other.name),
        )
    };
    Err(Error::kernel(
        libc::EEXIST,
        format!(
            "{what}: {} tunnel {whose} already has the same local and remote addresses \
             (local {}, remote {}){}; the kernel allows one tunnel per endpoints: {remedy}",
            tunnel.kind.name(),
            show(tunnel.local),
            show(tunnel.remote),
            if tunnel.kind.is_gre() { " and key" } else { "" },
        ),
    ))
}

/// Checks what can be checked of `settings` for a tunnel of `kind` without the kernel: that
/// the kind has each setting given, addresses of the underlay's family, and the pairs the
/// kernel or iproute2 refuse.
pub fn check_settings(settings: &TunnelSettings, kind: TunnelKind) -> Result<()> {
    for key in KEYS.iter().filter(|k| !k.shorthand) {
        // `applies` first: `get` writes the value out (an address as text) to say it is set.
        if !key.applies(kind) && key.get(settings).is_some() {
            let name = key.name;
            return Err(Error::invalid(match name {
                "tos" => format!(
                    "tos is an option of the IPv4 underlays; {} tunnels have an IPv6 underlay (say tclass)",
                    kind.name()
                ),
                "ikey" | "okey" | "iseq" | "oseq" | "icsum" | "ocsum" => format!(
                    "key, ikey, okey, seq and csum are GRE options; {} tunnels have no key",
                    kind.name()
                ),
                _ => format!("{name} is not an option of {} tunnels", kind.name()),
            }));
        }
    }
    let v6 = kind.ipv6_underlay();
    // Only the IPv6 tunnels can mark packets with the mark of the packet they carry
    // (IP6_TNL_F_USE_ORIG_FWMARK); the IPv4 ones take a number, as iproute2 reads them.
    if settings.fwmark == Some(Inherit::Inherit) && !v6 {
        return Err(Error::invalid(format!(
            "fwmark inherit is an option of the IPv6 underlays (ip6tnl, ip6gre, ip6gretap); {} tunnels take a number",
            kind.name()
        )));
    }
    for (word, addr) in [("remote", settings.remote), ("local", settings.local)] {
        let Some(addr) = addr.filter(|a| !a.is_unspecified()) else {
            continue;
        };
        if addr.is_ipv6() != v6 {
            let want = if v6 { "IPv6" } else { "IPv4" };
            return Err(Error::invalid(format!(
                "{word} {addr}: {} tunnels need an {want} address",
                kind.name()
            )));
        }
    }
    if settings.ignore_df == Some(true) && settings.pmtudisc != Some(false) {
        return Err(Error::invalid(
            "ignore-df needs nopmtudisc (to turn pmtudisc on, say noignore-df with it): the kernel does not clear DF on a tunnel that discovers the path MTU",
        ));
    }
    // ip refuses a fixed TTL without path MTU discovery on ipip and sit (link_iptnl.c); on
    // gre and gretap it takes the pair (link_gre.c), and so does the kernel.
    if matches!(kind, TunnelKind::Ipip | TunnelKind::Sit)
        && settings.pmtudisc == Some(false)
        && settings.ttl.is_some_and(|t| t != 0)
    {
        return Err(Error::invalid(format!(
            "a fixed ttl needs pmtudisc on {} tunnels (as iproute2 says: ttl != 0 and nopmtudisc are incompatible)",
            kind.name()
        )));
    }
    match (kind, settings.proto) {
        (TunnelKind::Ipip | TunnelKind::Sit, Some(proto)) => {
            super::kind::parse_proto(kind, &super::kind::proto_word(proto))?;
        }
        (TunnelKind::Ip6Tnl, Some(proto)) if ![0, 4, 41].contains(&proto) => {
            return Err(Error::invalid(format!(
                "an ip6tnl tunnel carries IPv4 (ipip6), IPv6 (ip6ip6) or either (any), not protocol {proto}"
            )))
        }
        _ => {}
    }
    Ok(())
}

/// Checks a tunnel as it is to be, made or changed (its attributes whole, and the MTU asked
/// for it, if any): what the kernel would refuse, or keep otherwise than asked without
/// saying so, that no single setting shows. A gretap or ip6gretap tunnel needs a remote
/// address (the kernel refuses the unspecified one); a gre or gretap tunnel to a multicast group
/// needs a local address (the kernel refuses a gre one; iproute2 both, "A broadcast tunnel
/// requires a source address"); an MTU must be within what the kind takes ([`mtu_range`]).
pub(crate) fn check_tunnel(kind: TunnelKind, attrs: &TunnelAttrs, mtu: Option<u32>) -> Result<()> {
    let read = Read::from(attrs);
    if kind.is_tap() && read.remote.is_none() {
        return Err(Error::invalid(format!(
            "a {} tunnel needs a remote address: the kernel refuses remote any for the tunnels that carry Ethernet frames",
            kind.name()
        )));
    }
    if multicast_key(kind, read.remote).is_some() && read.local.is_none() {
        return Err(Error::invalid(format!(
            "remote {}: a {} tunnel to a multicast group needs a local address (the group's packets are sent from it)",
            read.remote.expect("a remote"),
            kind.name()
        )));
    }
    if let Some(mtu) = mtu {
        check_mtu(kind, attrs, mtu)?;
    }
    Ok(())
}

/// Refuses an MTU a tunnel of `kind` with `attrs` cannot have: the kernel refuses it on a
/// change, and on a creation keeps another without saying so.
pub(crate) fn check_mtu(kind: TunnelKind, attrs: &TunnelAttrs, mtu: u32) -> Result<()> {
    let range = mtu_range(kind, attrs);
    if range.contains(&mtu) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "mtu {mtu} is out of range: {} takes {} to {}{}",
        match (kind, read_proto(kind, attrs)) {
            (TunnelKind::Ip6Tnl, Some(proto)) => format!(
                "an ip6tnl tunnel of mode {}",
                super::TunnelMode {
                    kind,
                    proto: Some(proto)
                }
                .word()
            ),
            _ => format!("a {} tunnel", kind.name()),
        },
        range.start(),
        range.end(),
        if Read::from(attrs).encap.kind == super::EncapType::None {
            String::new()
        } else {
            " with its encapsulation".to_string()
        }
    )))
}

/// Refuses an MTU above the largest the kernel takes for the device, where it holds one
/// (`IFLA_MAX_MTU`, read with the tunnel): the kernel checks it before the tunnel's own
/// range. ip6tnl sets it when the tunnel is made, from the encapsulation it has then, and
/// keeps it through every change: an ip6ip6 tunnel made with GUE (65523) and changed to no
/// encapsulation refuses the MTUs up to 65535 that [`check_mtu`] now allows. `attrs` are
/// the tunnel's as the change makes them.
pub(crate) fn check_max_mtu(tunnel: &Tunnel, attrs: &TunnelAttrs, mtu: u32) -> Result<()> {
    let Some(max) = tunnel.max_mtu.filter(|max| mtu > *max) else {
        return Ok(());
    };
    let range = mtu_range(tunnel.kind, attrs);
    let more = if *range.end() > max {
        format!(
            "; made anew as it is to be, it would take up to {}: delete it and add it again to have more",
            range.end()
        )
    } else {
        String::new()
    };
    Err(Error::invalid(format!(
        "mtu {mtu} is more than tunnel \"{}\" takes: the kernel keeps it at most {max}, the largest its encapsulation allowed when it was made{more}",
        tunnel.name
    )))
}

fn read_proto(kind: TunnelKind, attrs: &TunnelAttrs) -> Option<u8> {
    kind.is_ip().then(|| Read::from(attrs).proto)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::in_place::{test_tunnel as tunnel, IFF_POINTOPOINT};

    #[test]
    fn endpoints_are_unique_per_kind() {
        let a = tunnel("a", TunnelKind::Ipip, Some("192.0.2.2"), IFF_POINTOPOINT);
        let b = tunnel("b", TunnelKind::Ipip, Some("192.0.2.2"), IFF_POINTOPOINT);
        let c = tunnel("c", TunnelKind::Gre, Some("192.0.2.2"), IFF_POINTOPOINT);
        assert_eq!(
            endpoints_taken_by(&a, &[b.clone(), c.clone()])
                .unwrap()
                .name,
            "b"
        );
        assert!(endpoints_taken_by(&a, &[a.clone(), c]).is_none());
        let err = check_endpoints("cannot x", &a, &[b], "this namespace").unwrap_err();
        assert_eq!(err.errno(), Some(libc::EEXIST));
    }

    #[test]
    fn an_mtu_above_the_largest_the_kernel_holds_is_refused() {
        let mut t = tunnel(
            "z6",
            TunnelKind::Ip6Tnl,
            Some("2001:db8::2"),
            IFF_POINTOPOINT,
        );
        // Plain ip6ip6 takes up to 65535; the kernel holds 65523 (made with GUE).
        assert_eq!(*mtu_range(t.kind, &t.attrs).end(), 65535);
        check_max_mtu(&t, &t.attrs, 65535).unwrap();
        t.max_mtu = Some(65523);
        check_max_mtu(&t, &t.attrs, 65523).unwrap();
        let err = check_max_mtu(&t, &t.attrs, 65524).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(
            err.to_string(),
            "mtu 65524 is more than tunnel \"z6\" takes: the kernel keeps it at most 65523, the largest its encapsulation allowed when it was made; made anew as it is to be, it would take up to 65535: delete it and add it again to have more"
        );
    }

    #[test]
    fn tunnels_filed_by_endpoints_refuse_as_the_list_does() {
        let a = tunnel("a", TunnelKind::Ipip, Some("192.0.2.2"), IFF_POINTOPOINT);
        let b = tunnel("b", TunnelKind::Ipip, Some("192.0.2.2"), IFF_POINTOPOINT);
        let c = tunnel("c", TunnelKind::Gre, Some("192.0.2.2"), IFF_POINTOPOINT);
        let d = tunnel("d", TunnelKind::Ipip, Some("192.0.2.3"), IFF_POINTOPOINT);
        let mut filed = ByEndpoints::new(&[b.clone(), c, d]);
        let what = || "cannot x".to_string();
        let place = || "this namespace".to_string();
        let err = filed.check(what, &a, place).unwrap_err();
        let listed = check_endpoints("cannot x", &a, std::slice::from_ref(&b), "this namespace")
            .unwrap_err();
        assert_eq!(err, listed);
        // A tunnel is not refused for its own endpoints.
        filed.check(what, &b, place).unwrap();
        filed.remove(&b);
        filed.check(what, &a, place).unwrap();
        filed.insert(a.clone());
        assert_eq!(
            filed.check(what, &b, place).unwrap_err().errno(),
            Some(libc::EEXIST)
        );
    }

    #[test]
    fn settings_a_kind_has_not_are_refused() {
        let tos = TunnelSettings {
            tos: Some(4),
            ..TunnelSettings::default()
        };
        assert!(check_settings(&tos, TunnelKind::Ip6Gre).is_err());
        check_settings(&tos, TunnelKind::Gre).unwrap();
        let key = TunnelSettings {
            ikey: Some(4),
            ..TunnelSettings::default()
        };
        assert!(check_settings(&key, TunnelKind::Ipip)
            .unwrap_err()
            .to_string()
            .contains("GRE options"));
        let v6 = TunnelSettings {
            remote: Some("2001:db8::1".parse().unwrap()),
            ..TunnelSettings::default()
        };
        assert!(check_settings(&v6, TunnelKind::Ipip).is_err());
        let ignore = TunnelSettings {
            ignore_df: Some(true),
            ..TunnelSettings::default()
        };
        assert!(check_settings(&ignore, TunnelKind::Gre).is_err());
        // A fixed TTL without path MTU discovery: ip refuses it on ipip and sit, takes it on
        // gre and gretap.
        let fixed = TunnelSettings {
            ttl: Some(64),
            pmtudisc: Some(false),
            ..TunnelSettings::default()
        };
        for kind in [TunnelKind::Ipip, TunnelKind::Sit] {
            let err = check_settings(&fixed, kind).unwrap_err().to_string();
            assert!(err.contains("a fixed ttl needs pmtudisc"), "{err}");
        }
        for kind in [TunnelKind::Gre, TunnelKind::GreTap] {
            check_settings(&fixed, kind).unwrap();
        }
        let ok = TunnelSettings {
            ignore_df: Some(true),
            pmtudisc: Some(false),
            ..TunnelSettings::default()
        };
        check_settings(&ok, TunnelKind::Gre).unwrap();
        let inherit = TunnelSettings {
            fwmark: Some(Inherit::Inherit),
            ..TunnelSettings::default()
        };
        for kind in [
            TunnelKind::Ip6Tnl,
            TunnelKind::Ip6Gre,
            TunnelKind::Ip6GreTap,
        ] {
            check_settings(&inherit, kind).unwrap();
        }
        for kind in [
            TunnelKind::Ipip,
            TunnelKind::Sit,
            TunnelKind::Gre,
            TunnelKind::GreTap,
        ] {
            let err = check_settings(&inherit, kind).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("fwmark inherit is an option of the IPv6 underlays"),
                "{err}"
            );
        }
        let mark = TunnelSettings {
            fwmark: Some(Inherit::Value(7)),
            ..TunnelSettings::default()
        };
        check_settings(&mark, TunnelKind::Ipip).unwrap();
        for name in ["tunl0", "gre0", "ip6_vti0"] {
            assert!(is_fallback_name(name));
        }
    }
}
