//! What the kernel changes in place and what only a delete and an add can change, in one
//! place: the kind of remote a tunnel is made with (none, one, a multicast group) and the
//! identity ipip and gre are found by, and what ipip and sit keep as made (the inner
//! protocol, sit's ISATAP flag). The plan of the desired state asks it whether a change is a
//! replace; `tunnel change` and batches, to refuse one before anything is sent.

use std::net::IpAddr;

use super::kind::proto_word;
use super::settings::Read;
use super::{Tunnel, TunnelKind};
use crate::error::{Error, Result};
use rfou_uapi::tunnel::SIT_ISATAP;

/// `IFF_BROADCAST` and `IFF_POINTOPOINT`: how the kernel flags a tunnel by its remote.
pub(crate) const IFF_BROADCAST: u32 = 0x2;
pub(crate) const IFF_POINTOPOINT: u32 = 0x10;

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

/// Why the kernel would keep what `tunnel` was made with where `after` asks for another
/// value, if it would: ipip and sit keep the inner protocol they were made with, and sit
/// its ISATAP flag (`ip link change ... mode` or `[no]isatap` answers success and changes
/// nothing). ip6tnl changes its own protocol.
pub fn kept_setting_change(tunnel: &Tunnel, after: &Tunnel) -> Option<String> {
    if !matches!(tunnel.kind, TunnelKind::Ipip | TunnelKind::Sit) {
        return None;
    }
    let (now, then) = (Read::from(&tunnel.attrs), Read::from(&after.attrs));
    let kind = tunnel.kind.name();
    if now.proto != then.proto {
        return Some(format!(
            "proto {} -> {}: the kernel keeps the inner protocol a {kind} tunnel was made with",
            proto_word(now.proto),
            proto_word(then.proto),
        ));
    }
    let isatap = |r: &Read| r.sit_flags & SIT_ISATAP != 0;
    (tunnel.kind == TunnelKind::Sit && isatap(&now) != isatap(&then)).then(|| {
        format!(
            "isatap {} -> {}: the kernel keeps the ISATAP flag a sit tunnel was made with",
            isatap(&now),
            isatap(&then)
        )
    })
}

/// Why the kernel would not change `tunnel` in place into `after` (the same tunnel with
/// the attributes the change gives it), if it would not: its kind of remote
/// ([`remote_class_change`]) or a setting it keeps as made ([`kept_setting_change`]). Such a
/// change takes a delete and an add.
pub fn in_place_refusal(tunnel: &Tunnel, after: &Tunnel) -> Option<String> {
    remote_class_change(tunnel, after).or_else(|| kept_setting_change(tunnel, after))
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

/// A tunnel of `kind` to `remote` with the device flags `flags`, every other setting at its
/// default: what the unit tests of the kernel's rules judge.
#[cfg(test)]
pub(crate) fn test_tunnel(
    name: &str,
    kind: TunnelKind,
    remote: Option<&str>,
    flags: u32,
) -> Tunnel {
    let mut settings = super::TunnelSettings::defaults(kind);
    settings.remote = remote.map(|r| r.parse().unwrap());
    let mut attrs = super::attrs::TunnelAttrs::empty(kind);
    settings.write(&mut attrs, None, true);
    let link = super::model::LinkState {
        flags,
        ..Default::default()
    };
    Tunnel::new(name.into(), 1, kind, link, attrs)
}

#[cfg(test)]
mod tests {
    use super::test_tunnel as tunnel;
    use super::*;
    use crate::tunnel::TunnelSettings;

    /// `tunnel` as a change of `settings` would make it.
    fn changed(tunnel: &Tunnel, settings: TunnelSettings) -> Tunnel {
        let mut attrs = tunnel.attrs.clone();
        settings.write(&mut attrs, None, false);
        tunnel.with_attrs(attrs)
    }

    /// `tunnel` with another remote, as a change would make it.
    fn to(tunnel: &Tunnel, remote: Option<&str>) -> Tunnel {
        let settings = TunnelSettings {
            remote: Some(remote.map_or("0.0.0.0", |r| r).parse().unwrap()),
            ..TunnelSettings::default()
        };
        changed(tunnel, settings)
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
        assert!(remote_class_change(&gre, &changed(&gre, ttl)).is_none());
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
            changed(tunnel, settings)
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

    /// sit keeps the ISATAP flag it was made with, both ways.
    #[test]
    fn sit_keeps_its_isatap_flag() {
        let isatap = |tunnel: &Tunnel, on: bool| {
            let settings = TunnelSettings {
                isatap: Some(on),
                ..TunnelSettings::default()
            };
            changed(tunnel, settings)
        };
        let plain = tunnel("s", TunnelKind::Sit, None, 0);
        let made = isatap(&plain, true);
        let why = in_place_refusal(&plain, &made).expect("refused");
        assert!(why.contains("isatap false -> true"), "{why}");
        let why = in_place_refusal(&made, &plain).expect("refused");
        assert!(why.contains("isatap true -> false"), "{why}");
        assert!(in_place_refusal(&made, &made).is_none());
    }
}
