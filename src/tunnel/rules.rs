//! The kernel's rules for tunnels, in one place, checked before anything is sent by every
//! path that makes or changes a tunnel (`tunnel add`, `tunnel change`, batches, `--atomic`,
//! the desired state's plan): the fallback devices, the kind of remote a tunnel is made with,
//! one tunnel per endpoints, and what each kind of tunnel takes.

use std::net::IpAddr;

use super::attrs::TunnelAttrs;
use super::keys::KEYS;
use super::kind::proto_word;
use super::mtu::mtu_range;
use super::settings::{Read, TunnelSettings};
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

/// `IFF_BROADCAST` and `IFF_POINTOPOINT`: how the kernel flags a tunnel by its remote.
const IFF_BROADCAST: u32 = 0x2;
const IFF_POINTOPOINT: u32 = 0x10;

/// Whether the kernel fixes a tunnel's kind of remote (none, one, multicast) when it is
/// made: ipip, sit and gre refuse a change between them (EINVAL), which takes a delete and
/// an add.
pub fn remote_class_fixed(kind: TunnelKind) -> bool {
    matches!(kind, TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Gre)
}

/// The flags the kernel gives a tunnel of `kind` made with `remote`: point-to-point for any
/// remote on ipip, sit and gre (set when the tunnel is bound to its underlay, and kept); a
/// gre tunnel to an IPv4 multicast group is broadcast as well (set when it is made). The
/// other kinds are not judged by their flags here.
pub(crate) fn remote_class(kind: TunnelKind, remote: Option<IpAddr>) -> u32 {
    match remote.filter(|a| !a.is_unspecified()) {
        None => 0,
        Some(IpAddr::V4(a)) if a.is_multicast() && kind == TunnelKind::Gre => {
            IFF_BROADCAST | IFF_POINTOPOINT
        }
        Some(_) => IFF_POINTOPOINT,
    }
}

/// The flags an ipip or gre change to `remote` asks the tunnel to have: broadcast for an
/// IPv4 multicast group, point-to-point for any other remote, none without one. The kernel
/// compares them with the tunnel's own (both bits) when the change gives the tunnel another
/// identity ([`Tunnel::identity`]).
fn class_asked(remote: Option<IpAddr>) -> u32 {
    match remote.filter(|a| !a.is_unspecified()) {
        None => 0,
        Some(IpAddr::V4(a)) if a.is_multicast() => IFF_BROADCAST,
        Some(_) => IFF_POINTOPOINT,
    }
}

/// The GRE key iproute2 gives a gre or gretap tunnel whose remote is an IPv4 multicast group,
/// in each direction where no key (or key 0) is given: the group's address, as `ip link add`,
/// `ip link change` and `ip tunnel add` do (`remote 239.1.1.1` makes `ikey 239.1.1.1 okey
/// 239.1.1.1`), so that the tunnels of two groups over one local address tell their packets
/// apart. `tunnel add`, `tunnel change` and the desired state all take it from here.
pub(crate) fn multicast_key(kind: TunnelKind, remote: Option<IpAddr>) -> Option<u32> {
    match (kind, remote) {
        (TunnelKind::Gre | TunnelKind::GreTap, Some(IpAddr::V4(group))) if group.is_multicast() => {
            Some(u32::from(group))
        }
        _ => None,
    }
}

fn describe_class(flags: u32) -> &'static str {
    if flags & IFF_BROADCAST != 0 {
        "a multicast remote"
    } else if flags & IFF_POINTOPOINT != 0 {
        "one remote address (point-to-point)"
    } else {
        "no remote address (it takes packets from any peer)"
    }
}

/// Why the kernel would refuse to change `tunnel` (as it reads now) in place into `after`
/// (the same tunnel with the attributes the change gives it), if it would:
/// `was made with one remote address (point-to-point) and would get none`.
///
/// sit checks every change: point-to-point, as made, exactly when the change gives a remote.
/// ipip and gre check only a change that gives the tunnel another identity (the kernel
/// finds it by its addresses, underlay device and input key; a change that keeps them finds
/// the tunnel itself): the class the remote asks for must be the tunnel's, both bits. A gre
/// tunnel to a multicast group is both broadcast and point-to-point, so none of its
/// identity changes in place.
pub fn remote_class_change(tunnel: &Tunnel, after: &Tunnel) -> Option<String> {
    let (now, asked) = match tunnel.kind {
        TunnelKind::Sit => (
            tunnel.flags & IFF_POINTOPOINT,
            remote_class(tunnel.kind, after.remote) & IFF_POINTOPOINT,
        ),
        TunnelKind::Ipip | TunnelKind::Gre if tunnel.identity() != after.identity() => (
            tunnel.flags & (IFF_BROADCAST | IFF_POINTOPOINT),
            class_asked(after.remote),
        ),
        _ => return None,
    };
    if now == asked {
        return None;
    }
    let kind = tunnel.kind.name();
    Some(if now & IFF_BROADCAST != 0 {
        format!(
            "it was made with a multicast remote, and the kernel keeps the local and remote \
             addresses, the underlay device and the input key of such a {kind} tunnel as made"
        )
    } else {
        format!(
            "it was made with {}, and the kernel does not change a {kind} tunnel to {}",
            describe_class(now),
            describe_class(asked)
        )
    })
}

