//! The checks of an underlay device, the NIC FOU traffic leaves by and arrives on: `rss-udp`
//! (the RSS hash of UDP), `queues` (receive queues and RPS), `offload` (UDP tunnel
//! segmentation) and `gro`. Read through the library's NIC reader ([`Handle::nic`]).

use rfou::fou::{Family, FouPort};
use rfou::nic::{self, Fact, Feature, Nic};
use rfou::Handle;

use super::{listed, Check, Encapsulated, ObjectKind, Scene, Status};

/// What the tunnels and ports over a device need of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub udp4: bool,
    pub udp6: bool,
    /// Some tunnel sends without its UDP checksum: tx-udp_tnl-segmentation.
    pub plain_segmentation: bool,
    /// Some tunnel sends with its UDP checksum: tx-udp_tnl-csum-segmentation.
    pub csum_segmentation: bool,
}

impl Needs {
    /// What `users` and `ports` need; for a device nothing uses (`doctor dev NAME`), the
    /// hash of UDP over both families and plain segmentation.
    pub fn of(users: &[&Encapsulated], ports: &[&FouPort]) -> Needs {
        let mut needs = Needs::default();
        for t in users {
            let (csum, v6) = match t.family() {
                Family::Inet => (t.tunnel.encap.csum, false),
                Family::Inet6 => (t.tunnel.encap.csum6, true),
            };
            needs.udp4 |= !v6;
            needs.udp6 |= v6;
            needs.csum_segmentation |= csum;
            needs.plain_segmentation |= !csum;
        }
        for port in ports {
            needs.udp4 |= port.family == Family::Inet;
            needs.udp6 |= port.family == Family::Inet6;
        }
        if users.is_empty() && ports.is_empty() {
            needs = Needs {
                udp4: true,
                udp6: true,
                plain_segmentation: true,
                csum_segmentation: false,
            };
        }
        needs
    }
}

/// Every check of device `dev`, used by `users` and `ports`.
pub fn checks(
    handle: &mut Handle,
    scene: &Scene,
    dev: &str,
    users: &[&Encapsulated],
    ports: &[&FouPort],
) -> Vec<Check> {
    let needs = Needs::of(users, ports);
    let names: Vec<&str> = users.iter().map(|t| t.tunnel.name.as_str()).collect();
    let nic = match handle.nic(dev) {
        Ok(nic) => nic,
        Err(err) => {
            return ["rss-udp", "queues", "offload", "gro"]
                .iter()
                .map(|id| {
                    check(
                        dev,
                        id,
                        Status::Unknown,
                        format!("cannot read {dev}: {err}"),
                    )
                })
                .collect()
        }
    };
    let cpus = nic::all_cpus_mask();
    vec![
        rss_udp(scene, &nic, needs),
        queues(scene, &nic, cpus.as_deref()),
        offload(scene, &nic, needs, &names),
        gro(scene, &nic),
    ]
}

fn check(dev: &str, id: &str, status: Status, detail: String) -> Check {
    Check::new(id, ObjectKind::Device, dev, status, detail)
}

