//! The Ansible collection rfou.fou (the repository's ansible/) for real: one run of
//! ansible/tests/playbooks/two_ends.yml drives two inventory hosts, two network namespaces
//! joined by a veth pair (connection local, each host's namespace and addresses in its
//! inventory variables), through five plays:
//! - Converge: both ends of a FOU tunnel (a receive port and an ipip tunnel with a non-ASCII
//!   name on each side) are made, and ping crosses the tunnel;
//! - Again: the same tasks change nothing anywhere; the live state read as facts applies back
//!   unchanged; a bad state and an empty state with prune fail, changing nothing;
//! - Drift by hand: iproute2 gives the left end's tunnel another encap-dport and deletes the
//!   right end's port, and ping fails;
//! - Check (check and diff mode): both drifts are reported as rfou's plan, nothing changed;
//! - Repair: both ends changed back, and ping crosses again.
//!
//! Each play reads the namespaces' state with iproute2 where the test compares it (`state`).
//!
//! One run, not one per step: under emulation each start of ansible-playbook costs minutes of
//! Python (ansible-playbook --version took 150 s in a VM on a busy host, 2026-12-05).
//! For the same reason the collection is used from the source tree (ansible_collections/rfou/fou
//! is a link to ansible/) rather than built and installed here: scripts/ansible-check builds
//! the artifact, installs it and renders its modules from the installed copy.
//! ansible-core is taken from `target/ansible` (the venv scripts/test and scripts/ansible-check
//! install), else from PATH; the test fails without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

use crate::harness::{underlay_pair, Netns, A4, B4, INNER_A4, INNER_B4, RFOU};

/// The tunnel's name on both hosts: non-ASCII, so the play's text must reach rfou and the
/// kernel as UTF-8 (6 bytes, within a device name's 15).
const TUNNEL: &str = "fou-ü";
const PORT: u16 = 5555;
/// The destination port the drift gives the left end's tunnel.
const DRIFT_PORT: u16 = 6666;
const HOSTS: [&str; 2] = ["left", "right"];

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The directory of ansible-playbook: the venv's, else PATH's.
fn ansible_bin() -> PathBuf {
    let venv = root().join("target/ansible/bin");
    if venv.join("ansible-playbook").exists() {
        return venv;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths).find(|p| p.join("ansible-playbook").exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "ansible-playbook not found in target/ansible/bin or on PATH: scripts/test and \
                 scripts/ansible-check install ansible-core there"
            )
        })
}

/// ansible-core, the collection, and a directory of the test's own for Ansible's files (the
/// repository is read-only in the VM).
struct Ansible {
    bin: PathBuf,
    dir: PathBuf,
}

