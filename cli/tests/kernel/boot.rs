//! What the boot units rely on, against the real kernel: `rfou apply --defer-bound` leaves out
//! exactly the ports the kernel cannot bind yet and applies the rest, and the units' script
//! (systemd/rfou-boot) applies each file on its own, names every failing file, and makes the
//! deferred ports once their address appears. The units themselves, under systemd as PID 1
//! through two real boots, are scripts/boot-test's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::harness::{rfou, Netns, RfouOutput, A4, B4, RFOU};

/// A directory of the test's own, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("rfou-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write a file");
        path.to_str().expect("UTF-8").to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The ports of the namespace as `ip fou show` lists them: (port, local or "").
fn ports(ns: &Netns) -> Vec<(u64, String)> {
    let mut ports: Vec<(u64, String)> = ns
        .ip_json(&["fou", "show"])
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| {
            (
                p["port"].as_u64().expect("a port"),
                p["local"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    ports.sort();
    ports
}

fn stderr_lines(out: &RfouOutput) -> Vec<&str> {
    out.stderr.lines().collect()
}

const BOUND: &str = r#"[[port]]
port = 5555
gue = true

[[port]]
port = 5556
gue = true
local = "10.7.0.1"

[[port]]
port = 5557
gue = true
local = "192.0.2.1"
dev = "late0"

[[port]]
port = 5558
gue = true
local = "192.0.2.1"

[[port]]
port = 5559
gue = true
local = "127.0.0.2"

[[port]]
port = 5560
gue = true
family = "inet6"
local = "2001:db8:77::1"

[[tunnel]]
name = "t1"
mode = "ipip"
local = "192.0.2.1"
remote = "192.0.2.2"
encap = "gue"
encap-dport = 5555
"#;

/// The ports whose address or device is missing, or whose IPv6 address is tentative, are left
/// out and named (FILE:LINE); the rest is applied and the exit status is 0. The kernel
/// refuses each of them when asked, and `--defer-bound` makes them once they can be bound.
#[test]
fn defer_bound_leaves_out_the_ports_that_cannot_be_bound_yet() {
    let ns = Netns::new("defer");
    ns.ip_batch(&format!(
        "link add dummy0 type dummy\naddr add {A4}/24 dev dummy0\nlink set dummy0 up\n\
         link add v0 type veth peer name v1\naddr add 2001:db8:77::1/64 dev v0"
    ));
    // v0 is down: its IPv6 address stays tentative (duplicate address detection waits).
    let v0 = ns.ip_json(&["-6", "addr", "show", "dev", "v0"]);
    assert!(
        v0.to_string().contains("\"tentative\":true"),
        "not tentative: {v0}"
    );
    let dir = Dir::new("defer");
    let file = dir.write("bound.toml", BOUND);

    // Without the option, the file is refused whole and nothing is made.
    let out = rfou(Some(&ns), &["apply", &file]);
    assert_ne!(out.status, 0, "{out}");
    assert_eq!(ports(&ns), []);

    let out = rfou(Some(&ns), &["apply", "--defer-bound", &file]);
    out.assert_ok();
    let place = format!("in namespace \"{}\"", ns.name());
    assert_eq!(
        stderr_lines(&out),
        [
            format!("rfou: {file}:5: port 5556 local 10.7.0.1: deferred: the address is not {place} yet"),
            format!("rfou: {file}:10: port 5557 local 192.0.2.1 dev late0: deferred: the device is not {place} yet"),
            format!("rfou: {file}:26: port 5560 local 2001:db8:77::1: deferred: the address is not {place} yet"),
        ],
        "{out}"
    );
    assert_eq!(
        ports(&ns),
        [
            (5555, String::new()),
            (5558, A4.to_string()),
            (5559, "127.0.0.2".to_string())
        ]
    );
    assert_eq!(
        ns.link_json("t1")["linkinfo"]["info_data"]["encap"]["dport"],
        5555
    );
    // With the deferred ports left out, the namespace is in sync; without, the file still
    // names a device that does not exist.
    let check = rfou(Some(&ns), &["apply", "--check", "--defer-bound", &file]);
    check.assert_ok();
    assert_eq!(check.stderr.lines().count(), 3, "{check}");
    let check = rfou(Some(&ns), &["apply", "--check", &file]);
    check.assert_fails(2);
    assert!(
        check.stderr.contains("device \"late0\" does not exist"),
        "{check}"
    );

    // Each deferred port is refused now, alone: by the kernel (the address, tentative or
    // not held: exit 1), by rfou (no such device: exit 2).
    for (line, status) in [
        ("add port 5556 gue local 10.7.0.1", 1),
        ("add port 5557 gue local 192.0.2.1 dev late0", 2),
        ("add port 5560 gue -6 local 2001:db8:77::1", 1),
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        rfou(Some(&ns), &words).assert_fails(status);
    }

    // Once the address and the device exist (and v0's address is past DAD), they are made.
    ns.sysctl("net.ipv6.conf.v0.accept_dad", "0");
    ns.ip_batch(
        "addr add 10.7.0.1/32 dev dummy0\nlink add late0 type dummy\nlink set late0 up\n\
         link set v1 up\nlink set v0 up",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while ns
        .ip_json(&["-6", "addr", "show", "dev", "v0"])
        .to_string()
        .contains("\"tentative\":true")
    {
        assert!(Instant::now() < deadline, "v0's address stays tentative");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = rfou(Some(&ns), &["apply", "--defer-bound", &file]);
    out.assert_ok();
    assert_eq!(out.stderr, "", "{out}");
    assert_eq!(ports(&ns).len(), 6, "{:?}", ports(&ns));
    rfou(Some(&ns), &["apply", "--check", &file]).assert_ok();
}

/// The units' script, run as rfou-apply.service runs it, inside a namespace.
fn boot_script(ns: &Netns, config: &Path, runtime: &Path, args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns.name()])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../systemd/rfou-boot"))
        .args(args)
        .env("RFOU", RFOU)
        .env("RFOU_CONFIG_DIR", config)
        .env("RFOU_RUNTIME_DIR", runtime)
        .output()
        .expect("run systemd/rfou-boot")
}

fn text(out: &Output) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every `*.toml` applies on its own, in name order (a later file uses the device an earlier
/// one made); a bad file is named with its line and fails the run, and the files after it
/// still apply; a port bound to an address that appears later is made by the late mode,
/// which waits for it within its time.
#[test]
fn the_boot_script_applies_every_file_on_its_own() {
    let ns = Netns::new("boot");
    let dir = Dir::new("boot");
    let config = dir.0.join("etc");
    let runtime = dir.0.join("run");
    std::fs::create_dir_all(&config).expect("dir");
    let conf = |name: &str, text: &str| {
        std::fs::write(config.join(name), text).expect("write");
        config.join(name).to_str().expect("UTF-8").to_string()
    };
    conf("10-ports.toml", "[[port]]\nport = 5555\nipproto = 4\n");
    // The underlay of 30's tunnel: a tunnel without encapsulation.
    conf(
        "20-underlay.toml",
        "[[tunnel]]\nname = \"under0\"\nmode = \"ipip\"\nlocal = \"198.51.100.1\"\nremote = \"198.51.100.2\"\nup = true\n",
    );
    let bad = conf("25-bad.toml", "[[port]]\nport = 5556\nipproto = 0\n");
    conf(
        "30-tunnels.toml",
        &format!("[[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nlocal = \"{A4}\"\nremote = \"{B4}\"\ndev = \"under0\"\nencap = \"fou\"\nencap-dport = 5555\n"),
    );
    let bound = conf(
        "40-bound.toml",
        "[[port]]\nport = 5557\ngue = true\nlocal = \"10.8.0.1\"\n\n[[port]]\nport = 5558\ngue = true\n",
    );
    conf("notes.txt", "not a state file");

    let out = boot_script(&ns, &config, &runtime, &["early"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("rfou: {bad}:3: ")), "{report}");
    assert!(
        stderr.contains(&format!("rfou-boot: failed: {bad}\n")),
        "{report}"
    );
    assert!(
        stderr.contains("rfou-boot: 1 of 5 files failed"),
        "{report}"
    );
    assert!(
        stderr.contains(&format!(
            "rfou: {bound}:1: port 5557 local 10.8.0.1: deferred:"
        )),
        "{report}"
    );
    assert_eq!(ports(&ns), [(5555, String::new()), (5558, String::new())]);
    assert_eq!(
        ns.link_json("t1")["link"].as_str(),
        Some("under0"),
        "30 uses 20's device"
    );
    let deferred = std::fs::read_to_string(runtime.join("deferred")).expect("the list");
    assert_eq!(deferred, format!("{bound}\n"));

    // The late mode gives up after its time, naming the file and rfou's reason.
    let started = Instant::now();
    let out = boot_script(&ns, &config, &runtime, &["late", "2"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(started.elapsed() >= Duration::from_secs(2), "{report}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "rfou-boot: failed: {bound}: still not applied after 2 s"
        )),
        "{report}"
    );

    // The address appears while the late mode waits: the port is made.
    let mut late = Command::new("ip")
        .args(["netns", "exec", ns.name()])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../systemd/rfou-boot"))
        .args(["late", "60"])
        .env("RFOU", RFOU)
        .env("RFOU_CONFIG_DIR", &config)
        .env("RFOU_RUNTIME_DIR", &runtime)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run systemd/rfou-boot late");
    std::thread::sleep(Duration::from_secs(2));
    ns.ip_batch("link add lan0 type dummy\naddr add 10.8.0.1/24 dev lan0\nlink set lan0 up");
    let status = late.wait().expect("wait");
    assert!(status.success(), "late: {status}");
    assert!(ports(&ns).contains(&(5557, "10.8.0.1".to_string())));

    // Run again, the files in sync: only the bad one fails.
    let out = boot_script(&ns, &config, &runtime, &["early"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!runtime.join("deferred").exists());
    for file in [
        "10-ports.toml",
        "20-underlay.toml",
        "30-tunnels.toml",
        "40-bound.toml",
    ] {
        let path = config.join(file);
        rfou(
            Some(&ns),
            &["apply", "--check", path.to_str().expect("UTF-8")],
        )
        .assert_ok();
    }
}
