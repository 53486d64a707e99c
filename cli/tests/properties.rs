//! Property tests (proptest) of the command line: a parsed command printed and parsed again
//! is the same command, and a batch line runs the command its text says. The fuzz targets
//! (fuzz/) check the same for longer; these run in every `cargo test`, in a few seconds.
//!
//! The command lines are built along the grammar, from its own tables (the library's
//! [`KEYS`] for a tunnel's settings), so that most of them are commands that parse (the
//! rate is measured by `most_generated_command_lines_parse`); now and then a word is cut
//! to a prefix, a value is malformed or a word is out of place, so that refusals are met too.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rfou::tunnel::{TunnelKind, TunnelMode, ValueKind, KEYS};
use rfou::values::PROTOCOLS;
use rfou::Family;
use rfou_cli::batch::{parse_lines, split};
use rfou_cli::grammar::{ENCAP_TYPES, TOP};
use rfou_cli::{parse, print};

/// `cases` cases, after the failures proptest saved in `properties.proptest-regressions`
/// beside this file (its default looks for the crate's lib.rs or main.rs from the test's
/// path, which a test in tests/ does not have).
fn with_regressions(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/properties.proptest-regressions",
            ),
        )),
        ..ProptestConfig::with_cases(cases)
    }
}

/// A keyword as written: whole, or now and then cut to a prefix (unique or ambiguous).
fn kw(keyword: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        30 => Just(keyword.to_string()),
        1 => (1..=keyword.len()).prop_map(move |len| keyword[..len].to_string()),
    ]
    .boxed()
}

/// A value as given: mostly `good`, now and then (1 in 25) one that is not.
fn value(good: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let bad = prop::sample::select(&["0", "-1", "0x", "", "auto", "inherit", "x", "65536"][..])
        .prop_map(str::to_string);
    prop_oneof![24 => good, 1 => bad].boxed()
}

/// A keyword and its value.
fn pair(keyword: &'static str, good: BoxedStrategy<String>) -> BoxedStrategy<Vec<String>> {
    (kw(keyword), value(good))
        .prop_map(|(k, v)| vec![k, v])
        .boxed()
}

fn number(range: std::ops::RangeInclusive<u32>) -> BoxedStrategy<String> {
    range.prop_map(|n| n.to_string()).boxed()
}

/// An address of the family asked for, or now and then the wildcard.
fn address(v6: bool) -> BoxedStrategy<String> {
    let own = if v6 {
        any::<Ipv6Addr>().prop_map(|a| a.to_string()).boxed()
    } else {
        any::<Ipv4Addr>().prop_map(|a| a.to_string()).boxed()
    };
    let any_word = if v6 { "::" } else { "any" };
    prop_oneof![12 => own, 1 => Just(any_word.to_string())].boxed()
}

/// A specified address (a port's local and peer: the wildcard is no binding).
fn specified(v6: bool) -> BoxedStrategy<String> {
    if v6 {
        any::<Ipv6Addr>()
            .prop_filter("specified", |a| !a.is_unspecified())
            .prop_map(|a| a.to_string())
            .boxed()
    } else {
        any::<Ipv4Addr>()
            .prop_filter("specified", |a| !a.is_unspecified())
            .prop_map(|a| a.to_string())
            .boxed()
    }
}

/// A device name: mostly one the kernel takes, now and then one it refuses or any text.
fn name() -> BoxedStrategy<String> {
    prop_oneof![
        40 => "t[a-z0-9.]{0,13}",
        1 => prop::sample::select(&["", "a/b", "a b", "sixteen-chars-ok"][..]).prop_map(str::to_string),
        1 => any::<String>(),
    ]
    .boxed()
}

/// The family of a command: said by the global `-4`/`-6`, by one among its words, or not at
/// all (IPv4).
#[derive(Debug, Clone, Copy)]
enum Said {
    Global,
    InWords,
    Not,
}

fn said(v6: bool) -> impl Strategy<Value = Said> {
    if v6 {
        prop_oneof![Just(Said::Global), Just(Said::InWords)].boxed()
    } else {
        prop_oneof![Just(Said::Global), Just(Said::InWords), Just(Said::Not)].boxed()
    }
}

/// `options` in any order, each group of words kept together.
fn shuffled(options: Vec<Vec<String>>) -> impl Strategy<Value = Vec<String>> {
    Just(options)
        .prop_shuffle()
        .prop_map(|groups| groups.into_iter().flatten().collect())
}

