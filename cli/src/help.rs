//! `rfou help [TOPIC]`, `rfou TOPIC help`, `rfou TOPIC --help`: the grammar, whole or of one
//! command.

use rfou::{Error, Result};

use crate::words::{keyword, unknown};

/// The one usage line, in `rfou --help` and `rfou help` alike.
pub const USAGE_LINE: &str =
    "rfou [ OPTIONS ] { add | del | show | tunnel | doctor | apply | export | import | help } ...";

/// The topics of `rfou help TOPIC`: the command words (`delete` and `list` are the long
/// names of `del` and `show`).
pub const TOPICS: &[&str] = &[
    "add", "delete", "show", "list", "tunnel", "doctor", "apply", "export", "import",
];

const ADD: &str = "  rfou add port PORT { ipproto PROTO | gue } [ local ADDR ] [ peer ADDR ]
           [ peer_port PORT ] [ dev IFNAME ] [ remcsum_nopartial ] [ -6 ]
";
const DEL: &str = "  rfou del port PORT [ ipproto PROTO | gue ] [ local ADDR ] [ peer ADDR ]
           [ peer_port PORT ] [ dev IFNAME ] [ -6 ]
";
const SHOW: &str = "  rfou show [ port PORT ] [ -6 | -4 ]
";
const PORT_WHERE: &str = "\
Where: PORT  := 1..65535
       PROTO := 1..255 | ipip | ipencap | ipv6 | sit | gre | etherip | mpls
";
const TUNNEL: &str = "  rfou tunnel encap dev NAME { [ encap ] { fou | gue | none } | noencap }
           [ encap-sport { PORT | auto } ] [ encap-dport PORT ] [ [no]encap-csum ]
           [ [no]encap-csum6 ] [ [no]encap-remcsum ]
  rfou tunnel add NAME mode MODE [ remote ADDR ] [ local ADDR ] [ dev PHYS ]
           [ ttl N | hoplimit N ] [ tos T ] [ tclass T ] [ flowlabel FL ] [ encaplimit LIMIT ]
           [ [no]pmtudisc ] [ [no]ignore-df ] [ proto PROTO ] [ [no]isatap ] [ fwmark MARK ]
           [ key K | ikey K | okey K | no[i|o]key ] [ [no][i|o]seq ] [ [no][i|o]csum ]
           [ encap { fou | gue | none } ENCAP-OPTIONS | noencap ] [ mtu MTU ]
           [ up | down ]
  rfou tunnel change NAME [ the same options but mode ]
  rfou tunnel del NAME
  rfou tunnel show [ NAME ]
";
const TUNNEL_WHERE: &str = "\
Where: PORT  := 1..65535
       MODE  := ipip | sit | gre | gretap | ipip6 | ip6ip6 | any | ip6tnl | ip6gre | ip6gretap
       PROTO := any | ipip | ip6ip | mplsip (ipip and sit; an ip6tnl says it with its mode)
       T     := inherit | a byte in hexadecimal; tos also EF, AF11..AF43, CS1..CS7, default
       FL    := inherit | 0x0..0xfffff (hexadecimal)
       LIMIT := none | 0..255;  MARK := 0..4294967295 | inherit (IPv6 underlays)
";
const DOCTOR: &str =
    "  rfou doctor [ dev NAME ]                 why FOU traffic does not flow or does not
           spread, read only: module, privilege, port-proto, port-missing, encap-sport,
           csum6, mtu, rss-udp, queues, offload, gro, rp-filter, port-ephemeral; with
           the command that fixes a finding, where one does; exit 1 where a check
           fails; dev NAME: one tunnel (and its underlay) or one device
";
const APPLY: &str =
    "  rfou apply [ --check ] [ --prune | --defer-bound ] FILE   make the namespace hold what
           FILE (TOML, - for standard input) says; --check only prints the plan (exit 0 in
           sync, 3 would change); --defer-bound leaves out the ports whose local address or
           dev is not there yet (at boot)
";
const EXPORT: &str =
    "  rfou export                              the namespace's ports and tunnels as such a FILE
";
const IMPORT: &str =
    "  rfou import networkd FILE...             systemd-networkd's FOU ports and tunnels (.netdev;
           .network for the devices tunnels are made on) as such a FILE; what it cannot
           carry over as written is named on standard error
";
const FOOTER: &str = "\
OPTIONS: -n NETNS  -j  -p  -b FILE [ --force | --atomic ]  -6  -4  -V  -h
Keywords may be shortened to any unique prefix. Exit status: 0 done, 1 the kernel or the
system refused, 2 the command line is wrong.
";

/// The grammar of every command, as `rfou --help` shows it after the options.
pub fn grammar() -> String {
    [
        ADD,
        DEL,
        SHOW,
        "\n",
        TUNNEL,
        "\n",
        DOCTOR,
        APPLY,
        EXPORT,
        IMPORT,
        "\n",
        "Where: PORT  := 1..65535\n",
        "       PROTO := 1..255 | ipip | ipencap | ipv6 | sit | gre | etherip | mpls\n",
        "       MODE  := ipip | sit | gre | gretap | ipip6 | ip6ip6 | any | ip6tnl | ip6gre | ip6gretap\n",
        "\n",
        FOOTER,
        "Help on one command: rfou help { add | del | show | tunnel | doctor | apply | export | import }\n",
    ]
    .concat()
}

