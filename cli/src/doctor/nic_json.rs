//! `rfou __nic [-n NETNS] DEV [netlink|compact|ioctl]`: what the library's NIC reader reads
//! of device DEV ([`rfou::nic`]), as JSON. A hidden entry point for the in-kernel tests
//! (cli/tests/kernel/doctor/nic.rs) and scripts/nic-facts, outside the command line's
//! contract. The last word picks the way of reading: netlink with verbose bitsets and the
//! ioctls where netlink lacks something (the default), netlink with compact bitsets, or the
//! ioctls alone.

use std::process::ExitCode;

use serde_json::{json, Value};

use rfou::nic::{Channels, Fact, Feature, Features, FlowHash, Nic, NicVia, RxQueues};
use rfou::Handle;

use crate::exit;

const USAGE: &str = "usage: rfou __nic [-n NETNS] DEV [netlink|compact|ioctl]";

/// Runs `rfou __nic` with the words after `__nic`.
pub fn run(words: &[String]) -> ExitCode {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let (netns, rest) = match words.as_slice() {
        ["-n", name, rest @ ..] => (Some(*name), rest),
        rest => (None, rest),
    };
    let (dev, via) = match rest {
        [dev] | [dev, "netlink"] => (*dev, NicVia::Netlink),
        [dev, "compact"] => (*dev, NicVia::NetlinkCompact),
        [dev, "ioctl"] => (*dev, NicVia::Ioctl),
        _ => {
            eprintln!("rfou: {USAGE}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let read = || -> rfou::Result<Nic> {
        let mut handle = match netns {
            Some(name) => Handle::in_netns(name)?,
            None => Handle::new()?,
        };
        handle.nic_via(dev, via)
    };
    match read() {
        Ok(nic) => {
            println!("{:#}", to_json(&nic));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rfou: {e}");
            ExitCode::from(exit::status(&e))
        }
    }
}

/// A fact as `{"value": ..., "source": ...}` or `{"unknown": WHY, "errno": N}`.
fn fact<T>(fact: &Fact<T>, value: impl Fn(&T) -> Value) -> Value {
    match fact {
        Fact::Known { value: v, source } => json!({ "value": value(v), "source": source.name() }),
        Fact::Unknown { why, errno } => json!({ "unknown": why, "errno": errno }),
    }
}

fn flow_hash(hash: &FlowHash) -> Value {
    json!({ "fields": hash.fields, "ethtool": hash.letters() })
}

fn feature(feature: &Option<Feature>) -> Value {
    match feature {
        Some(f) => json!({ "active": f.active, "changeable": f.changeable }),
        None => Value::Null,
    }
}

fn features(f: &Features) -> Value {
    json!({
        "tx_udp_tnl_segmentation": feature(&f.tx_udp_tnl_segmentation),
        "tx_udp_tnl_csum_segmentation": feature(&f.tx_udp_tnl_csum_segmentation),
        "rx_gro": feature(&f.rx_gro),
    })
}

fn channels(c: &Channels) -> Value {
    json!({
        "rx_max": c.rx_max, "tx_max": c.tx_max, "other_max": c.other_max,
        "combined_max": c.combined_max, "rx": c.rx, "tx": c.tx, "other": c.other,
        "combined": c.combined,
    })
}

fn rx_queues(q: &RxQueues) -> Value {
    json!({ "count": q.count, "rps_queues": q.rps_queues, "read_from": q.read_from.name() })
}

/// The facts of one device as JSON.
pub fn to_json(nic: &Nic) -> Value {
    json!({
        "device": nic.device,
        "index": nic.index,
        "rss_udp4": fact(&nic.rss_udp4, flow_hash),
        "rss_udp6": fact(&nic.rss_udp6, flow_hash),
        "features": fact(&nic.features, features),
        "channels": fact(&nic.channels, channels),
        "rx_queues": fact(&nic.rx_queues, rx_queues),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfou::nic::Source;

    #[test]
    fn facts_in_json() {
        let known: Fact<FlowHash> = Fact::Known {
            value: FlowHash { fields: 0x30 },
            source: Source::Ioctl,
        };
        assert_eq!(
            fact(&known, flow_hash),
            json!({ "value": { "fields": 48, "ethtool": "sd" }, "source": "ioctl" })
        );
        let unknown: Fact<FlowHash> = Fact::Unknown {
            why: "why".into(),
            errno: Some(95),
        };
        assert_eq!(
            fact(&unknown, flow_hash),
            json!({ "unknown": "why", "errno": 95 })
        );
    }
}
