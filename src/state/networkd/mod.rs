//! systemd-networkd's FOU configuration as a desired-state file: what `rfou import networkd
//! FILE...` prints, so that a host can move the FOU ports and tunnels networkd makes to rfou.
//!
//! The import says what systemd-networkd 252 (Debian 12) makes of the files, which is not
//! always what they say: networkd sends some settings for some kinds only, and the kernel
//! gives what it does not send its own default (an ipip tunnel carries only IPIP, an ip6gre
//! tunnel gets encapsulation limit 0, a fou port is always asked for as IPv4). Where the
//! object networkd makes differs from what a file says, or a setting has nothing in rfou to
//! say it, the import names the setting (`FILE:LINE: Key=value: why`) in
//! [`Import::notes`] and as a comment in the file, and never drops it without a word.
//!
//! `.netdev` files of kind `fou` become `[[port]]` entries, of kind ipip, sit, gre, gretap,
//! ip6gre, ip6gretap and ip6tnl `[[tunnel]]` entries, with or without FOU; other kinds are
//! named and left out. `.network` files are read for one thing: the device a tunnel is made
//! on (`Tunnel=` in the `[Network]` of the file whose `[Match]` names one device), which
//! becomes the tunnel's `dev`. `.link` files are named and left out; any other file is an
//! error. Each file is read on its own, as networkd reads it, without its drop-in directory.

mod address;
mod ini;
mod netdev;
mod port;
mod source;
#[cfg(test)]
mod tests;
mod tunnel;

use crate::maps::HashMap;
use std::fmt::{self, Write as _};

use super::write::{port_entry, quoted, tunnel_entry};
use super::{parse, DesiredPort};
use crate::error::{Error, Result};
use crate::fou::SocketId;
use netdev::{Made, Netdev};

/// Something a file says that the import does not carry over as written: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The file.
    pub file: String,
    /// The line (the first line of the file when the note is about the whole file).
    pub line: usize,
    /// What it is, and why (`MACAddress=...: rfou does not set a device's address`).
    pub text: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.text)
    }
}

/// What [`import_networkd`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The desired-state file.
    pub text: String,
    /// What it does not carry over as written, in file order; each is in `text` too, as a
    /// comment.
    pub notes: Vec<Note>,
}

/// A file for [`import_networkd`]: its name (what errors and notes call it; its ending
/// says what it is) and its text.
#[derive(Debug, Clone, Copy)]
pub struct NetworkdFile<'a> {
    /// The file's name or path: `.netdev`, `.network` or `.link`.
    pub name: &'a str,
    /// What it holds.
    pub text: &'a str,
}

/// The keys the import reads, by section (every other key is named as unknown): what
/// rfou-apply(8) documents, and `cli/tests/generated.rs` checks that it names each.
pub const NETWORKD_KEYS: &[(&str, &[&str])] = &[
    ("Match", netdev::MATCH_KEYS),
    ("NetDev", netdev::NETDEV_KEYS),
    ("FooOverUDP", port::KEYS),
    ("Tunnel", tunnel::KEYS),
];

/// One file's part of the import: its netdev (if it is a `.netdev` file), the tunnels its
/// `Tunnel=` lines name with the device it matches, or notes only.
enum Read {
    Netdev(Box<Netdev>),
    Network(netdev::Network),
    Skipped(Note),
}

/// The desired-state file for the FOU ports and tunnels that systemd-networkd makes from
/// `files`. A file networkd would refuse or could not read (no `Kind=`, a value it cannot
/// parse, a FOU port without `Protocol=`...) is an error that names `FILE:LINE`
/// ([`crate::ErrorKind::InvalidInput`]); what rfou cannot say is in [`Import::notes`].
pub fn import_networkd(files: &[NetworkdFile]) -> Result<Import> {
    let mut reads = Vec::new();
    for file in files {
        reads.push(read_file(file)?);
    }
    // networkd applies to a device the first .network file that matches it, and no other:
    // a later file whose [Match] names the same device makes no tunnel on it.
    let mut applied: HashMap<String, String> = HashMap::default();
    for read in &mut reads {
        let Read::Network(network) = read else {
            continue;
        };
        let Ok(device) = &network.device else {
            continue;
        };
        match applied.get(device) {
            None => {
                applied.insert(device.clone(), network.file.clone());
            }
            Some(first) => {
                for link in network.links.drain(..) {
                    network.notes.push(note_in(
                        &link.file,
                        link.line,
                        format!(
                            "Tunnel={}: networkd applies to {device} only the first .network file that matches it, {first}: this line makes no tunnel",
                            link.tunnel
                        ),
                    ));
                }
            }
        }
    }
    // Tunnel= of the .network files: the device each tunnel is made on.
    let mut links: HashMap<String, Vec<netdev::Link>> = HashMap::default();
    for read in &reads {
        if let Read::Network(network) = read {
            for link in &network.links {
                links
                    .entry(link.tunnel.clone())
                    .or_default()
                    .push(link.clone());
            }
        }
    }
    let mut out = String::from(
        "# rfou desired state (rfou import networkd): what systemd-networkd 252 makes of\n\
         # its files. A comment names each setting that is not carried over as written.\n",
    );
    let mut notes = Vec::new();
    let mut first = First {
        netdevs: reads
            .iter()
            .filter_map(|r| match r {
                Read::Netdev(n) => Some((n.name.clone(), n.file.clone())),
                _ => None,
            })
            .collect(),
        ..First::default()
    };
    for read in reads {
        match read {
            Read::Netdev(netdev) => {
                let mut netdev = *netdev;
                first.keep(&mut netdev, &links);
                netdev.notes.sort_by_key(|n| n.line);
                write_netdev(&mut out, &netdev)?;
                notes.extend(netdev.notes);
            }
            Read::Network(network) => {
                for note in network.notes {
                    let _ = write!(out, "\n# {}\n", one_line(&note.to_string()));
                    notes.push(note);
                }
            }
            Read::Skipped(note) => {
                let _ = write!(out, "\n# {}\n", one_line(&note.to_string()));
                notes.push(note);
            }
        }
    }
    // What was written must read back: a file rfou refuses would be a fault of the import.
    parse("rfou import networkd", &out).map_err(|e| {
        Error::invalid(format!(
            "the import made a file rfou refuses (a fault of rfou): {e}"
        ))
    })?;
    Ok(Import { text: out, notes })
}

