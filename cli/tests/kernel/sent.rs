//! What rfou sends the kernel, read off the wire: rfou run under strace, which prints every
//! byte of each `sendto` and `sendmsg` (`-e write=all`), split here into netlink messages;
//! and the claims of the README and rfou(8) about how many requests go in one system call,
//! checked against what was counted.

use rfou::maps::HashMap;

use crate::harness::{rfou, Netns, RfouOutput, RFOU};
use crate::kill::require_strace;

/// One netlink message: its type, flags and the bytes after its 16-byte header.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: u16,
    pub flags: u16,
    pub body: Vec<u8>,
}

/// One `sendto` or `sendmsg` on a netlink socket: the system call, the socket's protocol as
/// `socket(2)` named it (`NETLINK_ROUTE`, `NETLINK_GENERIC`, `NETLINK_SOCK_DIAG`) and the
/// messages it carried.
#[derive(Debug, Clone)]
pub struct Send {
    pub call: &'static str,
    pub protocol: String,
    pub messages: Vec<Message>,
}

pub const NETLINK_ROUTE: &str = "NETLINK_ROUTE";
pub const NETLINK_GENERIC: &str = "NETLINK_GENERIC";
pub const NETLINK_SOCK_DIAG: &str = "NETLINK_SOCK_DIAG";
pub const NLM_F_ACK: u16 = 4;

/// `rfou -n NS ARGS...` under strace: what it did, and every netlink send it made, in order.
pub fn traced(ns: &Netns, args: &[&str]) -> (RfouOutput, Vec<Send>) {
    require_strace();
    let trace = std::env::temp_dir().join(format!("{}.sent", ns.name()));
    let mut all = vec![
        "-f",
        "-qq",
        "-e",
        "trace=socket,sendto,sendmsg",
        "-e",
        "write=all",
        "-o",
    ];
    let trace_path = trace.to_str().expect("a UTF-8 path").to_string();
    all.push(&trace_path);
    all.extend([RFOU, "-n", ns.name()]);
    all.extend_from_slice(args);
    let out = rfou_like(&all);
    let text = std::fs::read_to_string(&trace).expect("the strace output");
    let _ = std::fs::remove_file(&trace);
    let sends = parse(&text);
    (out, sends)
}

/// strace with `args`, its status, stdout and stderr as rfou's (strace passes on rfou's exit
/// status).
fn rfou_like(args: &[&str]) -> RfouOutput {
    use std::os::unix::process::ExitStatusExt;
    let out = crate::harness::try_run("strace", args);
    RfouOutput {
        cmdline: format!("strace {}", args.join(" ")),
        status: out
            .status
            .code()
            .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0)),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The call of a strace line (`PID call(...) = N` with -f), without the process id.
fn call(line: &str) -> Option<&str> {
    let (pid, rest) = line.split_once(' ')?;
    pid.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| rest.trim_start())
}

/// The bytes of one line of strace's hex dump (` | 00000  20 00 ... 00  ascii |`): the
/// 5-digit offset, then 16 bytes as ` xx`, an extra space after the 8th; then the text.
fn dump_bytes(line: &str) -> Option<Vec<u8>> {
    let rest = line.strip_prefix(" | ")?;
    let (offset, rest) = rest.split_at_checked(5)?;
    u32::from_str_radix(offset, 16).ok()?;
    let hex = rest.get(..50).unwrap_or(rest);
    hex.split_whitespace()
        .map(|byte| u8::from_str_radix(byte, 16).ok())
        .collect()
}

