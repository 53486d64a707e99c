//! `show` and `del` on namespaces as real hosts have them (issue #12): UDP sockets that are
//! not fou ports (a DHCP client's, bound to a device on a wildcard address), ports whose
//! device is gone, ports told apart only by their device; `-j` and `-j -p` byte for byte as
//! ip prints them; refusals that say why (and change nothing); and, issue #14, reading with
//! the fou module not loaded: nothing loaded, nothing listed, success.

use std::os::fd::{FromRawFd, OwnedFd};

use serde_json::Value;

use crate::harness::{
    loaded_modules, modules_alone, rf, rf_ok, rfou, Netns, Reload, RfouOutput, A4, A6,
};

/// A namespace with `dummy0` (A4/24, A6/64) and `dummy1` (198.51.100.1/24), both up.
fn with_dummies(prefix: &str) -> Netns {
    let ns = Netns::new(prefix);
    ns.ip_batch(&format!(
        "link add dummy0 type dummy\n\
         addr add {A4}/24 dev dummy0\n\
         addr add {A6}/64 dev dummy0 nodad\n\
         link set dummy0 up\n\
         link add dummy1 type dummy\n\
         addr add 198.51.100.1/24 dev dummy1\n\
         link set dummy1 up"
    ));
    ns
}

/// What the kernel holds: the ports and the links, as iproute2 reads them.
fn state(ns: &Netns) -> (Value, Value) {
    (
        ns.ip_json(&["fou", "show"]),
        ns.ip_json(&["-d", "link", "show"]),
    )
}

/// `line` must fail with `status`, saying every one of `words`, printing nothing on stdout,
/// and leave the ports and links as they were.
#[track_caller]
fn assert_refused(ns: &Netns, line: &str, status: i32, words: &[&str]) -> RfouOutput {
    let before = state(ns);
    let out = rf(ns, line);
    out.assert_fails(status);
    for word in words {
        assert!(
            out.stderr.contains(word),
            "{out}\nthe message should say \"{word}\""
        );
    }
    assert!(!out.stderr.contains('#'), "{out}\ndevices go by name");
    assert!(out.stdout.is_empty(), "{out}\nnothing on stdout");
    assert_eq!(before, state(ns), "`{line}` changed the kernel's state");
    out
}

/// A UDP socket in `ns` bound to device `dev` and to the wildcard address of its family on
/// `port`, as a DHCP client (0.0.0.0:68) or a DHCPv6 client ([::]:546) has one. Open as
/// long as the returned descriptor.
fn device_bound_wildcard_socket(ns: &Netns, ipv6: bool, dev: &str, port: u16) -> OwnedFd {
    // The socket keeps the namespace it was made in.
    crate::harness::in_netns(ns.name(), || {
        // SAFETY: plain system calls on descriptors we own and buffers that outlive them.
        unsafe {
            let family = if ipv6 { libc::AF_INET6 } else { libc::AF_INET };
            let fd = libc::socket(family, libc::SOCK_DGRAM, 0);
            assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
            let socket = OwnedFd::from_raw_fd(fd);
            let rc = libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                dev.as_ptr().cast(),
                dev.len() as libc::socklen_t,
            );
            assert_eq!(
                rc,
                0,
                "SO_BINDTODEVICE: {}",
                std::io::Error::last_os_error()
            );
            let rc = if ipv6 {
                let mut addr: libc::sockaddr_in6 = std::mem::zeroed();
                addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                addr.sin6_port = port.to_be();
                libc::bind(
                    fd,
                    (&addr as *const libc::sockaddr_in6).cast(),
                    std::mem::size_of_val(&addr) as libc::socklen_t,
                )
            } else {
                let mut addr: libc::sockaddr_in = std::mem::zeroed();
                addr.sin_family = libc::AF_INET as libc::sa_family_t;
                addr.sin_port = port.to_be();
                libc::bind(
                    fd,
                    (&addr as *const libc::sockaddr_in).cast(),
                    std::mem::size_of_val(&addr) as libc::socklen_t,
                )
            };
            assert_eq!(rc, 0, "bind {port}: {}", std::io::Error::last_os_error());
            socket
        }
    })
}

fn sorted(ports: &Value) -> Vec<String> {
    let mut v: Vec<String> = ports
        .as_array()
        .expect("an array of ports")
        .iter()
        .map(Value::to_string)
        .collect();
    v.sort();
    v
}

