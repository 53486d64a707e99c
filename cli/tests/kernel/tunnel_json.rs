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
    for (name, _) in TUNNELS {
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
        assert_eq!(rfou["ifindex"], ip["ifindex"], "{both}");
        assert_eq!(rfou["mtu"], ip["mtu"], "{both}");
        assert_eq!(rfou["kind"], ip["linkinfo"]["info_kind"], "{both}");
        for key in SHARED {
            match (rfou.get(key), info.get(key)) {
                (a, b) if a == b => {}
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
}