/// The netlink sends of an strace output (`-e trace=socket,sendto,sendmsg -e write=all`).
pub fn parse(text: &str) -> Vec<Send> {
    let mut protocols: HashMap<String, String> = HashMap::default();
    let mut sends: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(bytes) = dump_bytes(line) {
            if let Some(at) = current {
                sends[at].2.extend(bytes);
            }
            continue;
        }
        if line.starts_with(" * ") {
            continue; // sendmsg's "N bytes in buffer 0"
        }
        current = None;
        let Some(call) = call(line) else { continue };
        if call.starts_with("socket(AF_NETLINK") {
            let protocol = call
                .split(", ")
                .nth(2)
                .and_then(|p| p.split(')').next())
                .unwrap_or("?");
            if let Some(fd) = call.rsplit("= ").next() {
                protocols.insert(fd.trim().to_string(), protocol.to_string());
            }
        } else {
            let (name, args) = match call.split_once('(') {
                Some(("sendto", args)) => ("sendto", args),
                Some(("sendmsg", args)) => ("sendmsg", args),
                _ => continue,
            };
            let fd = args.split(',').next().unwrap_or("");
            if let Some(protocol) = protocols.get(fd) {
                sends.push((name, protocol.clone(), Vec::new()));
                current = Some(sends.len() - 1);
            }
        }
    }
    sends
        .into_iter()
        .map(|(call, protocol, bytes)| Send {
            call,
            protocol,
            messages: messages(&bytes),
        })
        .collect()
}

/// The netlink messages of a buffer, by their lengths.
fn messages(mut bytes: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    while bytes.len() >= 16 {
        let len = u32::from_ne_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert!(
            (16..=bytes.len()).contains(&len),
            "a netlink message of {len} bytes in a buffer of {}",
            bytes.len()
        );
        out.push(Message {
            kind: u16::from_ne_bytes([bytes[4], bytes[5]]),
            flags: u16::from_ne_bytes([bytes[6], bytes[7]]),
            body: bytes[16..len].to_vec(),
        });
        // The next message starts at a multiple of 4; the last may end unpadded.
        bytes = &bytes[((len + 3) & !3).min(bytes.len())..];
    }
    assert!(
        bytes.is_empty(),
        "{} bytes after the last message",
        bytes.len()
    );
    out
}

impl Message {
    /// The attributes after the message's fixed header of `fixed` bytes (`ifinfomsg`: 16):
    /// (type, value) in order.
    pub fn attrs(&self, fixed: usize) -> Vec<(u16, &[u8])> {
        let mut out = Vec::new();
        let mut rest = self.body.get(fixed..).unwrap_or(&[]);
        while rest.len() >= 4 {
            let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
            let kind = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
            if len < 4 || len > rest.len() {
                break;
            }
            out.push((kind, &rest[4..len]));
            rest = &rest[((len + 3) & !3).min(rest.len())..];
        }
        out
    }
}

/// The number that comes just before `after` in `file` (a path from the repository's root),
/// on the one line that has `after`: the claim a test checks.
pub fn claimed_number(file: &str, after: &str) -> usize {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/..").to_string() + "/" + file;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text.replace("\\-", "-").replace('\n', " ");
    let found: Vec<&str> = text
        .match_indices(after)
        .map(|(at, _)| &text[..at])
        .collect();
    assert_eq!(found.len(), 1, "{file} should say \"N{after}\" once");
    let number = found[0]
        .trim_end()
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .trim_start_matches(|c: char| !c.is_ascii_digit());
    number
        .parse()
        .unwrap_or_else(|_| panic!("{file}: no number before \"{after}\": {number:?}"))
}

/// The generic-netlink controller's id: every other generic family (fou) has another.
const GENL_ID_CTRL: u16 = 0x10;

/// The fou family's `FOU_CMD_ADD` requests of a send (the generic-netlink command is the first
/// byte after the header).
fn port_adds(send: &Send) -> usize {
    send.messages
        .iter()
        .filter(|m| m.kind != GENL_ID_CTRL && m.body.first() == Some(&1))
        .count()
}