/// The netdevs networkd keeps: the first of each name (of any kind), and of each fou
/// port's socket the first (the kernel refuses the second).
#[derive(Default)]
struct First {
    /// Every netdev of the files given, by name: the file that makes it.
    netdevs: HashMap<String, String>,
    names: HashMap<String, String>,
    sockets: HashMap<(SocketId, Option<String>), String>,
}

impl First {
    /// Drops what `netdev` makes where an earlier file made it first, saying so; gives a
    /// tunnel made on another device that device, from the `.network` files' `links`.
    fn keep(&mut self, netdev: &mut Netdev, links: &HashMap<String, Vec<netdev::Link>>) {
        let file = netdev.file.clone();
        if let Some(earlier) = self.names.get(&netdev.name) {
            if netdev.made.take().is_some() {
                netdev.notes.push(note_in(&file, netdev.line, format!(
                    "Name={}: {earlier} configures it first: networkd keeps the first and ignores this file",
                    netdev.name
                )));
            }
            return;
        }
        self.names.insert(netdev.name.clone(), file.clone());
        match &mut netdev.made {
            Some(Made::Port(port)) => {
                let key = (port.port.socket(), port.dev.clone());
                if let Some(earlier) = self.sockets.get(&key) {
                    let text = format!(
                        "{}: {earlier} makes the same port first: the kernel refuses networkd this one",
                        port.port.describe_with_dev(port.dev.as_deref())
                    );
                    netdev.notes.push(note_in(&file, port.line, text));
                    netdev.made = None;
                } else {
                    self.sockets.insert(key, file);
                }
            }
            Some(Made::Tunnel {
                tunnel,
                stacked: true,
            }) => {
                let found = netdev::link_device(&file, tunnel, links);
                netdev.notes.extend(found);
                // rfou-apply.service makes tunnels before networkd starts.
                let dev = tunnel.spec.settings.dev.as_deref().unwrap_or_default();
                if let Some(maker) = self.netdevs.get(dev) {
                    netdev.notes.push(note_in(&file, tunnel.line, format!(
                        "Name={}: its dev {dev} is a netdev networkd makes ({maker}): at boot rfou makes \
                         tunnels before networkd starts, so this one cannot move to rfou while networkd makes {dev}",
                        tunnel.spec.name
                    )));
                }
            }
            Some(Made::Tunnel { .. }) | None => {}
        }
    }
}

/// Appends `netdev`'s entry after a comment naming its file, name, description and notes.
/// An error names a tunnel setting no keyword of the file can say.
fn write_netdev(out: &mut String, netdev: &Netdev) -> Result<()> {
    let _ = write!(
        out,
        "\n# {}: Name={}",
        one_line(&netdev.file),
        one_line(&netdev.name)
    );
    if let Some(d) = &netdev.description {
        let _ = write!(out, " ({})", one_line(d));
    }
    out.push('\n');
    for note in &netdev.notes {
        let _ = writeln!(out, "# {}", one_line(&note.to_string()));
    }
    match &netdev.made {
        Some(Made::Port(DesiredPort { port, dev, .. })) => port_entry(out, port, dev.as_deref()),
        Some(Made::Tunnel { tunnel, .. }) => return tunnel_entry(out, &tunnel.spec),
        None => out.push_str("# (nothing imported)\n"),
    }
    Ok(())
}

/// A comment's text on one line: a value with a newline cannot end the comment early.
fn one_line(text: &str) -> String {
    if text.contains(['\n', '\r']) {
        quoted(text)
    } else {
        text.to_string()
    }
}

fn note_in(file: &str, line: usize, text: String) -> Note {
    Note {
        file: file.to_string(),
        line,
        text,
    }
}

/// What `file` holds for the import, by its ending.
fn read_file(file: &NetworkdFile) -> Result<Read> {
    let base = file.name.rsplit('/').next().unwrap_or(file.name);
    let kind = base.rsplit_once('.').map(|(_, ext)| ext);
    match kind {
        Some("netdev") | Some("network") => {}
        Some("link") => return Ok(Read::Skipped(note_in(
            file.name,
            1,
            "a .link file says how udev names and sets up devices: nothing of FOU, not imported"
                .into(),
        ))),
        _ => {
            return Err(Error::invalid(format!(
                "{}: not a .netdev or .network file: rfou imports systemd-networkd's FOU ports \
                 and tunnels (.netdev) and the devices tunnels are made on (.network)",
                file.name
            )))
        }
    }
    let sections = ini::read(file.text)
        .map_err(|(line, why)| Error::invalid(format!("{}:{line}: {why}", file.name)))?;
    if kind == Some("network") {
        return Ok(Read::Network(netdev::network(file.name, &sections)));
    }
    Ok(Read::Netdev(Box::new(netdev::read(file.name, &sections)?)))
}
