//! Interoperability with iproute2, both ways, against the real kernel.
//!
//! rfou -> ip: what rfou writes, `ip -j fou show` and `ip -j -d link show` read back as meant.
//! ip -> rfou: what `ip fou add` and `ip link add ... encap ...` made, rfou lists, changes
//! (keeping every setting it was not asked to change) and deletes.

use serde_json::{json, Value};

use crate::harness::{rf, rf_ok, veth_pair, Netns, A4, A6, B4, B6};

/// A namespace with `dummy0` up, holding A4/24 and A6/64: the tunnels' local addresses, and a
/// 1500-byte route to their remotes.
fn with_dummy(prefix: &str) -> Netns {
    let ns = Netns::new(prefix);
    ns.ip(&["link", "add", "dummy0", "type", "dummy"]);
    ns.ip(&["addr", "add", &format!("{A4}/24"), "dev", "dummy0"]);
    ns.ip(&["addr", "add", &format!("{A6}/64"), "dev", "dummy0", "nodad"]);
    ns.ip(&["link", "set", "dummy0", "up"]);
    ns
}

/// Sorts the ports of a `fou show` JSON array by (port, family), for comparing sets.
fn sorted_ports(ports: &Value) -> Vec<Value> {
    let mut v = ports
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {ports}"))
        .clone();
    v.sort_by_key(|p| (p["port"].as_u64(), p["family"].as_str().map(str::to_string)));
    v
}

/// `linkinfo.info_data` of `dev` in `ip -j -d link show`.
#[track_caller]
fn info_data(ns: &Netns, dev: &str) -> Value {
    let link = ns.link_json(dev);
    let data = link["linkinfo"]["info_data"].clone();
    assert!(data.is_object(), "{dev}: no info_data: {link}");
    data
}

/// `info_data` without its `encap`: every other setting of the tunnel.
fn without_encap(mut data: Value) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.remove("encap");
    }
    data
}

fn link_exists(ns: &Netns, dev: &str) -> bool {
    ns.try_ip(&["link", "show", "dev", dev]).status.success()
}

/// One tunnel kind in the words of both tools.
struct Kind {
    /// rfou's `mode`.
    mode: &'static str,
    /// `ip link add NAME type ...` up to the addresses.
    ip_type: &'static str,
    v6: bool,
    gre: bool,
}

const KINDS: [Kind; 7] = [
    Kind {
        mode: "ipip",
        ip_type: "ipip",
        v6: false,
        gre: false,
    },
    Kind {
        mode: "sit",
        ip_type: "sit",
        v6: false,
        gre: false,
    },
    Kind {
        mode: "ipip6",
        ip_type: "ip6tnl mode ipip6",
        v6: true,
        gre: false,
    },
    Kind {
        mode: "gre",
        ip_type: "gre",
        v6: false,
        gre: true,
    },
    Kind {
        mode: "gretap",
        ip_type: "gretap",
        v6: false,
        gre: true,
    },
    Kind {
        mode: "ip6gre",
        ip_type: "ip6gre",
        v6: true,
        gre: true,
    },
    Kind {
        mode: "ip6gretap",
        ip_type: "ip6gretap",
        v6: true,
        gre: true,
    },
];

impl Kind {
    fn kind_name(&self) -> &'static str {
        match self.mode {
            "ipip6" => "ip6tnl",
            m => m,
        }
    }

    /// (remote, local) of the underlay family.
    fn addrs(&self) -> (&'static str, &'static str) {
        if self.v6 {
            (B6, A6)
        } else {
            (B4, A4)
        }
    }

    /// `remote R local L ttl 33`, and for GRE kinds the keys.
    fn settings(&self, keys: &str) -> String {
        let (remote, local) = self.addrs();
        let mut s = format!("remote {remote} local {local} ttl 33");
        if self.gre {
            s.push(' ');
            s.push_str(keys);
        }
        s
    }
}

