//! The values of rfou's words, read and written the same way on the command line, in a batch
//! and in a desired-state file: numbers, ports, addresses, TTLs, TOS, GRE keys, IP protocols
//! and device names.
//!
//! Named values (`inherit`, `auto`, protocol names, modes, encapsulations) are read without
//! regard to letter case (`IPIP` is `ipip`); keywords are not values and keep their case.

use std::net::IpAddr;

use crate::error::{Error, ErrorKind, Result};

/// Whether `word` is the named value `name`, in any letter case.
pub fn is(word: &str, name: &str) -> bool {
    word.eq_ignore_ascii_case(name)
}

/// A value as a command line or a file gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// A word (`64`, `inherit`, `0x10`, `192.0.2.1`), as the command line gives every value.
    Word(&'a str),
    /// A number, as a file gives it (decimal, whatever the setting's word would be).
    Number(i64),
    /// A flag: given (`pmtudisc`, `= true`) or negated (`nopmtudisc`, `= false`).
    Flag(bool),
}

impl<'a> Input<'a> {
    /// The word of this value: a file's number as its decimal word; an error for a flag.
    pub fn word(self, key: &str) -> Result<std::borrow::Cow<'a, str>> {
        match self {
            Input::Word(w) => Ok(w.into()),
            Input::Number(n) => Ok(n.to_string().into()),
            Input::Flag(_) => Err(Error::invalid(format!("{key} needs a value"))),
        }
    }

    /// This value as a flag; an error for anything else.
    pub fn flag(self, key: &str) -> Result<bool> {
        match self {
            Input::Flag(on) => Ok(on),
            _ => Err(Error::invalid(format!(
                "{key} is a flag: it takes no value (true or false in a file)"
            ))),
        }
    }

    /// This value as a number of `range`: a file's number as it is, a word as [`number`]
    /// reads it.
    pub fn number(self, key: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64> {
        match self {
            Input::Number(n) if n >= 0 && range.contains(&(n as u64)) => Ok(n as u64),
            Input::Number(n) => Err(Error::invalid(format!(
                "{key} {n} is out of range: use {}..{}",
                range.start(),
                range.end()
            ))),
            other => number_in(&other.word(key)?, key, range),
        }
    }

    /// This value as a UDP port (1..65535).
    pub fn port(self, key: &str) -> Result<u16> {
        match self {
            Input::Word(w) => port(w, key),
            other => Ok(other.number(key, 1..=65535)? as u16),
        }
    }
}

/// A number as rfou reads it: decimal, or hexadecimal after `0x` (as ip reads both).
/// `Ok(None)`: not a number at all; `Err`: a number rfou will not guess at. ip reads a
/// number with a leading zero as octal (`05555` is 2925), which nobody writing a port
/// means; rfou refuses it rather than read it differently from ip.
pub fn number(word: &str, what: &str) -> Result<Option<u64>> {
    let (digits, radix) = match word.as_bytes() {
        [b'0', b'x' | b'X', hex @ ..] => (hex, 16),
        decimal => (decimal, 10),
    };
    // One pass over the digits, a byte at a time (a byte that is not ASCII is no digit);
    // too many of them saturate, out of any range.
    let mut value: u64 = 0;
    for &b in digits {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' if radix == 16 => b - b'a' + 10,
            b'A'..=b'F' if radix == 16 => b - b'A' + 10,
            _ => return Ok(None),
        };
        value = value.saturating_mul(radix).saturating_add(u64::from(digit));
    }
    if digits.is_empty() {
        return Ok(None);
    }
    if radix == 10 && digits.len() > 1 && digits[0] == b'0' {
        // Decimal: the digits are the whole word.
        let octal = match u64::from_str_radix(word, 8) {
            Ok(n) => format!("ip reads it as octal, {n}"),
            Err(_) => "ip reads a leading zero as octal, and refuses it".to_string(),
        };
        let plain = word.trim_start_matches('0');
        return Err(Error::invalid(format!(
            "{what} \"{word}\" has a leading zero: {octal}; rfou does not guess: write {} \
             (decimal) or 0x... (hexadecimal)",
            if plain.is_empty() { "0" } else { plain }
        )));
    }
    Ok(Some(value))
}

