use super::*;
use crate::nic::bitset::tests::{attr, nest};

type Answer = std::result::Result<Vec<Vec<u8>>, NlError>;

/// A generic-netlink socket that answers each command from a table, and counts requests.
struct Canned {
    family: std::result::Result<u16, NlError>,
    answers: Vec<(u8, Answer)>,
    asked: Vec<u8>,
}

impl EthtoolSocket for Canned {
    fn family_id(&mut self, name: &str) -> std::result::Result<u16, NlError> {
        assert_eq!(name, "ethtool");
        self.family.clone()
    }

    fn exchange(&mut self, request: Vec<u8>) -> Answer {
        let cmd = request[16];
        self.asked.push(cmd);
        let (_, answer) = self
            .answers
            .iter()
            .find(|(c, _)| *c == cmd)
            .expect("a canned answer");
        answer.clone()
    }
}

fn canned(answers: Vec<(u8, Answer)>) -> Canned {
    Canned {
        family: Ok(20),
        answers,
        asked: Vec::new(),
    }
}

fn refused(errno: i32) -> Answer {
    Err(NlError {
        errno,
        message: None,
    })
}

fn u32_attr(kind: u16, value: u32) -> Vec<u8> {
    attr(kind, &value.to_ne_bytes())
}

fn str_attr(kind: u16, text: &str) -> Vec<u8> {
    attr(kind, &[text.as_bytes(), &[0]].concat())
}

fn reply(cmd: u8, parts: &[Vec<u8>]) -> Answer {
    let header = nest(1, &[u32_attr(1, 1), str_attr(2, "lo")]);
    Ok(vec![[vec![cmd, 1, 0, 0], header, parts.concat()].concat()])
}

/// A verbose list bitset of attribute `kind` holding the named bits.
fn verbose_list(kind: u16, bits: &[(u32, &str)]) -> Vec<u8> {
    let bit = |i: u32, name: &str| nest(1, &[u32_attr(1, i), str_attr(2, name)]);
    let bits: Vec<_> = bits.iter().map(|(i, name)| bit(*i, name)).collect();
    nest(kind, &[attr(1, &[]), nest(3, &bits)])
}

/// rx-gro on and changeable, tx-udp_tnl-segmentation on and fixed (never changed),
/// tx-udp_tnl-csum-segmentation off and fixed (not offered).
fn features_reply() -> Answer {
    let gro = (15, "rx-gro");
    let tnl = (40, "tx-udp_tnl-segmentation");
    reply(
        11,
        &[
            verbose_list(2, &[gro, tnl]),
            verbose_list(4, &[gro, tnl]),
            verbose_list(5, &[tnl]),
        ],
    )
}

fn expected_features() -> Features {
    Features {
        tx_udp_tnl_segmentation: Some(Feature {
            active: true,
            changeable: false,
        }),
        tx_udp_tnl_csum_segmentation: Some(Feature {
            active: false,
            changeable: false,
        }),
        rx_gro: Some(Feature {
            active: true,
            changeable: true,
        }),
    }
}

/// Why a fact is unknown, and its errno; (None, None) for a known one.
fn why<T>(fact: &Fact<T>) -> (Option<&str>, Option<i32>) {
    match fact {
        Fact::Unknown { why, errno } => (Some(why.as_str()), *errno),
        Fact::Known { .. } => (None, None),
    }
}

fn read_lo(dev: &str, socket: Option<&mut Canned>, via: NicVia) -> Nic {
    let ioctl = EthtoolIoctl::open().unwrap();
    let sysfs = Sysfs::open_here();
    let genl = socket.map(|s| s as &mut dyn EthtoolSocket);
    read_from(
        dev,
        1,
        Sources {
            genl,
            ioctl: &ioctl,
            sysfs: &sysfs,
        },
        via,
    )
}

#[test]
fn what_netlink_says_is_taken_from_netlink() {
    let flows = nest(
        8,
        &[
            attr(6, &0xf0u32.to_ne_bytes()),
            attr(7, &0x30u32.to_ne_bytes()),
        ],
    );
    let mut socket = canned(vec![
        (11, features_reply()),
        (17, reply(18, &[u32_attr(5, 4), u32_attr(9, 2)])),
        (38, reply(38, &[flows])),
    ]);
    let facts = read_lo("lo", Some(&mut socket), NicVia::Netlink);
    assert_eq!(socket.asked, [11, 17, 38]);
    assert_eq!(
        facts.rss_udp4,
        known(FlowHash { fields: 0xf0 }, Source::Netlink)
    );
    assert_eq!(
        facts.rss_udp6,
        known(FlowHash { fields: 0x30 }, Source::Netlink)
    );
    assert_eq!(facts.features, known(expected_features(), Source::Netlink));
    let Fact::Known {
        value: channels,
        source: Source::Netlink,
    } = &facts.channels
    else {
        panic!("{:?}", facts.channels)
    };
    assert_eq!(
        (channels.combined_max, channels.combined, channels.rx),
        (Some(4), Some(2), None)
    );
    assert!(
        matches!(
            facts.rx_queues,
            Fact::Known {
                source: Source::Sysfs,
                ..
            }
        ),
        "{:?}",
        facts.rx_queues
    );
}

