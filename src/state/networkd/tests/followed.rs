//! Where networkd 252 keeps, ignores or refuses a line other than a reader taking the
//! file's last word would: the import follows networkd, and names what it leaves.

use super::*;

#[test]
fn the_first_kind_is_kept_and_a_later_other_one_named() {
    let got = one(
        "t.netdev",
        "[NetDev]\nName=t1\nKind=ipip\nKind=bogus\nKind=gre\nKind=ipip\n[Tunnel]\nIndependent=yes\n",
    );
    assert!(got.text.contains("mode = \"ipip\""), "{}", got.text);
    let said = notes(&got);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].starts_with("t.netdev:4: Kind=bogus: not a kind of netdev"));
    assert!(said[1].starts_with("t.netdev:5: Kind=gre: line 3 says Kind=ipip first"));
    // A word that is no kind does not hide the kind after it.
    let got = one(
        "t.netdev",
        "[NetDev]\nName=t1\nKind=bogus\nKind=sit\n[Tunnel]\nIndependent=yes\n",
    );
    assert!(got.text.contains("mode = \"sit\""), "{}", got.text);
    assert!(refused("t.netdev", "[NetDev]\nName=t1\nKind=bogus\n")
        .starts_with("t.netdev: no Kind= in [NetDev] names a kind"));
}

#[test]
fn a_tunnel_line_names_one_tunnel_and_one_networkd_refuses_is_named() {
    let netdev = |name: &str| format!("[NetDev]\nName={name}\nKind=ipip\n");
    let got = import(&[
        ("1.netdev", &netdev("t1")),
        ("2.netdev", &netdev("t2")),
        (
            "e.network",
            "[Match]\nName=eth0\n[Network]\nTunnel=t1 t2\nTunnel=t2\nTunnel=\n",
        ),
    ])
    .unwrap();
    let said = notes(&got);
    // t1 is on no device: its only line is ignored; t2 is on eth0.
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said[0].starts_with("1.netdev:2: Name=t1: networkd makes the tunnel on the device"));
    assert!(said[1].starts_with(
        "e.network:4: Tunnel=t1 t2: it holds white space, not a device name: networkd ignores the line"
    ));
    assert!(said[2].starts_with("e.network:6: Tunnel=: it is empty"));
    assert_eq!(
        got.text.matches("dev = \"eth0\"").count(),
        1,
        "{}",
        got.text
    );
    assert!(
        got.text.contains("# e.network:4: Tunnel=t1 t2: "),
        "{}",
        got.text
    );
}

/// `Local=` and `Remote=` are read in file order: a line of another family than the first
/// address's is ignored; the tunnels `netdev_tunnel_verify` refuses are errors.
#[test]
fn addresses_are_read_as_networkd_reads_them_and_refused_where_it_refuses() {
    // ipip: the IPv6 remote is ignored, the tunnel is made with remote any.
    let got = one(
        "t.netdev",
        &tunnel("ipip", "Local=192.0.2.1\nRemote=2001:db8::2"),
    );
    assert!(got.text.contains("local = \"192.0.2.1\""), "{}", got.text);
    assert!(!got.text.contains("remote ="), "{}", got.text);
    let said = notes(&got);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].starts_with(
        "t.netdev:7: Remote=2001:db8::2: 2001:db8::2 is IPv6, and Local=192.0.2.1 (line 6) made \
         the tunnel IPv4 first: networkd ignores this line"
    ));
    // A second Remote= of another family: the first is kept.
    let got = one(
        "t.netdev",
        &tunnel("gre", "Remote=192.0.2.2\nRemote=2001:db8::2"),
    );
    assert!(got.text.contains("remote = \"192.0.2.2\""), "{}", got.text);
    // An unset address lets the next line set the family again.
    let got = one(
        "t.netdev",
        &tunnel("gre", "Remote=2001:db8::2\nRemote=\nRemote=192.0.2.3"),
    );
    assert!(got.text.contains("remote = \"192.0.2.3\""), "{}", got.text);
    assert!(got.notes.is_empty(), "{:?}", notes(&got));
    for (kind, lines, says) in [
        (
            "gretap",
            "",
            "t.netdev:2: Name=t1: networkd refuses a gretap tunnel without a Remote= IPv4 address",
        ),
        (
            "ip6gretap",
            "Local=2001:db8::1",
            "t.netdev:2: Name=t1: networkd refuses a ip6gretap tunnel without a Remote= IPv6 address",
        ),
        (
            "ip6tnl",
            "Mode=any",
            "t.netdev:2: Name=t1: networkd refuses a ip6tnl tunnel without an IPv6 Local= or Remote=",
        ),
        (
            "ip6tnl",
            "Mode=any\nRemote=192.0.2.2",
            "t.netdev:7: Remote=192.0.2.2: networkd refuses a ip6tnl tunnel with an IPv4 address",
        ),
        (
            "ipip",
            "Remote=2001:db8::1\nRemote=192.0.2.1",
            "t.netdev:6: Remote=2001:db8::1: networkd refuses a ipip tunnel with an IPv6 address",
        ),
        (
            "ipip",
            "Local=dhcp4",
            "t.netdev:6: Local=dhcp4: networkd refuses a ipip tunnel with a Local= address type and Independent=",
        ),
        (
            "ipip",
            "Independent=no\nAssignToLoopback=yes\nLocal=slaac",
            "t.netdev:8: Local=slaac: networkd refuses a ipip tunnel with an IPv6 address",
        ),
        (
            "gre",
            "Independent=no\nAssignToLoopback=yes\nLocal=dhcp4",
            "t.netdev:8: Local=dhcp4: networkd refuses a gre tunnel with a Local= address type",
        ),
    ] {
        let err = refused("t.netdev", &tunnel(kind, lines));
        assert!(err.starts_with(says), "{kind} {lines:?}: {err}");
        assert!(!err.contains("fault of rfou"), "{err}");
    }
}

