//! The keywords of a tunnel's settings: one table ([`KEYS`]) that the command line's parser,
//! completer and help and the desired-state file all read, so that `tunnel add` and a
//! `[[tunnel]]` entry take the same words, and that each setting is printed, exported and
//! compared one way.

use std::fmt;
use std::sync::LazyLock;

use super::settings::TunnelSettings;
use super::TunnelKind;
use crate::error::{Error, Result};
use crate::maps::HashMap;
use crate::values::Input;

pub use super::table::KEYS;

/// A setting's value as rfou writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// On or off.
    Flag(bool),
    /// A number (a TOML integer).
    Number(u64),
    /// A word (an address, `inherit`, `auto`, a TOS in hexadecimal...).
    Word(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Flag(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Word(w) => f.write_str(w),
        }
    }
}

/// What a keyword's value is, for completion and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// No value: the keyword is a flag (or its negation).
    Flag,
    /// Something to type (a number, an address).
    Typed,
    /// One of these words, or something typed.
    Words(&'static [&'static str]),
    /// A network device of the namespace.
    Device,
}

/// One keyword of a tunnel's settings.
pub struct Key {
    /// The keyword, and the key of a `[[tunnel]]` entry.
    pub name: &'static str,
    /// The keywords that turn a flag off (`nopmtudisc`), on the command line; for a keyword
    /// that takes a value, the words that clear the setting without one (`noencap`).
    pub negations: &'static [&'static str],
    /// Other spellings, taken as the keyword (`hoplimit` for `ttl`).
    pub aliases: &'static [&'static str],
    /// What its value is.
    pub value: ValueKind,
    /// What it sets (two keywords that set one thing cannot be given together).
    pub sets: &'static [&'static str],
    /// A shorthand for other keywords (`key` is `ikey` and `okey`): read, never written.
    pub shorthand: bool,
    pub(super) applies: fn(TunnelKind) -> bool,
    pub(super) set: fn(&mut TunnelSettings, Input, Option<TunnelKind>) -> Result<()>,
    pub(super) get: fn(&TunnelSettings) -> Option<Value>,
}

impl Key {
    /// Whether a tunnel of `kind` has this setting.
    pub fn applies(&self, kind: TunnelKind) -> bool {
        (self.applies)(kind)
    }

    /// The value `settings` gives this setting, as rfou writes it.
    pub fn get(&self, settings: &TunnelSettings) -> Option<Value> {
        (self.get)(settings)
    }

    /// Whether `word` is this keyword, an alias or the negation.
    pub fn is(&self, word: &str) -> bool {
        self.name == word || self.negations.contains(&word) || self.aliases.contains(&word)
    }
}

/// The keyword `word` names, exactly: its name, an alias or its negation.
pub fn key(word: &str) -> Option<&'static Key> {
    by_word().get(word).copied()
}

/// Each word of [`KEYS`] (a name, an alias, a negation) and its keyword, made once: a batch
/// of tunnel lines looks several words up on each line. Were one word two keywords', the
/// first in the table would keep it (none is: see the tests).
fn by_word() -> &'static HashMap<&'static str, &'static Key> {
    static BY_WORD: LazyLock<HashMap<&'static str, &'static Key>> = LazyLock::new(|| {
        let mut map = HashMap::default();
        for key in KEYS {
            for word in std::iter::once(&key.name)
                .chain(key.negations)
                .chain(key.aliases)
            {
                map.entry(*word).or_insert(key);
            }
        }
        map
    });
    &BY_WORD
}

/// Whether `word` turns its keyword's flag off (`nopmtudisc`, `noencap-udp6-csum`, `down`).
pub fn is_negation(word: &str) -> bool {
    key(word).is_some_and(|k| k.negations.contains(&word))
}

impl TunnelSettings {
    /// Sets the setting of keyword `word` (a name, alias or negation of [`KEYS`]) from
    /// `input`; `kind` is the tunnel's where it is known (what `proto` is checked against).
    /// A flag's keyword is `Input::Flag(true)` whatever the word; its negation turns it off.
    pub fn set(&mut self, word: &str, input: Input, kind: Option<TunnelKind>) -> Result<()> {
        let Some(key) = key(word) else {
            return Err(Error::invalid(format!(
                "\"{word}\" is not a tunnel setting"
            )));
        };
        let input = match input {
            Input::Flag(on) if is_negation(word) => Input::Flag(!on),
            // Only a negation gives a keyword that takes a value no value (a file's
            // `encap = false` is no `noencap`).
            Input::Flag(_) if key.value != ValueKind::Flag => {
                return Err(Error::invalid(format!("{word} needs a value")));
            }
            other => other,
        };
        (key.set)(self, input, kind)
    }

