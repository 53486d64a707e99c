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

/// The names of TOS bytes in the table iproute2 ships (`/etc/iproute2/rt_dsfield` in Debian
/// 12's iproute2 6.1): the DSCP classes of RFC 2597 (assured forwarding), RFC 2474 (class
/// selectors) and RFC 2598 (expedited forwarding), each shifted into the TOS byte.
pub const TOS_NAMES: &[(&str, u8)] = &[
    ("default", 0x00),
    ("AF11", 0x28),
    ("AF12", 0x30),
    ("AF13", 0x38),
    ("AF21", 0x48),
    ("AF22", 0x50),
    ("AF23", 0x58),
    ("AF31", 0x68),
    ("AF32", 0x70),
    ("AF33", 0x78),
    ("AF41", 0x88),
    ("AF42", 0x90),
    ("AF43", 0x98),
    ("CS1", 0x20),
    ("CS2", 0x40),
    ("CS3", 0x60),
    ("CS4", 0x80),
    ("CS5", 0xa0),
    ("CS6", 0xc0),
    ("CS7", 0xe0),
    ("EF", 0xb8),
];

/// A TOS, as iproute2 reads it: `inherit` (1); a name of [`TOS_NAMES`], written exactly
/// (`EF` is 0xb8: ip looks a word up as a name before it reads it as a number); or a byte in
/// hexadecimal with or without `0x` (`0x10` and `10` are both 16, and `ef` is 0xef).
pub fn tos(word: &str) -> Result<u8> {
    if is(word, "inherit") {
        return Ok(1);
    }
    if let Some(&(_, tos)) = TOS_NAMES.iter().find(|(name, _)| *name == word) {
        return Ok(tos);
    }
    let digits = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .unwrap_or(word);
    u8::from_str_radix(digits, 16).map_err(|_| {
        Error::invalid(format!(
            "tos \"{word}\" is not valid: use inherit, a hexadecimal byte such as 0x10, or a name of iproute2's rt_dsfield (default, AF11..AF43, CS1..CS7, EF)"
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
#[path = "values_tests.rs"]
mod tests;
