//! `rfou -b FILE --atomic`: all the lines or none.
//!
//! Before the first line rfou reads the state the batch can touch: every tunnel, and the fou
//! ports when a line is about ports. Lines run one at a time; before each change rfou reads
//! what it is about to change and keeps the way back (an undo log). At the first failure it
//! walks the log backwards: ports removed or re-added, encapsulations and tunnel settings
//! restored (tunnels found by name: one may have been deleted and made again), tunnels
//! deleted or made again with their link and tunnel settings, MTU, group and up state.
//!
//! A deleted tunnel's addresses and routes cannot be made again by rfou, so a `tunnel del`
//! of a tunnel that carries any is refused under `--atomic`, before it is sent. After an undo
//! the state is read again and compared with the one read before the batch: "as it was" is
//! said only when they are the same, and otherwise every difference is named.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;

use netlink_packet_core::NLM_F_DUMP;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteProtocol};
use netlink_packet_route::RouteNetlinkMessage;

use super::{exec, Command, Io, Line};
use crate::error::{Error, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
use crate::tunnel::link::{differences, refuse_fallback};
use crate::tunnel::Tunnel;

/// How to take one applied line back.
enum Undo {
    DeletePort(FouPort),
    AddPort(FouPort),
    DeleteTunnel(String),
    RestoreTunnel(Box<Tunnel>),
    RecreateTunnel(Box<Tunnel>),
}

impl Undo {
    fn apply(&self, handle: &mut Handle) -> Result<()> {
        match self {
            Undo::DeletePort(port) => handle.fou_del(port),
            Undo::AddPort(port) => handle.fou_add(port),
            Undo::DeleteTunnel(name) => handle.tunnel_del(name),
            Undo::RestoreTunnel(tunnel) => handle.tunnel_restore(tunnel),
            Undo::RecreateTunnel(tunnel) => handle.tunnel_recreate(tunnel),
        }
    }
}

/// Runs one line and returns how to take it back.
fn apply(line: &Line, handle: &mut Handle, io: &mut Io) -> Result<Option<Undo>> {
    let undo = match &line.command {
        Command::PortAdd { port, dev } => {
            let port = exec::with_dev(handle, port, dev)?;
            handle.fou_add(&port)?;
            return Ok(Some(Undo::DeletePort(port)));
        }
        // The port a plain `del` deletes, read whole first so that it can be added back.
        Command::PortDel { port, dev } => {
            let port = exec::with_dev_or_gone(handle, port, dev)?;
            let whole = handle.fou_get_matching(&port)?;
            handle.fou_del(&whole)?;
            return Ok(Some(Undo::AddPort(whole)));
        }
        Command::TunnelAdd(spec) => Some(Undo::DeleteTunnel(spec.name.clone())),
        Command::TunnelChange { name, .. } | Command::TunnelEncap { name, .. } => {
            Some(Undo::RestoreTunnel(Box::new(handle.tunnel(name)?)))
        }
        Command::TunnelDel { name } => {
            let tunnel = handle.tunnel(name)?;
            refuse_fallback(&tunnel, "delete")?;
            let held = attachments(handle, &tunnel)?;
            if !held.is_empty() {
                return Err(Error::invalid(format!(
                    "--atomic cannot delete tunnel \"{name}\": it carries {}, which would be lost \
                     for good if a later line failed; remove them first, or run the batch without --atomic",
                    held.join(", ")
                )));
            }
            Some(Undo::RecreateTunnel(Box::new(tunnel)))
        }
        Command::PortShow { .. }
        | Command::TunnelShow { .. }
        | Command::Doctor
        | Command::Help(_) => None,
        // Refused by batch::parse_lines: never a batch line.
        Command::Apply { .. } | Command::Export => unreachable!("apply is no batch command"),
    };
    super::batch::run_line(line, handle, io)?;
    Ok(undo)
}

/// What lives on a tunnel that deleting it loses and making it again does not bring back:
/// its addresses (but the IPv6 link-local ones the kernel makes itself), and its routes (but
/// those the kernel makes for the addresses).
fn attachments(handle: &mut Handle, tunnel: &Tunnel) -> Result<Vec<String>> {
    let mut held = Vec::new();
    let addresses = handle
        .route
        .request(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            NLM_F_DUMP,
        )
        .map_err(|err| handle.refusal(err, "cannot list addresses"))?;
    for reply in addresses {
        let RouteNetlinkMessage::NewAddress(message) = reply else {
            continue;
        };
        if message.header.index != tunnel.ifindex {
            continue;
        }
        let address = message.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(a) => Some(*a),
            _ => None,
        });
        match address {
            Some(IpAddr::V6(a)) if a.segments()[0] & 0xffc0 == 0xfe80 => {}
            Some(a) => held.push(format!("address {a}/{}", message.header.prefix_len)),
            None => {}
        }
    }
    let routes = handle
        .route
        .request(
            RouteNetlinkMessage::GetRoute(RouteMessage::default()),
            NLM_F_DUMP,
        )
        .map_err(|err| handle.refusal(err, "cannot list routes"))?;
    for reply in routes {
        let RouteNetlinkMessage::NewRoute(message) = reply else {
            continue;
        };
        let on_tunnel = message
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::Oif(i) if *i == tunnel.ifindex));
        if on_tunnel && message.header.protocol != RouteProtocol::Kernel {
            let destination = message.attributes.iter().find_map(|a| match a {
                RouteAttribute::Destination(RouteAddress::Inet(d)) => Some(d.to_string()),
                RouteAttribute::Destination(RouteAddress::Inet6(d)) => Some(d.to_string()),
                _ => None,
            });
            held.push(match destination {
                Some(d) => format!(
                    "a route to {d}/{}",
                    message.header.destination_prefix_length
                ),
                None => "a route".to_string(),
            });
        }
    }
    Ok(held)
}