impl Ansible {
    /// Makes the collection directory: ansible_collections/rfou/fou, a link to ansible/.
    fn new() -> Ansible {
        let dir = std::env::temp_dir().join(format!("rfou-ansible-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let namespace = dir.join("collections/ansible_collections/rfou");
        std::fs::create_dir_all(&namespace).expect("temp dir");
        std::os::unix::fs::symlink(root().join("ansible"), namespace.join("fou"))
            .expect("link the collection");
        Ansible {
            bin: ansible_bin(),
            dir,
        }
    }

    /// Writes the inventory: hosts `left` (namespace `a`) and `right` (`b`), the two ends.
    fn inventory(&self, a: &Netns, b: &Netns) -> PathBuf {
        let mut text = String::from("[fou_ends]\n");
        for (host, ns, underlay, peer, inner, peer_inner) in [
            ("left", a, A4, B4, INNER_A4, INNER_B4),
            ("right", b, B4, A4, INNER_B4, INNER_A4),
        ] {
            text += &format!(
                "{host} rfou_netns={} underlay={underlay} peer_underlay={peer} inner={inner} \
                 peer_inner={peer_inner}\n",
                ns.name()
            );
        }
        text += "\n[fou_ends:vars]\nansible_connection=local\n";
        let python = self.bin.join("python3");
        if python.exists() {
            text += &format!("ansible_python_interpreter={}\n", python.display());
        }
        let path = self.dir.join("inventory.ini");
        std::fs::write(&path, text).expect("write the inventory");
        path
    }

    /// Runs the playbook with the default callback printing each result as JSON on one line
    /// (`-v`); returns what each task did on each host.
    fn play(&self, inventory: &Path) -> Run {
        let vars = json!({
            "rfou_program": RFOU, "tunnel": TUNNEL, "fou_port": PORT, "drift_port": DRIFT_PORT,
        });
        let started = Instant::now();
        let out = Command::new("timeout")
            // A bound, so that a hang shows what it had done rather than stalling the suite.
            .arg("3000")
            .arg(self.bin.join("ansible-playbook"))
            .arg("-v")
            .arg("-i")
            .arg(inventory)
            .arg("-e")
            .arg(vars.to_string())
            .arg(root().join("ansible/tests/playbooks/two_ends.yml"))
            .env("ANSIBLE_HOME", self.dir.join("home"))
            .env("ANSIBLE_LOCAL_TEMP", self.dir.join("tmp"))
            .env("ANSIBLE_REMOTE_TEMP", self.dir.join("tmp"))
            .env("ANSIBLE_COLLECTIONS_PATH", self.dir.join("collections"))
            .env("ANSIBLE_STDOUT_CALLBACK", "default")
            .env("ANSIBLE_CALLBACK_RESULT_FORMAT", "json")
            .env("ANSIBLE_CALLBACK_FORMAT_PRETTY", "false")
            .env("ANSIBLE_NOCOLOR", "1")
            // The module goes to Python on its standard input: no temporary files, and no
            // shell commands to make and remove them, each a process under emulation.
            .env("ANSIBLE_PIPELINING", "1")
            // ansible-core refuses to start unless the locale's encoding is UTF-8.
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run ansible-playbook");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        println!(
            "ansible-playbook: {:.1} s\n{stdout}\n{}",
            started.elapsed().as_secs_f64(),
            String::from_utf8_lossy(&out.stderr)
        );
        Run::parse(out.status.code().unwrap_or(128), stdout)
    }
}

impl Drop for Ansible {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One task's result on one host.
#[derive(Debug)]
struct TaskResult {
    /// `ok`, `changed`, `fatal`, `skipping`.
    status: String,
    result: Value,
    /// What the callback printed between the previous result and this one: the task's diff
    /// in diff mode.
    shown: String,
}

/// What a run of ansible-playbook did: each task's result, by play, task and host.
struct Run {
    status: i32,
    results: BTreeMap<(String, String, String), TaskResult>,
    stdout: String,
}

impl Run {
    /// Reads the default callback's output: `PLAY [NAME] ***`, `TASK [NAME] ***`, then per
    /// host `STATUS: [HOST] => {JSON}` (`fatal: [HOST]: FAILED! => {JSON}`).
    fn parse(status: i32, stdout: String) -> Run {
        let mut results = BTreeMap::new();
        let (mut play, mut task, mut shown) = (String::new(), String::new(), String::new());
        let bracketed = |rest: &str| {
            rest.rsplit_once("] ")
                .map_or(rest, |(name, _)| name)
                .to_string()
        };
        for line in stdout.lines() {
            if let Some(rest) = line.strip_prefix("PLAY [") {
                play = bracketed(rest);
            } else if let Some(rest) = line.strip_prefix("TASK [") {
                task = bracketed(rest);
                shown.clear();
            } else if let Some((head, json)) = line.split_once(" => {") {
                let (status, host) = head
                    .split_once(": [")
                    .and_then(|(s, h)| Some((s, h.split_once(']')?.0)))
                    .unwrap_or_else(|| panic!("not a result line: {line}"));
                let result = serde_json::from_str(&format!("{{{json}"))
                    .unwrap_or_else(|e| panic!("{e}: {line}"));
                let shown = std::mem::take(&mut shown);
                let key = (play.clone(), task.clone(), host.to_string());
                let status = status.to_string();
                results.insert(
                    key,
                    TaskResult {
                        status,
                        result,
                        shown,
                    },
                );
            } else {
                shown += line;
                shown.push('\n');
            }
        }
        Run {
            status,
            results,
            stdout,
        }
    }

    #[track_caller]
    fn get(&self, play: &str, task: &str, host: &str) -> &TaskResult {
        let key = (play.to_string(), task.to_string(), host.to_string());
        self.results
            .get(&key)
            .unwrap_or_else(|| panic!("no result of {key:?}:\n{}", self.stdout))
    }

    #[track_caller]
    fn changed(&self, play: &str, task: &str, host: &str) -> bool {
        let result = &self.get(play, task, host).result;
        result["changed"]
            .as_bool()
            .unwrap_or_else(|| panic!("no changed in {play}/{task} on {host}: {result}"))
    }

    /// The exit status of a raw task (`ping`).
    #[track_caller]
    fn rc(&self, play: &str, task: &str, host: &str) -> i64 {
        let result = &self.get(play, task, host).result;
        result["rc"]
            .as_i64()
            .unwrap_or_else(|| panic!("no rc in {play}/{task} on {host}: {result}"))
    }

