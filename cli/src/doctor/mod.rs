//! `rfou doctor`: why FOU traffic does not flow, or does not spread, in one namespace. It
//! reads the namespace's tunnels and receive ports, finds each tunnel's underlay as the
//! kernel does, and runs the checks of the data path on them (cli.md, "Doctor: the data
//! path"), each with what breaks and the command that fixes it. It reads only: no module is
//! loaded, nothing is written.
//!
//! The checks, by group: [`system`] (module, privilege), [`tunnel`] (port-proto,
//! port-missing, encap-sport, csum6, mtu), [`device`] (rss-udp, queues, offload, gro),
//! [`stack`] (rp-filter, port-ephemeral). [`fix`] writes the fixing commands for the
//! namespace; [`nic_json`] is `rfou __nic`, the NIC reader's facts for tests and scripts.

pub mod device;
pub mod fix;
pub mod nic_json;
pub mod stack;
pub mod system;
pub mod tunnel;

use serde::Serialize;

use rfou::fou::{Family, FouPort};
use rfou::{Devices, EncapType, ErrorKind, Handle, Result, Tunnel, TunnelKind};

use fix::Fixes;

/// The ids of the checks, in the order of the contract's table (cli.md): every check's name
/// starts with one; the manual names each (cli/tests/generated.rs).
pub const CHECK_IDS: &[&str] = &[
    "module",
    "privilege",
    "port-proto",
    "port-missing",
    "encap-sport",
    "csum6",
    "mtu",
    "rss-udp",
    "queues",
    "offload",
    "gro",
    "rp-filter",
    "port-ephemeral",
];

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but worth knowing.
    Note,
    /// Works, but not as well as it could: traffic is slow, or does not spread.
    Warn,
    /// Traffic does not flow.
    Fail,
    /// Cannot be read (a device without RSS, say); the detail says why.
    Unknown,
}

/// What a check is about, for the table's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Kernel,
    Process,
    Tunnel,
    Device,
    Port,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The check's id and its object: `module fou`, `mtu t1`, `rss-udp eth0`.
    pub check: String,
    pub status: Status,
    /// What it is about: a tunnel's or device's name, `port 5555`, `kernel`, `rfou`.
    pub object: String,
    #[serde(skip)]
    pub kind: ObjectKind,
    /// What is wrong and why it matters, or what is right.
    pub detail: String,
    /// The command that fixes it, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    /// A check of id `id` about `object`, named `id object` (`id` alone for an object that
    /// is the only one of its kind).
    pub fn new(id: &str, kind: ObjectKind, object: &str, status: Status, detail: String) -> Self {
        debug_assert!(CHECK_IDS.contains(&id), "{id} is no check of CHECK_IDS");
        let check = match kind {
            ObjectKind::Kernel | ObjectKind::Process => id.to_string(),
            ObjectKind::Port => format!("{id} {}", object.trim_start_matches("port ")),
            ObjectKind::Tunnel | ObjectKind::Device => format!("{id} {object}"),
        };
        Check {
            check,
            status,
            object: object.to_string(),
            kind,
            detail,
            fix: None,
        }
    }

    /// The same check with `fix`.
    pub fn with_fix(mut self, fix: Option<String>) -> Self {
        self.fix = fix;
        self
    }
}

/// What `rfou doctor` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Nothing failed.
    pub ok: bool,
    pub netns: Option<String>,
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether nothing failed.
    pub fn ok(&self) -> bool {
        self.ok
    }
}

/// A tunnel with a UDP encapsulation, and where its packets go.
pub struct Encapsulated {
    pub tunnel: Tunnel,
    /// The device its packets leave by (see [`Handle::underlay_device`]).
    pub underlay: Option<u32>,
    /// The MTU the kernel counts its encapsulation against (see [`Handle::underlay_mtu`]).
    pub underlay_mtu: Option<u32>,
}

impl Encapsulated {
    /// The family of the tunnel's outer packets.
    pub fn family(&self) -> Family {
        if self.tunnel.kind.ipv6_underlay() {
            Family::Inet6
        } else {
            Family::Inet
        }
    }
}

/// What the checks read of the namespace, once.
pub struct Scene {
    /// The namespace's name, as `-n` gave it.
    pub netns: Option<String>,
    pub fixes: Fixes,
    pub devices: Devices,
    /// Every tunnel with FOU or GUE, by name.
    pub tunnels: Vec<Encapsulated>,
    pub ports: Vec<FouPort>,
}

impl Scene {
    /// Reads the namespace of `handle`.
    pub fn read(handle: &mut Handle) -> Result<Scene> {
        let netns = handle.netns().map(str::to_string);
        let devices = handle.devices()?;
        let mut tunnels = Vec::new();
        for tunnel in handle.tunnels()? {
            if !matches!(tunnel.encap.kind, EncapType::Fou | EncapType::Gue) {
                continue;
            }
            let underlay = handle.underlay_device(&tunnel);
            let underlay_mtu = handle.underlay_mtu(&tunnel)?;
            tunnels.push(Encapsulated {
                tunnel,
                underlay,
                underlay_mtu,
            });
        }
        tunnels.sort_by(|a, b| a.tunnel.name.cmp(&b.tunnel.name));
        let ports = handle.fou_ports()?.ports;
        Ok(Scene {
            fixes: Fixes::new(netns.clone()),
            netns,
            devices,
            tunnels,
            ports,
        })
    }

