//! Runs of batch lines that go to the kernel together: port adds and tunnel adds and
//! changes many requests per `sendmsg`, tunnel deletes as one group delete. Each run gives
//! every line the outcome running the lines one by one gives it; without `--force` nothing
//! after the first failing line stays applied.

use rfou::tunnel::rules::refuse_fallback;
use rfou::tunnel::{OnFailure, TunnelSettings};
use rfou::{ChangeReport, Error, ErrorKind, Handle, Result};

use crate::{exec, Command, Io, Line};

/// Whether line commands `a` and `b` go in one run: port adds, tunnel adds, tunnel changes
/// (`tunnel change` and `tunnel encap` alike) and tunnel deletes each go together.
pub(crate) fn runs_with(a: &Command, b: &Command) -> bool {
    use Command::{PortAdd, TunnelAdd, TunnelChange, TunnelDel, TunnelEncap};
    matches!(
        (a, b),
        (PortAdd { .. }, PortAdd { .. })
            | (TunnelAdd(_), TunnelAdd(_))
            | (TunnelDel { .. }, TunnelDel { .. })
            | (
                TunnelChange { .. } | TunnelEncap { .. },
                TunnelChange { .. } | TunnelEncap { .. }
            )
    )
}

/// What a line of a run did: a tunnel change's report, to be said in its turn.
pub(crate) type Outcome = Result<Option<ChangeReport>>;

/// The outcomes of lines that have nothing more to say.
pub(crate) fn told(outcomes: Vec<Result<()>>) -> Vec<Outcome> {
    outcomes.into_iter().map(|o| o.map(|()| None)).collect()
}

/// What a batch does past a failing line, as the library's runs of many say it.
fn on_failure(force: bool) -> OnFailure {
    if force {
        OnFailure::GoOn
    } else {
        OnFailure::Stop
    }
}

/// Makes the tunnels of a run of `tunnel add` lines, many per `sendmsg`; without `force`
/// nothing after the first failing line stays made (see [`OnFailure`]).
pub(crate) fn add_tunnels(run: &[Line], handle: &mut Handle, force: bool) -> Vec<Result<()>> {
    let specs: Vec<&rfou::TunnelSpec> = run
        .iter()
        .map(|line| match &line.command {
            Command::TunnelAdd(spec) => spec.as_ref(),
            _ => unreachable!("a run of tunnel adds"),
        })
        .collect();
    handle.tunnel_add_many(&specs, on_failure(force))
}

/// Changes the tunnels of a run of `tunnel change` and `tunnel encap` lines, what they read
/// and what they send many per `sendmsg`; without `force` nothing after the first failing
/// line stays changed (see [`OnFailure`]).
pub(crate) fn change_tunnels(run: &[Line], handle: &mut Handle, force: bool) -> Vec<Outcome> {
    let encaps: Vec<Option<TunnelSettings>> = run
        .iter()
        .map(|line| match &line.command {
            Command::TunnelEncap { encap, .. } => Some(TunnelSettings::encap_only(*encap)),
            _ => None,
        })
        .collect();
    let changes: Vec<(&str, &TunnelSettings)> = run
        .iter()
        .zip(&encaps)
        .map(|(line, encap)| match (&line.command, encap) {
            (Command::TunnelChange { name, settings }, _) => (name.as_str(), settings.as_ref()),
            (Command::TunnelEncap { name, .. }, Some(settings)) => (name.as_str(), settings),
            _ => unreachable!("a run of tunnel changes"),
        })
        .collect();
    handle
        .tunnel_change_many(&changes, on_failure(force))
        .into_iter()
        .map(|outcome| outcome.map(Some))
        .collect()
}

/// Adds the ports of a run of `add` lines, many per `sendmsg`. Without `force` the result
/// must be what running the lines one by one gives: nothing after the first failing line
/// applied, so the ports the kernel added after it are deleted again, and the outcomes end
/// at the failure.
pub(crate) fn add_ports(run: &[Line], handle: &mut Handle, force: bool) -> Vec<Result<()>> {
    let mut ports = Vec::with_capacity(run.len());
    for line in run {
        let Command::PortAdd { port, dev } = &line.command else {
            unreachable!("a run of port adds")
        };
        match exec::with_dev(handle, port, dev) {
            Ok(port) => ports.push(port),
            // Devices are checked before anything is sent: the lines before this one go as
            // they would one by one, this one fails.
            Err(e) => {
                let mut outcomes = add_ports_checked(&ports, handle, force);
                if force || outcomes.iter().all(|o| o.is_ok()) {
                    outcomes.push(Err(e));
                    if force {
                        let rest = &run[outcomes.len()..];
                        outcomes.extend(add_ports(rest, handle, force));
                    }
                }
                return outcomes;
            }
        }
    }
    add_ports_checked(&ports, handle, force)
}

