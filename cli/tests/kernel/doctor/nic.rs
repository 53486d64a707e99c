//! The library's NIC reader (src/nic, through the hidden entry `rfou __nic`) against
//! ethtool's own output, on veth and on QEMU's virtio-net with RSS (the VM's NIC, which
//! scripts/vm-run adds with RFOU_VM_NIC_RSS=1, as scripts/test sets it). Every way of reading is compared: netlink with verbose bitsets (the
//! ioctls where netlink lacks something), netlink with compact bitsets, the ioctls alone.
//! docs/doctor-devices.md has what each device reports on each kernel.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ethtool, release, virtio_nic, VIRTIO};
use crate::harness::*;

const VIAS: [&str; 3] = ["netlink", "compact", "ioctl"];

/// `rfou __nic [-n NS] DEV VIA`, parsed.
#[track_caller]
fn nic(ns: Option<&Netns>, dev: &str, via: &str) -> Value {
    let mut args = vec!["__nic"];
    if let Some(ns) = ns {
        args.extend(["-n", ns.name()]);
    }
    args.extend([dev, via]);
    let out = try_run(RFOU, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "rfou {args:?}: {out:?}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("rfou {args:?}: {e}: {stdout}"))
}

/// The fields `ethtool -n DEV rx-flow-hash FLOW` lists, in `ethtool -N`'s letters, or its
/// error text.
fn ethtool_flow_hash(ns: Option<&Netns>, dev: &str, flow: &str) -> Result<String, String> {
    let (text, ok) = ethtool(ns, &["-n", dev, "rx-flow-hash", flow]);
    if !ok {
        return Err(text);
    }
    const LETTERS: [(&str, char); 8] = [
        ("L2DA", 'm'),
        ("VLAN tag", 'v'),
        ("L3 proto", 't'),
        ("IP SA", 's'),
        ("IP DA", 'd'),
        ("L4 bytes 0 & 1", 'f'),
        ("L4 bytes 2 & 3", 'n'),
        ("Discard", 'r'),
    ];
    Ok(LETTERS
        .iter()
        .filter(|(line, _)| text.lines().any(|l| l.starts_with(line)))
        .map(|(_, c)| c)
        .collect())
}

/// `ethtool -k DEV`: each feature's state as the reader's JSON says it: whether it is on,
/// and whether it can change (ethtool says `[fixed]` where not).
fn ethtool_features(ns: Option<&Netns>, dev: &str) -> BTreeMap<String, Value> {
    let (text, ok) = ethtool(ns, &["-k", dev]);
    assert!(ok, "ethtool -k {dev}: {text}");
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(name, state)| {
            let value = serde_json::json!({
                "active": state.starts_with("on"),
                "changeable": !state.contains("[fixed]"),
            });
            (name.trim().to_string(), value)
        })
        .collect()
}

