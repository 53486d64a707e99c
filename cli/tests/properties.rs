//! Property tests (proptest) of the command line: a parsed command printed and parsed again
//! is the same command, and a batch line runs the command its text says. The fuzz targets
//! (fuzz/) check the same for longer; these run in every `cargo test`, in a few seconds.

use std::net::IpAddr;

use proptest::prelude::*;
use rfou::Family;
use rfou_cli::batch::{parse_lines, split};
use rfou_cli::grammar::{ENCAP_TYPES, TOP};
use rfou_cli::{parse, print};

/// A keyword as written: whole, or now and then cut to a prefix (unique or ambiguous).
fn kw(keyword: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just(keyword.to_string()),
        1 => (1..=keyword.len()).prop_map(move |len| keyword[..len].to_string()),
    ]
    .boxed()
}

/// A keyword and its value.
fn pair(keyword: &'static str, value: BoxedStrategy<String>) -> BoxedStrategy<Vec<String>> {
    (kw(keyword), value).prop_map(|(k, v)| vec![k, v]).boxed()
}

fn flag(keyword: &'static str) -> BoxedStrategy<Vec<String>> {
    kw(keyword).prop_map(|k| vec![k]).boxed()
}

/// A number as a command line gives it: mostly in range, sometimes not.
fn number(max: u32) -> BoxedStrategy<String> {
    prop_oneof![
        6 => (1..=max).prop_map(|n| n.to_string()),
        1 => any::<u32>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(&["0", "-1", "0x10", "", "auto", "inherit"][..])
            .prop_map(str::to_string),
    ]
    .boxed()
}

/// An address, mostly of the family the command is about.
fn address(v6: bool) -> BoxedStrategy<String> {
    let own = if v6 {
        any::<std::net::Ipv6Addr>()
            .prop_map(|a| a.to_string())
            .boxed()
    } else {
        any::<std::net::Ipv4Addr>()
            .prop_map(|a| a.to_string())
            .boxed()
    };
    prop_oneof![8 => own, 1 => any::<IpAddr>().prop_map(|a| a.to_string()), 1 => Just("x".into())]
        .boxed()
}

/// A device name: any characters, any length, keywords too.
fn name() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[a-z][a-z0-9.]{0,14}",
        1 => prop::sample::select(&["dev", "name", "", "a/b", "a b", "sixteen-chars-ok"][..])
            .prop_map(str::to_string),
        1 => any::<String>(),
    ]
    .boxed()
}

fn port_options(v6: bool) -> BoxedStrategy<Vec<String>> {
    prop_oneof![
        pair("port", number(65535)),
        pair(
            "ipproto",
            prop_oneof![number(255), Just("ipip".to_string())].boxed()
        ),
        flag("gue"),
        pair("local", address(v6)),
        pair("peer", address(v6)),
        pair("peer_port", number(65535)),
        pair("dev", name()),
        flag("remcsum_nopartial"),
        flag(if v6 { "-6" } else { "-4" }),
    ]
    .boxed()
}

fn encap_options() -> BoxedStrategy<Vec<String>> {
    prop_oneof![
        pair(
            "encap-sport",
            prop_oneof![number(65535), Just("auto".to_string())].boxed()
        ),
        pair("encap-dport", number(65535)),
        prop::sample::select(rfou_cli::grammar::encap_options()).prop_map(|o| vec![o.to_string()]),
        prop::sample::select(ENCAP_TYPES).prop_map(|t| vec![t.to_string()]),
    ]
    .boxed()
}

fn tunnel_options(v6: bool) -> BoxedStrategy<Vec<String>> {
    let types = prop::sample::select(ENCAP_TYPES)
        .prop_map(str::to_string)
        .boxed();
    let tos = prop_oneof![
        any::<u8>().prop_map(|t| format!("0x{t:x}")),
        any::<u8>().prop_map(|t| format!("{t:x}")),
        Just("inherit".to_string()),
    ];
    prop_oneof![
        pair("remote", address(v6)),
        pair("local", address(v6)),
        pair("ttl", number(255)),
        pair("hoplimit", number(255)),
        pair("tos", tos.boxed()),
        pair("dev", name()),
        pair("key", number(u32::MAX)),
        pair(
            "ikey",
            prop_oneof![number(u32::MAX), address(false)].boxed()
        ),
        pair("okey", number(u32::MAX)),
        pair("encap", types),
        encap_options(),
    ]
    .boxed()
}

fn mode(v6: bool) -> BoxedStrategy<Vec<String>> {
    let modes: &'static [&'static str] = if v6 {
        &["ipip6", "ip6ip6", "any", "ip6tnl", "ip6gre", "ip6gretap"]
    } else {
        &["ipip", "sit", "gre", "gretap"]
    };
    pair(
        "mode",
        prop::sample::select(modes).prop_map(str::to_string).boxed(),
    )
}