/// The worst of two statuses, for a check that weighs both families.
fn worst(a: Status, b: Status) -> Status {
    let rank = |s: Status| match s {
        Status::Ok => 0,
        Status::Note => 1,
        Status::Unknown => 2,
        Status::Warn => 3,
        Status::Fail => 4,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// What a device's RSS does with UDP of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rss {
    /// Hashed on these fields, both ports among them.
    Ports(String),
    /// Hashed on these fields, not both ports.
    NoPorts(String),
    /// The driver has no RSS (EOPNOTSUPP).
    None,
    /// Not readable, for this reason.
    Unreadable(String),
}

/// `rss-udp`: whether the RSS hash of UDP, for each family used, takes the ports in.
pub fn rss_udp(scene: &Scene, nic: &Nic, needs: Needs) -> Check {
    let dev = &nic.device;
    // Each family's outcome; families alike are said together.
    let mut outcomes: Vec<(Rss, Vec<&str>)> = Vec::new();
    for (flow, wanted, fact) in [
        ("udp4", needs.udp4, &nic.rss_udp4),
        ("udp6", needs.udp6, &nic.rss_udp6),
    ] {
        if !wanted {
            continue;
        }
        let rss = match fact {
            Fact::Known { value, .. } if value.hashes_ports() => Rss::Ports(value.letters()),
            Fact::Known { value, .. } => Rss::NoPorts(value.letters()),
            Fact::Unknown {
                errno: Some(libc::EOPNOTSUPP),
                ..
            } => Rss::None,
            Fact::Unknown { why, .. } => Rss::Unreadable(why.clone()),
        };
        match outcomes.iter_mut().find(|(r, _)| *r == rss) {
            Some((_, flows)) => flows.push(flow),
            None => outcomes.push((rss, vec![flow])),
        }
    }
    let mut status = Status::Ok;
    let (mut details, mut fixes) = (Vec::new(), Vec::new());
    for (rss, flows) in outcomes {
        let families: Vec<&str> = flows
            .iter()
            .map(|f| if *f == "udp4" { "IPv4" } else { "IPv6" })
            .collect();
        let over = format!("UDP over {}", listed(&families));
        match rss {
            Rss::Ports(letters) => details.push(format!(
                "RSS hashes {over} on `{letters}`, the ports included"
            )),
            Rss::NoPorts(letters) => {
                status = worst(status, Status::Warn);
                details.push(format!(
                    "{dev} hashes {over} on `{letters}`, not on the UDP ports: the FOU packets \
                     of one peer all have the same outer addresses, so they all land on one \
                     receive queue and one CPU, whatever flows they carry"
                ));
                for flow in flows {
                    fixes.push(
                        scene
                            .fixes
                            .ethtool(&format!("-N {dev} rx-flow-hash {flow} sdfn")),
                    );
                }
            }
            Rss::None => {
                status = worst(status, Status::Unknown);
                details.push(format!(
                    "{dev} has no RSS for {over} (its driver answers EOPNOTSUPP): it does not \
                     spread what it receives over queues by hash; RPS can, in software (see \
                     queues {dev})"
                ));
            }
            Rss::Unreadable(why) => {
                status = worst(status, Status::Unknown);
                details.push(format!("the RSS hash of {over} cannot be read: {why}"));
            }
        }
    }
    let fix = (!fixes.is_empty()).then(|| fixes.join(" && "));
    check(dev, "rss-udp", status, details.join("; ")).with_fix(fix)
}

/// `queues`: more than one receive queue, or RPS on the one there is.
pub fn queues(scene: &Scene, nic: &Nic, all_cpus: Option<&str>) -> Check {
    let dev = &nic.device;
    let queues = match &nic.rx_queues {
        Fact::Known { value, .. } => value,
        Fact::Unknown { why, .. } => {
            return check(
                dev,
                "queues",
                Status::Unknown,
                format!("its receive queues cannot be read: {why}"),
            )
        }
    };
    if queues.count > 1 {
        return check(
            dev,
            "queues",
            Status::Ok,
            format!(
                "{} receive queues to spread received packets over",
                queues.count
            ),
        );
    }
    if !queues.rps_queues.is_empty() {
        return check(
            dev,
            "queues",
            Status::Ok,
            "one receive queue, and RPS spreads it over CPUs".to_string(),
        );
    }
    if all_cpus == Some("1") {
        return check(
            dev,
            "queues",
            Status::Ok,
            "one receive queue, and one CPU: nothing to spread over".to_string(),
        );
    }
    let fix = all_cpus.map(|mask| {
        scene.fixes.shell(&format!(
            "echo {mask} > /sys/class/net/{dev}/queues/rx-0/rps_cpus"
        ))
    });
    check(
        dev,
        "queues",
        Status::Warn,
        format!(
            "{dev} has one receive queue and RPS is off: every packet it receives, FOU or not, \
             is handled on one CPU; RPS spreads them over CPUs by their hash"
        ),
    )
    .with_fix(fix)
}

/// `offload`: the NIC segments the UDP tunnel packets the tunnels over it send.
pub fn offload(scene: &Scene, nic: &Nic, needs: Needs, users: &[&str]) -> Check {
    let dev = &nic.device;
    let features = match &nic.features {
        Fact::Known { value, .. } => value,
        Fact::Unknown { why, .. } => {
            return check(
                dev,
                "offload",
                Status::Unknown,
                format!("its features cannot be read: {why}"),
            )
        }
    };
    let who = if users.is_empty() {
        "a tunnel over it".to_string()
    } else {
        listed(users)
    };
    let mut wanted = Vec::new();
    if needs.plain_segmentation {
        wanted.push((
            nic::TX_UDP_TNL_SEGMENTATION,
            features.tx_udp_tnl_segmentation,
        ));
    }
    if needs.csum_segmentation {
        wanted.push((
            nic::TX_UDP_TNL_CSUM_SEGMENTATION,
            features.tx_udp_tnl_csum_segmentation,
        ));
    }
    let missing: Vec<(&str, Option<Feature>)> = wanted
        .iter()
        .copied()
        .filter(|(_, f)| !f.is_some_and(|f| f.active))
        .collect();
    if missing.is_empty() {
        let names: Vec<&str> = wanted.iter().map(|(name, _)| *name).collect();
        return check(
            dev,
            "offload",
            Status::Ok,
            format!(
                "{} on: large UDP tunnel packets are cut by the NIC",
                names.join(", ")
            ),
        );
    }
    let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
    let fixable: Vec<&str> = missing
        .iter()
        .filter(|(_, f)| f.is_some_and(|f| f.changeable))
        .map(|(name, _)| *name)
        .collect();
    let fixed = if fixable.len() == missing.len() {
        String::new()
    } else {
        format!(" ({dev}'s driver cannot turn it on)")
    };
    let fix = (!fixable.is_empty()).then(|| {
        let on: Vec<String> = fixable.iter().map(|name| format!("{name} on")).collect();
        scene.fixes.ethtool(&format!("-K {dev} {}", on.join(" ")))
    });
    check(
        dev,
        "offload",
        Status::Warn,
        format!(
            "{dev} does not segment UDP tunnel packets ({} off{fixed}): each large packet {who} \
             sends (TCP's segments of up to 64 KB) is cut into MTU-sized FOU packets by the \
             CPU, in software, before {dev} sends them",
            names.join(", ")
        ),
    )
    .with_fix(fix)
}

/// `gro`: generic receive offload on the underlay, which merges FOU packets of one flow.
pub fn gro(scene: &Scene, nic: &Nic) -> Check {
    let dev = &nic.device;
    let gro = match &nic.features {
        Fact::Known { value, .. } => value.rx_gro,
        Fact::Unknown { why, .. } => {
            return check(
                dev,
                "gro",
                Status::Unknown,
                format!("its features cannot be read: {why}"),
            )
        }
    };
    match gro {
        Some(Feature { active: true, .. }) => check(
            dev,
            "gro",
            Status::Ok,
            "rx-gro on: received FOU packets of one flow are merged before the stack".into(),
        ),
        Some(Feature { changeable, .. }) => check(
            dev,
            "gro",
            Status::Warn,
            format!(
                "rx-gro is off on {dev}: every FOU packet it receives goes up the stack alone, \
                 through UDP and the tunnel, instead of being merged with the rest of its flow \
                 first, which costs several times the CPU per byte received"
            ),
        )
        .with_fix(changeable.then(|| scene.fixes.ethtool(&format!("-K {dev} gro on")))),
        None => check(
            dev,
            "gro",
            Status::Unknown,
            format!("the kernel does not name rx-gro among {dev}'s features"),
        ),
    }
}
