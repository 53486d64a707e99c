//! The MTU of a tunnel that got its encapsulation after it was made, for every tunnel kind and
//! every encapsulation.
//!
//! On ipip, sit, gre and gretap the kernel keeps the MTU when the encapsulation changes, so
//! rfou sets it; ip6tnl, ip6gre and ip6gretap recompute it themselves. Either way, for each kind
//! and each encapsulation, a tunnel made plain (`rfou tunnel add`) and then given its
//! encapsulation (`rfou tunnel encap`) must:
//!   1. end with the MTU, and the encap attributes, of iproute2's tunnel made with that
//!      encapsulation from the start (`ip link add ... encap ...` in a scratch namespace);
//!   2. carry a full-size ping with DF set, and refuse one byte more;
//!   3. get the room back with `rfou tunnel encap dev X none`: the plain kind's MTU again.
//!
//! One test per underlay: its kinds one after another on the same two namespaces, each cycling
//! through the encapsulations (namespaces and pings are slow in an emulated VM).

use crate::harness::{
    address_tunnel, assert_full_size_ping, mtu, rf, rf_ok, underlay_pair, Netns, A4, A6, B4, B6,
    INNER_A4, INNER_A6, INNER_B4, INNER_B6,
};

/// The tunnel device on both sides.
const TUN: &str = "mt1";

/// The GUE receive port: one for every kind, the GUE header names the inner protocol.
const GUE_PORT: u16 = 5600;

/// The FOU receive port for inner protocol `ipproto`: a FOU port carries one protocol.
fn fou_port(ipproto: u8) -> u16 {
    5600 + u16::from(ipproto)
}

/// One tunnel kind: `rfou tunnel add ... mode MODE`, `ip link add ... type IP_TYPE`.
struct Kind {
    mode: &'static str,
    ip_type: &'static str,
    /// What the FOU port must carry: 4 (IPv4 inside), 41 (IPv6 inside), 47 (GRE).
    ipproto: u8,
    /// The pings inside are IPv6.
    inner_v6: bool,
}

const fn kind(mode: &'static str, ip_type: &'static str, ipproto: u8, inner_v6: bool) -> Kind {
    Kind {
        mode,
        ip_type,
        ipproto,
        inner_v6,
    }
}

/// Every kind with an IPv4 underlay.
const V4_KINDS: &[Kind] = &[
    kind("ipip", "ipip", 4, false),
    kind("sit", "sit", 41, true),
    kind("gre", "gre", 47, false),
    kind("gretap", "gretap", 47, false),
];

/// Every kind with an IPv6 underlay: ip6tnl in both its modes, ip6gre, ip6gretap.
const V6_KINDS: &[Kind] = &[
    kind("ipip6", "ip6tnl mode ipip6", 4, false),
    kind("ip6ip6", "ip6tnl mode ip6ip6", 41, true),
    kind("ip6gre", "ip6gre", 47, false),
    kind("ip6gretap", "ip6gretap", 47, false),
];

/// One encapsulation: its type, its options beyond `encap-dport`, and the bytes it costs the
/// MTU (UDP header; GUE's 4-byte header; remote checksum offload's option and flags, 8 more).
struct Encap {
    kind: &'static str,
    options: &'static str,
    overhead: u64,
}

const fn encap(kind: &'static str, options: &'static str, overhead: u64) -> Encap {
    Encap {
        kind,
        options,
        overhead,
    }
}

/// The encapsulations tried on an IPv4 underlay. The UDP checksum (`encap-csum`) costs no room
/// (the UDP header is there anyway) but changes what goes on the wire; it matters most with
/// remote checksum offload, which leans on it.
const V4_ENCAPS: &[Encap] = &[
    encap("fou", "", 8),
    encap("fou", "encap-csum", 8),
    encap("gue", "", 12),
    encap("gue", "encap-remcsum", 20),
    encap("gue", "encap-csum encap-remcsum", 20),
];