/// A number of `range`, or an error naming `what` and the range.
pub fn number_in(word: &str, what: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64> {
    match number(word, what)? {
        Some(n) if range.contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid(format!(
            "{what} {word} is out of range: use {}..{}",
            range.start(),
            range.end()
        ))),
        None => Err(Error::invalid(format!(
            "{what} \"{word}\" is not a number: use {}..{}",
            range.start(),
            range.end()
        ))),
    }
}

/// A UDP port: 1..65535, decimal or hexadecimal.
pub fn port(word: &str, what: &str) -> Result<u16> {
    match number(word, what)? {
        Some(0) => Err(Error::invalid(format!(
            "{what} 0 is not a port: use 1..65535"
        ))),
        Some(p) if p <= 65535 => Ok(p as u16),
        Some(_) => Err(Error::invalid(format!(
            "{what} {word} is out of range: use 1..65535"
        ))),
        None => Err(Error::invalid(format!(
            "{what} \"{word}\" is not a number: use 1..65535"
        ))),
    }
}

/// An IPv4 or IPv6 address.
pub fn address(word: &str, what: &str) -> Result<IpAddr> {
    word.parse::<IpAddr>()
        .map_err(|_| Error::invalid(format!("{what} \"{word}\" is not an IPv4 or IPv6 address")))
}

/// A TTL or hop limit: `inherit` (0) or 1..255.
pub fn ttl(word: &str) -> Result<u8> {
    if is(word, "inherit") {
        return Ok(0);
    }
    match number(word, "ttl")? {
        Some(t) if t <= 255 => Ok(t as u8),
        _ => Err(Error::invalid(format!(
            "ttl \"{word}\" is not valid: use inherit or 1..255"
        ))),
    }
}

/// The word of a TTL: `inherit` for 0.
pub fn ttl_word(ttl: u8) -> String {
    if ttl == 0 {
        "inherit".into()
    } else {
        ttl.to_string()
    }
}

/// A TOS, as iproute2 reads it: `inherit` (1), or a byte in hexadecimal with or without
/// `0x` (`0x10` and `10` are both 16).
pub fn tos(word: &str) -> Result<u8> {
    if is(word, "inherit") {
        return Ok(1);
    }
    let digits = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .unwrap_or(word);
    u8::from_str_radix(digits, 16).map_err(|_| {
        Error::invalid(format!(
            "tos \"{word}\" is not valid: use inherit or a hexadecimal byte such as 0x10"
        ))
    })
}

/// The word of a TOS: `inherit` for 1, else the byte in hexadecimal (`0x10`).
pub fn tos_word(tos: u8) -> String {
    if tos == 1 {
        "inherit".into()
    } else {
        format!("0x{tos:02x}")
    }
}

/// A GRE key: a 32-bit number (decimal or hexadecimal) or a dotted quad.
pub fn key(word: &str, what: &str) -> Result<u32> {
    if let Ok(addr) = word.parse::<std::net::Ipv4Addr>() {
        return Ok(u32::from(addr));
    }
    match number(word, what)? {
        Some(n) if n <= u32::MAX as u64 => Ok(n as u32),
        _ => Err(Error::invalid(format!(
            "{what} \"{word}\" is not a key: use a number 0..4294967295 or a dotted quad"
        ))),
    }
}

/// (name, protocol number), the names rfou accepts for the IP protocol a fou port carries.
///
/// These names mean the tunnel protocol, on purpose unlike iproute2: `ip fou add ... ipproto
/// ipip` asks getprotobyname, and Debian's /etc/protocols says `ipip` is 94, while whoever
/// writes `ipip` means the IPIP tunnel, protocol 4.
pub const PROTOCOLS: &[(&str, u8)] = &[
    ("ipip", 4),
    ("ipencap", 4),
    ("ipv6", 41),
    ("sit", 41),
    ("gre", 47),
    ("etherip", 97),
    ("mpls", 137),
];