/// The state an atomic batch can change: its tunnels, by name, and (when a line is about
/// ports) its fou ports.
struct Snapshot {
    tunnels: BTreeMap<String, Tunnel>,
    ports: Option<Vec<FouPort>>,
}

impl Snapshot {
    fn read(handle: &mut Handle, with_ports: bool) -> Result<Self> {
        let tunnels = handle
            .tunnels()?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        let ports = if with_ports {
            Some(handle.fou_list()?)
        } else {
            None
        };
        Ok(Snapshot { tunnels, ports })
    }

    /// What differs in `now` from `self`, one phrase each; empty when they are the same.
    /// Device indexes do not count: a tunnel made again has a new one.
    fn differences(&self, now: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        for (name, was) in &self.tunnels {
            match now.tunnels.get(name) {
                None => out.push(format!("tunnel \"{name}\" is missing")),
                Some(is) => {
                    let changed = differences(was, is);
                    if !changed.is_empty() {
                        out.push(format!("tunnel \"{name}\": {}", changed.join(", ")));
                    }
                }
            }
        }
        for name in now.tunnels.keys() {
            if !self.tunnels.contains_key(name) {
                out.push(format!("tunnel \"{name}\" was not there"));
            }
        }
        if let (Some(was), Some(is)) = (&self.ports, &now.ports) {
            for port in was.iter().filter(|p| !is.contains(p)) {
                out.push(format!("fou port {port} is missing"));
            }
            for port in is.iter().filter(|p| !was.contains(p)) {
                out.push(format!("fou port {port} was not there"));
            }
        }
        out
    }
}

/// A note that an `--atomic` batch is under way in a namespace, and at which line: a batch
/// killed (SIGKILL, a crash) cannot undo its lines, but the next `--atomic` batch in that
/// namespace finds the note and says what may be left. Where the note cannot be written (no
/// permission on /run), there is none.
struct Progress {
    path: Option<std::path::PathBuf>,
    file: String,
}

