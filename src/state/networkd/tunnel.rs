//! A tunnel netdev's `[Tunnel]` section (and `MTUBytes=`, `MACAddress=` of `[NetDev]`) as a
//! `[[tunnel]]`: the tunnel systemd-networkd 252 makes.
//!
//! networkd sends, by kind: ipip and sit the addresses, TTL, path MTU discovery and FOU
//! (sit also ISATAP); gre and gretap also TOS, keys and sequence numbers; ip6gre and
//! ip6gretap the addresses, TTL, flow label, keys and the encapsulation limit's `none` only;
//! ip6tnl its mode, the addresses, TTL, flow label and encapsulation limit. What it does not
//! send has the kernel's default, which is not always iproute2's (and so not rfou's): ipip
//! carries IPIP only, sit IPv6 only, ip6gre gets encapsulation limit 0.

use super::ini::Assignment;
use super::source::{boolean, last, tristate, Source};
use crate::error::Result;
use crate::state::DesiredTunnel;
use crate::tunnel::multicast_key;
use crate::tunnel::rules::{check_settings, check_tunnel};
use crate::tunnel::{
    Encap, EncapLimit, EncapSpec, TunnelKind, TunnelMode, TunnelSettings, TunnelSpec,
};
use crate::values::{self, Input};

pub(super) const KEYS: &[&str] = &[
    "External",
    "Local",
    "Remote",
    "TOS",
    "TTL",
    "DiscoverPathMTU",
    "IPv6FlowLabel",
    "CopyDSCP",
    "EncapsulationLimit",
    "Key",
    "InputKey",
    "OutputKey",
    "Mode",
    "Independent",
    "AssignToLoopback",
    "AllowLocalRemote",
    "FooOverUDP",
    "FOUDestinationPort",
    "FOUSourcePort",
    "Encapsulation",
    "IPv6RapidDeploymentPrefix",
    "ISATAP",
    "SerializeTunneledPackets",
    "ERSPANVersion",
    "ERSPANIndex",
    "ERSPANDirection",
    "ERSPANHardwareId",
];

/// What a tunnel of `kind` (and `mode`) networkd makes has where the file says nothing.
fn networkd_defaults(kind: TunnelKind, mode: TunnelMode) -> TunnelSettings {
    let mut settings = TunnelSettings::defaults(kind);
    match kind {
        // The kernel's default inner protocol, where networkd sends none.
        TunnelKind::Ipip => settings.proto = Some(4),
        TunnelKind::Sit => settings.proto = Some(41),
        TunnelKind::Ip6Tnl => settings.proto = mode.proto,
        // networkd sends no encapsulation limit to ip6gre: the kernel's is 0.
        TunnelKind::Ip6Gre | TunnelKind::Ip6GreTap => {
            settings.encaplimit = Some(EncapLimit::Limit(0))
        }
        TunnelKind::Gre | TunnelKind::GreTap => {}
    }
    settings
}

