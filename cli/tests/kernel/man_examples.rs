//! The examples of the manual pages work and print what the pages show: every `.EX`/`.EE`
//! block of man/rfou.8, man/rfou-fou.8, man/rfou-tunnel.8 (and of any other page in man/) is
//! run as it stands, with `sh -e`, as root, in a fresh network namespace of its own that has
//! only `lo` up, with the rfou under test first on PATH. A block that fails fails the test,
//! with the block and what it printed; so does one whose output (standard output and error,
//! as a terminal shows them) differs from the output block the page shows after it (marked
//! `.\" example output`; a line `...` in it stands for any lines), and one that prints
//! something with no output block shown. A block
//! that is no script (a sample of messages) is marked `.\" not run: TEST` and must name a
//! test that exists.

#[path = "../support/roff.rs"]
mod roff;

use std::process::{Command, Stdio};

use crate::harness::Netns;

/// What a block did.
struct Run {
    example: roff::Example,
    ok: bool,
    report: String,
}

fn run_example(example: roff::Example, path: &str) -> Run {
    let ns = Netns::new("man");
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns.name(),
            "sh",
            "-e",
            "-c",
            // Standard error into standard output, in the order a terminal shows them.
            &format!("exec 2>&1\n{}", example.script),
        ])
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip netns exec: {e}"));
    let report = format!(
        "{example} ({}):\n--- script\n{}--- stdout\n{}--- stderr\n{}",
        out.status,
        example.script,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed = match &example.output {
        Some(shown) => roff::output_matches(shown, &stdout),
        None => stdout.is_empty(),
    };
    let report = match (&example.output, printed) {
        (_, true) => report,
        (Some(shown), false) => {
            format!("{report}--- the page shows this output, not the above\n{shown}")
        }
        (None, false) => format!("{report}--- it printed, and the page shows no output"),
    };
    Run {
        example,
        ok: out.status.success() && printed,
        report,
    }
}

/// Whether a test function named as `test` (a path; its last part is the name) is in the
/// repository's sources (src/ or cli/tests/).
fn test_exists(test: &str) -> bool {
    let name = test.rsplit("::").next().unwrap_or(test);
    let wanted = format!("fn {name}(");
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut dirs = vec![root.join("src"), root.join("cli/tests")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(&wanted))
            {
                return true;
            }
        }
    }
    false
}

#[test]
fn every_man_page_example_runs() {
    let examples: Vec<roff::Example> = roff::all_pages()
        .iter()
        .flat_map(|page| roff::examples(page))
        .collect();
    assert!(
        examples.len() >= 5,
        "only {} example blocks found in man/: the test would prove little",
        examples.len()
    );
    for page in roff::PAGES {
        assert!(
            examples.iter().any(|e| e.page == *page),
            "man/{page} has no example block"
        );
    }

    for page in roff::all_pages() {
        for block in roff::not_run(&page) {
            assert!(
                test_exists(&block.test),
                "man/{page} line {}: the block not run names {}, which is no test",
                block.line,
                block.test
            );
        }
    }
    let shown = examples.iter().filter(|e| e.output.is_some()).count();
    let total = examples.len();

    let rfou_dir = std::path::Path::new(env!("CARGO_BIN_EXE_rfou"))
        .parent()
        .expect("the directory of rfou")
        .to_string_lossy()
        .into_owned();
    let path = format!(
        "{rfou_dir}:{}",
        std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
    );

    // Each block in its own namespace, so they can run side by side.
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = examples
            .into_iter()
            .map(|example| {
                let path = &path;
                scope.spawn(move || run_example(example, path))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an example thread panicked"))
            .collect()
    });
    let failed: Vec<&Run> = runs.iter().filter(|r| !r.ok).collect();
    for run in &runs {
        eprintln!("{}: {}", run.example, if run.ok { "ok" } else { "FAILED" });
    }
    assert!(
        failed.is_empty(),
        "{} of {} manual examples failed:\n\n{}",
        failed.len(),
        runs.len(),
        failed
            .iter()
            .map(|r| r.report.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        shown * 2 >= total,
        "only {shown} of {total} examples show their output"
    );
}
