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
    let guess = match nearest(word, keywords) {
        Some(near) => format!("did you mean `{near}`? "),
        None => String::new(),
    };
    Error::invalid(format!(
        "unknown keyword \"{word}\" in {context}: {guess}expected one of {}",
        keywords.join(", ")
    ))
}

/// The keyword a misspelt `word` most likely meant: the nearest by edit distance (a letter
/// added, dropped, changed, or two swapped), if near enough to be a typo and not a tie.
pub fn nearest<'k>(word: &str, keywords: &[&'k str]) -> Option<&'k str> {
    let length = word.chars().count();
    let limit = match length {
        0..=2 => return None,
        3..=5 => 1,
        _ => 2,
    };
    // The distance is at least the difference in length: a word far longer than every
    // keyword (a batch line of megabytes) is compared with none, in no time and no memory.
    let mut best: Vec<(usize, &'k str)> = keywords
        .iter()
        .filter(|k| k.chars().count().abs_diff(length) <= limit)
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    best.sort();
    match best.as_slice() {
        [(d, k), rest @ ..] if rest.first().is_none_or(|(d2, _)| d2 > d) => Some(k),
        _ => None,
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours, each counting one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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
        value = value
            .saturating_mul(radix)
            .saturating_add(u64::from(digit));
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

pub fn address(word: &str, what: &str) -> Result<IpAddr> {
    word.parse::<IpAddr>()
        .map_err(|_| Error::invalid(format!("{what} \"{word}\" is not an IPv4 or IPv6 address")))
}

/// The index in `ifN`, the name ip gives (and reads back) for a device that is gone.
pub fn gone_device_index(name: &str) -> Option<i32> {
    let digits = name.strip_prefix("if")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A TTL or hop limit: `inherit` (0) or 1..255.
pub fn ttl(word: &str) -> Result<u8> {
    if word == "inherit" {
        return Ok(0);
    }
    match number(word, "ttl")? {
        Some(t) if t <= 255 => Ok(t as u8),
        _ => Err(Error::invalid(format!(
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

/// The keywords of one command seen so far, to refuse one given twice: ip silently takes
/// the last, which hides a typo or a bad merge of two lines; rfou says so instead.
#[derive(Default)]
pub struct Once {
    /// (what is set, the keyword that set it): the first `INLINE` in place, the rest in
    /// `more`. A line of a batch is parsed into a fresh `Once`, and allocating for it was a
    /// tenth of the instructions of parsing an `add port` line (callgrind).
    first: [(&'static str, &'static str); Once::INLINE],
    len: usize,
    more: Vec<(&'static str, &'static str)>,
}

impl Once {
    const INLINE: usize = 8;

    /// The keyword that set `field`, if one did.
    fn setter(&self, field: &str) -> Option<&'static str> {
        let inline = &self.first[..self.len.min(Self::INLINE)];
        let mut seen = inline.iter().chain(&self.more);
        seen.find(|(f, _)| *f == field).map(|(_, keyword)| *keyword)
    }

    /// Records that `keyword` sets each of `fields`; an error if one was set already.
    pub fn set(&mut self, keyword: &'static str, fields: &[&'static str]) -> Result<()> {
        for field in fields {
            if let Some(first) = self.setter(field) {
                return Err(set_twice(first, keyword, field));
            }
        }
        for field in fields {
            match self.first.get_mut(self.len) {
                Some(slot) => *slot = (field, keyword),
                None => self.more.push((field, keyword)),
            }
            self.len += 1;
        }
        Ok(())
    }
}

/// The error for `keyword` setting `field`, which `first` set already (the same keyword
/// given twice, or two that set one thing).
pub fn set_twice(first: &str, keyword: &str, field: &str) -> Error {
    let how = if first == keyword {
        format!("\"{keyword}\" is given twice")
    } else {
        format!("\"{first}\" and \"{keyword}\" both set {field}")
    };
    Error::invalid(format!(
        "{how}: say it once (ip would silently take the last)"
    ))
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
    fn a_misspelt_keyword_names_the_nearest() {
        let top = ["add", "delete", "show", "list", "tunnel", "apply", "export"];
        assert_eq!(nearest("tunel", &top), Some("tunnel"));
        assert_eq!(nearest("tunnle", &top), Some("tunnel"));
        assert_eq!(nearest("exprot", &top), Some("export"));
        assert_eq!(nearest("frobnicate", &top), None);
        assert_eq!(nearest("ad", &top), None);
        // A word of megabytes (a batch line) is compared with no keyword: a full table of
        // edit distances for it took gigabytes, and the kernel killed rfou.
        assert_eq!(nearest(&"p".repeat(10 << 20), &top), None);
        let err = unknown("encap-dprot", &["encap-dport", "encap-sport"], "tunnel add");
        assert!(
            err.to_string().contains("did you mean `encap-dport`?"),
            "{err}"
        );
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
        assert_eq!(err.exit_code(), 2);
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
    fn a_keyword_is_taken_once() {
        let mut once = Once::default();
        once.set("port", &["port"]).unwrap();
        once.set("key", &["ikey", "okey"]).unwrap();
        let err = once.set("port", &["port"]).unwrap_err().to_string();
        assert!(err.contains("\"port\" is given twice"), "{err}");
        let err = once.set("ikey", &["ikey"]).unwrap_err().to_string();
        assert!(err.contains("\"key\" and \"ikey\" both set ikey"), "{err}");
    }

    #[test]
    fn a_keyword_past_the_inline_ones_is_still_taken_once() {
        const FIELDS: [&str; 20] = [
            "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12",
            "f13", "f14", "f15", "f16", "f17", "f18", "f19",
        ];
        let mut once = Once::default();
        for field in FIELDS {
            once.set(field, &[field]).unwrap();
        }
        for field in FIELDS {
            let err = once.set(field, &[field]).unwrap_err().to_string();
            assert!(err.contains(&format!("\"{field}\" is given twice")), "{err}");
        }
        // Two fields at once, straddling the inline part.
        let mut once = Once::default();
        for field in &FIELDS[..7] {
            once.set(field, &[field]).unwrap();
        }
        once.set("key", &["ikey", "okey"]).unwrap();
        let err = once.set("okey", &["okey"]).unwrap_err().to_string();
        assert!(err.contains("\"key\" and \"okey\" both set okey"), "{err}");
    }

    #[test]
    fn numbers_decimal_hexadecimal_and_too_long() {
        assert_eq!(number("5555", "port").unwrap(), Some(5555));
        assert_eq!(number("0x15b3", "port").unwrap(), Some(0x15b3));
        assert_eq!(number("0XfF", "port").unwrap(), Some(255));
        assert_eq!(number("0", "port").unwrap(), Some(0));
        assert_eq!(number("18446744073709551615", "port").unwrap(), Some(u64::MAX));
        assert_eq!(number("99999999999999999999999", "port").unwrap(), Some(u64::MAX));
        for not_a_number in ["", "0x", "12a", "-1", "+1", "1 ", "٣", "0x1g"] {
            assert_eq!(number(not_a_number, "port").unwrap(), None, "{not_a_number:?}");
        }
        assert!(number("05555", "port").is_err());
        assert!(number("00", "port").is_err());
    }

    #[test]
    fn gone_devices_are_named_as_ip_names_them() {
        assert_eq!(gone_device_index("if7"), Some(7));
        assert_eq!(gone_device_index("if"), None);
        assert_eq!(gone_device_index("if07"), None);
        assert_eq!(gone_device_index("eth0"), None);
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
