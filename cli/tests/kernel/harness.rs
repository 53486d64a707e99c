//! A small harness for tests that run against the real kernel: as root, on a kernel with fou.
//!
//! Each test makes its own network namespaces ([`Netns`]), joins them with veth pairs
//! ([`veth_pair`]), configures them with iproute2 ([`Netns::ip`]) or with rfou ([`rfou`]), and
//! checks the result with iproute2's JSON output, ping, and the UDP counters of the namespace
//! ([`Netns::udp_counters`]). Namespaces are deleted when their guard is dropped, also when the
//! test panics, so tests can run in parallel and leave nothing behind.
//!
//! Nothing here skips: where the kernel or the privileges are missing, the tests fail and say
//! why. `scripts/test` runs them in a VM when the host's kernel lacks fou.

// Each test module uses only some of the helpers.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use crate::harness_modules::ModulesShared;
pub use crate::harness_modules::{loaded_modules, modules_alone, Reload};
pub use crate::harness_rfou::{rf, rf_batch, rf_ok, rfou, rfou_stdin, RfouOutput};

/// The kernel modules the tests need; [`require_kernel`] loads them.
pub const MODULES: &[&str] = &[
    // UDP socket diagnostics: `rfou show` finds the ports the kernel's dump loses with them,
    // and loads nothing itself.
    "udp_diag",
    "fou",
    "fou6",
    "ipip",
    "ip_gre",
    "sit",
    "ip6_tunnel",
    "ip6_gre",
    "veth",
];

/// The rfou binary built by cargo for these tests.
pub const RFOU: &str = env!("CARGO_BIN_EXE_rfou");

/// The underlay addresses of the two sides of a veth pair, in every test that has one (each
/// test has namespaces of its own, so they never meet).
pub const A4: &str = "192.0.2.1";
pub const B4: &str = "192.0.2.2";
pub const A6: &str = "2001:db8::1";
pub const B6: &str = "2001:db8::2";

/// Addresses inside the tunnels.
pub const INNER_A4: &str = "10.99.0.1";
pub const INNER_B4: &str = "10.99.0.2";
pub const INNER_A6: &str = "fd00:99::1";
pub const INNER_B6: &str = "fd00:99::2";

/// Panics, with the reason, unless we are root and the kernel can load fou and the other tunnel
/// modules. Loads them the first time; every test calls this, directly or through
/// [`Netns::new`].
#[track_caller]
pub fn require_kernel() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(why) = READY.get_or_init(check_kernel) {
        panic!("{why}");
    }
}

fn check_kernel() -> Result<(), String> {
    const HOW: &str = "The kernel tests need root and a kernel with the fou module; \
                       run them with scripts/test, which boots a VM when this host lacks them.";
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Err(format!("kernel tests: not root (euid {euid}). {HOW}"));
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let mut failed = Vec::new();
    for module in MODULES {
        match Command::new("modprobe").arg(module).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => failed.push(format!(
                "{module}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => return Err(format!("kernel tests: cannot run modprobe: {e}. {HOW}")),
        }
    }
    if !failed.is_empty() {
        return Err(format!(
            "kernel tests: kernel {release} cannot load module(s): {}. {HOW}",
            failed.join("; ")
        ));
    }
    if !std::path::Path::new("/sys/module/fou").exists() {
        return Err(format!(
            "kernel tests: modprobe fou succeeded but kernel {release} shows no /sys/module/fou. {HOW}"
        ));
    }
    Ok(())
}

/// Runs a program, returns its output whatever its exit status.
pub fn try_run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", cmdline(program, args)))
}

