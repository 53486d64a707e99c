//! ethtool's string sets over netlink (`ETHTOOL_MSG_STRSET_GET`): the names of the bits of
//! a compact bitset, such as the features'.

use super::bitset::{string_value, u32_value};
use super::ethtool::{encoded, push_header, reply_attrs};
use crate::sys::attrs::{attrs, push_attr, push_nest};
use crate::sys::NlError;

const STRSET_GET: u8 = 1;
pub(super) const STRSET_GET_REPLY: u8 = 1;
// ETHTOOL_A_STRSET_*, _STRINGSETS_*, _STRINGSET_*, _STRINGS_*, _STRING_*.
pub(super) const STRSET_STRINGSETS: u16 = 2;
const STRINGSETS_STRINGSET: u16 = 1;
pub(super) const STRINGSET_ID: u16 = 1;
pub(super) const STRINGSET_STRINGS: u16 = 3;
const STRINGS_STRING: u16 = 1;
pub(super) const STRING_INDEX: u16 = 1;
pub(super) const STRING_VALUE: u16 = 2;
/// ETH_SS_FEATURES: the names of the features' bits.
pub(crate) const SS_FEATURES: u32 = 4;

/// `ETHTOOL_MSG_STRSET_GET` of string set `set` for `dev`.
pub(crate) fn strset_request(family: u16, dev: &str, set: u32) -> Vec<u8> {
    let mut attrs = Vec::new();
    push_header(&mut attrs, dev, false);
    push_nest(&mut attrs, STRSET_STRINGSETS, |sets| {
        push_nest(sets, STRINGSETS_STRINGSET, |stringset| {
            push_attr(stringset, STRINGSET_ID, &set.to_ne_bytes())
        })
    });
    encoded(family, STRSET_GET, attrs)
}

/// The strings of string set `set` in a strset reply, by index.
pub(crate) fn strings(replies: &[Vec<u8>], dev: &str, set: u32) -> Result<Vec<String>, NlError> {
    let (_, body) = reply_attrs(replies, STRSET_GET_REPLY, dev)?;
    for attr in nested(body, "strset") {
        let (kind, sets) = attr?;
        if kind != STRSET_STRINGSETS {
            continue;
        }
        for attr in nested(sets, "string sets") {
            let (_, stringset) = attr?;
            let (mut id, mut names) = (None, Vec::new());
            for attr in nested(stringset, "string set") {
                match attr? {
                    (STRINGSET_ID, v) => id = Some(u32_value(v, "string set id")?),
                    (STRINGSET_STRINGS, v) => names.extend(string_list(v)?),
                    _ => {}
                }
            }
            if id == Some(set) {
                return indexed(names);
            }
        }
    }
    Err(NlError::decode(format!(
        "a strset reply without string set {set}"
    )))
}

/// The attributes of a nest, an overrun an error naming `what`.
fn nested<'a>(
    nest: &'a [u8],
    what: &'static str,
) -> impl Iterator<Item = Result<(u16, &'a [u8]), NlError>> + 'a {
    attrs(nest).map(move |a| a.map_err(|e| NlError::decode(format!("{what}: {e}"))))
}

/// The (index, string) pairs of an `ETHTOOL_A_STRINGSET_STRINGS` nest.
fn string_list(nest: &[u8]) -> Result<Vec<(u32, String)>, NlError> {
    let mut out = Vec::new();
    for attr in nested(nest, "strings") {
        let (kind, v) = attr?;
        if kind != STRINGS_STRING {
            continue;
        }
        let (mut index, mut value) = (None, None);
        for attr in nested(v, "string") {
            match attr? {
                (STRING_INDEX, v) => index = Some(u32_value(v, "string index")?),
                (STRING_VALUE, v) => value = Some(string_value(v, "string")?),
                _ => {}
            }
        }
        match (index, value) {
            (Some(index), Some(value)) => out.push((index, value)),
            _ => return Err(NlError::decode("a string without its index or value")),
        }
    }
    Ok(out)
}

/// The strings in index order; every index below their count must be there once.
fn indexed(mut pairs: Vec<(u32, String)>) -> Result<Vec<String>, NlError> {
    pairs.sort_by_key(|(index, _)| *index);
    for (expected, (index, _)) in pairs.iter().enumerate() {
        if *index as usize != expected {
            return Err(NlError::decode(format!(
                "string {expected} missing or repeated"
            )));
        }
    }
    Ok(pairs.into_iter().map(|(_, s)| s).collect())
}

#[cfg(test)]
#[path = "strset_tests.rs"]
mod tests;