/// A gretap or ip6gretap without `MACAddress=` gets networkd's stable address, which rfou
/// does not give: named on its name, as `MACAddress=` is named where given.
#[test]
fn the_mac_address_networkd_gives_a_tap_tunnel_is_named() {
    for kind in ["gretap", "ip6gretap"] {
        let remote = if kind == "gretap" {
            "192.0.2.2"
        } else {
            "2001:db8::2"
        };
        for mac in ["", "\nMACAddress="] {
            let text = format!("[NetDev]\nName=t1\nKind={kind}{mac}\n[Tunnel]\nRemote={remote}\n");
            let got = import(&[
                ("t.netdev", &text),
                ("e.network", "[Match]\nName=eth0\n[Network]\nTunnel=t1\n"),
            ])
            .unwrap();
            let said = notes(&got);
            assert_eq!(said.len(), 1, "{said:?}");
            assert!(said[0].starts_with(&format!(
                "t.netdev:2: Name=t1: networkd gives a {kind} device a MAC address of its own"
            )));
            assert!(said[0].ends_with("the kernel picks one"), "{said:?}");
        }
        // MACAddress=none: the kernel's, as rfou makes it; an address given is named there.
        for (mac, count) in [("none", 0), ("02:00:00:00:00:01", 1)] {
            let text = format!(
                "[NetDev]\nName=t1\nKind={kind}\nMACAddress={mac}\n[Tunnel]\nIndependent=yes\nRemote={remote}\n"
            );
            let said = notes(&one("t.netdev", &text));
            assert_eq!(said.len(), count, "{said:?}");
            assert!(said
                .iter()
                .all(|n| n.starts_with("t.netdev:4: MACAddress=")));
        }
    }
    // gre and ip6gre are no Ethernet devices: no address.
    let said = notes(&one("t.netdev", &tunnel("gre", "")));
    assert!(said.is_empty(), "{said:?}");
}

/// networkd sends no GRE key to a multicast group where none is given; rfou gives the
/// group: named on the Remote= line.
#[test]
fn a_gre_tunnel_to_a_multicast_group_without_a_key_is_named() {
    for (kind, lines, says) in [
        (
            "gre",
            "Local=192.0.2.1\nRemote=239.1.1.1",
            Some("(ikey, okey)"),
        ),
        (
            "gretap",
            "Local=192.0.2.1\nRemote=239.1.1.1\nKey=0",
            Some("(ikey, okey)"),
        ),
        (
            "gre",
            "Local=192.0.2.1\nRemote=239.1.1.1\nInputKey=5",
            Some("(okey)"),
        ),
        ("gre", "Local=192.0.2.1\nRemote=239.1.1.1\nKey=5", None),
        ("gre", "Remote=192.0.2.2", None),
    ] {
        let said: Vec<String> = notes(&one("t.netdev", &tunnel(kind, lines)))
            .into_iter()
            .filter(|n| n.contains("Remote="))
            .collect();
        match says {
            None => assert!(said.is_empty(), "{kind} {lines:?}: {said:?}"),
            Some(keys) => {
                assert_eq!(said.len(), 1, "{kind} {lines:?}: {said:?}");
                let start = format!(
                    "t.netdev:7: Remote=239.1.1.1: networkd makes this {kind} tunnel to a \
                     multicast group without a key {keys}; rfou, as ip does, gives it the group"
                );
                assert!(said[0].starts_with(&start), "{said:?}");
            }
        }
    }
}

/// A port networkd cannot parse is an error, 0 among them (`parse_ip_port`): it is not
/// "auto"; an empty value unsets the port.
#[test]
fn a_fou_port_of_0_is_refused_and_an_empty_one_unsets_it() {
    let fou = "FooOverUDP=yes\nFOUDestinationPort=5555\n";
    for (lines, says) in [
        (
            "FOUSourcePort=1234\nFOUSourcePort=0",
            "t.netdev:9: FOUSourcePort=0: 0 is not a port",
        ),
        (
            "FOUSourcePort=0",
            "t.netdev:8: FOUSourcePort=0: 0 is not a port",
        ),
        (
            "FOUDestinationPort=0",
            "t.netdev:8: FOUDestinationPort=0: 0 is not a port",
        ),
        (
            "FOUDestinationPort=",
            "t.netdev:6: FooOverUDP=yes: FooOverUDP= needs FOUDestinationPort=",
        ),
    ] {
        let err = refused("t.netdev", &tunnel("ipip", &format!("{fou}{lines}")));
        assert!(err.starts_with(says), "{lines:?}: {err}");
    }
    let got = one(
        "t.netdev",
        &tunnel("ipip", &format!("{fou}FOUSourcePort=1234\nFOUSourcePort=")),
    );
    assert!(got.text.contains("encap-sport = \"auto\""), "{}", got.text);
}