/// `ip -j -d link show`'s encap object, as expected.
fn encap(kind: &str, sport: u16, dport: u16, csum: bool, csum6: bool, remcsum: bool) -> Value {
    json!({
        "type": kind, "sport": sport, "dport": dport,
        "csum": csum, "csum6": csum6, "remcsum": remcsum
    })
}

/// Ports made by rfou, of every shape, read back by `ip -j fou show` field for field; and
/// `rfou -j show` prints exactly what ip prints.
#[test]
fn ports_added_by_rfou_read_back_in_ip_fou_show() {
    let a = Netns::new("i-ports-a");
    let b = Netns::new("i-ports-b");
    veth_pair(
        &a,
        &[&format!("{A4}/24"), &format!("{A6}/64")],
        &b,
        &[&format!("{B4}/24"), &format!("{B6}/64")],
    );
    let adds = [
        "add port 6001 ipproto 4".to_string(),
        "add port 6002 gue".to_string(),
        "add port 6003 ipproto 41 -6".to_string(),
        "-6 add port 6004 gue".to_string(),
        format!("add port 6005 ipproto gre local {A4}"),
        format!("add port 6006 gue local {A4} peer {B4} peer_port 7000"),
        format!("add port 6007 ipproto ipip local {A4} dev veth0"),
        format!("add port 6008 ipproto 4 local {A6} peer {B6} peer_port 7001 dev veth0 -6"),
        format!("add port 6009 gue local {A6} -6"),
    ];
    for line in &adds {
        rf_ok(&a, line);
    }
    let expected = json!([
        {"port": 6001, "ipproto": 4, "family": "inet"},
        {"port": 6002, "gue": null, "family": "inet"},
        {"port": 6003, "ipproto": 41, "family": "inet6"},
        {"port": 6004, "gue": null, "family": "inet6"},
        {"port": 6005, "ipproto": 47, "family": "inet", "local": A4},
        {"port": 6006, "gue": null, "family": "inet", "local": A4, "peer": B4, "peer_port": 7000},
        {"port": 6007, "ipproto": 4, "family": "inet", "local": A4, "dev": "veth0"},
        {"port": 6008, "ipproto": 4, "family": "inet6", "local": A6, "peer": B6,
         "peer_port": 7001, "dev": "veth0"},
        {"port": 6009, "gue": null, "family": "inet6", "local": A6},
    ]);
    let ip_ports = a.ip_json(&["fou", "show"]);
    assert_eq!(
        sorted_ports(&ip_ports),
        sorted_ports(&expected),
        "ip -j fou show after rfou add:\n{ip_ports:#}"
    );

    // Byte for byte what ip prints.
    let ip_text = a.ip(&["-j", "fou", "show"]);
    let rfou_out = rf_ok(&a, "-j show");
    assert_eq!(
        rfou_out.stdout.trim_end(),
        ip_text.trim_end(),
        "rfou -j show differs from ip -j fou show"
    );
    assert_eq!(rfou_out.json(), ip_ports);

    // Filters are rfou's own; they pick from the same list.
    let v6: Vec<Value> = sorted_ports(&ip_ports)
        .into_iter()
        .filter(|p| p["family"] == "inet6")
        .collect();
    assert_eq!(sorted_ports(&rf_ok(&a, "-j show -6").json()), v6);
    assert_eq!(sorted_ports(&rf_ok(&a, "-6 -j show").json()), v6);
    assert_eq!(
        rf_ok(&a, "-j show port 6006").json(),
        json!([{"port": 6006, "gue": null, "family": "inet", "local": A4, "peer": B4,
                "peer_port": 7000}])
    );
    // The table names every port.
    let table = rf_ok(&a, "show").stdout;
    for port in 6001..=6009 {
        assert!(
            table.contains(&port.to_string()),
            "{port} missing:\n{table}"
        );
    }

    // Deleting what rfou made: fully named, or by its number alone when that is unique.
    rf_ok(
        &a,
        &format!("del port 6008 local {A6} peer {B6} peer_port 7001 dev veth0 -6"),
    );
    rf_ok(&a, "del port 6007");
    rf_ok(&a, "del port 6006");
    let left: Vec<u64> = sorted_ports(&a.ip_json(&["fou", "show"]))
        .iter()
        .filter_map(|p| p["port"].as_u64())
        .collect();
    assert_eq!(left, [6001, 6002, 6003, 6004, 6005, 6009]);
}

