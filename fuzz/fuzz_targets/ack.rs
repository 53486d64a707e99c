//! rfou's own reading of the kernel's answers: acks, errors with extended-ack text, ends of
//! dumps, several messages to a datagram, and a window of requests taking them in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou::netlink::{decode_datagram, WINDOW};

fuzz_target!(|data: &[u8]| {
    // The first four bytes number the window's first request; the rest is the datagram.
    let Some((first, datagram)) = data.split_first_chunk::<4>() else {
        return;
    };
    let (_, window) = decode_datagram(datagram, u32::from_ne_bytes(*first));
    assert_eq!(window.len(), WINDOW);
});