/// `ethtool -l DEV`: "RX", "TX", "Other", "Combined" of its maximums and current settings,
/// as numbers or null (n/a); or its error text.
fn ethtool_channels(ns: Option<&Netns>, dev: &str) -> Result<Value, String> {
    let (text, ok) = ethtool(ns, &["-l", dev]);
    if !ok {
        return Err(text);
    }
    let mut out = serde_json::Map::new();
    let mut suffix = "_max";
    for line in text.lines() {
        if line.starts_with("Current hardware settings") {
            suffix = "";
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let key = match name {
            "RX" => "rx",
            "TX" => "tx",
            "Other" => "other",
            "Combined" => "combined",
            _ => continue,
        };
        let value = value.trim().parse::<u64>().map_or(Value::Null, Value::from);
        out.insert(format!("{key}{suffix}"), value);
    }
    Ok(Value::Object(out))
}

/// Reads `dev` every way and compares each answer with ethtool's and sysfs's.
#[track_caller]
fn compare(ns: Option<&Netns>, dev: &str) {
    let features = ethtool_features(ns, dev);
    let channels = ethtool_channels(ns, dev);
    let queues = match ns {
        Some(ns) => ns.exec_ok("ls", &[&format!("/sys/class/net/{dev}/queues")]),
        None => run("ls", &[&format!("/sys/class/net/{dev}/queues")]),
    };
    let rx_queues = queues
        .split_whitespace()
        .filter(|q| q.starts_with("rx-"))
        .count();
    let hashes = ["udp4", "udp6"].map(|flow| (flow, ethtool_flow_hash(ns, dev, flow)));
    for via in VIAS {
        let ours = nic(ns, dev, via);
        let what = format!("{dev} via {via}: {ours:#}");
        for (flow, hash) in &hashes {
            let fact = &ours[format!("rss_{flow}")];
            match hash {
                Ok(letters) => {
                    assert_eq!(fact["value"]["ethtool"], letters.as_str(), "{flow}, {what}")
                }
                Err(text) => {
                    assert!(
                        text.contains("Operation not supported"),
                        "ethtool -n: {text}"
                    );
                    assert_eq!(fact["errno"], libc::EOPNOTSUPP, "{flow}, {what}");
                }
            }
        }
        let value = &ours["features"]["value"];
        assert_eq!(
            value["rx_gro"], features["generic-receive-offload"],
            "{what}"
        );
        for name in ["tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation"] {
            assert_eq!(
                value[name.replace('-', "_")],
                features[name],
                "{name}, {what}"
            );
        }
        match &channels {
            Ok(counts) => {
                for (key, count) in counts.as_object().expect("an object") {
                    assert_eq!(&ours["channels"]["value"][key], count, "{key}, {what}");
                }
            }
            Err(text) => {
                assert!(
                    text.contains("Operation not supported"),
                    "ethtool -l: {text}"
                );
                assert_eq!(ours["channels"]["errno"], libc::EOPNOTSUPP, "{what}");
            }
        }
        assert_eq!(ours["rx_queues"]["value"]["count"], rx_queues, "{what}");
    }
}

#[test]
fn veth_reads_as_ethtool_reads_it_and_a_refused_change_changes_nothing() {
    let ns = Netns::new("nic");
    ns.ip_line("link add v0 type veth peer name v1");
    compare(Some(&ns), "v0");
    // veth has no RSS: its flow hash is unknown, EOPNOTSUPP, whichever way it is read.
    let before = nic(Some(&ns), "v0", "netlink");
    assert_eq!(before["rss_udp4"]["errno"], libc::EOPNOTSUPP, "{before:#}");
    let (text, _) = ethtool(Some(&ns), &["-N", "v0", "rx-flow-hash", "udp4", "sdfn"]);
    assert!(
        text.contains("Cannot change RX network flow hashing options: Operation not supported"),
        "{text}"
    );
    assert_eq!(nic(Some(&ns), "v0", "netlink"), before);
}

/// A change of the flow hash read back is doctor::virtio's: it sets `sd`, the doctor finds
/// it, and the fix makes it `sdfn` again.
#[test]
fn virtio_net_with_rss_reads_as_ethtool_reads_it() {
    require_kernel();
    let _nic = VIRTIO.lock().unwrap_or_else(|e| e.into_inner());
    let nic_name = virtio_nic();
    let dev = nic_name.as_str();
    let before = nic(None, dev, "netlink");
    compare(None, dev);
    // The flow hash over netlink from 6.17 on, through ETHTOOL_GRXFH before.
    let source = if release() >= (6, 17) {
        "netlink"
    } else {
        "ioctl"
    };
    assert_eq!(before["rss_udp4"]["source"], source, "{before:#}");
    assert_eq!(before["rss_udp6"]["source"], source, "{before:#}");
    // QEMU hashes UDP on addresses and ports by default.
    assert_eq!(before["rss_udp4"]["value"]["ethtool"], "sdfn", "{before:#}");
}

/// A dummy device of the initial namespace, deleted on drop.
struct HostDummy(String);

impl Drop for HostDummy {
    fn drop(&mut self) {
        let _ = try_run("ip", &["link", "del", &self.0]);
    }
}

#[test]
fn rps_is_read_from_the_devices_own_namespace() {
    // Two devices of one name: one here, RPS off; one in the namespace, RPS on queue 0.
    // /sys here shows this one; `rfou __nic -n` must read the other.
    let ns = Netns::new("nic-rps");
    let name = format!("rps{}", std::process::id() % 100_000);
    run("ip", &["link", "add", &name, "type", "dummy"]);
    let _host = HostDummy(name.clone());
    ns.ip(&["link", "add", &name, "type", "dummy"]);
    let mask = format!("/sys/class/net/{name}/queues/rx-0/rps_cpus");
    ns.exec_ok("sh", &["-c", &format!("echo 1 > {mask}")]);
    assert_eq!(
        std::fs::read_to_string(&mask)
            .unwrap()
            .trim()
            .trim_start_matches(['0', ',']),
        ""
    );

    let there = nic(Some(&ns), &name, "netlink");
    assert_eq!(
        there["rx_queues"]["value"]["rps_queues"],
        serde_json::json!([0]),
        "{there:#}"
    );
    assert_eq!(there["rx_queues"]["value"]["read_from"], "detached-sysfs");
    let here = nic(None, &name, "netlink");
    assert_eq!(
        here["rx_queues"]["value"]["rps_queues"],
        serde_json::json!([]),
        "{here:#}"
    );
}

#[test]
fn a_missing_device_is_looked_up_without_loading_a_module_of_its_name() {
    // The kernel answers an ethtool ioctl on a device name it lacks by loading the module of
    // that name (dev_load): ethtool does, rfou does not. nlmon is a module no test loads.
    let _alone = modules_alone();
    let loaded = || std::path::Path::new("/sys/module/nlmon").exists();
    if loaded() {
        run("modprobe", &["-r", "nlmon"]);
    }
    let out = try_run(RFOU, &["__nic", "nlmon"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist"),
        "{out:?}"
    );
    assert!(!loaded(), "rfou __nic nlmon loaded the nlmon module");
    let (text, _) = ethtool(None, &["-i", "nlmon"]);
    assert!(
        loaded(),
        "ethtool -i nlmon did not load nlmon (the trap is gone?): {text}"
    );
    run("modprobe", &["-r", "nlmon"]);
}
