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
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// Runs `playbook`; returns its exit status and, by task name, the result each task
/// registered (written by the playbook to `DIR/NAME.json`).
fn play(dir: &Path, playbook: &str, args: &[&str]) -> (i32, Vec<(String, Value)>) {
    let path = dir.join("play.yml");
    std::fs::write(&path, playbook).expect("write the playbook");
    for name in TASKS {
        let _ = std::fs::remove_file(dir.join(format!("{name}.json")));
    }
    let program = ansible_playbook();
    let python = program.with_file_name("python3");
    let mut cmd = Command::new(&program);
    cmd.args(["-i", "localhost,", "-c", "local", "-M"])
        .arg(root().join("ansible/library"))
        .arg(&path)
        .args(args)
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
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tasks = TASKS
        .iter()
        .map(|name| {
            let file = dir.join(format!("{name}.json"));
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("no result of task {name} ({e}):\n{log}"));
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            (name.to_string(), value)
        })
        .collect();
    (out.status.code().unwrap_or(128), tasks)
}

const TASKS: [&str; 2] = ["inline", "file"];

fn playbook(ns: &Netns, dir: &Path, file: &Path) -> String {
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
      register: inline
      ignore_errors: true
    - name: file
      rfou_apply:
        rfou: {RFOU}
        netns: {ns}
        src: {file}
      register: file
      ignore_errors: true
    - name: results
      copy:
        content: "{{{{ item.1 | to_json }}}}"
        dest: "{dir}/{{{{ item.0 }}}}.json"
      check_mode: false
      diff: false
      loop: [[inline, "{{{{ inline }}}}"], [file, "{{{{ file }}}}"]]
"#,
        ns = ns.name(),
        file = file.display(),
        dir = dir.display()
    )
}

fn changed(tasks: &[(String, Value)]) -> Vec<(String, bool)> {
    tasks
        .iter()
        .map(|(name, r)| (name.clone(), r["changed"].as_bool().unwrap_or(false)))
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
    let book = playbook(&ns, &dir, &file);
    let ports = |ns: &Netns| ns.ip_json(&["fou", "show"]).as_array().map_or(0, Vec::len);

    let (status, tasks) = play(&dir, &book, &["--check", "--diff"]);
    assert_eq!(status, 0, "{tasks:?}");
    assert_eq!(
        changed(&tasks),
        [("inline".to_string(), true), ("file".to_string(), true)]
    );
    let diff = tasks[0].1["diff"].to_string();
    assert!(diff.contains("+ port 5555 ipproto 4"), "{diff}");
    assert_eq!(ports(&ns), 0, "check mode changed the namespace");
    assert!(!ns.try_ip(&["link", "show", "dev", "tun1"]).status.success());

    let (status, tasks) = play(&dir, &book, &[]);
    assert_eq!(status, 0, "{tasks:?}");
    assert_eq!(
        changed(&tasks),
        [("inline".to_string(), true), ("file".to_string(), true)]
    );
    assert_eq!(ports(&ns), 2);
    assert_eq!(
        ns.link_json("tun1")["linkinfo"]["info_data"]["encap"]["dport"],
        5555
    );

    let (status, tasks) = play(&dir, &book, &[]);
    assert_eq!(status, 0, "{tasks:?}");
    assert_eq!(
        changed(&tasks),
        [("inline".to_string(), false), ("file".to_string(), false)]
    );

    // A bad state fails the task with rfou's message, and nothing is changed.
    let bad = book.replace("ipproto: ipip", "ipproto: 0");
    let (_, tasks) = play(&dir, &bad, &[]);
    assert_eq!(tasks[0].1["failed"], true, "{tasks:?}");
    let msg = tasks[0].1["msg"].as_str().unwrap_or("");
    assert!(
        msg.contains("<stdin>:") && msg.contains("ipproto = 0"),
        "{msg}"
    );
    assert_eq!(ports(&ns), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
