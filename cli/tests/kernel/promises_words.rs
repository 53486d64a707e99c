//! Issue #23, the input and iproute2's words: control characters escaped, a size limit, one
//! letter case, a device the same file makes, a multicast remote's keys, and the defaults of
//! `tunnel add` against `ip link add` and `ip tunnel add` (docs/apply-promises.md maps each
//! bullet to its test).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::rfou_stdin;
use crate::harness::{rf, rf_ok, rfou, Netns, RFOU};
use crate::promises::{apply, with_dummy, File};
use crate::undo::state;

/// Bullet "control characters in names are printed raw": a tunnel ip named `c\x01x` is
/// printed escaped by `tunnel show` and by `apply` (here as `--prune` deletes it), exported
/// as a TOML escape, and the export reads back in sync.
#[test]
fn control_characters_in_names_are_escaped_in_every_output() {
    let ns = with_dummy("w-ctrl");
    let name = "c\u{1}x";
    ns.ip(&["fou", "add", "port", "5555", "gue"]);
    ns.ip(&[
        "link",
        "add",
        "name",
        name,
        "type",
        "ipip",
        "local",
        "192.0.2.1",
        "remote",
        "192.0.2.8",
        "encap",
        "gue",
        "encap-dport",
        "5555",
    ]);
    let show = rf_ok(&ns, "tunnel show");
    assert!(
        !show.stdout.contains('\u{1}') && show.stdout.contains("c\\x01x"),
        "{show}"
    );
    let export = rfou(Some(&ns), &["export"]);
    export.assert_ok();
    assert!(export.stdout.contains("name = \"c\\u0001x\""), "{export}");
    let check = rfou_stdin(&ns, &["apply", "--check", "-"], export.stdout.as_bytes());
    check.assert_ok();
    assert_eq!(check.stdout, "unchanged\n", "{check}");

    let file = File::new("w-ctrl", "[[port]]\nport = 5555\ngue = true\n");
    let plan = apply(&ns, &["--check", "--prune"], &file);
    plan.assert_fails(3);
    assert_eq!(plan.stdout, "- tunnel c\\x01x mode ipip\n", "{plan}");
    let done = apply(&ns, &["--prune"], &file);
    done.assert_ok();
    assert_eq!(done.stdout, plan.stdout);
    assert!(!ns.try_ip(&["link", "show", "dev", name]).status.success());
}