/// Reads the tunnel of `kind` called `name`; `netdev` is its `[NetDev]`. `None`: a tunnel
/// rfou does not make (`External=yes`). The flag: whether networkd makes it on the device
/// whose `.network` file names it.
pub(super) fn read(
    source: &mut Source,
    name: &Assignment,
    kind: TunnelKind,
    netdev: &[&Assignment],
) -> Result<Option<(DesiredTunnel, bool)>> {
    let section = source.section("Tunnel");
    source.unknown_keys("Tunnel", &section, KEYS);
    let get = |key| last(&section, key);
    if let Some(a) = get("External") {
        if boolean(source, a)? {
            source.note(
                a,
                "an external (collect metadata) tunnel: rfou makes none, not imported",
            );
            return Ok(None);
        }
    }
    let mode = match (kind, get("Mode")) {
        (TunnelKind::Ip6Tnl, None) => {
            return Err(source.bad(
                name,
                "an ip6tnl netdev needs Mode= (ip6ip6, ipip6 or any): networkd refuses it",
            ))
        }
        (TunnelKind::Ip6Tnl, Some(a)) => match a.value.as_str() {
            "ip6ip6" | "ipip6" | "any" => TunnelMode::parse(&a.value)?,
            _ => return Err(source.bad(a, "not a mode: use ip6ip6, ipip6 or any")),
        },
        (_, Some(a)) => {
            source.note(a, "networkd reads Mode= of ip6tnl tunnels only: ignored");
            TunnelMode::of(kind)
        }
        (_, None) => TunnelMode::of(kind),
    };
    let mut settings = networkd_defaults(kind, mode);
    let v6 = kind.ipv6_underlay();
    let gre = kind.is_gre();
    let gre4 = matches!(kind, TunnelKind::Gre | TunnelKind::GreTap);
    let ignored = |source: &mut Source, a: &Assignment| ignored(source, a, kind);

    let addresses = super::address::read(source, &section)?;
    if let Some(a) = addresses.local_type {
        source.note(a, "the address networkd finds on the underlying device: rfou takes the address itself (write it as local)");
    }
    for (word, found) in [("local", addresses.local), ("remote", addresses.remote)] {
        if let Some((_, a)) = found {
            set(source, &mut settings, kind, word, Input::Word(&a.value), a)?;
        }
    }
    let set = |source: &Source, settings: &mut TunnelSettings, word: &str, input, a| {
        set(source, settings, kind, word, input, a)
    };
    if let Some(a) = get("TTL") {
        set(
            source,
            &mut settings,
            "ttl",
            Input::Number(byte(source, a)?),
            a,
        )?;
    }
    if let Some(a) = get("TOS") {
        let tos = byte(source, a)?;
        if gre4 {
            set(source, &mut settings, "tos", Input::Number(tos), a)?;
        } else {
            ignored(source, a);
        }
    }
    if let Some(a) = get("DiscoverPathMTU") {
        let on = boolean(source, a)?;
        if v6 {
            ignored(source, a);
        } else {
            set(source, &mut settings, "pmtudisc", Input::Flag(on), a)?;
        }
    }
    if let Some(a) = get("IPv6FlowLabel") {
        if v6 {
            // networkd reads a number (decimal, or hexadecimal after 0x), where rfou's
            // words, as ip's, are hexadecimal.
            let label = if a.value == "inherit" {
                Input::Word(&a.value)
            } else {
                let n = values::number_in(&a.value, &a.key, 0..=0xf_ffff)
                    .map_err(|e| source.bad(a, e))?;
                Input::Number(n as i64)
            };
            set(source, &mut settings, "flowlabel", label, a)?;
        } else {
            ignored(source, a);
        }
    }
    if let Some(a) = get("EncapsulationLimit") {
        let mut given = TunnelSettings::default();
        set(source, &mut given, "encaplimit", Input::Word(&a.value), a)?;
        let limit = given.encaplimit.expect("a limit was given");
        if !v6 {
            ignored(source, a);
        } else if kind == TunnelKind::Ip6Tnl || limit == EncapLimit::None {
            settings.encaplimit = Some(limit);
        } else if limit != EncapLimit::Limit(0) {
            source.note(
                a,
                format!(
                    "networkd 252 sends only EncapsulationLimit=none for {} tunnels: the kernel gives 0",
                    kind.name()
                ),
            );
        }
    }
    // Key= is both directions; InputKey= and OutputKey= win over it; 0 is no key.
    let mut keys = [None, None];
    for (key, slots) in [
        ("Key", &[0, 1][..]),
        ("InputKey", &[0]),
        ("OutputKey", &[1]),
    ] {
        let Some(a) = get(key) else { continue };
        let value = values::key(&a.value, key).map_err(|e| source.bad(a, e))?;
        if !gre {
            if value != 0 {
                ignored(source, a);
            }
            continue;
        }
        for slot in slots {
            if value != 0 {
                keys[*slot] = Some(value);
            }
        }
    }
    settings.ikey = keys[0];
    settings.okey = keys[1];
    // networkd sends no key where none is given; rfou (as iproute2) gives a gre tunnel to
    // a multicast group the group as its key there, and has no word for "no key".
    let group = addresses
        .remote
        .filter(|(remote, _)| multicast_key(kind, Some(*remote)).is_some());
    if let Some((group, a)) = group {
        let keyless: Vec<&str> = [("ikey", keys[0]), ("okey", keys[1])]
            .into_iter()
            .filter_map(|(word, key)| key.is_none().then_some(word))
            .collect();
        if !keyless.is_empty() {
            source.note(
                a,
                format!(
                    "networkd makes this {} tunnel to a multicast group without a key ({}); rfou, as ip does, \
                     gives it the group as its key: it gets {} {group} once rfou makes it",
                    kind.name(),
                    keyless.join(", "),
                    keyless.join(" and ")
                ),
            );
        }
    }
    // An empty SerializeTunneledPackets=, ISATAP= or AllowLocalRemote= unsets it: networkd
    // sends nothing, and the kernel's default (off) is what rfou makes without it.
    if let Some((a, on)) = given_tristate(source, get("SerializeTunneledPackets"))? {
        if gre4 {
            set(source, &mut settings, "seq", Input::Flag(on), a)?;
        } else {
            ignored(source, a);
        }
    }
    if let Some((a, on)) = given_tristate(source, get("ISATAP"))? {
        if kind == TunnelKind::Sit {
            set(source, &mut settings, "isatap", Input::Flag(on), a)?;
        } else {
            ignored(source, a);
        }
    }
    for key in ["CopyDSCP", "AllowLocalRemote"] {
        let Some(a) = get(key) else { continue };
        let on = match key {
            "AllowLocalRemote" => tristate(source, a)?,
            _ => Some(boolean(source, a)?),
        };
        if on != Some(true) {
            continue;
        }
        if kind == TunnelKind::Ip6Tnl {
            source.note(a, "rfou has no setting for this ip6tnl flag: not imported");
        } else {
            ignored(source, a);
        }
    }
    if let Some(a) = get("IPv6RapidDeploymentPrefix") {
        if kind == TunnelKind::Sit {
            source.note(a, "rfou does not set 6rd prefixes: not imported");
        } else {
            ignored(source, a);
        }
    }
    for key in [
        "ERSPANVersion",
        "ERSPANIndex",
        "ERSPANDirection",
        "ERSPANHardwareId",
    ] {
        if let Some(a) = get(key) {
            source.note(a, "for erspan tunnels: networkd ignores it here");
        }
    }
    encapsulation(source, &section, kind, &mut settings)?;

    let loopback = match get("AssignToLoopback") {
        Some(a) => boolean(source, a)?,
        None => false,
    };
    let independent = match get("Independent") {
        Some(a) => boolean(source, a)?,
        None => false,
    };
    addresses.verify(source, name, kind, loopback || independent)?;
    if loopback {
        settings.dev = Some("lo".into());
    }
    if let Some(a) = last(netdev, "MTUBytes") {
        let mtu = mtu_bytes(&a.value).map_err(|e| source.bad(a, e))?;
        set(source, &mut settings, "mtu", Input::Number(mtu), a)?;
    }
    let mac = last(netdev, "MACAddress").filter(|a| !a.value.is_empty());
    if let Some(a) = mac.filter(|a| a.value != "none") {
        source.note(a, "rfou does not set a device's MAC address: not imported");
    }
    // Without MACAddress= networkd gives an Ethernet device a stable address of its own,
    // made from the machine id and the name; rfou leaves the kernel's random one.
    if mac.is_none() && matches!(kind, TunnelKind::GreTap | TunnelKind::Ip6GreTap) {
        source.note(
            name,
            format!(
                "networkd gives a {} device a MAC address of its own (from the machine id and the name); \
                 rfou does not set a device's MAC address: the kernel picks one",
                kind.name()
            ),
        );
    }
    // A fixed TTL without path MTU discovery: networkd sends both. On ipip and sit the kernel
    // turns path MTU discovery on for a fixed TTL (ipip_netlink_parms): that is the tunnel
    // networkd makes, named on the DiscoverPathMTU= line. gre and gretap keep both.
    if let (Some(pmtu), true) = (
        get("DiscoverPathMTU"),
        matches!(kind, TunnelKind::Ipip | TunnelKind::Sit),
    ) {
        if settings.pmtudisc == Some(false) && settings.ttl.is_some_and(|t| t != 0) {
            settings.pmtudisc = Some(true);
            let ttl = get("TTL").map_or(0, |a| a.line);
            source.note(
                pmtu,
                format!(
                    "the kernel turns path MTU discovery on for a {} tunnel with a fixed TTL (TTL=, line {ttl}): imported as pmtudisc",
                    kind.name()
                ),
            );
        }
    }
    let cannot = |a: &Assignment, e: crate::error::Error| {
        source.bad(
            a,
            format!("rfou cannot make this {} tunnel: {e}", kind.name()),
        )
    };
    check_settings(&settings, kind).map_err(|e| cannot(name, e))?;
    let spec = TunnelSpec {
        name: name.value.clone(),
        kind,
        settings,
    };
    // The tunnel whole, as the file's reader checks it (a gre or gretap tunnel to a
    // multicast group without a local address, say): named on its Remote= line.
    let remote_line = addresses.remote.map_or(name, |(_, a)| a);
    spec.attrs(None)
        .and_then(|attrs| check_tunnel(kind, &attrs, None))
        .map_err(|e| cannot(remote_line, e))?;
    let tunnel = DesiredTunnel {
        spec,
        line: name.line,
    };
    Ok(Some((tunnel, !(loopback || independent))))
}