/// Why the kernel would keep `tunnel`'s inner protocol where `after` asks for another, if
/// it would: ipip and sit keep the protocol they were made with (`ip link change ... mode`
/// answers success and changes nothing; measured on 6.1 and 7.2, 2026-12-06). ip6tnl
/// changes its own.
pub fn proto_change(tunnel: &Tunnel, after: &Tunnel) -> Option<String> {
    if !matches!(tunnel.kind, TunnelKind::Ipip | TunnelKind::Sit) {
        return None;
    }
    let (now, then) = (
        Read::from(&tunnel.attrs).proto,
        Read::from(&after.attrs).proto,
    );
    (now != then).then(|| {
        format!(
            "proto {} -> {}: the kernel keeps the inner protocol a {} tunnel was made with",
            proto_word(now),
            proto_word(then),
            tunnel.kind.name()
        )
    })
}

/// Why the kernel would not change `tunnel` in place into `after` (the same tunnel with
/// the attributes the change gives it), if it would not: its kind of remote
/// ([`remote_class_change`]) or its inner protocol ([`proto_change`]). Such a change takes
/// a delete and an add.
pub fn in_place_refusal(tunnel: &Tunnel, after: &Tunnel) -> Option<String> {
    remote_class_change(tunnel, after).or_else(|| proto_change(tunnel, after))
}

/// Refuses to change `tunnel` in place into `after` where the kernel would refuse it
/// (EINVAL, and nothing more) or keep part of it without a word, saying so before
/// anything is sent.
pub(crate) fn check_in_place(tunnel: &Tunnel, after: &Tunnel) -> Result<()> {
    match in_place_refusal(tunnel, after) {
        None => Ok(()),
        Some(why) => Err(Error::kernel(
            libc::EINVAL,
            format!(
                "cannot change tunnel \"{}\": {why}; delete it and add it again as it is to be",
                tunnel.name
            ),
        )),
    }
}