impl Progress {
    /// Starts the note, and says on `err` what a note left by a killed batch tells.
    fn start(handle: &Handle, file: &str, err: &mut dyn Write) -> Self {
        let path = handle.route.netns_id().ok().map(|(dev, ino)| {
            std::path::Path::new(crate::tunnel::link::LOCK_DIR)
                .join(format!("atomic-netns-{dev}-{ino}"))
        });
        if let Some(left) = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) {
            let mut fields = left.lines();
            let (pid, old_file, line) = (fields.next(), fields.next(), fields.next());
            let alive = pid
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
            if !alive {
                let _ = writeln!(
                    err,
                    "rfou: {file}: --atomic: an earlier --atomic batch in {} ({}, process {}) was killed at line {} \
                     before it finished: lines up to that one may still be applied (nothing of it was surely undone)",
                    handle.where_(),
                    old_file.unwrap_or("?"),
                    pid.unwrap_or("?"),
                    line.unwrap_or("?")
                );
            }
        }
        let progress = Progress {
            path,
            file: file.to_string(),
        };
        progress.at(0);
        progress
    }

    /// Notes that line `number` is about to run.
    fn at(&self, number: usize) {
        if let Some(path) = &self.path {
            let text = format!("{}\n{}\n{number}\n", std::process::id(), self.file);
            let _ = std::fs::create_dir_all(crate::tunnel::link::LOCK_DIR)
                .and_then(|()| std::fs::write(path, text));
        }
    }

    /// The batch is over, applied or undone.
    fn finish(self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs `lines` all or nothing; returns the exit status.
pub fn run(file: &str, lines: &[Line], handle: &mut Handle, io: &mut Io) -> i32 {
    let with_ports = lines
        .iter()
        .any(|l| matches!(l.command, Command::PortAdd { .. } | Command::PortDel { .. }));
    let before = match Snapshot::read(handle, with_ports) {
        Ok(snapshot) => snapshot,
        Err(e) => {
            let _ = writeln!(
                io.err,
                "rfou: {file}: --atomic: nothing applied: cannot read the state to come back to: {e}"
            );
            return e.exit_code();
        }
    };
    let progress = Progress::start(handle, file, io.err);
    let status = run_lines(file, lines, handle, &before, &progress, io);
    progress.finish();
    status
}

/// Runs `lines` one by one, and at the first failure undoes those applied and compares the
/// state read back with `before`.
fn run_lines(
    file: &str,
    lines: &[Line],
    handle: &mut Handle,
    before: &Snapshot,
    progress: &Progress,
    io: &mut Io,
) -> i32 {
    let mut log: Vec<(usize, Undo)> = Vec::new();
    for line in lines {
        progress.at(line.number);
        match apply(line, handle, io) {
            Ok(undo) => log.extend(undo.map(|u| (line.number, u))),
            Err(e) => {
                line.tell_failure(file, &e, io.err);
                let mut failed = 0;
                for (number, undo) in log.iter().rev() {
                    if let Err(undo_err) = undo.apply(handle) {
                        failed += 1;
                        let _ = writeln!(io.err, "rfou: {file}:{number}: cannot undo: {undo_err}");
                    }
                }
                // Only what reads back counts.
                let differs = match Snapshot::read(handle, before.ports.is_some()) {
                    Ok(after) => before.differences(&after),
                    Err(read) => vec![format!("the state cannot be read back ({read})")],
                };
                if differs.is_empty() {
                    let _ = writeln!(
                        io.err,
                        "rfou: {file}: --atomic: undid the {} change(s) before line {}; {} is as it was (read back and compared)",
                        log.len(),
                        line.number,
                        handle.where_()
                    );
                    return e.exit_code();
                }
                if failed > 0 {
                    let _ = writeln!(
                        io.err,
                        "rfou: {file}: --atomic: {failed} of {} change(s) could not be undone (see above)",
                        log.len()
                    );
                }
                let _ = writeln!(
                    io.err,
                    "rfou: {file}: --atomic: {} is not as it was: {}",
                    handle.where_(),
                    differs.join("; ")
                );
                return 1;
            }
        }
    }
    0
}
