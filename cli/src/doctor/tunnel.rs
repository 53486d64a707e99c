//! The checks of one tunnel's own settings: `port-proto` and `port-missing` (the receive
//! port its `encap-dport` names, here), `encap-sport`, `csum6` and `mtu`.

use rfou::fou::{Family, FouEncap, FouPort};
use rfou::{EncapType, SourcePort, TunnelKind};

use super::{port_words, Check, Encapsulated, ObjectKind, Scene, Status};

/// Every check of tunnel `t`.
pub fn checks(scene: &Scene, t: &Encapsulated) -> Vec<Check> {
    let mut checks = ports(scene, t);
    checks.push(encap_sport(scene, t));
    if t.family() == Family::Inet6 {
        checks.push(csum6(scene, t));
    }
    checks.push(mtu(scene, t));
    checks
}

fn check(t: &Encapsulated, id: &str, status: Status, detail: String) -> Check {
    Check::new(id, ObjectKind::Tunnel, &t.tunnel.name, status, detail)
}

/// `fou` or `gue`, as `tunnel encap` takes it.
fn encap_word(t: &Encapsulated) -> String {
    t.tunnel.encap.kind.to_string()
}

/// A protocol number with its name where rfou has one: `4 (ipip)`.
fn protocol(number: u8) -> String {
    crate::output::protocol_name(number)
}

/// `port-missing`, and `port-proto` where the port is here: the receive ports here with
/// the number the tunnel sends to, of its underlay's family.
fn ports(scene: &Scene, t: &Encapsulated) -> Vec<Check> {
    let tunnel = &t.tunnel;
    let dport = tunnel.encap.dport;
    let family = t.family();
    let here: Vec<&FouPort> = scene
        .ports
        .iter()
        .filter(|p| p.port == dport && p.family == family)
        .collect();
    let carried = tunnel.mode().carried_protocols();
    let gue = tunnel.encap.kind == EncapType::Gue;
    // What a port here for this tunnel says: `port 5555 ipproto 4`, `port 5555 gue -6`.
    let fitting_port = |number: u16| {
        let mut port = if gue {
            FouPort::gue(number)
        } else {
            FouPort::direct(number, carried[0])
        };
        port.family = family;
        port.words(true, &scene.devices).join(" ")
    };
    if here.is_empty() {
        let kind_word = if gue { "GUE" } else { "FOU" };
        let detail = format!(
            "{} sends {kind_word} to UDP port {dport}, and no receive port {dport} ({}) is here: \
             fine where only the peer receives; where {} is to receive too (the usual setup, \
             the same port both ways), the peer's packets to port {dport} are refused here",
            tunnel.name,
            family.name(),
            tunnel.name
        );
        // A mode that carries more than one protocol has no one direct port that fits.
        let fix = (gue || carried.len() == 1 || tunnel.kind != TunnelKind::Ip6Tnl)
            .then(|| scene.fixes.rfou(&format!("add {}", fitting_port(dport))));
        return vec![check(t, "port-missing", Status::Warn, detail).with_fix(fix)];
    }
    let mut checks = vec![check(
        t,
        "port-missing",
        Status::Ok,
        format!("receive port {dport} ({}) is here", family.name()),
    )];
    checks.push(port_proto(scene, t, &here, fitting_port(dport)));
    checks
}

/// Whether a port here fits the tunnel: `Some(true)` it does, `Some(false)` it carries only
/// part of what an `any` tunnel sends, `None` it does not.
fn fits(port: &FouPort, gue: bool, carried: &[u8], kind: TunnelKind) -> Option<bool> {
    match (port.encap, gue) {
        (FouEncap::Gue, true) => Some(true),
        (FouEncap::Direct { ipproto }, false) if ipproto == carried[0] => {
            Some(!(kind == TunnelKind::Ip6Tnl && carried.len() > 1))
        }
        (FouEncap::Direct { ipproto }, false) if carried.contains(&ipproto) => Some(false),
        _ => None,
    }
}

