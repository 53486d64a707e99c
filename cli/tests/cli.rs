//! The `rfou` binary's own voice, run as a user runs it: help per topic, and every error of
//! the command line (clap's and the parser's alike) one line `rfou: ...`, exit status 2.
//! Nothing here reaches the kernel: a bad or help command line is answered before any socket
//! is opened.

use std::process::{Command, Output};

fn rfou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rfou"))
        .args(args)
        .output()
        .expect("run rfou")
}

/// The one line of stderr of a refused command line, checked to be rfou's and exit 2.
fn refused(args: &[&str]) -> String {
    let out = rfou(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "rfou {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "rfou {args:?} printed on stdout");
    assert!(
        stderr.starts_with("rfou: ") && stderr.lines().count() == 1,
        "rfou {args:?}: not one line in rfou's voice:\n{stderr}"
    );
    stderr
}

fn helped(args: &[&str]) -> String {
    let out = rfou(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "rfou {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn a_misspelt_command_or_keyword_names_the_nearest() {
    let text = refused(&["tunel", "show"]);
    assert!(text.contains("did you mean `tunnel`?"), "{text}");
    let text = refused(&["exprot"]);
    assert!(text.contains("did you mean `export`?"), "{text}");
    let text = refused(&[
        "tunnel",
        "add",
        "t1",
        "mode",
        "ipip",
        "encap",
        "fou",
        "encap-dprot",
        "5555",
    ]);
    assert!(text.contains("did you mean `encap-dport`?"), "{text}");
    let text = refused(&["add", "port", "5555", "ipprto", "4"]);
    assert!(text.contains("did you mean `ipproto`?"), "{text}");
    let text = refused(&["--jsn", "show"]);
    assert!(text.contains("did you mean `--json`?"), "{text}");
    // Nothing near: no guess, but the keywords.
    let text = refused(&["frobnicate"]);
    assert!(!text.contains("did you mean"), "{text}");
    assert!(text.contains("expected one of"), "{text}");
}

#[test]
fn clap_errors_speak_as_rfou() {
    let text = refused(&["-n"]);
    assert!(text.contains("--netns NAME needs a value"), "{text}");
    let text = refused(&["-b"]);
    assert!(text.contains("--batch FILE needs a value"), "{text}");
    let text = refused(&["-6", "-4", "show"]);
    assert!(text.contains("cannot be given together"), "{text}");
    let text = refused(&["-j", "-j", "show"]);
    assert!(text.contains("given twice"), "{text}");
    let text = refused(&["--force", "show"]);
    assert!(text.contains("--batch"), "{text}");
    // rfou(8): --atomic is "not with --force", in either order.
    for args in [
        &["-b", "-", "--force", "--atomic"][..],
        &["-b", "-", "--atomic", "--force"],
    ] {
        let text = refused(args);
        assert!(
            text.contains("--force") && text.contains("--atomic"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("cannot be given together"),
            "{args:?}: {text}"
        );
    }
    // And the parser's: a keyword without its value.
    let text = refused(&["add", "port"]);
    assert!(text.contains("port needs a value"), "{text}");
}

/// rfou(8): "Values are never abbreviated": a prefix of a protocol name, a mode or an encap
/// type is refused where the keyword before it would have been taken.
#[test]
fn values_are_never_abbreviated() {
    for (args, value) in [
        (&["add", "port", "5555", "ipproto", "ipi"][..], "ipi"),
        (&["add", "port", "5555", "ipproto", "gr"], "gr"),
        (&["tunnel", "add", "t1", "mode", "ipi"], "ipi"),
        (&["tunnel", "add", "t1", "mode", "ip6gr"], "ip6gr"),
        (
            &["tunnel", "encap", "dev", "t1", "fo", "encap-dport", "1"],
            "fo",
        ),
    ] {
        let text = refused(args);
        assert!(text.contains(value), "{args:?}: {text}");
    }
    // The keywords themselves may be: the same lines with whole values parse on.
    let text = refused(&["add", "po", "5555", "ipp", "ipip", "nosuchword"]);
    assert!(text.contains("nosuchword"), "{text}");
}

#[test]
fn help_per_topic() {
    let tunnel = helped(&["help", "tunnel"]);
    assert!(tunnel.contains("rfou tunnel encap dev NAME"), "{tunnel}");
    assert!(!tunnel.contains("rfou add port"), "{tunnel}");
    assert_eq!(helped(&["tunnel", "help"]), tunnel);
    assert_eq!(helped(&["tunnel", "--help"]), tunnel);
    assert_eq!(helped(&["tun", "-h"]), tunnel);
    let add = helped(&["help", "add"]);
    assert!(add.contains("rfou add port PORT"), "{add}");
    assert!(!add.contains("tunnel"), "{add}");
    assert_eq!(helped(&["add", "help"]), add);
    assert_eq!(helped(&["add", "port", "1", "--help"]), add);
    for topic in ["del", "show", "doctor", "apply", "export"] {
        let text = helped(&["help", topic]);
        assert!(text.contains(&format!("rfou {topic}")), "{topic}: {text}");
        assert_eq!(helped(&[topic, "--help"]), text);
        assert_eq!(helped(&[topic, "help"]), text);
    }
    let text = refused(&["help", "tunel"]);
    assert!(text.contains("did you mean `tunnel`?"), "{text}");
}

#[test]
fn help_shows_one_usage_line_with_every_command() {
    for args in [&["--help"][..], &["help"], &[]] {
        let text = helped(args);
        let usage: Vec<&str> = text.lines().filter(|l| l.contains("Usage:")).collect();
        assert_eq!(usage.len(), 1, "rfou {args:?}:\n{text}");
        for command in [
            "add", "del", "show", "tunnel", "doctor", "apply", "export", "help",
        ] {
            assert!(
                usage[0].contains(command),
                "rfou {args:?}: {command} not in {}",
                usage[0]
            );
        }
    }
}

/// The completer prints candidates and nothing else, whatever it is given, and succeeds.
#[test]
fn the_completer_never_fails_or_complains() {
    for words in [
        &["__complete"][..],
        &["__complete", ""],
        &["__complete", "-h"],
        &["__complete", "--help", ""],
        &[
            "__complete",
            "-n",
            "no-such-namespace",
            "tunnel",
            "encap",
            "",
        ],
        &["__complete", "tunnel", "add", "t1", "mode", "nonsense", ""],
        &["__complete", "\u{ff}bad", ""],
    ] {
        let out = rfou(words);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "rfou {words:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = rfou(&["__complete", "tu"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tunnel\n");
}