/// `add`, `del` or `show` of a receive port, its family said one way or another.
fn port_command() -> impl Strategy<Value = (Vec<String>, Option<Family>)> {
    (any::<bool>(), 0..3u8).prop_flat_map(|(v6, verb)| {
        let carries = prop_oneof![
            pair("ipproto", number(1..=255)),
            pair(
                "ipproto",
                prop::sample::select(PROTOCOLS)
                    .prop_map(|(n, _)| n.to_string())
                    .boxed()
            ),
            kw("gue").prop_map(|k| vec![k]),
        ];
        let local = prop::option::weighted(0.5, pair("local", specified(v6)));
        let peer = prop::option::weighted(
            0.3,
            (
                pair("peer", specified(v6)),
                pair("peer_port", number(1..=65535)),
            )
                .prop_map(|(a, b)| [a, b].concat()),
        );
        let dev = prop::option::weighted(0.3, pair("dev", name()));
        let remcsum = prop::option::weighted(0.2, kw("remcsum_nopartial").prop_map(|k| vec![k]));
        let port = pair("port", number(1..=65535));
        (said(v6), port, carries, local, peer, dev, remcsum).prop_flat_map(
            move |(said, port, carries, local, peer, dev, remcsum)| {
                let mut options = vec![port];
                match verb {
                    0 => {
                        options.push(carries);
                        options.extend(peer);
                        options.extend(remcsum);
                        // A port is bound to a device only with a local address.
                        if let Some(local) = local {
                            options.push(local);
                            options.extend(dev);
                        }
                    }
                    1 => options.extend(local.into_iter().chain(peer).chain(dev)),
                    _ => {}
                }
                let family = family_said(v6, said, &mut options);
                let verb = match verb {
                    0 => kw("add"),
                    1 => prop_oneof![kw("delete"), Just("del".to_string())].boxed(),
                    _ => prop_oneof![kw("show"), kw("list")].boxed(),
                };
                (verb, shuffled(options)).prop_map(move |(verb, options)| {
                    let mut words = vec![verb];
                    words.extend(options);
                    (words, family)
                })
            },
        )
    })
}

/// The family as the command says it: `Some` for the global option, else `-6` or `-4`
/// pushed among `options`.
fn family_said(v6: bool, said: Said, options: &mut Vec<Vec<String>>) -> Option<Family> {
    let family = if v6 { Family::Inet6 } else { Family::Inet };
    match said {
        Said::Global => Some(family),
        Said::InWords => {
            options.push(vec![if v6 { "-6" } else { "-4" }.to_string()]);
            None
        }
        Said::Not => None,
    }
}

/// The value of a tunnel setting that takes one, for a tunnel of `kind`.
fn setting_value(key: &str, kind: TunnelKind) -> BoxedStrategy<String> {
    let v6 = kind.ipv6_underlay();
    let words = |w: &'static [&'static str]| prop::sample::select(w).prop_map(str::to_string);
    let hex = |max: u32| (0..=max).prop_map(|n| format!("0x{n:x}"));
    match key {
        "remote" | "local" => address(v6),
        "dev" => name(),
        "ttl" => prop_oneof![number(1..=255), words(&["inherit"])].boxed(),
        "tos" => prop_oneof![hex(0xff), words(&["inherit"])].boxed(),
        "tclass" => prop_oneof![hex(0xff), words(&["inherit"])].boxed(),
        "flowlabel" => prop_oneof![hex(0xf_ffff), words(&["inherit"])].boxed(),
        "encaplimit" => prop_oneof![number(0..=255), words(&["none"])].boxed(),
        "proto" if kind == TunnelKind::Sit => words(&["any", "ipip", "ip6ip", "mplsip"]).boxed(),
        "proto" => words(&["any", "ipip", "mplsip"]).boxed(),
        "key" | "ikey" | "okey" => prop_oneof![
            number(0..=u32::MAX),
            any::<Ipv4Addr>().prop_map(|a| a.to_string())
        ]
        .boxed(),
        "fwmark" => prop_oneof![number(0..=u32::MAX), words(&["inherit"])].boxed(),
        "mtu" => number(68..=65535),
        other => panic!("no values for {other}"),
    }
}

