//! Running one [`Command`] against a [`Handle`].

use std::io::Write;

use super::{help, words, ApplyOptions, Command, Format};
use crate::doctor;
use crate::error::{Error, ErrorKind, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
use crate::output::{self, Names};
use crate::state;
use crate::tunnel::link::link_name;
use crate::tunnel::ChangeReport;

/// Runs `command`; what it prints goes to `out`, notes for the user to `err`.
pub fn run(
    command: &Command,
    handle: &mut Handle,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let write = |out: &mut dyn Write, text: &str| {
        out.write_all(text.as_bytes())
            .map_err(|e| Error::system(format!("cannot write output: {e}")))
    };
    match command {
        Command::PortAdd { port, dev } => {
            let port = with_dev(handle, port, dev)?;
            handle.fou_add(&port)
        }
        Command::PortDel { port, dev } => {
            let port = with_dev_or_gone(handle, port, dev)?;
            handle.fou_del_matching(&port).map(|_| ())
        }
        Command::PortShow { port, family } => {
            let list = handle.fou_ports()?;
            let ports: Vec<FouPort> = list
                .ports
                .into_iter()
                .filter(|p| port.is_none_or(|n| p.port == n))
                .filter(|p| family.is_none_or(|f| p.family == f))
                .collect();
            let names = if ports.iter().any(|p| p.ifindex.is_some()) {
                names(handle)?
            } else {
                Names::new()
            };
            for note in &list.notes {
                writeln!(err, "rfou: note: {note}")
                    .map_err(|e| Error::system(format!("cannot write output: {e}")))?;
            }
            let text = if format.json {
                output::ports_json(&ports, &names, format.pretty)
            } else {
                output::ports_table(&ports, &names)
            };
            write(out, &text)
        }
        Command::TunnelAdd(spec) => handle.tunnel_add(spec),
        Command::TunnelChange { name, update } => {
            let report = handle.tunnel_change(name, update)?;
            tell(name, &report, format, out, err)
        }
        Command::TunnelEncap { name, encap } => {
            let report = handle.tunnel_set_encap(name, encap)?;
            tell(name, &report, format, out, err)
        }
        Command::TunnelDel { name } => handle.tunnel_del(name),
        Command::TunnelShow { name } => {
            let tunnels = match name {
                Some(name) => vec![handle.tunnel(name)?],
                None => handle.tunnels()?,
            };
            let names = names(handle)?;
            let text = if format.json {
                output::tunnels_json(&tunnels, &names, format.pretty) + "\n"
            } else {
                output::tunnels_table(&tunnels)
            };
            write(out, &text)
        }
        Command::Doctor => {
            let report = doctor::run(handle);
            let text = if format.json {
                output::to_json(&report, format.pretty) + "\n"
            } else {
                doctor::text(&report)
            };
            write(out, &text)?;
            if report.ok {
                Ok(())
            } else {
                Err(Error::system("doctor found problems (see FAIL above)"))
            }
        }
        Command::Apply { file, options } => {
            apply(file, *options, handle, format, out, err).map(|_| ())
        }
        Command::Export => {
            let current = handle.read_state()?;
            write(out, &state::export::export(&current))
        }
        Command::Help(topic) => write(out, &help::text(topic.as_deref())?),
    }
}

/// The exit status of `apply --check` when the namespace is not in sync: 0 is in sync, 1 and
/// 2 are taken by refusals and bad input.
pub const WOULD_CHANGE: u8 = 3;

/// Reads a desired-state file (`-`: standard input), refusing a bad one before anything is
/// sent, then applies it (or with `check` only plans). Prints one line per change, or
/// `unchanged`; with `-j` `{"changed": BOOL, "changes": [...]}`. With `defer_bound`, the ports
/// that cannot be bound yet are left out, each named on `err`. Returns the exit status:
/// [`WOULD_CHANGE`] when `check` finds changes to make, 0 otherwise.
pub fn apply(
    file: &str,
    options: ApplyOptions,
    handle: &mut Handle,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8> {
    let ApplyOptions {
        check,
        prune,
        defer_bound,
    } = options;
    let (name, text) = if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::invalid(format!("cannot read standard input: {e}")))?;
        ("<stdin>", text)
    } else {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::invalid(format!("cannot read {file}: {e}")))?;
        (file, text)
    };
    let mut desired = state::file::parse(name, &text)?;
    if defer_bound {
        let bindable = handle.bindable()?;
        let place = match handle.where_().as_str() {
            "this namespace" => "on this host".to_string(),
            there => format!("in {there}"),
        };
        for deferred in state::defer::defer_bound(&mut desired, &bindable) {
            writeln!(err, "rfou: {}", deferred.message(name, &place))
                .map_err(|e| Error::system(format!("cannot write to standard error: {e}")))?;
        }
    }
    let plan = handle.apply_state(&desired, name, prune, check)?;
    let text = if format.json {
        output::to_json(&plan.to_json(), format.pretty) + "\n"
    } else if plan.is_empty() {
        "unchanged\n".to_string()
    } else {
        plan.lines().join("\n") + "\n"
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::system(format!("cannot write output: {e}")))?;
    Ok(if check && !plan.is_empty() {
        WOULD_CHANGE
    } else {
        0
    })
}

fn names(handle: &mut Handle) -> Result<Names> {
    Ok(handle
        .links()?
        .iter()
        .filter_map(|l| Some((l.header.index, link_name(l)?.to_string())))
        .collect())
}

/// `port` bound to device `dev` by its index, where a device is named.
pub(super) fn with_dev(
    handle: &mut Handle,
    port: &FouPort,
    dev: &Option<String>,
) -> Result<FouPort> {
    let mut port = port.clone();
    if let Some(dev) = dev {
        port.ifindex = Some(handle.ifindex(dev)? as i32);
    }
    Ok(port)
}

/// [`with_dev`] for a delete: a port can outlive its device, and then `ip fou show` names
/// the device `ifN` (its old index); `dev ifN` names it back, as ip reads it.
pub(super) fn with_dev_or_gone(
    handle: &mut Handle,
    port: &FouPort,
    dev: &Option<String>,
) -> Result<FouPort> {
    match with_dev(handle, port, dev) {
        Ok(port) => Ok(port),
        // Only a device that does not exist (an invalid name) may be one that is gone.
        Err(err) if err.kind() == ErrorKind::NoSuchDevice => {
            match dev.as_deref().and_then(words::gone_device_index) {
                Some(index) => {
                    let mut port = port.clone();
                    port.ifindex = Some(index);
                    Ok(port)
                }
                None => Err(err),
            }
        }
        Err(err) => Err(err),
    }
}

/// Says what a tunnel change did beyond what was asked: one line on stderr, or a JSON
/// object on stdout with `-j`.
fn tell(
    name: &str,
    report: &ChangeReport,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let io = |e: std::io::Error| Error::system(format!("cannot write output: {e}"));
    if format.json {
        let value =
            serde_json::json!({ "name": name, "mtu": report.mtu, "warnings": report.warnings });
        writeln!(out, "{}", output::to_json(&value, format.pretty)).map_err(io)?;
        return Ok(());
    }
    if let Some(mtu) = &report.mtu {
        if mtu.new != mtu.old {
            writeln!(
                err,
                "{name}: MTU {} -> {}, the MTU a tunnel made with these settings gets",
                mtu.old, mtu.new
            )
            .map_err(io)?;
        }
    }
    for warning in &report.warnings {
        writeln!(err, "warning: {warning}").map_err(io)?;
    }
    Ok(())
}
