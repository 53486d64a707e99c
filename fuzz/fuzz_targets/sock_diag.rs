//! Socket-diagnostics replies: the UDP sockets `rfou show` reads to find the ports a fou dump
//! lost. The decoding is netlink-packet-sock-diag's; rfou reads only fixed fields after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlink_packet_core::NetlinkMessage;
use netlink_packet_sock_diag::SockDiagMessage;

fuzz_target!(|data: &[u8]| {
    let _ = NetlinkMessage::<SockDiagMessage>::deserialize(data);
});
