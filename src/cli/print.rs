//! Typed commands back to words: the inverse of `super::parse`.
//!
//! `parse(&words(&command), None)` gives `command` again for every command `parse` makes
//! (the property tests and the `words` fuzz target check it). The words are the contract's
//! own spellings (`del`, `ipproto 4`, `encap-sport auto`); values are kept whole, so a value
//! with spaces stays one word (quote it when joining words into one line).

use super::Command;
use crate::fou::{Family, FouPort};
use crate::tunnel::{EncapSpec, EncapType, SourcePort, TunnelKind, TunnelMode, TunnelUpdate};

/// The words of `command`, as they follow `rfou` on a command line.
pub fn words(command: &Command) -> Vec<String> {
    let mut out = Words::default();
    match command {
        Command::PortAdd { port, dev } => {
            out.push("add");
            port_words(&mut out, port, dev.as_deref(), true);
        }
        Command::PortDel { port, dev } => {
            out.push("del");
            port_words(&mut out, port, dev.as_deref(), false);
        }
        Command::PortShow { port, family } => {
            out.push("show");
            if let Some(port) = port {
                out.pair("port", port);
            }
            match family {
                Some(Family::Inet) => out.push("-4"),
                Some(Family::Inet6) => out.push("-6"),
                None => {}
            }
        }
        Command::TunnelAdd(spec) => {
            out.push("tunnel");
            out.push("add");
            name_words(&mut out, &spec.name);
            out.pair("mode", mode_word(spec.mode));
            update_words(&mut out, &spec.settings);
        }
        Command::TunnelChange { name, update } => {
            out.push("tunnel");
            out.push("change");
            name_words(&mut out, name);
            update_words(&mut out, update);
        }
        Command::TunnelEncap { name, encap } => {
            out.push("tunnel");
            out.push("encap");
            out.pair("dev", name);
            encap_words(&mut out, encap);
        }
        Command::TunnelDel { name } => {
            out.push("tunnel");
            out.push("del");
            name_words(&mut out, name);
        }
        Command::TunnelShow { name } => {
            out.push("tunnel");
            out.push("show");
            if let Some(name) = name {
                name_words(&mut out, name);
            }
        }
        Command::Doctor => out.push("doctor"),
        Command::Apply { file, options } => {
            out.push("apply");
            if options.check {
                out.push("--check");
            }
            if options.prune {
                out.push("--prune");
            }
            if options.defer_bound {
                out.push("--defer-bound");
            }
            out.push(file);
        }
        Command::Export => out.push("export"),
        Command::Help(topic) => {
            out.push("help");
            if let Some(topic) = topic {
                out.push(topic);
            }
        }
    }
    out.0
}

#[derive(Default)]
struct Words(Vec<String>);

impl Words {
    fn push(&mut self, word: impl ToString) {
        self.0.push(word.to_string());
    }

    fn pair(&mut self, keyword: &str, value: impl ToString) {
        self.push(keyword);
        self.push(value);
    }
}

/// The words after `add` or `del`. The family is said only where no address says it.
fn port_words(out: &mut Words, port: &FouPort, dev: Option<&str>, adding: bool) {
    out.0.extend(port.words(adding, dev));
}

/// A tunnel's name; `dev` and `name` themselves need the `name` keyword before them, or they
/// would be read as that keyword.
fn name_words(out: &mut Words, name: &str) {
    if name == "dev" || name == "name" {
        out.push("name");
    }
    out.push(name);
}

/// The `mode` word of a mode; an ip6tnl with another inner protocol than 4 or 41 is `any`,
/// as [`crate::Tunnel::mode`] names it.
fn mode_word(mode: TunnelMode) -> &'static str {
    match (mode.kind, mode.ip6_proto) {
        (TunnelKind::Ip6Tnl, None) => "ip6tnl",
        (TunnelKind::Ip6Tnl, Some(4)) => "ipip6",
        (TunnelKind::Ip6Tnl, Some(41)) => "ip6ip6",
        (TunnelKind::Ip6Tnl, Some(_)) => "any",
        (kind, _) => kind.name(),
    }
}

fn update_words(out: &mut Words, update: &TunnelUpdate) {
    if let Some(remote) = update.remote {
        out.pair("remote", remote);
    }
    if let Some(local) = update.local {
        out.pair("local", local);
    }
    match update.ttl {
        Some(0) => out.pair("ttl", "inherit"),
        Some(ttl) => out.pair("ttl", ttl),
        None => {}
    }
    match update.tos {
        Some(1) => out.pair("tos", "inherit"),
        Some(tos) => out.pair("tos", format!("0x{tos:02x}")),
        None => {}
    }
    if let Some(dev) = &update.dev {
        out.pair("dev", dev);
    }
    match (update.ikey, update.okey) {
        (Some(i), Some(o)) if i == o => out.pair("key", i),
        (ikey, okey) => {
            if let Some(k) = ikey {
                out.pair("ikey", k);
            }
            if let Some(k) = okey {
                out.pair("okey", k);
            }
        }
    }
    if let Some(encap) = &update.encap {
        if encap.kind.is_some() {
            out.push("encap");
        }
        encap_words(out, encap);
    }
}

/// `fou|gue|none` (when given) and the encap options named.
fn encap_words(out: &mut Words, encap: &EncapSpec) {
    if let Some(kind) = encap.kind {
        out.push(match kind {
            EncapType::Fou => "fou",
            EncapType::Gue => "gue",
            EncapType::None => "none",
        });
    }
    match encap.sport {
        Some(SourcePort::Auto) => out.pair("encap-sport", "auto"),
        Some(SourcePort::Fixed(p)) => out.pair("encap-sport", p),
        None => {}
    }
    if let Some(dport) = encap.dport {
        out.pair("encap-dport", dport);
    }
    let flags = [
        (encap.csum, "encap-csum", "noencap-csum"),
        (encap.csum6, "encap-csum6", "noencap-csum6"),
        (encap.remcsum, "encap-remcsum", "noencap-remcsum"),
    ];
    for (value, on, off) in flags {
        match value {
            Some(true) => out.push(on),
            Some(false) => out.push(off),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::parse;

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
            round_trip("tun a t1 mode gre ttl 0 tos 10 key 1.0.0.0 encap gue encap-sport auto")
                .join(" "),
            "tunnel add t1 mode gre ttl inherit tos 0x10 key 16777216 encap gue encap-sport auto"
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
    }

    #[test]
    fn an_apply_option_given_twice_is_refused() {
        for option in ["--check", "--prune", "--defer-bound"] {
            let words = ["apply", option, "f.toml", option];
            let err = crate::cli::parse(&words, None).expect_err("refused");
            assert_eq!(err.to_string(), format!("{option} is given twice: say it once"));
        }
    }

    #[test]
    fn defer_bound_is_refused_with_prune() {
        let words = ["apply", "--defer-bound", "--prune", "f.toml"];
        let err = crate::cli::parse(&words, None).expect_err("refused");
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .starts_with("--defer-bound and --prune cannot be given together"),
            "{err}"
        );
        let words = ["apply", "--defer-bound", "f.toml"];
        let Ok(crate::cli::Command::Apply { file, options }) = crate::cli::parse(&words, None)
        else {
            panic!("apply --defer-bound parses");
        };
        assert_eq!(file, "f.toml");
        assert!(options.defer_bound && !options.check && !options.prune);
    }
}
