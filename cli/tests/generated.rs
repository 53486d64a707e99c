//! What is generated from the grammar, and what must follow it.
//!
//! - The committed completion scripts (`completions/`) are what `rfou::cli::completions`
//!   generates from the keyword tables; `RFOU_REGENERATE=1` (what `scripts/regen` sets)
//!   rewrites them instead of comparing.
//! - The manual pages (`man/`) name every keyword of every table, every tunnel mode and every
//!   protocol name, and render without a warning.
//! - The completion stubs complete what they should, in a real `bash`, `zsh` and `fish`,
//!   calling the `rfou` just built (`rfou __complete`).
//! - The README quotes word for word the sentence `scripts/test` prints in its summary about
//!   the in-kernel tests that run on one kernel only.
//!
//! No root and no kernel support needed; `man` (man-db, groff-base), `bash`, `zsh` and `fish`
//! must be there (scripts/test installs them): a missing one fails its test.

#[path = "support/roff.rs"]
mod roff;

use std::path::{Path, PathBuf};
use std::process::Command;

use rfou::state::NETWORKD_KEYS;
use rfou::tunnel::{TunnelMode, PROTO_WORDS};
use rfou::values::PROTOCOLS;
use rfou_cli::complete as completions;
use rfou_cli::grammar::{
    self, OptionArg, APPLY_OPTIONS, DOCTOR, ENCAP_TYPES, GLOBAL_OPTIONS, IMPORT_SOURCES, PORT_SHOW,
    STATE_COMMANDS, TOP, TUNNEL,
};
use rfou_cli::help::TOPICS;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The committed files and the functions that generate them.
fn generated() -> Vec<(&'static str, String)> {
    vec![
        ("completions/rfou.bash", rfou_cli::stubs::bash()),
        ("completions/_rfou", rfou_cli::stubs::zsh()),
        ("completions/rfou.fish", rfou_cli::stubs::fish()),
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
    assert_named(
        "rfou-apply.8",
        "import sources (IMPORT_SOURCES)",
        IMPORT_SOURCES,
    );
    for (section, keys) in NETWORKD_KEYS {
        assert_named("rfou-apply.8", &format!("networkd [{section}] keys"), keys);
    }
    assert_named("rfou-fou.8", "keywords of add", grammar::port_add());
    assert_named("rfou-fou.8", "keywords of del", grammar::port_del());
    assert_named("rfou-fou.8", "keywords of show (PORT_SHOW)", PORT_SHOW);
    let protos: Vec<&str> = PROTOCOLS.iter().map(|(name, _)| *name).collect();
    assert_named("rfou-fou.8", "ipproto names (PROTOCOLS)", &protos);
    assert_named("rfou-tunnel.8", "tunnel verbs (TUNNEL)", TUNNEL);
    assert_named("rfou-tunnel.8", "encapsulations (ENCAP_TYPES)", ENCAP_TYPES);
    assert_named("rfou-tunnel.8", "encap options", grammar::encap_options());
    assert_named(
        "rfou-tunnel.8",
        "tunnel options",
        grammar::tunnel_options(true),
    );
    assert_named(
        "rfou-tunnel.8",
        "inner protocols (PROTO_WORDS)",
        PROTO_WORDS,
    );
    assert_named("rfou.8", "doctor keywords (DOCTOR)", DOCTOR);
    assert_named(
        "rfou.8",
        "doctor checks (doctor::CHECK_IDS)",
        rfou_cli::doctor::CHECK_IDS,
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

/// A shell, as the tests drive its completion.
#[derive(Debug, Clone, Copy)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// PATH with the `rfou` just built first: the stubs run the `rfou` of the command line.
fn path_with_rfou() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_rfou"))
        .parent()
        .expect("a directory");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The words bash makes of `line` (COMP_WORDS): split at blanks, and at each run of the
/// COMP_WORDBREAKS characters `=` and `:`, which are words of their own.
fn bash_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for blank_word in line.split_whitespace() {
        let mut word = String::new();
        let mut breaks = false;
        for c in blank_word.chars() {
            let is_break = c == '=' || c == ':';
            if !word.is_empty() && is_break != breaks {
                words.push(std::mem::take(&mut word));
            }
            breaks = is_break;
            word.push(c);
        }
        words.push(word);
    }
    if line.ends_with(' ') {
        words.push(String::new());
    }
    words
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// What `shell`, with the stub of completions/ loaded, offers for `line` (cursor at its end),
/// run in directory `dir`. Any output on stderr fails the test: it would land in the
/// user's terminal.
fn shell_complete(shell: Shell, line: &str, dir: &Path) -> Vec<String> {
    let (program, args, script): (&str, Vec<String>, String) = match shell {
        Shell::Bash => {
            let words = bash_words(line);
            let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
            let script = format!(
                r#"set -u
source "$STUB" || exit 99
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE={line}
COMP_POINT=${{#COMP_LINE}}
_rfou rfou "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
                words = quoted.join(" "),
                cword = words.len() - 1,
                line = quote(line),
            );
            ("bash", vec!["--norc".into(), "--noprofile".into()], script)
        }
        Shell::Zsh => {
            // The compsys builtins print what they were given; the rest is the stub, loaded
            // from $fpath as compinit loads it.
            let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            if line.ends_with(' ') {
                words.push(String::new());
            }
            let current = words.len();
            let prefix = words.last().cloned().unwrap_or_default();
            let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
            let script = format!(
                r#"compadd() {{ [[ $1 == -a ]] && print -rl -- "${{(@P)2}}" }}
_files() {{ print -rl -- ${{PREFIX}}*(N) }}
fpath=("${{STUB:h}}" $fpath)
autoload -Uz _rfou
words=({words})
CURRENT={current}
PREFIX={prefix}
_rfou
"#,
                words = quoted.join(" "),
                prefix = quote(&prefix),
            );
            ("zsh", vec!["-f".into()], script)
        }
        Shell::Fish => {
            let script = format!("source $STUB; or exit 99\ncomplete -C {}\n", quote(line));
            ("fish", vec!["--no-config".into()], script)
        }
    };
    let stub = match shell {
        Shell::Bash => "completions/rfou.bash",
        Shell::Zsh => "completions/_rfou",
        Shell::Fish => "completions/rfou.fish",
    };
    let out = Command::new(program)
        .args(&args)
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("STUB", root().join(stub))
        .env("PATH", path_with_rfou())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): install it (`apt-get install {program}`)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{shell:?} completion of {line:?} failed ({}):\n{stderr}",
        out.status
    );
    let mut reply: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        // fish prints "word<TAB>description".
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .filter(|l| !l.is_empty())
        .collect();
    reply.sort();
    reply.dedup();
    reply
}

fn sorted(words: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    v.sort();
    v
}

/// The same lines, through each shell's stub and the real completer.
fn completes_in(shell: Shell) {
    let dir = std::env::temp_dir().join(format!("rfou-complete-{shell:?}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("state.toml"), "").expect("temp file");
    let complete = |line: &str| shell_complete(shell, line, &dir);
    let without = |line: &str, word: &str| {
        let found = complete(line);
        assert!(
            !found.is_empty() && !found.iter().any(|w| w == word),
            "{shell:?}: {line:?} offers {word:?} (or nothing): {found:?}"
        );
    };

    assert_eq!(complete("rfou tu"), ["tunnel"]);
    assert_eq!(complete("rfou "), sorted(&completions::command_words()));
    assert_eq!(complete("rfou -n blue tu"), ["tunnel"]);
    assert_eq!(complete("rfou add port 5555 ipp"), ["ipproto"]);
    assert_eq!(
        complete("rfou add port 5555 ipproto "),
        sorted(&PROTOCOLS.iter().map(|(n, _)| *n).collect::<Vec<_>>())
    );
    assert!(complete("rfou add port ").is_empty());
    // What the grammar refuses there is not offered.
    without("rfou add port 5555 ", "port");
    without("rfou tunnel add t1 mode ipip ", "encap-dport");
    without("rfou tunnel change t1 ", "mode");
    assert_eq!(
        complete("rfou tunnel add t1 mode ipip encap fou encap-d"),
        ["encap-dport"]
    );
    assert_eq!(
        complete("rfou tunnel add t1 mode "),
        sorted(TunnelMode::WORDS)
    );
    assert_eq!(complete("rfou tun ad t1 mo "), sorted(TunnelMode::WORDS));
    assert_eq!(complete("rfou tunnel encap dev t1 "), sorted(ENCAP_TYPES));
    assert_eq!(complete("rfou tunnel "), sorted(TUNNEL));
    assert_eq!(complete("rfou show "), sorted(PORT_SHOW));
    assert_eq!(complete("rfou help "), sorted(TOPICS));
    // An IPv6 address is one word to rfou, whatever bash's word breaks say.
    assert_eq!(
        complete("rfou add port 1 gue -6 local 2001:db8::1 pe"),
        ["peer", "peer_port"]
    );
    // Devices of this namespace: lo is always there.
    assert!(complete("rfou add port 1 gue local 192.0.2.1 dev ").contains(&"lo".to_string()));
    assert!(complete("rfou -j -").contains(&"--batch".to_string()));
    // Files where a file goes.
    assert!(complete("rfou -b ").contains(&"state.toml".to_string()));
    assert_eq!(complete("rfou apply --check s"), ["state.toml"]);
    assert_eq!(
        complete("rfou apply --check state.toml --"),
        ["--defer-bound", "--prune"]
    );
    assert_eq!(complete("rfou apply --defer-bound --"), ["--check"]);
    assert!(complete("rfou export ").is_empty());
    assert_eq!(complete("rfou import "), ["networkd"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bash_completes_through_rfou() {
    completes_in(Shell::Bash);
}

#[test]
fn zsh_completes_through_rfou() {
    completes_in(Shell::Zsh);
}

#[test]
fn fish_completes_through_rfou() {
    completes_in(Shell::Fish);
}

/// The zsh stub under zsh's real completion system: an interactive zsh (in a pseudo-terminal,
/// `zpty`) runs compinit, which finds the stub by its `#compdef` line, and a tab after each
/// line. What the stub hands to `compadd` is recorded and compared.
#[test]
fn zsh_compsys_loads_the_stub_and_offers_its_words() {
    let dir = std::env::temp_dir().join(format!("rfou-compsys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let driver = r#"
zmodload zsh/zpty || exit 99
out=$1; shift
zpty z zsh -f -i
zpty -w z "PS1='' RPROMPT=''; fpath=(${STUB:h} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \"[\${^m}]\" >$out; builtin compadd \"\$@\"; }"
for line in "$@"; do
    rm -f $out
    zpty -w -n z "$line"$'\t'
    # Wait for the capture (up to 20 s on a busy machine), then clear the line (^U).
    for i in {1..200}; do [[ -s $out ]] && break; sleep 0.1; done
    zpty -w -n z $'\C-u'
    print -r -- "$line=>$(<$out)"
done
zpty -d z
"#;
    let lines = [
        "rfou tu",
        "rfou add port 5555 ",
        "rfou tunnel add t1 mode ipip ",
        "rfou tunnel change t1 ",
    ];
    let out = Command::new("zsh")
        .args(["-f", "-c", driver, "zsh"])
        .arg(dir.join("capture"))
        .args(lines)
        .env("STUB", root().join("completions/_rfou"))
        .env("PATH", path_with_rfou())
        .output()
        .unwrap_or_else(|e| panic!("cannot run zsh ({e}): install it (`apt-get install zsh`)"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "zsh: {}\n{text}", out.status);
    let offered = |line: &str| -> Vec<String> {
        let found = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{line}=>")))
            .unwrap_or_else(|| panic!("no capture for {line:?}:\n{text}"));
        let found = found.trim_start_matches('[').trim_end_matches(']');
        let mut words: Vec<String> = found.split_whitespace().map(str::to_string).collect();
        words.sort();
        words
    };
    assert_eq!(offered("rfou tu"), ["tunnel"]);
    let ports = offered("rfou add port 5555 ");
    assert!(
        ports.contains(&"gue".to_string()) && !ports.contains(&"port".to_string()),
        "{ports:?}"
    );
    let tunnel = offered("rfou tunnel add t1 mode ipip ");
    assert!(
        tunnel.contains(&"encap".to_string()) && !tunnel.contains(&"encap-dport".to_string()),
        "{tunnel:?}"
    );
    let change = offered("rfou tunnel change t1 ");
    assert!(
        change.contains(&"remote".to_string()) && !change.contains(&"mode".to_string()),
        "{change:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The text between `start` and the next `end` on the line of `script` that begins with
/// `start`: the value of a shell assignment.
fn shell_value<'a>(script: &'a str, start: &str, end: char) -> &'a str {
    let rest = script
        .lines()
        .find_map(|l| l.strip_prefix(start))
        .unwrap_or_else(|| panic!("scripts/test has no line starting {start:?}"));
    let end_at = rest
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    let value = &rest[..end_at];
    assert!(!value.trim().is_empty(), "{start:?} is empty");
    value
}

/// `scripts/test` skips the tests of `FIRST_KERNEL_ONLY` on every kernel but the first and
/// prints `FIRST_KERNEL_ONLY_SENTENCE` in its summary; the README quotes the sentence on a line
/// of its own, and the sentence names each skipped prefix and the first default kernel.
#[test]
fn readme_quotes_the_first_kernel_only_sentence_of_scripts_test() {
    let read = |file: &str| {
        std::fs::read_to_string(root().join(file))
            .unwrap_or_else(|e| panic!("cannot read {file}: {e}"))
    };
    let script = read("scripts/test");
    let sentence = shell_value(&script, "readonly FIRST_KERNEL_ONLY_SENTENCE='", '\'');
    let prefixes = shell_value(&script, "readonly FIRST_KERNEL_ONLY=(", ')');
    let first_kernel = shell_value(&script, "readonly DEFAULT_KERNELS=\"", '"')
        .split_whitespace()
        .next()
        .expect("a default kernel");
    // What the sentence describes is what the script does with it.
    for used in [
        "echo \"$FIRST_KERNEL_ONLY_SENTENCE\"",
        "for prefix in \"${FIRST_KERNEL_ONLY[@]}\"; do only_first+=(--skip \"$prefix\"); done",
    ] {
        assert!(script.contains(used), "scripts/test no longer has: {used}");
    }
    for prefix in prefixes.split_whitespace() {
        assert!(
            sentence.contains(&format!("({prefix})")),
            "the sentence does not name {prefix}: {sentence}"
        );
    }
    assert!(
        sentence.contains(&format!("{first_kernel} in a whole run")),
        "the sentence does not name the first default kernel {first_kernel}: {sentence}"
    );
    let quote = format!("> {sentence}");
    assert!(
        read("README.md").lines().any(|line| line == quote),
        "README.md has no line {quote:?}"
    );
}