/// Deletes the tunnels of a run of `tunnel del` lines with one group delete. Every name is
/// checked first; without `force` the run ends at the first bad one, as one by one would.
/// Should the group delete fail, the lines run one by one instead.
pub(crate) fn del_tunnels(
    run: &[Line],
    handle: &mut Handle,
    force: bool,
    io: &mut Io,
) -> Vec<Result<()>> {
    let mut outcomes = Vec::with_capacity(run.len());
    let mut tunnels = Vec::new();
    let names: Vec<&str> = run
        .iter()
        .map(|line| match &line.command {
            Command::TunnelDel { name } => name.as_str(),
            _ => unreachable!("a run of tunnel deletes"),
        })
        .collect();
    // Each tunnel read once, many reads per `sendmsg`.
    let mut seen = rfou::maps::HashSet::default();
    let unique: Vec<&str> = names.iter().copied().filter(|n| seen.insert(*n)).collect();
    let mut reads: rfou::maps::HashMap<&str, Result<rfou::Tunnel>> = unique
        .iter()
        .copied()
        .zip(handle.tunnels_named(&unique))
        .collect();
    for name in names {
        let found = if let Some(read) = reads.remove(name) {
            read.and_then(|t| {
                refuse_fallback(&t, "delete")?;
                Ok(t)
            })
        } else {
            Err(Error::new(
                ErrorKind::NoSuchDevice,
                format!(
                    "device \"{name}\" does not exist in {} (deleted by an earlier line)",
                    handle.place()
                ),
            ))
        };
        match found {
            Ok(tunnel) => {
                tunnels.push(tunnel);
                outcomes.push(Ok(()));
            }
            Err(e) => {
                outcomes.push(Err(e));
                if !force {
                    break;
                }
            }
        }
    }
    let survivors = match handle.tunnel_del_many(&tunnels) {
        Ok(survivors) => survivors,
        Err(_) => {
            return run[..outcomes.len()]
                .iter()
                .zip(outcomes)
                .map(|(line, checked)| {
                    checked
                        .and_then(|()| exec::run(&line.command, handle, io.format, io.out, io.err))
                })
                .collect()
        }
    };
    // A line is done only if its tunnel is gone.
    for (line, outcome) in run.iter().zip(outcomes.iter_mut()) {
        let Command::TunnelDel { name } = &line.command else {
            unreachable!("a run of tunnel deletes")
        };
        if outcome.is_ok() && survivors.iter().any(|t| &t.name == name) {
            *outcome = Err(Error::kernel(libc::EBUSY, format!(
                    "cannot delete tunnel \"{name}\": the kernel answered the group delete with success but kept it; it is back in its group"
                )));
        }
    }
    outcomes
}

fn add_ports_checked(ports: &[rfou::FouPort], handle: &mut Handle, force: bool) -> Vec<Result<()>> {
    if ports.is_empty() {
        return Vec::new();
    }
    let mut outcomes = handle.fou_add_many(ports);
    if force {
        return outcomes;
    }
    if let Some(first_failure) = outcomes.iter().position(|o| o.is_err()) {
        // The lines after the failing one would never have run: the ports the kernel added
        // for them are taken back. One that cannot be is said with the failure.
        let mut kept = Vec::new();
        for (port, outcome) in ports.iter().zip(&outcomes).skip(first_failure + 1) {
            if outcome.is_ok() {
                if let Err(err) = handle.fou_del(port) {
                    kept.push(err.to_string());
                }
            }
        }
        outcomes.truncate(first_failure + 1);
        if !kept.is_empty() {
            let last = outcomes.pop().expect("the failing line's outcome");
            outcomes.push(last.map_err(|e| {
                e.with_note(format!(
                    "ports added by the lines after it could not all be taken back: {}",
                    kept.join("; ")
                ))
            }));
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::parse_lines;

    /// Whether the two batch lines `a` and `b` go in one run.
    fn together(a: &str, b: &str) -> bool {
        let text = format!("{a}\n{b}\n");
        let (lines, errors) = parse_lines(&text, None);
        assert!(errors.is_empty(), "{a} / {b}: {errors:?}");
        runs_with(&lines[0].command, &lines[1].command)
    }

    #[test]
    fn lines_of_one_kind_go_together() {
        assert!(together("add port 5555 ipproto 4", "add port 5556 gue"));
        assert!(together(
            "tunnel add a mode ipip remote 10.0.0.1 local 10.0.0.2",
            "tunnel add b mode gre remote 10.0.0.3 local 10.0.0.2 encap fou encap-dport 5555"
        ));
        assert!(together("tunnel del a", "tunnel del b"));
        assert!(together("tunnel change a ttl 9", "tunnel change b ttl 10"));
    }

    #[test]
    fn tunnel_change_and_tunnel_encap_go_together() {
        assert!(together(
            "tunnel change a ttl 9",
            "tunnel encap dev b gue encap-dport 6000"
        ));
        assert!(together(
            "tunnel encap dev b gue encap-dport 6000",
            "tunnel change a ttl 9"
        ));
    }

    #[test]
    fn lines_of_other_kinds_do_not() {
        assert!(!together(
            "tunnel add a mode ipip remote 10.0.0.1 local 10.0.0.2",
            "tunnel change a ttl 9"
        ));
        assert!(!together("tunnel change a ttl 9", "tunnel del a"));
        assert!(!together("add port 5555 ipproto 4", "del port 5555"));
        assert!(!together(
            "del port 5555",
            "tunnel add a mode ipip remote 10.0.0.1 local 10.0.0.2"
        ));
        assert!(!together("del port 5555", "del port 5556"));
    }
}
