//! Tests of [`TunnelSettings`](super::TunnelSettings): written and read back for every
//! kind, the defaults, and what a change keeps (an unknown encapsulation included).

use super::*;

/// A change that does not touch the encapsulation keeps one rfou does not know, as the
/// kernel reported it: its type and options are sent back untouched, never as none.
#[test]
fn a_change_of_another_setting_keeps_an_unknown_encap() {
    for kind in TunnelKind::ALL {
        let mut attrs = TunnelAttrs::empty(kind);
        attrs.set(Setting::EncapType(3));
        attrs.set(Setting::EncapDport(6635));
        let change = TunnelSettings {
            ttl: Some(10),
            ..TunnelSettings::default()
        };
        change.write(&mut attrs, None, false);
        let encap = Encap::read(&attrs.settings());
        assert_eq!(encap.kind, EncapType::Other(3), "{kind:?}");
        assert_eq!(encap.dport, 6635, "{kind:?}");
    }
}

/// What is written reads back whole, for every kind, with every setting it has.
#[test]
fn settings_written_read_back_for_every_kind() {
    for kind in TunnelKind::ALL {
        let v6 = kind.ipv6_underlay();
        let (local, remote): (IpAddr, IpAddr) = if v6 {
            (
                "2001:db8::1".parse().unwrap(),
                "2001:db8::2".parse().unwrap(),
            )
        } else {
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap())
        };
        let mut given = TunnelSettings::defaults(kind);
        given.local = Some(local);
        given.remote = Some(remote);
        given.ttl = Some(9);
        if !v6 {
            given.tos = Some(0x10);
            given.pmtudisc = Some(false);
        } else {
            given.tclass = Some(Inherit::Inherit);
            given.flowlabel = Some(Inherit::Value(0xabcde));
            given.encaplimit = Some(EncapLimit::None);
        }
        if kind.is_gre() {
            given.ikey = Some(5);
            given.oseq = Some(true);
            given.icsum = Some(true);
        }
        if matches!(kind, TunnelKind::Gre | TunnelKind::GreTap) {
            given.ignore_df = Some(true);
        }
        if kind == TunnelKind::Sit {
            given.isatap = Some(true);
            given.proto = Some(41);
        }
        given.fwmark = Some(if v6 {
            Inherit::Inherit
        } else {
            Inherit::Value(7)
        });
        let mut attrs = TunnelAttrs::empty(kind);
        given.write(&mut attrs, Some(3), true);
        let mut read = TunnelSettings::read(kind, &attrs, Some("d".into()));
        read.dev = given.dev.clone();
        assert_eq!(read, given, "{kind:?}");
        assert_eq!(Read::from(&attrs).link, Some(3));
    }
}

#[test]
fn the_defaults_read_back_from_no_attributes_but_the_protocol_and_hop_limit() {
    for kind in TunnelKind::ALL {
        let mut attrs = TunnelAttrs::empty(kind);
        TunnelSettings::defaults(kind).write(&mut attrs, None, true);
        assert_eq!(
            TunnelSettings::read(kind, &attrs, None),
            TunnelSettings::defaults(kind),
            "{kind:?}"
        );
    }
}

#[test]
fn a_change_keeps_what_it_does_not_name() {
    let mut attrs = TunnelAttrs::empty(TunnelKind::Gre);
    let mut first = TunnelSettings::defaults(TunnelKind::Gre);
    first.ikey = Some(1);
    first.okey = Some(2);
    first.ocsum = Some(true);
    first.write(&mut attrs, None, true);
    let change = TunnelSettings {
        ttl: Some(3),
        ..TunnelSettings::default()
    };
    change.write(&mut attrs, None, false);
    let read = TunnelSettings::read(TunnelKind::Gre, &attrs, None);
    assert_eq!(
        (read.ikey, read.okey, read.ocsum, read.ttl),
        (Some(1), Some(2), Some(true), Some(3))
    );
    // As a whole tunnel, keys not given are cleared.
    TunnelSettings::defaults(TunnelKind::Gre).write(&mut attrs, None, true);
    let read = TunnelSettings::read(TunnelKind::Gre, &attrs, None);
    assert_eq!(
        (read.ikey, read.okey, read.ocsum),
        (None, None, Some(false))
    );
}
