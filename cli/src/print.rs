//! Typed commands back to words: the inverse of [`crate::parse`].
//!
//! `parse(&words(&command), None)` gives `command` again for every command `parse` makes
//! (the property tests and the `words` fuzz target check it). The words are the contract's
//! own spellings (`del`, `ipproto 4`, `encap-sport auto`), the settings written by the
//! library's one writer of them ([`rfou::TunnelSettings::words`]); values are kept whole, so
//! a value with spaces stays one word (quote it when joining words into one line).

use rfou::tunnel::{EncapSpec, TunnelKind, TunnelSettings};
use rfou::Family;

use crate::Command;

/// The words of `command`, as they follow `rfou` on a command line.
pub fn words(command: &Command) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |words: &[&str]| out.extend(words.iter().map(|w| w.to_string()));
    match command {
        Command::PortAdd { port, dev } => {
            push(&["add"]);
            out.extend(port.words_with_dev(true, dev.as_deref()));
        }
        Command::PortDel { port, dev } => {
            push(&["del"]);
            out.extend(port.words_with_dev(false, dev.as_deref()));
        }
        Command::PortShow { port, family } => {
            push(&["show"]);
            if let Some(port) = port {
                out.extend(["port".to_string(), port.to_string()]);
            }
            match family {
                Some(Family::Inet) => out.push("-4".into()),
                Some(Family::Inet6) => out.push("-6".into()),
                None => {}
            }
        }
        Command::TunnelAdd(spec) => {
            push(&["tunnel", "add"]);
            name_words(&mut out, &spec.name);
            out.extend(["mode".to_string(), spec.mode().word().to_string()]);
            let mut settings = spec.settings.clone();
            if spec.kind == TunnelKind::Ip6Tnl {
                // The mode word says it.
                settings.proto = None;
            }
            out.extend(settings.words());
        }
        Command::TunnelChange { name, settings } => {
            push(&["tunnel", "change"]);
            name_words(&mut out, name);
            out.extend(settings.words());
        }
        Command::TunnelEncap { name, encap } => {
            push(&["tunnel", "encap", "dev"]);
            out.push(name.clone());
            out.extend(encap_words(encap));
        }
        Command::TunnelDel { name } => {
            push(&["tunnel", "del"]);
            name_words(&mut out, name);
        }
        Command::TunnelShow { name } => {
            push(&["tunnel", "show"]);
            if let Some(name) = name {
                name_words(&mut out, name);
            }
        }
        Command::Doctor { dev } => {
            push(&["doctor"]);
            if let Some(dev) = dev {
                out.extend(["dev".to_string(), dev.clone()]);
            }
        }
        Command::Apply { file, options } => {
            push(&["apply"]);
            for (given, option) in [
                (options.check, "--check"),
                (options.prune, "--prune"),
                (options.defer_bound, "--defer-bound"),
            ] {
                if given {
                    out.push(option.into());
                }
            }
            out.push(file.clone());
        }
        Command::Export => push(&["export"]),
        Command::ImportNetworkd { files } => {
            push(&["import", "networkd"]);
            out.extend(files.iter().cloned());
        }
        Command::Help(topic) => {
            push(&["help"]);
            out.extend(topic.clone());
        }
    }
    out
}

/// A tunnel's name; `dev` and `name` themselves need the `name` keyword before them, or they
/// would be read as that keyword.
fn name_words(out: &mut Vec<String>, name: &str) {
    if name == "dev" || name == "name" {
        out.push("name".into());
    }
    out.push(name.into());
}

/// `fou|gue|none` and the encap options named, as `tunnel encap` takes them (without the
/// `encap` keyword before the type).
fn encap_words(encap: &EncapSpec) -> Vec<String> {
    let settings = TunnelSettings {
        encap: Some(*encap),
        ..TunnelSettings::default()
    };
    let mut words = settings.words();
    if words.first().map(String::as_str) == Some("encap") {
        words.remove(0);
    }
    words
}

#[cfg(test)]
mod tests {
    use crate::parse;

    fn round_trip(line: &str) -> Vec<String> {
        let words: Vec<&str> = line.split(' ').collect();
        let command = parse(&words, None).unwrap();
        let printed = super::words(&command);
        assert_eq!(parse(&printed, None).unwrap(), command, "{printed:?}");
        printed
    }

    #[test]
    fn printed_words_are_the_contract_spelling() {
        assert_eq!(
            round_trip("a po 5555 ipp ipip loc 10.0.0.1 dev eth0").join(" "),
            "add port 5555 ipproto 4 local 10.0.0.1 dev eth0"
        );
        assert_eq!(
            round_trip(
                "tun a t1 mode gre ttl 0 tos 10 key 1.0.0.0 encap gue encap-sport auto encap-dport 9"
            )
            .join(" "),
            "tunnel add t1 mode gre ttl inherit tos 0x10 key 16777216 encap gue encap-sport auto encap-dport 9"
        );
        assert_eq!(
            round_trip("tunnel add t2 mode any hoplimit 9").join(" "),
            "tunnel add t2 mode any ttl 9"
        );
        assert_eq!(
            round_trip("tunnel change t1 ikey 1 okey 2 noencap-csum encap-dport 7").join(" "),
            "tunnel change t1 ikey 1 okey 2 encap-dport 7 noencap-csum"
        );
    }

    #[test]
    fn names_that_are_keywords_and_the_family_survive() {
        round_trip("tunnel del name dev");
        round_trip("tunnel show dev name");
        round_trip("tunnel encap dev dev fou encap-dport 1");
        round_trip("del port 1 -6");
        round_trip("show -4");
        round_trip("help tunnel");
        round_trip("doctor");
        round_trip("apply --prune --check state.toml");
        round_trip("apply -");
        round_trip("apply --check --defer-bound b.toml");
        round_trip("export");
        round_trip("import networkd a.netdev b.network");
    }

    #[test]
    fn an_apply_option_given_twice_is_refused() {
        for option in ["--check", "--prune", "--defer-bound"] {
            let words = ["apply", option, "f.toml", option];
            let err = crate::parse(&words, None).expect_err("refused");
            assert_eq!(
                err.to_string(),
                format!("{option} is given twice: say it once")
            );
        }
    }

    #[test]
    fn defer_bound_is_refused_with_prune() {
        let words = ["apply", "--defer-bound", "--prune", "f.toml"];
        let err = crate::parse(&words, None).expect_err("refused");
        assert_eq!(err.kind(), rfou::ErrorKind::InvalidInput);
        assert!(
            err.to_string()
                .starts_with("--defer-bound and --prune cannot be given together"),
            "{err}"
        );
    }
}
