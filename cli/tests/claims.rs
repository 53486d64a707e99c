//! What the README, docs/ and the manual pages claim is held to what backs it:
//! - they link only to files a clone of the repository holds (no `../`, no path that is not
//!   there);
//! - every test they name as the one that checks a claim (`module::test_name`) exists;
//! - the kernel dump's loss they give is the one docs/kernels.md measured (written by
//!   scripts/kernel-facts);
//! - CI runs exactly `scripts/test`, as the README says.
//!
//! Claims whose numbers the kernel checks (64 requests to a `sendto`) are read by the kernel
//! test that counts them (`sent::`); the manual's examples and their output by
//! `man_examples::`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md, docs/*.md and man/*.8, each with its text (roff's `\-` read as `-`).
fn documents() -> Vec<(String, String)> {
    let mut out = vec![("README.md".to_string(), read(&root().join("README.md")))];
    for dir in ["docs", "man"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{dir}/: {e}"))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".md") || n.ends_with(".8"))
            .collect();
        names.sort();
        for name in names {
            let path = format!("{dir}/{name}");
            out.push((path.clone(), read(&root().join(&path)).replace("\\-", "-")));
        }
    }
    out
}

/// The words of `text`, split at blanks, quotes, brackets and backticks, without the
/// punctuation after them; and whether each was cut short with `...` (a name given by its
/// start).
fn words(text: &str) -> impl Iterator<Item = (&str, bool)> {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '`' | '(' | ')' | '[' | ']' | '"' | '\'' | '<' | '>' | '|'
            )
    })
    .map(|w| {
        let cut = w.trim_end_matches([',', ';', ':']).ends_with("...");
        (w.trim_end_matches(['.', ',', ';', ':']), cut)
    })
    .filter(|(w, _)| !w.is_empty())
}

/// The files a clone holds (`git ls-files`; the working tree's where there is no git), and
/// their directories.
struct Clone {
    files: rfou::maps::HashSet<String>,
    dirs: rfou::maps::HashSet<String>,
    git: bool,
}

