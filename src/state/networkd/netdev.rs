//! One `.netdev` file: its `[NetDev]` and `[Match]` sections, and the port or tunnel its
//! kind's section makes ([`super::port`], [`super::tunnel`]); and the one thing rfou reads
//! of a `.network` file, the tunnels made on its device (`Tunnel=`).

use crate::maps::HashMap;

use super::ini::{Assignment, Section};
use super::source::{last, Source};
use super::{note_in, Note};
use crate::error::{Error, Result};
use crate::state::{DesiredPort, DesiredTunnel};
use crate::tunnel::TunnelKind;
use crate::values;

/// What a netdev makes, for rfou.
pub(super) enum Made {
    Port(DesiredPort),
    /// A tunnel; `stacked` when networkd makes it on the device whose `.network` file
    /// names it (`Tunnel=`), not on its own (`Independent=`, `AssignToLoopback=`).
    Tunnel {
        tunnel: DesiredTunnel,
        stacked: bool,
    },
}

/// A `.netdev` file read.
pub(super) struct Netdev {
    pub(super) file: String,
    /// `Name=`, and its line.
    pub(super) name: String,
    pub(super) line: usize,
    /// `Description=`.
    pub(super) description: Option<String>,
    /// The port or tunnel; `None` for a kind rfou does not make.
    pub(super) made: Option<Made>,
    pub(super) notes: Vec<Note>,
}

pub(super) const NETDEV_KEYS: &[&str] = &["Description", "Name", "Kind", "MTUBytes", "MACAddress"];
pub(super) const MATCH_KEYS: &[&str] = &[
    "Host",
    "Virtualization",
    "KernelCommandLine",
    "KernelVersion",
    "Credential",
    "Architecture",
    "Firmware",
];

/// Reads a `.netdev` file.
pub(super) fn read(file: &str, sections: &[Section]) -> Result<Netdev> {
    let mut source = Source {
        file,
        sections,
        notes: Vec::new(),
    };
    let netdev = source.section("NetDev");
    let Some(kind) = first_kind(&mut source, &netdev) else {
        return Err(Error::invalid(format!(
            "{file}: no Kind= in [NetDev] names a kind networkd 252 knows: networkd ignores the file"
        )));
    };
    let Some(name) = last(&netdev, "Name") else {
        return Err(Error::invalid(format!(
            "{file}: no Name= in [NetDev]: networkd ignores the file"
        )));
    };
    values::device_name(&name.value, "Name=").map_err(|e| source.bad(name, e))?;
    let description = last(&netdev, "Description").map(|a| a.value.clone());
    source.unknown_keys("NetDev", &netdev, NETDEV_KEYS);
    let matches = source.section("Match");
    source.unknown_keys("Match", &matches, MATCH_KEYS);
    for a in matches
        .iter()
        .filter(|a| MATCH_KEYS.contains(&a.key.as_str()))
    {
        source.note(
            a,
            "a condition on the host: rfou applies a file wherever it is applied, so this is not imported",
        );
    }
    let tunnel_kind = TunnelKind::from_name(&kind.value);
    let section = match (kind.value.as_str(), tunnel_kind) {
        ("fou", _) => "FooOverUDP",
        (_, Some(_)) => "Tunnel",
        _ => {
            source.note(
                kind,
                "rfou makes fou ports and ipip, sit, gre, gretap, ip6gre, ip6gretap and ip6tnl tunnels: not imported",
            );
            return Ok(Netdev {
                file: file.to_string(),
                name: name.value.clone(),
                line: name.line,
                description,
                made: None,
                notes: source.notes,
            });
        }
    };
    for s in sections {
        if !["NetDev", "Match", section].contains(&s.name.as_str()) && !s.name.starts_with("X-") {
            source.notes.push(note_in(
                file,
                s.line,
                format!(
                    "[{}] is not a section of a Kind={} netdev: networkd ignores it",
                    s.name, kind.value
                ),
            ));
        }
    }
    let made = match tunnel_kind {
        None => {
            for key in ["MTUBytes", "MACAddress"] {
                if let Some(a) = last(&netdev, key) {
                    source.note(a, "a fou port is no device: networkd ignores it");
                }
            }
            Some(Made::Port(super::port::read(&mut source, name)?))
        }
        Some(kind) => super::tunnel::read(&mut source, name, kind, &netdev)?
            .map(|(tunnel, stacked)| Made::Tunnel { tunnel, stacked }),
    };
    Ok(Netdev {
        file: file.to_string(),
        name: name.value.clone(),
        line: name.line,
        description,
        made,
        notes: source.notes,
    })
}

/// The kinds of netdev networkd 252 knows (`Kind=`).
const NETWORKD_KINDS: &[&str] = &[
    "bareudp",
    "batadv",
    "bond",
    "bridge",
    "dummy",
    "erspan",
    "fou",
    "geneve",
    "gre",
    "gretap",
    "ifb",
    "ip6gre",
    "ip6gretap",
    "ip6tnl",
    "ipip",
    "ipoib",
    "ipvlan",
    "ipvtap",
    "l2tp",
    "macsec",
    "macvlan",
    "macvtap",
    "netdevsim",
    "nlmon",
    "sit",
    "tap",
    "tun",
    "vcan",
    "veth",
    "vlan",
    "vrf",
    "vti6",
    "vti",
    "vxcan",
    "vxlan",
    "wireguard",
    "wlan",
    "xfrm",
];

