//! The fou family's replies: a netlink message to a generic-netlink message of the fou
//! family, to the port it describes, to the JSON and table of `rfou show`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;
use rfou::fou::FouMessage;
use rfou::output::{ports_json, ports_table, Names};

fuzz_target!(|data: &[u8]| {
    let Ok(message) = NetlinkMessage::<GenlMessage<FouMessage>>::deserialize(data) else {
        return;
    };
    let NetlinkPayload::InnerMessage(reply) = message.payload else {
        return;
    };
    if let Ok(port) = reply.payload.to_port() {
        let names: Names = [(1, "eth0".to_string())].into_iter().collect();
        let ports = [port];
        let _ = ports_json(&ports, &names, true);
        let _ = ports_table(&ports, &names);
    }
});
