//! ethtool's bitsets (`ETHTOOL_A_BITSET_*`, in feature replies and others): a set of
//! numbered, named bits, sent either compact (words of bits, plus a mask unless the set is a
//! list) or verbose (one nest per bit, with its index and name). A list (`NOMASK`) is
//! complete: a bit it does not hold is off. A set with a mask says only the bits in its mask.

use crate::sys::attrs::{attrs, str_of, u32_of};
use crate::sys::NlError;

pub(super) const NOMASK: u16 = 1;
pub(super) const SIZE: u16 = 2;
pub(super) const BITS: u16 = 3;
pub(super) const VALUE: u16 = 4;
pub(super) const MASK: u16 = 5;
pub(super) const BITS_BIT: u16 = 1;
pub(super) const BIT_INDEX: u16 = 1;
pub(super) const BIT_NAME: u16 = 2;
pub(super) const BIT_VALUE: u16 = 3;

/// One bit the set speaks of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bit {
    pub index: u32,
    /// Its name: given by verbose sets only (a compact set is read with its string set).
    pub name: Option<String>,
    pub on: bool,
}

/// A decoded bitset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitset {
    /// How many bits the kernel's set has (a verbose set may leave it out).
    pub size: Option<u32>,
    /// A list: the bits it does not hold are off.
    pub list: bool,
    /// The bits it speaks of, by index: in a compact list every bit below `size`; in a
    /// verbose list the bits that are on; otherwise the bits of the mask.
    pub bits: Vec<Bit>,
}

impl Bitset {
    /// Reads the attributes of one bitset nest.
    pub fn decode(nest: &[u8]) -> Result<Bitset, NlError> {
        let mut list = false;
        let (mut size, mut value, mut mask, mut verbose) = (None, None, None, None);
        for attr in attrs(nest) {
            let (kind, v) = attr.map_err(|e| NlError::decode(format!("bitset: {e}")))?;
            match kind {
                NOMASK => list = true,
                SIZE => size = Some(u32_value(v, "bitset size")?),
                BITS => verbose = Some(v),
                VALUE => value = Some(v),
                MASK => mask = Some(v),
                _ => {}
            }
        }
        if verbose.is_some() && (value.is_some() || mask.is_some()) {
            return Err(NlError::decode(
                "bitset: verbose bits with a value or a mask",
            ));
        }
        let bits = match (verbose, value) {
            (Some(nest), _) => verbose_bits(nest, size, list)?,
            (None, Some(value)) => compact_bits(value, mask, size, list)?,
            (None, None) => return Err(NlError::decode("bitset: neither bits nor a value")),
        };
        Ok(Bitset { size, list, bits })
    }

    /// The state of the bit named `name`, with the kernel's names of the set's bits
    /// (`names[index]`) for a compact set: `None` when the set does not say, or does not
    /// know the name.
    pub fn state(&self, name: &str, names: Option<&[String]>) -> Option<bool> {
        let index = match names {
            Some(names) => Some(names.iter().position(|n| n == name)? as u32),
            None => None,
        };
        let found = self.bits.iter().find(|bit| match (&bit.name, index) {
            (Some(bit_name), _) => bit_name == name,
            (None, Some(index)) => bit.index == index,
            (None, None) => false,
        });
        match found {
            Some(bit) => Some(bit.on),
            // Not listed: off in a list whose names are known (a verbose list names its bits;
            // a compact list holds every bit, so a name in `names` is found above).
            None if self.list
                && (index.is_some() || self.bits.iter().all(|b| b.name.is_some())) =>
            {
                Some(false)
            }
            None => None,
        }
    }
}

/// The bits of a compact set: `value` (and `mask`) are words of 32 bits, in host order.
fn compact_bits(
    value: &[u8],
    mask: Option<&[u8]>,
    size: Option<u32>,
    list: bool,
) -> Result<Vec<Bit>, NlError> {
    let size = size.ok_or_else(|| NlError::decode("bitset: a compact set without its size"))?;
    let bytes = size.div_ceil(32) as usize * 4;
    if value.len() != bytes {
        return Err(NlError::decode(format!(
            "bitset: a value of {} bytes for {size} bits",
            value.len()
        )));
    }
    match (list, mask) {
        (true, Some(_)) => return Err(NlError::decode("bitset: a list with a mask")),
        (false, None) => {
            return Err(NlError::decode(
                "bitset: a compact set with no mask and no list flag",
            ))
        }
        (false, Some(mask)) if mask.len() != bytes => {
            return Err(NlError::decode(format!(
                "bitset: a mask of {} bytes for {size} bits",
                mask.len()
            )))
        }
        _ => {}
    }
    let bit = |words: &[u8], index: u32| {
        let at = (index / 32) as usize * 4;
        let word = u32::from_ne_bytes([words[at], words[at + 1], words[at + 2], words[at + 3]]);
        word & (1 << (index % 32)) != 0
    };
    Ok((0..size)
        .filter(|&index| mask.is_none_or(|mask| bit(mask, index)))
        .map(|index| Bit {
            index,
            name: None,
            on: bit(value, index),
        })
        .collect())
}

/// The bits of a verbose set: each an `ETHTOOL_A_BITSET_BITS_BIT` nest.
fn verbose_bits(nest: &[u8], size: Option<u32>, list: bool) -> Result<Vec<Bit>, NlError> {
    let mut bits = Vec::new();
    for attr in attrs(nest) {
        let (kind, v) = attr.map_err(|e| NlError::decode(format!("bitset bits: {e}")))?;
        if kind != BITS_BIT {
            return Err(NlError::decode(format!(
                "bitset bits: attribute {kind} is no bit"
            )));
        }
        let (mut index, mut name, mut on) = (None, None, list);
        for attr in attrs(v) {
            let (kind, v) = attr.map_err(|e| NlError::decode(format!("bitset bit: {e}")))?;
            match kind {
                BIT_INDEX => index = Some(u32_value(v, "bit index")?),
                BIT_NAME => name = Some(string_value(v, "bit name")?),
                BIT_VALUE => on = true,
                _ => {}
            }
        }
        let index = index.ok_or_else(|| NlError::decode("bitset bit without its index"))?;
        if size.is_some_and(|size| index >= size) {
            return Err(NlError::decode(format!(
                "bitset bit {index} past the set's size"
            )));
        }
        bits.push(Bit { index, name, on });
    }
    Ok(bits)
}

/// A u32 attribute's value; anything but 4 bytes is a reply that cannot be read.
pub(super) fn u32_value(v: &[u8], what: &str) -> Result<u32, NlError> {
    u32_of(v).ok_or_else(|| NlError::decode(format!("{what}: {} bytes, not 4", v.len())))
}

/// A string attribute's value: NUL-terminated UTF-8.
pub(super) fn string_value(v: &[u8], what: &str) -> Result<String, NlError> {
    str_of(v)
        .map(str::to_string)
        .ok_or_else(|| NlError::decode(format!("{what}: not NUL-terminated UTF-8")))
}

#[cfg(test)]
#[path = "bitset_tests.rs"]
pub(crate) mod tests;
