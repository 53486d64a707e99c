//! rfou's reading of the kernel's answers (`sys::answer`): several messages to a datagram,
//! acks, errors with their extended-ack text (capped or not), ends of dumps, and a window of
//! `WINDOW` requests taking them in as `NlSocket::request_many` does. Besides not panicking:
//! - the window has one result per request;
//! - each request's result is what the first ack or error numbered for it said (a request
//!   with no answer before the window's last one succeeded), as the messages read one by one
//!   say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou::fuzzing::{decode_datagram, Decoded, WINDOW};

fuzz_target!(|data: &[u8]| {
    // The first four bytes number the window's first request; the rest is the datagram.
    let Some((first, datagram)) = data.split_first_chunk::<4>() else {
        return;
    };
    let first = u32::from_ne_bytes(*first);
    let (messages, window) = decode_datagram(datagram, first);
    assert_eq!(window.len(), WINDOW);
    // A datagram read only in part (a message's length runs past it) says nothing whole.
    let Ok(messages) = messages else {
        return;
    };
    let mut expected = vec![Ok(()); WINDOW];
    let mut answered = [false; WINDOW];
    for (seq, decoded) in messages {
        let index = seq.wrapping_sub(first) as usize;
        if index >= WINDOW || answered[index] {
            continue;
        }
        match decoded {
            Decoded::Ack => answered[index] = true,
            Decoded::Failed(err) => {
                answered[index] = true;
                expected[index] = Err(err);
            }
            Decoded::Other => {}
        }
    }
    assert_eq!(window, expected);
});