/// Ports made by `ip fou add` are listed by rfou and deleted by `rfou del`.
#[test]
fn ports_added_by_ip_are_listed_and_deleted_by_rfou() {
    let ns = with_dummy("i-ipports");
    ns.ip_line("fou add port 7001 ipproto 4");
    ns.ip_line("fou add port 7002 gue -6");
    ns.ip_line(&format!("fou add port 7003 ipproto 47 local {A4}"));
    ns.ip_line(&format!(
        "fou add port 7004 gue local {A4} peer {B4} peer_port 9000 dev dummy0"
    ));
    ns.ip_line(&format!("fou add port 7005 ipproto 41 local {A6} -6"));

    let ip_text = ns.ip(&["-j", "fou", "show"]);
    let listed = rf_ok(&ns, "-j show");
    assert_eq!(listed.stdout.trim_end(), ip_text.trim_end());
    assert_eq!(
        sorted_ports(&listed.json()),
        sorted_ports(&json!([
            {"port": 7001, "ipproto": 4, "family": "inet"},
            {"port": 7002, "gue": null, "family": "inet6"},
            {"port": 7003, "ipproto": 47, "family": "inet", "local": A4},
            {"port": 7004, "gue": null, "family": "inet", "local": A4, "peer": B4,
             "peer_port": 9000, "dev": "dummy0"},
            {"port": 7005, "ipproto": 41, "family": "inet6", "local": A6},
        ]))
    );
    let table = rf_ok(&ns, "show").stdout;
    for port in 7001..=7005 {
        assert!(
            table.contains(&port.to_string()),
            "{port} missing:\n{table}"
        );
    }

    rf_ok(&ns, "del port 7001");
    rf_ok(&ns, "del port 7002 -6");
    rf_ok(&ns, &format!("del port 7003 local {A4}"));
    rf_ok(
        &ns,
        &format!("del port 7004 local {A4} peer {B4} peer_port 9000 dev dummy0"),
    );
    // By its number alone, though bound to an address.
    rf_ok(&ns, "del port 7005 -6");
    assert_eq!(ns.ip_json(&["fou", "show"]), json!([]));
    assert_eq!(rf_ok(&ns, "-j show").json(), json!([]));
}