/// Runs a program, panics with its stderr unless it succeeds, returns its stdout.
#[track_caller]
pub fn run(program: &str, args: &[&str]) -> String {
    let out = try_run(program, args);
    check(program, args, &out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn check(program: &str, args: &[&str], out: &Output) {
    if !out.status.success() {
        panic!(
            "`{}` failed ({}):\nstderr: {}\nstdout: {}",
            cmdline(program, args),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end(),
            String::from_utf8_lossy(&out.stdout).trim_end()
        );
    }
}

pub(crate) fn cmdline(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_json(what: &str, text: &str) -> serde_json::Value {
    // iproute2 prints nothing at all for some empty lists.
    if text.trim().is_empty() {
        return serde_json::Value::Array(Vec::new());
    }
    serde_json::from_str(text).unwrap_or_else(|e| panic!("`{what}`: bad JSON ({e}):\n{text}"))
}

/// A network namespace that exists as long as this guard: made by [`Netns::new`] with `lo` up,
/// deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
    /// While any namespace lives, the modules stay loaded (see [`modules_alone`]).
    _modules: ModulesShared,
}

impl Netns {
    /// Makes a new namespace named `rfou-PREFIX-PID-N`, unique within this machine.
    #[track_caller]
    pub fn new(prefix: &str) -> Netns {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        require_kernel();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("rfou-{prefix}-{}-{n}", std::process::id());
        let modules = ModulesShared::take();
        run("ip", &["netns", "add", &name]);
        let ns = Netns {
            name,
            _modules: modules,
        };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n NAME ARGS...`; panics with stderr on failure; returns stdout.
    #[track_caller]
    pub fn ip(&self, args: &[&str]) -> String {
        let args = self.ip_args(&[], args);
        run("ip", &args)
    }

    /// [`Netns::ip`] with the arguments given as one line, split at whitespace:
    /// `ns.ip_line("link set tun1 up")`.
    #[track_caller]
    pub fn ip_line(&self, args: &str) -> String {
        self.ip(&args.split_whitespace().collect::<Vec<_>>())
    }

    /// Runs several `ip` commands in one process (`ip -n NAME -batch -`), one per line, e.g.
    /// `"addr add 10.0.0.1/24 dev veth0\nlink set veth0 up"`: quicker than one `ip` each
    /// in an emulated VM. Stops at the first failure and panics with ip's message.
    #[track_caller]
    pub fn ip_batch(&self, commands: &str) -> String {
        self.ip_batch_with(&[], commands)
    }

    /// [`Netns::ip_batch`] with global options for every command, e.g. `&["-j", "-d"]`.
    #[track_caller]
    pub fn ip_batch_with(&self, opts: &[&str], commands: &str) -> String {
        let args = self.ip_args(opts, &["-batch", "-"]);
        let mut child = Command::new("ip")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run ip: {e}"));
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(commands.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .unwrap_or_else(|e| panic!("writing to ip -batch: {e}"));
        drop(stdin);
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("ip -batch: {e}"));
        if !out.status.success() {
            panic!(
                "`ip -n {} -batch -` failed ({}):\nstderr: {}\ncommands:\n{}",
                self.name,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end(),
                commands.trim_end()
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `ip -n NAME ARGS...`, whatever its exit status (for commands that are meant to fail).
    pub fn try_ip(&self, args: &[&str]) -> Output {
        let args = self.ip_args(&[], args);
        try_run("ip", &args)
    }

    /// `ip -j -n NAME ARGS...`, parsed; empty output reads as an empty array.
    #[track_caller]
    pub fn ip_json(&self, args: &[&str]) -> serde_json::Value {
        let args = self.ip_args(&["-j"], args);
        parse_json(&cmdline("ip", &args), &run("ip", &args))
    }

    /// `ip -j -d -n NAME link show DEV`, the one link's object.
    #[track_caller]
    pub fn link_json(&self, dev: &str) -> serde_json::Value {
        let links = self.ip_json(&["-d", "link", "show", "dev", dev]);
        match links {
            serde_json::Value::Array(mut v) if v.len() == 1 => v.remove(0),
            other => panic!(
                "ip link show {dev} in {}: expected one link, got {other}",
                self.name
            ),
        }
    }

    fn ip_args<'a>(&'a self, opts: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
        let mut v = opts.to_vec();
        v.extend(["-n", self.name.as_str()]);
        v.extend_from_slice(args);
        v
    }

    /// Runs a program inside the namespace (`ip netns exec NAME PROGRAM ARGS...`).
    pub fn exec(&self, program: &str, args: &[&str]) -> Output {
        let mut v = vec!["netns", "exec", self.name.as_str(), program];
        v.extend_from_slice(args);
        try_run("ip", &v)
    }

    /// Like [`Netns::exec`], but panics with stderr unless it succeeds; returns stdout.
    #[track_caller]
    pub fn exec_ok(&self, program: &str, args: &[&str]) -> String {
        let mut v = vec!["netns", "exec", self.name.as_str(), program];
        v.extend_from_slice(args);
        run("ip", &v)
    }

    /// Sets a sysctl inside the namespace, e.g. `sysctl("net.ipv4.ip_forward", "1")`.
    #[track_caller]
    pub fn sysctl(&self, key: &str, value: &str) {
        self.exec_ok("sysctl", &["-qw", &format!("{key}={value}")]);
    }

    /// Pings `addr` (IPv4 or IPv6) from this namespace: up to three tries of one echo request,
    /// each waiting 2 s. True at the first reply.
    pub fn ping(&self, addr: &str) -> bool {
        self.ping_output(addr).status.success()
    }

    fn ping_output(&self, addr: &str) -> Output {
        let mut out = self.exec("ping", &["-n", "-c", "1", "-W", "2", addr]);
        for _ in 1..3 {
            if out.status.success() {
                break;
            }
            thread::sleep(Duration::from_millis(200));
            out = self.exec("ping", &["-n", "-c", "1", "-W", "2", addr]);
        }
        out
    }

    /// Panics unless `addr` answers a ping from this namespace.
    #[track_caller]
    pub fn ping_ok(&self, addr: &str) {
        let out = self.ping_output(addr);
        if !out.status.success() {
            panic!(
                "ping {addr} from {} failed:\n{}{}",
                self.name,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Panics if `addr` answers any of two pings from this namespace (1 s wait each).
    #[track_caller]
    pub fn ping_fails(&self, addr: &str) {
        let out = self.exec("ping", &["-n", "-c", "2", "-i", "0.5", "-W", "1", addr]);
        if out.status.success() {
            panic!(
                "ping {addr} from {} succeeded but should fail:\n{}",
                self.name,
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }

    /// The namespace's UDP counters (`/proc/net/snmp` and `/proc/net/snmp6` as seen from
    /// inside it).
    #[track_caller]
    pub fn udp_counters(&self) -> UdpCounters {
        let snmp = self.exec_ok("cat", &["/proc/net/snmp"]);
        let snmp6 = self.exec_ok("cat", &["/proc/net/snmp6"]);
        UdpCounters::parse(&snmp, &snmp6)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let out = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "warning: ip netns del {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => eprintln!("warning: ip netns del {}: {e}", self.name),
        }
    }
}

/// UDP counters of one address family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpStats {
    /// Datagrams delivered to a socket (fou's receive port is one).
    pub in_datagrams: u64,
    /// Datagrams to a port with no socket.
    pub no_ports: u64,
}

/// UDP counters of a namespace, per family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpCounters {
    pub v4: UdpStats,
    pub v6: UdpStats,
}

impl UdpCounters {
    /// Parses `/proc/net/snmp` (a `Udp:` header line then a `Udp:` value line) and
    /// `/proc/net/snmp6` (`Udp6InDatagrams  N` lines).
    pub fn parse(snmp: &str, snmp6: &str) -> UdpCounters {
        let mut udp = snmp.lines().filter(|l| l.starts_with("Udp: "));
        let (names, values) = match (udp.next(), udp.next()) {
            (Some(n), Some(v)) => (n, v),
            _ => panic!("no Udp: lines in /proc/net/snmp:\n{snmp}"),
        };
        let v4_field = |field: &str| -> u64 {
            let i = names
                .split_whitespace()
                .position(|n| n == field)
                .unwrap_or_else(|| panic!("no {field} in /proc/net/snmp Udp: {names}"));
            let v = values.split_whitespace().nth(i);
            v.and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("bad {field} in /proc/net/snmp Udp: {values}"))
        };
        let v6_field = |field: &str| -> u64 {
            snmp6
                .lines()
                .find_map(|l| {
                    let mut it = l.split_whitespace();
                    (it.next() == Some(field)).then(|| it.next()?.parse().ok())?
                })
                .unwrap_or_else(|| panic!("no {field} in /proc/net/snmp6"))
        };
        UdpCounters {
            v4: UdpStats {
                in_datagrams: v4_field("InDatagrams"),
                no_ports: v4_field("NoPorts"),
            },
            v6: UdpStats {
                in_datagrams: v6_field("Udp6InDatagrams"),
                no_ports: v6_field("Udp6NoPorts"),
            },
        }
    }
}

/// Two namespaces `PREFIX-a` and `PREFIX-b` joined by `veth0`, with IPv4 and IPv6 underlay
/// addresses (A4/A6 on a, B4/B6 on b).
pub fn underlay_pair(prefix: &str) -> (Netns, Netns) {
    let a = Netns::new(&format!("{prefix}-a"));
    let b = Netns::new(&format!("{prefix}-b"));
    veth_pair(
        &a,
        &[&format!("{A4}/24"), &format!("{A6}/64")],
        &b,
        &[&format!("{B4}/24"), &format!("{B6}/64")],
    );
    (a, b)
}

/// Joins two namespaces with a veth pair named `veth0` on both sides, each end up with the
/// given addresses (`"10.0.0.1/24"`, `"fd00::1/64"`; IPv6 ones are added with `nodad`, so they
/// are usable at once).
#[track_caller]
pub fn veth_pair(a: &Netns, a_addrs: &[&str], b: &Netns, b_addrs: &[&str]) {
    veth_pair_named(a, "veth0", a_addrs, b, "veth0", b_addrs);
}

/// [`veth_pair`] with the interface names given.
#[track_caller]
pub fn veth_pair_named(
    a: &Netns,
    a_dev: &str,
    a_addrs: &[&str],
    b: &Netns,
    b_dev: &str,
    b_addrs: &[&str],
) {
    a.ip(&[
        "link", "add", a_dev, "type", "veth", "peer", "name", b_dev, "netns", &b.name,
    ]);
    for (ns, dev, addrs) in [(a, a_dev, a_addrs), (b, b_dev, b_addrs)] {
        let mut batch = String::new();
        for addr in addrs {
            let nodad = if addr.contains(':') { " nodad" } else { "" };
            batch += &format!("addr add {addr} dev {dev}{nodad}\n");
        }
        batch += &format!("link set {dev} up\n");
        ns.ip_batch(&batch);
    }
}

/// Runs `f` on a thread of its own that enters namespace `name` (`/run/netns/NAME`) and ends
/// with `f`: setns moves only the calling thread, and what `f` opens (a socket, a sysctl
/// file) keeps the namespace it was opened in.
pub fn in_netns<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> T {
    use std::os::fd::AsRawFd;
    let path = format!("/run/netns/{name}");
    let space = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: setns on a descriptor this function owns, for this thread alone.
            let entered = unsafe { libc::setns(space.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(
                entered,
                0,
                "setns {path}: {}",
                std::io::Error::last_os_error()
            );
            f()
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// Puts `addr` (with its prefix) on tunnel `dev` and brings it up: what `ip` does, not rfou.
#[track_caller]
pub fn address_tunnel(ns: &Netns, dev: &str, addr: &str) {
    if addr.contains(':') {
        ns.ip(&["addr", "add", addr, "dev", dev, "nodad"]);
    } else {
        ns.ip(&["addr", "add", addr, "dev", dev]);
    }
    ns.ip(&["link", "set", dev, "up"]);
}

/// The MTU of `dev` in `ns`.
#[track_caller]
pub fn mtu(ns: &Netns, dev: &str) -> u64 {
    let link = ns.link_json(dev);
    link["mtu"]
        .as_u64()
        .unwrap_or_else(|| panic!("{dev} in {}: no mtu: {link}", ns.name()))
}

/// A ping of exactly the tunnel's MTU with DF set crosses the tunnel, and one byte more is
/// refused: the MTU is the limit, and it fits the path. The payload is the MTU less the inner
/// IP and ICMP headers: MTU - 28 when `addr` is IPv4, MTU - 48 when it is IPv6.
#[track_caller]
pub fn assert_full_size_ping(from: &Netns, dev: &str, addr: &str) {
    let mtu = mtu(from, dev);
    let (family, headers) = if addr.contains(':') {
        ("-6", 48)
    } else {
        ("-4", 28)
    };
    let ping = |payload: u64, wait: &str| {
        let size = payload.to_string();
        let args = [
            family, "-n", "-M", "do", "-s", &size, "-c", "1", "-W", wait, addr,
        ];
        from.exec("ping", &args)
    };
    let size = mtu - headers;
    let mut out = ping(size, "2");
    for _ in 1..3 {
        if out.status.success() {
            break;
        }
        out = ping(size, "2");
    }
    assert!(
        out.status.success(),
        "full-size ping (MTU {mtu} of {dev}, {family} -M do -s {size}) {addr} from {} failed: the \
         tunnel's MTU does not fit its path:\n{}{}",
        from.name(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let over = size + 1;
    let out = ping(over, "1");
    assert!(
        !out.status.success(),
        "ping {family} -M do -s {over} {addr} from {} passed, but {dev}'s MTU is {mtu}",
        from.name()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_udp_counters() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
                    Udp: InDatagrams NoPorts InErrors OutDatagrams\nUdp: 12 3 0 9\n\
                    UdpLite: InDatagrams NoPorts\nUdpLite: 0 0\n";
        let snmp6 = "Ip6InReceives   \t5\nUdp6InDatagrams \t7\nUdp6NoPorts  \t2\n";
        let c = UdpCounters::parse(snmp, snmp6);
        assert_eq!(
            c,
            UdpCounters {
                v4: UdpStats {
                    in_datagrams: 12,
                    no_ports: 3
                },
                v6: UdpStats {
                    in_datagrams: 7,
                    no_ports: 2
                },
            }
        );
    }
}
