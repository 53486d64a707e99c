//! Parsing, planning and exporting desired state, over typed state: no kernel.

use crate::maps::HashMap;

use super::*;
use crate::devices::{Device, Devices};
use crate::error::ErrorKind;
use crate::fou::{Family, FouEncap};
use crate::tunnel::{Encap, EncapSpec, Tunnel};
use crate::txn::Snapshot;

pub(super) fn parse(text: &str) -> crate::Result<DesiredState> {
    file::parse("net.toml", text)
}

pub(super) fn error(text: &str) -> String {
    let err = parse(text).expect_err("the file is refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    err.to_string()
}

/// A tunnel as the kernel would report it after being made as `d` says.
pub(super) fn made(d: &DesiredTunnel, ifindex: u32, devices: &HashMap<String, u32>) -> Tunnel {
    let link = d.spec.settings.dev.as_ref().map(|n| devices[n]);
    d.spec
        .as_reported(ifindex, d.spec.settings.mtu.unwrap_or(1480), link)
}

pub(super) fn snapshot(
    ports: Vec<crate::FouPort>,
    tunnels: Vec<Tunnel>,
    devices: &HashMap<String, u32>,
) -> Snapshot {
    let mut list: Vec<Device> = devices
        .iter()
        .map(|(name, index)| Device {
            index: *index,
            name: name.clone(),
            kind: None,
            flags: 0,
        })
        .collect();
    list.sort_by_key(|d| d.index);
    Snapshot {
        ports: Some(ports),
        tunnels,
        devices: Devices::new(list),
        notes: Vec::new(),
    }
}

/// The namespace after `state` was applied to an empty one (with devices eth0 and eth1).
pub(super) fn current_of(state: &DesiredState) -> Snapshot {
    let mut devices: HashMap<String, u32> = [
        ("lo".to_string(), 1),
        ("eth0".into(), 2),
        ("eth1".into(), 3),
    ]
    .into();
    let mut ports = Vec::new();
    for p in &state.ports {
        let mut port = p.port.clone();
        port.ifindex = p.dev.as_ref().map(|d| devices[d]);
        ports.push(port);
    }
    let mut tunnels = Vec::new();
    for (i, d) in state.tunnels.iter().enumerate() {
        let index = 10 + i as u32;
        tunnels.push(made(d, index, &devices));
        devices.insert(d.spec.name.clone(), index);
    }
    snapshot(ports, tunnels, &devices)
}

pub(super) fn empty() -> Snapshot {
    current_of(&DesiredState::default())
}

/// The encapsulation a desired tunnel asks for, whole.
pub(super) fn encap_of(d: &DesiredTunnel) -> Encap {
    d.spec
        .settings
        .encap
        .unwrap_or_else(EncapSpec::none)
        .resolve(d.spec.kind, &Encap::none())
        .unwrap()
}

/// Exported with the MTU each tunnel has counted as the one it would get: no `mtu` key.
pub(super) fn export_of(current: &Snapshot) -> String {
    let computed = current
        .tunnels
        .iter()
        .map(|t| (t.name.clone(), t.mtu))
        .collect();
    export::export(current, &computed).unwrap()
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
    assert_eq!(encap_of(t), Encap::fou(5555));
    assert_eq!(t.spec.settings.whole(t.spec.kind).ttl, Some(0));
    assert_eq!(t.line, 11);
}

#[test]
fn toml_integers_are_read_in_every_form_toml_has() {
    let text = "[[port]]\nport = 5_555\nipproto = 0x4\n\n[[port]]\nport = 0o12665\ngue = true\n\n[[port]]\nport = 0b1010110110110\ngue = true\n\n[[port]]\nport = +5559\ngue = true\n";
    let state = parse(text).unwrap();
    let ports: Vec<u16> = state.ports.iter().map(|p| p.port.port).collect();
    assert_eq!(ports, [5555, 5557, 5558, 5559]);
    assert_eq!(state.ports[0].port.encap, FouEncap::Direct { ipproto: 4 });
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
            "did you mean `ipproto`?",
        ),
        (
            "[[port]]\nport = 70000\nipproto = 4\n",
            "net.toml:2:",
            "out of range",
        ),
        (
            "[[port]]\nport = 5555\n\nipproto = 0\n",
            "net.toml:4:",
            "ipproto 0",
        ),
        (
            "[[port]]\nport = 5555\nipproto = 300\n",
            "net.toml:3:",
            "out of range",
        ),
        ("[[port]]\nport = 5555\n", "net.toml:1:", "ipproto"),
        (
            "[[port]]\nport = 5555\ngue = true\nlocal = \"0.0.0.0\"\n",
            "net.toml:1:",
            "wildcard",
        ),
        (
            "[[tunnel]]\nname = \"z%d\"\nmode = \"ipip\"\n",
            "net.toml:2:",
            "template",
        ),
        (
            "[[tunnel]]\nname = \"z:colon\"\nmode = \"ipip\"\n",
            "net.toml:2:",
            "`:`",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"gre\"\nignore-df = true\n",
            "net.toml:1:",
            "nopmtudisc",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"any\"\nproto = \"ipip\"\n",
            "net.toml:4:",
            "with its mode",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"gre\"\nttl = 3\nhoplimit = 4\n",
            "net.toml:5:",
            "both set ttl",
        ),
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
            "[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nfwmark = \"inherit\"\n",
            "net.toml:1:",
            "fwmark inherit is an option of the IPv6 underlays",
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
        ("[[tunnl]]\nname = \"t1\"\n", "net.toml:1:", "unknown table \"tunnl\""),
        ("port = 5\n", "net.toml:1:", "must be [[port]] entries"),
        (
            "[[port]]\nport = 0x1_0000_0000_0000_0000\n",
            "net.toml:2:",
            "port = 0x10000000000000000: the number is out of range",
        ),
        (
            "[[port]]\nport = \"x\"\nipproto = 4\n",
            "net.toml:2:",
            "not a number",
        ),
        // What the kernel would refuse or keep otherwise, said at the key that asks for it.
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"gretap\"\nlocal = \"10.0.0.1\"\nremote = \"0.0.0.0\"\n",
            "net.toml:5:",
            "needs a remote address",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"ip6gretap\"\n",
            "net.toml:1:",
            "needs a remote address",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"gre\"\nremote = \"239.1.1.1\"\n",
            "net.toml:4:",
            "needs a local address",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"ipip\"\nmtu = 65516\n",
            "net.toml:4:",
            "mtu 65516 is out of range",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"ipip\"\nencap = \"gue\"\nencap-dport = 1\nmtu = 65504\n",
            "net.toml:6:",
            "with its encapsulation",
        ),
        (
            "[[tunnel]]\nname = \"t\"\nmode = \"ip6ip6\"\nmtu = 1279\n",
            "net.toml:4:",
            "mode ip6ip6 takes 1280",
        ),
        ("[[tunnel]]\nname = \"à\"\nmode = \"ipip\"\n", "net.toml:2:", "0xa0"),
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
            "+ tunnel tun1 mode ipip remote 192.0.2.2 local 192.0.2.1 encap fou encap-dport 5555",
        ]
    );
}

