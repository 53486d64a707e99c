//! Shell completion: one completer, in Rust, that follows the parser's keyword tables, and
//! three short shell stubs that call it (`rfou __complete WORDS...`).
//!
//! The stubs pass the words after `rfou` up to the cursor, the last one being the word under
//! the cursor (empty after a blank). [`complete`] walks the words as the parser would:
//! global options, a command word of [`TOP`] or [`STATE_COMMANDS`], for `tunnel` a verb and
//! a device name, then keywords, each keyword that takes a value followed by it. At the cursor
//! it offers only what the grammar accepts there: a keyword not given yet that nothing given
//! contradicts, or the value of the keyword before (protocol names, modes, devices of the
//! right kind in the namespace `-n` names, namespace names, files). A line it cannot read
//! gets no candidates, never an error: what the completer prints goes into the shell.
//!
//! Devices and namespaces are read, never changed: the links of the namespace over
//! rtnetlink (no module is loaded) and the names in /run/netns.
//!
//! The stubs in `completions/` are what `crate::stubs` writes; `cli/tests/generated.rs`
//! compares them and `scripts/regen` rewrites them.

use std::io::Write;

use crate::walk::Walk;
pub use crate::walk::{command_words, Candidates, Device, Inventory};

/// The running system: /run/netns, and the links of a namespace over rtnetlink.
pub struct System;

impl Inventory for System {
    fn namespaces(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir("/run/netns") else {
            return Vec::new();
        };
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }

    fn devices(&self, netns: Option<&str>) -> Vec<Device> {
        let handle = match netns {
            Some(name) => rfou::Handle::in_netns(name),
            None => rfou::Handle::new(),
        };
        let Ok(mut handle) = handle else {
            return Vec::new();
        };
        let Ok(devices) = handle.devices() else {
            return Vec::new();
        };
        devices
            .iter()
            .map(|d| Device {
                name: d.name.clone(),
                tunnel: d
                    .kind
                    .as_deref()
                    .and_then(rfou::TunnelKind::from_name)
                    .is_some(),
            })
            .collect()
    }
}

/// The line that tells a stub to offer file names too. No candidate is this line: device
/// names cannot hold a ':', and a namespace name starting with one is left out.
pub const FILES: &str = ":files";

/// `rfou __complete WORDS...`: the candidates, one a line, for the stubs. Prints nothing
/// else, whatever the words.
pub fn run(words: &[String], out: &mut impl Write) {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let found = complete(&words, &System);
    let mut text = String::new();
    for word in found.words.iter().filter(|w| !w.starts_with(':')) {
        text.push_str(word);
        text.push('\n');
    }
    if found.files {
        text.push_str(FILES);
        text.push('\n');
    }
    let _ = out.write_all(text.as_bytes());
}

