//! The desired-state file of `rfou apply` (`state::parse`: TOML, then every check of the
//! file). Any text is either
//! - refused with a message that names the file and a line of it (`f.toml:LINE: ...`), or
//! - read into a state with one entry per port socket and per tunnel name, which, once
//!   applied to a namespace that has the devices it names (each tunnel as the kernel reports
//!   it once made, `TunnelSpec::as_reported`), plans no change (what `apply` reads back); and
//!   whose namespace, written by `export` and read back, plans no change either; into a
//!   namespace without them, its plan adds every entry, one line each.
//!
//! An input holds one file or several, NUL between them (so that one input can meet many
//! refusals, each of which ends its file's reading, and the minimized corpus stays small).
#![no_main]

use rfou::maps::HashSet;

use libfuzzer_sys::fuzz_target;
use rfou::state::{parse, plan, DesiredState};
use rfou::txn::Snapshot;
use rfou::Devices;
use rfou_fuzz::{device, export_plans_nothing, FILE};

fuzz_target!(|data: &[u8]| {
    // `apply` reads the file as UTF-8: anything else is refused before the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One file or several, NUL between them (TOML takes no NUL: nothing is lost).
    for file in text.split('\0') {
        desired_state(file);
    }
});

/// One desired-state file: refused naming a line of it, or read, applied and exported as
/// the module's documentation says.
fn desired_state(text: &str) {
    let desired = match parse(FILE, text) {
        Ok(desired) => desired,
        Err(e) => {
            let message = e.to_string();
            let line = message
                .strip_prefix("f.toml:")
                .and_then(|rest| rest.split_once(": "))
                .and_then(|(line, _)| line.parse::<usize>().ok());
            let lines = text.split('\n').count();
            assert!(
                line.is_some_and(|line| (1..=lines).contains(&line)),
                "{message}"
            );
            return;
        }
    };
    let names: HashSet<&str> = desired
        .tunnels
        .iter()
        .map(|t| t.spec.name.as_str())
        .collect();
    assert_eq!(
        names.len(),
        desired.tunnels.len(),
        "two entries for one tunnel"
    );
    let sockets: HashSet<_> = desired
        .ports
        .iter()
        .map(|p| (p.port.socket(), p.dev.clone()))
        .collect();
    assert_eq!(
        sockets.len(),
        desired.ports.len(),
        "two entries for one port"
    );

    if let Some(after) = applied(&desired) {
        match plan(&desired, &after, false, FILE) {
            Ok(plan) => assert!(
                plan.is_empty(),
                "{text}\napplied as {after:?}\nplans {:?}",
                plan.lines()
            ),
            Err(e) => panic!("{text}\napplied as {after:?}\ncannot be planned: {e}"),
        }
        if let Err(e) = export_plans_nothing(&after) {
            panic!("{text}\napplied as {after:?}\ncannot be exported: {e}");
        }
    }
}

/// The namespace `desired` makes of one that has just the devices it names and none of its
/// tunnels; `None` where `apply` would refuse it (its plan cannot be made there).
fn applied(desired: &DesiredState) -> Option<Snapshot> {
    let tunnels: HashSet<&str> = desired
        .tunnels
        .iter()
        .map(|t| t.spec.name.as_str())
        .collect();
    let mut names: Vec<&str> = Vec::new();
    let named = desired.ports.iter().filter_map(|p| p.dev.as_deref()).chain(
        desired
            .tunnels
            .iter()
            .filter_map(|t| t.spec.settings.dev.as_deref()),
    );
    for name in named {
        if !tunnels.contains(name) && !names.contains(&name) {
            names.push(name);
        }
    }
    let mut list: Vec<_> = (1..).zip(&names).map(|(i, n)| device(i, n)).collect();
    let before = Snapshot {
        ports: Some(Vec::new()),
        devices: Devices::new(list.clone()),
        ..Default::default()
    };
    // Into a namespace that has none of them, every entry is an addition, one line each.
    let plan = plan(desired, &before, false, FILE).ok()?;
    let entries = desired.ports.len() + desired.tunnels.len();
    assert_eq!(plan.changes.len(), entries, "{:?}", plan.lines());
    assert_eq!(plan.lines().len(), entries);

    let first_tunnel = list.len() as u32 + 1;
    for (index, t) in (first_tunnel..).zip(&desired.tunnels) {
        list.push(device(index, &t.spec.name));
    }
    let devices = Devices::new(list);
    let ports = desired
        .ports
        .iter()
        .map(|p| {
            let mut port = p.port.clone();
            port.ifindex = p.dev.as_deref().and_then(|d| devices.index_of(d));
            port
        })
        .collect();
    let tunnels = (first_tunnel..)
        .zip(&desired.tunnels)
        .map(|(index, t)| {
            let link = t
                .spec
                .settings
                .dev
                .as_deref()
                .and_then(|d| devices.index_of(d));
            let mtu = t.spec.settings.mtu.unwrap_or(1480);
            t.spec.as_reported(index, mtu, link)
        })
        .collect();
    Some(Snapshot {
        ports: Some(ports),
        tunnels,
        devices,
        notes: Vec::new(),
    })
}
