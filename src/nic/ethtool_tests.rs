use super::*;
use crate::nic::bitset::tests::{attr, nest};

pub(crate) fn u32_attr(kind: u16, value: u32) -> Vec<u8> {
    attr(kind, &value.to_ne_bytes())
}

pub(crate) fn str_attr(kind: u16, text: &str) -> Vec<u8> {
    attr(kind, &[text.as_bytes(), &[0]].concat())
}

/// A reply's payload: the generic-netlink header (command, version 1), then the attributes.
pub(crate) fn reply(cmd: u8, parts: &[Vec<u8>]) -> Vec<u8> {
    [vec![cmd, 1, 0, 0], parts.concat()].concat()
}

/// The reply header nest (attribute 1) of device `name`, index `index`.
pub(crate) fn reply_header(index: u32, name: &str) -> Vec<u8> {
    nest(
        1,
        &[
            u32_attr(HEADER_DEV_INDEX, index),
            str_attr(HEADER_DEV_NAME, name),
        ],
    )
}

/// A verbose list bitset of the named bits.
fn verbose_list(attr_kind: u16, bits: &[(u32, &str)]) -> Vec<u8> {
    let bits: Vec<_> = bits
        .iter()
        .map(|(i, name)| nest(1, &[u32_attr(1, *i), str_attr(2, name)]))
        .collect();
    nest(attr_kind, &[attr(1, &[]), u32_attr(2, 64), nest(3, &bits)])
}

#[test]
fn a_verbose_features_reply_gives_the_active_set() {
    let payload = reply(
        FEATURES_GET_REPLY,
        &[
            reply_header(7, "eth0"),
            verbose_list(2, &[(15, "rx-gro"), (40, "tx-udp_tnl-segmentation")]), // HW
            verbose_list(3, &[(15, "rx-gro")]),                                  // WANTED
            verbose_list(4, &[(40, "tx-udp_tnl-segmentation")]),                 // ACTIVE
            verbose_list(5, &[]),                                                // NOCHANGE
        ],
    );
    let (device, sets) = feature_sets(&[payload], "eth0").unwrap();
    assert_eq!(
        device,
        ReplyDevice {
            index: 7,
            name: "eth0".into()
        }
    );
    assert_eq!(
        sets.active.state("tx-udp_tnl-segmentation", None),
        Some(true)
    );
    assert_eq!(sets.active.state("rx-gro", None), Some(false));
    assert_eq!(sets.hw.state("rx-gro", None), Some(true));
    assert_eq!(
        sets.nochange.map(|n| n.state("rx-gro", None)),
        Some(Some(false))
    );
}

#[test]
fn a_channels_reply_gives_the_counts_it_has() {
    // As the kernel sends them: a maximum and its count only where the maximum is not 0.
    let payload = reply(
        CHANNELS_GET_REPLY,
        &[reply_header(3, "eth0"), u32_attr(5, 4), u32_attr(9, 2)],
    );
    let counts = channels(&[payload], "eth0").unwrap();
    assert_eq!(
        counts,
        [None, None, None, Some(4), None, None, None, Some(2)]
    );
}

#[test]
fn an_rss_reply_with_flow_hashes_of_four_and_eight_bytes() {
    let flows = nest(
        RSS_FLOW_HASH,
        &[
            attr(FLOW_UDP4 - 2, &0xc0u32.to_ne_bytes()), // TCP4, not asked for
            attr(FLOW_UDP4, &0xf0u32.to_ne_bytes()),
            attr(FLOW_UDP6, &0x30u64.to_ne_bytes()),
        ],
    );
    let indir = attr(4, &[0; 16]);
    let payload = reply(RSS_GET_REPLY, &[reply_header(3, "eth0"), indir, flows]);
    assert_eq!(
        udp_flow_hash(&[payload], "eth0").unwrap(),
        Some(UdpFlowHash {
            udp4: Some(0xf0),
            udp6: Some(0x30)
        })
    );
}

#[test]
fn an_rss_reply_without_flow_hashes_says_none() {
    // Kernels before 6.17: hash function, key and table, no fields.
    let payload = reply(
        RSS_GET_REPLY,
        &[reply_header(3, "eth0"), u32_attr(3, 1), attr(5, &[7; 40])],
    );
    assert_eq!(udp_flow_hash(&[payload], "eth0").unwrap(), None);
    let only_tcp = nest(RSS_FLOW_HASH, &[attr(4, &0xf0u32.to_ne_bytes())]);
    let payload = reply(RSS_GET_REPLY, &[reply_header(3, "eth0"), only_tcp]);
    assert_eq!(
        udp_flow_hash(&[payload], "eth0").unwrap(),
        Some(UdpFlowHash::default())
    );
}

#[test]
fn malformed_replies_are_errors() {
    let good_header = reply_header(3, "eth0");
    let overrun = {
        let mut v = good_header.clone();
        v.extend_from_slice(&[200, 0, 9, 0, 1, 2, 3, 4]); // claims 200 bytes
        v
    };
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("no reply", vec![]),
        (
            "two replies",
            vec![reply(CHANNELS_GET_REPLY, std::slice::from_ref(&good_header)); 2],
        ),
        (
            "shorter than the genl header",
            vec![vec![CHANNELS_GET_REPLY, 1]],
        ),
        (
            "another command",
            vec![reply(
                FEATURES_GET_REPLY,
                std::slice::from_ref(&good_header),
            )],
        ),
        (
            "no header",
            vec![reply(CHANNELS_GET_REPLY, &[u32_attr(9, 1)])],
        ),
        (
            "another device",
            vec![reply(CHANNELS_GET_REPLY, &[reply_header(3, "eth1")])],
        ),
        (
            "header without index",
            vec![reply(
                CHANNELS_GET_REPLY,
                &[nest(1, &[str_attr(2, "eth0")])],
            )],
        ),
        (
            "overrunning attribute",
            vec![reply(CHANNELS_GET_REPLY, &[overrun])],
        ),
        (
            "count of 2 bytes",
            vec![reply(
                CHANNELS_GET_REPLY,
                &[good_header.clone(), attr(9, &[1, 0])],
            )],
        ),
    ];
    for (what, replies) in cases {
        let err = channels(&replies, "eth0").expect_err(what);
        assert_eq!(err.errno, libc::EBADMSG, "{what}: {err:?}");
    }
    let bad_flow = nest(RSS_FLOW_HASH, &[attr(FLOW_UDP4, &[1, 2, 3])]);
    let err = udp_flow_hash(
        &[reply(RSS_GET_REPLY, &[good_header.clone(), bad_flow])],
        "eth0",
    );
    assert_eq!(err.unwrap_err().errno, libc::EBADMSG);
    let no_active = reply(
        FEATURES_GET_REPLY,
        &[good_header.clone(), verbose_list(2, &[])],
    );
    assert!(feature_sets(&[no_active], "eth0").is_err());
}

#[test]
fn every_truncation_of_a_reply_is_read_or_refused_without_panic() {
    let flows = nest(RSS_FLOW_HASH, &[attr(FLOW_UDP4, &0xf0u32.to_ne_bytes())]);
    let whole = reply(
        RSS_GET_REPLY,
        &[reply_header(3, "eth0"), attr(4, &[0; 8]), flows],
    );
    assert!(udp_flow_hash(std::slice::from_ref(&whole), "eth0")
        .unwrap()
        .is_some());
    for len in 0..whole.len() {
        let _ = udp_flow_hash(&[whole[..len].to_vec()], "eth0");
        let _ = feature_sets(&[whole[..len].to_vec()], "eth0");
    }
}
