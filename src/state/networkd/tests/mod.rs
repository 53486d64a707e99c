//! The import of systemd-networkd's files: every key of `[FooOverUDP]`, `[Tunnel]`,
//! `[NetDev]` and `[Match]`, what is named and what is refused. No kernel.

use super::*;
use crate::error::ErrorKind;
use crate::state::tests::{current_of, export_of};

mod followed;

fn import(files: &[(&str, &str)]) -> Result<Import> {
    let files: Vec<NetworkdFile> = files
        .iter()
        .map(|(name, text)| NetworkdFile { name, text })
        .collect();
    import_networkd(&files)
}

/// The entries of `text` (comment lines and the header left out), as one string.
fn entries(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn one(name: &str, text: &str) -> Import {
    import(&[(name, text)]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The error of importing one file; it must be bad input.
fn refused(name: &str, text: &str) -> String {
    let err = import(&[(name, text)]).expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    err.to_string()
}

fn notes(import: &Import) -> Vec<String> {
    import.notes.iter().map(|n| n.to_string()).collect()
}

fn tunnel(kind: &str, lines: &str) -> String {
    format!("[NetDev]\nName=t1\nKind={kind}\n[Tunnel]\nIndependent=yes\n{lines}\n")
}

#[test]
fn a_fou_port_with_every_key() {
    let got = one(
        "p.netdev",
        "[NetDev]\nName=fou1\nKind=fou\n[FooOverUDP]\nPort=7070\nProtocol=GRE\n\
         Encapsulation=FooOverUDP\nLocal=192.0.2.1\nPeer=192.0.2.2\nPeerPort=7071\n",
    );
    assert_eq!(
        entries(&got.text),
        "[[port]]\nport = 7070\nipproto = 47\nlocal = \"192.0.2.1\"\npeer = \"192.0.2.2\"\npeer_port = 7071"
    );
    assert!(got.notes.is_empty(), "{:?}", notes(&got));
    let gue = one(
        "g.netdev",
        "[NetDev]\nName=g\nKind=fou\n[FooOverUDP]\nPort=6080\nEncapsulation=GenericUDPEncapsulation\n",
    );
    assert_eq!(entries(&gue.text), "[[port]]\nport = 6080\ngue = true");
    // A number is taken where networkd has a name for it; 0.0.0.0 binds nothing.
    let number = one(
        "n.netdev",
        "[NetDev]\nName=n\nKind=fou\n[FooOverUDP]\nPort=1\nProtocol=4\nLocal=0.0.0.0\n",
    );
    assert_eq!(entries(&number.text), "[[port]]\nport = 1\nipproto = 4");
}

#[test]
fn an_ipv6_address_of_a_fou_port_is_named_and_left_out_as_networkd_leaves_it() {
    let got = one(
        "p.netdev",
        "[NetDev]\nName=p\nKind=fou\n[FooOverUDP]\nPort=7072\nProtocol=ipip\nLocal=2001:db8::1\n\
         Peer=2001:db8::2\nPeerPort=9\n",
    );
    assert_eq!(entries(&got.text), "[[port]]\nport = 7072\nipproto = 4");
    let said = notes(&got);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[0].starts_with("p.netdev:7: Local=2001:db8::1: networkd 252 asks for an IPv4 port")
    );
    assert!(said[1].starts_with("p.netdev:8: Peer=2001:db8::2: "));
    // The notes are in the file too, as comments.
    assert!(
        got.text.contains("# p.netdev:7: Local=2001:db8::1: "),
        "{}",
        got.text
    );
}

#[test]
fn a_fou_port_networkd_refuses_is_an_error_with_its_line() {
    let head = "[NetDev]\nName=p\nKind=fou\n[FooOverUDP]\n";
    for (body, says) in [
        ("Protocol=4", "p.netdev:2: Name=p: no Port= in [FooOverUDP]"),
        (
            "Port=0\nProtocol=4",
            "p.netdev:5: Port=0: port 0 is not a port",
        ),
        (
            "Port=1",
            "p.netdev:2: Name=p: a FooOverUDP port needs Protocol=",
        ),
        (
            "Port=1\nProtocol=4\nEncapsulation=GenericUDPEncapsulation",
            "p.netdev:6: Protocol=4: a GenericUDPEncapsulation port takes no Protocol=",
        ),
        ("Port=1\nProtocol=bogus", "p.netdev:6: Protocol=bogus: "),
        (
            "Port=1\nProtocol=97",
            "p.netdev:6: Protocol=97: networkd 252 takes only",
        ),
        (
            "Port=1\nProtocol=4\nEncapsulation=GUE",
            "p.netdev:7: Encapsulation=GUE: not an encapsulation",
        ),
        (
            "Port=1\nProtocol=4\nPeer=192.0.2.2",
            "p.netdev:7: Peer=192.0.2.2: a Peer= needs PeerPort=",
        ),
        (
            "Port=1\nProtocol=4\nPeerPort=5",
            "p.netdev:7: PeerPort=5: a PeerPort= needs Peer=",
        ),
        (
            "Port=1\nProtocol=4\nLocal=nowhere",
            "p.netdev:7: Local=nowhere: Local \"nowhere\" is not",
        ),
    ] {
        let err = refused("p.netdev", &format!("{head}{body}\n"));
        assert!(err.starts_with(says), "{body}: {err}");
    }
}

/// Each key of [Tunnel] on the kinds that take it: the setting it becomes.
#[test]
fn every_tunnel_key_becomes_its_setting() {
    for (kind, lines, want) in [
        ("ipip", "Local=192.0.2.1\nRemote=192.0.2.2", "remote = \"192.0.2.2\"\nlocal = \"192.0.2.1\""),
        ("ipip", "Local=any\nRemote=", ""),
        ("ipip", "TTL=64", "ttl = 64"),
        ("ipip", "DiscoverPathMTU=no", "pmtudisc = false"),
        ("gre", "TOS=16", "tos = \"0x10\""),
        ("gre", "Key=7", "ikey = 7\nokey = 7"),
        ("gre", "Key=7\nInputKey=1.0.0.1\nOutputKey=0", "ikey = 16777217\nokey = 7"),
        ("gretap", "Remote=192.0.2.2\nSerializeTunneledPackets=yes", "remote = \"192.0.2.2\"\niseq = true\noseq = true"),
        ("sit", "ISATAP=yes", "isatap = true"),
        ("ip6tnl", "Mode=ip6ip6\nRemote=2001:db8::2\nIPv6FlowLabel=4660", "remote = \"2001:db8::2\"\nflowlabel = \"0x1234\""),
        ("ip6tnl", "Mode=any\nLocal=2001:db8::1\nEncapsulationLimit=none", "local = \"2001:db8::1\"\nencaplimit = \"none\""),
        ("ip6tnl", "Mode=ipip6\nRemote=2001:db8::2\nEncapsulationLimit=7\nTTL=9", "remote = \"2001:db8::2\"\nttl = 9\nencaplimit = 7"),
        ("ip6gre", "EncapsulationLimit=none\nIPv6FlowLabel=inherit", "flowlabel = \"inherit\"\nencaplimit = \"none\""),
        ("ip6gretap", "Remote=2001:db8::2\nKey=3", "remote = \"2001:db8::2\"\nikey = 3\nokey = 3\nencaplimit = 0"),
        ("ipip", "AssignToLoopback=yes", "dev = \"lo\""),
        (
            "ipip",
            "FooOverUDP=yes\nFOUDestinationPort=5555",
            "encap = \"fou\"\nencap-sport = \"auto\"\nencap-dport = 5555\nencap-csum = false\nencap-csum6 = false\nencap-remcsum = false",
        ),
        (
            "gre",
            "FooOverUDP=true\nEncapsulation=GenericUDPEncapsulation\nFOUDestinationPort=6080\nFOUSourcePort=4000",
            "encap = \"gue\"\nencap-sport = 4000\nencap-dport = 6080\nencap-csum = false\nencap-csum6 = false\nencap-remcsum = false",
        ),
    ] {
        let got = one("t.netdev", &tunnel(kind, lines));
        let mode = match kind {
            "ip6tnl" => lines.split("Mode=").nth(1).unwrap().split('\n').next().unwrap(),
            other => other,
        };
        let proto = match kind {
            // The kernel's inner protocol where networkd sends none.
            "ipip" => "proto = \"ipip\"\n",
            "sit" => "proto = \"ip6ip\"\n",
            _ => "",
        };
        let limit = if kind.starts_with("ip6gre") && !want.contains("encaplimit") {
            "\nencaplimit = 0"
        } else {
            ""
        };
        let body = [want, proto.trim_end(), limit.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>();
        let expected = format!("[[tunnel]]\nname = \"t1\"\nmode = \"{mode}\"\n{}", body.join("\n"));
        let got_entries = entries(&got.text);
        let mut got_lines: Vec<&str> = got_entries.lines().map(str::trim).collect();
        let mut want_lines: Vec<&str> = expected.trim().lines().collect();
        got_lines.sort();
        want_lines.sort();
        assert_eq!(got_lines, want_lines, "{kind} {lines:?}:\n{}", got.text);
        // The tap kinds get networkd's MAC address, named (tests/followed.rs).
        let said: Vec<String> = notes(&got)
            .into_iter()
            .filter(|n| !n.contains("a MAC address of its own"))
            .collect();
        assert!(said.is_empty(), "{kind} {lines:?}: {said:?}");
    }
}

/// What networkd 252 does not send for a kind, or rfou cannot say, is named with its line.
#[test]
fn what_a_kind_does_not_take_is_named() {
    for (kind, lines, says) in [
        (
            "ipip",
            "TOS=16",
            "TOS=16: networkd 252 does not send it for ipip tunnels",
        ),
        (
            "ipip",
            "Key=5",
            "Key=5: networkd 252 does not send it for ipip",
        ),
        (
            "sit",
            "SerializeTunneledPackets=yes",
            "does not send it for sit",
        ),
        (
            "ip6gre",
            "DiscoverPathMTU=yes",
            "does not send it for ip6gre",
        ),
        ("ip6gre", "TOS=1", "does not send it for ip6gre"),
        ("gre", "IPv6FlowLabel=5", "does not send it for gre"),
        ("gre", "ISATAP=yes", "does not send it for gre"),
        ("ipip", "EncapsulationLimit=3", "does not send it for ipip"),
        (
            "ip6gre",
            "EncapsulationLimit=3",
            "sends only EncapsulationLimit=none for ip6gre tunnels: the kernel gives 0",
        ),
        (
            "ip6tnl",
            "Mode=any\nRemote=2001:db8::2\nCopyDSCP=yes",
            "CopyDSCP=yes: rfou has no setting for this ip6tnl flag",
        ),
        (
            "ip6tnl",
            "Mode=any\nRemote=2001:db8::2\nAllowLocalRemote=yes",
            "AllowLocalRemote=yes: rfou has no setting",
        ),
        (
            "gre",
            "CopyDSCP=yes",
            "CopyDSCP=yes: networkd 252 does not send it for gre",
        ),
        (
            "sit",
            "IPv6RapidDeploymentPrefix=2001:db8::/32",
            "rfou does not set 6rd prefixes",
        ),
        (
            "ipip",
            "IPv6RapidDeploymentPrefix=2001:db8::/32",
            "does not send it for ipip",
        ),
        ("gre", "ERSPANIndex=3", "ERSPANIndex=3: for erspan tunnels"),
        (
            "gre",
            "Mode=any",
            "Mode=any: networkd reads Mode= of ip6tnl tunnels only",
        ),
        (
            "ipip",
            "Independent=no\nLocal=dhcp4",
            "Local=dhcp4: the address networkd finds on the underlying device",
        ),
        (
            "ip6tnl",
            "Mode=any\nRemote=2001:db8::2\nFooOverUDP=yes\nFOUDestinationPort=5",
            "FooOverUDP=yes: networkd 252 gives FOU to ipip, sit, gre and gretap tunnels only",
        ),
        (
            "ipip",
            "FOUDestinationPort=5",
            "FOUDestinationPort=5: FooOverUDP= is not on",
        ),
        (
            "ipip",
            "Bogus=1",
            "Bogus=1: not a key of [Tunnel]: networkd ignores it",
        ),
    ] {
        let got = one("t.netdev", &tunnel(kind, lines));
        let said = notes(&got);
        assert!(
            said.iter()
                .any(|n| n.starts_with("t.netdev:") && n.contains(says)),
            "{kind} {lines:?}: {said:?}"
        );
        // Named where it is, and in the file as a comment.
        let first = &said[0];
        assert!(got.text.contains(&format!("# {first}")), "{}", got.text);
    }
    let external = one("t.netdev", &tunnel("gre", "External=yes\nRemote=192.0.2.1"));
    assert!(!external.text.contains("[[tunnel]]"), "{}", external.text);
    assert!(notes(&external)[0].contains("External=yes: an external (collect metadata) tunnel"));
}

#[test]
fn netdev_and_match_keys() {
    let got = one(
        "t.netdev",
        "[Match]\nHost=h1\nVirtualization=no\nKernelCommandLine=x\nKernelVersion=6\nCredential=c\n\
         Architecture=x86-64\nFirmware=uefi\nColour=red\n[NetDev]\nName=t1\nKind=gretap\n\
         Description=the site\nMTUBytes=1K\nMACAddress=02:00:00:00:00:01\nShape=round\n\
         [Tunnel]\nIndependent=yes\nRemote=192.0.2.9\n[Peer]\nName=x\n[X-Mine]\nA=b\n",
    );
    let said = notes(&got);
    for key in [
        "Host",
        "Virtualization",
        "KernelCommandLine",
        "KernelVersion",
        "Credential",
        "Architecture",
        "Firmware",
    ] {
        assert!(
            said.iter()
                .any(|n| n.contains(&format!("{key}=")) && n.contains("a condition on the host")),
            "{key}: {said:?}"
        );
    }
    assert!(said
        .iter()
        .any(|n| n.starts_with("t.netdev:9: Colour=red: not a key of [Match]")));
    assert!(said
        .iter()
        .any(|n| n.starts_with("t.netdev:16: Shape=round: not a key of [NetDev]")));
    assert!(said
        .iter()
        .any(|n| n.starts_with("t.netdev:15: MACAddress=02:00:00:00:00:01: rfou does not set")));
    assert!(said
        .iter()
        .any(|n| n.starts_with("t.netdev:20: [Peer] is not a section of a Kind=gretap netdev")));
    assert!(!said.iter().any(|n| n.contains("X-Mine")), "{said:?}");
    assert!(
        got.text.contains("# t.netdev: Name=t1 (the site)"),
        "{}",
        got.text
    );
    assert!(entries(&got.text).contains("mtu = 1024"), "{}", got.text);
    // A fou port is no device.
    let port = one(
        "p.netdev",
        "[NetDev]\nName=p\nKind=fou\nMTUBytes=1400\n[FooOverUDP]\nPort=1\nProtocol=4\n",
    );
    assert!(notes(&port)[0].starts_with("p.netdev:4: MTUBytes=1400: a fou port is no device"));
}

#[test]
fn a_tunnel_networkd_refuses_is_an_error_with_its_line() {
    for (kind, lines, says) in [
        (
            "ip6tnl",
            "",
            "t.netdev:2: Name=t1: an ip6tnl netdev needs Mode=",
        ),
        ("ip6tnl", "Mode=ipip", "t.netdev:6: Mode=ipip: not a mode"),
        (
            "ipip",
            "Remote=2001:db8::1",
            "t.netdev:6: Remote=2001:db8::1: networkd refuses a ipip tunnel",
        ),
        (
            "ipip",
            "TTL=256",
            "t.netdev:6: TTL=256: TTL 256 is out of range",
        ),
        (
            "ipip",
            "FooOverUDP=yes",
            "t.netdev:6: FooOverUDP=yes: FooOverUDP= needs FOUDestinationPort=",
        ),
        (
            "ipip",
            "FooOverUDP=maybe",
            "t.netdev:6: FooOverUDP=maybe: not a boolean",
        ),
        ("gre", "Key=x", "t.netdev:6: Key=x: "),
        (
            "ipip",
            "FooOverUDP=1\nFOUDestinationPort=70000",
            "t.netdev:7: FOUDestinationPort=70000: ",
        ),
    ] {
        let err = refused("t.netdev", &tunnel(kind, lines));
        assert!(err.starts_with(says), "{kind} {lines:?}: {err}");
    }
    assert!(refused("t.netdev", "[NetDev]\nName=t1\n").starts_with("t.netdev: no Kind="));
    assert!(refused("t.netdev", "[NetDev]\nKind=ipip\n").starts_with("t.netdev: no Name="));
    assert!(refused("t.netdev", "[NetDev]\nName=a/b\nKind=ipip\n")
        .starts_with("t.netdev:2: Name=a/b: "));
    assert!(refused("t.netdev", "Name=t1\n")
        .starts_with("t.netdev:1: Name= comes before any [Section]"));
    assert!(refused("t.txt", "").starts_with("t.txt: not a .netdev or .network file"));
}

/// A tunnel networkd makes on another device gets it as `dev` from the `.network` file that
/// names it; where that cannot be told, it is named.
#[test]
fn the_device_a_tunnel_is_made_on_comes_from_the_network_files() {
    let netdev = "[NetDev]\nName=t1\nKind=ipip\n";
    let network =
        |name: &str| format!("[Match]\nName={name}\n[Network]\nTunnel=t1\nTunnel=other\n");
    let got = import(&[("t.netdev", netdev), ("eth0.network", &network("eth0"))]).unwrap();
    assert!(
        entries(&got.text).contains("dev = \"eth0\""),
        "{}",
        got.text
    );
    assert!(got.notes.is_empty());
    // A device networkd makes itself is there only once networkd runs: named.
    let got = import(&[
        ("d.netdev", "[NetDev]\nName=eth0\nKind=dummy\n"),
        ("t.netdev", netdev),
        ("eth0.network", &network("eth0")),
    ])
    .unwrap();
    assert!(
        entries(&got.text).contains("dev = \"eth0\""),
        "{}",
        got.text
    );
    let said = notes(&got);
    assert!(
        said[1]
            .starts_with("t.netdev:2: Name=t1: its dev eth0 is a netdev networkd makes (d.netdev)"),
        "{said:?}"
    );
    for (files, says) in [
        (
            vec![("t.netdev", netdev.to_string())],
            "none of the files given does: imported without dev",
        ),
        (
            vec![
                ("t.netdev", netdev.to_string()),
                ("e.network", network("eth*")),
            ],
            "e.network:4 makes it on the device it matches, and its [Match] Name=eth* is a pattern",
        ),
        (
            vec![
                ("t.netdev", netdev.to_string()),
                ("e.network", network("eth0 eth1")),
            ],
            "its [Match] names 2 devices",
        ),
        (
            vec![
                ("t.netdev", netdev.to_string()),
                ("a.network", network("eth0")),
                ("b.network", network("eth1")),
            ],
            "a.network:4, b.network:4 name it in Tunnel=",
        ),
    ] {
        let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let got = import(&files).unwrap();
        let said = notes(&got);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with("t.netdev:2: Name=t1: ") && said[0].contains(says),
            "{said:?}"
        );
        assert!(!got.text.contains("dev ="), "{}", got.text);
    }
}

#[test]
fn other_kinds_link_files_and_duplicates_are_named() {
    let port = "[NetDev]\nName=p\nKind=fou\n[FooOverUDP]\nPort=1\nProtocol=4\n";
    let got = import(&[
        ("d.netdev", "[NetDev]\nName=dummy0\nKind=dummy\n"),
        (
            "e.netdev",
            &tunnel("ipip", "").replace("Name=t1", "Name=dummy0"),
        ),
        ("99.link", "[Match]\nOriginalName=*\n"),
        ("a.netdev", port),
        ("b.netdev", &port.replace("Name=p", "Name=q")),
        ("t1.netdev", &tunnel("ipip", "")),
        ("t2.netdev", &tunnel("gre", "")),
    ])
    .unwrap();
    let said = notes(&got);
    let expected = [
        "d.netdev:3: Kind=dummy: rfou makes fou ports and",
        // networkd keeps one netdev of a name, whatever their kinds.
        "e.netdev:2: Name=dummy0: d.netdev configures it first",
        "99.link:1: a .link file",
        "b.netdev:2: fou port 1 (inet): a.netdev makes the same port first",
        "t2.netdev:2: Name=t1: t1.netdev configures it first",
    ];
    assert_eq!(said.len(), expected.len(), "{said:?}");
    for (note, start) in said.iter().zip(expected) {
        assert!(note.starts_with(start), "{note:?} is not {start:?}");
    }
    assert_eq!(got.text.matches("[[port]]").count(), 1);
    assert_eq!(got.text.matches("[[tunnel]]").count(), 1);
    assert!(got.text.contains("mode = \"ipip\""));
}

/// What the import writes is what `rfou export` prints for the same objects, entry for
/// entry: one writer, and the networkd tunnel's settings read whole.
#[test]
fn the_import_reads_back_and_is_what_export_prints_for_it() {
    let got = import(&[
        (
            "p.netdev",
            "[NetDev]\nName=p\nKind=fou\n[FooOverUDP]\nPort=7070\nProtocol=gre\n",
        ),
        (
            "t.netdev",
            "[NetDev]\nName=nd0\nKind=gre\n[Tunnel]\nLocal=192.0.2.5\nRemote=192.0.2.6\nTTL=32\n\
             Key=9\nFooOverUDP=yes\nFOUDestinationPort=7070\nFOUSourcePort=7171\n",
        ),
        ("e.network", "[Match]\nName=eth0\n[Network]\nTunnel=nd0\n"),
        (
            "s.netdev",
            "[NetDev]\nName=nd1\nKind=sit\n[Tunnel]\nIndependent=yes\n",
        ),
        (
            "6.netdev",
            "[NetDev]\nName=nd2\nKind=ip6gre\n[Tunnel]\nIndependent=yes\n",
        ),
    ])
    .unwrap();
    let state = crate::state::parse("import.toml", &got.text).unwrap();
    assert_eq!((state.ports.len(), state.tunnels.len()), (1, 3));
    let exported = export_of(&current_of(&state));
    assert_eq!(
        entries(&exported),
        entries(&got.text),
        "{exported}\n---\n{}",
        got.text
    );
}
