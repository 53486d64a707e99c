//! The checks of the namespace's IP settings: `rp-filter` (of a tunnel, and of an IPv4
//! underlay) and `port-ephemeral` (a receive port an ephemeral socket can take first).

use rfou::fou::{Family, FouPort};
use rfou::netconf::{conf_key, RpFilter};
use rfou::{ErrorKind, Handle};

use super::{port_words, Check, Encapsulated, ObjectKind, Scene, Status};

/// `rp-filter` of tunnel `t`, where it carries IPv4 (reverse-path filtering is IPv4's).
pub fn tunnel_rp_filter(handle: &Handle, scene: &Scene, t: &Encapsulated) -> Option<Check> {
    let carries_ipv4 = t.tunnel.kind.is_gre() || t.tunnel.mode().carried_protocols().contains(&4);
    if !carries_ipv4 {
        return None;
    }
    let why = format!(
        "a packet that comes out of {0} is dropped unless the route back to its source leaves \
         by {0}, so traffic that comes in by another way than it goes out (ECMP, several \
         tunnels, a default route elsewhere) vanishes without a trace",
        t.tunnel.name
    );
    rp_filter(handle, scene, &t.tunnel.name, ObjectKind::Tunnel, &why)
}

/// `rp-filter` of an underlay device, where a tunnel over it sends over IPv4.
pub fn device_rp_filter(
    handle: &Handle,
    scene: &Scene,
    dev: &str,
    users: &[&Encapsulated],
) -> Option<Check> {
    if !users.is_empty() && users.iter().all(|t| t.family() == Family::Inet6) {
        return None;
    }
    let why = format!(
        "a FOU packet from a peer is dropped unless the route back to the peer leaves by \
         {dev}: with several paths between the hosts (ECMP, two uplinks), part of the \
         tunnels' traffic vanishes"
    );
    rp_filter(handle, scene, dev, ObjectKind::Device, &why)
}

fn rp_filter(
    handle: &Handle,
    scene: &Scene,
    dev: &str,
    kind: ObjectKind,
    why: &str,
) -> Option<Check> {
    let check = |status, detail| Check::new("rp-filter", kind, dev, status, detail);
    let filter: RpFilter = match handle.rp_filter(dev) {
        Ok(filter) => filter,
        // No IPv4 settings on the device: IPv4 is off there, nothing to filter.
        Err(err) if err.kind() == ErrorKind::NoSuchDevice => return None,
        Err(err) => return Some(check(Status::Unknown, format!("cannot read it: {err}"))),
    };
    let (all, mode) = (filter.all, filter.effective());
    if !filter.is_strict() {
        let word = match mode {
            0 => "off",
            _ => "loose",
        };
        return Some(check(
            Status::Ok,
            format!("reverse-path filtering is {word} (rp_filter {mode})"),
        ));
    }
    let from = if filter.dev == 1 {
        format!("{dev}'s rp_filter is 1")
    } else {
        format!("all.rp_filter is {all}, which the kernel applies to {dev}")
    };
    Some(
        check(
            Status::Warn,
            format!(
                "strict reverse-path filtering ({from}): {why}; loose mode (2) keeps the check \
                 that the source is routable at all"
            ),
        )
        .with_fix(Some(scene.fixes.sysctl(&conf_key(dev, "rp_filter"), "2"))),
    )
}

/// `port-ephemeral` of receive port `port`.
pub fn port_ephemeral(handle: &Handle, scene: &Scene, port: &FouPort) -> Option<Check> {
    let object = port_words(port, &scene.devices);
    let check =
        |status, detail| Check::new("port-ephemeral", ObjectKind::Port, &object, status, detail);
    let (range, reserved) = match (handle.local_port_range(), handle.reserved_ports()) {
        (Ok(range), Ok(reserved)) => (range, reserved),
        (Err(err), _) | (_, Err(err)) => {
            return Some(check(
                Status::Unknown,
                format!("cannot read the port range: {err}"),
            ))
        }
    };
    let number = port.port;
    let (low, high) = (range.start(), range.end());
    if !range.contains(&number) {
        return Some(check(
            Status::Ok,
            format!("outside the ephemeral port range ({low}-{high})"),
        ));
    }
    if reserved.iter().any(|r| r.contains(&number)) {
        return Some(check(
            Status::Ok,
            format!(
                "inside the ephemeral port range ({low}-{high}), and kept out of it by \
                 ip_local_reserved_ports"
            ),
        ));
    }
    let mut list: Vec<String> = reserved
        .iter()
        .map(|r| match (r.start(), r.end()) {
            (a, b) if a == b => a.to_string(),
            (a, b) => format!("{a}-{b}"),
        })
        .collect();
    list.push(number.to_string());
    Some(
        check(
            Status::Warn,
            format!(
                "port {number} is inside the ephemeral port range ({low}-{high}, \
                 net.ipv4.ip_local_port_range, which IPv6 uses too): at boot, any program that \
                 opens a socket without naming a port (a DNS lookup, an NTP client) can be given \
                 {number} before the receive port is added, and then `rfou add port {number}` \
                 fails with EADDRINUSE until that program lets go; reserve it (and keep the \
                 setting in /etc/sysctl.d for the next boot)"
            ),
        )
        .with_fix(Some(
            scene
                .fixes
                .sysctl("net.ipv4.ip_local_reserved_ports", &list.join(",")),
        )),
    )
}