/// Issue #12 item 1: with 30 ports or more, `show` checks the namespace's UDP sockets for
/// ports the dump lost; a DHCP client's socket (a device, no local address) made it fail.
#[test]
fn show_and_del_work_past_device_bound_wildcard_sockets() {
    let ns = with_dummies("s-dhcp");
    let _dhcp = device_bound_wildcard_socket(&ns, false, "dummy0", 68);
    let _dhcp6 = device_bound_wildcard_socket(&ns, true, "dummy0", 546);
    let sockets = String::from_utf8_lossy(&ns.exec("ss", &["-uan"]).stdout).into_owned();
    assert!(
        sockets.contains("%dummy0:68") && sockets.contains("%dummy0:546"),
        "the sockets are not there as meant:\n{sockets}"
    );
    let mut batch = String::new();
    for port in 7000..7020 {
        batch.push_str(&format!("fou add port {port} ipproto 4\n"));
    }
    for port in 7020..7035 {
        batch.push_str(&format!("fou add port {port} gue -6\n"));
    }
    batch.push_str(&format!("fou add port 7035 ipproto 4 local {A4}\n"));
    batch.push_str(&format!(
        "fou add port 7036 gue local {A4} peer 192.0.2.9 peer_port 9 dev dummy0\n"
    ));
    ns.ip_batch(batch.trim_end());

    let theirs = ns.ip_json(&["fou", "show"]);
    assert_eq!(theirs.as_array().map(Vec::len), Some(37));
    let out = rf_ok(&ns, "-j show");
    assert_eq!(sorted(&out.json()), sorted(&theirs), "{out}");
    assert!(out.stderr.is_empty(), "nothing to note: {out}");
    let table = rf_ok(&ns, "show");
    assert_eq!(table.stdout.lines().count(), 38, "{table}");

    let one = rf_ok(&ns, "-j show port 7035").json();
    assert_eq!(
        one,
        serde_json::json!([{"port": 7035, "ipproto": 4, "family": "inet", "local": A4}])
    );
    let v6 = rf_ok(&ns, "-j -6 show").json();
    assert_eq!(v6.as_array().map(Vec::len), Some(15), "{v6}");

    // `del port N` of a port with `local` lists the ports to find it: it must get past the
    // sockets too, and delete that port only.
    rf_ok(&ns, "del port 7035");
    let after = ns.ip_json(&["fou", "show"]);
    let mut expected = sorted(&theirs);
    expected.retain(|p| !p.contains("7035"));
    assert_eq!(sorted(&after), expected);
    rf_ok(&ns, "del port 7036 dev dummy0");
    assert_eq!(
        ns.ip_json(&["fou", "show"]).as_array().map(Vec::len),
        Some(35)
    );
}

/// Issue #12 item 3: a port outlives the device it was bound to; ip shows `"dev": "ifN"`,
/// and so does rfou, and deletes it, with or without `dev ifN`.
#[test]
fn a_port_whose_device_is_gone_is_shown_and_deleted_as_ip_does() {
    let ns = with_dummies("s-gone");
    ns.ip_line("link add dummy2 type dummy");
    ns.ip_line("addr add 203.0.113.1/24 dev dummy2");
    ns.ip_line("link set dummy2 up");
    ns.ip_line("fou add port 5558 gue local 198.51.100.1 dev dummy1");
    ns.ip_line("fou add port 5559 ipproto 4 local 203.0.113.1 dev dummy2");
    ns.ip_line("link del dummy1");
    ns.ip_line("link del dummy2");

    let theirs = ns.ip_json(&["fou", "show"]);
    let gone: Vec<String> = theirs
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p["dev"].as_str().expect("a dev").to_string())
        .collect();
    // Both ports listed (an empty list would pass the checks below by having nothing).
    assert_eq!(gone.len(), 2, "{theirs}");
    assert!(gone.iter().all(|d| d.starts_with("if")), "{theirs}");
    let ours = rf_ok(&ns, "-j show");
    assert_eq!(ours.json(), theirs, "{ours}");
    let table = rf_ok(&ns, "show");
    assert!(
        gone.iter().all(|d| table.stdout.contains(d.as_str())),
        "{table}"
    );

    rf_ok(&ns, "del port 5558 local 198.51.100.1");
    rf_ok(
        &ns,
        &format!("del port 5559 local 203.0.113.1 dev {}", gone[0]),
    );
    assert_eq!(ns.ip_json(&["fou", "show"]), serde_json::json!([]));
}

