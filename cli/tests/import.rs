//! `rfou import networkd FILE...` as a user runs it, on files in a temporary directory: the
//! desired state on standard output, each setting not carried over named on standard error
//! with `FILE:LINE`, and a file networkd would refuse an error (exit status 2, nothing on
//! standard output). It reads files only: no root, no kernel.

use std::path::PathBuf;
use std::process::{Command, Output};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("rfou-import-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Dir(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write a file");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rfou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rfou"))
        .args(args)
        .output()
        .expect("run rfou")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const PORT: &str = "[NetDev]\nName=fou7070\nKind=fou\n\n[FooOverUDP]\nPort=7070\nProtocol=gre\n";
const TUNNEL: &str = "[NetDev]\nName=ndfou0\nKind=gre\nMACAddress=02:00:00:00:00:09\n\n\
                      [Tunnel]\nLocal=192.0.2.5\nRemote=192.0.2.6\nKey=9\nFooOverUDP=yes\n\
                      FOUDestinationPort=7070\n";
const NETWORK: &str = "[Match]\nName=dummy0\n\n[Network]\nTunnel=ndfou0\n";

#[test]
fn prints_the_desired_state_and_names_what_it_leaves_out() {
    let dir = Dir::new("ok");
    let port = dir.file("70-fou.netdev", PORT);
    let tunnel = dir.file("71-ndfou0.netdev", TUNNEL);
    let network = dir.file("60-dummy0.network", NETWORK);
    let out = rfou(&["import", "networkd", &port, &tunnel, &network]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for entry in [
        "[[port]]\nport = 7070\nipproto = 47\n",
        "[[tunnel]]\nname = \"ndfou0\"\nmode = \"gre\"\nremote = \"192.0.2.6\"\nlocal = \"192.0.2.5\"\n\
         dev = \"dummy0\"\nikey = 9\nokey = 9\nencap = \"fou\"\nencap-sport = \"auto\"\n\
         encap-dport = 7070\n",
    ] {
        assert!(stdout.contains(entry), "{entry}\nnot in:\n{stdout}");
    }
    let note = format!(
        "{tunnel}:4: MACAddress=02:00:00:00:00:09: rfou does not set a device's MAC address"
    );
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            format!("rfou: note: {note}: not imported"),
            "rfou: note: 1 of what the files say is not carried over as written (named above, and as comments in the file)".to_string(),
        ],
        "{stderr}"
    );
    assert!(stdout.contains(&format!("# {note}")), "{stdout}");
}

#[test]
fn a_file_networkd_would_refuse_is_an_error_and_prints_nothing() {
    let dir = Dir::new("bad");
    let good = dir.file("70-fou.netdev", PORT);
    let bad = dir.file(
        "72-bad.netdev",
        "[NetDev]\nName=t\nKind=ipip\n[Tunnel]\nTTL=300\n",
    );
    let out = rfou(&["import", "networkd", &good, &bad]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(
        stderr,
        format!("rfou: {bad}:5: TTL=300: TTL 300 is out of range: use 0..255\n")
    );
    for (args, says) in [
        (
            vec!["import", "networkd", "/nonexistent/a.netdev"],
            "cannot read file /nonexistent/a.netdev",
        ),
        (vec!["import", "networkd"], "needs FILE..."),
        (vec!["import", "networkd", "-"], "- is none"),
        (
            vec!["-n", "blue", "import", "networkd", &good],
            "-n has no meaning",
        ),
        (
            vec!["import", "networkd", &dir.file("notes.txt", "")],
            "not a .netdev or .network file",
        ),
    ] {
        let out = rfou(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty() && stderr.starts_with("rfou: ") && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn help_names_the_command_and_its_page() {
    let out = rfou(&["help", "import"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("rfou import networkd FILE...") && stdout.contains("See rfou-apply(8)."),
        "{stdout}"
    );
    let out = rfou(&["--help"]);
    assert!(
        text(&out.stdout).contains("import networkd"),
        "{}",
        text(&out.stdout)
    );
}
