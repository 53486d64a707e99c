//! Names of the IP protocols a fou port can carry.
//!
//! These names mean the tunnel protocol, on purpose unlike iproute2: `ip fou add ... ipproto
//! ipip` asks getprotobyname, and Debian's /etc/protocols says `ipip` is 94, while whoever
//! writes `ipip` means the IPIP tunnel, protocol 4.

use crate::error::{Error, Result};

/// (name, protocol number), the names rfou accepts for `ipproto`.
pub const NAMES: &[(&str, u8)] = &[
    ("ipip", 4),
    ("ipencap", 4),
    ("ipv6", 41),
    ("sit", 41),
    ("gre", 47),
    ("etherip", 97),
    ("mpls", 137),
];

/// Parses `ipproto`'s value: 1..255 (decimal or hexadecimal; a leading zero, octal to ip,
/// is refused) or one of [`NAMES`].
pub fn parse(word: &str) -> Result<u8> {
    // No name starts with a digit: a number skips the names (most `ipproto`s are numbers).
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some((_, number)) = NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
        {
            return Ok(*number);
        }
    }
    match crate::cli::words::number(word, "ipproto")? {
        Some(0) => Err(Error::invalid(
            "ipproto 0 is not a protocol a fou port can carry (use 1..255, or `gue`)",
        )),
        Some(n) if n <= 255 => Ok(n as u8),
        Some(_) => Err(Error::invalid(format!(
            "ipproto {word} is out of range: a protocol number is 1..255"
        ))),
        None => Err(Error::invalid(format!(
            "unknown ipproto \"{word}\": use a number 1..255 or one of {}",
            NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_mean_the_tunnel_protocol() {
        assert_eq!(parse("ipip").unwrap(), 4);
        assert_eq!(parse("ipencap").unwrap(), 4);
        assert_eq!(parse("gre").unwrap(), 47);
        assert_eq!(parse("ipv6").unwrap(), 41);
        assert_eq!(parse("sit").unwrap(), 41);
        assert_eq!(parse("GRE").unwrap(), 47);
    }

    #[test]
    fn no_name_starts_with_a_digit() {
        // What lets a number skip the names.
        assert!(NAMES.iter().all(|(name, _)| !name.starts_with(|c: char| c.is_ascii_digit())));
    }

    #[test]
    fn numbers_and_their_limits() {
        assert_eq!(parse("1").unwrap(), 1);
        assert_eq!(parse("255").unwrap(), 255);
        assert!(parse("0").unwrap_err().to_string().contains("ipproto 0"));
        assert!(parse("256")
            .unwrap_err()
            .to_string()
            .contains("out of range"));
        assert!(parse("bogus")
            .unwrap_err()
            .to_string()
            .contains("unknown ipproto"));
        assert_eq!(parse("-1").unwrap_err().exit_code(), 2);
        assert_eq!(parse("0x2f").unwrap(), 47);
        assert!(parse("010").unwrap_err().to_string().contains("octal, 8"));
    }
}