/// Issue #12 item 4: `-j` and `-j -p` are what ip prints, byte for byte, for every kind of
/// port, and for none.
#[test]
fn json_is_ips_byte_for_byte() {
    let ns = with_dummies("s-json");
    let ip_text = |opts: &[&str]| {
        let mut args = opts.to_vec();
        args.extend(["-n", ns.name(), "fou", "show"]);
        crate::harness::run("ip", &args)
    };
    for opts in [&["-j"][..], &["-j", "-p"][..]] {
        let ours = rfou(Some(&ns), &[opts, &["show"][..]].concat());
        ours.assert_ok();
        assert_eq!(ours.stdout, ip_text(opts), "empty, {opts:?}");
    }
    ns.ip_batch(&format!(
        "fou add port 5555 ipproto 4\n\
         fou add port 5556 gue -6\n\
         fou add port 5557 ipproto 47 local {A4} peer 192.0.2.2 peer_port 6000 dev dummy0\n\
         fou add port 5558 gue local 198.51.100.1 dev dummy1\n\
         fou add port 5563 gue local {A6} peer 2001:db8::2 peer_port 7000 -6\n\
         link del dummy1"
    ));
    rf_ok(&ns, "add port 0x15b9 ipproto 0x29 -6");
    for opts in [&["-j"][..], &["-j", "-p"][..]] {
        let ours = rfou(Some(&ns), &[opts, &["show"][..]].concat());
        ours.assert_ok();
        assert_eq!(ours.stdout, ip_text(opts), "{opts:?}");
    }
    // Hexadecimal is read as ip reads it: 0x15b9 is 5561, 0x29 is 41.
    let ports = ns.ip_json(&["fou", "show"]);
    assert_eq!(
        ports[0],
        serde_json::json!({"port": 5561, "ipproto": 41, "family": "inet6"}),
        "{ports}"
    );
}

/// Issue #12 items 4 and 5: what ip reads differently or the kernel refuses with a bare
/// "Invalid argument" is refused before anything is sent, saying why.
#[test]
fn refusals_say_why_and_change_nothing() {
    let ns = with_dummies("s-refuse");
    ns.ip_line("fou add port 6000 ipproto 4");
    for (line, says) in [
        (
            format!("add port 6001 ipproto 4 local {A4} peer 192.0.2.2"),
            "both peer and peer port must be set",
        ),
        (
            "add port 6001 ipproto 41 local fe80::1 -6".to_string(),
            "link-local",
        ),
        (
            "add port 6001 ipproto 41 local ::ffff:192.0.2.1 -6".to_string(),
            "IPv4-mapped",
        ),
        (
            format!("add port 6001 ipproto 41 local {A6} peer ::ffff:192.0.2.2 peer_port 9 -6"),
            "IPv4-mapped",
        ),
        ("add port 05555 ipproto 4".to_string(), "2925"),
        ("add port 5555 ipproto 010".to_string(), "octal, 8"),
        ("add port 6001 port 6002 gue".to_string(), "given twice"),
        (
            "add port 6001 ipproto 4 ipproto 47".to_string(),
            "given twice",
        ),
        (
            format!("add port 6001 gue local {A4} local {A4}"),
            "given twice",
        ),
        ("add port 6001 gue -4 -6".to_string(), "both set the family"),
        (
            "add port 6001 ipproto 4 dev dummy0".to_string(),
            "dev needs local",
        ),
        ("del port 6000 port 6000".to_string(), "given twice"),
        (
            "tunnel add t1 mode ipip mode gre remote 192.0.2.2".to_string(),
            "given twice",
        ),
    ] {
        assert_refused(&ns, &line, 2, &[says]);
    }
    // The kernel's own refusals name the device by name.
    rf_ok(&ns, "add port 6003 gue local 198.51.100.1 dev dummy1");
    assert_refused(
        &ns,
        "add port 6003 gue local 198.51.100.1 dev dummy1",
        1,
        &["dev dummy1", "already exists"],
    );
}

/// Issue #12 item 5: "several fou ports ... say which" must give advice that works.
#[test]
fn the_advice_for_several_ports_of_one_number_works() {
    let ns = with_dummies("s-several");
    ns.ip_line(&format!("fou add port 6003 gue local {A4} dev dummy0"));
    ns.ip_line("fou add port 6003 gue local 198.51.100.1 dev dummy1");
    let out = assert_refused(&ns, "del port 6003", 2, &["several", "dev dummy0"]);
    assert!(out
        .stderr
        .contains(&format!("`del port 6003 local {A4} dev dummy0`")));
    // Either piece of advice works: dev alone (the kernel would refuse dev without local),
    // or local alone.
    rf_ok(&ns, "del port 6003 dev dummy0");
    let left = ns.ip_json(&["fou", "show"]);
    assert_eq!(
        left,
        serde_json::json!([{"port": 6003, "gue": null, "family": "inet",
                            "local": "198.51.100.1", "dev": "dummy1"}])
    );
    rf_ok(&ns, "del port 6003 local 198.51.100.1");
    assert_eq!(ns.ip_json(&["fou", "show"]), serde_json::json!([]));
    assert_refused(&ns, "del port 6003", 1, &["6003", "no such fou port"]);
}

