//! The unit tests of parse.rs: every command line read to its command, or refused.

use super::*;

fn refused(line: &str, family: Option<Family>) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let err = parse(&words, family).expect_err(line);
    assert_eq!(err.kind(), rfou::ErrorKind::InvalidInput, "{line}: {err}");
    err.to_string()
}

#[test]
fn a_keyword_given_twice_is_refused_not_taken_as_the_last() {
    for (line, says) in [
        ("add port 1 port 2 gue", "\"port\" is given twice"),
        (
            "add port 1 ipproto 4 ipproto 47",
            "\"ipproto\" is given twice",
        ),
        ("add port 1 gue gue", "\"gue\" is given twice"),
        (
            "add port 1 gue local 192.0.2.1 local 192.0.2.2",
            "\"local\" is given twice",
        ),
        (
            "add port 1 gue -4 -6",
            "\"-4\" and \"-6\" both set the family",
        ),
        ("del port 1 -6 -6", "\"-6\" is given twice"),
        (
            "add port 1 gue peer 192.0.2.1 peer 192.0.2.2",
            "\"peer\" is given twice",
        ),
        (
            "add port 1 gue peer_port 2 peer_port 3",
            "\"peer_port\" is given twice",
        ),
        ("add port 1 gue dev a dev b", "\"dev\" is given twice"),
        (
            "add port 1 gue remcsum_nopartial remcsum_nopartial",
            "\"remcsum_nopartial\" is given twice",
        ),
        // Before the value is read: the second `port` is refused, not its value.
        ("add port 1 gue port x", "\"port\" is given twice"),
        ("show -4 -4", "\"-4\" is given twice"),
        ("show port 1 port 2", "\"port\" is given twice"),
        (
            "tunnel add t1 mode ipip mode gre",
            "\"mode\" is given twice",
        ),
        (
            "tunnel add t1 mode ipip ttl 3 hoplimit 4",
            "\"ttl\" and \"hoplimit\"",
        ),
        (
            "tunnel add t1 mode gre key 1 ikey 2",
            "\"key\" and \"ikey\" both set ikey",
        ),
        (
            "tunnel change t1 remote 192.0.2.1 remote 192.0.2.2",
            "given twice",
        ),
        (
            "tunnel add t1 mode ipip encap fou encap-dport 1 encap-dport 2",
            "\"encap-dport\" is given twice",
        ),
        (
            "tunnel encap dev t1 fou encap-dport 1 encap-csum noencap-csum",
            "both set encap-csum",
        ),
        (
            "tunnel add t1 mode gre pmtudisc nopmtudisc",
            "both set pmtudisc",
        ),
    ] {
        let text = refused(line, None);
        assert!(text.contains(says), "{line}: {text}");
    }
}

#[test]
fn the_family_before_the_command_and_after_must_agree() {
    let text = refused("add port 1 gue -4", Some(Family::Inet6));
    assert!(text.contains("contradicts"), "{text}");
    let words = ["add", "port", "1", "gue", "-6"];
    let Command::PortAdd { port, .. } = parse(&words, Some(Family::Inet6)).unwrap() else {
        panic!("not an add")
    };
    assert_eq!(port.family, Family::Inet6);
}

#[test]
fn numbers_with_a_leading_zero_are_refused_and_hex_is_read() {
    let text = refused("add port 05555 ipproto 4", None);
    assert!(text.contains("octal, 2925"), "{text}");
    let text = refused("add port 5555 ipproto 010", None);
    assert!(text.contains("octal, 8"), "{text}");
    let text = refused("tunnel add t1 mode ipip encap fou encap-dport 05555", None);
    assert!(text.contains("leading zero"), "{text}");
    let words = ["add", "port", "0x15b3", "ipproto", "0x2f"];
    let Command::PortAdd { port, .. } = parse(&words, None).unwrap() else {
        panic!("not an add")
    };
    assert_eq!(
        (port.port, port.encap),
        (5555, rfou::FouEncap::Direct { ipproto: 47 })
    );
}