#[test]
fn a_namespace_in_sync_needs_nothing() {
    let state = parse(EXAMPLE).unwrap();
    let plan = plan(&state, &current_of(&state), true, "f").unwrap();
    assert!(plan.is_empty(), "{:?}", plan.lines());
}

#[test]
fn drift_is_changed_in_place_one_line_per_setting() {
    let state = parse(EXAMPLE).unwrap();
    let mut current = current_of(&state);
    let mut drifted = state.clone();
    let settings = &mut drifted.tunnels[0].spec.settings;
    settings.encap.as_mut().unwrap().dport = Some(5556);
    settings.ttl = Some(9);
    let devices = HashMap::default();
    current.tunnels = vec![made(&drifted.tunnels[0], 10, &devices)];
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
    other.tunnels[0].spec.kind = crate::TunnelKind::Sit;
    other.tunnels[0].spec.settings.encap = None;
    other.ports[0].port.encap = FouEncap::Gue;
    let plan = plan(&state, &current_of(&other), false, "f").unwrap();
    let lines = plan.lines();
    assert_eq!(lines[0], "replace port 5555 gue -> ipproto 4");
    assert!(
        lines[1].starts_with("replace tunnel tun1 mode ipip") && lines[1].contains("was sit"),
        "{lines:?}"
    );
    // ipip and sit: a remote that appears is a change between point-to-point and not, which
    // the kernel refuses in place (the device's flags say how it was made).
    for mode in ["ipip", "sit"] {
        let text = format!("[[tunnel]]\nname = \"t\"\nmode = \"{mode}\"\nremote = \"192.0.2.9\"\n");
        let wanted = parse(&text).unwrap();
        let mut none = wanted.clone();
        none.tunnels[0].spec.settings.remote = None;
        let current = current_of(&none);
        let plan = super::plan(&wanted, &current, false, "f").unwrap();
        assert!(
            matches!(plan.changes[0], Change::ReplaceTunnel { .. }),
            "{mode}: {:?}",
            plan.lines()
        );
    }
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
    tunl0.spec.name = "tunl0".into();
    current.tunnels.push(made(&tunl0, 50, &HashMap::default()));
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

/// A file's tunnel is the whole tunnel: written over one made by hand with a key, a local
/// address and a device, what the entry leaves out is cleared (`tunnel change`'s own edit
/// would keep it).
#[test]
fn an_entry_written_over_a_tunnel_clears_what_it_leaves_out() {
    let by_hand = parse(
        "[[tunnel]]\nname = \"g\"\nmode = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.9\"\nikey = 5\nokey = 6\ndev = \"eth0\"\n",
    )
    .unwrap();
    let state =
        parse("[[tunnel]]\nname = \"g\"\nmode = \"gre\"\nremote = \"192.0.2.2\"\n").unwrap();
    let lines = plan(&state, &current_of(&by_hand), false, "f")
        .unwrap()
        .lines();
    assert_eq!(
        lines,
        [
            "~ tunnel g remote 192.0.2.9 -> 192.0.2.2",
            "~ tunnel g local 192.0.2.1 -> any",
            "~ tunnel g dev eth0 -> none",
            "~ tunnel g ikey 5 -> none",
            "~ tunnel g okey 6 -> none",
        ]
    );
}

/// iproute2's keys for a multicast remote: the group, in each direction given none, on gre
/// and gretap alone.
#[test]
fn a_multicast_remote_gets_the_group_as_its_keys() {
    let state = parse(
        "[[tunnel]]\nname = \"a\"\nmode = \"gre\"\nlocal = \"10.0.0.1\"\nremote = \"239.1.1.1\"\n\
         [[tunnel]]\nname = \"b\"\nmode = \"gretap\"\nlocal = \"10.0.0.1\"\nremote = \"239.1.1.2\"\nokey = 9\n\
         [[tunnel]]\nname = \"c\"\nmode = \"gre\"\nlocal = \"10.0.0.1\"\nremote = \"10.0.0.3\"\n",
    )
    .unwrap();
    let whole = |i: usize| {
        let t = &state.tunnels[i].spec;
        t.settings.whole(t.kind)
    };
    let group = |a: [u8; 4]| Some(u32::from_be_bytes(a));
    assert_eq!(
        (whole(0).ikey, whole(0).okey),
        (group([239, 1, 1, 1]), group([239, 1, 1, 1]))
    );
    assert_eq!(
        (whole(1).ikey, whole(1).okey),
        (group([239, 1, 1, 2]), Some(9))
    );
    assert_eq!((whole(2).ikey, whole(2).okey), (None, None));
    // Made as it says, it is in sync: the keys are the ones the kernel reports.
    let current = current_of(&state);
    assert!(plan(&state, &current, false, "f").unwrap().is_empty());
}
