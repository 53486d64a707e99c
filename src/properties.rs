//! Property tests (proptest) of the decoders of the kernel's bytes that production runs: no
//! bytes make any of them panic. The fuzz targets (fuzz/) check the same for longer; these
//! run in every `cargo test`, in seconds.

use proptest::prelude::*;

use crate::fou::diag::diag_socket;
use crate::fou::wire::decode_port;
use crate::fou::Family;
use crate::sys::answer::{decode_datagram, Decoded};
use crate::sys::encode::WINDOW;
use crate::tunnel::wire::decode_link;

/// A netlink message of type `kind` whose length is right and whose body is anything, so
/// that the decoders get past the header; or else any bytes at all.
fn message(kind: u16) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(move |body| {
            let mut out = ((16 + body.len()) as u32).to_ne_bytes().to_vec();
            out.extend_from_slice(&kind.to_ne_bytes());
            out.extend_from_slice(&[0; 10]);
            out.extend(body);
            out
        }),
        prop::collection::vec(any::<u8>(), 0..300),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_fou_reply_makes_the_decoder_panic(payload in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_port(&payload);
    }

    #[test]
    fn no_link_reply_makes_the_decoder_panic(bytes in message(16)) {
        let _ = decode_link(&bytes);
    }

    #[test]
    fn no_socket_diagnostics_reply_makes_the_decoder_panic(
        payload in prop::collection::vec(any::<u8>(), 0..120),
        v6 in any::<bool>(),
    ) {
        let family = if v6 { Family::Inet6 } else { Family::Inet };
        let _ = diag_socket(&payload, family);
    }

    #[test]
    fn no_datagram_makes_the_answer_reader_panic(
        kind in prop::sample::select(vec![2u16, 3, 1, 4, 0x1c]),
        flags in any::<u16>(),
        body in prop::collection::vec(any::<u8>(), 0..100),
        tail in prop::collection::vec(any::<u8>(), 0..40),
        first in any::<u32>(),
    ) {
        let mut datagram = ((16 + body.len()) as u32).to_ne_bytes().to_vec();
        datagram.extend_from_slice(&kind.to_ne_bytes());
        datagram.extend_from_slice(&flags.to_ne_bytes());
        datagram.extend_from_slice(&first.to_ne_bytes());
        datagram.extend_from_slice(&[0; 4]);
        datagram.extend(body);
        datagram.extend(tail);
        let (_, window) = decode_datagram(&datagram, first);
        prop_assert_eq!(window.len(), WINDOW);
    }
}

/// Found by the `ack` fuzz target: an error code of i32::MIN in an NLMSG_ERROR or NLMSG_DONE
/// overflowed when negated into an errno (a panic in a debug build).
#[test]
fn an_error_code_of_i32_min_is_a_failure_not_a_panic() {
    for kind in [2u16, 3] {
        let mut datagram = 36u32.to_ne_bytes().to_vec();
        datagram.extend_from_slice(&kind.to_ne_bytes());
        datagram.extend_from_slice(&0u16.to_ne_bytes());
        datagram.extend_from_slice(&7u32.to_ne_bytes());
        datagram.extend_from_slice(&[0; 4]);
        datagram.extend_from_slice(&i32::MIN.to_ne_bytes());
        datagram.extend_from_slice(&[0; 16]);
        let (messages, window) = decode_datagram(&datagram, 7);
        match &messages.unwrap()[..] {
            [(7, Decoded::Failed(err))] => assert_eq!(err.errno, i32::MAX),
            other => panic!("{other:?}"),
        }
        assert!(window[0].is_err());
    }
}