    /// The namespace's ports and links as the play's `state` task read them (`ip -j fou
    /// show`, `ip -j -d link show`).
    #[track_caller]
    fn state(&self, play: &str, host: &str) -> (Value, Value) {
        let result = &self.get(play, "state", host).result;
        let stdout = result["stdout"].as_str().unwrap_or_default();
        let (ports, links) = stdout
            .split_once("#links")
            .unwrap_or_else(|| panic!("{play}/state on {host}: {result}"));
        let parse = |text: &str| -> Value {
            // iproute2 prints nothing at all for an empty list of ports.
            let text = text.trim();
            if text.is_empty() {
                return json!([]);
            }
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{play}/state on {host}: {e}: {text}"))
        };
        (parse(ports), parse(links))
    }
}

/// What `ip -j fou show` prints for one IPv4 receive port of ipip.
fn fou_show(port: u16) -> Value {
    json!([{"port": port, "ipproto": 4, "family": "inet"}])
}

/// The encap destination port of TUNNEL among `ip -j -d link show`'s links.
#[track_caller]
fn encap_dport(links: &Value) -> Value {
    let tunnel = links
        .as_array()
        .and_then(|links| links.iter().find(|l| l["ifname"] == TUNNEL))
        .unwrap_or_else(|| panic!("no {TUNNEL} in {links}"));
    tunnel["linkinfo"]["info_data"]["encap"]["dport"].clone()
}

#[test]
fn collection_converges_two_hosts_reports_drift_and_carries_traffic() {
    let started = Instant::now();
    let (a, b) = underlay_pair("ansible");
    let ansible = Ansible::new();
    let run = ansible.play(&ansible.inventory(&a, &b));
    assert_eq!(run.status, 0, "ansible-playbook failed:\n{}", run.stdout);

    // Converge: both ends made, as the play says (the tunnel's name reached the kernel as
    // written), and traffic crosses.
    for host in HOSTS {
        assert!(run.changed("Converge", "fou", host) && run.changed("Converge", "address", host));
        let (ports, links) = run.state("Converge", host);
        assert_eq!(ports, fou_show(PORT), "{host}");
        assert_eq!(encap_dport(&links), PORT, "{host}");
        assert_eq!(
            run.rc("Converge", "ping", host),
            0,
            "{host}: no ping across the tunnel"
        );
    }

    // Again: nothing changed anywhere; the facts are the live state and apply back unchanged;
    // a bad state and an empty state with prune failed, changing nothing.
    for ((play, task, host), done) in run
        .results
        .range(("Again".to_string(), String::new(), String::new())..)
    {
        if play != "Again" {
            break;
        }
        assert_eq!(
            done.result["changed"], false,
            "Again/{task} on {host}: {done:?}"
        );
    }
    for host in HOSTS {
        assert_eq!(
            run.state("Again", host),
            run.state("Converge", host),
            "{host} changed"
        );
    }
    let fact = &run.get("Again", "facts", "left").result["ansible_facts"]["rfou"];
    assert_eq!(fact["netns"], a.name());
    assert_eq!(
        fact["port"],
        json!([{"port": PORT, "ipproto": 4}]),
        "{fact}"
    );
    assert_eq!(fact["tunnel"][0]["name"], TUNNEL, "{fact}");
    assert_eq!(fact["tunnel"][0]["remote"], B4, "{fact}");
    assert_eq!(fact["tunnel"][0]["encap-dport"], PORT, "{fact}");
    let bad = run.get("Again", "bad state", "left");
    assert_eq!(
        (bad.status.as_str(), bad.result["rc"].as_i64()),
        ("fatal", Some(2)),
        "{bad:?}"
    );
    let msg = bad.result["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("<stdin>:") && msg.contains("ipproto"), "{msg}");
    let empty = run.get("Again", "empty prune", "left");
    assert_eq!(empty.status, "fatal", "{empty:?}");
    assert!(
        empty.result["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("allow_empty_prune"),
        "{empty:?}"
    );

    // Drift by hand: the left end sends to another port, the right end lost its port, and
    // traffic stops.
    assert_eq!(
        encap_dport(&run.state("Drift by hand", "left").1),
        DRIFT_PORT
    );
    assert_eq!(run.state("Drift by hand", "right").0, json!([]));
    for host in HOSTS {
        assert_ne!(
            run.rc("Drift by hand", "ping", host),
            0,
            "{host}: ping crossed a broken tunnel"
        );
    }

    // Check and diff mode: each drift is in the plan, and nothing changed.
    let expected = [
        (
            "left",
            format!("~ tunnel {TUNNEL} encap-dport {DRIFT_PORT} -> {PORT}"),
        ),
        ("right", format!("+ port {PORT} ipproto 4")),
    ];
    for (host, line) in expected {
        let fou = run.get("Check", "fou", host);
        assert!(
            fou.result["changed"] == true && fou.shown.contains(&line),
            "{host}: no {line:?} in {fou:?}"
        );
        assert_eq!(
            run.state("Check", host),
            run.state("Drift by hand", host),
            "check mode changed {host}"
        );
    }

    // Repair: changed back on both ends, traffic crosses again; the kernel agrees.
    for host in HOSTS {
        assert!(run.changed("Repair", "fou", host));
        assert!(
            !run.changed("Repair", "address", host),
            "{host}: the address was lost"
        );
        assert_eq!(
            run.rc("Repair", "ping", host),
            0,
            "{host}: no ping after the repair"
        );
    }
    for ns in [&a, &b] {
        assert_eq!(ns.ip_json(&["fou", "show"]), fou_show(PORT));
        assert_eq!(
            ns.link_json(TUNNEL)["linkinfo"]["info_data"]["encap"]["dport"],
            PORT
        );
    }
    a.ping_ok(INNER_B4);
    println!(
        "the Ansible test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
