use super::*;

// The structures each command sends, byte for byte (a little-endian machine).
#[cfg(target_endian = "little")]
#[test]
fn the_request_structures() {
    // struct ethtool_rxnfc, its first form: cmd ETHTOOL_GRXFH, flow_type UDP_V6_FLOW, data.
    assert_eq!(
        rxfh_request(UDP_V6_FLOW),
        [0x29, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    // struct ethtool_channels: cmd ETHTOOL_GCHANNELS and eight zero counts.
    let mut channels = vec![0x3c, 0, 0, 0];
    channels.resize(36, 0);
    assert_eq!(channels_request(), channels);
    // struct ethtool_sset_info: cmd, reserved, sset_mask 1 << ETH_SS_FEATURES, one count.
    assert_eq!(
        sset_info_request(4),
        [0x37, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    // struct ethtool_gstrings: cmd, string_set, len, then len * 32 bytes.
    let mut gstrings = vec![0x1b, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0];
    gstrings.resize(12 + 64, 0);
    assert_eq!(gstrings_request(4, 2), gstrings);
    // struct ethtool_gfeatures: cmd, size (blocks), then 16 bytes a block.
    let mut gfeatures = vec![0x3a, 0, 0, 0, 2, 0, 0, 0];
    gfeatures.resize(8 + 32, 0);
    assert_eq!(gfeatures_request(2), gfeatures);
}

#[test]
fn the_answers_are_read_from_their_fields() {
    let mut rxfh = rxfh_request(UDP_V4_FLOW);
    rxfh[8..16].copy_from_slice(&0xf0u64.to_ne_bytes());
    assert_eq!(rxfh_fields(&rxfh), 0xf0);

    let mut channels = channels_request();
    for (i, v) in [0u32, 0, 0, 4, 0, 0, 0, 2].iter().enumerate() {
        channels[4 + 4 * i..8 + 4 * i].copy_from_slice(&v.to_ne_bytes());
    }
    assert_eq!(channel_counts(&channels), [0, 0, 0, 4, 0, 0, 0, 2]);

    let mut info = sset_info_request(4);
    info[16..20].copy_from_slice(&66u32.to_ne_bytes());
    assert_eq!(sset_count(&info), Some(66));
    // The kernel clears the bits of the sets the device lacks.
    info[8..16].copy_from_slice(&0u64.to_ne_bytes());
    assert_eq!(sset_count(&info), None);

    let mut strings = gstrings_request(4, 2);
    strings[12..14].copy_from_slice(b"sg");
    strings[44..50].copy_from_slice(b"rx-gro");
    assert_eq!(gstrings_names(&strings), ["sg", "rx-gro"]);
    // A len larger than the strings asked for reads no further than they go.
    strings[8..12].copy_from_slice(&9u32.to_ne_bytes());
    assert_eq!(gstrings_names(&strings).len(), 2);

    let mut features = gfeatures_request(2);
    // Block 1's active word (offset 8 + 16 + 8) has bit 1: feature 33.
    features[32..36].copy_from_slice(&2u32.to_ne_bytes());
    // Block 0's requested word has bit 0, which is not the active one.
    features[12..16].copy_from_slice(&1u32.to_ne_bytes());
    // Feature 2 is available (block 0's word 0), feature 3 available but never changed
    // (word 3): only feature 2 is changeable.
    features[8..12].copy_from_slice(&0b1100u32.to_ne_bytes());
    features[20..24].copy_from_slice(&0b1000u32.to_ne_bytes());
    let states = gfeatures_states(&features, 40);
    assert_eq!(states.iter().filter(|f| f.active).count(), 1);
    assert!(states[33].active);
    let changeable: Vec<usize> = (0..40).filter(|&i| states[i].changeable).collect();
    assert_eq!(changeable, [2]);
    // Features past the blocks read as off and fixed.
    let past = gfeatures_states(&gfeatures_request(1), 40)[33];
    assert!(!past.active && !past.changeable);
}

#[test]
fn names_that_are_no_device_name_are_refused_before_any_ioctl() {
    let socket = EthtoolIoctl::open().unwrap();
    for dev in ["", ".", "..", "a/b", "sixteen-bytes-xx", "a b", "a\0b"] {
        let err = socket.flow_hash(dev, UDP_V4_FLOW).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{dev:?}");
    }
}

#[test]
fn the_loopback_device_is_confirmed_by_its_index_and_nothing_else_is() {
    let socket = EthtoolIoctl::open().unwrap();
    // lo is device 1 in every network namespace.
    assert!(socket.confirm("lo", 1).unwrap());
    assert!(!socket.confirm("eth-other", 1).unwrap());
    assert!(!socket.confirm("lo", 4_000_000).unwrap());
}

#[test]
fn the_loopback_device_has_feature_names_and_no_rss() {
    let socket = EthtoolIoctl::open().unwrap();
    let names = socket.feature_names("lo").unwrap();
    assert!(names.iter().any(|n| n == "rx-gro"), "{names:?}");
    assert_eq!(
        socket.features("lo", names.len()).unwrap().len(),
        names.len()
    );
    let err = socket.flow_hash("lo", UDP_V4_FLOW).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP));
}
