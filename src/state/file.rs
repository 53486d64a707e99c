//! The desired-state file: TOML whose `[[port]]` and `[[tunnel]]` entries use the command
//! line's own keywords as keys, read through the same setters as the command line's words
//! ([`PortSpec`], [`TunnelSettings::set`]); every error names `FILE:LINE`.

use crate::maps::HashMap;
use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{DesiredPort, DesiredState, DesiredTunnel};
use crate::error::{Error, Result};
use crate::fou::{PortSpec, SocketId, PORT_KEYS};
use crate::tunnel::rules::{check_mtu, check_settings, check_tunnel, is_fallback_name};
use crate::tunnel::{key, Encap, TunnelMode, TunnelSettings, TunnelSpec, KEYS};
use crate::values;
use crate::values::Input;

/// A `[[port]]` or `[[tunnel]]`: its keys and values, each with where it is in the file.
/// The file is read into toml's own tree and walked from there; handing it on through serde
/// into a map of toml values would build every value a second time.
type Entry<'e, 'i> = Spanned<&'e DeTable<'i>>;
type Field<'e, 'i> = (&'e Spanned<Cow<'i, str>>, &'e Spanned<DeValue<'i>>);

/// Where an error is: the file's name and the text, to turn byte offsets into lines.
struct Source<'a> {
    name: &'a str,
    /// The offset of every newline, in order: a line is found by a binary search.
    newlines: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(name: &'a str, text: &str) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Source { name, newlines }
    }

    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&i| i < offset) + 1
    }

    fn error(&self, span: &Range<usize>, message: impl std::fmt::Display) -> Error {
        Error::invalid(format!(
            "{}:{}: {message}",
            self.name,
            self.line(span.start)
        ))
    }
}

/// Reads a desired-state file. `name` is how errors name it.
pub fn parse(name: &str, text: &str) -> Result<DesiredState> {
    let source = Source::new(name, text);
    let document = DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|s| source.line(s.start)).unwrap_or(1);
        // toml's message can span several lines (it quotes the input); the first says it.
        let message = e.message().trim().replace('\n', " ");
        Error::invalid(format!("{name}:{line}: {message}"))
    })?;
    let (mut ports, mut tunnels) = (Vec::new(), Vec::new());
    for (key, value) in document.get_ref() {
        match key.get_ref().as_ref() {
            "port" => ports = entries(&source, "port", value)?,
            "tunnel" => tunnels = entries(&source, "tunnel", value)?,
            other => {
                return Err(source.error(
                    &key.span(),
                    format!(
                        "unknown table \"{}\": the file holds [[port]] and [[tunnel]] entries",
                        other.escape_debug()
                    ),
                ))
            }
        }
    }
    let mut state = DesiredState::default();
    let mut ports_seen: HashMap<(SocketId, Option<String>), usize> = HashMap::default();
    for entry in ports {
        let port = port_entry(&source, &entry)?;
        if let Some(first) = ports_seen.insert((port.port.socket(), port.dev.clone()), port.line) {
            return Err(source.error(
                &entry.span(),
                format!(
                    "{} is given twice (first at line {first}): one entry per port",
                    port.port.describe_with_dev(port.dev.as_deref())
                ),
            ));
        }
        state.ports.push(port);
    }
    let mut names_seen: HashMap<String, usize> = HashMap::default();
    for entry in tunnels {
        let tunnel = tunnel_entry(&source, &entry)?;
        let name = tunnel.spec.name.clone();
        if let Some(first) = names_seen.insert(name.clone(), tunnel.line) {
            return Err(source.error(
                &entry.span(),
                format!(
                    "tunnel \"{name}\" is given twice (first at line {first}): one entry per name"
                ),
            ));
        }
        state.tunnels.push(tunnel);
    }
    Ok(state)
}

/// The `[[port]]` or `[[tunnel]]` entries under `what`: an array of tables.
fn entries<'e, 'i>(
    source: &Source,
    what: &str,
    value: &'e Spanned<DeValue<'i>>,
) -> Result<Vec<Entry<'e, 'i>>> {
    let not_entries = |span: &Range<usize>| {
        source.error(
            span,
            format!("`{what}` must be [[{what}]] entries (tables), not a single value"),
        )
    };
    let DeValue::Array(items) = value.get_ref() else {
        return Err(not_entries(&value.span()));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::Table(table) => Ok(Spanned::new(item.span(), table)),
            _ => Err(not_entries(&item.span())),
        })
        .collect()
}

/// The keys of an entry in the order of the file.
fn in_file_order<'e, 'i>(entry: &Entry<'e, 'i>) -> Vec<Field<'e, 'i>> {
    let mut keys: Vec<_> = entry.get_ref().iter().collect();
    keys.sort_by_key(|(k, _)| k.span().start);
    keys
}

/// A value as the setters take it: strings are words, integers numbers, booleans flags.
fn input<'a>(source: &Source, key: &str, value: &'a Spanned<DeValue>) -> Result<Input<'a>> {
    match value.get_ref() {
        DeValue::String(s) => Ok(Input::Word(s)),
        DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
            Ok(n) => Ok(Input::Number(n)),
            Err(_) => Err(source.error(
                &value.span(),
                format!("{key} = {n}: the number is out of range"),
            )),
        },
        DeValue::Boolean(b) => Ok(Input::Flag(*b)),
        other => Err(source.error(
            &value.span(),
            format!(
                "{key} is a {}: rfou takes a string, a whole number or true/false",
                other.type_str()
            ),
        )),
    }
}

/// The error for a key no entry of this sort takes.
fn unknown_key(source: &Source, key: &Spanned<Cow<str>>, what: &str, known: &[&str]) -> Error {
    let near = near_key(key.get_ref(), known)
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    source.error(
        &key.span(),
        format!(
            "unknown key \"{}\" in a [[{what}]]: {near}the keys are {}",
            key.get_ref().escape_debug(),
            known.join(", ")
        ),
    )
}