/// The text of `rfou help TOPIC` (`None`: every command); an unknown topic is an error that
/// names the nearest one.
pub fn text(topic: Option<&str>) -> Result<String> {
    let Some(topic) = topic else {
        return Ok(format!("Usage: {USAGE_LINE}\n\n{}", grammar()));
    };
    let name = match keyword(topic, TOPICS)? {
        Some(name) => name,
        None => return Err(unknown_topic(topic)),
    };
    let (usage, part, man) = match name {
        "add" => ("add", [ADD, "\n", PORT_WHERE].concat(), "rfou-fou(8)"),
        "delete" => ("del", [DEL, "\n", PORT_WHERE].concat(), "rfou-fou(8)"),
        "show" | "list" => ("show", [SHOW, "\n", PORT_WHERE].concat(), "rfou-fou(8)"),
        "tunnel" => (
            "tunnel",
            [TUNNEL, "\n", TUNNEL_WHERE].concat(),
            "rfou-tunnel(8)",
        ),
        "doctor" => ("doctor", DOCTOR.to_string(), "rfou(8)"),
        "apply" => ("apply", APPLY.to_string(), "rfou-apply(8)"),
        "export" => ("export", EXPORT.to_string(), "rfou-apply(8)"),
        "import" => ("import", IMPORT.to_string(), "rfou-apply(8)"),
        other => unreachable!("a topic without help: {other}"),
    };
    Ok(format!(
        "Usage: rfou [ OPTIONS ] {usage} ...\n\n{part}\n{FOOTER}See {man}.\n"
    ))
}

fn unknown_topic(topic: &str) -> Error {
    unknown(topic, TOPICS, "rfou help")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_its_grammar() {
        for topic in TOPICS {
            let text = text(Some(topic)).unwrap();
            assert!(text.starts_with("Usage: rfou [ OPTIONS ] "), "{text}");
        }
        assert!(text(Some("tunnel"))
            .unwrap()
            .contains("rfou tunnel encap dev NAME"));
        assert!(text(Some("add")).unwrap().contains("rfou add port PORT"));
        assert!(!text(Some("add")).unwrap().contains("tunnel"));
        assert!(text(Some("tun")).unwrap().contains("rfou tunnel add NAME"));
        let all = text(None).unwrap();
        assert_eq!(all.matches("Usage:").count(), 1, "{all}");
        assert!(all.contains("doctor"));
    }

    /// The ranges the help gives (`NAME := LOW..HIGH`) are the parser's: its ends are
    /// taken, one past either end is refused. The numbers are read from the help itself.
    #[test]
    fn the_ranges_of_the_help_are_the_parsers() {
        let all = [PORT_WHERE, TUNNEL_WHERE].concat();
        let range = |name: &str| -> (u64, u64, bool) {
            let after = all
                .match_indices(name)
                .map(|(at, _)| all[at + name.len()..].trim_start())
                .find_map(|rest| rest.strip_prefix(":= "))
                .unwrap_or_else(|| panic!("no {name} := in the help"));
            let words: Vec<&str> = after.split([' ', '\n', ';']).collect();
            let range = words
                .iter()
                .find(|w| w.contains(".."))
                .unwrap_or_else(|| panic!("{name}: no range"));
            // A range in hexadecimal (`0x0..0xfffff`) takes its values in hexadecimal.
            let (low, high) = range.split_once("..").unwrap();
            let hex = low.starts_with("0x");
            let number = |w: &str| match w.strip_prefix("0x") {
                Some(digits) => u64::from_str_radix(digits, 16).unwrap(),
                None => w.parse().unwrap(),
            };
            (number(low), number(high), hex)
        };
        // `rfou --help` says the ranges of ports and protocols, and the modes, in its own
        // lines: the same.
        let whole = grammar();
        for line in PORT_WHERE
            .lines()
            .chain(TUNNEL_WHERE.lines().filter(|l| l.contains("MODE")))
        {
            let line = line.trim_start_matches("Where: ").trim();
            assert!(whole.contains(line), "rfou --help lacks: {line}");
        }
        // Each range, and the command line that takes a value of it.
        let cases = [
            ("PORT", "add port N gue"),
            ("PROTO", "add port 5555 ipproto N"),
            ("FL", "tunnel add t mode ip6ip6 flowlabel N"),
            ("LIMIT", "tunnel add t mode ip6ip6 encaplimit N"),
            ("MARK", "tunnel add t mode ip6ip6 fwmark N"),
        ];
        for (name, line) in cases {
            let (low, high, hex) = range(name);
            for (n, taken) in [(low, true), (high, true), (high + 1, false)]
                .into_iter()
                .chain(low.checked_sub(1).map(|n| (n, false)))
            {
                let n = if hex {
                    format!("{n:#x}")
                } else {
                    n.to_string()
                };
                let line = line.replace('N', &n);
                let words: Vec<&str> = line.split_whitespace().collect();
                let parsed = crate::parse::parse(&words, None);
                assert_eq!(
                    parsed.is_ok(),
                    taken,
                    "{name} {low}..{high}: `{line}`: {parsed:?}"
                );
            }
        }
    }

    #[test]
    fn the_doctor_help_names_every_check() {
        let words: Vec<&str> = DOCTOR
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .collect();
        for id in crate::doctor::CHECK_IDS {
            assert!(words.contains(id), "rfou help doctor does not name {id}");
        }
    }

    #[test]
    fn an_unknown_topic_names_the_nearest() {
        let err = text(Some("tunel")).unwrap_err();
        assert_eq!(crate::exit::status(&err), 2);
        assert!(err.to_string().contains("did you mean `tunnel`?"), "{err}");
    }
}
