//! What several fuzz targets check: a namespace that `rfou export` writes, read back by the
//! desired-state reader, plans no change against that namespace (`rfou export | rfou apply
//! --check -` says nothing to do); and the namespace an `apply` of a file makes plans no
//! change against that file (the read-back `apply` compares).

use rfou::maps::HashMap;

use rfou::state::{export, parse, plan, DesiredState};
use rfou::txn::Snapshot;
use rfou::{Device, Devices};

/// The name the desired-state files of the targets go by in messages.
pub const FILE: &str = "f.toml";

/// Values the readers take or refuse at their edges: addresses of both families and the
/// wildcard, ports and protocol numbers at their limits, words for the defaults. The
/// dictionaries (dicts.rs) hold them, and the seeds (seeds.rs) try each as every setting.
pub const VALUES: &[&str] = &[
    "any",
    "inherit",
    "auto",
    "192.0.2.1",
    "0.0.0.0",
    "224.0.0.1",
    "2001:db8::1",
    "::",
    "fe80::1",
    "ff02::1",
    "eth0",
    "lo",
    "0",
    "1",
    "4",
    "41",
    "47",
    "255",
    "256",
    "5555",
    "65535",
    "65536",
    "-1",
    "0x10",
    "1/4",
];

/// Writes `current` as `rfou export` does (every tunnel's MTU taken as the one it would get,
/// so only `up` and the settings are written) and reads the text back. `Err` is the export's
/// refusal of what a file cannot say; a file it writes must be read back, and plan no change
/// against `current`.
pub fn export_plans_nothing(current: &Snapshot) -> Result<DesiredState, rfou::Error> {
    let computed: HashMap<String, u32> = current
        .tunnels
        .iter()
        .map(|t| (t.name.clone(), t.mtu))
        .collect();
    let text = export(current, &computed)?;
    let desired = parse(FILE, &text)
        .unwrap_or_else(|e| panic!("the export\n{text}\nof {current:?}\nis refused: {e}"));
    match plan(&desired, current, false, FILE) {
        Ok(plan) => assert!(
            plan.is_empty(),
            "the export\n{text}\nof {current:?}\nplans {:?}",
            plan.lines()
        ),
        Err(e) => panic!("the export\n{text}\nof {current:?}\ncannot be planned: {e}"),
    }
    Ok(desired)
}

/// A device of that index and name (a plain one: no kind, no flags).
pub fn device(index: u32, name: &str) -> Device {
    Device {
        index,
        name: name.to_string(),
        kind: None,
        flags: 0,
    }
}

/// A namespace whose devices are `names`, numbered from 1 in order (the first of a name kept).
pub fn devices<'a>(names: impl IntoIterator<Item = &'a str>) -> Devices {
    let mut list: Vec<Device> = Vec::new();
    for name in names {
        if list.iter().all(|d| d.name != name) {
            list.push(device(list.len() as u32 + 1, name));
        }
    }
    Devices::new(list)
}