#[test]
fn what_the_kernel_answers_einval_to_is_refused_with_the_reason() {
    for (line, says) in [
        (
            "add port 1 gue local 192.0.2.1 peer 192.0.2.2",
            "both peer and peer port must be set",
        ),
        (
            "add port 1 gue peer_port 9",
            "both peer and peer port must be set",
        ),
        ("add port 1 gue local fe80::1", "link-local"),
        (
            "add port 1 gue local 2001:db8::1 peer fe80::2 peer_port 9",
            "link-local",
        ),
        ("add port 1 gue local ::ffff:192.0.2.1 -6", "IPv4-mapped"),
        ("add port 1 gue local ::ffff:192.0.2.1", "192.0.2.1"),
        ("add port 1 gue dev eth0", "dev needs local"),
        ("del port 1 local fe80::1", "link-local"),
        ("tunnel add z%d mode ipip", "template"),
        ("tunnel add a:b mode ipip", "`:`"),
        ("tunnel add t1 mode gre ignore-df", "needs nopmtudisc"),
        ("tunnel add t1 mode ip6tnl tos 4", "IPv4 underlays"),
        ("tunnel add t1 mode gre fwmark inherit", "IPv6 underlays"),
        ("tunnel add t1 mode ipip encap fou", "needs encap-dport"),
    ] {
        let text = refused(line, None);
        assert!(text.contains(says), "{line}: {text}");
    }
    // With dev, a link-local address is fine; del takes dev alone (it picks the port).
    for line in [
        "add port 1 gue local fe80::1 dev eth0",
        "del port 1 dev eth0",
        "tunnel add t1 mode gre nopmtudisc ignore-df",
        "tunnel add t1 mode ip6gre fwmark inherit",
        "doctor dev eth0",
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        parse(&words, None).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
}

#[test]
fn an_ip6tnl_says_its_protocol_with_its_mode() {
    let words = ["tunnel", "add", "t", "mode", "ipip6"];
    let Command::TunnelAdd(spec) = parse(&words, None).unwrap() else {
        panic!("not an add")
    };
    assert_eq!(
        (spec.kind, spec.settings.proto),
        (TunnelKind::Ip6Tnl, Some(4))
    );
    let text = refused("tunnel add t mode any proto ipip", None);
    assert!(text.contains("with its mode"), "{text}");
    let text = refused("tunnel add t mode ipip proto ip6ip", None);
    assert!(text.contains("not one a ipip tunnel carries"), "{text}");
}

#[test]
fn a_flow_label_is_read_in_hexadecimal_as_ip_reads_it() {
    let label = |value: &str| {
        let line = format!("tunnel add t mode ip6ip6 flowlabel {value}");
        let words: Vec<&str> = line.split_whitespace().collect();
        let Command::TunnelAdd(spec) = parse(&words, None).expect(&line) else {
            panic!("not an add")
        };
        spec.settings.flowlabel
    };
    // `ip link add ... type ip6tnl flowlabel 100` sends 0x100.
    assert_eq!(label("100"), Some(rfou::tunnel::Inherit::Value(0x100)));
    assert_eq!(label("0x100"), Some(rfou::tunnel::Inherit::Value(0x100)));
    assert_eq!(label("fffff"), Some(rfou::tunnel::Inherit::Value(0xf_ffff)));
    assert_eq!(label("inherit"), Some(rfou::tunnel::Inherit::Inherit));
    let text = refused("tunnel add t mode ip6ip6 flowlabel 100000", None);
    assert!(text.contains("hexadecimal number up to 0xfffff"), "{text}");
}

#[test]
fn import_takes_its_source_and_files() {
    let words = ["import", "networkd", "a.netdev", "b.network"];
    assert_eq!(
        parse(&words, None).unwrap(),
        Command::ImportNetworkd {
            files: vec!["a.netdev".into(), "b.network".into()]
        }
    );
    for (line, says) in [
        ("import", "import needs what to import from"),
        ("import networkd", "needs FILE..."),
        ("import netwrkd a.netdev", "did you mean `networkd`?"),
        ("import networkd -x", "takes no option \"-x\""),
        // A whole word only, as apply and export.
        ("imp networkd a.netdev", "unknown"),
    ] {
        let text = refused(line, None);
        assert!(text.contains(says), "{line}: {text}");
    }
    assert_eq!(
        parse(&["import", "networkd", "--help"], None).unwrap(),
        Command::Help(Some("import".into()))
    );
}

#[test]
fn del_takes_ipproto_and_gue_as_ip_does_and_they_choose_nothing() {
    let parsed = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        parse(&words, None).expect(line)
    };
    let plain = parsed("del port 5555");
    for line in [
        "del port 5555 gue",
        "del port 5555 ipproto 4",
        "del port 5555 ipproto gre",
        "del ipp ipip port 5555",
    ] {
        assert_eq!(parsed(line), plain, "{line}");
    }
    assert_eq!(
        parsed("del port 5555 gue local 192.0.2.1"),
        parsed("del port 5555 local 192.0.2.1")
    );
    // Their values are checked as on add, and both together refused as on add.
    assert!(refused("del port 5555 ipproto 0", None).contains("ipproto"));
    assert!(refused("del port 5555 ipproto nosuch", None).contains("nosuch"));
    assert!(refused("del port 5555 gue ipproto 4", None).contains("not both"));
    assert!(refused("del port 5555 gue gue", None).contains("given twice"));
    assert!(refused("del port 5555 remcsum_nopartial", None).contains("unknown keyword"));
}