/// Issue #12 item 5: a batch's errors quote its words, but escaped and cut short.
#[test]
fn batch_errors_escape_control_characters_and_cut_long_words() {
    let ns = Netns::new("s-escape");
    let path = std::env::temp_dir().join(format!("rfou-escape-{}.txt", std::process::id()));
    let long = "p".repeat(10 << 20);
    std::fs::write(
        &path,
        format!("add port 1 gue\nadd port \x1b[2J5 gue\nadd {long} port 1\n"),
    )
    .expect("write the batch");
    let file = path.to_str().expect("UTF-8").to_string();
    let before = state(&ns);
    let out = rfou(Some(&ns), &["-b", &file]);
    let _ = std::fs::remove_file(&path);
    out.assert_fails(2);
    assert!(out.stderr.contains("\\x1b[2J5"), "{}", &out.stderr);
    assert!(!out.stderr.contains('\x1b'), "a raw escape character");
    assert!(
        out.stderr.len() < 2000,
        "{} bytes of stderr",
        out.stderr.len()
    );
    assert!(out.stderr.contains("characters)"), "{}", &out.stderr);
    assert_eq!(before, state(&ns));
}

/// Issue #14 item 5: `show` (and the other readers) load no module. With fou not loaded,
/// `show` lists no ports and succeeds, and says so on stderr; `del` loads nothing either.
/// This test unloads fou, so it runs alone: [`modules_alone`] waits for the other tests'
/// namespaces to go and holds off new ones.
#[test]
fn readers_load_no_module_and_show_nothing_without_fou() {
    let _alone = modules_alone();
    let _reload = Reload;
    let out = crate::harness::try_run("rmmod", &["fou6", "fou", "udp_diag"]);
    assert!(
        out.status.success(),
        "rmmod fou6 fou udp_diag: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!std::path::Path::new("/sys/module/fou").exists());
    let ns = with_dummies("s-nomod");
    let before = loaded_modules();
    assert!(!before.iter().any(|m| m == "fou"));

    let table = rf_ok(&ns, "show");
    assert!(table.stderr.contains("not loaded"), "{table}");
    assert_eq!(
        table.stdout.lines().count(),
        1,
        "a header, no rows: {table}"
    );
    assert_eq!(rf_ok(&ns, "-j show").stdout, "[]\n");
    assert_eq!(rf_ok(&ns, "-j -p show").stdout, "[ ]\n");
    rf_ok(&ns, "show port 5555 -6");
    rf_ok(&ns, "tunnel show");
    // doctor reads too: whatever it reports (fou not loaded is its to say), it loads
    // nothing (checked below) and answers with a verdict, not a crash.
    let doctor = rf(&ns, "doctor");
    assert!(
        matches!(doctor.status, 0 | 1) && !doctor.stderr.contains("panicked"),
        "{doctor}"
    );
    let del = rf(&ns, "del port 5555");
    del.assert_fails(1);
    assert!(
        del.stderr.contains("no such fou port") && del.stderr.contains("not loaded"),
        "{del}"
    );
    assert_eq!(loaded_modules(), before, "a reader loaded a module");

    // Adding is what loads it.
    rf_ok(&ns, "add port 5555 gue");
    assert!(std::path::Path::new("/sys/module/fou").exists());
    assert_eq!(
        ns.ip_json(&["fou", "show"]),
        serde_json::json!([{"port": 5555, "gue": null, "family": "inet"}])
    );

    // Enough ports that the dump may lose some: without udp_diag, show lists what the dump
    // gave, says the list may miss some, and loads nothing to look.
    let batch: Vec<String> = (7000..7040)
        .map(|port| format!("fou add port {port} ipproto 4"))
        .collect();
    ns.ip_batch(&batch.join("\n"));
    let before = loaded_modules();
    assert!(!before.iter().any(|m| m == "udp_diag"));
    let out = rf_ok(&ns, "-j show");
    assert!(out.stderr.contains("udp_diag"), "{out}");
    assert_eq!(sorted(&out.json()), sorted(&ns.ip_json(&["fou", "show"])));
    assert_eq!(loaded_modules(), before, "show loaded a module");
}
