//! Requests as bytes: one with its netlink header, or a window of them back to back.

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NetlinkSerializable, NLM_F_ACK, NLM_F_REQUEST,
};

/// How many requests go in one `sendmsg` before their answers are read. Each answer (an
/// error, and the window's one ack) takes room in the socket's receive buffer; a window of 64
/// answers fits in it even when every request fails (the receive buffer is 1 MiB).
pub const WINDOW: usize = 64;

/// Appends one request, with its netlink header, to `out`.
pub fn encode_into<I: NetlinkSerializable>(payload: I, flags: u16, seq: u32, out: &mut Vec<u8>) {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | flags;
    header.sequence_number = seq;
    let mut message = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(payload));
    message.finalize();
    let start = out.len();
    out.resize(start + message.buffer_len(), 0);
    message.serialize(&mut out[start..]);
}

/// One request, with its netlink header, as bytes (what golden-vector tests compare).
#[cfg(any(test, fuzzing))]
pub fn encode<I: NetlinkSerializable>(payload: I, flags: u16, seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(payload, flags, seq, &mut out);
    out
}

/// The requests of one window, back to back, numbered from `first`; only the last asks for an
/// ack (see `NlSocket::request_many`).
#[cfg(test)]
pub fn encode_window<I: NetlinkSerializable>(
    payloads: impl IntoIterator<Item = I>,
    flags: u16,
    first: u32,
) -> Vec<u8> {
    let mut out = Vec::new();
    encode_window_into(payloads, flags, first, &mut out);
    out
}

/// [`encode_window`] appended to `out`; returns how many requests it holds.
pub(crate) fn encode_window_into<I: NetlinkSerializable>(
    payloads: impl IntoIterator<Item = I>,
    flags: u16,
    first: u32,
    out: &mut Vec<u8>,
) -> usize {
    let mut count = 0;
    let mut last = out.len();
    for payload in payloads {
        last = out.len();
        encode_into(payload, flags, first.wrapping_add(count as u32), out);
        if count == 0 {
            // The requests of a window are alike: room for a window of them at once.
            out.reserve((out.len() - last) * (WINDOW - 1));
        }
        count += 1;
    }
    if count > 0 {
        // The last one asks for the ack: its flags, set in its header once it is known to
        // be the last (bytes 6 and 7: length u32, type u16, then flags u16).
        let at = last + 6;
        let set = u16::from_ne_bytes([out[at], out[at + 1]]) | NLM_F_ACK;
        out[at..at + 2].copy_from_slice(&set.to_ne_bytes());
    }
    count
}