/// A batch's port adds go to the kernel as many to a `sendto` as README.md and rfou(8) say,
/// only the last of each asking for an ack; and a batch killed in a run of port adds can
/// have applied as many lines past the last one it reported as rfou(8) says (one window less
/// the line that was running).
#[test]
fn port_adds_go_to_the_kernel_64_to_a_sendto() {
    let window = claimed_number("README.md", " requests to a system call");
    assert_eq!(
        claimed_number("man/rfou.8", " requests at a time"),
        window,
        "man/rfou.8 and README.md disagree"
    );
    assert_eq!(
        claimed_number("man/rfou.8", " lines after the last line rfou"),
        window - 1,
        "man/rfou.8: a killed window"
    );
    let ns = Netns::new("sent64");
    let lines = 2 * window + 22;
    let text: String = (0..lines)
        .map(|i| format!("add port {} ipproto 4\n", 20000 + i))
        .collect();
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::write(&path, text).expect("write the batch");
    let (out, sends) = traced(&ns, &["-b", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    out.assert_ok();
    let windows: Vec<&Send> = sends
        .iter()
        .filter(|s| s.protocol == NETLINK_GENERIC && port_adds(s) > 0)
        .collect();
    let sizes: Vec<usize> = windows.iter().map(|s| port_adds(s)).collect();
    assert_eq!(
        sizes,
        [window, window, 22],
        "port adds per sendto, against README.md's {window} a system call"
    );
    for send in windows {
        let acked: Vec<bool> = send
            .messages
            .iter()
            .map(|m| m.flags & NLM_F_ACK != 0)
            .collect();
        let last = acked.len() - 1;
        assert!(
            acked.iter().enumerate().all(|(i, &ack)| ack == (i == last)),
            "only the last request of a window asks for an ack: {acked:?}"
        );
    }
    let listed = rfou(Some(&ns), &["-j", "show"]).assert_ok().json();
    assert_eq!(listed.as_array().map(Vec::len), Some(lines));
}

/// strace's lines as strace 6.1 prints them (a partial last line padded to the full width).
#[test]
fn parses_strace_dumps_of_sendto_and_sendmsg() {
    let text = "\
7 socket(AF_NETLINK, SOCK_DGRAM|SOCK_CLOEXEC, NETLINK_ROUTE) = 3
7 sendto(3, [{nlmsg_len=20, nlmsg_type=0x12 /* NLMSG_??? */, ...}], 40, 0, NULL, 0) = 40
 | 00000  14 00 00 00 12 00 05 03  01 00 00 00 00 00 00 00  ................ |
 | 00010  01 02 03 04 14 00 00 00  11 00 05 00 02 00 00 00  ................ |
 | 00020  00 00 00 00 09 08 07 06                           ........         |
7 socket(AF_NETLINK, SOCK_DGRAM|SOCK_CLOEXEC, NETLINK_GENERIC) = 4
7 sendmsg(4, {msg_iov=[...]}, 0) = 16
 * 16 bytes in buffer 0
 | 00000  10 00 00 00 10 00 01 00  00 00 00 00 00 00 00 00  ................ |
7 sendto(5, ..., 16, 0, NULL, 0) = 16
 | 00000  10 00 00 00 10 00 01 00  00 00 00 00 00 00 00 00  ................ |
";
    let sends = parse(text);
    assert_eq!(sends.len(), 2, "{sends:?}");
    assert_eq!(sends[0].protocol, NETLINK_ROUTE);
    let kinds: Vec<(u16, u16)> = sends[0]
        .messages
        .iter()
        .map(|m| (m.kind, m.flags))
        .collect();
    assert_eq!(kinds, [(18, 0x305), (17, 5)]);
    assert_eq!(sends[0].messages[0].body, [1, 2, 3, 4]);
    assert_eq!(sends[0].messages[1].body, [9, 8, 7, 6]);
    assert_eq!((sends[0].call, sends[1].call), ("sendto", "sendmsg"));
    assert_eq!(sends[1].protocol, NETLINK_GENERIC);
    assert_eq!(sends[1].messages.len(), 1);
}
