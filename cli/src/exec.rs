//! Running one [`Command`] against a [`Handle`].

use std::io::Write;

use rfou::fou::FouPort;
use rfou::state::{ApplyFailure, ApplyOptions};
use rfou::{ChangeReport, Error, ErrorKind, Handle, Result};

use crate::exit::WOULD_CHANGE;
use crate::{doctor, help, output, Command, Format, Io, Line};

/// The largest desired-state or batch file rfou reads: far above any real one (a file of
/// 10,000 ports and tunnels is about a megabyte), and below what would hold the machine's
/// memory hostage.
pub const MAX_INPUT: u64 = 64 << 20;

fn write(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .map_err(|e| Error::system(format!("cannot write output: {e}")))
}

/// Runs `command`; what it prints goes to `out`, notes for the user to `err`.
pub fn run(
    command: &Command,
    handle: &mut Handle,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
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
            let devices = if ports.iter().any(|p| p.ifindex.is_some()) {
                handle.devices()?
            } else {
                rfou::Devices::default()
            };
            for note in &list.notes {
                write(err, &format!("rfou: note: {note}\n"))?;
            }
            let text = if format.json {
                output::ports::json(&ports, &devices, format.pretty)
            } else {
                output::ports::table(&ports, &devices)
            };
            write(out, &text)
        }
        Command::TunnelAdd(spec) => handle.tunnel_add(spec),
        Command::TunnelChange { name, settings } => {
            let report = handle.tunnel_change(name, settings)?;
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
            let devices = handle.devices()?;
            let text = if format.json {
                output::tunnels::json(&tunnels, &devices, format.pretty) + "\n"
            } else {
                output::tunnels::table(&tunnels)
            };
            write(out, &text)
        }
        Command::Doctor { dev } => {
            let report = doctor::run(handle, dev.as_deref())?;
            let text = if format.json {
                output::to_json(&report, format.pretty) + "\n"
            } else {
                output::doctor::text(&report)
            };
            write(out, &text)?;
            let failed: Vec<&str> = report
                .checks
                .iter()
                .filter(|c| c.status == doctor::Status::Fail)
                .map(|c| c.check.as_str())
                .collect();
            match failed.len() {
                0 => Ok(()),
                n => Err(Error::system(format!(
                    "doctor: {n} {} failed: {}",
                    if n == 1 { "check" } else { "checks" },
                    failed.join(", ")
                ))),
            }
        }
        Command::Apply { file, options } => apply(file, *options, handle, format, out, err)
            .map(|_| ())
            .map_err(Error::from),
        Command::Export => {
            let export = handle.export_state()?;
            for note in &export.notes {
                write(err, &format!("rfou: note: {note}\n"))?;
            }
            write(out, &export.text)
        }
        Command::ImportNetworkd { files } => import_networkd(files, out, err),
        Command::Help(topic) => write(out, &help::text(topic.as_deref())?),
    }
}

/// Runs one line. From the first tunnel change on, the batch holds the namespace's change
/// lock to its end (see [`Handle::hold_change_lock`]).
pub(crate) fn run_line(line: &Line, handle: &mut Handle, io: &mut Io) -> Result<()> {
    if matches!(
        line.command,
        Command::TunnelChange { .. } | Command::TunnelEncap { .. }
    ) {
        handle.hold_change_lock()?;
    }
    run(&line.command, handle, io.format, io.out, io.err)
}

/// Reads the file `file` names (`-` is standard input), at most [`MAX_INPUT`] bytes.
pub fn read_input(file: &str, what: &str) -> Result<(String, String)> {
    use std::io::Read;
    let (name, reader): (String, Box<dyn Read>) = if file == "-" {
        ("<stdin>".into(), Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| Error::invalid(format!("cannot read {what} {file}: {e}")))?;
        (file.to_string(), Box::new(f))
    };
    let mut text = String::new();
    let read = reader
        .take(MAX_INPUT + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::invalid(format!("cannot read {what} {name}: {e}")))?;
    if read as u64 > MAX_INPUT {
        return Err(Error::invalid(format!(
            "{what} {name} is larger than {} MiB: rfou reads no more of it (split it)",
            MAX_INPUT >> 20
        )));
    }
    Ok((name, text))
}

