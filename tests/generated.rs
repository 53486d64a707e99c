//! What is generated from the grammar, and what must follow it.
//!
//! - The committed completion scripts (`completions/`) are what `rfou::cli::completions`
//!   generates from the keyword tables; `RFOU_REGENERATE=1` (what `scripts/regen` sets)
//!   rewrites them instead of comparing.
//! - The manual pages (`man/`) name every keyword of every table, every tunnel mode and every
//!   protocol name, and render without a warning.
//! - The bash script completes what it should, in a real `bash`.
//!
//! No root and no kernel support needed; `man` (man-db, groff-base) and `bash` must be there.

#[path = "support/roff.rs"]
mod roff;

use std::path::{Path, PathBuf};
use std::process::Command;

use rfou::cli::completions::{self, OptionArg, GLOBAL_OPTIONS};
use rfou::cli::parse::{
    APPLY_OPTIONS, ENCAP_OPTIONS, ENCAP_TYPES, PORT_ADD, PORT_DEL, PORT_SHOW, STATE_COMMANDS, TOP,
    TUNNEL, TUNNEL_OPTIONS,
};
use rfou::proto;
use rfou::TunnelMode;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed files and the functions that generate them.
fn generated() -> Vec<(&'static str, String)> {
    vec![
        ("completions/rfou.bash", completions::bash()),
        ("completions/_rfou", completions::zsh()),
        ("completions/rfou.fish", completions::fish()),
    ]
}

#[test]
fn committed_completions_are_up_to_date() {
    let regenerate = std::env::var("RFOU_REGENERATE").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, text) in generated() {
        let path = root().join(file);
        if regenerate {
            std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
            let old = std::fs::read_to_string(&path).ok();
            if old.as_deref() != Some(text.as_str()) {
                std::fs::write(&path, &text)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
                println!("wrote {file}");
            } else {
                println!("unchanged {file}");
            }
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == text => {}
            Ok(_) => stale.push(format!("{file} differs from what the grammar generates")),
            Err(e) => stale.push(format!("{file}: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "stale: run scripts/regen\n  {}",
        stale.join("\n  ")
    );
}

/// `GLOBAL_OPTIONS` of the completions are the options `rfou --help` lists, no more, no less.
#[test]
fn completion_options_are_rfous_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_rfou"))
        .arg("--help")
        .output()
        .expect("run rfou --help");
    let help = String::from_utf8_lossy(&out.stdout);
    let options_part = help
        .split("Options:")
        .nth(1)
        .expect("an Options: section in rfou --help");
    let mut listed: Vec<String> = Vec::new();
    for line in options_part.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            if line.is_empty() {
                continue;
            }
            break;
        }
        // "-n, --netns <NAME>  Act ...": the option names before the description.
        let names = line.split("  ").next().unwrap_or("");
        for name in names.split([',', ' ']) {
            if name.starts_with('-') {
                listed.push(name.to_string());
            }
        }
        let takes_value = names.contains('<');
        let known = GLOBAL_OPTIONS.iter().find(|o| {
            names
                .split([',', ' '])
                .any(|n| Some(n) == o.short || Some(n) == o.long)
        });
        let known = known.unwrap_or_else(|| panic!("completions lack the option: {line}"));
        assert_eq!(
            takes_value,
            known.arg != OptionArg::None,
            "completions disagree on whether {names} takes a value"
        );
    }
    let mut ours: Vec<String> = GLOBAL_OPTIONS
        .iter()
        .flat_map(|o| o.short.into_iter().chain(o.long))
        .map(str::to_string)
        .collect();
    ours.sort();
    listed.sort();
    assert_eq!(ours, listed, "GLOBAL_OPTIONS against rfou --help:\n{help}");
}

fn assert_named(page: &str, what: &str, words: &[&str]) {
    let present = roff::words(page);
    let missing: Vec<&&str> = words
        .iter()
        .filter(|w| !present.iter().any(|p| p == *w))
        .collect();
    assert!(
        missing.is_empty(),
        "man/{page} does not name these {what}: {missing:?}"
    );
}

/// The manual follows the grammar: every word the parser knows is documented where it
/// belongs.
#[test]
fn manual_names_every_keyword() {
    assert_named("rfou.8", "commands (TOP)", TOP);
    assert_named("rfou.8", "commands (STATE_COMMANDS)", STATE_COMMANDS);
    assert_named(
        "rfou-apply.8",
        "apply options (APPLY_OPTIONS)",
        APPLY_OPTIONS,
    );
    assert_named("rfou-fou.8", "keywords of add (PORT_ADD)", PORT_ADD);
    assert_named("rfou-fou.8", "keywords of del (PORT_DEL)", PORT_DEL);
    assert_named("rfou-fou.8", "keywords of show (PORT_SHOW)", PORT_SHOW);
    let protos: Vec<&str> = proto::NAMES.iter().map(|(name, _)| *name).collect();
    assert_named("rfou-fou.8", "ipproto names (proto::NAMES)", &protos);
    assert_named("rfou-tunnel.8", "tunnel verbs (TUNNEL)", TUNNEL);
    assert_named("rfou-tunnel.8", "encapsulations (ENCAP_TYPES)", ENCAP_TYPES);
    assert_named(
        "rfou-tunnel.8",
        "encap options (ENCAP_OPTIONS)",
        ENCAP_OPTIONS,
    );
    assert_named(
        "rfou-tunnel.8",
        "tunnel options (TUNNEL_OPTIONS)",
        TUNNEL_OPTIONS,
    );
    assert_named(
        "rfou-tunnel.8",
        "modes (TunnelMode::WORDS)",
        TunnelMode::WORDS,
    );
    let options: Vec<&str> = GLOBAL_OPTIONS
        .iter()
        .flat_map(|o| o.short.into_iter().chain(o.long))
        .collect();
    assert_named("rfou.8", "global options", &options);
}

