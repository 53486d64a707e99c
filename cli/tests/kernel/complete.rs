//! Shell completion against real devices: `rfou __complete` offers the tunnels of the
//! namespace `-n` names where a tunnel is named, any of its devices after `dev`, and the
//! namespaces after `-n`; through the bash stub too. It reads, and changes nothing: no
//! device, no module.

use std::process::Command;

use crate::harness::{modules_alone, Netns, RFOU};

fn complete(words: &[&str]) -> Vec<String> {
    let out = Command::new(RFOU)
        .arg("__complete")
        .args(words)
        .output()
        .expect("run rfou __complete");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "rfou __complete {words:?}: {}\n{stderr}",
        out.status
    );
    let mut found: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    found.sort();
    found
}

fn modules() -> String {
    std::fs::read_to_string("/proc/modules").expect("/proc/modules")
}

#[test]
fn completion_offers_the_devices_of_the_right_kind_in_the_namespace() {
    // Alone: /proc/modules is compared before and after, and another test's namespace would
    // load modules in between.
    let _alone = modules_alone();
    let ns = Netns::new("cmp");
    ns.ip_batch(
        "link add cipip type ipip local 192.0.2.1 remote 192.0.2.2\n\
         link add cgre type gre local 192.0.2.1 remote 192.0.2.3\n\
         link add cva type veth peer name cvb",
    );
    let links_before = ns.ip(&["-d", "link", "show"]);
    let modules_before = modules();
    let name = ns.name();

    // Where a tunnel is named: the tunnels rfou works on, not the veths or lo.
    let tunnels = complete(&["-n", name, "tunnel", "encap", "dev", ""]);
    for want in ["cipip", "cgre"] {
        assert!(tunnels.contains(&want.to_string()), "{tunnels:?}");
    }
    for not in ["lo", "cva", "cvb"] {
        assert!(!tunnels.contains(&not.to_string()), "{tunnels:?}");
    }
    assert_eq!(
        complete(&[&format!("--netns={name}"), "tunnel", "change", "cg"]),
        ["cgre"]
    );
    assert_eq!(complete(&["-n", name, "tunnel", "del", "cip"]), ["cipip"]);
    // After dev: any device of that namespace.
    let devices = complete(&[
        "-n",
        name,
        "add",
        "port",
        "1",
        "gue",
        "local",
        "192.0.2.1",
        "dev",
        "",
    ]);
    for want in ["lo", "cva", "cvb", "cipip", "cgre"] {
        assert!(devices.contains(&want.to_string()), "{devices:?}");
    }
    // The devices of this namespace are not that namespace's.
    let here = complete(&["tunnel", "encap", "dev", "c"]);
    assert!(!here.contains(&"cipip".to_string()), "{here:?}");
    // Namespaces: by -n, and by --netns= (the whole word).
    assert!(complete(&["-n", ""]).contains(&name.to_string()));
    assert_eq!(
        complete(&[&format!("--netns={}", &name[..name.len() - 1])]),
        [format!("--netns={name}")]
    );

    // Through the bash stub: bash breaks --netns=NAME at '=', and gets back only its part.
    let line = format!("rfou --netns={name} tunnel encap dev cip");
    let words = [
        "rfou", "--netns", "=", name, "tunnel", "encap", "dev", "cip",
    ];
    assert_eq!(bash_complete(&line, &words), ["cipip"]);
    let line = format!("rfou --netns={}", &name[..4]);
    let offered = bash_complete(&line, &["rfou", "--netns", "=", &name[..4]]);
    assert!(offered.iter().any(|w| w == name), "{line}: {offered:?}");

    // Nothing changed: the devices and the modules are as before.
    assert_eq!(ns.ip(&["-d", "link", "show"]), links_before);
    assert_eq!(modules(), modules_before);
}

/// COMPREPLY of the bash stub for `line`, the cursor at its end; `words` are COMP_WORDS as
/// bash splits the line.
fn bash_complete(line: &str, words: &[&str]) -> Vec<String> {
    let stub = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("completions/rfou.bash");
    let rfou_dir = std::path::Path::new(RFOU).parent().expect("a directory");
    let program = format!(
        r#"source "$1" || exit 99
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
_rfou rfou "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = words.join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "bash"])
        .arg(&stub)
        .env(
            "PATH",
            format!(
                "{}:{}",
                rfou_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run bash");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "bash completion of {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}