/// The known key a misspelt `key` most likely meant: one letter added, dropped or changed.
fn near_key<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let close = |k: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (key.chars().collect(), k.chars().collect());
        if a.len().abs_diff(b.len()) > 1 {
            return false;
        }
        let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        prefix + suffix + 1 >= a.len().max(b.len())
    };
    let found: Vec<&str> = known.iter().copied().filter(|k| close(k)).collect();
    match found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

fn port_entry(source: &Source, entry: &Entry) -> Result<DesiredPort> {
    let line = source.line(entry.span().start);
    let known: Vec<&str> = PORT_KEYS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !k.starts_with('-'))
        .collect();
    let mut spec = PortSpec::default();
    for (key, value) in in_file_order(entry) {
        if !known.contains(&key.get_ref().as_ref()) {
            return Err(unknown_key(source, key, "port", &known));
        }
        let given = input(source, key.get_ref(), value)?;
        spec.set(key.get_ref(), given)
            .map_err(|e| source.error(&value.span(), e))?;
    }
    if spec.number().is_none() {
        return Err(source.error(&entry.span(), "a [[port]] needs `port = PORT` (1..65535)"));
    }
    let (port, dev) = spec.to_add().map_err(|e| source.error(&entry.span(), e))?;
    if port.local.is_some_and(|a| a.is_unspecified()) {
        return Err(source.error(
            &entry.span(),
            format!(
                "port {}: local {} is the wildcard address, which the kernel takes as no local address: leave local out",
                port.port,
                port.local.expect("a local address")
            ),
        ));
    }
    Ok(DesiredPort { port, dev, line })
}

/// The keys a `[[tunnel]]` takes: `name`, `mode`, and every setting's keyword and alias.
fn tunnel_keys() -> Vec<&'static str> {
    let mut keys = vec!["name", "mode"];
    for k in KEYS {
        keys.push(k.name);
        keys.extend(k.aliases);
    }
    keys
}

fn tunnel_entry(source: &Source, entry: &Entry) -> Result<DesiredTunnel> {
    let line = source.line(entry.span().start);
    let here = |message: String| source.error(&entry.span(), message);
    let fields = in_file_order(entry);
    let find = |name: &str| fields.iter().find(|(k, _)| k.get_ref() == name);
    let name = match find("name") {
        Some((_, v)) => match v.get_ref() {
            DeValue::String(s) => {
                values::device_name(s, "name").map_err(|e| source.error(&v.span(), e))?;
                s.to_string()
            }
            _ => return Err(source.error(&v.span(), "name must be a string")),
        },
        None => return Err(here("a [[tunnel]] needs `name = \"NAME\"`".into())),
    };
    if is_fallback_name(&name) {
        return Err(here(format!(
            "\"{name}\" is a fallback device the kernel makes itself: it cannot be managed, give your tunnel another name"
        )));
    }
    let mode = match find("mode") {
        Some((_, v)) => {
            let word = match v.get_ref() {
                DeValue::String(s) => s.as_ref(),
                _ => return Err(source.error(&v.span(), "mode must be a string")),
            };
            TunnelMode::parse(word).map_err(|e| source.error(&v.span(), e))?
        }
        None => {
            return Err(here(format!(
                "tunnel \"{name}\" needs `mode = \"MODE\"`: one of {}",
                TunnelMode::WORDS.join(", ")
            )))
        }
    };
    let kind = mode.kind;
    let mut settings = TunnelSettings {
        proto: mode.proto,
        ..TunnelSettings::default()
    };
    let mut set_by: HashMap<&str, &str> = HashMap::default();
    for (k, value) in &fields {
        let word: &str = k.get_ref();
        if word == "name" || word == "mode" {
            continue;
        }
        let Some(setting) = key(word).filter(|s| !s.negations.contains(&word)) else {
            return Err(unknown_key(source, k, "tunnel", &tunnel_keys()));
        };
        for field in setting.sets {
            if let Some(first) = set_by.insert(field, word) {
                return Err(
                    source.error(&k.span(), values::set_twice(first, word, field).to_string())
                );
            }
        }
        let given = input(source, word, value)?;
        settings
            .set(word, given, Some(kind))
            .map_err(|e| source.error(&value.span(), e))?;
    }
    check_settings(&settings, kind).map_err(|e| here(e.to_string()))?;
    if let Some(encap) = &settings.encap {
        if encap.kind.is_none() {
            let first = fields
                .iter()
                .find(|(k, _)| k.get_ref().starts_with("encap-"))
                .map(|(k, _)| k.span())
                .unwrap_or(entry.span());
            return Err(source.error(
                &first,
                "encap options need `encap = \"fou\"` or `encap = \"gue\"` in the same [[tunnel]]",
            ));
        }
        let span = find("encap").map(|(k, _)| k.span()).unwrap_or(entry.span());
        encap
            .resolve(kind, &Encap::none())
            .map_err(|e| source.error(&span, e))?;
    }
    let spec = TunnelSpec {
        name,
        kind,
        settings,
    };
    // What the whole tunnel would be: a remote the kind cannot take, an MTU out of its range.
    let attrs = spec.attrs(None).map_err(|e| here(e.to_string()))?;
    let at = |key: &str| find(key).map_or(entry.span(), |(_, v)| v.span());
    check_tunnel(kind, &attrs, None).map_err(|e| source.error(&at("remote"), e))?;
    if let Some(mtu) = spec.settings.mtu {
        check_mtu(kind, &attrs, mtu).map_err(|e| source.error(&at("mtu"), e))?;
    }
    Ok(DesiredTunnel { spec, line })
}
