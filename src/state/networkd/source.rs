//! A file's sections as the readers of `.netdev` files ([`super::netdev`], [`super::port`],
//! [`super::tunnel`]) read them: the assignment networkd keeps, systemd's booleans, and the
//! errors and notes that name `FILE:LINE`.

use std::fmt::Display;

use super::ini::{Assignment, Section};
use super::{note_in, Note};
use crate::error::{Error, Result};

/// A file's sections and the notes on them: what the kinds' readers share.
pub(super) struct Source<'a> {
    pub(super) file: &'a str,
    pub(super) sections: &'a [Section],
    pub(super) notes: Vec<Note>,
}

impl<'a> Source<'a> {
    /// The assignments of every section called `name`, in file order (networkd merges
    /// sections of one name).
    pub(super) fn section(&self, name: &str) -> Vec<&'a Assignment> {
        self.sections
            .iter()
            .filter(|s| s.name == name)
            .flat_map(|s| &s.assignments)
            .collect()
    }

    /// The error for assignment `a`: `FILE:LINE: Key=value: why`.
    pub(super) fn bad(&self, a: &Assignment, why: impl Display) -> Error {
        Error::invalid(format!(
            "{}:{}: {}={}: {why}",
            self.file, a.line, a.key, a.value
        ))
    }

    /// Names assignment `a` as not carried over as written.
    pub(super) fn note(&mut self, a: &Assignment, why: impl Display) {
        let text = format!("{}={}: {why}", a.key, a.value);
        self.notes.push(note_in(self.file, a.line, text));
    }

    /// Names each key of `assignments` that is not one of `known`, as networkd warns and
    /// ignores it.
    pub(super) fn unknown_keys(
        &mut self,
        section: &str,
        assignments: &[&Assignment],
        known: &[&str],
    ) {
        for a in assignments {
            if !known.contains(&a.key.as_str()) {
                self.note(a, format!("not a key of [{section}]: networkd ignores it"));
            }
        }
    }
}

/// The last assignment of `key` among `assignments`: the one networkd keeps.
pub(super) fn last<'a>(assignments: &[&'a Assignment], key: &str) -> Option<&'a Assignment> {
    assignments.iter().rev().find(|a| a.key == key).copied()
}

/// A boolean as systemd reads one (`yes`, `true`, `on`, `1`...).
pub(super) fn boolean(source: &Source, a: &Assignment) -> Result<bool> {
    match a.value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(source.bad(a, "not a boolean: networkd ignores it (use yes or no)")),
    }
}

/// A tristate as systemd reads one: a boolean, or empty for "not set" (`None`), which
/// resets an earlier line of the key.
pub(super) fn tristate(source: &Source, a: &Assignment) -> Result<Option<bool>> {
    if a.value.is_empty() {
        return Ok(None);
    }
    boolean(source, a).map(Some)
}
