//! The unit tests of values.rs.

use super::*;

#[test]
fn protocol_names_mean_the_tunnel_protocol() {
    assert_eq!(protocol("ipip").unwrap(), 4);
    assert_eq!(protocol("ipencap").unwrap(), 4);
    assert_eq!(protocol("gre").unwrap(), 47);
    assert_eq!(protocol("ipv6").unwrap(), 41);
    assert_eq!(protocol("sit").unwrap(), 41);
    assert_eq!(protocol("GRE").unwrap(), 47);
    assert_eq!(protocol_name(4), Some("ipip"));
    assert_eq!(protocol_name(5), None);
}

#[test]
fn no_protocol_name_starts_with_a_digit() {
    // What lets a number skip the names.
    assert!(PROTOCOLS
        .iter()
        .all(|(name, _)| !name.starts_with(|c: char| c.is_ascii_digit())));
}

#[test]
fn protocol_numbers_and_their_limits() {
    assert_eq!(protocol("1").unwrap(), 1);
    assert_eq!(protocol("255").unwrap(), 255);
    assert!(protocol("0").unwrap_err().to_string().contains("ipproto 0"));
    assert!(protocol("256")
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    assert!(protocol("bogus")
        .unwrap_err()
        .to_string()
        .contains("unknown ipproto"));
    assert_eq!(protocol("-1").unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(protocol("0x2f").unwrap(), 47);
    assert!(protocol("010")
        .unwrap_err()
        .to_string()
        .contains("octal, 8"));
}

#[test]
fn ports() {
    assert_eq!(port("5555", "port").unwrap(), 5555);
    assert_eq!(port("65535", "port").unwrap(), 65535);
    assert!(port("0", "port")
        .unwrap_err()
        .to_string()
        .contains("port 0 is not a port"));
    assert!(port("65536", "port")
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    assert!(port("abc", "port")
        .unwrap_err()
        .to_string()
        .contains("not a number"));
    assert!(port("-1", "port").is_err());
    assert!(port("+5", "port").is_err());
    assert!(port("99999999999999999999999", "port")
        .unwrap_err()
        .to_string()
        .contains("out of range"));
}

#[test]
fn hex_is_read_as_ip_reads_it_and_a_leading_zero_is_refused() {
    assert_eq!(port("0x15b3", "port").unwrap(), 5555);
    assert_eq!(port("0X15B3", "port").unwrap(), 5555);
    let err = port("05555", "port").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains("leading zero") && text.contains("2925"),
        "{text}"
    );
    assert!(text.contains("write 5555"), "{text}");
    // Not octal at all: ip refuses it.
    assert!(port("089", "port")
        .unwrap_err()
        .to_string()
        .contains("refuses"));
    assert!(port("0x", "port")
        .unwrap_err()
        .to_string()
        .contains("not a number"));
    assert_eq!(ttl("0x40").unwrap(), 64);
    assert!(ttl("010").unwrap_err().to_string().contains("octal, 8"));
    assert_eq!(key("0x10", "key").unwrap(), 16);
    assert!(key("010", "key").is_err());
    assert_eq!(ttl("0").unwrap(), 0);
}

#[test]
fn numbers_decimal_hexadecimal_and_too_long() {
    assert_eq!(number("5555", "port").unwrap(), Some(5555));
    assert_eq!(number("0x15b3", "port").unwrap(), Some(0x15b3));
    assert_eq!(number("0XfF", "port").unwrap(), Some(255));
    assert_eq!(number("0", "port").unwrap(), Some(0));
    assert_eq!(
        number("18446744073709551615", "port").unwrap(),
        Some(u64::MAX)
    );
    assert_eq!(
        number("99999999999999999999999", "port").unwrap(),
        Some(u64::MAX)
    );
    for not_a_number in ["", "0x", "12a", "-1", "+1", "1 ", "٣", "0x1g"] {
        assert_eq!(
            number(not_a_number, "port").unwrap(),
            None,
            "{not_a_number:?}"
        );
    }
    assert!(number("05555", "port").is_err());
    assert!(number("00", "port").is_err());
    assert_eq!(number_in("7", "mtu", 1..=9).unwrap(), 7);
    assert!(number_in("10", "mtu", 1..=9)
        .unwrap_err()
        .to_string()
        .contains("mtu 10 is out of range: use 1..9"));
}

#[test]
fn gone_devices_are_named_as_ip_names_them() {
    assert_eq!(gone_device_index("if7"), Some(7));
    assert_eq!(gone_device_index("if"), None);
    assert_eq!(gone_device_index("if07"), None);
    assert_eq!(gone_device_index("eth0"), None);
    assert_eq!(gone_device_name(7), "if7");
    assert_eq!(
        gone_device_index(&gone_device_name(4_000_000_000)),
        Some(4_000_000_000)
    );
}

#[test]
fn ttl_tos_and_keys() {
    assert_eq!(ttl("inherit").unwrap(), 0);
    assert_eq!(ttl("INHERIT").unwrap(), 0);
    assert_eq!(ttl("64").unwrap(), 64);
    assert!(ttl("256").is_err());
    assert_eq!(tos("0x10").unwrap(), 0x10);
    assert_eq!(tos("10").unwrap(), 0x10);
    assert_eq!(tos("inherit").unwrap(), 1);
    // A name of iproute2's table first, exactly as written; else hexadecimal, as ip reads
    // it: `tos EF` is 0xb8, `tos ef` 0xef.
    assert_eq!(tos("EF").unwrap(), 0xb8);
    assert_eq!(tos("ef").unwrap(), 0xef);
    assert_eq!(tos("AF41").unwrap(), 0x88);
    assert_eq!(tos("CS1").unwrap(), 0x20);
    assert_eq!(tos("default").unwrap(), 0);
    let err = tos("AF44").unwrap_err().to_string();
    assert!(err.contains("rt_dsfield"), "{err}");
    assert_eq!(tos_word(1), "inherit");
    assert_eq!(tos_word(0x10), "0x10");
    assert_eq!(ttl_word(0), "inherit");
    assert_eq!(key("5", "key").unwrap(), 5);
    assert_eq!(key("0.0.1.0", "key").unwrap(), 256);
    assert!(key("x", "key").is_err());
}

#[test]
fn device_names_are_checked_as_the_kernel_checks_them() {
    // Control characters are the kernel's to take (`ip link add` makes such names).
    for good in ["eth0", "t1", "a.b", "ü-dev", "123456789012345", "c\u{1}x"] {
        device_name(good, "name").unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for (bad, says) in [
        ("", "empty"),
        ("1234567890123456", "at most 15"),
        (".", "`.` and `..`"),
        ("..", "`.` and `..`"),
        ("a/b", "`/`"),
        ("z:colon", "`:`"),
        ("z%d", "template"),
        ("a b", "white space"),
        ("a\tb", "white space"),
        ("à", "0xa0"),
    ] {
        let err = device_name(bad, "name").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains(says), "{bad:?}: {err}");
    }
}