/// Tunnels of every kind made by rfou: with their encap at `tunnel add`, the tunnel equals the
/// one `ip link add` makes from the same words; `tunnel encap` then reads back in
/// `ip -j -d link show` field for field, and every other setting is kept.
#[test]
fn tunnels_by_rfou_read_back_in_ip_link_show() {
    let r = with_dummy("i-rtun");
    let i = with_dummy("i-itun");
    for k in &KINDS {
        let name = format!("t-{}", k.mode);
        let what = format!("{} ({})", name, k.kind_name());
        let settings = k.settings("key 42");

        // Made with its encap, as iproute2 makes it.
        rf_ok(
            &r,
            &format!(
                "tunnel add {name} mode {} {settings} encap gue encap-dport 5555 encap-csum",
                k.mode
            ),
        );
        i.ip_line(&format!(
            "link add {name} type {} {settings} encap gue encap-dport 5555 encap-csum",
            k.ip_type
        ));
        let link = r.link_json(&name);
        assert_eq!(link["linkinfo"]["info_kind"], k.kind_name(), "{link}");
        let data = &link["linkinfo"]["info_data"];
        let (remote, local) = k.addrs();
        assert_eq!(data["remote"], remote, "{what}: {link}");
        assert_eq!(data["local"], local, "{what}: {link}");
        assert_eq!(data["ttl"], 33, "{what}: {link}");
        if k.gre {
            assert_eq!(data["ikey"], "0.0.0.42", "{what}: {link}");
            assert_eq!(data["okey"], "0.0.0.42", "{what}: {link}");
        }
        assert_eq!(
            data["encap"],
            encap("gue", 0, 5555, true, k.v6, false),
            "{what}: {link}"
        );
        let mut by_ip = i.link_json(&name);
        let mut ours = link.clone();
        if !k.v6 && !k.gre {
            // `ip link add type ipip|sit` sends proto 0 ("any": IPIP, MPLS and for sit IPv6
            // too); rfou's `mode ipip|sit`, like `ip tunnel add mode ipip|sit`, leaves the
            // kernel's default, the mode's own protocol. Both carry what FOU delivers.
            let proto = ours["linkinfo"]["info_data"]["proto"].take();
            let mode_proto = if k.mode == "sit" { "ip6ip" } else { "ipip" };
            assert!(
                proto == "any" || proto == mode_proto,
                "{what}: proto {proto}: {link}"
            );
            by_ip["linkinfo"]["info_data"]["proto"].take();
        }
        assert_eq!(
            ours["linkinfo"], by_ip["linkinfo"],
            "{what}: rfou tunnel add differs from ip link add with the same words"
        );
        assert_eq!(link["mtu"], by_ip["mtu"], "{what}: MTU");

        let kept = without_encap(info_data(&r, &name));
        let check = |words: &str, expected: Value| {
            rf_ok(&r, &format!("tunnel encap dev {name} {words}"));
            let data = info_data(&r, &name);
            assert_eq!(
                data["encap"], expected,
                "{what} after `tunnel encap {words}`: {data}"
            );
            assert_eq!(
                without_encap(data),
                kept,
                "{what}: `tunnel encap {words}` changed other settings"
            );
        };
        let v6 = k.v6;
        check(
            "fou encap-sport 4000 encap-dport 6000 noencap-csum",
            encap("fou", 4000, 6000, false, v6, false),
        );
        check(
            "gue encap-dport 6001 encap-csum encap-remcsum",
            encap("gue", 4000, 6001, true, v6, true),
        );
        check(
            "gue encap-sport auto noencap-remcsum",
            encap("gue", 0, 6001, true, v6, false),
        );
        // Both spellings of the IPv6 checksum option, and their negations.
        check(
            "gue noencap-csum6",
            encap("gue", 0, 6001, true, false, false),
        );
        check("gue encap-csum6", encap("gue", 0, 6001, true, true, false));
        check(
            "gue noencap-udp6-csum",
            encap("gue", 0, 6001, true, false, false),
        );
        check(
            "gue encap-udp6-csum",
            encap("gue", 0, 6001, true, true, false),
        );
        check("none", Value::Null);
        check(
            "fou encap-dport 6002",
            encap("fou", 0, 6002, false, v6, false),
        );

        // A tunnel made plain by rfou, then given its encap.
        // Another remote: the kernel keeps one tunnel per endpoints (and keys).
        let plain = format!("p-{}", k.mode);
        let other_remote = if k.v6 { "2001:db8::3" } else { "192.0.2.3" };
        let settings = k
            .settings("ikey 7 okey 8")
            .replace(k.addrs().0, other_remote);
        rf_ok(
            &r,
            &format!("tunnel add {plain} mode {} {settings}", k.mode),
        );
        let before = info_data(&r, &plain);
        assert_eq!(before["encap"], Value::Null, "{plain}: {before}");
        if k.gre {
            assert_eq!(before["ikey"], "0.0.0.7", "{plain}: {before}");
            assert_eq!(before["okey"], "0.0.0.8", "{plain}: {before}");
        }
        rf_ok(
            &r,
            &format!("tunnel encap dev {plain} fou encap-dport 5555"),
        );
        let after = info_data(&r, &plain);
        assert_eq!(
            after["encap"],
            encap("fou", 0, 5555, false, v6, false),
            "{plain}: {after}"
        );
        assert_eq!(without_encap(after), before, "{plain}: settings changed");
        // Gone before the next kind: ip6gre and ip6gretap share the kernel's table of
        // endpoints, and a change of one collides with the other of the same endpoints.
        for (ns, dev) in [(&r, &plain), (&r, &name), (&i, &name)] {
            rf_ok(ns, &format!("tunnel del {dev}"));
            assert!(!link_exists(ns, dev), "{dev} still exists");
        }
    }
}

