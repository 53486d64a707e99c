//! A tunnel's settings as words: what the command line prints, a plan says of each change,
//! and two readings of a tunnel differ in. Each setting is written one way, by its keyword
//! in [`KEYS`].

use super::keys::{key, Value, KEYS};
use super::settings::TunnelSettings;
use super::{EncapType, TunnelKind};
use crate::error::Result;
use crate::values::Input;

impl TunnelSettings {
    /// The settings given, as command-line words in the order of [`KEYS`]: a flag as its
    /// keyword or its negation, any other setting as its keyword and value.
    pub fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        let same_keys = self.ikey.is_some() && self.ikey == self.okey;
        let no_keys = self.no_ikey && self.no_okey;
        for (name, value) in self.values() {
            // One key for both directions is said once, as `key`, and both removed as
            // `nokey`.
            match name {
                "ikey" if same_keys => {
                    out.extend(["key".to_string(), value.to_string()]);
                    continue;
                }
                "ikey" if no_keys => {
                    out.push("nokey".to_string());
                    continue;
                }
                "okey" if same_keys || no_keys => continue,
                _ => {}
            }
            let key = key(name).expect("a keyword of the table");
            match value {
                Value::Flag(true) => out.push(name.to_string()),
                Value::Flag(false) => out.push(key.negations[0].to_string()),
                value => out.extend([name.to_string(), value.to_string()]),
            }
        }
        out
    }

    /// These settings less those that are the default of a tunnel of `kind`: what a person
    /// would write to make it. Each value is set again by its keyword, so an error names the
    /// first one the keywords cannot say: a value the kernel holds that no keyword gives
    /// (an encapsulation type rfou does not know, an `encap-dport` of 0).
    pub fn without_defaults(&self, kind: TunnelKind) -> Result<TunnelSettings> {
        let defaults = TunnelSettings::defaults(kind);
        let mut out = TunnelSettings::default();
        for key in KEYS.iter().filter(|k| !k.shorthand) {
            let value = key.get(self);
            if value.is_some() && value != key.get(&defaults) {
                let input = match &value {
                    Some(Value::Flag(b)) => Input::Flag(*b),
                    Some(Value::Number(n)) => Input::Number(*n as i64),
                    Some(Value::Word(w)) => Input::Word(w),
                    None => unreachable!("a value"),
                };
                // Without the kind: an ip6tnl's protocol is set here as any value.
                (key.set)(&mut out, input, None).map_err(|e| {
                    let value = value.as_ref().map(ToString::to_string).unwrap_or_default();
                    e.context(format!(
                        "{} {value} cannot be said by its keyword",
                        key.name
                    ))
                })?;
            }
        }
        // The encapsulation goes whole where it is not the default.
        if out.encap.is_some() {
            out.encap = self.encap;
        }
        Ok(out)
    }
}

/// One setting that differs between two tunnels' settings: its keyword and its two values,
/// as rfou writes them (`none` where one has no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// The setting's keyword (`remote`, `ttl`, `encap`...).
    pub key: &'static str,
    /// Its value in the first.
    pub old: String,
    /// Its value in the second.
    pub new: String,
}

/// The encapsulation of `settings` in words: `none`, or the type and every option
/// (`fou encap-sport auto encap-dport 5555 noencap-csum encap-csum6 noencap-remcsum`), so
/// that two that differ never read the same.
fn encap_text(settings: &TunnelSettings) -> String {
    let Some(kind) = settings.encap.as_ref().and_then(|e| e.kind) else {
        return "none".into();
    };
    if kind == EncapType::None {
        return "none".into();
    }
    let mut words = vec![kind.to_string()];
    for key in KEYS.iter().filter(|k| k.name.starts_with("encap-")) {
        match key.get(settings) {
            Some(Value::Flag(true)) => words.push(key.name.into()),
            Some(Value::Flag(false)) => words.push(key.negations[0].into()),
            Some(value) => words.push(format!("{} {value}", key.name)),
            None => {}
        }
    }
    words.join(" ")
}

/// The settings that differ between `old` and `new`, in the order of [`KEYS`]. An
/// encapsulation of another type is one difference (`encap`), its options said whole.
pub fn differences(old: &TunnelSettings, new: &TunnelSettings) -> Vec<Diff> {
    // Equal settings give every key the same value: nothing to write out and compare.
    if old == new {
        return Vec::new();
    }
    let encap_kind = |s: &TunnelSettings| s.encap.as_ref().and_then(|e| e.kind);
    let encap_replaced = encap_kind(old) != encap_kind(new);
    let text = |v: Option<Value>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let mut out = Vec::new();
    for key in KEYS.iter().filter(|k| !k.shorthand) {
        let is_encap = key.name == "encap" || key.name.starts_with("encap-");
        if is_encap && encap_replaced {
            if key.name == "encap" {
                out.push(Diff {
                    key: "encap",
                    old: encap_text(old),
                    new: encap_text(new),
                });
            }
            continue;
        }
        let (a, b) = (key.get(old), key.get(new));
        if a != b {
            out.push(Diff {
                key: key.name,
                old: text(a),
                new: text(b),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::EncapSpec;

    #[test]
    fn differences_name_each_setting_and_an_encapsulation_whole() {
        let mut a = TunnelSettings::defaults(TunnelKind::Ipip);
        let mut b = a.clone();
        b.ttl = Some(64);
        b.encap = Some(EncapSpec::whole(&crate::tunnel::Encap::fou(5555)));
        let diffs = differences(&a, &b);
        assert_eq!(
            diffs,
            [
                Diff {
                    key: "ttl",
                    old: "inherit".into(),
                    new: "64".into()
                },
                Diff {
                    key: "encap",
                    old: "none".into(),
                    new: "fou encap-sport auto encap-dport 5555 noencap-csum noencap-csum6 noencap-remcsum".into()
                },
            ]
        );
        a.encap = b.encap;
        a.ttl = b.ttl;
        b.encap.as_mut().unwrap().dport = Some(6000);
        assert_eq!(differences(&a, &b)[0].key, "encap-dport");
        assert!(differences(&a, &a).is_empty());
    }
}
