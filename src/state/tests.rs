//! Parsing, planning and exporting desired state, over typed state: no kernel.

use super::apply::update_of;
use super::*;
use crate::fou::{Family, FouEncap};
use crate::tunnel::{EncapType, SourcePort};

fn parse(text: &str) -> crate::Result<DesiredState> {
    file::parse("net.toml", text)
}

fn error(text: &str) -> String {
    let err = parse(text).expect_err("the file is refused");
    assert_eq!(err.exit_code(), 2, "{err}");
    err.to_string()
}

/// A tunnel as the kernel would report it after being made as `d` says.
fn made(d: &DesiredTunnel, ifindex: u32, devices: &HashMap<String, u32>) -> Tunnel {
    let mut data = TunnelData::empty(d.mode.kind);
    let link = d.dev.as_ref().map(|n| devices[n]);
    update_of(d).apply_whole(&mut data, link, d.mode);
    d.encap.write(&mut data);
    let mut t = Tunnel::from_data(d.name.clone(), ifindex, d.mode.kind, 1480, data);
    t.up = d.up.unwrap_or(false);
    if let Some(mtu) = d.mtu {
        t.mtu = mtu;
    }
    t
}

/// The namespace after `state` was applied to an empty one (with devices eth0 and eth1).
fn current_of(state: &DesiredState) -> Current {
    let mut devices: HashMap<String, u32> = [
        ("lo".to_string(), 1),
        ("eth0".into(), 2),
        ("eth1".into(), 3),
    ]
    .into();
    let mut current = Current::default();
    for p in &state.ports {
        let mut port = p.port.clone();
        port.ifindex = p.dev.as_ref().map(|d| devices[d] as i32);
        current.ports.push(port);
    }
    for (i, d) in state.tunnels.iter().enumerate() {
        let index = 10 + i as u32;
        current.tunnels.push(made(d, index, &devices));
        devices.insert(d.name.clone(), index);
    }
    current.devices = devices;
    current
}

fn empty() -> Current {
    current_of(&DesiredState::default())
}

const EXAMPLE: &str = r#"
[[port]]
port = 5555
ipproto = "ipip"

[[port]]
port = 5556
gue = true
family = "inet6"

[[tunnel]]
name = "tun1"
mode = "ipip"
local = "192.0.2.1"
remote = "192.0.2.2"
encap = "fou"
encap-dport = 5555
"#;

#[test]
fn the_contract_example_parses() {
    let state = parse(EXAMPLE).unwrap();
    assert_eq!(state.ports.len(), 2);
    assert_eq!(state.ports[0].port.encap, FouEncap::Direct { ipproto: 4 });
    assert_eq!(state.ports[0].line, 2);
    assert_eq!(state.ports[1].port.family, Family::Inet6);
    assert_eq!(state.ports[1].port.encap, FouEncap::Gue);
    let t = &state.tunnels[0];
    assert_eq!(t.encap, Encap::fou(5555));
    assert_eq!(t.ttl, 0);
    assert_eq!(t.line, 11);
}

#[test]
fn bad_files_name_file_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[port]]\nport = 5555\nipproto = 4\n[[port\n",
            "net.toml:4:",
            "unclosed",
        ),
        (
            "[[port]]\nport = 5555\nipproto = 4\nipprto = 5\n",
            "net.toml:4:",
            "unknown field",
        ),
        (
            "[[port]]\nport = 70000\nipproto = 4\n",
            "net.toml:2:",
            "out of range",
        ),
        (
            "[[port]]\nport = 5555\n\nipproto = 0\n",
            "net.toml:4:",
            "ipproto = 0",
        ),
        (
            "[[port]]\nport = 5555\nipproto = 300\n",
            "net.toml:3:",
            "out of range",
        ),
        ("[[port]]\nport = 5555\n", "net.toml:1:", "ipproto"),
        (
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nencap = \"fou\"\n",
            "net.toml:4:",
            "needs encap-dport",
        ),
        (
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nencap-dport = 5\n",
            "net.toml:4:",
            "encap options need",
        ),
        (
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nttl = 300\n",
            "net.toml:4:",
            "ttl",
        ),
        (
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nkey = 5\n",
            "net.toml:1:",
            "GRE options",
        ),
        (
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nlocal = \"2001:db8::1\"\n",
            "net.toml:1:",
            "IPv4 address",
        ),
        (
            "[[tunnel]]\nname = \"tunl0\"\nmode = \"ipip\"\n",
            "net.toml:1:",
            "fallback",
        ),
        (
            "[[tunnel]]\nname = \"t1\"\nmode = \"bogus\"\n",
            "net.toml:3:",
            "unknown tunnel mode",
        ),
        ("[[tunnel]]\nname = \"t1\"\n", "net.toml:1:", "needs `mode"),
        ("[[tunnl]]\nname = \"t1\"\n", "net.toml:1:", "unknown field"),
        (
            "[[port]]\nport = \"x\"\nipproto = 4\n",
            "net.toml:2:",
            "invalid type",
        ),
    ];
    for (text, place, what) in cases {
        let message = error(text);
        assert!(
            message.starts_with(place) && message.contains(what),
            "{text:?}: {message}"
        );
    }
}