#[test]
fn what_netlink_lacks_is_asked_of_the_ioctls() {
    // An RSS reply without flow hashes (before 6.17) and channels the driver lacks: the
    // ioctls are asked, and lo answers EOPNOTSUPP to both.
    let mut socket = canned(vec![
        (11, features_reply()),
        (17, refused(libc::EOPNOTSUPP)),
        (38, reply(38, &[u32_attr(3, 1)])),
    ]);
    let facts = read_lo("lo", Some(&mut socket), NicVia::Netlink);
    let no_rss = unknown(
        "the device has no RSS (ETHTOOL_GRXFH: EOPNOTSUPP)",
        Some(libc::EOPNOTSUPP),
    );
    assert_eq!(facts.rss_udp4, no_rss);
    assert_eq!(facts.rss_udp6, no_rss);
    assert!(
        matches!(
            facts.channels,
            Fact::Unknown {
                errno: Some(libc::EOPNOTSUPP),
                ..
            }
        ),
        "{:?}",
        facts.channels
    );
    assert!(matches!(
        facts.features,
        Fact::Known {
            source: Source::Netlink,
            ..
        }
    ));
}

#[test]
fn compact_features_are_named_by_the_string_set() {
    // Bit 0 rx-gro, bit 1 tx-udp_tnl-segmentation, bit 2 tx-udp_tnl-csum-segmentation.
    let compact = |kind: u16, bits: u32| {
        nest(
            kind,
            &[attr(1, &[]), u32_attr(2, 3), attr(4, &bits.to_ne_bytes())],
        )
    };
    let sets = [compact(2, 0b011), compact(4, 0b011), compact(5, 0b010)];
    let string = |i: u32, s: &str| nest(1, &[u32_attr(1, i), str_attr(2, s)]);
    let set = nest(
        1,
        &[
            u32_attr(1, 4),
            nest(
                3,
                &[
                    string(0, "rx-gro"),
                    string(1, "tx-udp_tnl-segmentation"),
                    string(2, "tx-udp_tnl-csum-segmentation"),
                ],
            ),
        ],
    );
    let mut socket = canned(vec![
        (11, reply(11, &sets)),
        (1, reply(1, &[nest(2, &[set])])),
        (17, refused(libc::EOPNOTSUPP)),
        (38, refused(libc::EOPNOTSUPP)),
    ]);
    let facts = read_lo("lo", Some(&mut socket), NicVia::NetlinkCompact);
    assert_eq!(socket.asked, [11, 1, 17, 38]);
    assert_eq!(facts.features, known(expected_features(), Source::Netlink));
}

#[test]
fn a_device_netlink_does_not_know_is_asked_nothing_more() {
    let mut socket = canned(vec![(11, refused(libc::ENODEV))]);
    let facts = read_lo("rfou-missing0", Some(&mut socket), NicVia::Netlink);
    assert_eq!(socket.asked, [11]);
    let gone = (
        Some("no device rfou-missing0 in this namespace"),
        Some(libc::ENODEV),
    );
    assert_eq!(why(&facts.rss_udp4), gone);
    assert_eq!(why(&facts.rss_udp6), gone);
    assert_eq!(why(&facts.features), gone);
    assert_eq!(why(&facts.channels), gone);
}

#[test]
fn without_netlink_a_name_that_is_not_the_index_is_never_put_to_an_ioctl() {
    // The ioctls would have the kernel load a module of that name: the name is checked
    // against the index first, and lo is index 1.
    let mut socket = canned(vec![]);
    socket.family = Err(NlError {
        errno: libc::ENOENT,
        message: None,
    });
    let facts = read_lo("rfou-missing0", Some(&mut socket), NicVia::Netlink);
    assert!(socket.asked.is_empty());
    let gone = (
        Some("no device rfou-missing0 with index 1 in this namespace"),
        Some(libc::ENODEV),
    );
    assert_eq!(why(&facts.rss_udp4), gone);
    assert_eq!(why(&facts.rss_udp6), gone);
    assert_eq!(why(&facts.features), gone);
    assert_eq!(why(&facts.channels), gone);
}

#[test]
fn the_ioctls_alone_read_the_features() {
    let facts = read_lo("lo", None, NicVia::Ioctl);
    let Fact::Known {
        value,
        source: Source::Ioctl,
    } = &facts.features
    else {
        panic!("{:?}", facts.features)
    };
    assert!(
        value.rx_gro.is_some_and(|gro| gro.changeable) && value.tx_udp_tnl_segmentation.is_some(),
        "{value:?}"
    );
}