fn ignored(source: &mut Source, a: &Assignment, kind: TunnelKind) {
    source.note(
        a,
        format!(
            "networkd 252 does not send it for {} tunnels: ignored",
            kind.name()
        ),
    )
}

/// Sets `word` of `settings` from `input`, an error naming assignment `a` if refused.
fn set(
    source: &Source,
    settings: &mut TunnelSettings,
    kind: TunnelKind,
    word: &str,
    input: Input,
    a: &Assignment,
) -> Result<()> {
    settings
        .set(word, input, Some(kind))
        .map_err(|e| source.bad(a, e))
}

/// A number of 0..255, as networkd reads `TTL=` and `TOS=`.
fn byte(source: &Source, a: &Assignment) -> Result<i64> {
    let n = values::number_in(&a.value, &a.key, 0..=255).map_err(|e| source.bad(a, e))?;
    Ok(n as i64)
}

/// `FooOverUDP=` and its keys: the encapsulation networkd gives ipip, sit, gre and gretap
/// (no checksums: it sends no flags), said whole as the kernel reports it.
fn encapsulation(
    source: &mut Source,
    section: &[&Assignment],
    kind: TunnelKind,
    settings: &mut TunnelSettings,
) -> Result<()> {
    let get = |key| last(section, key);
    let fou_keys = ["FOUDestinationPort", "FOUSourcePort", "Encapsulation"];
    let on = match get("FooOverUDP") {
        Some(a) => boolean(source, a)?,
        None => false,
    };
    let sends = matches!(
        kind,
        TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Gre | TunnelKind::GreTap
    );
    if !on || !sends {
        let why = if on {
            format!(
                "networkd 252 gives FOU to ipip, sit, gre and gretap tunnels only: {} gets none",
                kind.name()
            )
        } else {
            "FooOverUDP= is not on: networkd ignores it".to_string()
        };
        if let Some(a) = get("FooOverUDP").filter(|_| on) {
            source.note(a, &why);
        }
        for key in fou_keys {
            if let Some(a) = get(key) {
                source.note(a, &why);
            }
        }
        return Ok(());
    }
    let encap = match get("Encapsulation") {
        None => "fou",
        Some(a) => match a.value.as_str() {
            "FooOverUDP" => "fou",
            "GenericUDPEncapsulation" => "gue",
            _ => {
                return Err(source.bad(
                    a,
                    "not an encapsulation: use FooOverUDP or GenericUDPEncapsulation",
                ))
            }
        },
    };
    // An empty FOUDestinationPort= unsets it (port 0): as if not given.
    let Some(dport) = get("FOUDestinationPort").filter(|a| !a.value.is_empty()) else {
        let a = get("FooOverUDP").expect("FooOverUDP= is on");
        return Err(source.bad(
            a,
            "FooOverUDP= needs FOUDestinationPort=: networkd refuses the tunnel",
        ));
    };
    // networkd cannot parse 0 as a port (parse_ip_port): it ignores the line, so 0 is no
    // way to say auto (an unset source port, none or an empty FOUSourcePort=, is).
    for port in [Some(dport), get("FOUSourcePort")].into_iter().flatten() {
        if port.value.trim_start_matches('+').parse::<u64>() == Ok(0) {
            let auto = if port.key == "FOUSourcePort" {
                " (leave the key out, or empty, for auto)"
            } else {
                ""
            };
            return Err(source.bad(
                port,
                format!("0 is not a port: networkd cannot parse it and ignores the line{auto}"),
            ));
        }
    }
    let mut spec = TunnelSettings::default();
    let word = |spec: &mut TunnelSettings, key: &str, value: &str, a: &Assignment| {
        set(source, spec, kind, key, Input::Word(value), a)
    };
    word(&mut spec, "encap", encap, dport)?;
    word(&mut spec, "encap-dport", &dport.value, dport)?;
    match get("FOUSourcePort").filter(|a| !a.value.is_empty()) {
        Some(a) => word(&mut spec, "encap-sport", &a.value, a)?,
        None => word(&mut spec, "encap-sport", "auto", dport)?,
    }
    for flag in ["encap-csum", "encap-csum6", "encap-remcsum"] {
        spec.set(flag, Input::Flag(false), Some(kind))?;
    }
    let resolved = spec
        .encap
        .expect("an encapsulation was given")
        .resolve(kind, &Encap::none())
        .map_err(|e| source.bad(dport, e))?;
    settings.encap = Some(EncapSpec::whole(&resolved));
    Ok(())
}

/// `MTUBytes=`: bytes, with an optional `K`, `M` or `G` (of 1024) as systemd reads sizes.
fn mtu_bytes(value: &str) -> crate::error::Result<i64> {
    let (digits, unit) = match value.char_indices().last() {
        Some((at, c)) if matches!(c, 'K' | 'M' | 'G') => (&value[..at], c),
        _ => (value, 'B'),
    };
    let n = values::number_in(digits.trim(), "MTUBytes=", 0..=u32::MAX.into())?;
    let scale: u64 = match unit {
        'K' => 1 << 10,
        'M' => 1 << 20,
        'G' => 1 << 30,
        _ => 1,
    };
    Ok(n.saturating_mul(scale).min(i64::MAX as u64) as i64)
}

/// A tristate key's assignment and value where it is given and not empty.
fn given_tristate<'a>(
    source: &Source,
    a: Option<&'a Assignment>,
) -> Result<Option<(&'a Assignment, bool)>> {
    let Some(a) = a else { return Ok(None) };
    Ok(tristate(source, a)?.map(|on| (a, on)))
}