/// The encapsulations tried on an IPv6 underlay, where the UDP checksum is on by default
/// (rfou's and iproute2's default); `noencap-udp6-csum` sends zero checksums, which the
/// receiving FOU socket must accept. (iproute2 6.1's usage says `[no]encap-csum6`, but it only
/// parses `[no]encap-udp6-csum`; rfou takes both.)
const V6_ENCAPS: &[Encap] = &[
    encap("fou", "", 8),
    encap("fou", "noencap-udp6-csum", 8),
    encap("gue", "", 12),
    encap("gue", "encap-remcsum", 20),
];

impl Encap {
    /// The words after `encap` (`ip link add`) or `tunnel encap dev X` (rfou) for `kind`.
    fn words(&self, kind: &Kind) -> String {
        let port = match self.kind {
            "fou" => fou_port(kind.ipproto),
            _ => GUE_PORT,
        };
        format!("{} encap-dport {port} {}", self.kind, self.options)
            .trim_end()
            .to_string()
    }
}

/// A scratch namespace where iproute2 makes the reference tunnels, over a 1500-byte dummy
/// device that holds the local underlay addresses, like the veth pair.
struct Reference(Netns);

impl Reference {
    fn new(prefix: &str) -> Reference {
        let ns = Netns::new(prefix);
        ns.ip_batch(&format!(
            "link add dummy0 type dummy\naddr add {A4}/24 dev dummy0\n\
             addr add {A6}/64 dev dummy0 nodad\nlink set dummy0 up"
        ));
        assert_eq!(mtu(&ns, "dummy0"), 1500);
        Reference(ns)
    }

    /// Makes `ip link add ref0 TYPE-AND-OPTIONS`, returns it as `ip -j -d link show` sees it,
    /// deletes it: one `ip -batch`.
    #[track_caller]
    fn link(&self, type_and_options: &str) -> serde_json::Value {
        let out = self.0.ip_batch_with(
            &["-j", "-d"],
            &format!("link add ref0 {type_and_options}\nlink show dev ref0\nlink del ref0"),
        );
        match serde_json::from_str(&out) {
            Ok(serde_json::Value::Array(mut links)) if links.len() == 1 => links.remove(0),
            _ => panic!("ip link show ref0 ({type_and_options}): not one link:\n{out}"),
        }
    }
}

impl Reference {
    /// [`Reference::link`] for each of `types_and_options`, in one `ip -batch`.
    #[track_caller]
    fn links(&self, types_and_options: &[String]) -> Vec<serde_json::Value> {
        let batch: String = types_and_options
            .iter()
            .map(|t| format!("link add ref0 {t}\nlink show dev ref0\nlink del ref0\n"))
            .collect();
        let out = self.0.ip_batch_with(&["-j", "-d"], &batch);
        let links: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
            .into_iter::<serde_json::Value>()
            .map(|shown| match shown {
                Ok(serde_json::Value::Array(mut links)) if links.len() == 1 => links.remove(0),
                other => panic!("ip link show ref0: not one link: {other:?}\n{out}"),
            })
            .collect();
        assert_eq!(links.len(), types_and_options.len(), "{out}");
        links
    }
}

#[track_caller]
fn link_mtu(link: &serde_json::Value) -> u64 {
    link["mtu"]
        .as_u64()
        .unwrap_or_else(|| panic!("no mtu: {link}"))
}

fn link_encap(link: &serde_json::Value) -> &serde_json::Value {
    &link["linkinfo"]["info_data"]["encap"]
}

/// A full-size ping from `a` to `addr` through `TUN`, and one byte more refused
/// ([`assert_full_size_ping`]).
///
/// On an IPv6 underlay (`v6`), `a` first forgets the path MTUs it learnt for the addresses
/// inside the tunnel. ip6tnl, ip6gre and ip6gretap record, for every packet they send, the room
/// it had as a path-MTU exception on the inner route, and when their encapsulation changes they
/// set their new MTU themselves, directly, without the NETDEV_CHANGEMTU notice that carries
/// such exceptions along: after a change that gives room back (`encap none`, or GUE with remote
/// checksum offload to FOU) the device has the right MTU, but packets to an address already
/// reached stay limited to the old one until the exception expires (10 minutes by default).
/// iproute2's `ip link change ... encap ...` leaves the same. On ipip, sit, gre and gretap,
/// rfou sets the MTU itself (IFLA_MTU), the notice goes out, and the exceptions follow: there
/// `a` keeps them, and the pings prove it.
#[track_caller]
fn full_size_ping(a: &Netns, addr: &str, v6: bool) {
    if v6 {
        let family = if addr.contains(':') { "-6" } else { "-4" };
        a.ip(&[family, "route", "flush", "cache"]);
    }
    assert_full_size_ping(a, TUN, addr);
}