/// `import networkd FILE...`: reads every file first (a file that cannot be read, or that
/// networkd would refuse, is an error and nothing is printed), then prints the desired
/// state on `out` and names on `err` each setting it does not carry over as written.
pub fn import_networkd(files: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    let mut read = Vec::new();
    for file in files {
        read.push(read_input(file, "file")?);
    }
    let given: Vec<rfou::state::NetworkdFile> = read
        .iter()
        .map(|(name, text)| rfou::state::NetworkdFile { name, text })
        .collect();
    let import = rfou::state::import_networkd(&given)?;
    for note in &import.notes {
        write(
            err,
            &format!("rfou: note: {}\n", output::for_message(&note.to_string())),
        )?;
    }
    if !import.notes.is_empty() {
        write(
            err,
            &format!(
                "rfou: note: {} of what the files say is not carried over as written (named above, and as comments in the file)\n",
                import.notes.len()
            ),
        )?;
    }
    write(out, &import.text)
}

/// Reads a desired-state file (`-`: standard input), refusing a bad one before anything is
/// sent, then applies it (or with `check` only plans). Prints one line per change, or
/// `unchanged`; with `-j` `{"changed": BOOL, "changes": [...]}`. With `defer_bound`, each
/// port left out is named on `err`. Returns the exit status: [`WOULD_CHANGE`] when `check`
/// finds changes to make, 0 otherwise.
pub fn apply(
    file: &str,
    options: ApplyOptions,
    handle: &mut Handle,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::result::Result<u8, ApplyFailure> {
    let (name, text) = read_input(file, "file")?;
    let desired = rfou::state::parse(&name, &text)?;
    let plan = handle.apply_state(&desired, &name, options)?;
    // Where a deferred port's address or device is missing.
    let place = match handle.place().as_str() {
        "this namespace" => "on this host".to_string(),
        there => format!("in {there}"),
    };
    for deferred in &plan.deferred {
        write(err, &format!("rfou: {}\n", deferred.message(&name, &place)))?;
    }
    let text = if format.json {
        output::to_json(&output::plan::json(&plan), format.pretty) + "\n"
    } else if plan.is_empty() {
        "unchanged\n".to_string()
    } else {
        let lines: Vec<String> = plan
            .lines()
            .iter()
            .map(|l| output::for_message(l))
            .collect();
        lines.join("\n") + "\n"
    };
    write(out, &text)?;
    Ok(if options.check && !plan.is_empty() {
        WOULD_CHANGE
    } else {
        0
    })
}

/// `port` bound to device `dev` by its index, where a device is named.
pub(crate) fn with_dev(
    handle: &mut Handle,
    port: &FouPort,
    dev: &Option<String>,
) -> Result<FouPort> {
    let mut port = port.clone();
    if let Some(dev) = dev {
        port.ifindex = Some(handle.ifindex(dev)?);
    }
    Ok(port)
}

/// [`with_dev`] for a delete: a port can outlive its device, and then `ip fou show` names
/// the device `ifN` (its old index); `dev ifN` names it back, as ip reads it.
pub(crate) fn with_dev_or_gone(
    handle: &mut Handle,
    port: &FouPort,
    dev: &Option<String>,
) -> Result<FouPort> {
    match with_dev(handle, port, dev) {
        Ok(port) => Ok(port),
        // Only a device that does not exist may be one that is gone.
        Err(err) if err.kind() == ErrorKind::NoSuchDevice => {
            match dev.as_deref().and_then(rfou::values::gone_device_index) {
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
pub(crate) fn tell(
    name: &str,
    report: &ChangeReport,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    if format.json {
        let mtu = report
            .mtu
            .as_ref()
            .map(|m| serde_json::json!({"old": m.old, "new": m.new, "warning": m.warning}));
        let mut value =
            serde_json::json!({ "name": name, "mtu": mtu, "warnings": report.warnings });
        if let Some(serde_json::Value::Object(m)) = value.get_mut("mtu") {
            m.retain(|_, v| !v.is_null());
        }
        return write(out, &(output::to_json(&value, format.pretty) + "\n"));
    }
    if let Some(mtu) = &report.mtu {
        if mtu.new != mtu.old {
            write(
                err,
                &format!(
                    "{name}: MTU {} -> {}, the MTU a tunnel made with these settings gets\n",
                    mtu.old, mtu.new
                ),
            )?;
        }
    }
    for warning in &report.warnings {
        write(err, &format!("warning: {warning}\n"))?;
    }
    Ok(())
}
