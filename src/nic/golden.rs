//! The exact bytes of every request the NIC reader sends over netlink (a little-endian
//! machine; netlink is in host order), as `src/golden.rs` has them for the other families.
//! The netlink header: length, type (the family id), flags NLM_F_REQUEST | NLM_F_ACK,
//! sequence number 0 (the socket numbers it), port 0; then the generic-netlink header:
//! command, version 1, two reserved bytes. The ioctl structures are in `ioctl_tests.rs`.
#![cfg(target_endian = "little")]

use super::ethtool::{channels_request, features_request, rss_request};
use super::strset::{strset_request, SS_FEATURES};

/// The family id the requests are sent to (any: the kernel gives it at run time).
const FAMILY: u16 = 20;

/// The request header nest naming eth0.
const ETH0_HEADER: [u8; 16] = [
    16, 0, 1, 0x80, // ETHTOOL_A_*_HEADER, nested
    9, 0, 2, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0, // DEV_NAME "eth0"
];

/// A whole request: the headers, then `attrs`.
fn message(cmd: u8, attrs: &[&[u8]]) -> Vec<u8> {
    let body = attrs.concat();
    let len = (16 + 4 + body.len()) as u32;
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(&[20, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, cmd, 1, 0, 0]);
    out.extend_from_slice(&body);
    out
}

#[test]
fn features_get_verbose() {
    let want = message(11, &[&ETH0_HEADER]);
    assert_eq!(want.len(), 36);
    assert_eq!(features_request(FAMILY, "eth0", false), want);
}

#[test]
fn features_get_compact_asks_for_compact_bitsets_in_the_header() {
    let header: &[u8] = &[
        24, 0, 1, 0x80, // HEADER, nested
        9, 0, 2, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0, // DEV_NAME "eth0"
        8, 0, 3, 0, 1, 0, 0, 0, // FLAGS: ETHTOOL_FLAG_COMPACT_BITSETS
    ];
    assert_eq!(
        features_request(FAMILY, "eth0", true),
        message(11, &[header])
    );
}

#[test]
fn channels_get() {
    assert_eq!(
        channels_request(FAMILY, "eth0"),
        message(17, &[&ETH0_HEADER])
    );
}

#[test]
fn rss_get() {
    assert_eq!(rss_request(FAMILY, "eth0"), message(38, &[&ETH0_HEADER]));
}

#[test]
fn strset_get_of_the_feature_names() {
    let sets: &[u8] = &[
        16, 0, 2, 0x80, // ETHTOOL_A_STRSET_STRINGSETS, nested
        12, 0, 1, 0x80, // ETHTOOL_A_STRINGSETS_STRINGSET, nested
        8, 0, 1, 0, 4, 0, 0, 0, // ETHTOOL_A_STRINGSET_ID: ETH_SS_FEATURES
    ];
    assert_eq!(
        strset_request(FAMILY, "eth0", SS_FEATURES),
        message(1, &[&ETH0_HEADER, sets])
    );
}