/// `rfou -j doctor` in `ns`: its exit status and its check of `TUN`'s MTU.
#[track_caller]
fn doctor_mtu_check(ns: &Netns) -> (i32, serde_json::Value) {
    let out = rf(ns, "-j doctor");
    let report = out.json();
    let label = format!("mtu {TUN}");
    let check = report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == label.as_str()))
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{out}
rfou doctor has no `{label}` check"
            )
        });
    (out.status, check)
}

/// Two namespaces joined by veth with both underlays, both sides receiving on a FOU port per
/// inner protocol and on a GUE port, of the underlay's family; then, for each kind in turn, the
/// cycle of the module's doc on tunnel `TUN`, which is deleted after.
fn every_kind_and_encap(prefix: &str, v6: bool, kinds: &[Kind], encaps: &[Encap]) {
    let (a, b) = underlay_pair(prefix);
    let reference = Reference::new(&format!("{prefix}-ref"));
    let (family, local, remote) = if v6 { (" -6", A6, B6) } else { ("", A4, B4) };
    for ns in [&a, &b] {
        for ipproto in [4, 41, 47] {
            let port = fou_port(ipproto);
            rf_ok(ns, &format!("add port {port} ipproto {ipproto}{family}"));
        }
        rf_ok(ns, &format!("add port {GUE_PORT} gue{family}"));
    }

    for kind in kinds {
        let (inner_a, inner_b, bits) = if kind.inner_v6 {
            (INNER_A6, INNER_B6, 64)
        } else {
            (INNER_A4, INNER_B4, 24)
        };
        let ends = [(&a, local, remote, inner_a), (&b, remote, local, inner_b)];
        let plain = reference.link(&format!(
            "type {} remote {remote} local {local}",
            kind.ip_type
        ));
        let plain_mtu = link_mtu(&plain);
        for (ns, local, remote, inner) in ends {
            rf_ok(
                ns,
                &format!(
                    "tunnel add {TUN} mode {} remote {remote} local {local}",
                    kind.mode
                ),
            );
            assert_eq!(mtu(ns, TUN), plain_mtu, "{}: plain, as made", kind.mode);
            address_tunnel(ns, TUN, &format!("{inner}/{bits}"));
        }

        for encap in encaps {
            let words = encap.words(kind);
            let what = format!("{} with `encap {words}`", kind.mode);
            for (ns, ..) in ends {
                rf_ok(ns, &format!("tunnel encap dev {TUN} {words}"));
            }
            let made = reference.link(&format!(
                "type {} remote {remote} local {local} encap {words}",
                kind.ip_type
            ));
            let want = link_mtu(&made);
            assert_eq!(
                want,
                plain_mtu - encap.overhead,
                "{what}: iproute2's MTU is not the plain {plain_mtu} less the encapsulation's {} bytes",
                encap.overhead
            );
            for (ns, ..) in ends {
                let link = ns.link_json(TUN);
                assert_eq!(
                    link_mtu(&link),
                    want,
                    "{what} in {}: rfou's MTU after `tunnel encap` is not iproute2's",
                    ns.name()
                );
                assert_eq!(
                    link_encap(&link),
                    link_encap(&made),
                    "{what} in {}: rfou's encap attributes are not iproute2's",
                    ns.name()
                );
            }
            full_size_ping(&a, inner_b, v6);
            // rfou doctor finds nothing to fix in a tunnel rfou set up.
            let (status, check) = doctor_mtu_check(&a);
            assert_eq!(check["status"], "ok", "{what}: rfou doctor: {check}");
            assert_eq!(status, 0, "{what}: rfou doctor failed: {check}");

            for (ns, ..) in ends {
                rf_ok(ns, &format!("tunnel encap dev {TUN} none"));
                let link = ns.link_json(TUN);
                assert_eq!(
                    link_mtu(&link),
                    plain_mtu,
                    "{what} in {}: `tunnel encap dev {TUN} none` did not give the room back",
                    ns.name()
                );
                assert_eq!(
                    link_encap(&link),
                    &serde_json::Value::Null,
                    "{what}: {link}"
                );
            }
        }
        // Plain again, it carries full-size packets of the plain MTU: the room is really back.
        full_size_ping(&a, inner_b, v6);
        // And rfou doctor does see an MTU that does not fit: the plain MTU with FOU on.
        let words = encaps[0].words(kind);
        rf_ok(&a, &format!("tunnel encap dev {TUN} {words}"));
        a.ip(&["link", "set", TUN, "mtu", &plain_mtu.to_string()]);
        let (status, check) = doctor_mtu_check(&a);
        assert_eq!(
            (status, &check["status"]),
            (1, &serde_json::json!("fail")),
            "{}: MTU {plain_mtu} with `encap {words}` does not fit; rfou doctor: {check}",
            kind.mode
        );
        for (ns, ..) in ends {
            rf_ok(ns, &format!("tunnel delete {TUN}"));
        }
    }
}