/// A fixed TTL without path MTU discovery is the tunnel the kernel makes of it: gre keeps
/// both; ipip and sit get path MTU discovery back (`ipip_netlink_parms`), named on the
/// DiscoverPathMTU= line.
#[test]
fn a_fixed_ttl_without_path_mtu_discovery_is_what_the_kernel_makes() {
    let got = one("t.netdev", &tunnel("gre", "TTL=64\nDiscoverPathMTU=no"));
    assert!(got.notes.is_empty(), "{:?}", notes(&got));
    for word in ["ttl = 64", "pmtudisc = false"] {
        assert!(got.text.contains(word), "{word}: {}", got.text);
    }
    for kind in ["ipip", "sit"] {
        let got = one("t.netdev", &tunnel(kind, "TTL=64\nDiscoverPathMTU=no"));
        assert_eq!(
            notes(&got),
            [format!(
                "t.netdev:7: DiscoverPathMTU=no: the kernel turns path MTU discovery on for a {kind} tunnel with a fixed TTL (TTL=, line 6): imported as pmtudisc"
            )],
            "{kind}"
        );
        assert!(got.text.contains("ttl = 64"), "{kind}: {}", got.text);
        assert!(
            !got.text.contains("pmtudisc = false"),
            "{kind}: {}",
            got.text
        );
    }
}

/// An empty tristate (`ISATAP=`, `SerializeTunneledPackets=`, `AllowLocalRemote=`) unsets
/// the key.
#[test]
fn an_empty_tristate_unsets() {
    for (kind, lines) in [
        ("sit", "ISATAP=yes\nISATAP="),
        (
            "gre",
            "SerializeTunneledPackets=yes\nSerializeTunneledPackets=",
        ),
        (
            "ip6tnl",
            "Mode=any\nRemote=2001:db8::2\nAllowLocalRemote=yes\nAllowLocalRemote=",
        ),
    ] {
        let got = one("t.netdev", &tunnel(kind, lines));
        assert!(got.notes.is_empty(), "{kind}: {:?}", notes(&got));
        for word in ["isatap", "iseq", "oseq"] {
            assert!(!got.text.contains(word), "{kind}: {}", got.text);
        }
    }
    // A word that is no boolean is still one networkd cannot parse.
    let err = refused("t.netdev", &tunnel("sit", "ISATAP=maybe"));
    assert!(
        err.starts_with("t.netdev:6: ISATAP=maybe: not a boolean"),
        "{err}"
    );
}

/// A gre or gretap tunnel to a multicast group without Local= is an error on its Remote=
/// line, not a fault of the import.
#[test]
fn a_multicast_gre_tunnel_without_local_is_refused_on_its_remote_line() {
    for kind in ["gre", "gretap"] {
        let err = refused("t.netdev", &tunnel(kind, "Remote=239.1.1.1"));
        assert!(
            err.starts_with(&format!(
                "t.netdev:6: Remote=239.1.1.1: rfou cannot make this {kind} tunnel: remote 239.1.1.1: \
                 a {kind} tunnel to a multicast group needs a local address"
            )),
            "{kind}: {err}"
        );
    }
}

/// networkd applies to a device the first `.network` file that matches it: a later file
/// naming the same device makes no tunnel on it, and says so; the tunnel is imported without
/// the device, as networkd makes it on none.
#[test]
fn only_the_first_network_file_of_a_device_makes_tunnels_on_it() {
    let netdev = "[NetDev]\nName=t1\nKind=ipip\n[Tunnel]\nRemote=192.0.2.2\n";
    let got = import(&[
        (
            "10-eth0.network",
            "[Match]\nName=eth0\n[Network]\nDHCP=yes\n",
        ),
        (
            "20-eth0.network",
            "[Match]\nName=eth0\n[Network]\nTunnel=t1\n",
        ),
        ("t1.netdev", netdev),
    ])
    .unwrap();
    let said = notes(&got);
    assert!(
        said.iter().any(|n| n.starts_with(
            "20-eth0.network:4: Tunnel=t1: networkd applies to eth0 only the first .network file that matches it, 10-eth0.network"
        )),
        "{said:?}"
    );
    assert!(!got.text.contains("dev = \"eth0\""), "{}", got.text);
    // The first file alone gives the device.
    let got = import(&[
        (
            "20-eth0.network",
            "[Match]\nName=eth0\n[Network]\nTunnel=t1\n",
        ),
        ("t1.netdev", netdev),
    ])
    .unwrap();
    assert!(got.text.contains("dev = \"eth0\""), "{}", got.text);
}