fn port_proto(scene: &Scene, t: &Encapsulated, here: &[&FouPort], fitting: String) -> Check {
    let tunnel = &t.tunnel;
    let dport = tunnel.encap.dport;
    let carried = tunnel.mode().carried_protocols();
    let gue = tunnel.encap.kind == EncapType::Gue;
    let sends = if gue {
        format!("{} sends GUE", tunnel.name)
    } else if carried.len() > 1 {
        let list: Vec<String> = carried.iter().map(|p| protocol(*p)).collect();
        format!(
            "{} ({}) sends FOU with protocol {} inside",
            tunnel.name,
            tunnel.mode().word(),
            list.join(" or ")
        )
    } else {
        format!(
            "{} ({}) sends FOU with protocol {} inside",
            tunnel.name,
            tunnel.mode().word(),
            protocol(carried[0])
        )
    };
    if here
        .iter()
        .any(|p| fits(p, gue, carried, tunnel.kind) == Some(true))
    {
        let port = if gue {
            "a GUE port".to_string()
        } else {
            format!("a direct port for protocol {}", protocol(carried[0]))
        };
        return check(
            t,
            "port-proto",
            Status::Ok,
            format!("{sends} to UDP port {dport}, {port} here"),
        );
    }
    let port = here[0];
    let carries = match port.encap {
        FouEncap::Gue => "reads a GUE header first".to_string(),
        FouEncap::Direct { ipproto } => {
            format!("hands what it receives to protocol {}", protocol(ipproto))
        }
    };
    let words = port_words(port, &scene.devices);
    // Where another tunnel here sends to this port and it fits that one, the port is
    // right and this tunnel is not: point it at a port that fits it, if there is one. Else
    // make the port fit.
    let serves_another = scene.tunnels.iter().any(|other| {
        other.tunnel.name != tunnel.name
            && other.tunnel.encap.dport == dport
            && other.family() == t.family()
            && fits(
                port,
                other.tunnel.encap.kind == EncapType::Gue,
                other.tunnel.mode().carried_protocols(),
                other.tunnel.kind,
            ) == Some(true)
    });
    let fix = if serves_another {
        scene
            .ports
            .iter()
            .find(|p| p.family == port.family && fits(p, gue, carried, tunnel.kind) == Some(true))
            .map(|other| {
                scene.fixes.rfou(&format!(
                    "tunnel encap dev {} {} encap-dport {}",
                    tunnel.name,
                    encap_word(t),
                    other.port
                ))
            })
    } else {
        Some(format!(
            "{} && {}",
            scene.fixes.rfou(&format!("del {words}")),
            scene.fixes.rfou(&format!("add {fitting}"))
        ))
    };
    if fits(port, gue, carried, tunnel.kind) == Some(false) {
        // An `any` tunnel and a port for one of its protocols: the others are lost.
        return check(
            t,
            "port-proto",
            Status::Warn,
            format!(
                "{sends} to UDP port {dport}, and the receive port {dport} here {carries}: \
                 if the peer is set up as this host, the packets of the other protocol are \
                 handed to the wrong one and dropped; GUE names each packet's protocol"
            ),
        )
        .with_fix(None);
    }
    check(
        t,
        "port-proto",
        Status::Fail,
        format!(
            "{sends} to UDP port {dport}, but the receive port {dport} here {carries}: if the \
             peer is set up as this host (the same ports both ways), it hands {}'s packets to \
             the wrong protocol, which drops them, and this host does the same to the peer's",
            tunnel.name
        ),
    )
    .with_fix(fix)
}

fn encap_sport(scene: &Scene, t: &Encapsulated) -> Check {
    let tunnel = &t.tunnel;
    match tunnel.encap.sport {
        SourcePort::Auto => check(
            t,
            "encap-sport",
            Status::Ok,
            "the UDP source port is picked from each inner flow's hash (encap-sport auto)"
                .to_string(),
        ),
        SourcePort::Fixed(port) => check(
            t,
            "encap-sport",
            Status::Warn,
            format!(
                "{} sends every packet from UDP source port {port}: all its flows have the \
                 same addresses and ports outside, so the peer's RSS puts them on one receive \
                 queue (one CPU) and ECMP routers on one path; with `encap-sport auto` the \
                 kernel picks the source port from each inner flow's hash",
                tunnel.name
            ),
        )
        .with_fix(Some(scene.fixes.rfou(&format!(
            "tunnel encap dev {} {} encap-sport auto encap-dport {}",
            tunnel.name,
            encap_word(t),
            tunnel.encap.dport
        )))),
    }
}