#[test]
fn manual_has_examples_on_every_page() {
    for page in roff::PAGES {
        assert!(
            !roff::examples(page).is_empty(),
            "man/{page} has no example (.EX/.EE)"
        );
    }
}

/// Each page renders with `man --warnings` and not a word on stderr.
#[test]
fn manual_renders_without_warnings() {
    for page in roff::all_pages() {
        let path = roff::man_dir().join(&page);
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&path)
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `man` ({e}): install it with `apt-get install man-db groff-base`"
                )
            });
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "man --warnings -l {} ({}):\n{stderr}",
            path.display(),
            out.status
        );
        assert!(
            !out.stdout.is_empty(),
            "man -l {} printed nothing",
            path.display()
        );
    }
}

/// Runs the bash completion for `line` (the cursor at its end) and returns COMPREPLY.
/// `dir` holds a fake `ip` (put first on PATH) and the namespaces `RFOU_NETNS_DIR` lists.
fn bash_complete(line: &str, dir: &Path) -> Vec<String> {
    let script = root().join("completions/rfou.bash");
    // COMP_WORDS about as bash splits the line; the function itself reads COMP_LINE.
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if line.ends_with(' ') {
        words.push("");
    }
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect();
    let program = format!(
        r#"set -u
source "$1" || exit 99
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE=$2
COMP_POINT=${{#COMP_LINE}}
_rfou rfou "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "bash"])
        .arg(&script)
        .arg(line)
        .env("RFOU_NETNS_DIR", dir.join("netns"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run bash");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "bash completion of {line:?} failed ({}):\n{stderr}",
        out.status
    );
    let mut reply: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    reply.sort();
    reply
}

fn sorted(words: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    v.sort();
    v
}

/// A fake `ip` for the completion: `ip [-n NS] -o link show` lists lo and one veth, named
/// after the namespace, with an `@peer` suffix as ip prints it.
const FAKE_IP: &str = r#"#!/bin/sh
ns=
if [ "$1" = -n ]; then ns=$2; shift 2; fi
[ "$*" = "-o link show" ] || exit 1
echo '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT'
echo "7: veth-${ns:-here}@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue"
"#;

#[test]
fn bash_completes_in_place() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("rfou-complete-{}", std::process::id()));
    for sub in ["netns", "bin"] {
        std::fs::create_dir_all(dir.join(sub)).expect("temp dir");
    }
    std::fs::write(dir.join("netns/blue"), "").expect("temp file");
    std::fs::write(dir.join("netns/red"), "").expect("temp file");
    let ip = dir.join("bin/ip");
    std::fs::write(&ip, FAKE_IP).expect("fake ip");
    std::fs::set_permissions(&ip, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let complete = |line: &str| bash_complete(line, &dir);

    assert_eq!(complete("rfou tu"), ["tunnel"]);
    assert_eq!(complete("rfou "), sorted(&completions::command_words()));
    assert_eq!(complete("rfou add port 5555 ipp"), ["ipproto"]);
    let protos = complete("rfou add port 5555 ipproto ");
    assert!(
        protos.contains(&"gre".to_string()) && protos.contains(&"ipip".to_string()),
        "{protos:?}"
    );
    assert_eq!(
        protos,
        sorted(&proto::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>())
    );
    // A port number: nothing to offer.
    assert!(complete("rfou add port ").is_empty());
    assert!(complete("rfou add port 5555 ipproto 4 peer_port ").is_empty());
    assert_eq!(
        complete("rfou tunnel encap dev tun1 "),
        ["fou", "gue", "none"]
    );
    assert_eq!(
        complete("rfou tunnel encap dev tun1 fou encap-d"),
        ["encap-dport"]
    );
    assert_eq!(
        complete("rfou tunnel add t1 mode "),
        sorted(TunnelMode::WORDS)
    );
    assert_eq!(complete("rfou tun add t1 encap "), sorted(ENCAP_TYPES));
    assert_eq!(complete("rfou -n "), ["blue", "red"]);
    assert_eq!(complete("rfou --netns r"), ["red"]);
    assert_eq!(complete("rfou -n blue tu"), ["tunnel"]);
    assert_eq!(complete("rfou tunnel "), sorted(TUNNEL));
    assert_eq!(complete("rfou show "), sorted(PORT_SHOW));
    // Abbreviated keywords still lead to their values.
    assert_eq!(complete("rfou tun ad t1 mo "), sorted(TunnelMode::WORDS));
    // The devices after dev: of this namespace, or of the one -n names, without @peer.
    assert_eq!(
        complete("rfou add port 1 gue local 192.0.2.1 dev "),
        ["lo", "veth-here"]
    );
    assert_eq!(
        complete("rfou -n blue add port 1 gue local 192.0.2.1 dev "),
        ["lo", "veth-blue"]
    );
    assert_eq!(
        complete("rfou --netns=red tunnel encap "),
        ["dev", "lo", "veth-red"]
    );
    assert_eq!(complete("rfou -j tunnel change dev v"), ["veth-here"]);
    // An IPv6 address is one word, whatever bash's word breaks say.
    assert_eq!(
        complete("rfou add port 1 gue -6 local 2001:db8::1 pe"),
        ["peer", "peer_port"]
    );
    assert!(complete("rfou --force -j -").contains(&"--batch".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}