/// Tunnels of every kind made by `ip link add ... encap ...`: `rfou -j tunnel show` reads them
/// right, `rfou tunnel encap` changes only the encap (gue -> fou, a new dport, none), keeping
/// ip's remote, local, ttl and keys, and `rfou tunnel del` deletes them.
#[test]
fn tunnels_by_ip_are_shown_changed_and_deleted_by_rfou() {
    let ns = with_dummy("i-iptun");
    for k in &KINDS {
        let name = format!("t-{}", k.mode);
        let what = format!("{} ({})", name, k.kind_name());
        ns.ip_line(&format!(
            "link add {name} type {} {} encap gue encap-sport 4000 encap-dport 5555 encap-csum",
            k.ip_type,
            k.settings("ikey 11 okey 22")
        ));

        let shown = rf_ok(&ns, &format!("-j tunnel show {name}")).json();
        let t = &shown[0];
        assert_eq!(shown.as_array().map(Vec::len), Some(1), "{shown}");
        let (remote, local) = k.addrs();
        assert_eq!(t["name"], name.as_str(), "{t}");
        assert_eq!(t["kind"], k.kind_name(), "{t}");
        assert_eq!(t["mode"], k.mode, "{t}");
        assert_eq!(t["remote"], remote, "{t}");
        assert_eq!(t["local"], local, "{t}");
        assert_eq!(t["ttl"], 33, "{t}");
        if k.gre {
            assert_eq!(t["ikey"], "0.0.0.11", "{t}");
            assert_eq!(t["okey"], "0.0.0.22", "{t}");
        }
        // iproute2 turns the IPv6 UDP checksum on for IPv6 underlays.
        assert_eq!(
            t["encap"],
            encap("gue", 4000, 5555, true, k.v6, false),
            "{what}: {t}"
        );
        assert_eq!(t["mtu"], ns.link_json(&name)["mtu"], "{what}: {t}");
        // The table too.
        let table = rf_ok(&ns, &format!("tunnel show {name}")).stdout;
        assert!(
            table.contains(&name) && table.contains("gue") && table.contains("5555"),
            "{table}"
        );

        let kept = without_encap(info_data(&ns, &name));
        for (words, expected) in [
            ("fou", encap("fou", 4000, 5555, true, k.v6, false)),
            (
                "fou encap-dport 6000",
                encap("fou", 4000, 6000, true, k.v6, false),
            ),
            (
                "gue encap-sport auto noencap-csum",
                encap("gue", 0, 6000, false, k.v6, false),
            ),
            ("none", Value::Null),
        ] {
            let line = format!("tunnel encap dev {name} {words}");
            rf_ok(&ns, &line);
            let data = info_data(&ns, &name);
            assert_eq!(data["encap"], expected, "{what} after `{line}`: {data}");
            assert_eq!(
                without_encap(data),
                kept,
                "{what}: `{line}` changed ip's other settings"
            );
            let shown = rf_ok(&ns, &format!("-j tunnel show {name}")).json();
            assert_eq!(shown[0]["encap"], expected, "{what}: rfou tunnel show");
        }

        rf_ok(&ns, &format!("tunnel del {name}"));
        assert!(!link_exists(&ns, &name), "{name} still exists");
        rf(&ns, &format!("tunnel show {name}")).assert_fails(2);
    }
}