/// The `Kind=` networkd keeps: the first that names a kind it knows. It ignores (with a
/// warning) a word that is no kind, and a later `Kind=` that names another kind: named here.
fn first_kind<'a>(source: &mut Source, netdev: &[&'a Assignment]) -> Option<&'a Assignment> {
    let mut kept: Option<&Assignment> = None;
    for a in netdev.iter().copied().filter(|a| a.key == "Kind") {
        if !NETWORKD_KINDS.contains(&a.value.as_str()) {
            source.note(
                a,
                "not a kind of netdev networkd 252 knows: networkd ignores it",
            );
        } else if let Some(k) = kept.filter(|k| k.value != a.value) {
            let why = format!(
                "line {} says Kind={} first: networkd keeps the first kind and ignores this one",
                k.line, k.value
            );
            source.note(a, why);
        } else if kept.is_none() {
            kept = Some(a);
        }
    }
    kept
}

/// A `Tunnel=` of a `.network` file: the tunnel, and the device it is made on where the
/// file's `[Match]` names exactly one (else why not).
#[derive(Debug, Clone)]
pub(super) struct Link {
    pub(super) tunnel: String,
    pub(super) device: std::result::Result<String, String>,
    pub(super) file: String,
    pub(super) line: usize,
}

/// What rfou reads of a `.network` file: the device its `[Match]` names (else why none),
/// its `Tunnel=` lines, and notes on the lines networkd ignores.
pub(super) struct Network {
    pub(super) file: String,
    pub(super) device: std::result::Result<String, String>,
    pub(super) links: Vec<Link>,
    pub(super) notes: Vec<Note>,
}

/// Reads a `.network` file ([`Network`]).
pub(super) fn network(file: &str, sections: &[Section]) -> Network {
    let source = Source {
        file,
        sections,
        notes: Vec::new(),
    };
    // Name= is a list of names or patterns; an empty Name= clears it.
    let mut names: Vec<&str> = Vec::new();
    for a in source.section("Match").iter().filter(|a| a.key == "Name") {
        if a.value.is_empty() {
            names.clear();
        }
        names.extend(a.value.split_whitespace());
    }
    let device = match names.as_slice() {
        [one] if !one.contains(['*', '?', '[', '!']) => Ok(one.to_string()),
        [] => Err("its [Match] has no Name=".to_string()),
        [one] => Err(format!("its [Match] Name={one} is a pattern")),
        _ => Err(format!("its [Match] names {} devices", names.len())),
    };
    let mut found = Vec::new();
    let mut notes = Vec::new();
    for a in source
        .section("Network")
        .iter()
        .filter(|a| a.key == "Tunnel")
    {
        // The value is one name: networkd ignores a line whose value is no valid name,
        // several names in one value among them.
        if let Err(why) = interface_name(&a.value) {
            notes.push(note_in(
                file,
                a.line,
                format!(
                    "Tunnel={}: {why}, not a device name: networkd ignores the line, and makes no tunnel of it",
                    a.value
                ),
            ));
            continue;
        }
        found.push(Link {
            tunnel: a.value.clone(),
            device: device.clone(),
            file: file.to_string(),
            line: a.line,
        });
    }
    Network {
        file: file.to_string(),
        device,
        links: found,
        notes,
    }
}

/// Whether `name` is a name networkd takes for a network device (systemd's `ifname_valid`):
/// 1 to 15 bytes of printable ASCII other than `:`, `/` and `%`, neither `.` nor `..`, and
/// not a number alone (an interface index). Else what is wrong with it.
fn interface_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        Err("it is empty")
    } else if name.len() > 15 {
        Err("it is longer than 15 bytes")
    } else if name.bytes().any(|b| b.is_ascii_whitespace()) {
        Err("it holds white space")
    } else if name
        .bytes()
        .any(|b| !(33..127).contains(&b) || b":/%".contains(&b))
    {
        Err("it holds a byte networkd refuses in a name")
    } else if name == "." || name == ".." {
        Err("it is . or ..")
    } else if name.parse::<i32>().is_ok_and(|n| n > 0) {
        Err("it is a number")
    } else {
        Ok(())
    }
}

/// Gives a tunnel networkd makes on another device (not `Independent=`) that device as its
/// `dev`, from the `.network` files given; the notes say why it has none where it cannot.
pub(super) fn link_device(
    file: &str,
    tunnel: &mut DesiredTunnel,
    links: &HashMap<String, Vec<Link>>,
) -> Vec<Note> {
    let name = &tunnel.spec.name;
    let here = |text: String| vec![note_in(file, tunnel.line, text)];
    match links.get(name).map(Vec::as_slice).unwrap_or_default() {
        [] => here(format!(
            "Name={name}: networkd makes the tunnel on the device whose .network file names it \
             in Tunnel=, and none of the files given does: imported without dev"
        )),
        [link] => match &link.device {
            Ok(device) => {
                tunnel.spec.settings.dev = Some(device.clone());
                Vec::new()
            }
            Err(why) => here(format!(
                "Name={name}: {}:{} makes it on the device it matches, and {why}: imported without dev",
                link.file, link.line
            )),
        },
        several => {
            let places: Vec<String> = several
                .iter()
                .map(|l| format!("{}:{}", l.file, l.line))
                .collect();
            here(format!(
                "Name={name}: {} name it in Tunnel=: networkd makes it on the first of their \
                 devices to come up: imported without dev",
                places.join(", ")
            ))
        }
    }
}
