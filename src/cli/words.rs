//! Reading iproute2-style words: keywords that may be shortened to any unique prefix, and
//! the values that follow them.

use std::net::IpAddr;

use crate::error::{Error, Result};

/// The keyword among `keywords` that `word` names: itself, or the one keyword it is a
/// prefix of. An exact match wins over longer keywords (`peer` is not `peer_port`).
pub fn keyword(word: &str, keywords: &[&'static str]) -> Result<Option<&'static str>> {
    if let Some(exact) = keywords.iter().find(|k| **k == word) {
        return Ok(Some(exact));
    }
    if word.is_empty() {
        return Ok(None);
    }
    let matches: Vec<&'static str> = keywords
        .iter()
        .copied()
        .filter(|k| k.starts_with(word))
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(Error::invalid(format!(
            "\"{word}\" is ambiguous: it could be {}",
            many.join(", ")
        ))),
    }
}

/// Words to read left to right.
pub struct Words<'a> {
    words: &'a [&'a str],
    next: usize,
}

impl<'a> Words<'a> {
    pub fn new(words: &'a [&'a str]) -> Self {
        Words { words, next: 0 }
    }

    pub fn next_word(&mut self) -> Option<&'a str> {
        let word = self.words.get(self.next)?;
        self.next += 1;
        Some(word)
    }

    pub fn peek(&self) -> Option<&'a str> {
        self.words.get(self.next).copied()
    }

    /// The value after keyword `after`, or an error that says it is missing.
    pub fn value(&mut self, after: &str) -> Result<&'a str> {
        self.next_word()
            .ok_or_else(|| Error::invalid(format!("{after} needs a value")))
    }

    /// The next word as the keyword of `keywords` it names, or an error naming the word.
    pub fn expect_keyword(
        &mut self,
        keywords: &[&'static str],
        context: &str,
    ) -> Result<Option<&'static str>> {
        let Some(word) = self.next_word() else {
            return Ok(None);
        };
        match keyword(word, keywords)? {
            Some(k) => Ok(Some(k)),
            None => Err(unknown(word, keywords, context)),
        }
    }
}

pub fn unknown(word: &str, keywords: &[&str], context: &str) -> Error {
    Error::invalid(format!(
        "unknown keyword \"{word}\" in {context}: expected one of {}",
        keywords.join(", ")
    ))
}

/// A UDP port: 1..65535.
pub fn port(word: &str, what: &str) -> Result<u16> {
    match word.parse::<u32>() {
        Ok(0) => Err(Error::invalid(format!(
            "{what} 0 is not a port: use 1..65535"
        ))),
        Ok(p) if p <= 65535 => Ok(p as u16),
        Ok(p) => Err(Error::invalid(format!(
            "{what} {p} is out of range: use 1..65535"
        ))),
        Err(_) => Err(Error::invalid(format!(
            "{what} \"{word}\" is not a number: use 1..65535"
        ))),
    }
}

pub fn address(word: &str, what: &str) -> Result<IpAddr> {
    word.parse::<IpAddr>()
        .map_err(|_| Error::invalid(format!("{what} \"{word}\" is not an IPv4 or IPv6 address")))
}

/// A TTL or hop limit: `inherit` (0) or 1..255.
pub fn ttl(word: &str) -> Result<u8> {
    if word == "inherit" {
        return Ok(0);
    }
    match word.parse::<u8>() {
        Ok(t) => Ok(t),
        Err(_) => Err(Error::invalid(format!(
            "ttl \"{word}\" is not valid: use inherit or 1..255"
        ))),
    }
}

/// A TOS, as iproute2 reads it: `inherit` (1), or a hexadecimal byte (`0x10` or `10`).
pub fn tos(word: &str) -> Result<u8> {
    if word == "inherit" {
        return Ok(1);
    }
    let digits = word.strip_prefix("0x").unwrap_or(word);
    u8::from_str_radix(digits, 16).map_err(|_| {
        Error::invalid(format!(
            "tos \"{word}\" is not valid: use inherit or a hexadecimal byte such as 0x10"
        ))
    })
}

/// A GRE key: a 32-bit number or a dotted quad.
pub fn key(word: &str, what: &str) -> Result<u32> {
    if let Ok(n) = word.parse::<u32>() {
        return Ok(n);
    }
    if let Ok(addr) = word.parse::<std::net::Ipv4Addr>() {
        return Ok(u32::from(addr));
    }
    Err(Error::invalid(format!(
        "{what} \"{word}\" is not a key: use a number 0..4294967295 or a dotted quad"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_prefixes_name_their_keyword() {
        let kws = ["add", "delete", "show", "tunnel"];
        assert_eq!(keyword("sh", &kws).unwrap(), Some("show"));
        assert_eq!(keyword("del", &kws).unwrap(), Some("delete"));
        assert_eq!(keyword("x", &kws).unwrap(), None);
        assert_eq!(keyword("", &kws).unwrap(), None);
    }

    #[test]
    fn exact_match_beats_a_longer_keyword_and_ambiguity_is_an_error() {
        let kws = ["port", "peer", "peer_port"];
        assert_eq!(keyword("peer", &kws).unwrap(), Some("peer"));
        assert_eq!(keyword("peer_", &kws).unwrap(), Some("peer_port"));
        let err = keyword("p", &kws).unwrap_err();
        assert!(err.to_string().contains("ambiguous"));
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
    }

    #[test]
    fn ttl_tos_and_keys() {
        assert_eq!(ttl("inherit").unwrap(), 0);
        assert_eq!(ttl("64").unwrap(), 64);
        assert!(ttl("256").is_err());
        assert_eq!(tos("0x10").unwrap(), 0x10);
        assert_eq!(tos("10").unwrap(), 0x10);
        assert_eq!(tos("inherit").unwrap(), 1);
        assert_eq!(key("5", "key").unwrap(), 5);
        assert_eq!(key("0.0.1.0", "key").unwrap(), 256);
        assert!(key("x", "key").is_err());
    }
}
