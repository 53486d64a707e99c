//! The examples of the manual pages work: every `.EX`/`.EE` block of man/rfou.8,
//! man/rfou-fou.8, man/rfou-tunnel.8 (and of any other page in man/) is run as it stands,
//! with `sh -e`, as root, in a fresh network namespace of its own that has only `lo` up,
//! with the rfou under test first on PATH. A block that fails fails the test, with the
//! block and what it printed.

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
            &example.script,
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
    Run {
        example,
        ok: out.status.success(),
        report,
    }
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
}