/// Settings of a tunnel of `kind` (none of the encapsulation): some of the keywords the kind
/// has, each once, with what the kernel needs of them together.
fn settings(kind: TunnelKind) -> impl Strategy<Value = Vec<Vec<String>>> {
    let keys: Vec<_> = KEYS
        .iter()
        .filter(|k| k.applies(kind) && !k.shorthand && !k.name.starts_with("encap"))
        // An ip6tnl's inner protocol is its mode word.
        .filter(|k| !(k.name == "proto" && kind == TunnelKind::Ip6Tnl))
        .collect();
    let options: Vec<BoxedStrategy<Option<Vec<String>>>> = keys
        .into_iter()
        .map(|key| {
            let option = match key.value {
                ValueKind::Flag => prop_oneof![kw(key.name), kw(key.negations[0])]
                    .prop_map(|w| vec![w])
                    .boxed(),
                _ => pair(key.name, setting_value(key.name, kind)),
            };
            prop::option::weighted(0.2, option).boxed()
        })
        .collect();
    options.prop_map(|chosen| {
        let mut options: Vec<Vec<String>> = chosen.into_iter().flatten().collect();
        let has = |options: &Vec<Vec<String>>, word: &str| options.iter().any(|o| o[0] == word);
        // ignore-df needs nopmtudisc, and nopmtudisc a ttl of inherit.
        if has(&options, "ignore-df") {
            options.retain(|o| o[0] != "pmtudisc");
            if !has(&options, "nopmtudisc") {
                options.push(vec!["nopmtudisc".into()]);
            }
        }
        if has(&options, "nopmtudisc") {
            options.retain(|o| o[0] != "ttl");
        }
        options
    })
}

/// `encap none`, or FOU or GUE with a destination port and some of the options.
fn encap() -> impl Strategy<Value = Vec<String>> {
    let flag = |on: &'static str, off: &'static str| {
        prop::option::weighted(0.3, prop_oneof![kw(on), kw(off)])
    };
    (
        prop::sample::select(ENCAP_TYPES),
        pair("encap-dport", number(1..=65535)),
        prop::option::weighted(
            0.3,
            pair(
                "encap-sport",
                prop_oneof![number(1..=65535), Just("auto".into())].boxed(),
            ),
        ),
        flag("encap-csum", "noencap-csum"),
        flag("encap-csum6", "noencap-csum6"),
        flag("encap-remcsum", "noencap-remcsum"),
    )
        .prop_map(|(kind, dport, sport, csum, csum6, remcsum)| {
            let mut words = vec![kind.to_string()];
            if kind == "none" {
                return words;
            }
            words.extend(dport.into_iter().chain(sport.into_iter().flatten()));
            words.extend(csum.into_iter().chain(csum6));
            // Remote checksum offload is GUE's.
            words.extend(remcsum.filter(|w| kind == "gue" || w.starts_with("no")));
            words
        })
}

/// A tunnel command: add (with a mode, settings of its kind and maybe an encapsulation),
/// change, encap, del or show.
fn tunnel_command() -> impl Strategy<Value = Vec<String>> {
    let mode = prop::sample::select(TunnelMode::WORDS);
    (mode, 0..5u8, name()).prop_flat_map(|(mode, verb, name)| {
        let kind = TunnelMode::parse(mode).expect("a mode word").kind;
        let encap_words = encap().prop_map(|mut words| {
            words.insert(0, "encap".into());
            words
        });
        let options = (settings(kind), prop::option::weighted(0.4, encap_words));
        (options, kw("dev"), kw("mode")).prop_map(move |((mut options, encap), dev, mode_kw)| {
            let mut words = vec!["tunnel".to_string()];
            match verb {
                0 => {
                    words.extend(["add".into(), name.clone(), mode_kw, mode.to_string()]);
                    options.extend(encap);
                }
                1 => {
                    words.extend(["change".into(), name.clone()]);
                    options.extend(encap);
                    // A change changes something.
                    if options.is_empty() {
                        options.push(vec!["ttl".into(), "64".into()]);
                    }
                }
                2 => {
                    words.extend(["encap".into(), dev, name.clone()]);
                    words.extend(
                        encap
                            .map(|e| e[1..].to_vec())
                            .unwrap_or(vec!["none".into()]),
                    );
                    return words;
                }
                3 => {
                    words.extend(["del".into(), name.clone()]);
                    return words;
                }
                _ => {
                    words.extend(["show".into(), name.clone()]);
                    return words;
                }
            }
            words.extend(options.into_iter().flatten());
            words
        })
    })
}

/// The other commands: doctor, apply, export, help.
fn other_command() -> impl Strategy<Value = Vec<String>> {
    let words = |w: &[&str]| w.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    prop_oneof![
        Just(words(&["doctor"])),
        name().prop_map(move |n| vec!["doctor".into(), "dev".into(), n]),
        (
            prop::option::of(Just("--check")),
            prop::option::of(prop::sample::select(&["--prune", "--defer-bound"][..])),
            prop_oneof![Just("-".to_string()), "[a-z]{1,8}\\.toml"],
        )
            .prop_map(|(check, option, file)| {
                let mut words = vec!["apply".to_string()];
                words.extend(check.into_iter().chain(option).map(str::to_string));
                words.push(file);
                words
            }),
        Just(words(&["export"])),
        prop::option::of(prop::sample::select(TOP)).prop_map(|topic| {
            let mut words = vec!["help".to_string()];
            words.extend(topic.map(str::to_string));
            words
        }),
    ]
}

