//! `rfou -j tunnel show` against `ip -j -d link show` (issue #14): where both carry the same
//! fact, it has the same name and the same value, for every kind of tunnel, with and without
//! an encapsulation. The differences on purpose are those rfou-tunnel(8) explains.

use serde_json::Value;

use crate::harness::{rf_ok, Netns};

/// Tunnels of every kind rfou handles, made by iproute2, with and without encapsulation, keys,
/// a TOS, an underlay device, path MTU discovery off.
const TUNNELS: &[(&str, &str)] = &[
    (
        "t4",
        "type ipip remote 198.51.100.1 local 192.0.2.1 ttl 20 tos 0x10 dev dummy0 \
         encap fou encap-dport 5555 encap-csum",
    ),
    ("t4n", "type ipip remote 198.51.100.2 nopmtudisc"),
    (
        "ts",
        "type sit remote 198.51.100.3 local 192.0.2.1 encap gue encap-sport 4000 encap-dport 5556",
    ),
    (
        "tg",
        "type gre remote 198.51.100.4 local 192.0.2.1 ikey 7 okey 0.0.1.2 tos inherit \
         encap fou encap-dport 5557",
    ),
    (
        "tgt",
        "type gretap remote 198.51.100.5 local 192.0.2.1 key 9",
    ),
    (
        "t6",
        "type ip6tnl mode ipip6 remote 2001:db8::9 local 2001:db8::1 hoplimit 30 \
         encap fou encap-dport 5558",
    ),
    (
        "t6g",
        "type ip6gre remote 2001:db8::a local 2001:db8::1 dev dummy0 key 5",
    ),
    (
        "t6gt",
        "type ip6gretap remote 2001:db8::b local 2001:db8::1",
    ),
];

/// The members of rfou's object that carry a fact ip also prints in `linkinfo.info_data`,
/// under the same name.
const SHARED: &[&str] = &[
    "local", "remote", "link", "ttl", "tos", "pmtudisc", "ikey", "okey", "encap",
];

/// The members of [`SHARED`] that the words of `spec` set, so that both sides must carry
/// them: a member missing from both would otherwise compare equal and prove nothing.
fn set_by(spec: &str) -> Vec<&'static str> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let mut set = Vec::new();
    for (word, member) in [
        ("local", "local"),
        ("remote", "remote"),
        ("dev", "link"),
        ("ttl", "ttl"),
        ("hoplimit", "ttl"),
        ("tos", "tos"),
        ("nopmtudisc", "pmtudisc"),
        ("key", "ikey"),
        ("key", "okey"),
        ("ikey", "ikey"),
        ("okey", "okey"),
        ("encap", "encap"),
    ] {
        if words.contains(&word) && !set.contains(&member) {
            set.push(member);
        }
    }
    set
}

/// `a` and `b` are the same value, and not a member missing from both (null).
#[track_caller]
fn same_and_present(a: &Value, b: &Value, what: &str, both: &str) {
    assert!(
        !a.is_null() && !b.is_null(),
        "{what}: missing ({a} in rfou, {b} in ip)\n{both}"
    );
    assert_eq!(a, b, "{what}\n{both}");
}

#[test]
fn tunnel_show_json_says_what_ip_says_in_its_words() {
    let ns = Netns::new("tunjson");
    let mut setup = String::from(
        "link add dummy0 type dummy\naddr add 192.0.2.1/24 dev dummy0\n\
         addr add 2001:db8::1/64 dev dummy0 nodad\nlink set dummy0 up\n",
    );
    for (name, spec) in TUNNELS {
        setup += &format!("link add {name} {spec}\n");
    }
    ns.ip_batch(&setup);
    let shown = rf_ok(&ns, "-j tunnel show").json();
    // How many tunnels carried each shared member on both sides: every member must be
    // compared on some tunnel, or the test says nothing about it.
    let mut compared = std::collections::BTreeMap::<&str, usize>::new();
    for (name, spec) in TUNNELS {
        let rfou = shown
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == *name)
            .unwrap_or_else(|| panic!("{name} not in rfou's list: {shown}"));
        let ip = ns.link_json(name);
        let info = &ip["linkinfo"]["info_data"];
        let both = format!("rfou: {rfou}\nip: {ip}");
        println!("{name}\n{both}");
        same_and_present(&rfou["ifindex"], &ip["ifindex"], "ifindex", &both);
        same_and_present(&rfou["mtu"], &ip["mtu"], "mtu", &both);
        same_and_present(&rfou["kind"], &ip["linkinfo"]["info_kind"], "kind", &both);
        let set = set_by(spec);
        for key in SHARED {
            match (rfou.get(key), info.get(key)) {
                (Some(a), Some(b)) if a == b => *compared.entry(key).or_default() += 1,
                (None, None) => assert!(
                    !set.contains(key),
                    "{name}: \"{key}\" is set by `{spec}` and missing from both\n{both}"
                ),
                // An address not set: ip writes "any", rfou leaves the member out (see
                // rfou-tunnel(8)).
                (None, Some(Value::String(any)))
                    if any == "any" && (*key == "local" || *key == "remote") => {}
                (a, b) => panic!("{name}: \"{key}\" is {a:?} in rfou, {b:?} in ip\n{both}"),
            }
        }
        // Nothing printed as null: a member not set is left out.
        let object = rfou.as_object().unwrap();
        assert!(object.values().all(|v| !v.is_null()), "{both}");
    }
    for key in SHARED {
        assert!(
            compared.contains_key(key),
            "\"{key}\" was on both sides of no tunnel: nothing compared it ({compared:?})"
        );
    }
}
