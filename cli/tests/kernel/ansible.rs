//! The Ansible module (ansible/library/rfou_apply.py) for real: ansible-core runs a playbook
//! with connection local against a test namespace. Check mode changes nothing; the first run
//! is changed, the second is not; diff mode shows rfou's plan; a bad state fails with rfou's
//! message.
//!
//! ansible-playbook is taken from `target/ansible` (a venv: `python3 -m venv target/ansible &&
//! target/ansible/bin/pip install ansible-core`), else from PATH; the test fails without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Netns, A4, RFOU};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn ansible_playbook() -> PathBuf {
    let venv = root().join("target/ansible/bin/ansible-playbook");
    if venv.exists() {
        return venv;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("ansible-playbook"))
            .find(|p| p.exists())
    });
    found.unwrap_or_else(|| {
        panic!(
            "ansible-playbook not found: python3 -m venv target/ansible && \
             target/ansible/bin/pip install ansible-core"
        )
    })
}

/// Runs `playbook` with the `minimal` callback; returns its exit status and the result of
/// each task, in order (the callback prints `localhost | STATUS => {JSON}` per task, after
/// the task's diff in diff mode), and the output.
fn play(dir: &Path, playbook: &str, args: &[&str]) -> (i32, Vec<Value>, String) {
    let path = dir.join("play.yml");
    std::fs::write(&path, playbook).expect("write the playbook");
    let program = ansible_playbook();
    let python = program.with_file_name("python3");
    // A bound on a play, so a hang shows what it had done rather than stalling the suite.
    let mut cmd = Command::new("timeout");
    cmd.arg("300")
        .arg(&program)
        .args(["-i", "localhost,", "-c", "local", "-M"])
        .arg(root().join("ansible/library"))
        .arg(&path)
        .args(args)
        .env("ANSIBLE_STDOUT_CALLBACK", "minimal")
        .env("ANSIBLE_HOME", dir.join("home"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join("tmp"))
        .env("ANSIBLE_REMOTE_TEMP", dir.join("tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        // ansible-core refuses to start unless the locale's encoding is UTF-8.
        .env("LC_ALL", "C.UTF-8");
    if python.exists() {
        cmd.arg("-e")
            .arg(format!("ansible_python_interpreter={}", python.display()));
    }
    let out = cmd.output().expect("run ansible-playbook");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let results = stdout
        .split("localhost | ")
        .skip(1)
        .map(|chunk| {
            let json = chunk
                .find('{')
                .and_then(|start| Some((start, chunk.find("\n}")? + 2)))
                .map(|(start, end)| &chunk[start..end])
                .unwrap_or_else(|| panic!("no result in: {chunk}"));
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
        })
        .collect();
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(128), results, stdout)
}

fn playbook(ns: &Netns, file: &Path) -> String {
    format!(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: inline
      rfou_apply:
        rfou: {RFOU}
        netns: {ns}
        state:
          port:
            - {{port: 5555, ipproto: ipip}}
          tunnel:
            - {{name: tun1, mode: ipip, local: "{A4}", remote: 192.0.2.2, encap: fou, encap-dport: 5555, up: true}}
    - name: file
      rfou_apply:
        rfou: {RFOU}
        netns: {ns}
        src: {file}
"#,
        ns = ns.name(),
        file = file.display()
    )
}

/// A task whose state rfou refuses (ipproto 0).
fn bad_task(ns: &Netns) -> String {
    format!(
        r#"    - name: bad
      rfou_apply:
        rfou: {RFOU}
        netns: {ns}
        state:
          port:
            - {{port: 7000, ipproto: 0}}
      ignore_errors: true
"#,
        ns = ns.name()
    )
}

fn changed(results: &[Value]) -> Vec<bool> {
    results
        .iter()
        .map(|r| r["changed"].as_bool().unwrap_or(false))
        .collect()
}

#[test]
fn playbook_check_then_changed_then_unchanged() {
    let ns = Netns::new("ansible");
    ns.ip_batch(&format!(
        "link add dummy0 type dummy\naddr add {A4}/24 dev dummy0\nlink set dummy0 up"
    ));
    let dir = std::env::temp_dir().join(format!("rfou-ansible-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("state.toml");
    std::fs::write(&file, "[[port]]\nport = 6000\ngue = true\n").expect("state file");
    let book = playbook(&ns, &file);
    let ports = |ns: &Netns| ns.ip_json(&["fou", "show"]).as_array().map_or(0, Vec::len);

    let (status, results, stdout) = play(&dir, &book, &["--check", "--diff"]);
    assert_eq!(status, 0, "{results:?}");
    assert_eq!(changed(&results), [true, true]);
    // The diff of the first task: rfou's plan, printed before its result.
    let diff = stdout.split("localhost | ").next().unwrap_or("");
    assert!(
        diff.contains("+ port 5555 ipproto 4") && diff.contains("+ tunnel tun1 mode ipip"),
        "{stdout}"
    );
    assert_eq!(ports(&ns), 0, "check mode changed the namespace");
    assert!(!ns.try_ip(&["link", "show", "dev", "tun1"]).status.success());

    let (status, results, _) = play(&dir, &book, &[]);
    assert_eq!(status, 0, "{results:?}");
    assert_eq!(changed(&results), [true, true]);
    assert_eq!(ports(&ns), 2);
    assert_eq!(
        ns.link_json("tun1")["linkinfo"]["info_data"]["encap"]["dport"],
        5555
    );

    // Run again: unchanged; and a bad state fails its task with rfou's message, changing
    // nothing.
    let (_, results, stdout) = play(&dir, &(book.clone() + &bad_task(&ns)), &[]);
    assert!(stdout.contains("localhost | FAILED!"), "{stdout}");
    assert_eq!(changed(&results), [false, false, false], "{results:?}");
    // The minimal callback says FAILED! outside the JSON; rfou's exit status is in it.
    assert_eq!(results[2]["rc"], 2, "{results:?}");
    let msg = results[2]["msg"].as_str().unwrap_or("");
    assert!(
        msg.contains("<stdin>:") && msg.contains("ipproto = 0"),
        "{msg}"
    );
    assert_eq!(ports(&ns), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
