use super::*;

/// One attribute as the kernel lays it out: length (header included), type, value, padding.
pub(crate) fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(4 + value.len() as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// A nested attribute (the kernel sets NLA_F_NESTED on its nests).
pub(crate) fn nest(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    attr(kind | 0x8000, &parts.concat())
}

fn u32_attr(kind: u16, value: u32) -> Vec<u8> {
    attr(kind, &value.to_ne_bytes())
}

fn name_attr(kind: u16, name: &str) -> Vec<u8> {
    attr(kind, &[name.as_bytes(), &[0]].concat())
}

fn bit(index: u32, name: &str, value: bool) -> Vec<u8> {
    let mut parts = vec![u32_attr(BIT_INDEX, index), name_attr(BIT_NAME, name)];
    if value {
        parts.push(attr(BIT_VALUE, &[]));
    }
    nest(BITS_BIT, &parts)
}

fn words(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_verbose_list_as_the_kernel_sends_it_names_the_bits_that_are_on() {
    // NOMASK, SIZE 64, BITS { BIT { INDEX 15, NAME "rx-gro" } }: bytes as a kernel writes
    // them on a little-endian machine.
    #[cfg(target_endian = "little")]
    let wire: &[u8] = &[
        4, 0, 1, 0, // NOMASK
        8, 0, 2, 0, 64, 0, 0, 0, // SIZE 64
        28, 0, 3, 0x80, // BITS (nested)
        24, 0, 1, 0x80, // BIT (nested)
        8, 0, 1, 0, 15, 0, 0, 0, // INDEX 15
        11, 0, 2, 0, b'r', b'x', b'-', b'g', b'r', b'o', 0, 0, // NAME "rx-gro", padded
    ];
    #[cfg(target_endian = "little")]
    assert_eq!(
        wire,
        [
            attr(NOMASK, &[]),
            u32_attr(SIZE, 64),
            nest(
                BITS,
                &[nest(
                    BITS_BIT,
                    &[u32_attr(BIT_INDEX, 15), name_attr(BIT_NAME, "rx-gro")]
                )]
            )
        ]
        .concat()
    );
    let set = Bitset::decode(
        &[
            attr(NOMASK, &[]),
            u32_attr(SIZE, 64),
            nest(BITS, &[bit(15, "rx-gro", false)]),
        ]
        .concat(),
    )
    .unwrap();
    assert!(set.list);
    assert_eq!(set.size, Some(64));
    assert_eq!(
        set.bits,
        [Bit {
            index: 15,
            name: Some("rx-gro".into()),
            on: true
        }]
    );
    assert_eq!(set.state("rx-gro", None), Some(true));
    // Not listed in a list: off.
    assert_eq!(set.state("tx-udp_tnl-segmentation", None), Some(false));
}

#[test]
fn a_verbose_set_with_a_mask_says_only_the_bits_it_holds() {
    let nest_bytes = [
        u32_attr(SIZE, 64),
        nest(
            BITS,
            &[
                bit(3, "rx-gro", true),
                bit(4, "tx-udp_tnl-segmentation", false),
            ],
        ),
    ]
    .concat();
    let set = Bitset::decode(&nest_bytes).unwrap();
    assert!(!set.list);
    assert_eq!(set.state("rx-gro", None), Some(true));
    assert_eq!(set.state("tx-udp_tnl-segmentation", None), Some(false));
    assert_eq!(set.state("tx-udp_tnl-csum-segmentation", None), None);
}

#[test]
fn a_compact_list_is_read_with_the_names_of_its_string_set() {
    // 40 bits: bit 1 and bit 33 on.
    let set = Bitset::decode(
        &[
            attr(NOMASK, &[]),
            u32_attr(SIZE, 40),
            attr(VALUE, &words(&[1 << 1, 1 << 1])),
        ]
        .concat(),
    )
    .unwrap();
    assert_eq!(set.bits.len(), 40);
    let mut table = names(&["a", "rx-gro"]);
    table.resize(33, "x".into());
    table.push("tx-udp_tnl-segmentation".into());
    assert_eq!(set.state("rx-gro", Some(&table)), Some(true));
    assert_eq!(set.state("a", Some(&table)), Some(false));
    assert_eq!(
        set.state("tx-udp_tnl-segmentation", Some(&table)),
        Some(true)
    );
    // A name the string set lacks, or no names at all: not known.
    assert_eq!(set.state("nope", Some(&table)), None);
    assert_eq!(set.state("rx-gro", None), None);
}

#[test]
fn a_compact_set_with_a_mask_says_the_masked_bits_only() {
    let set = Bitset::decode(
        &[
            u32_attr(SIZE, 8),
            attr(VALUE, &words(&[0b0001])),
            attr(MASK, &words(&[0b0011])),
        ]
        .concat(),
    )
    .unwrap();
    let table = names(&["a", "b", "c"]);
    assert_eq!(set.state("a", Some(&table)), Some(true));
    assert_eq!(set.state("b", Some(&table)), Some(false));
    assert_eq!(set.state("c", Some(&table)), None);
}

#[test]
fn malformed_bitsets_are_errors() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        (
            "no size",
            [attr(NOMASK, &[]), attr(VALUE, &words(&[1]))].concat(),
        ),
        (
            "short value",
            [
                attr(NOMASK, &[]),
                u32_attr(SIZE, 40),
                attr(VALUE, &words(&[1])),
            ]
            .concat(),
        ),
        (
            "list with a mask",
            [
                attr(NOMASK, &[]),
                u32_attr(SIZE, 8),
                attr(VALUE, &words(&[1])),
                attr(MASK, &words(&[1])),
            ]
            .concat(),
        ),
        (
            "no mask, no list",
            [u32_attr(SIZE, 8), attr(VALUE, &words(&[1]))].concat(),
        ),
        (
            "short mask",
            [
                u32_attr(SIZE, 40),
                attr(VALUE, &words(&[1, 1])),
                attr(MASK, &words(&[1])),
            ]
            .concat(),
        ),
        (
            "verbose and value",
            [
                u32_attr(SIZE, 8),
                nest(BITS, &[bit(1, "a", true)]),
                attr(VALUE, &words(&[1])),
            ]
            .concat(),
        ),
        (
            "bit without index",
            [
                attr(NOMASK, &[]),
                nest(BITS, &[nest(BITS_BIT, &[name_attr(BIT_NAME, "a")])]),
            ]
            .concat(),
        ),
        (
            "bit past the size",
            [
                attr(NOMASK, &[]),
                u32_attr(SIZE, 8),
                nest(BITS, &[bit(8, "a", false)]),
            ]
            .concat(),
        ),
        (
            "not a bit",
            [
                attr(NOMASK, &[]),
                nest(BITS, &[nest(2, &[u32_attr(BIT_INDEX, 1)])]),
            ]
            .concat(),
        ),
        (
            "name without NUL",
            [
                attr(NOMASK, &[]),
                nest(
                    BITS,
                    &[nest(
                        BITS_BIT,
                        &[u32_attr(BIT_INDEX, 1), attr(BIT_NAME, b"abc")],
                    )],
                ),
            ]
            .concat(),
        ),
        (
            "size of 2 bytes",
            [
                attr(NOMASK, &[]),
                attr(SIZE, &[8, 0]),
                attr(VALUE, &words(&[1])),
            ]
            .concat(),
        ),
        ("overrun", {
            let mut v = [attr(NOMASK, &[]), u32_attr(SIZE, 8)].concat();
            v.extend_from_slice(&[40, 0, 4, 0, 1, 0, 0, 0]); // VALUE claims 40 bytes, has 8
            v
        }),
        (
            "attribute shorter than its header",
            [attr(NOMASK, &[]), vec![2, 0, 2, 0]].concat(),
        ),
    ];
    for (what, bytes) in cases {
        let err = Bitset::decode(&bytes).expect_err(what);
        assert_eq!(err.errno, libc::EBADMSG, "{what}");
    }
}

#[test]
fn every_truncation_of_a_bitset_is_read_or_refused_without_panic() {
    let whole = [
        u32_attr(SIZE, 64),
        nest(
            BITS,
            &[
                bit(3, "rx-gro", true),
                bit(40, "tx-udp_tnl-segmentation", false),
            ],
        ),
    ]
    .concat();
    assert!(Bitset::decode(&whole).is_ok());
    for len in 0..whole.len() {
        let _ = Bitset::decode(&whole[..len]);
    }
}
