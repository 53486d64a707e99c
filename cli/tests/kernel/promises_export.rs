//! Issue #23, bullet "Export drops settings": what ip can set on a tunnel, rfou exports, an
//! export applied in a fresh namespace makes the same links, and drift in each setting is
//! seen by `--check` and put back by `apply` (the map is docs/apply-promises.md).

use serde_json::Value;

use crate::harness::rfou_stdin;
use crate::harness::{rfou, Netns};
use crate::promises::{apply, with_dummy, File};

/// A namespace's links as iproute2 reads them (`ip -d -j link show`), made comparable
/// ([`comparable_links`]).
fn links(ns: &Netns) -> Vec<Value> {
    comparable_links(&ns.ip_json(&["-d", "link", "show"]))
}

/// The links of `ip -d -j link show` sorted by name, without what two namespaces made alike
/// do not share: ifindexes, the random Ethernet addresses of dummy, gretap and ip6gretap
/// devices, and the random `permaddr` of IPv6 tunnel devices (drawn for each one made,
/// ip6tnl0 and ip6gre0 included).
pub(crate) fn comparable_links(links: &Value) -> Vec<Value> {
    let mut links: Vec<Value> = links
        .as_array()
        .expect("a list of links")
        .iter()
        .map(|l| {
            let mut l = l.clone();
            let o = l.as_object_mut().expect("a link");
            o.remove("ifindex");
            o.remove("permaddr");
            if o.get("link_type") == Some(&Value::from("ether")) {
                o.remove("address");
            }
            l
        })
        .collect();
    links.sort_by_key(|l| l["ifname"].as_str().unwrap_or_default().to_string());
    links
}

/// Bullet "Export drops settings": every setting ip gives these kinds (nopmtudisc,
/// ignore-df, GRE iseq/oseq/icsum/ocsum, ipip and sit protocols, ISATAP, encaplimit none,
/// flowlabel, tclass, fwmark, a hand-set MTU, one the file itself set) is exported, and the
/// export applied in a fresh namespace makes the same links; drift in each is seen by
/// `--check` and put back by `apply`.
#[test]
fn export_carries_every_setting_and_drift_in_each_is_put_back() {
    let ns = with_dummy("p-export");
    ns.ip_batch(
        "link add name n1 type ipip mode ipip local 192.0.2.1 remote 192.0.2.11 nopmtudisc\n\
         link add name n2 type gre local 192.0.2.1 remote 192.0.2.12 nopmtudisc ignore-df iseq oseq icsum ocsum\n\
         link add name n3 type sit mode ip6ip local 192.0.2.1 remote 192.0.2.13 fwmark 7\n\
         link add name n4 type sit local 192.0.2.44 isatap\n\
         link add name n5 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::15 encaplimit none flowlabel 0x12345 tclass 0x28 fwmark 9\n\
         link add name n6 type ip6gre local 2001:db8::1 remote 2001:db8::16 flowlabel inherit tclass inherit fwmark inherit\n\
         link add name n7 mtu 1300 type gretap local 192.0.2.1 remote 192.0.2.17 okey 5\n\
         link add name n8 type ipip mode mplsip local 192.0.2.1 remote 192.0.2.18",
    );
    // An MTU the file sets is exported too.
    let file = File::new(
        "p-export-mtu",
        "[[tunnel]]\nname = \"n9\"\nmode = \"ipip6\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8::19\"\nmtu = 1400\n",
    );
    apply(&ns, &[], &file).assert_ok();
    let export = rfou(Some(&ns), &["export"]);
    export.assert_ok();
    for word in [
        "pmtudisc = false",
        "ignore-df = true",
        "iseq = true",
        "ocsum = true",
        "proto = \"ipip\"",
        "proto = \"ip6ip\"",
        "proto = \"mplsip\"",
        "isatap = true",
        "encaplimit = \"none\"",
        "flowlabel = \"0x12345\"",
        "tclass = \"0x28\"",
        "flowlabel = \"inherit\"",
        "fwmark = \"inherit\"",
        "fwmark = 9",
        "mtu = 1300",
        "mtu = 1400",
    ] {
        assert!(
            export.stdout.contains(word),
            "{word} missing from:\n{}",
            export.stdout
        );
    }
    let copy = with_dummy("p-export-copy");
    rfou_stdin(&copy, &["apply", "-"], export.stdout.as_bytes()).assert_ok();
    assert_eq!(
        links(&copy),
        links(&ns),
        "the export makes other links:\n{}",
        export.stdout
    );

    // Drift in each, by ip: seen, and put back in place.
    let exported = File::new("p-export-file", &export.stdout);
    let before = links(&ns);
    ns.ip_batch(
        "link change dev n1 type ipip mode ipip local 192.0.2.1 remote 192.0.2.11 pmtudisc\n\
         link del n2\n\
         link add name n2 type gre local 192.0.2.1 remote 192.0.2.12 iseq\n\
         link change dev n3 type sit mode any local 192.0.2.1 remote 192.0.2.13 fwmark 8\n\
         link change dev n5 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::15 encaplimit 3 flowlabel 0x1 tclass 0x2 fwmark 9\n\
         link change dev n6 type ip6gre local 2001:db8::1 remote 2001:db8::16 flowlabel 0x5 tclass inherit fwmark 3\n\
         link set dev n7 mtu 1200\n\
         link set dev n9 mtu 1280",
    );
    // The kernel keeps a sit tunnel's inner protocol on a change (ip's `mode any` above
    // changed its fwmark only): no drift there to see.
    assert_eq!(
        ns.ip_json(&["-d", "link", "show", "n3"])[0]["linkinfo"]["info_data"]["proto"],
        "ip6ip"
    );
    let check = apply(&ns, &["--check"], &exported);
    check.assert_fails(3);
    for line in [
        "~ tunnel n1 pmtudisc true -> false",
        "~ tunnel n2 pmtudisc true -> false",
        "~ tunnel n2 ignore-df false -> true",
        "~ tunnel n2 oseq false -> true",
        "~ tunnel n2 ocsum false -> true",
        "~ tunnel n3 fwmark 8 -> 7",
        "~ tunnel n5 encaplimit 3 -> none",
        "~ tunnel n5 flowlabel 0x01 -> 0x12345",
        "~ tunnel n5 tclass 0x02 -> 0x28",
        "~ tunnel n6 flowlabel 0x05 -> inherit",
        "~ tunnel n6 fwmark 3 -> inherit",
        "~ tunnel n7 mtu 1200 -> 1300",
        "~ tunnel n9 mtu 1280 -> 1400",
    ] {
        assert!(
            check.stdout.lines().any(|l| l == line),
            "{line} missing:\n{check}"
        );
    }
    apply(&ns, &[], &exported).assert_ok();
    assert_eq!(links(&ns), before, "apply did not put every setting back");
    assert_eq!(
        apply(&ns, &["--check"], &exported).assert_ok().stdout,
        "unchanged\n"
    );
}

