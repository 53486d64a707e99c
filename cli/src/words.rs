//! Reading iproute2-style words: keywords that may be shortened to any unique prefix, a
//! keyword given once, and the nearest keyword to a misspelt one. The values that follow
//! keywords are read by `rfou::values`, as a desired-state file's are.

use rfou::values::set_twice;
use rfou::{Error, Result};

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

/// The keywords of one command seen so far, to refuse one given twice: ip silently takes
/// the last, which hides a typo or a bad merge of two lines; rfou says so instead.
#[derive(Default)]
pub struct Once {
    /// (what is set, the keyword that set it): the first `INLINE` in place, the rest in
    /// `more`, so that the common line allocates nothing for it.
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
            "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13",
            "f14", "f15", "f16", "f17", "f18", "f19",
        ];
        let mut once = Once::default();
        for field in FIELDS {
            once.set(field, &[field]).unwrap();
        }
        for field in FIELDS {
            let err = once.set(field, &[field]).unwrap_err().to_string();
            assert!(
                err.contains(&format!("\"{field}\" is given twice")),
                "{err}"
            );
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
}