/// ipip, sit, gre, gretap over an IPv4 underlay, each with FOU, FOU with UDP checksums, GUE,
/// GUE with remote checksum offload, with and without UDP checksums.
#[test]
fn every_ipv4_underlay_kind_and_encap() {
    every_kind_and_encap("m-v4", false, V4_KINDS, V4_ENCAPS);
}

/// ip6tnl (ipip6 and ip6ip6), ip6gre, ip6gretap over an IPv6 underlay, each with FOU, FOU
/// without UDP checksums, GUE, GUE with remote checksum offload.
#[test]
fn every_ipv6_underlay_kind_and_encap() {
    every_kind_and_encap("m-v6", true, V6_KINDS, V6_ENCAPS);
}

/// The underlay devices of [`every_kind_over_every_underlay`], the same in rfou's namespace and
/// in the reference one: dummy devices of MTU 1500 (where tunnels are made), 1280 and 9000,
/// each with an IPv4 and an IPv6 subnet of its own (addresses `.1`/`::1` on the device; `.2`/
/// `::2` are routed through it).
const UNDERLAYS: &[(&str, u32, &str, &str)] = &[
    ("u1500", 1500, "192.0.2", "2001:db8:1500:"),
    ("u1280", 1280, "198.51.100", "2001:db8:1280:"),
    ("u9000", 9000, "203.0.113", "2001:db8:9000:"),
];

fn make_underlays(ns: &Netns) {
    let mut batch = String::new();
    for (dev, mtu, v4, v6) in UNDERLAYS {
        batch += &format!(
            "link add {dev} mtu {mtu} type dummy\naddr add {v4}.1/24 dev {dev}\n\
             addr add {v6}:1/64 dev {dev} nodad\nlink set {dev} up\n"
        );
    }
    ns.ip_batch(&batch);
}

/// `remote R local L` over the underlay device `dev` of [`UNDERLAYS`], in `family`.
fn over(dev: &str, v6: bool) -> String {
    let (_, _, v4, v6net) = UNDERLAYS
        .iter()
        .find(|u| u.0 == dev)
        .expect("an underlay of UNDERLAYS");
    if v6 {
        format!("remote {v6net}:2 local {v6net}:1")
    } else {
        format!("remote {v4}.2 local {v4}.1")
    }
}

/// Where a tunnel made over `u1500` is moved to by `rfou tunnel change`, with its
/// encapsulation in the same command: the words of the move, and whether to try every
/// encapsulation of the family there (over the other MTUs) or only the first and the last
/// (elsewhere, to keep the test quick).
fn moves(v6: bool) -> Vec<(String, bool)> {
    let (own, unrouted, base_local) = if v6 {
        ("2001:db8:9000::1", "2001:db8:dead::2", "2001:db8:1500::1")
    } else {
        ("203.0.113.1", "100.64.0.2", "192.0.2.1")
    };
    vec![
        // Another remote and local, routed over a smaller and a larger underlay, and bound
        // to it.
        (format!("{} dev u1280", over("u1280", v6)), true),
        (over("u9000", v6), true),
        // Only bound to another device: the route to the remote goes elsewhere.
        ("dev u9000".to_string(), false),
        // A remote of this host: its route goes through lo (MTU 65536).
        (format!("remote {own} local {base_local}"), false),
        // A remote with no route at all.
        (format!("remote {unrouted} local {base_local}"), false),
    ]
}