/// Whether two tunnels have what the kernel keeps unique: their kind, local and remote
/// addresses, underlay device and, for GRE, input key.
fn same_endpoints(a: &Tunnel, b: &Tunnel) -> bool {
    a.remote == b.remote
        && a.local == b.local
        && a.kind == b.kind
        && a.link == b.link
        && (!a.kind.is_gre() || a.ikey.unwrap_or(0) == b.ikey.unwrap_or(0))
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
        if key.get(settings).is_some() && !key.applies(kind) {
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
            "ignore-df needs nopmtudisc: the kernel does not clear DF on a tunnel that discovers the path MTU",
        ));
    }
    if settings.pmtudisc == Some(false) && settings.ttl.is_some_and(|t| t != 0) {
        return Err(Error::invalid(
            "a fixed ttl needs pmtudisc (as iproute2 says: ttl != 0 and nopmtudisc are incompatible)",
        ));
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

fn read_proto(kind: TunnelKind, attrs: &TunnelAttrs) -> Option<u8> {
    kind.is_ip().then(|| Read::from(attrs).proto)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::attrs::TunnelAttrs;
    use crate::tunnel::model::LinkState;

    fn tunnel(name: &str, kind: TunnelKind, remote: Option<&str>, flags: u32) -> Tunnel {
        let mut settings = TunnelSettings::defaults(kind);
        settings.remote = remote.map(|r| r.parse().unwrap());
        let mut attrs = TunnelAttrs::empty(kind);
        settings.write(&mut attrs, None, true);
        let link = LinkState {
            flags,
            ..LinkState::default()
        };
        Tunnel::new(name.into(), 1, kind, link, attrs)
    }

    /// `tunnel` with another remote, as a change would make it.
    fn to(tunnel: &Tunnel, remote: Option<&str>) -> Tunnel {
        let settings = TunnelSettings {
            remote: Some(remote.map_or("0.0.0.0", |r| r).parse().unwrap()),
            ..TunnelSettings::default()
        };
        let mut attrs = tunnel.attrs.clone();
        settings.write(&mut attrs, None, false);
        tunnel.with_attrs(attrs)
    }

    #[test]
    fn the_kind_of_remote_is_fixed_for_ipip_sit_and_gre() {
        let p2p = tunnel("t", TunnelKind::Sit, Some("192.0.2.2"), IFF_POINTOPOINT);
        assert!(remote_class_change(&p2p, &to(&p2p, None)).is_some());
        assert!(remote_class_change(&p2p, &to(&p2p, Some("192.0.2.3"))).is_none());
        let none = tunnel("t", TunnelKind::Sit, None, 0);
        let why = remote_class_change(&none, &to(&none, Some("192.0.2.9"))).unwrap();
        assert!(why.contains("no remote address"), "{why}");
        // sit has no multicast class: a multicast remote is one remote.
        assert!(remote_class_change(&p2p, &to(&p2p, Some("239.1.1.1"))).is_none());
        let gre = tunnel("g", TunnelKind::Gre, Some("192.0.2.2"), IFF_POINTOPOINT);
        assert!(remote_class_change(&gre, &to(&gre, Some("239.1.1.1"))).is_some());
        assert!(remote_class_change(&gre, &to(&gre, Some("192.0.2.3"))).is_none());
        let ip6 = tunnel("s", TunnelKind::Ip6Tnl, None, 0);
        assert!(remote_class_change(&ip6, &to(&ip6, Some("2001:db8::2"))).is_none());
    }

    /// A gre tunnel to a multicast group is broadcast and point-to-point as the kernel makes
    /// it: a change that keeps its identity is in place, any other is refused; an ipip
    /// tunnel to a group is point-to-point alone, so it may go to a unicast remote.
    #[test]
    fn a_multicast_gre_tunnel_keeps_its_identity() {
        let group = IFF_BROADCAST | IFF_POINTOPOINT;
        let gre = tunnel("g", TunnelKind::Gre, Some("239.1.1.4"), group);
        assert_eq!(remote_class(TunnelKind::Gre, gre.remote), group);
        assert!(remote_class_change(&gre, &gre).is_none());
        let ttl = TunnelSettings {
            ttl: Some(9),
            ..TunnelSettings::default()
        };
        let mut attrs = gre.attrs.clone();
        ttl.write(&mut attrs, None, false);
        assert!(remote_class_change(&gre, &gre.with_attrs(attrs)).is_none());
        for remote in [Some("239.1.1.5"), Some("192.0.2.2"), None] {
            let why = remote_class_change(&gre, &to(&gre, remote)).expect("refused");
            assert!(why.contains("made with a multicast remote"), "{why}");
        }
        let ipip = tunnel("i", TunnelKind::Ipip, Some("239.1.1.4"), IFF_POINTOPOINT);
        assert_eq!(remote_class(TunnelKind::Ipip, ipip.remote), IFF_POINTOPOINT);
        assert!(remote_class_change(&ipip, &to(&ipip, Some("192.0.2.7"))).is_none());
        assert!(remote_class_change(&ipip, &to(&ipip, Some("239.1.1.5"))).is_some());
    }

    /// ipip and sit keep the inner protocol they were made with; ip6tnl changes its own.
    #[test]
    fn ipip_and_sit_keep_their_inner_protocol() {
        let proto = |tunnel: &Tunnel, proto: u8| {
            let settings = TunnelSettings {
                proto: Some(proto),
                ..TunnelSettings::default()
            };
            let mut attrs = tunnel.attrs.clone();
            settings.write(&mut attrs, None, false);
            tunnel.with_attrs(attrs)
        };
        for kind in [TunnelKind::Ipip, TunnelKind::Sit] {
            let t = tunnel("t", kind, Some("192.0.2.2"), IFF_POINTOPOINT);
            let why = in_place_refusal(&t, &proto(&t, 137)).expect("refused");
            assert!(why.contains("-> mplsip"), "{why}");
            assert!(in_place_refusal(&t, &t).is_none());
        }
        let ip6 = tunnel(
            "x",
            TunnelKind::Ip6Tnl,
            Some("2001:db8::2"),
            IFF_POINTOPOINT,
        );
        assert!(in_place_refusal(&ip6, &proto(&ip6, 41)).is_none());
    }

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
        let ok = TunnelSettings {
            ignore_df: Some(true),
            pmtudisc: Some(false),
            ..TunnelSettings::default()
        };
        check_settings(&ok, TunnelKind::Gre).unwrap();
        for name in ["tunl0", "gre0", "ip6_vti0"] {
            assert!(is_fallback_name(name));
        }
    }
}