#[test]
fn two_entries_for_one_port_or_one_name_are_refused() {
    let ports = "[[port]]\nport = 5555\nipproto = 4\n\n[[port]]\nport = 5555\ngue = true\n";
    let message = error(ports);
    assert!(
        message.starts_with("net.toml:5:") && message.contains("first at line 1"),
        "{message}"
    );
    // Another family, or another local address, is another socket.
    parse("[[port]]\nport = 5555\nipproto = 4\n[[port]]\nport = 5555\nipproto = 4\nfamily = \"inet6\"\n")
        .unwrap();
    let tunnels =
        "[[tunnel]]\nname = \"a\"\nmode = \"gre\"\n[[tunnel]]\nname = \"a\"\nmode = \"ipip\"\n";
    let message = error(tunnels);
    assert!(
        message.starts_with("net.toml:4:") && message.contains("\"a\" is given twice"),
        "{message}"
    );
}

#[test]
fn an_empty_namespace_gets_everything_added() {
    let state = parse(EXAMPLE).unwrap();
    let plan = plan(&state, &empty(), false, "f").unwrap();
    assert_eq!(
        plan.lines(),
        [
            "+ port 5555 ipproto 4",
            "+ port 5556 gue -6",
            "+ tunnel tun1 mode ipip local 192.0.2.1 remote 192.0.2.2 encap fou encap-sport auto encap-dport 5555 noencap-csum noencap-csum6 noencap-remcsum",
        ]
    );
    let json = plan.to_json();
    assert_eq!(json["changed"], true);
    assert_eq!(json["changes"][0]["action"], "add");
    assert_eq!(json["changes"][2]["name"], "tun1");
}

#[test]
fn a_namespace_in_sync_needs_nothing() {
    let state = parse(EXAMPLE).unwrap();
    let plan = plan(&state, &current_of(&state), true, "f").unwrap();
    assert!(plan.is_empty(), "{:?}", plan.lines());
    assert_eq!(
        plan.to_json(),
        serde_json::json!({"changed": false, "changes": []})
    );
}

#[test]
fn drift_is_changed_in_place_one_line_per_setting() {
    let state = parse(EXAMPLE).unwrap();
    let mut current = current_of(&state);
    let mut drifted = state.clone();
    drifted.tunnels[0].encap.dport = 5556;
    drifted.tunnels[0].ttl = 9;
    current.tunnels = vec![made(&drifted.tunnels[0], 10, &current.devices)];
    let plan = plan(&state, &current, false, "f").unwrap();
    assert_eq!(
        plan.lines(),
        [
            "~ tunnel tun1 ttl 9 -> inherit",
            "~ tunnel tun1 encap-dport 5556 -> 5555",
        ]
    );
    assert!(matches!(plan.changes[0], Change::ChangeTunnel { .. }));
}

#[test]
fn what_cannot_change_in_place_is_replaced_and_says_so() {
    let state = parse(EXAMPLE).unwrap();
    let mut other = state.clone();
    other.tunnels[0].mode = crate::TunnelMode::parse("sit").unwrap();
    other.tunnels[0].encap = Encap::none();
    other.ports[0].port.encap = FouEncap::Gue;
    let plan = plan(&state, &current_of(&other), false, "f").unwrap();
    let lines = plan.lines();
    assert_eq!(lines[0], "replace port 5555 gue -> ipproto 4");
    assert!(
        lines[1].starts_with("replace tunnel tun1 mode ipip") && lines[1].contains("was sit"),
        "{lines:?}"
    );
    // ipip: a remote that appears is a change between point-to-point and not.
    let mut no_remote = state.clone();
    no_remote.tunnels[0].remote = None;
    let plan = super::plan(&state, &current_of(&no_remote), false, "f").unwrap();
    assert!(matches!(plan.changes[0], Change::ReplaceTunnel { .. }));
}