/// For each kind, `rfou tunnel change` onto another underlay (and another encapsulation), then
/// through other encapsulations there, then back to none: after each, the tunnel has the MTU
/// and encap attributes of iproute2's tunnel made with the same words, and `rfou -j` says so.
/// Then an MTU chosen by hand is kept through changes, with a warning once it no longer fits.
/// No traffic: [`every_ipv4_underlay_kind_and_encap`] and its IPv6 twin prove with full-size
/// pings that these MTUs fit their path; this compares with the kernel's own arithmetic.
fn every_kind_over_every_underlay(prefix: &str, v6: bool, kinds: &[Kind], encaps: &[Encap]) {
    let ns = Netns::new(prefix);
    let reference = Reference(Netns::new(&format!("{prefix}-ref")));
    make_underlays(&ns);
    make_underlays(&reference.0);
    let base = over("u1500", v6);
    // After `rfou -j tunnel change TUN WORDS`, the tunnel has the MTU of `made` and its
    // encap's type and remote checksum offload (what the MTU depends on; the checksum flags
    // are not compared: `tunnel change` keeps those the words leave out, where `ip link add`
    // starts from its defaults), and rfou says so.
    let change = |words: &str, what: &str, made: &serde_json::Value| {
        let out = rf_ok(&ns, &format!("-j tunnel change {TUN} {words}"));
        let report = out.json();
        let link = ns.link_json(TUN);
        let shape = |link: &serde_json::Value| {
            let encap = link_encap(link);
            (
                link_mtu(link),
                encap["type"].clone(),
                encap["remcsum"].clone(),
            )
        };
        assert_eq!(
            shape(&link),
            shape(made),
            "{what}: MTU and encap after `rfou tunnel change {TUN} {words}` (left) are not \
             those of iproute2's tunnel made with the same words (right)"
        );
        assert_eq!(
            (&report["mtu"]["new"], &report["warnings"]),
            (&serde_json::json!(link_mtu(&link)), &serde_json::json!([])),
            "{what}: {out}"
        );
    };
    for kind in kinds {
        for (to, every) in moves(v6) {
            let tried: Vec<&Encap> = if every {
                encaps.iter().collect()
            } else {
                vec![&encaps[0], &encaps[encaps.len() - 1]]
            };
            // rfou's words for each step, and iproute2's for the same tunnel.
            let mut steps: Vec<(String, String)> = tried
                .iter()
                .enumerate()
                .map(|(i, encap)| {
                    let words = format!("encap {}", encap.words(kind));
                    let moved = if i == 0 {
                        format!("{to} {words}")
                    } else {
                        words.clone()
                    };
                    (moved, format!("type {} {base} {to} {words}", kind.ip_type))
                })
                .collect();
            steps.push((
                "encap none".to_string(),
                format!("type {} {base} {to} encap none", kind.ip_type),
            ));
            let refs: Vec<String> = steps.iter().map(|(_, r)| r.clone()).collect();
            let made = reference.links(&refs);
            rf_ok(&ns, &format!("tunnel add {TUN} mode {} {base}", kind.mode));
            for ((words, _), made) in steps.iter().zip(&made) {
                let what = format!("{} moved to `{to}`, then `{words}`", kind.mode);
                change(words, &what, made);
            }
            rf_ok(&ns, &format!("tunnel delete {TUN}"));
        }

        // An MTU set by hand is kept: through a change of encapsulation, of TTL (on which
        // ip6tnl and ip6gre work their MTU out again), and of underlay, where it no longer
        // fits and rfou says so.
        rf_ok(&ns, &format!("tunnel add {TUN} mode {} {base}", kind.mode));
        ns.ip_line(&format!("link set {TUN} mtu 1300"));
        let hand = serde_json::json!({ "old": 1300, "new": 1300 });
        for words in [format!("encap {}", encaps[0].words(kind)), "ttl 9".into()] {
            let out = rf_ok(&ns, &format!("-j tunnel change {TUN} {words}"));
            let what = format!("{} with the MTU 1300 set by hand, `{words}`", kind.mode);
            assert_eq!(mtu(&ns, TUN), 1300, "{what}: {out}");
            // Only a TTL: nothing the MTU of ipip, sit, gre or gretap depends on.
            let said = if words.starts_with("ttl") && !v6 {
                serde_json::Value::Null
            } else {
                hand.clone()
            };
            assert_eq!(out.json()["mtu"], said, "{what}: {out}");
            assert_eq!(
                out.json()["warnings"],
                serde_json::json!([]),
                "{what}: {out}"
            );
        }
        let words = over("u1280", v6) + " dev u1280";
        let out = rf_ok(&ns, &format!("-j tunnel change {TUN} {words}"));
        let what = format!(
            "{} with the MTU 1300 set by hand, moved to `{words}`",
            kind.mode
        );
        assert_eq!(mtu(&ns, TUN), 1300, "{what}: {out}");
        let report = out.json();
        let fits = link_mtu(&reference.link(&format!(
            "type {} {words} encap {}",
            kind.ip_type,
            encaps[0].words(kind)
        )));
        let warning = report["mtu"]["warning"].as_str().unwrap_or_default();
        assert!(
            warning.contains(&format!("only {fits} fits")) && report["warnings"][0] == warning,
            "{what}: no warning that only {fits} fits: {out}"
        );
        rf_ok(&ns, &format!("tunnel delete {TUN}"));
    }
}