#[test]
fn noencap_is_encap_none_and_tunnel_encap_takes_ips_encap_word() {
    let parsed = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        parse(&words, None).expect(line)
    };
    assert_eq!(
        parsed("tunnel change t1 noencap"),
        parsed("tunnel change t1 encap none")
    );
    assert_eq!(
        parsed("tunnel add t1 mode ipip remote 192.0.2.2 noencap"),
        parsed("tunnel add t1 mode ipip remote 192.0.2.2 encap none")
    );
    assert_eq!(
        parsed("tunnel encap dev t1 noencap"),
        parsed("tunnel encap dev t1 none")
    );
    // As one writes `ip link set t1 type ipip encap fou ...`.
    assert_eq!(
        parsed("tunnel encap dev t1 encap fou encap-dport 5555"),
        parsed("tunnel encap dev t1 fou encap-dport 5555")
    );
    assert_eq!(
        parsed("tunnel encap t1 encap-dport 5555 encap gue"),
        parsed("tunnel encap t1 gue encap-dport 5555")
    );
    for (line, says) in [
        (
            "tunnel change t1 encap fou noencap",
            "both set the encapsulation",
        ),
        (
            "tunnel change t1 noencap noencap",
            "\"noencap\" is given twice",
        ),
        (
            "tunnel encap dev t1 encap fou gue",
            "both set the encapsulation",
        ),
        (
            "tunnel encap dev t1 fou encap gue",
            "both set the encapsulation",
        ),
        (
            "tunnel encap dev t1 noencap none",
            "both set the encapsulation",
        ),
        ("tunnel encap dev t1 encap", "encap needs a value"),
        ("tunnel encap dev t1 encap bogus", "bogus"),
        ("tunnel encap dev t1 noencap encap-dport 5555", "none"),
        ("tunnel add t1 mode ipip noencap encap-dport 5555", "none"),
    ] {
        let err = refused(line, None);
        assert!(err.contains(says), "{line}: {err}");
    }
}

#[test]
fn hlim_is_ttl() {
    let parsed = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        parse(&words, None).expect(line)
    };
    assert_eq!(
        parsed("tunnel add t1 mode ip6ip6 hlim 9"),
        parsed("tunnel add t1 mode ip6ip6 ttl 9")
    );
    assert_eq!(
        parsed("tunnel change t1 hlim inherit"),
        parsed("tunnel change t1 hoplimit inherit")
    );
    assert!(refused("tunnel change t1 ttl 3 hlim 4", None).contains("both set ttl"));
    assert!(refused("tunnel change t1 hlim 256", None).contains("256"));
}

#[test]
fn nokey_noikey_and_nookey_remove_the_keys_as_ip_does() {
    let words = |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
    let settings = |line: &str| match parse(&words(line), None).expect(line) {
        Command::TunnelChange { settings, .. } => *settings,
        Command::TunnelAdd(spec) => spec.settings,
        other => panic!("{line}: {other:?}"),
    };
    let both = settings("tunnel change g1 nokey");
    assert!(both.no_ikey && both.no_okey && both.ikey.is_none() && both.okey.is_none());
    let one = settings("tunnel change g1 noikey okey 7");
    assert!(one.no_ikey && !one.no_okey && one.okey == Some(7));
    let out = settings("tunnel change g1 nookey");
    assert!(!out.no_ikey && out.no_okey);
    assert!(settings("tunnel add g1 mode gre remote 192.0.2.2 nokey").no_ikey);
    assert!(settings("tunnel add g1 mode ip6gretap remote 2001:db8::2 nookey").no_okey);
    // Printed back as given, and read again the same.
    for line in [
        "tunnel change g1 nokey",
        "tunnel change g1 noikey",
        "tunnel change g1 ikey 7 nookey",
        "tunnel add g1 mode gre remote 192.0.2.2 nokey",
    ] {
        let command = parse(&words(line), None).unwrap();
        let printed = crate::print::words(&command);
        assert_eq!(printed.join(" "), line);
        assert_eq!(parse(&printed, None).unwrap(), command, "{line}");
    }
    for (line, says) in [
        ("tunnel change g1 key 5 nokey", "both set ikey"),
        ("tunnel change g1 nokey noikey", "both set ikey"),
        ("tunnel change g1 nokey nokey", "\"nokey\" is given twice"),
        ("tunnel change g1 okey 5 nookey", "both set okey"),
        ("tunnel add t1 mode ipip nokey", "GRE options"),
        ("tunnel add t1 mode ip6ip6 noikey", "GRE options"),
        ("tunnel change g1 nokey 5", "unknown keyword \"5\""),
    ] {
        let err = refused(line, None);
        assert!(err.contains(says), "{line}: {err}");
    }
}