fn csum6(scene: &Scene, t: &Encapsulated) -> Check {
    let tunnel = &t.tunnel;
    if tunnel.encap.csum6 {
        return check(
            t,
            "csum6",
            Status::Ok,
            "UDP checksums over IPv6 are on (encap-csum6)".to_string(),
        );
    }
    check(
        t,
        "csum6",
        Status::Warn,
        format!(
            "{} sends {} over IPv6 with a zero UDP checksum: IPv6 has no header checksum to \
             fall back on, so nothing protects the packets' addresses, and receivers and \
             middleboxes that follow RFC 8200 drop zero-checksum UDP over IPv6",
            tunnel.name,
            encap_word(t).to_uppercase()
        ),
    )
    .with_fix(Some(scene.fixes.rfou(&format!(
        "tunnel encap dev {} {} encap-dport {} encap-csum6",
        tunnel.name,
        encap_word(t),
        tunnel.encap.dport
    ))))
}

fn mtu(scene: &Scene, t: &Encapsulated) -> Check {
    let tunnel = &t.tunnel;
    let fits = tunnel.fitting_mtu(t.underlay_mtu);
    let path = match (t.underlay_mtu, t.underlay) {
        (Some(mtu), Some(index)) => {
            format!("the {mtu}-byte MTU of {}", scene.devices.name_of(index))
        }
        (Some(mtu), None) => format!("its underlay's MTU of {mtu}"),
        (None, _) => "a path of 1500 bytes (no route to its remote and no bound device: the \
                      kernel counts 1500)"
            .to_string(),
    };
    if tunnel.mtu <= fits {
        return check(
            t,
            "mtu",
            Status::Ok,
            format!(
                "MTU {} fits {path} with the {} encapsulation (at most {fits})",
                tunnel.mtu,
                encap_word(t)
            ),
        );
    }
    check(
        t,
        "mtu",
        Status::Fail,
        format!(
            "{} has MTU {}, but with its outer header and {} encapsulation only {fits} fit \
             {path}: full-size packets are fragmented outside, or, with DF set (TCP, path MTU \
             discovery), dropped",
            tunnel.name,
            tunnel.mtu,
            encap_word(t)
        ),
    )
    .with_fix(Some(
        scene
            .fixes
            .rfou(&format!("tunnel change {} mtu {fits}", tunnel.name)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfou::TunnelMode;

    fn carried(kind: TunnelKind, proto: Option<u8>) -> &'static [u8] {
        TunnelMode { kind, proto }.carried_protocols()
    }

    #[test]
    fn a_port_fits_what_the_tunnel_sends_and_an_any_ip6tnl_fits_only_half() {
        let ip6tnl_any = carried(TunnelKind::Ip6Tnl, None);
        let ip6ip6 = carried(TunnelKind::Ip6Tnl, Some(41));
        let port41 = FouPort::direct(5558, 41).ipv6();
        // ip6tnl mode any sends IPv4 and IPv6 inside; a direct port carries one: warn.
        assert_eq!(
            fits(&port41, false, ip6tnl_any, TunnelKind::Ip6Tnl),
            Some(false)
        );
        assert_eq!(fits(&port41, false, ip6ip6, TunnelKind::Ip6Tnl), Some(true));
        // GUE names each packet's protocol: it fits any mode, and only GUE tunnels.
        let gue = FouPort::gue(5559).ipv6();
        assert_eq!(fits(&gue, true, ip6tnl_any, TunnelKind::Ip6Tnl), Some(true));
        assert_eq!(fits(&gue, false, ip6ip6, TunnelKind::Ip6Tnl), None);
        // ipip to a GRE port: no fit at all (fail).
        let ipip = carried(TunnelKind::Ipip, Some(4));
        assert_eq!(
            fits(&FouPort::direct(5555, 47), false, ipip, TunnelKind::Ipip),
            None
        );
        assert_eq!(
            fits(&FouPort::direct(5555, 4), false, ipip, TunnelKind::Ipip),
            Some(true)
        );
    }
}