/// ipip, sit, gre and gretap moved to underlays of MTU 1280 and 9000, to a remote through lo,
/// to a remote with no route, with every IPv4 encapsulation; and an MTU set by hand.
#[test]
fn every_ipv4_kind_over_every_underlay() {
    every_kind_over_every_underlay("m-u4", false, V4_KINDS, V4_ENCAPS);
}

/// ip6tnl (ipip6, ip6ip6), ip6gre and ip6gretap, as [`every_ipv4_kind_over_every_underlay`].
#[test]
fn every_ipv6_kind_over_every_underlay() {
    every_kind_over_every_underlay("m-u6", true, V6_KINDS, V6_ENCAPS);
}

/// `rfou tunnel add NAME mode MODE remote R local L` makes the tunnel `ip link add NAME type
/// ... remote R local L` makes: the same settings (TTL inherit and protocol any on ipip and
/// sit; hop limit 64 and encapsulation limit 4 on the IPv6 kinds), the same MTU.
#[test]
fn every_mode_starts_with_the_defaults_of_ip_link_add() {
    let ns = Netns::new("m-def");
    let reference = Reference(Netns::new("m-def-ref"));
    make_underlays(&ns);
    make_underlays(&reference.0);
    let modes = [
        ("ipip", "ipip"),
        ("sit", "sit"),
        ("gre", "gre"),
        ("gretap", "gretap"),
        ("ipip6", "ip6tnl mode ipip6"),
        ("ip6ip6", "ip6tnl mode ip6ip6"),
        ("any", "ip6tnl mode any"),
        ("ip6tnl", "ip6tnl"),
        ("ip6gre", "ip6gre"),
        ("ip6gretap", "ip6gretap"),
    ];
    for (mode, ip_type) in modes {
        let ends = over(
            "u1500",
            mode.starts_with("ip6") || ip_type.starts_with("ip6"),
        );
        rf_ok(&ns, &format!("tunnel add {TUN} mode {mode} {ends}"));
        let ours = ns.link_json(TUN);
        let theirs = reference.link(&format!("type {ip_type} {ends}"));
        assert_eq!(
            (&ours["mtu"], &ours["linkinfo"]),
            (&theirs["mtu"], &theirs["linkinfo"]),
            "`rfou tunnel add {TUN} mode {mode} {ends}` (left) differs from `ip link add type \
             {ip_type} {ends}` (right)"
        );
        rf_ok(&ns, &format!("tunnel delete {TUN}"));
    }
}