/// The words of one command, built along the grammar with now and then a word out of place,
/// so that both what parses and what is refused are met.
fn command_words() -> impl Strategy<Value = Vec<String>> {
    any::<bool>().prop_flat_map(|v6| {
        let ports = (
            prop_oneof![kw("add"), kw("delete"), Just("del".to_string()), kw("show")],
            prop::option::weighted(0.9, pair("port", number(65535))),
            prop::option::weighted(0.8, prop_oneof![pair("ipproto", number(255)), flag("gue")]),
            prop::collection::vec(port_options(v6), 0..5),
        )
            .prop_map(|(verb, port, encap, options)| {
                let adding = "add".starts_with(verb.as_str());
                let mut words = vec![verb];
                words.extend(port.into_iter().flatten());
                words.extend(encap.into_iter().flatten().filter(|_| adding));
                words.extend(options.into_iter().flatten());
                words
            });
        let tunnels = (
            prop_oneof![
                kw("add"),
                kw("change"),
                kw("delete"),
                kw("show"),
                kw("encap")
            ],
            prop_oneof![
                4 => name().prop_map(|n| vec![n]),
                1 => pair("dev", name()),
                1 => pair("name", name())
            ],
            prop::option::weighted(0.9, mode(v6)),
            prop::sample::select(ENCAP_TYPES),
            prop::collection::vec(tunnel_options(v6), 0..5),
        )
            .prop_map(|(verb, name, mode, encap, options)| {
                let mut words = vec!["tunnel".to_string(), verb.clone()];
                words.extend(name);
                if "add".starts_with(verb.as_str()) {
                    words.extend(mode.into_iter().flatten());
                } else if "encap".starts_with(verb.as_str()) {
                    words.push(encap.to_string());
                }
                words.extend(options.into_iter().flatten());
                words
            });
        let others = prop_oneof![
            Just(vec![]),
            Just(vec!["doctor".to_string()]),
            prop::collection::vec(any::<String>(), 0..3).prop_map(|mut rest| {
                rest.insert(0, "help".into());
                rest
            }),
            prop::collection::vec(
                prop_oneof![prop::sample::select(TOP).prop_map(str::to_string), name()],
                0..4
            ),
        ];
        prop_oneof![4 => ports, 5 => tunnels, 1 => others]
    })
}

fn family() -> impl Strategy<Value = Option<Family>> {
    prop::sample::select(vec![None, Some(Family::Inet), Some(Family::Inet6)])
}

/// A command's words and the family given before it, mostly (three in four, as drawn) a
/// command that parses: the grammar's words above alone parse about one time in four, which
/// would leave the property below checked on few commands. The rest are kept as drawn, so
/// that refusals are met too (`the_generator_makes_mostly_commands_that_parse` measures it).
fn command() -> impl Strategy<Value = (Vec<String>, Option<Family>)> {
    prop_oneof![
        3 => (command_words(), family())
            .prop_filter("a command that parses", |(words, family)| {
                parse(words, *family).is_ok()
            }),
        1 => (command_words(), family()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_parsed_command_prints_to_words_that_parse_to_it((words, family) in command()) {
        if let Ok(command) = parse(&words, family) {
            let printed = print::words(&command);
            prop_assert_eq!(parse(&printed, None).ok(), Some(command), "printed {:?}", printed);
        }
    }
}

/// How many of 2,000 commands the generator draws parse (a fixed seed: the same each run):
/// most, so that the property above is checked on many commands, and not all, so that
/// refusals are met too. docs/fuzzing.md gives the rate.
#[test]
fn the_generator_makes_mostly_commands_that_parse() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = command();
    let drawn = 2000;
    let parsed = (0..drawn)
        .filter(|_| {
            let (words, family) = strategy
                .new_tree(&mut runner)
                .expect("a command drawn")
                .current();
            parse(&words, family).is_ok()
        })
        .count();
    eprintln!("{parsed} of {drawn} drawn commands parse");
    assert!(
        parsed * 10 >= drawn * 7,
        "only {parsed} of {drawn} drawn commands parse"
    );
    assert!(
        parsed * 10 <= drawn * 9,
        "{parsed} of {drawn} drawn commands parse: refusals are hardly met"
    );
}

/// Lines of a batch file: commands, comments, blank lines, stray white space.
fn batch_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        command_words().prop_map(|w| w.join(" ")),
        "[ \t]*#.*",
        "[ \t\u{b}\u{c}]*",
        any::<String>(),
    ];
    prop::collection::vec(line, 0..8).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

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
