use super::*;
use crate::nic::bitset::tests::{attr, nest};
use crate::nic::ethtool::feature_sets;
use crate::nic::ethtool::tests::{reply, reply_header, str_attr, u32_attr};

#[test]
fn a_compact_features_reply_is_read_with_the_strset_reply() {
    let compact = |kind: u16, bits: u32| {
        nest(
            kind,
            &[attr(1, &[]), u32_attr(2, 3), attr(4, &bits.to_ne_bytes())],
        )
    };
    let features = reply(
        11,
        &[
            reply_header(7, "eth0"),
            compact(2, 0b111),
            compact(4, 0b100),
        ],
    );
    let (_, sets) = feature_sets(&[features], "eth0").unwrap();
    let active = sets.active;
    let string = |i: u32, s: &str| nest(1, &[u32_attr(1, i), str_attr(2, s)]);
    let set = nest(
        1,
        &[
            u32_attr(STRINGSET_ID, SS_FEATURES),
            u32_attr(2, 3), // COUNT
            nest(
                3,
                &[
                    string(2, "rx-gro"),
                    string(0, "sg"),
                    string(1, "tx-udp_tnl-segmentation"),
                ],
            ),
        ],
    );
    let strset = reply(
        STRSET_GET_REPLY,
        &[reply_header(7, "eth0"), nest(STRSET_STRINGSETS, &[set])],
    );
    let names = strings(&[strset], "eth0", SS_FEATURES).unwrap();
    assert_eq!(names, ["sg", "tx-udp_tnl-segmentation", "rx-gro"]);
    assert_eq!(active.state("rx-gro", Some(&names)), Some(true));
    assert_eq!(active.state("sg", Some(&names)), Some(false));
}

#[test]
fn malformed_strset_replies_are_errors() {
    let good_header = reply_header(3, "eth0");
    let gap = nest(
        1,
        &[
            u32_attr(STRINGSET_ID, SS_FEATURES),
            nest(3, &[nest(1, &[u32_attr(1, 1), str_attr(2, "b")])]),
        ],
    );
    let strset = reply(
        STRSET_GET_REPLY,
        &[good_header.clone(), nest(STRSET_STRINGSETS, &[gap])],
    );
    assert!(strings(&[strset], "eth0", SS_FEATURES).is_err());
    let other_set = nest(1, &[u32_attr(STRINGSET_ID, 1)]);
    let strset = reply(
        STRSET_GET_REPLY,
        &[good_header, nest(STRSET_STRINGSETS, &[other_set])],
    );
    assert!(strings(&[strset], "eth0", SS_FEATURES).is_err());
}

#[test]
fn every_truncation_of_a_strset_reply_is_read_or_refused_without_panic() {
    let string = nest(
        1,
        &[u32_attr(STRING_INDEX, 0), str_attr(STRING_VALUE, "rx-gro")],
    );
    let set = nest(
        1,
        &[
            u32_attr(STRINGSET_ID, SS_FEATURES),
            nest(STRINGSET_STRINGS, &[string]),
        ],
    );
    let whole = reply(
        STRSET_GET_REPLY,
        &[reply_header(3, "eth0"), nest(STRSET_STRINGSETS, &[set])],
    );
    assert_eq!(
        strings(std::slice::from_ref(&whole), "eth0", SS_FEATURES).unwrap(),
        ["rx-gro"]
    );
    for len in 0..whole.len() {
        let _ = strings(&[whole[..len].to_vec()], "eth0", SS_FEATURES);
    }
}