    /// Every setting given, as (keyword, value), in the order of [`KEYS`]: what the command
    /// line prints and a file holds. Shorthands are written as what they stand for.
    pub fn values(&self) -> Vec<(&'static str, Value)> {
        KEYS.iter()
            .filter(|k| !k.shorthand)
            .filter_map(|k| Some((k.name, k.get(self)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_is_unique_and_no_alias_is_another_keyword() {
        let mut seen = crate::maps::HashSet::default();
        for key in KEYS {
            for word in std::iter::once(key.name)
                .chain(key.negations.iter().copied())
                .chain(key.aliases.iter().copied())
            {
                assert!(seen.insert(word), "{word} twice");
            }
            // A flag has its negation; a keyword with a value may have one that clears it.
            assert!(
                key.value != ValueKind::Flag || !key.negations.is_empty(),
                "{}",
                key.name
            );
        }
    }

    #[test]
    fn every_word_finds_its_keyword_and_nothing_else_finds_one() {
        for k in KEYS {
            for word in std::iter::once(k.name)
                .chain(k.negations.iter().copied())
                .chain(k.aliases.iter().copied())
            {
                let found = key(word).unwrap_or_else(|| panic!("{word} finds no keyword"));
                assert!(std::ptr::eq(found, k), "{word} finds {}", found.name);
            }
        }
        for word in ["", "remot", "REMOTE", "remote ", "no", "nosuchkey"] {
            assert!(key(word).is_none(), "{word:?} finds a keyword");
        }
    }

    #[test]
    fn words_and_file_values_set_the_same() {
        let mut from_words = TunnelSettings::default();
        let mut from_file = TunnelSettings::default();
        for (word, file) in [
            ("ttl", Input::Number(64)),
            ("encap-dport", Input::Number(5555)),
            ("ikey", Input::Number(7)),
            ("fwmark", Input::Number(9)),
            ("encaplimit", Input::Number(3)),
        ] {
            let text = match file {
                Input::Number(n) => n.to_string(),
                _ => unreachable!(),
            };
            from_words.set(word, Input::Word(&text), None).unwrap();
            from_file.set(word, file, None).unwrap();
        }
        assert_eq!(from_words, from_file);
        // The TOS word is hexadecimal, as ip reads it; a file's number is a number.
        let mut s = TunnelSettings::default();
        s.set("tos", Input::Word("10"), None).unwrap();
        assert_eq!(s.tos, Some(0x10));
        s.set("tos", Input::Number(10), None).unwrap();
        assert_eq!(s.tos, Some(10));
    }

    #[test]
    fn flags_and_their_negations() {
        let mut s = TunnelSettings::default();
        s.set("nopmtudisc", Input::Flag(true), None).unwrap();
        assert_eq!(s.pmtudisc, Some(false));
        s.set("pmtudisc", Input::Flag(false), None).unwrap();
        assert_eq!(s.pmtudisc, Some(false));
        s.set("noencap-udp6-csum", Input::Flag(true), None).unwrap();
        assert_eq!(s.encap.unwrap().csum6, Some(false));
        s.set("down", Input::Flag(true), None).unwrap();
        assert_eq!(s.up, Some(false));
        assert!(s.set("ttl", Input::Flag(true), None).is_err());
        // encap-sport 0 is auto, as ip reads it; from a file too.
        for zero in [Input::Word("0"), Input::Word("0x0"), Input::Number(0)] {
            let mut z = TunnelSettings::default();
            z.set("encap-sport", zero, None).unwrap();
            assert_eq!(z.encap.unwrap().sport, Some(super::super::SourcePort::Auto));
        }
        let mut z = TunnelSettings::default();
        assert!(z.set("encap-sport", Input::Word("00"), None).is_err());
        assert!(z.set("encap-sport", Input::Number(-1), None).is_err());
        // `noencap` is `encap none`; `encap` itself takes a value, never a flag.
        let mut e = TunnelSettings::default();
        e.set("encap", Input::Word("fou"), None).unwrap();
        e.set("noencap", Input::Flag(true), None).unwrap();
        assert_eq!(e.encap.unwrap().kind, Some(crate::tunnel::EncapType::None));
        assert!(e.set("encap", Input::Flag(false), None).is_err());
        assert!(e.set("encap", Input::Flag(true), None).is_err());
        assert!(s.set("pmtudisc", Input::Word("x"), None).is_err());
    }

    #[test]
    fn values_are_written_as_they_are_read() {
        let mut s = TunnelSettings::default();
        for (word, value) in [
            ("remote", "any"),
            ("ttl", "inherit"),
            ("tos", "0x10"),
            ("tclass", "inherit"),
            ("flowlabel", "74565"),
            ("encaplimit", "none"),
            ("proto", "ip6ip"),
            ("fwmark", "inherit"),
            ("encap", "gue"),
            ("encap-sport", "auto"),
        ] {
            s.set(word, Input::Word(value), None).unwrap();
        }
        for (word, value) in s.values() {
            let mut again = TunnelSettings::default();
            let input = match &value {
                Value::Flag(b) => Input::Flag(*b),
                Value::Number(n) => Input::Number(*n as i64),
                Value::Word(w) => Input::Word(w),
            };
            again.set(word, input, None).unwrap();
            assert_eq!(
                KEYS.iter().find(|k| k.name == word).unwrap().get(&again),
                Some(value.clone()),
                "{word}"
            );
        }
        assert!(s
            .values()
            .iter()
            .any(|(k, v)| *k == "tos" && v.to_string() == "0x10"));
    }
}