/// Bullet "`rfou apply - < /dev/zero` grows without bound": standard input and files are
/// read up to 64 MiB; beyond, rfou says so and exits 2, having sent nothing.
#[test]
fn input_over_64_mib_is_refused_and_dev_zero_ends() {
    let ns = with_dummy("w-size");
    let before = state(&ns);
    // A valid file (one long comment) a byte over the limit.
    let mut big = vec![b'#'; 64 << 20];
    big.extend_from_slice(b"\n[[port]]\nport = 5555\ngue = true\n");
    let piped = rfou_stdin(&ns, &["apply", "-"], &big);
    piped.assert_fails(2);
    assert!(piped.stderr.contains("64 MiB"), "{piped}");
    let file = File::new("w-size", "");
    std::fs::write(file.path(), &big).expect("write the big file");
    let named = apply(&ns, &[], &file);
    named.assert_fails(2);
    assert!(
        named.stderr.contains("64 MiB") && named.stderr.contains(file.path()),
        "{named}"
    );

    let mut child = Command::new(RFOU)
        .args(["-n", ns.name(), "apply", "-"])
        .stdin(std::fs::File::open("/dev/zero").expect("/dev/zero"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rfou");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rfou apply - < /dev/zero still runs after 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(2), "rfou apply - < /dev/zero: {status}");
    assert_eq!(state(&ns), before, "the namespace changed");
}

/// Bullet "`encap = \"FOU\"`, `mode = \"IPIP\"` are refused while `ipproto = \"IPIP\"` is
/// accepted": every word value is read in any letter case, the same as in lower case.
#[test]
fn word_values_are_read_in_any_letter_case() {
    let ns = with_dummy("w-case");
    let lower = "[[port]]\nport = 5555\nipproto = \"ipip\"\nfamily = \"inet\"\n\
        [[port]]\nport = 5556\ngue = true\nfamily = \"inet6\"\n\
        [[tunnel]]\nname = \"t1\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.5\"\n\
        proto = \"ipip\"\nttl = \"inherit\"\ntos = \"inherit\"\nencap = \"fou\"\nencap-dport = 5555\nencap-sport = \"auto\"\n\
        [[tunnel]]\nname = \"t6\"\nmode = \"ip6ip6\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8::5\"\n\
        encaplimit = \"none\"\nflowlabel = \"inherit\"\ntclass = \"inherit\"\nfwmark = \"inherit\"\n\
        [[tunnel]]\nname = \"t7\"\nmode = \"any\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8::7\"\nencap = \"gue\"\nencap-dport = 5556\n";
    let mut upper = lower.to_string();
    for word in [
        "\"ipip\"",
        "\"inet\"",
        "\"inet6\"",
        "\"inherit\"",
        "\"fou\"",
        "\"gue\"",
        "\"auto\"",
        "\"none\"",
        "\"ip6ip6\"",
        "\"any\"",
    ] {
        upper = upper.replace(word, &word.to_uppercase());
    }
    let lower = File::new("w-case-lower", lower);
    let upper = File::new("w-case-upper", &upper);
    let want = apply(&ns, &["--check"], &lower);
    want.assert_fails(3);
    let got = apply(&ns, &["--check"], &upper);
    got.assert_fails(3);
    assert_eq!(got.stdout, want.stdout);
    apply(&ns, &[], &upper).assert_ok();
    assert_eq!(
        apply(&ns, &["--check"], &lower).assert_ok().stdout,
        "unchanged\n"
    );
}

/// Bullet "a `dev` naming a tunnel the same file makes needs two runs": one run makes both,
/// the underlay first, and the next finds nothing to do.
#[test]
fn a_tunnel_may_be_bound_to_a_tunnel_the_same_file_makes() {
    let ns = with_dummy("w-under");
    let file = File::new(
        "w-under",
        "[[tunnel]]\nname = \"over\"\nmode = \"ipip\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.4\"\ndev = \"under\"\n\
         [[tunnel]]\nname = \"under\"\nmode = \"gretap\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.3\"\n",
    );
    let first = apply(&ns, &[], &file);
    first.assert_ok();
    assert_eq!(
        first
            .stdout
            .lines()
            .map(|l| l.split(' ').nth(2).unwrap_or(""))
            .collect::<Vec<_>>(),
        ["under", "over"],
        "{first}"
    );
    assert_eq!(ns.link_json("over")["link"], "under");
    assert_eq!(apply(&ns, &[], &file).assert_ok().stdout, "unchanged\n");
}

/// `ip -d -j link show dev NAME`'s `linkinfo`, and the MTU.
fn info(ns: &Netns, name: &str) -> (Value, Value) {
    let link = ns.link_json(name);
    (link["linkinfo"].clone(), link["mtu"].clone())
}

/// What issue #23 item 6 asks: a gre or gretap remote that is a multicast group gets
/// iproute2's keys (the group, as ikey and okey, where no key is given), whether the tunnel
/// is made by `tunnel add` or changed by `tunnel change`; and a multicast remote without a
/// local address is refused before anything is sent.
#[test]
fn a_multicast_gre_remote_gets_the_keys_ip_gives_it() {
    let ns = with_dummy("w-mcast");
    let ip = with_dummy("w-mcast-ip");
    for (name, kind, group) in [("m1", "gre", "239.1.1.1"), ("m2", "gretap", "239.1.1.2")] {
        rf_ok(
            &ns,
            &format!("tunnel add {name} mode {kind} local 192.0.2.1 remote {group}"),
        );
        ip.ip_line(&format!(
            "link add name {name} type {kind} local 192.0.2.1 remote {group}"
        ));
        assert_eq!(info(&ns, name), info(&ip, name), "{name}: tunnel add");
        assert_eq!(info(&ns, name).0["info_data"]["ikey"], group);
    }
    // Changed to another group: ip's change keeps a key it has; one without a key gets it.
    ns.ip_line("link add name m3 type gretap local 192.0.2.1 remote 192.0.2.33");
    ip.ip_line("link add name m3 type gretap local 192.0.2.1 remote 192.0.2.33");
    rf_ok(&ns, "tunnel change m3 remote 239.1.1.3");
    ip.ip_line("link change dev m3 type gretap remote 239.1.1.3");
    // (The MTU is rfou's own rule: what the tunnel would get if made so.)
    assert_eq!(info(&ns, "m3").0, info(&ip, "m3").0, "m3: tunnel change");
    // A desired state: made, then in sync.
    let file = File::new(
        "w-mcast",
        "[[tunnel]]\nname = \"m4\"\nmode = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"239.1.1.4\"\n\
         [[tunnel]]\nname = \"m5\"\nmode = \"gretap\"\nlocal = \"192.0.2.1\"\nremote = \"239.1.1.5\"\nokey = 9\n",
    );
    apply(&ns, &[], &file).assert_ok();
    ip.ip_batch(
        "link add name m4 type gre local 192.0.2.1 remote 239.1.1.4\n\
         link add name m5 type gretap local 192.0.2.1 remote 239.1.1.5 okey 9",
    );
    for name in ["m4", "m5"] {
        assert_eq!(info(&ns, name), info(&ip, name), "{name}: apply");
    }
    assert_eq!(
        apply(&ns, &["--check"], &file).assert_ok().stdout,
        "unchanged\n"
    );
    // The kernel makes a gre tunnel to a group broadcast and point-to-point, and then changes
    // its TTL and output key in place but not its group, local address, device or input key:
    // rfou changes the first in place and makes the tunnel again for the second, as --check
    // says, with ip's result each time.
    let m4 = "[[tunnel]]\nname = \"m4\"\nmode = \"gre\"\nlocal = \"192.0.2.1\"\nremote = \"239.1.1.4\"\n";
    let ttl = File::new("w-mcast-ttl", &format!("{m4}ttl = 5\nokey = 7\n"));
    let plan = apply(&ns, &["--check"], &ttl)
        .assert_fails(3)
        .stdout
        .clone();
    assert!(plan.starts_with("~ tunnel m4 ttl "), "{plan}");
    assert_eq!(apply(&ns, &[], &ttl).assert_ok().stdout, plan);
    ip.ip_line("link change dev m4 type gre local 192.0.2.1 remote 239.1.1.4 ttl 5 okey 7");
    assert_eq!(
        info(&ns, "m4"),
        info(&ip, "m4"),
        "m4: ttl and okey in place"
    );
    let group = File::new("w-mcast-group", &m4.replace("239.1.1.4", "239.1.1.40"));
    let plan = apply(&ns, &["--check"], &group)
        .assert_fails(3)
        .stdout
        .clone();
    assert!(
        plan.starts_with("replace tunnel m4 ") && plan.contains("made with a multicast remote"),
        "{plan}"
    );
    assert_eq!(apply(&ns, &[], &group).assert_ok().stdout, plan);
    ip.ip_batch(
        "link del m4\n\
         link add name m4 type gre local 192.0.2.1 remote 239.1.1.40",
    );
    assert_eq!(info(&ns, "m4"), info(&ip, "m4"), "m4: another group");
    assert_eq!(
        apply(&ns, &["--check"], &group).assert_ok().stdout,
        "unchanged\n"
    );
    let before = state(&ns);
    let out = rf(&ns, "tunnel add m6 mode gre remote 239.1.1.6");
    out.assert_fails(2);
    assert!(out.stderr.contains("needs a local address"), "{out}");
    assert_eq!(state(&ns), before);
}

/// What issue #23 item 6 asks: `rfou tunnel add NAME mode MODE` with the same words as `ip link
/// add NAME type KIND` makes the same tunnel (every default), of every mode; and `ip tunnel
/// add` makes it too, but where the manual says it differs (ipip and sit: `ip tunnel add`
/// sets the mode's own inner protocol, rfou and `ip link add` any protocol).
#[test]
fn tunnel_add_makes_what_ip_link_add_makes_with_the_same_words() {
    let ns = with_dummy("w-dflt");
    let ip = with_dummy("w-dflt-ip");
    let old = with_dummy("w-dflt-tnl");
    // (rfou's mode, ip link's type words, ip tunnel's words (`ip [-6] tunnel add NAME ...`))
    let modes = [
        ("ipip", "ipip", Some("mode ipip")),
        ("sit", "sit", Some("mode sit")),
        ("gre", "gre", Some("mode gre")),
        ("gretap", "gretap", None),
        ("ip6ip6", "ip6tnl mode ip6ip6", Some("-6 mode ip6ip6")),
        ("ipip6", "ip6tnl mode ipip6", Some("-6 mode ipip6")),
        ("any", "ip6tnl mode any", Some("-6 mode any")),
        ("ip6gre", "ip6gre", Some("-6 mode ip6gre")),
        ("ip6gretap", "ip6gretap", None),
    ];
    for (i, (mode, ip_type, tunnel_words)) in modes.into_iter().enumerate() {
        let name = format!("d{i}");
        let ends = if ip_type.starts_with("ip6") {
            format!("local 2001:db8::1 remote 2001:db8::{:x}", i + 10)
        } else {
            format!("local 192.0.2.1 remote 192.0.2.{}", i + 10)
        };
        rf_ok(&ns, &format!("tunnel add {name} mode {mode} {ends}"));
        ip.ip_line(&format!("link add name {name} type {ip_type} {ends}"));
        assert_eq!(
            info(&ns, &name),
            info(&ip, &name),
            "{mode}: rfou tunnel add and ip link add differ"
        );
        let Some(words) = tunnel_words else { continue };
        let (family, words) = match words.strip_prefix("-6 ") {
            Some(w) => (vec!["-6"], w),
            None => (vec![], words),
        };
        let mut args = vec!["-n", old.name()];
        args.extend(family);
        args.extend(["tunnel", "add", &name]);
        args.extend(words.split(' '));
        args.extend(ends.split(' '));
        crate::harness::run("ip", &args);
        let (mut ours, mtu) = info(&ns, &name);
        let (mut theirs, their_mtu) = info(&old, &name);
        if matches!(mode, "ipip" | "sit") {
            let own = if mode == "sit" { "ip6ip" } else { "ipip" };
            assert_eq!(ours["info_data"]["proto"], "any", "{mode}: {ours}");
            assert_eq!(theirs["info_data"]["proto"], own, "{mode}: {theirs}");
            ours["info_data"]["proto"].take();
            theirs["info_data"]["proto"].take();
        }
        assert_eq!(
            (ours, mtu),
            (theirs, their_mtu),
            "{mode}: rfou tunnel add and ip tunnel add differ"
        );
    }
}

/// Values read as ip reads the same words: a TOS by its name in iproute2's rt_dsfield before
/// hexadecimal (`EF` is 0xb8, `ef` 0xef), a flow label in hexadecimal (`100` is 0x100). Each
/// tunnel is made by `rfou tunnel add` in one namespace and `ip link add` in another, and
/// read back the same.
#[test]
fn values_are_read_as_ip_reads_the_same_words() {
    let ns = with_dummy("w-values");
    let ip = with_dummy("w-values-ip");
    // (rfou's mode, ip link's type words, the words both are given)
    let cases = [
        ("ipip", "ipip", "tos EF"),
        ("ipip", "ipip", "tos ef"),
        ("gre", "gre", "tos AF41"),
        ("sit", "sit", "tos CS1"),
        ("ip6ip6", "ip6tnl mode ip6ip6", "flowlabel 100"),
        ("ip6gre", "ip6gre", "flowlabel abc"),
    ];
    for (i, (mode, ip_type, words)) in cases.into_iter().enumerate() {
        let name = format!("v{i}");
        let ends = if ip_type.starts_with("ip6") {
            format!("local 2001:db8::1 remote 2001:db8::{:x}", i + 10)
        } else {
            format!("local 192.0.2.1 remote 192.0.2.{}", i + 10)
        };
        rf_ok(
            &ns,
            &format!("tunnel add {name} mode {mode} {ends} {words}"),
        );
        ip.ip_line(&format!(
            "link add name {name} type {ip_type} {ends} {words}"
        ));
        assert_eq!(
            info(&ns, &name),
            info(&ip, &name),
            "{mode} {words}: rfou tunnel add and ip link add differ"
        );
    }
}

/// The rules between a tunnel's settings are those of ip, checked on the tunnel as a change
/// leaves it (ip reads the tunnel before it checks): `ignore-df` on a gre tunnel that is
/// already `nopmtudisc` is taken; a fixed TTL on an ipip tunnel without path MTU discovery is
/// refused and the tunnel stays as it was; and gre takes a fixed TTL without path MTU
/// discovery, as `ip link add` does.
#[test]
fn tunnel_change_checks_the_tunnel_as_the_change_leaves_it() {
    let ns = with_dummy("w-rules");
    let ip = with_dummy("w-rules-ip");
    for n in [&ns, &ip] {
        n.ip_batch(
            "link add name g1 type gre local 192.0.2.1 remote 192.0.2.21 nopmtudisc\n\
             link add name i1 type ipip local 192.0.2.1 remote 192.0.2.22 nopmtudisc",
        );
    }
    rf_ok(&ns, "tunnel change g1 ignore-df");
    ip.ip_line("link set dev g1 type gre ignore-df");
    assert_eq!(
        info(&ns, "g1"),
        info(&ip, "g1"),
        "ignore-df on a nopmtudisc gre"
    );

    let before = info(&ns, "i1");
    let out = rf(&ns, "tunnel change i1 ttl 64");
    out.assert_fails(2);
    assert!(out.stderr.contains("a fixed ttl needs pmtudisc"), "{out}");
    assert_eq!(
        info(&ns, "i1"),
        before,
        "a refused change changed the tunnel"
    );

    rf_ok(
        &ns,
        "tunnel add g2 mode gre local 192.0.2.1 remote 192.0.2.23 ttl 64 nopmtudisc",
    );
    ip.ip_line("link add name g2 type gre local 192.0.2.1 remote 192.0.2.23 ttl 64 nopmtudisc");
    assert_eq!(
        info(&ns, "g2"),
        info(&ip, "g2"),
        "gre with ttl 64 nopmtudisc"
    );
}

/// Two things the kernel decides that rfou once got wrong (the property tests found them):
/// an ip6tnl tunnel with no route to its remote takes its bound device as
/// its underlay (an ip6gre does not), so `apply` binding it to a 9000-byte device gives it
/// the MTU `ip link add` would; and a port given a peer and no local address is bound by
/// the kernel to the address its route to the peer leaves from, so that a file naming it
/// without a local address is in sync with it, and a run that made it and is undone deletes it.
#[test]
fn apply_keeps_what_the_kernel_decides_for_bound_tunnels_and_connected_ports() {
    let ns = with_dummy("w-kern");
    let ip = with_dummy("w-kern-ip");
    for n in [&ns, &ip] {
        n.ip_line("link set dummy0 mtu 9000");
    }
    let tunnels = |dev: bool| {
        let dev = if dev { "dev = \"dummy0\"\n" } else { "" };
        format!(
            "[[tunnel]]\nname = \"b1\"\nmode = \"ip6ip6\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8:ff::1\"\n{dev}\
             [[tunnel]]\nname = \"b2\"\nmode = \"ip6gre\"\nlocal = \"2001:db8::1\"\nremote = \"2001:db8:ff::2\"\n{dev}"
        )
    };
    apply(&ns, &[], &File::new("w-kern-1", &tunnels(false))).assert_ok();
    let bound = File::new("w-kern-2", &tunnels(true));
    apply(&ns, &[], &bound).assert_ok();
    ip.ip_batch(
        "link add name b1 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8:ff::1 dev dummy0\n\
         link add name b2 type ip6gre local 2001:db8::1 remote 2001:db8:ff::2 dev dummy0",
    );
    for name in ["b1", "b2"] {
        assert_eq!(info(&ns, name), info(&ip, name), "{name}: bound by apply");
    }
    assert_eq!(info(&ns, "b1").1, 8952, "b1 takes dummy0's MTU");

    // A connected port: made, in sync, and taken back by a run that fails after it.
    let port = "[[port]]\nport = 7777\ngue = true\npeer = \"192.0.2.9\"\npeer_port = 99\n";
    let file = File::new("w-kern-port", port);
    apply(&ns, &[], &file).assert_ok();
    let shown = rf_ok(&ns, "show").stdout.clone();
    assert!(
        shown.contains("192.0.2.1") && shown.contains("192.0.2.9:99"),
        "{shown}"
    );
    assert_eq!(
        apply(&ns, &["--check"], &file).assert_ok().stdout,
        "unchanged\n"
    );
    rf_ok(&ns, "del port 7777 peer 192.0.2.9 peer_port 99");
    // The second port is taken by a UDP socket: the run fails after making the first, and
    // takes it back.
    let before = state(&ns);
    let _socket = crate::promises::udp_socket_in(&ns, 7778);
    let failing = File::new(
        "w-kern-fail",
        &format!("{port}[[port]]\nport = 7778\ngue = true\n"),
    );
    let out = apply(&ns, &[], &failing);
    out.assert_fails(1);
    assert!(out.stderr.contains("reads back as before"), "{out}");
    assert_eq!(state(&ns), before, "{out}");
}

/// What ipip and sit keep as made (found by the property tests): `ip link change` of their
/// inner protocol, or of sit's ISATAP flag, answers success and changes nothing. `apply`
/// replaces such a tunnel, `--check` says so, and the result is what `ip link add` makes
/// with the file's words.
#[test]
fn apply_replaces_what_ipip_and_sit_keep_as_made() {
    let ns = with_dummy("w-kept");
    let ip = with_dummy("w-kept-ip");
    ns.ip_batch(
        "link add name k1 type sit local 10.1.0.1 isatap\n\
         link add name k2 type sit local 10.1.0.1 remote 192.0.2.2 mode ipip\n\
         link add name k3 type ipip local 10.1.0.1 remote 192.0.2.3 mode mplsip",
    );
    ip.ip_batch(
        "link add name k1 type sit local 10.1.0.1\n\
         link add name k2 type sit local 10.1.0.1 remote 192.0.2.2 mode any\n\
         link add name k3 type ipip local 10.1.0.1 remote 192.0.2.3 mode any",
    );
    let file = File::new(
        "w-kept",
        "[[tunnel]]\nname = \"k1\"\nmode = \"sit\"\nlocal = \"10.1.0.1\"\nisatap = false\n\
         [[tunnel]]\nname = \"k2\"\nmode = \"sit\"\nlocal = \"10.1.0.1\"\nremote = \"192.0.2.2\"\nproto = \"any\"\n\
         [[tunnel]]\nname = \"k3\"\nmode = \"ipip\"\nlocal = \"10.1.0.1\"\nremote = \"192.0.2.3\"\nproto = \"any\"\n",
    );
    let check = apply(&ns, &["--check"], &file);
    check.assert_fails(3);
    for line in [
        "isatap true -> false",
        "proto ipip -> any",
        "proto mplsip -> any",
    ] {
        assert!(check.stdout.contains(line), "{line}: {check}");
    }
    apply(&ns, &[], &file).assert_ok();
    for name in ["k1", "k2", "k3"] {
        assert_eq!(info(&ns, name), info(&ip, name), "{name}");
    }
    assert_eq!(
        apply(&ns, &["--check"], &file).assert_ok().stdout,
        "unchanged\n"
    );
}
