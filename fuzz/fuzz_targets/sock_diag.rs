//! Socket-diagnostics replies: one `struct inet_diag_msg` (the payload after the netlink
//! header) read by `fou::diag::diag_socket`, as the recovery of the ports the fou dump lost
//! reads every UDP socket of the namespace. Besides not panicking:
//! - a message shorter than the socket id it must hold is refused, any longer one is read;
//! - the socket read has the family asked for, no wildcard address, peer port or device 0;
//! - it is the socket netlink-packet-sock-diag reads from the same bytes (an independent
//!   decoder), wherever that one reads them.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use netlink_packet_core::Parseable;
use netlink_packet_sock_diag::inet::InetResponseHeader;
use rfou::fuzzing::diag_socket;
use rfou::Family;

/// The family byte, then the socket id (ports, addresses, interface): 48 bytes.
const ID_END: usize = 48;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the family the dump asked for; the rest is the message.
    let Some((&selector, message)) = data.split_first() else {
        return;
    };
    let family = if selector & 1 == 0 {
        Family::Inet
    } else {
        Family::Inet6
    };
    let socket = match diag_socket(message, family) {
        Ok(socket) => socket,
        Err(err) => {
            assert!(message.len() < ID_END, "{err:?}");
            return;
        }
    };
    assert!(message.len() >= ID_END);
    assert_eq!(socket.family, family);
    for address in [socket.local, socket.peer].into_iter().flatten() {
        assert!(!address.is_unspecified());
        assert_eq!(Family::of(&address), family);
    }
    assert_ne!(socket.peer_port, Some(0));
    assert_ne!(socket.ifindex, Some(0));

    // The other reading takes the family from the message: compare where it is the one
    // asked for.
    if message[0] != family.af() {
        return;
    }
    let Ok(header) = InetResponseHeader::parse(message) else {
        return;
    };
    let id = header.socket_id;
    let specified = |a: IpAddr| (!a.is_unspecified()).then_some(a);
    assert_eq!(socket.port, id.source_port);
    assert_eq!(socket.local, specified(id.source_address));
    assert_eq!(socket.peer, specified(id.destination_address));
    assert_eq!(socket.peer_port.unwrap_or(0), id.destination_port);
    assert_eq!(socket.ifindex.unwrap_or(0), id.interface_id);
});
