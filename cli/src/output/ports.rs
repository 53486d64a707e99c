//! Receive ports: as `ip -j fou show` prints them, and as a table.

use rfou::fou::{FouEncap, FouPort};
use rfou::Devices;

use super::{blank_table, or_dash, protocol_name, push_number};

/// Ports as `ip -j fou show` prints them, byte for byte, the final newline included; with
/// `pretty`, as `ip -j -p fou show` lays them out (iproute2's own JSON writer: four spaces
/// a level, `[ {`, `},{` and `} ]` between objects, `[ ]` when there are none).
///
/// The fields, in ip's order: `port`, then `ipproto` or `"gue": null`, `family`, and where
/// set `local`, `peer`, `peer_port`, `dev`. Written straight into one string: a show can
/// list tens of thousands of ports.
pub fn json(ports: &[FouPort], devices: &Devices, pretty: bool) -> String {
    use std::fmt::Write;
    if pretty && ports.is_empty() {
        return "[ ]\n".to_string();
    }
    let (open, lead, colon, close, end) = if pretty {
        ("[ ", "\n        ", ": ", "\n    }", " ]\n")
    } else {
        ("[", "", ":", "}", "]\n")
    };
    let mut out = String::with_capacity(8 + ports.len() * 64);
    out.push_str(open);
    for (index, p) in ports.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('{');
        let mut first = true;
        let mut key = |out: &mut String, key: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(lead);
            out.push('"');
            out.push_str(key);
            out.push('"');
            out.push_str(colon);
        };
        // Writing to a String cannot fail.
        key(&mut out, "port");
        push_number(&mut out, p.port.into());
        match p.encap {
            FouEncap::Direct { ipproto } => {
                key(&mut out, "ipproto");
                push_number(&mut out, ipproto.into());
            }
            FouEncap::Gue => {
                key(&mut out, "gue");
                out.push_str("null");
            }
        }
        key(&mut out, "family");
        out.push('"');
        out.push_str(p.family.name());
        out.push('"');
        if let Some(local) = p.local {
            key(&mut out, "local");
            let _ = write!(out, "\"{local}\"");
        }
        if let Some(peer) = p.peer {
            key(&mut out, "peer");
            let _ = write!(out, "\"{peer}\"");
        }
        if let Some(peer_port) = p.peer_port {
            key(&mut out, "peer_port");
            push_number(&mut out, peer_port.into());
        }
        if let Some(dev) = p.ifindex.map(|i| devices.name_of(i)) {
            key(&mut out, "dev");
            // A device name can hold any character but / and space: escaped as JSON.
            out.push_str(&serde_json::to_string(&dev).expect("a string serializes"));
        }
        out.push_str(close);
    }
    out.push_str(end);
    out
}

/// Ports as a table.
pub fn table(ports: &[FouPort], devices: &Devices) -> String {
    let rows = ports.iter().map(|p| {
        [
            p.port.to_string(),
            p.family.name().to_string(),
            match p.encap {
                FouEncap::Direct { ipproto } => format!("ipproto {}", protocol_name(ipproto)),
                FouEncap::Gue => "gue".to_string(),
            } + if p.remcsum_nopartial {
                " remcsum_nopartial"
            } else {
                ""
            },
            or_dash(p.local),
            match (p.peer, p.peer_port) {
                (Some(a), Some(port)) if a.is_ipv6() => format!("[{a}]:{port}"),
                (Some(a), Some(port)) => format!("{a}:{port}"),
                (peer, _) => or_dash(peer),
            },
            or_dash(p.ifindex.map(|i| super::for_message(&devices.name_of(i)))),
        ]
    });
    blank_table(["PORT", "FAMILY", "CARRIES", "LOCAL", "PEER", "DEV"], rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<FouPort>, Devices) {
        let mut bound = FouPort::direct(5557, 47)
            .with_local("192.0.2.1".parse().unwrap())
            .with_peer("192.0.2.2".parse().unwrap(), Some(6000));
        bound.ifindex = Some(2);
        let mut gone = FouPort::gue(5558).with_local("198.51.100.1".parse().unwrap());
        gone.ifindex = Some(10);
        let ports = vec![bound, gone, FouPort::gue(5556).ipv6()];
        let names = Devices::new(vec![rfou::Device {
            index: 2,
            name: "d0".into(),
            kind: None,
            flags: 0,
        }]);
        (ports, names)
    }

    /// What `ip -j -p fou show` printed for these ports (iproute2 6.1, measured in the VM).
    #[test]
    fn pretty_json_is_ips_byte_for_byte() {
        let (ports, names) = sample();
        let expected = "[ {\n        \"port\": 5557,\n        \"ipproto\": 47,\n        \"family\": \"inet\",\n        \"local\": \"192.0.2.1\",\n        \"peer\": \"192.0.2.2\",\n        \"peer_port\": 6000,\n        \"dev\": \"d0\"\n    },{\n        \"port\": 5558,\n        \"gue\": null,\n        \"family\": \"inet\",\n        \"local\": \"198.51.100.1\",\n        \"dev\": \"if10\"\n    },{\n        \"port\": 5556,\n        \"gue\": null,\n        \"family\": \"inet6\"\n    } ]\n";
        assert_eq!(json(&ports, &names, true), expected);
        assert_eq!(json(&[], &names, true), "[ ]\n");
    }

    #[test]
    fn compact_json_is_ips_byte_for_byte() {
        let (ports, names) = sample();
        let expected = r#"[{"port":5557,"ipproto":47,"family":"inet","local":"192.0.2.1","peer":"192.0.2.2","peer_port":6000,"dev":"d0"},{"port":5558,"gue":null,"family":"inet","local":"198.51.100.1","dev":"if10"},{"port":5556,"gue":null,"family":"inet6"}]"#;
        assert_eq!(json(&ports, &names, false), format!("{expected}\n"));
        assert_eq!(json(&[], &names, false), "[]\n");
    }

    #[test]
    fn a_gone_device_shows_as_ip_shows_it() {
        let (ports, names) = sample();
        let text = table(&ports, &names);
        assert!(text.contains("if10"), "{text}");
        assert!(text.contains("d0"), "{text}");
        // No ports: the header alone.
        assert_eq!(table(&[], &names).lines().count(), 1);
    }

    #[test]
    fn the_table_names_devices_and_protocols() {
        let (ports, names) = sample();
        assert_eq!(
            table(&ports, &names),
            concat!(
                " PORT   FAMILY   CARRIES            LOCAL          PEER             DEV  \n",
                " 5557   inet     ipproto 47 (gre)   192.0.2.1      192.0.2.2:6000   d0   \n",
                " 5558   inet     gue                198.51.100.1   -                if10 \n",
                " 5556   inet6    gue                -              -                -    \n",
            )
        );
    }
}
