//! `rfou -b FILE --atomic`: all the lines or none.
//!
//! Lines run one at a time; before each change rfou reads what it is about to change and
//! keeps the way back (an undo log). At the first failure it walks the log backwards: ports
//! removed or re-added, encapsulations and tunnel settings restored, tunnels deleted or made
//! again with their link and tunnel settings, MTU, group and up state. Addresses, routes and
//! anything else that lived on a deleted tunnel cannot come back; rfou(8) says so.

use std::io::Write;

use super::batch::Line;
use super::{exec, Command, Format};
use crate::error::{Error, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
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

/// The port a `del` line will delete, whole (so it can be added back): the exact socket if
/// the line names it, else the one port with that number and family.
fn port_to_delete(handle: &mut Handle, port: &FouPort, dev: &Option<String>) -> Result<FouPort> {
    let mut key = port.clone();
    if let Some(dev) = dev {
        key.ifindex = Some(handle.ifindex(dev)? as i32);
    }
    if let Some(found) = handle.fou_get(&key)? {
        return Ok(found);
    }
    let bare =
        key.local.is_none() && key.peer.is_none() && key.peer_port.is_none() && dev.is_none();
    let matching: Vec<FouPort> = handle
        .fou_list()?
        .into_iter()
        .filter(|p| bare && p.port == key.port && p.family == key.family)
        .collect();
    match matching.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(Error::Kernel {
            errno: libc::EINVAL,
            message: format!(
                "cannot delete fou port {} ({}): no such fou port in {}",
                key.port,
                key.family.name(),
                handle.where_()
            ),
        }),
    }
}

/// Runs one line and returns how to take it back.
fn apply(
    line: &Line,
    handle: &mut Handle,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Option<Undo>> {
    let undo = match &line.command {
        Command::PortAdd { port, dev } => {
            let mut port = port.clone();
            if let Some(dev) = dev {
                port.ifindex = Some(handle.ifindex(dev)? as i32);
            }
            handle.fou_add(&port)?;
            return Ok(Some(Undo::DeletePort(port)));
        }
        Command::PortDel { port, dev } => {
            let whole = port_to_delete(handle, port, dev)?;
            handle.fou_del(&whole)?;
            return Ok(Some(Undo::AddPort(whole)));
        }
        Command::TunnelAdd(spec) => Some(Undo::DeleteTunnel(spec.name.clone())),
        Command::TunnelChange { name, .. } | Command::TunnelEncap { name, .. } => {
            Some(Undo::RestoreTunnel(Box::new(handle.tunnel(name)?)))
        }
        Command::TunnelDel { name } => Some(Undo::RecreateTunnel(Box::new(handle.tunnel(name)?))),
        Command::PortShow { .. }
        | Command::TunnelShow { .. }
        | Command::Doctor
        | Command::Help(_) => None,
        // Refused by batch::parse_lines: never a batch line.
        Command::Apply { .. } | Command::Export => unreachable!("apply is no batch command"),
    };
    exec::run(&line.command, handle, format, out, err)?;
    Ok(undo)
}

/// Runs `lines` all or nothing; returns the exit status.
pub fn run(
    file: &str,
    lines: &[Line],
    handle: &mut Handle,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut log: Vec<(usize, Undo)> = Vec::new();
    for line in lines {
        match apply(line, handle, format, out, err) {
            Ok(undo) => log.extend(undo.map(|u| (line.number, u))),
            Err(e) => {
                let _ = writeln!(err, "rfou: {file}:{}: {}: {e}", line.number, line.text);
                let mut failed = 0;
                for (number, undo) in log.iter().rev() {
                    if let Err(undo_err) = undo.apply(handle) {
                        failed += 1;
                        let _ = writeln!(err, "rfou: {file}:{number}: cannot undo: {undo_err}");
                    }
                }
                if failed == 0 {
                    let _ = writeln!(
                        err,
                        "rfou: {file}: --atomic: undid the {} change(s) before line {}; {} is as it was",
                        log.len(),
                        line.number,
                        handle.where_()
                    );
                } else {
                    let _ = writeln!(
                        err,
                        "rfou: {file}: --atomic: {failed} of {} change(s) could not be undone (see above)",
                        log.len()
                    );
                }
                return e.exit_code();
            }
        }
    }
    0
}