#[test]
fn prune_deletes_only_fou_ports_and_encapsulated_tunnels() {
    let everything = parse(
        r#"
[[port]]
port = 7000
gue = true
[[tunnel]]
name = "plain"
mode = "gre"
remote = "192.0.2.9"
[[tunnel]]
name = "extra"
mode = "ip6gre"
encap = "gue"
encap-dport = 7000
"#,
    )
    .unwrap();
    let mut current = current_of(&everything);
    // A fallback device with an encap (someone set one): still never pruned.
    let mut tunl0 =
        parse("[[tunnel]]\nname = \"x\"\nmode = \"ipip\"\nencap = \"fou\"\nencap-dport = 1\n")
            .unwrap()
            .tunnels
            .remove(0);
    tunl0.name = "tunl0".into();
    current.tunnels.push(made(&tunl0, 50, &current.devices));
    current.devices.insert("veth0".into(), 60);
    let plan = plan(&DesiredState::default(), &current, true, "f").unwrap();
    assert_eq!(
        plan.lines(),
        ["- tunnel extra mode ip6gre", "- port 7000 gue"]
    );
    // Without --prune, nothing.
    assert!(super::plan(&DesiredState::default(), &current, false, "f")
        .unwrap()
        .is_empty());
}

#[test]
fn a_device_that_is_not_a_tunnel_is_not_replaced() {
    let state = parse("[[tunnel]]\nname = \"eth0\"\nmode = \"gre\"\n").unwrap();
    let err = plan(&state, &empty(), false, "f.toml").unwrap_err();
    assert!(err.to_string().starts_with("f.toml:1:"), "{err}");
    let state =
        parse("[[port]]\nport = 1\ngue = true\nlocal = \"10.0.0.1\"\ndev = \"eth9\"\n").unwrap();
    let err = plan(&state, &empty(), false, "f.toml").unwrap_err();
    assert!(err.to_string().contains("\"eth9\" does not exist"), "{err}");
}

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
"#,
    )
    .unwrap();
    assert_eq!(state.tunnels[2].tos, 16);
    assert_eq!(state.tunnels[0].encap.sport, SourcePort::Fixed(4000));
    assert!(
        state.tunnels[7].encap.csum6,
        "IPv6 underlays default to encap-csum6"
    );
    let current = current_of(&state);
    let text = export::export(&current);
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let plan = plan(&back, &current, true, "-").unwrap();
    assert!(plan.is_empty(), "{:?}\n{text}", plan.lines());
    assert_eq!(back.tunnels.len(), state.tunnels.len());
    assert_eq!(
        back.tunnels.iter().map(|t| t.encap).collect::<Vec<_>>(),
        state.tunnels.iter().map(|t| t.encap).collect::<Vec<_>>()
    );
    assert!(text.contains("up = true"));
    assert!(!state
        .tunnels
        .iter()
        .any(|t| t.encap.kind == EncapType::None && t.name == "a"));
}

/// A file's tunnel is the whole tunnel: written over one made by hand with a key, a local
/// address and a device, what the entry leaves out is cleared (`tunnel change`'s own edit
/// would keep it).
#[test]
fn an_entry_written_over_a_tunnel_clears_what_it_leaves_out() {
    use netlink_packet_route::link::{GreIOFlags, InfoGre};
    let state =
        parse("[[tunnel]]\nname = \"g\"\nmode = \"gre\"\nremote = \"192.0.2.2\"\n").unwrap();
    let d = &state.tunnels[0];
    let mut data = TunnelData::Gre(vec![
        InfoGre::Local("192.0.2.1".parse().unwrap()),
        InfoGre::Remote("192.0.2.9".parse().unwrap()),
        InfoGre::Link(7),
        InfoGre::IKey(5),
        InfoGre::OKey(6),
        InfoGre::IFlags(GreIOFlags::Key),
        InfoGre::OFlags(GreIOFlags::Key),
    ]);
    update_of(d).apply_whole(&mut data, None, d.mode);
    let t = Tunnel::from_data("g".into(), 10, d.mode.kind, 1476, data.clone());
    assert_eq!((t.local, t.link), (None, None));
    assert_eq!(t.remote, Some("192.0.2.2".parse().unwrap()));
    assert_eq!((t.ikey.unwrap_or(0), t.okey.unwrap_or(0)), (0, 0));
    let TunnelData::Gre(attrs) = data else {
        unreachable!("gre")
    };
    assert!(
        attrs.contains(&InfoGre::IFlags(GreIOFlags::empty())),
        "{attrs:?}"
    );
    assert!(
        attrs.contains(&InfoGre::OFlags(GreIOFlags::empty())),
        "{attrs:?}"
    );
}