/// The candidates for the last of `words` (the words after `rfou`; the last one is the word
/// under the cursor, empty after a blank), the ones that start with it.
pub fn complete(words: &[&str], inventory: &dyn Inventory) -> Candidates {
    let (cur, before) = match words.split_last() {
        Some((cur, before)) => (*cur, before),
        None => ("", &[][..]),
    };
    let mut found = Walk {
        inventory,
        netns: None,
    }
    .run(before, cur)
    .unwrap_or_default();
    found.words.retain(|w| w.starts_with(cur));
    let mut seen = Vec::new();
    found.words.retain(|w| {
        let new = !seen.contains(w);
        seen.push(w.clone());
        new
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{self, value_of, Value, APPLY_OPTIONS, ENCAP_TYPES, PORT_SHOW, TUNNEL};
    use crate::help;
    use crate::parse;
    use rfou::tunnel::TunnelMode;
    use rfou::values::PROTOCOLS;

    /// Namespaces `blue` and `red`; in each (and in this one) `lo`, a veth and tunnels.
    struct Fake;

    impl Inventory for Fake {
        fn namespaces(&self) -> Vec<String> {
            vec!["blue".into(), "red".into()]
        }
        fn devices(&self, netns: Option<&str>) -> Vec<Device> {
            let ns = netns.unwrap_or("here");
            let dev = |name: String, tunnel| Device { name, tunnel };
            vec![
                dev("lo".into(), false),
                dev(format!("veth-{ns}"), false),
                dev(format!("tun-{ns}"), true),
                dev("tunl0".into(), true),
            ]
        }
    }

    fn complete_line(line: &str) -> Candidates {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if line.is_empty() || line.ends_with(' ') {
            words.push("");
        }
        complete(&words, &Fake)
    }

    fn offered(line: &str) -> Vec<String> {
        let mut found = complete_line(line).words;
        found.sort();
        found
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|w| w.to_string()).collect();
        v.sort();
        v
    }

    fn has(line: &str, word: &str) -> bool {
        offered(line).iter().any(|w| w == word)
    }

    #[test]
    fn commands_options_and_namespaces() {
        assert_eq!(offered(""), sorted(&command_words()));
        assert_eq!(offered("tu"), ["tunnel"]);
        assert_eq!(offered("-n "), ["blue", "red"]);
        assert_eq!(offered("--netns r"), ["red"]);
        assert_eq!(offered("--netns=r"), ["--netns=red"]);
        assert_eq!(offered("-n blue tu"), ["tunnel"]);
        assert_eq!(offered("-j -n blue -p "), sorted(&command_words()));
        assert!(has("-", "--batch") && has("-", "-6"));
        // Given options and the ones they exclude are not offered again.
        assert!(!has("-j -", "-j") && !has("-j -", "--json"));
        assert!(!has("-6 -", "-4") && !has("-6 -", "-6"));
        assert!(!has("-b f --force -", "--atomic"));
        assert!(complete_line("-b ").files);
        // A batch takes no command.
        assert!(offered("-b f ").is_empty());
        // A word no grammar knows: nothing.
        assert!(offered("frob ").is_empty());
        assert!(offered("--frob ").is_empty());
    }

    #[test]
    fn port_keywords_are_offered_once_and_not_against_each_other() {
        assert!(has("add ", "port"));
        // A keyword once given is not offered again.
        assert!(!has("add port 5555 ", "port"));
        assert!(has("add port 5555 ", "ipproto") && has("add port 5555 ", "gue"));
        assert!(!has("add port 5555 gue ", "ipproto"));
        assert!(!has("add port 5555 ipproto 4 ", "gue"));
        assert!(!has("add port 5555 gue -6 ", "-4"));
        assert!(!has("-6 add port 5555 gue ", "-6"));
        assert_eq!(offered("add port 5555 ipp"), ["ipproto"]);
        assert_eq!(
            offered("add port 5555 ipproto "),
            sorted(&PROTOCOLS.iter().map(|(n, _)| *n).collect::<Vec<_>>())
        );
        assert!(offered("add port ").is_empty());
        assert_eq!(offered("show "), sorted(PORT_SHOW));
        assert_eq!(
            offered("del port 1 "),
            sorted(&[
                "ipproto",
                "gue",
                "local",
                "peer",
                "peer_port",
                "dev",
                "-6",
                "-4"
            ])
        );
        assert!(!has("del port 1 gue ", "ipproto"));
        // Abbreviations lead to their values.
        assert_eq!(offered("a po 1 ipp "), offered("add port 1 ipproto "));
    }

    #[test]
    fn devices_of_the_right_kind_in_the_right_namespace() {
        // Any device after `dev` of a port; tunnels only where a tunnel is named.
        assert_eq!(
            offered("add port 1 gue local 192.0.2.1 dev "),
            ["lo", "tun-here", "tunl0", "veth-here"]
        );
        assert_eq!(
            offered("-n blue add port 1 gue local 192.0.2.1 dev "),
            ["lo", "tun-blue", "tunl0", "veth-blue"]
        );
        assert_eq!(offered("tunnel encap dev "), ["tun-here", "tunl0"]);
        assert_eq!(
            offered("--netns=red tunnel encap "),
            ["dev", "tun-red", "tunl0"]
        );
        assert_eq!(offered("-nblue tunnel change "), ["tun-blue", "tunl0"]);
        assert_eq!(offered("tunnel del t"), ["tun-here", "tunl0"]);
        assert_eq!(offered("tunnel show "), ["tun-here", "tunl0"]);
        // A new tunnel's name: nothing to offer; its underlay: any device.
        assert!(offered("tunnel add ").is_empty());
        assert_eq!(
            offered("tunnel add t1 mode ipip dev "),
            ["lo", "tun-here", "tunl0", "veth-here"]
        );
        assert!(offered("tunnel del tun-here ").is_empty());
    }

    #[test]
    fn tunnel_keywords_follow_the_grammar() {
        assert_eq!(offered("tunnel "), sorted(TUNNEL));
        assert_eq!(offered("tunnel add t1 mode "), sorted(TunnelMode::WORDS));
        assert_eq!(offered("tun ad t1 mo "), sorted(TunnelMode::WORDS));
        assert_eq!(offered("tun add t1 encap "), sorted(ENCAP_TYPES));
        // Not offered where the parser refuses them: encap-dport before encap, mode in a
        // change.
        assert!(!has("tunnel add t1 mode ipip ", "encap-dport"));
        assert!(has("tunnel add t1 mode ipip encap fou ", "encap-dport"));
        assert!(!has("tunnel change t1 ", "mode"));
        assert!(has("tunnel change t1 ", "encap-dport"));
        assert!(!has("tunnel change t1 ttl 3 ", "hoplimit"));
        assert!(offered("tunnel change t1 mode ").is_empty());
        assert!(!has("tunnel add t1 mode ipip ", "key"));
        assert!(has("tunnel add t1 mode gre ", "key"));
        assert!(!has("tunnel add t1 mode gre key 1 ", "ikey"));
        assert!(has("tunnel add t1 mode gre ", "nokey") && has("tunnel change t1 ", "noikey"));
        assert!(!has("tunnel add t1 mode ipip ", "nokey"));
        assert!(!has("tunnel add t1 mode gre key 1 ", "nookey"));
        assert!(!has("tunnel add t1 mode ip6gre ", "tos"));
        assert!(!has("tunnel add t1 mode ipip encap none ", "encap-dport"));
        assert!(!has("tunnel add t1 mode ipip encap none ", "noencap-csum"));
        assert!(!has(
            "tunnel add t1 mode ipip encap fou encap-csum ",
            "noencap-csum"
        ));
        assert_eq!(offered("tunnel add t1 mode ipip ttl "), ["inherit"]);
        // A mode or an encapsulation the parser refuses: nothing after it.
        assert!(offered("tunnel add t1 mode frob ").is_empty());
        assert!(offered("tunnel add t1 mode ipip encap frob ").is_empty());
        // tunnel encap: the type first, then its options.
        assert_eq!(offered("tunnel encap dev t1 "), sorted(ENCAP_TYPES));
        assert_eq!(offered("tunnel encap dev t1 fou encap-d"), ["encap-dport"]);
        assert!(!has(
            "tunnel encap dev t1 fou encap-dport 1 ",
            "encap-dport"
        ));
        assert!(!has("tunnel encap dev t1 fou ", "fou"));
        assert_eq!(offered("tunnel encap dev t1 fou encap-sport "), ["auto"]);
        // The type as ip writes it: `encap TYPE`, `noencap` (which takes no options).
        assert_eq!(offered("tunnel encap dev t1 encap "), sorted(ENCAP_TYPES));
        assert!(has("tunnel encap dev t1 encap fou ", "encap-dport"));
        assert!(!has("tunnel encap dev t1 encap fou ", "encap"));
        assert!(offered("tunnel encap dev t1 noencap ").is_empty());
        assert!(!has("tunnel change t1 noencap ", "encap-dport"));
        assert!(has("tunnel change t1 ", "noencap"));
    }

    #[test]
    fn apply_export_doctor_and_help() {
        let found = complete_line("apply ");
        assert!(found.files);
        assert_eq!(sorted_words(found), sorted(APPLY_OPTIONS));
        assert_eq!(offered("apply --check "), ["--defer-bound", "--prune"]);
        assert_eq!(offered("apply --prune "), ["--check"]);
        assert_eq!(offered("apply --defer-bound "), ["--check"]);
        assert!(!complete_line("apply --c").files);
        let found = complete_line("apply --check state.toml ");
        assert!(!found.files);
        assert_eq!(sorted_words(found), ["--defer-bound", "--prune"]);
        assert!(offered("export ").is_empty());
        assert_eq!(offered("import "), ["networkd"]);
        assert!(!complete_line("import ").files);
        let found = complete_line("import networkd ");
        assert!(found.files && found.words.is_empty());
        assert!(complete_line("import networkd a.netdev ").files);
        assert!(!complete_line("import nm ").files);
        assert_eq!(offered("doctor "), ["dev"]);
        assert!(offered("doctor dev eth0 ").is_empty());
        assert_eq!(offered("help "), sorted(help::TOPICS));
        assert_eq!(offered("help tu"), ["tunnel"]);
    }

    fn sorted_words(found: Candidates) -> Vec<String> {
        let mut w = found.words;
        w.sort();
        w
    }

    /// Every keyword the completer offers, the parser takes at that place: appended with a
    /// value, the line is refused at most for what is still missing at its end.
    #[test]
    fn offered_keywords_parse() {
        let value = |kw: &str| match value_of(kw) {
            None => None,
            Some(Value::Device) => Some("eth0"),
            Some(Value::Mode) => Some("gre"),
            Some(Value::Protocol) => Some("4"),
            Some(Value::Words(w)) if w == ENCAP_TYPES => Some("gue"),
            Some(Value::Words(w)) => w.first().copied(),
            Some(_) if ["local", "peer", "remote"].contains(&kw) => Some("192.0.2.1"),
            Some(_) if kw == "mtu" => Some("1400"),
            Some(_) => Some("7"),
        };
        for line in [
            "add port 1 ",
            "add port 1 gue ",
            "del port 1 ",
            "show ",
            "tunnel add t1 ",
            "tunnel add t1 mode gre ",
            "tunnel add t1 mode ipip encap fou encap-dport 1 ",
            "tunnel add t1 mode ipip encap none ",
            "tunnel change t1 ",
            "tunnel change t1 encap gue ",
            "tunnel encap dev t1 ",
            "tunnel encap dev t1 gue encap-dport 1 ",
            "tunnel encap dev t1 none ",
        ] {
            for word in offered(line) {
                let mut words: Vec<&str> = line.split_whitespace().collect();
                words.push(&word);
                words.extend(value(&word));
                let Err(e) = parse(&words, None) else {
                    continue;
                };
                let text = e.to_string();
                assert!(
                    [
                        "needs",
                        "missing",
                        "give ipproto",
                        "both peer",
                        "dev needs local"
                    ]
                    .iter()
                    .any(|fine| text.contains(fine)),
                    "{words:?}: {text}"
                );
            }
        }
    }

    fn needs_value(prefix: &[&str], keyword: &str) -> bool {
        let words: Vec<String> = prefix
            .iter()
            .chain(std::iter::once(&keyword))
            .map(|w| w.to_string())
            .collect();
        match parse(&words, None) {
            Err(e) => e.to_string() == format!("{keyword} needs a value"),
            Ok(_) => false,
        }
    }

    /// [`VALUES`] says of each keyword what the parser does: a keyword takes a value
    /// exactly when the parser asks for one after it.
    #[test]
    fn values_match_the_parser() {
        let contexts: &[(&[&str], Vec<&str>)] = &[
            (&["add"], grammar::port_add().to_vec()),
            (&["delete"], grammar::port_del().to_vec()),
            (&["show"], PORT_SHOW.to_vec()),
            (
                &["tunnel", "add", "t1"],
                grammar::tunnel_options(true).to_vec(),
            ),
            (
                &["tunnel", "change", "t1"],
                grammar::tunnel_options(false).to_vec(),
            ),
            (
                &["tunnel", "encap", "t1", "fou"],
                grammar::encap_options().to_vec(),
            ),
        ];
        for (prefix, table) in contexts {
            for keyword in table {
                assert_eq!(
                    needs_value(prefix, keyword),
                    value_of(keyword).is_some(),
                    "{prefix:?} {keyword}: VALUES disagrees with the parser"
                );
            }
        }
    }

    #[test]
    fn every_command_word_has_completion() {
        for word in command_words() {
            complete(&[word, ""], &Fake);
        }
        for verb in TUNNEL {
            complete(&["tunnel", verb, ""], &Fake);
            complete(&["tunnel", verb, "t1", ""], &Fake);
        }
    }
}