/// Now and then (1 in 12) a word out of place: one of the command's replaced by a keyword of
/// another command, or any text.
fn disturbed(
    line: impl Strategy<Value = (Vec<String>, Option<Family>)>,
) -> impl Strategy<Value = (Vec<String>, Option<Family>)> {
    let stray = prop_oneof![
        prop::sample::select(TOP).prop_map(str::to_string),
        prop::sample::select(KEYS.iter().map(|k| k.name).collect::<Vec<_>>())
            .prop_map(str::to_string),
        any::<String>(),
    ];
    (
        line,
        prop::option::weighted(1.0 / 12.0, (any::<prop::sample::Index>(), stray)),
    )
        .prop_map(|((mut words, family), stray)| {
            if let Some((at, word)) = stray {
                let at = at.index(words.len() + 1);
                if at == words.len() {
                    words.push(word);
                } else {
                    words[at] = word;
                }
            }
            (words, family)
        })
}

/// A command line: its words and the global `-4`/`-6`, if given.
fn command_line() -> impl Strategy<Value = (Vec<String>, Option<Family>)> {
    disturbed(prop_oneof![
        4 => port_command(),
        5 => tunnel_command().prop_map(|words| (words, None)),
        1 => other_command().prop_map(|words| (words, None)),
    ])
}

proptest! {
    #![proptest_config(with_regressions(1000))]

    #[test]
    fn a_parsed_command_prints_to_words_that_parse_to_it((words, family) in command_line()) {
        if let Ok(command) = parse(&words, family) {
            let printed = print::words(&command);
            prop_assert_eq!(parse(&printed, None).ok(), Some(command), "printed {:?}", printed);
        }
    }
}

/// The generator makes mostly commands that parse, so that the property above is about
/// commands and not about refusals: docs/fuzzing.md says the rate this measures (a fixed
/// seed, so the count is the same on every run).
#[test]
fn most_generated_command_lines_parse() {
    let mut runner = TestRunner::deterministic();
    let lines = 2000;
    let mut parsed = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..lines {
        let (words, family) = command_line().new_tree(&mut runner).unwrap().current();
        if let Ok(command) = parse(&words, family) {
            parsed += 1;
            kinds.insert(
                format!("{command:?}")
                    .split([' ', '('])
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    println!("{parsed} of {lines} generated command lines parse; kinds: {kinds:?}");
    assert!(parsed * 100 >= lines * 70, "only {parsed} of {lines} parse");
    // Every kind of command is among them.
    assert_eq!(kinds.len(), 12, "{kinds:?}");
}

/// Found by the `words` fuzz target (2026-12-05): `local ::` read as `::` printed as `local
/// any`, which read back as 0.0.0.0. The wildcard of either family is the one value "any".
#[test]
fn a_wildcard_address_prints_and_parses_back_the_same() {
    for words in [
        "tunnel change t1 local :: remote 0.0.0.0",
        "tunnel add t1 mode ip6gre local :: remote ::",
        "tunnel add t1 mode ipip local any",
    ] {
        let words: Vec<&str> = words.split(' ').collect();
        let command = parse(&words, None).unwrap();
        let printed = print::words(&command);
        assert_eq!(parse(&printed, None).ok(), Some(command), "{printed:?}");
    }
}

/// Lines of a batch file: commands, comments, blank lines, stray white space.
fn batch_text() -> impl Strategy<Value = String> {
    // A batch line has no global option: the family goes among the words.
    let command = command_line().prop_map(|(mut words, family)| {
        match family {
            Some(Family::Inet6) => words.push("-6".into()),
            Some(Family::Inet) => words.push("-4".into()),
            None => {}
        }
        words.join(" ")
    });
    let line = prop_oneof![
        4 => command,
        1 => "[ \t]*#.*",
        1 => "[ \t\u{b}\u{c}]*",
        1 => any::<String>(),
    ];
    prop::collection::vec(line, 0..8).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(with_regressions(200))]

    #[test]
    fn a_batch_line_runs_the_command_its_text_says(text in batch_text()) {
        let (lines, errors) = parse_lines(&text, None);
        let count = text.lines().count();
        prop_assert!(lines.len() + errors.len() <= count);
        for line in &lines {
            prop_assert!(line.number >= 1 && line.number <= count);
            let again = parse(&split(line.text), None).ok();
            prop_assert_eq!(again.as_ref(), Some(&line.command));
        }
    }
}