    /// The tunnels whose packets leave by device `index`.
    pub fn tunnels_over(&self, index: u32) -> impl Iterator<Item = &Encapsulated> {
        self.tunnels
            .iter()
            .filter(move |t| t.underlay == Some(index))
    }
}

/// What `doctor dev NAME` is limited to.
enum Scope {
    All,
    Tunnel(String),
    Device(u32),
}

/// Runs every check in the namespace of `handle`; with `dev`, only those of that tunnel (and
/// its underlay) or that device, with the kernel's and rfou's own.
pub fn run(handle: &mut Handle, dev: Option<&str>) -> Result<Report> {
    let scene = Scene::read(handle)?;
    let scope = match dev {
        None => Scope::All,
        Some(name) if scene.tunnels.iter().any(|t| t.tunnel.name == name) => {
            Scope::Tunnel(name.to_string())
        }
        Some(name) => match scene.devices.named(name) {
            Some(device)
                if device
                    .kind
                    .as_deref()
                    .and_then(TunnelKind::from_name)
                    .is_some() =>
            {
                return Err(rfou::Error::invalid(format!(
                    "{name} is a tunnel without FOU or GUE encapsulation: `rfou doctor dev NAME` \
                     takes a FOU or GUE tunnel, or a device (`rfou tunnel encap dev {name} fou \
                     encap-dport PORT` gives it one)"
                )))
            }
            Some(device) => Scope::Device(device.index),
            None => {
                return Err(rfou::Error::new(
                    ErrorKind::NoSuchDevice,
                    format!(
                        "no tunnel or device \"{name}\" in {}: `rfou doctor dev NAME` takes one",
                        handle.place()
                    ),
                ))
            }
        },
    };
    let mut checks = system::checks(&scene);
    let tunnels: Vec<&Encapsulated> = scene
        .tunnels
        .iter()
        .filter(|t| match &scope {
            Scope::All => true,
            Scope::Tunnel(name) => &t.tunnel.name == name,
            Scope::Device(_) => false,
        })
        .collect();
    for encapsulated in &tunnels {
        checks.extend(tunnel::checks(&scene, encapsulated));
        checks.extend(stack::tunnel_rp_filter(handle, &scene, encapsulated));
    }
    // The underlays, in the order their tunnels came, then the devices of bound ports.
    let mut underlays: Vec<u32> = Vec::new();
    let mut wanted = |index: u32| {
        if !underlays.contains(&index) {
            underlays.push(index);
        }
    };
    match scope {
        Scope::Device(index) => wanted(index),
        Scope::Tunnel(_) => tunnels
            .iter()
            .filter_map(|t| t.underlay)
            .for_each(&mut wanted),
        Scope::All => {
            tunnels
                .iter()
                .filter_map(|t| t.underlay)
                .for_each(&mut wanted);
            scene
                .ports
                .iter()
                .filter_map(|p| p.ifindex)
                .for_each(&mut wanted);
        }
    }
    let only: Option<Vec<&Encapsulated>> = match dev {
        Some(_) if !tunnels.is_empty() => Some(tunnels.clone()),
        _ => None,
    };
    for index in underlays {
        let Some(device) = scene.devices.get(index) else {
            continue;
        };
        // Loopback traffic meets no NIC.
        if device.flags & libc::IFF_LOOPBACK as u32 != 0 {
            continue;
        }
        let users: Vec<&Encapsulated> = match &only {
            Some(tunnels) => tunnels.clone(),
            None => scene.tunnels_over(index).collect(),
        };
        let ports: Vec<&FouPort> = match only {
            Some(_) => Vec::new(),
            None => scene
                .ports
                .iter()
                .filter(|p| p.ifindex == Some(index))
                .collect(),
        };
        let name = device.name.clone();
        checks.extend(device::checks(handle, &scene, &name, &users, &ports));
        checks.extend(stack::device_rp_filter(handle, &scene, &name, &users));
    }
    if dev.is_none() {
        for port in &scene.ports {
            checks.extend(stack::port_ephemeral(handle, &scene, port));
        }
    }
    Ok(Report {
        ok: checks.iter().all(|c| c.status != Status::Fail),
        netns: scene.netns.clone(),
        checks,
    })
}

/// The words that name a receive port, as rfou's commands take them: `port 5555 -6`.
pub fn port_words(port: &FouPort, devices: &Devices) -> String {
    port.words(false, devices).join(" ")
}

/// `a`, `a and b`, `a, b and c`.
pub fn listed(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