/// The MTU rule on tunnels ip made: `rfou tunnel encap` gives ipip and gre the MTU that ip
/// gives a tunnel made with that encap, and leaves an MTU set by hand alone.
#[test]
fn tunnel_encap_sets_the_mtu_ip_would_have_given() {
    let ns = with_dummy("i-mtu");
    for (kind, plain, fou, gue) in [("ipip", 1480, 1472, 1468), ("gre", 1476, 1468, 1464)] {
        let name = format!("{kind}1");
        ns.ip_line(&format!(
            "link add {name} type {kind} remote {B4} local {A4}"
        ));
        assert_eq!(ns.link_json(&name)["mtu"], plain);
        rf_ok(
            &ns,
            &format!("tunnel encap dev {name} fou encap-dport 5555"),
        );
        assert_eq!(ns.link_json(&name)["mtu"], fou, "{name} with fou");
        rf_ok(&ns, &format!("tunnel encap dev {name} gue"));
        assert_eq!(ns.link_json(&name)["mtu"], gue, "{name} with gue");
        rf_ok(&ns, &format!("tunnel encap dev {name} none"));
        assert_eq!(ns.link_json(&name)["mtu"], plain, "{name} without encap");

        // An MTU chosen by hand stays; rfou warns that it no longer fits.
        ns.ip_line(&format!("link set {name} mtu 1400"));
        let out = rf_ok(
            &ns,
            &format!("tunnel encap dev {name} fou encap-dport 5555"),
        );
        assert_eq!(ns.link_json(&name)["mtu"], 1400, "{name}: hand-set MTU");
        assert!(out.stderr.trim().is_empty(), "1400 fits; no warning: {out}");
        ns.ip_line(&format!("link set {name} mtu {plain}"));
        let out = rf_ok(&ns, &format!("tunnel encap dev {name} gue"));
        assert!(
            out.stderr.contains("warning"),
            "{name}: MTU {plain} no longer fits gue: rfou should warn:\n{out}"
        );
    }
}

/// `rfou tunnel change NAME nokey` (and `noikey`, `nookey`) leaves a GRE tunnel that ip made
/// with `key 5` as `ip link set NAME type KIND nokey` leaves it: the keys named gone (no
/// GRE_KEY flag), every other setting and the MTU as ip leaves them.
#[test]
fn nokey_removes_the_keys_as_ip_link_set_does() {
    let ns = with_dummy("i-nokey");
    for k in KINDS.iter().filter(|k| k.gre) {
        let name = format!("k-{}", k.mode);
        let add = format!("link add {name} type {} {}", k.ip_type, k.settings("key 5"));
        for word in ["nokey", "noikey", "nookey"] {
            let what = format!("{name} `{word}`");
            ns.ip_line(&add);
            let before = info_data(&ns, &name);
            assert_eq!(before["ikey"], "0.0.0.5", "{what}: {before}");
            assert_eq!(before["okey"], "0.0.0.5", "{what}: {before}");
            ns.ip_line(&format!("link set {name} type {} {word}", k.ip_type));
            let by_ip = (info_data(&ns, &name), ns.link_json(&name)["mtu"].clone());
            let (input_gone, output_gone) = (word != "nookey", word != "noikey");
            assert_eq!(by_ip.0["ikey"].is_null(), input_gone, "{what}: {}", by_ip.0);
            assert_eq!(
                by_ip.0["okey"].is_null(),
                output_gone,
                "{what}: {}",
                by_ip.0
            );
            ns.ip_line(&format!("link del {name}"));

            ns.ip_line(&add);
            rf_ok(&ns, &format!("tunnel change {name} {word}"));
            let by_rfou = (info_data(&ns, &name), ns.link_json(&name)["mtu"].clone());
            assert_eq!(by_rfou, by_ip, "{what}: rfou and ip differ");
            let shown = rf_ok(&ns, &format!("-j tunnel show {name}")).json();
            assert_eq!(shown[0]["ikey"].is_null(), input_gone, "{what}: {shown}");
            ns.ip_line(&format!("link del {name}"));
        }
    }
}
