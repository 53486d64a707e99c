//! The fou family's replies: the payload of a reply (its generic-netlink header, then the
//! attributes) read by `fou::wire::decode_port`, the decoder every dump entry and exact get
//! goes through. A port it reads
//! - has no wildcard address, peer port or device of 0 (the kernel's "unset" reads as none);
//! - sent back as an add (what an undo does with a deleted port) and read again, is the same;
//! - where the kernel could hold it (`validate`), is exported (`export`) to a file that the
//!   desired-state reader reads back and that plans no change, or else refused by the export
//!   naming it (a port `apply` could not add: ipproto 0, which older kernels took).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou::fou::validate;
use rfou::fuzzing::{decode_port, encode_port_add};
use rfou::txn::Snapshot;
use rfou::Devices;
use rfou_fuzz::{device, export_plans_nothing};

/// The netlink header before a request's payload.
const HEADER_LEN: usize = 16;

fuzz_target!(|payload: &[u8]| {
    let Ok(port) = decode_port(payload) else {
        return;
    };
    assert!(port.local.is_none_or(|a| !a.is_unspecified()), "{port:?}");
    assert!(port.peer.is_none_or(|a| !a.is_unspecified()), "{port:?}");
    assert_ne!(port.peer_port, Some(0));
    assert_ne!(port.ifindex, Some(0));

    let request = encode_port_add(&port, 0x1c);
    let again = decode_port(&request[HEADER_LEN..]);
    assert_eq!(again.as_ref().ok(), Some(&port), "sent as {request:02x?}");

    if validate(&port).is_ok() {
        // The device the port is bound to exists.
        let bound = port.ifindex.map(|index| device(index, "dev0"));
        let current = Snapshot {
            ports: Some(vec![port.clone()]),
            devices: Devices::new(bound.into_iter().collect()),
            ..Default::default()
        };
        if let Err(e) = export_plans_nothing(&current) {
            let text = e.to_string();
            assert!(text.starts_with("cannot export fou port "), "{text}");
        }
    }
});
