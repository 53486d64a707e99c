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

use std::io::Write;

use rfou::tunnel::rules::refuse_fallback;
use rfou::txn::{Snapshot, Transaction, Undo};
use rfou::{Error, Handle, Result};

use crate::{exec, exit, Command, Io, Line};

/// Runs one line and returns how to take it back.
fn apply(line: &Line, handle: &mut Handle, io: &mut Io) -> Result<Option<Undo>> {
    let undo = match &line.command {
        Command::PortAdd { port, dev } => {
            let port = exec::with_dev(handle, port, dev)?;
            handle.fou_add(&port)?;
            return Ok(Some(Undo::DelPort(port)));
        }
        // The port a plain `del` deletes, read whole first so that it can be added back.
        Command::PortDel { port, dev } => {
            let port = exec::with_dev_or_gone(handle, port, dev)?;
            let whole = handle.fou_get_matching(&port)?;
            handle.fou_del(&whole)?;
            return Ok(Some(Undo::AddPort(whole)));
        }
        Command::TunnelAdd(spec) => Some(Undo::DelTunnel(spec.name.clone())),
        Command::TunnelChange { name, .. } | Command::TunnelEncap { name, .. } => {
            Some(Undo::Restore(Box::new(handle.tunnel(name)?)))
        }
        Command::TunnelDel { name } => {
            let tunnel = handle.tunnel(name)?;
            refuse_fallback(&tunnel, "delete")?;
            let held = handle.tunnel_attachments(&tunnel)?;
            if !held.is_empty() {
                return Err(Error::invalid(format!(
                    "--atomic cannot delete tunnel \"{name}\": it carries {}, which would be lost \
                     for good if a later line failed; remove them first, or run the batch without --atomic",
                    held.join(", ")
                )));
            }
            Some(Undo::Recreate(Box::new(tunnel)))
        }
        Command::PortShow { .. }
        | Command::TunnelShow { .. }
        | Command::Doctor { .. }
        | Command::Help(_) => None,
        // Refused by batch::parse_lines: never a batch line.
        Command::Apply { .. } | Command::Export | Command::ImportNetworkd { .. } => {
            unreachable!("apply, export and import are no batch commands")
        }
    };
    exec::run_line(line, handle, io)?;
    Ok(undo)
}

/// Where the progress notes live, beside the namespaces' change locks.
const PROGRESS_DIR: &str = "/run/rfou";

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
        let path = handle.netns_id().ok().map(|(dev, ino)| {
            std::path::Path::new(PROGRESS_DIR).join(format!("atomic-netns-{dev}-{ino}"))
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
                    handle.place(),
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
            // Where the note cannot be written there is none, as the type says.
            let _ = std::fs::create_dir_all(PROGRESS_DIR).and_then(|()| std::fs::write(path, text));
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
    let before = match handle.snapshot(with_ports) {
        Ok(snapshot) => snapshot,
        Err(e) => {
            let _ = writeln!(
                io.err,
                "rfou: {file}: --atomic: nothing applied: cannot read the state to come back to: {e}"
            );
            return exit::status(&e).into();
        }
    };
    let progress = Progress::start(handle, file, io.err);
    let status = run_lines(file, lines, handle, before, &progress, io);
    progress.finish();
    status
}

/// Runs `lines` one by one, and at the first failure undoes those applied and compares the
/// state read back with `before`.
fn run_lines(
    file: &str,
    lines: &[Line],
    handle: &mut Handle,
    before: Snapshot,
    progress: &Progress,
    io: &mut Io,
) -> i32 {
    let mut txn = Transaction::new(before);
    for line in lines {
        progress.at(line.number);
        let e = match apply(line, handle, io) {
            Ok(undo) => {
                if let Some(undo) = undo {
                    txn.record(undo);
                }
                continue;
            }
            Err(e) => e,
        };
        line.tell_failure(file, &e, io.err);
        let rollback = txn.rollback(handle);
        if rollback.as_before() {
            let _ = writeln!(
                io.err,
                "rfou: {file}: --atomic: undid the {} change(s) before line {}; {} is as it was (read back and compared)",
                rollback.undone,
                line.number,
                handle.place()
            );
            return exit::status(&e).into();
        }
        for undo_err in &rollback.failures {
            let _ = writeln!(io.err, "rfou: {file}: cannot undo: {undo_err}");
        }
        if !rollback.failures.is_empty() {
            let _ = writeln!(
                io.err,
                "rfou: {file}: --atomic: {} of {} change(s) could not be undone (see above)",
                rollback.failures.len(),
                rollback.undone
            );
        }
        let mut differs = rollback.differences.clone();
        if let Some(read) = &rollback.unread {
            differs.push(format!("the state cannot be read back ({read})"));
        }
        let _ = writeln!(
            io.err,
            "rfou: {file}: --atomic: {} is not as it was: {}",
            handle.place(),
            differs.join("; ")
        );
        return 1;
    }
    0
}
