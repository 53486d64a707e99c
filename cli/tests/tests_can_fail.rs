//! The tests themselves, read as text: they keep their assertions, and hold none of the forms
//! that cannot fail.
//!
//! - Each test file has at least as many assertion sites (`assert!`, `assert_eq!`,
//!   `assert_ne!`, `panic!`, `.assert_ok()`, `.assert_fails(`, `expect_err(`, `unwrap_err()`,
//!   `prop_assert`) as [`FLOOR`] says. An assertion removed makes this fail: a test weakened
//!   on purpose says so by lowering its floor in the same commit, with the reason in the commit
//!   message. New assertions need nothing; raise the floor to keep them.
//! - No test compares with an empty string (`contains("")` is always true), asserts `true`, or
//!   drops the output of an rfou run unjudged (`let _ = rf(...)`).
//!
//! docs/proof.md shows both failing on purpose.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The least number of assertion sites of each test file, as of 2026-12-05.
const FLOOR: &[(&str, usize)] = &[
    ("cli/tests/claims.rs", 11),
    ("cli/tests/cli.rs", 38),
    ("cli/tests/generated.rs", 49),
    ("cli/tests/import.rs", 12),
    ("cli/tests/package.rs", 5),
    ("cli/tests/properties.rs", 10),
    ("cli/tests/publish.rs", 17),
    ("cli/tests/systemd.rs", 16),
    ("cli/tests/tests_can_fail.rs", 14),
    ("cli/tests/kernel/ansible.rs", 17),
    ("cli/tests/kernel/apply.rs", 75),
    ("cli/tests/kernel/apply_guard.rs", 14),
    ("cli/tests/kernel/boot.rs", 33),
    ("cli/tests/kernel/complete.rs", 14),
    ("cli/tests/kernel/concurrent.rs", 20),
    ("cli/tests/kernel/errors.rs", 31),
    ("cli/tests/kernel/globals.rs", 8),
    ("cli/tests/kernel/harness.rs", 20),
    ("cli/tests/kernel/harness_modules.rs", 1),
    ("cli/tests/kernel/harness_rfou.rs", 5),
    ("cli/tests/kernel/interop.rs", 57),
    ("cli/tests/kernel/kernels.rs", 14),
    ("cli/tests/kernel/kill.rs", 23),
    ("cli/tests/kernel/library.rs", 58),
    ("cli/tests/kernel/man_examples.rs", 7),
    ("cli/tests/kernel/modules.rs", 19),
    ("cli/tests/kernel/mtu.rs", 23),
    ("cli/tests/kernel/promises.rs", 30),
    ("cli/tests/kernel/promises_export.rs", 9),
    ("cli/tests/kernel/promises_mtu.rs", 4),
    ("cli/tests/kernel/promises_readback.rs", 6),
    ("cli/tests/kernel/promises_words.rs", 65),
    ("cli/tests/kernel/prop_chain.rs", 0),
    ("cli/tests/kernel/prop_model.rs", 1),
    ("cli/tests/kernel/prop_words.rs", 0),
    ("cli/tests/kernel/property.rs", 4),
    ("cli/tests/kernel/runs.rs", 10),
    ("cli/tests/kernel/scale.rs", 41),
    ("cli/tests/kernel/sent.rs", 20),
    ("cli/tests/kernel/show.rs", 53),
    ("cli/tests/kernel/smoke.rs", 23),
    ("cli/tests/kernel/traffic.rs", 43),
    ("cli/tests/kernel/tunnel_json.rs", 7),
    ("cli/tests/kernel/undo.rs", 28),
    ("cli/tests/support/roff.rs", 21),
    ("src/golden/link.rs", 11),
    ("src/golden/mod.rs", 15),
    ("src/golden/reads.rs", 12),
    ("src/properties.rs", 5),
    ("src/state/export_tests.rs", 18),
    ("src/state/tests.rs", 31),
];

const ASSERTIONS: &[&str] = &[
    "assert!(",
    "assert_eq!(",
    "assert_ne!(",
    "panic!(",
    ".assert_ok()",
    ".assert_fails(",
    "expect_err(",
    "unwrap_err()",
    "prop_assert",
];

/// The lines of `text` that are code (comment lines left out).
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn no_test_file_has_fewer_assertions_than_its_floor() {
    let mut below = Vec::new();
    let mut table = Vec::new();
    for (path, floor) in FLOOR {
        let text = read(path);
        let count: usize = code(&text)
            .map(|line| {
                ASSERTIONS
                    .iter()
                    .map(|a| line.matches(a).count())
                    .sum::<usize>()
            })
            .sum();
        table.push(format!("    (\"{path}\", {count}),"));
        if count < *floor {
            below.push(format!(
                "{path}: {count} assertion sites, its floor is {floor}"
            ));
        }
    }
    assert!(
        below.is_empty(),
        "assertions were removed:\n{}\n\nIf that is meant, lower the floor in \
         cli/tests/tests_can_fail.rs in the same commit and say why. Today's counts:\n{}",
        below.join("\n"),
        table.join("\n")
    );
}

/// Every test file of the repository is in [`FLOOR`]: a new one gets its floor.
#[test]
fn every_test_file_has_a_floor() {
    let mut files = Vec::new();
    for dir in [
        "cli/tests",
        "cli/tests/kernel",
        "cli/tests/support",
        "src/golden",
    ] {
        for entry in std::fs::read_dir(root().join(dir)).expect("a test directory") {
            let name = entry
                .expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8");
            if name.ends_with(".rs") && name != "main.rs" && name != "raw_fou.rs" {
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !FLOOR.iter().any(|(path, _)| path == f))
        .collect();
    assert!(
        missing.is_empty(),
        "test files without a floor: {missing:?}"
    );
}

/// The forms that cannot fail, or that drop what a test should judge.
#[test]
fn no_test_holds_a_form_that_cannot_fail() {
    let forms = [
        (
            concat!("contains(", "\"\")"),
            "every string contains the empty one",
        ),
        (concat!("assert!(", "true"), "asserts nothing"),
        (
            concat!("let _ = ", "rf("),
            "an rfou run whose outcome nobody judges",
        ),
        (
            concat!("let _ = ", "rfou("),
            "an rfou run whose outcome nobody judges",
        ),
        (
            concat!("let _ = ", "rf_ok("),
            "an rfou run whose outcome nobody judges",
        ),
    ];
    let mut found = Vec::new();
    for (path, _) in FLOOR {
        let text = read(path);
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (form, why) in forms {
                if line.contains(form) {
                    found.push(format!("{path}:{}: {form}: {why}", n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
