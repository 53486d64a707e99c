//! rtnetlink link replies: a netlink message to a link, to the tunnel it describes, to the
//! JSON and table of `rfou tunnel show`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use rfou::output::{tunnels_json, tunnels_table, Names};
use rfou::tunnel::link::decode_tunnel;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(data) else {
        return;
    };
    let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) = message.payload else {
        return;
    };
    if let Some(tunnel) = decode_tunnel(&link) {
        let names: Names = [(1, "eth0".to_string())].into_iter().collect();
        let _ = tunnel.mode();
        let _ = tunnel.encap.overhead();
        let tunnels = [tunnel];
        let _ = tunnels_json(&tunnels, &names, true);
        let _ = tunnels_table(&tunnels);
    }
});