/// The IP protocol a fou port carries: 1..255 (decimal or hexadecimal) or one of
/// [`PROTOCOLS`].
pub fn protocol(word: &str) -> Result<u8> {
    // No name starts with a digit: a number skips the names (most `ipproto`s are numbers).
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some((_, number)) = PROTOCOLS.iter().find(|(name, _)| is(word, name)) {
            return Ok(*number);
        }
    }
    match number(word, "ipproto")? {
        Some(0) => Err(Error::invalid(
            "ipproto 0 is not a protocol a fou port can carry (use 1..255, or `gue`)",
        )),
        Some(n) if n <= 255 => Ok(n as u8),
        Some(_) => Err(Error::invalid(format!(
            "ipproto {word} is out of range: a protocol number is 1..255"
        ))),
        None => Err(Error::invalid(format!(
            "unknown ipproto \"{word}\": use a number 1..255 or one of {}",
            PROTOCOLS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The name of protocol `number` among [`PROTOCOLS`] (the first that has it), if any.
pub fn protocol_name(number: u8) -> Option<&'static str> {
    PROTOCOLS
        .iter()
        .find(|(_, n)| *n == number)
        .map(|(name, _)| *name)
}

/// The longest name a network device can have (`IFNAMSIZ` less its final zero byte).
pub const MAX_DEVICE_NAME: usize = 15;

/// Checks that `name` can be a network device's name, as the kernel checks it
/// (`dev_valid_name`): 1 to 15 bytes, not `.` or `..`, no `/`, `:` or byte the kernel counts
/// as white space (space, tab, newline, vertical tab, form feed, carriage return, and 0xa0,
/// which is part of some UTF-8 characters, such as `à`), and no NUL, where the kernel's
/// copy of the name ends. rfou also refuses `%`: in a name
/// given to make a device the kernel reads `%d` as "the first free number" and makes
/// another name than the one asked for. Other control characters are the kernel's to take
/// (and rfou's to escape when it prints them). `what` names the value in errors (`name`,
/// `dev`).
pub fn device_name(name: &str, what: &str) -> Result<()> {
    let kernel_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0);
    let why = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_DEVICE_NAME {
        Some(format!(
            "it has {} bytes, and a device name has at most {MAX_DEVICE_NAME}",
            name.len()
        ))
    } else if name == "." || name == ".." {
        Some("the kernel refuses `.` and `..`".to_string())
    } else if name.contains('%') {
        Some("a `%` in a new device's name is a template the kernel fills in".to_string())
    } else if let Some(c) = name.chars().find(|c| matches!(c, '/' | ':')) {
        Some(format!("the kernel refuses `{c}` in a device name"))
    } else if name.contains('\0') {
        // The kernel reads a name up to its first NUL: it would name another device.
        Some("it holds a NUL byte, where the kernel's copy of the name would end".to_string())
    } else {
        name.chars()
            .find(|c| c.to_string().bytes().any(kernel_space))
            .map(|c| {
                if c.is_ascii() {
                    "it holds white space".to_string()
                } else {
                    format!(
                        "its character {} holds the byte 0xa0, which the kernel takes for white space",
                        c.escape_unicode()
                    )
                }
            })
    };
    match why {
        Some(why) => Err(Error::invalid(format!(
            "{what} \"{}\" is not a device name: {why}",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// The name ip gives a device that is gone, by its old index: `ifN` (ip prints it so, and
/// reads it back).
pub fn gone_device_name(index: u32) -> String {
    format!("if{index}")
}

/// The index in `ifN`, the name ip gives (and reads back) for a device that is gone.
pub fn gone_device_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("if")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The error for `keyword` setting what `first` set already: ip silently takes the last,
/// which hides a typo or a bad merge of two lines; rfou says so instead.
pub fn set_twice(first: &str, keyword: &str, what: &str) -> Error {
    let how = if first == keyword {
        format!("\"{keyword}\" is given twice")
    } else {
        format!("\"{first}\" and \"{keyword}\" both set {what}")
    };
    Error::invalid(format!(
        "{how}: say it once (ip would silently take the last)"
    ))
}

/// The error for a device that does not exist in `place` (a namespace, as messages name it).
pub(crate) fn no_such_device(name: &str, place: &str) -> Error {
    Error::new(
        ErrorKind::NoSuchDevice,
        format!("device \"{name}\" does not exist in {place}"),
    )
}

#[cfg(test)]
mod tests {
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
}