impl Clone {
    fn read() -> Clone {
        let out = std::process::Command::new("git")
            .args(["ls-files", "-z"])
            .current_dir(root())
            .output()
            .ok()
            .filter(|out| out.status.success());
        let files: rfou::maps::HashSet<String> = out
            .map(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .split('\0')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let dirs = files
            .iter()
            .flat_map(|f| f.match_indices('/').map(move |(at, _)| f[..at].to_string()))
            .collect();
        let git = !files.is_empty();
        Clone { files, dirs, git }
    }

    /// Whether `path` (from the repository's root; a directory, with or without its `/`, or
    /// a file) is in the clone; cut short (`...`), whether a file starts with it.
    fn has(&self, path: &str, cut: bool) -> bool {
        if !self.git {
            return cut || root().join(path).exists();
        }
        let path = path.trim_end_matches('/');
        self.files.contains(path)
            || self.dirs.contains(path)
            || (cut && self.files.iter().any(|f| f.starts_with(path)))
    }
}

/// The top-level entries of the repository a path in the documents starts with.
const TOP: &[&str] = &[
    "src/",
    "cli/",
    "docs/",
    "man/",
    "scripts/",
    "bench/",
    "fuzz/",
    "systemd/",
    "packaging/",
    "ansible/",
    "uapi/",
    "completions/",
    ".ci/",
];

#[test]
fn documents_link_only_to_files_of_the_repository() {
    let clone = Clone::read();
    let mut bad = Vec::new();
    for (name, text) in documents() {
        // docs/test-counting.md and docs/proof.md quote the output of runs, paths of the
        // machine they ran on included: only their links count.
        let quotes_runs = matches!(name.as_str(), "docs/test-counting.md" | "docs/proof.md");
        for (at, _) in text.match_indices("](") {
            let target = text[at + 2..].split(')').next().unwrap_or("");
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let base = Path::new(&name).parent().unwrap_or(Path::new(""));
            let target_path = base.join(target);
            let target_path = target_path.to_str().unwrap_or("");
            if !clone.has(target_path.trim_start_matches("./"), false) {
                bad.push(format!(
                    "{name}: a link to {target}, which is not in the repository"
                ));
            }
        }
        if quotes_runs {
            continue;
        }
        for (word, cut) in words(&text) {
            if word.contains("../") {
                bad.push(format!("{name}: {word} leaves the repository"));
                continue;
            }
            // A path of the repository: under one of its top directories, or any relative
            // path to a file of a kind the repository holds.
            let relative_file = !word.starts_with(['/', '~', '.'])
                && word.contains('/')
                && !word.contains("://")
                && [
                    ".rs", ".md", ".8", ".toml", ".py", ".sh", ".service", ".yml",
                ]
                .iter()
                .any(|ext| word.ends_with(ext));
            let is_path = relative_file || TOP.iter().any(|top| word.starts_with(top));
            // A pattern or a placeholder names no one file.
            let pattern = word.contains(['*', '{', '$']) || word.chars().any(|c| c.is_uppercase());
            // A relative path may be given from the directory its paragraph is about
            // (`fou/mod.rs` of src/): it must be there under one of the top directories.
            let found = clone.has(word, cut)
                || (relative_file
                    && TOP
                        .iter()
                        .any(|top| clone.has(&format!("{top}{word}"), cut)));
            if is_path && !pattern && !found {
                bad.push(format!("{name}: {word} is not in the repository"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Whether a function `fn NAME(` is in a Rust file under `dir`.
fn has_fn(dir: &Path, name: &str) -> bool {
    let wanted = format!("fn {name}(");
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                has_fn(&path, name)
            } else {
                path.extension().is_some_and(|e| e == "rs") && read(&path).contains(&wanted)
            }
        })
}

#[test]
fn the_tests_the_documents_name_exist() {
    let mut named = 0;
    let mut missing = Vec::new();
    for (name, text) in documents() {
        // Fenced blocks of the docs quote commands and their output as they ran, dated:
        // history, not claims of what the repository holds now.
        let mut fenced = false;
        let claims = text.lines().filter(|line| {
            if line.starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        });
        for (word, checked_by) in claims.flat_map(|line| {
            let checked_by = line.contains("checked by:");
            words(line).map(move |(word, _)| (word, checked_by))
        }) {
            let parts: Vec<&str> = word.split("::").collect();
            let test = parts.last().copied().unwrap_or("");
            // `module::test_name`; on a line that says `checked by:` (the manual's comments),
            // also a bare name of at least four words, as the tests of cli/tests/*.rs go.
            let snake = word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':');
            let looks_like_a_test = snake
                && ((parts.len() >= 2 && test.matches('_').count() >= 2)
                    || (checked_by && parts.len() == 1 && test.matches('_').count() >= 3));
            if !looks_like_a_test {
                continue;
            }
            named += 1;
            if !has_fn(&root().join("src"), test) && !has_fn(&root().join("cli"), test) {
                missing.push(format!("{name}: {word}"));
            }
        }
    }
    assert!(
        named >= 20,
        "only {named} tests named: the documents name fewer than they did"
    );
    assert!(missing.is_empty(), "no such test:\n{}", missing.join("\n"));
}

/// A number with a comma between thousands, as the documents write it.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The README and rfou-fou(8) give the dump's loss as docs/kernels.md measured it: "N of M
/// IPv4 ports on each of K1, K2 and K3", where every kernel lost the same; per kernel otherwise.
#[test]
fn the_dump_loss_the_documents_give_is_the_one_docs_kernels_md_measured() {
    let kernels = read(&root().join("docs/kernels.md"));
    let row = |name: &str| -> Vec<String> {
        let line = kernels
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("docs/kernels.md has no row \"{name}\""));
        line.split('|')
            .map(|cell| cell.trim().trim_matches('`').to_string())
            .filter(|cell| !cell.is_empty())
            .skip(1)
            .collect()
    };
    let names: Vec<String> = row("kernel");
    let added: Vec<u64> = row("added").iter().filter_map(|c| c.parse().ok()).collect();
    let listed: Vec<u64> = row("ip").iter().filter_map(|c| c.parse().ok()).collect();
    let kernels: Vec<&String> = names.iter().filter(|n| n.as_str() != "differs").collect();
    assert!(!kernels.is_empty() && added.len() == kernels.len() && listed.len() == kernels.len());
    let lost: Vec<u64> = added.iter().zip(&listed).map(|(a, l)| a - l).collect();
    let claim = if lost.iter().all(|l| *l == lost[0]) && added.iter().all(|a| *a == added[0]) {
        let (last, first) = kernels.split_last().expect("kernels");
        let first: Vec<&str> = first.iter().map(|k| k.as_str()).collect();
        format!(
            "{} of {} IPv4 ports on each of {} and {}",
            lost[0],
            thousands(added[0]),
            first.join(", "),
            last
        )
    } else {
        let each: Vec<String> = kernels
            .iter()
            .zip(lost.iter().zip(&added))
            .map(|(k, (l, a))| format!("{l} of {} on {k}", thousands(*a)))
            .collect();
        format!("IPv4 ports: {}", each.join(", "))
    };
    for (name, text) in documents() {
        if name != "README.md" && name != "man/rfou-fou.8" {
            continue;
        }
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&claim),
            "{name} should give the dump's loss as docs/kernels.md measured it: \"{claim}\""
        );
    }
}

#[test]
fn ci_runs_exactly_scripts_test() {
    let run = read(&root().join(".ci/run"));
    let commands: Vec<&str> = run
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("set ") && !l.starts_with("cd "))
        .collect();
    assert_eq!(commands, ["exec scripts/test"], ".ci/run:\n{run}");
    let readme = read(&root().join("README.md"));
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("CI (`.ci/run`) runs exactly `scripts/test`"));
}
