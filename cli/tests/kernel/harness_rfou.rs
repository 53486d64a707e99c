//! Runs of the rfou binary the tests are built with, and what each did ([`RfouOutput`]).

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use crate::harness::{cmdline, try_run, Netns, RFOU};

/// What a run of rfou did.
#[derive(Debug, Clone)]
pub struct RfouOutput {
    /// The command line, for messages.
    pub cmdline: String,
    /// Exit status; 128 + N when killed by signal N.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl RfouOutput {
    /// Panics, showing stderr, unless rfou exited 0.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        if self.status != 0 {
            panic!("{self}\nexpected success");
        }
        self
    }

    /// Panics unless rfou exited with `code`.
    #[track_caller]
    pub fn assert_fails(&self, code: i32) -> &Self {
        if self.status != code {
            panic!("{self}\nexpected exit status {code}");
        }
        self
    }

    /// stdout parsed as JSON (for `--json` output); panics if it is not JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{self}\nstdout is not JSON: {e}"))
    }
}

impl std::fmt::Display for RfouOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exited {}\nstderr: {}\nstdout: {}",
            self.cmdline,
            self.status,
            self.stderr.trim_end(),
            self.stdout.trim_end()
        )
    }
}

/// Runs the rfou binary: `rfou -n NAME ARGS...` when a namespace is given, `rfou ARGS...`
/// otherwise (the initial namespace: careful, that is the machine's own).
pub fn rfou(ns: Option<&Netns>, args: &[&str]) -> RfouOutput {
    let mut all = Vec::new();
    if let Some(ns) = ns {
        all.extend(["-n", ns.name()]);
    }
    all.extend_from_slice(args);
    let out = try_run(RFOU, &all);
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    RfouOutput {
        cmdline: cmdline("rfou", &all),
        status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `rfou -n NS ARGS...` with `input` on standard input.
pub fn rfou_stdin(ns: &Netns, args: &[&str], input: &[u8]) -> RfouOutput {
    let mut all = vec!["-n", ns.name()];
    all.extend_from_slice(args);
    let mut child = Command::new(RFOU)
        .args(&all)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rfou");
    let mut stdin = child.stdin.take().expect("stdin");
    // rfou may stop reading (a file too large): what it does not read is no error here.
    let _ = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output().expect("wait for rfou");
    RfouOutput {
        cmdline: format!("rfou {}", all.join(" ")),
        status: out.status.code().unwrap_or(128),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `rfou -n NS WORDS...`, the words given as one line.
#[track_caller]
pub fn rf(ns: &Netns, line: &str) -> RfouOutput {
    rfou(Some(ns), &line.split_whitespace().collect::<Vec<_>>())
}

/// [`rf`], which must succeed.
#[track_caller]
pub fn rf_ok(ns: &Netns, line: &str) -> RfouOutput {
    let out = rf(ns, line);
    out.assert_ok();
    out
}

/// Runs `batch` (lines of rfou) in `ns`, from a file; every line must succeed.
#[track_caller]
pub fn rf_batch(ns: &Netns, batch: &str) {
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(batch.as_bytes()))
        .expect("write the batch file");
    rfou(Some(ns), &["-b", path.to_str().unwrap()]).assert_ok();
    let _ = std::fs::remove_file(&path);
}