/// Bullet "`--check` promises what `apply` refuses", sit: a sit tunnel that gains or loses a
/// remote is planned as a replace (the kernel changes sit's kind of remote no more than
/// ipip's or gre's), `apply` does it, and the tunnel is what ip makes from scratch.
#[test]
fn a_sit_tunnel_that_gains_or_loses_a_remote_is_replaced_as_check_says() {
    let ns = with_dummy("p-sit");
    let reference = with_dummy("p-sit-ip");
    ns.ip_line("link add name s1 type sit local 192.0.2.1");
    for (remote, ip_words) in [
        (
            "remote = \"192.0.2.5\"\n",
            "local 192.0.2.1 remote 192.0.2.5",
        ),
        ("", "local 192.0.2.1"),
    ] {
        let file = File::new(
            "p-sit",
            &format!("[[tunnel]]\nname = \"s1\"\nmode = \"sit\"\nlocal = \"192.0.2.1\"\n{remote}"),
        );
        let check = apply(&ns, &["--check"], &file);
        check.assert_fails(3);
        assert!(
            check.stdout.starts_with("replace tunnel s1 mode sit"),
            "{check}"
        );
        let done = apply(&ns, &[], &file);
        done.assert_ok();
        assert_eq!(
            done.stdout, check.stdout,
            "apply did other than --check said"
        );
        assert_eq!(
            apply(&ns, &["--check"], &file).assert_ok().stdout,
            "unchanged\n"
        );
        let _ = reference.try_ip(&["link", "del", "s1"]);
        reference.ip_line(&format!("link add name s1 type sit {ip_words}"));
        assert_eq!(
            links(&ns),
            links(&reference),
            "not what ip makes from the same words"
        );
    }
}
