//! Export, over typed state: every kind and setting written out reads back in sync, as does a
//! hand-set MTU and a device that is gone.

use super::tests::{current_of, encap_of, export_of, parse};
use super::{export, plan};
use crate::devices::Devices;
use crate::tunnel::{EncapType, SourcePort};

#[test]
fn export_then_plan_is_in_sync_for_every_kind_and_option() {
    let state = parse(
        r#"
[[port]]
port = 1
ipproto = 47
local = "10.0.0.1"
peer = "10.0.0.2"
peer_port = 9
dev = "eth0"
remcsum_nopartial = true
[[port]]
port = 2
gue = true
family = "inet6"
[[port]]
port = 3
ipproto = 41
local = "2001:db8::1"
[[tunnel]]
name = "a"
mode = "ipip"
local = "10.0.0.1"
remote = "10.0.0.2"
ttl = 5
tos = "inherit"
dev = "eth1"
encap = "gue"
encap-sport = 4000
encap-dport = 2
encap-csum = true
encap-remcsum = true
up = true
[[tunnel]]
name = "b"
mode = "sit"
remote = "10.0.0.3"
encap = "fou"
encap-dport = 1
[[tunnel]]
name = "c"
mode = "gre"
ikey = 5
okey = "0.0.0.6"
tos = 16
[[tunnel]]
name = "d"
mode = "gretap"
remote = "10.0.0.4"
key = 7
encap = "fou"
encap-dport = 1
[[tunnel]]
name = "e"
mode = "ipip6"
remote = "2001:db8::2"
encap = "gue"
encap-dport = 2
encap-csum6 = false
[[tunnel]]
name = "f"
mode = "ip6ip6"
ttl = "inherit"
[[tunnel]]
name = "g"
mode = "any"
[[tunnel]]
name = "h"
mode = "ip6gre"
key = 1
encap = "fou"
encap-dport = 1
[[tunnel]]
name = "i"
mode = "ip6gretap"
remote = "2001:db8::9"
"#,
    )
    .unwrap();
    assert_eq!(state.tunnels[2].spec.settings.tos, Some(16));
    assert_eq!(encap_of(&state.tunnels[0]).sport, SourcePort::Fixed(4000));
    assert!(
        encap_of(&state.tunnels[7]).csum6,
        "IPv6 underlays default to encap-csum6"
    );
    let current = current_of(&state);
    let text = export_of(&current);
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let plan = plan(&back, &current, true, "-").unwrap();
    assert!(plan.is_empty(), "{:?}\n{text}", plan.lines());
    assert_eq!(back.tunnels.len(), state.tunnels.len());
    assert_eq!(
        back.tunnels.iter().map(encap_of).collect::<Vec<_>>(),
        state.tunnels.iter().map(encap_of).collect::<Vec<_>>()
    );
    assert!(text.contains("up = true"));
    assert!(encap_of(&state.tunnels[0]).kind != EncapType::None);
}

/// Every setting ip can give these kinds survives an export and reads back in sync: the
/// settings a faithful export must carry.
#[test]
fn every_setting_survives_an_export() {
    let state = parse(
        r#"
[[tunnel]]
name = "a"
mode = "ipip"
pmtudisc = false
proto = "ipip"
fwmark = 9
tos = "0x10"
[[tunnel]]
name = "b"
mode = "sit"
isatap = true
proto = "ip6ip"
[[tunnel]]
name = "c"
mode = "gre"
pmtudisc = false
ignore-df = true
iseq = true
oseq = true
icsum = true
ocsum = true
[[tunnel]]
name = "d"
mode = "ip6ip6"
encaplimit = "none"
flowlabel = 74565
tclass = "0x22"
fwmark = "inherit"
[[tunnel]]
name = "e"
mode = "ip6gre"
encaplimit = 3
tclass = "inherit"
flowlabel = "inherit"
mtu = 1400
"#,
    )
    .unwrap();
    let current = current_of(&state);
    let text = export_of(&current);
    for word in [
        "pmtudisc = false",
        "proto = \"ipip\"",
        "fwmark = 9",
        "isatap = true",
        "proto = \"ip6ip\"",
        "ignore-df = true",
        "oseq = true",
        "ocsum = true",
        "encaplimit = \"none\"",
        "flowlabel = \"0x12345\"",
        "tclass = \"0x22\"",
        "fwmark = \"inherit\"",
        "tclass = \"inherit\"",
    ] {
        assert!(text.contains(word), "{word} missing from\n{text}");
    }
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let plan = plan(&back, &current, false, "-").unwrap();
    assert!(plan.is_empty(), "{:?}\n{text}", plan.lines());
    // Drift of any of them is seen.
    let mut drifted = state.clone();
    drifted.tunnels[2].spec.settings.oseq = Some(false);
    let lines = super::plan(&state, &current_of(&drifted), false, "-")
        .unwrap()
        .lines();
    assert_eq!(lines, ["~ tunnel c oseq false -> true"]);
}

/// An MTU set by hand (one the tunnel would not get if made as it is) is exported.
#[test]
fn a_hand_set_mtu_is_exported() {
    let state = parse("[[tunnel]]\nname = \"t\"\nmode = \"ipip\"\n").unwrap();
    let mut current = current_of(&state);
    current.tunnels[0].mtu = 1300;
    let computed = [("t".to_string(), 1480)].into();
    let text = export::export(&current, &computed).unwrap();
    assert!(text.contains("mtu = 1300"), "{text}");
    let current = current_of(&state);
    let text = export::export(&current, &computed).unwrap();
    assert!(!text.contains("mtu"), "{text}");
}

/// A device that is gone is exported as ip names it, and reads back in sync.
#[test]
fn a_gone_device_is_exported_as_ip_names_it() {
    let state = parse(
        "[[port]]\nport = 1\ngue = true\nlocal = \"10.0.0.1\"\ndev = \"eth0\"\n[[tunnel]]\nname = \"t\"\nmode = \"ipip\"\ndev = \"eth1\"\n",
    )
    .unwrap();
    let mut current = current_of(&state);
    current.devices = Devices::new(
        current
            .devices
            .iter()
            .filter(|d| d.name != "eth0" && d.name != "eth1")
            .cloned()
            .collect(),
    );
    let text = export_of(&current);
    assert!(
        text.contains("dev = \"if2\"") && text.contains("dev = \"if3\""),
        "{text}"
    );
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(plan(&back, &current, false, "-").unwrap().is_empty());
}
