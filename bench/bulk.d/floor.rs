//! The pipelined floor of FOU port adds (bench/bulk).
//!
//!     floor NETNS COUNT FIRST_PORT
//!
//! The least any tool can do for COUNT `add port P ipproto 4` lines: enter network namespace
//! NETNS (/run/netns/NETNS), open a generic-netlink socket, resolve the family id of "fou",
//! then send COUNT FOU_CMD_ADD requests (ports FIRST_PORT.., AF_INET, FOU_ENCAP_DIRECT,
//! ipproto 4: the attributes rfou sends) 64 per sendmsg, asking for an ack only on the last of
//! each 64 and waiting for it before the next 64. No parsing, no output but one number.
//!
//! bench/bulk.d/run times the whole command, process start included, as it times the tools:
//! that is the floor a command is compared with. The program also prints the seconds from its
//! first sendmsg to its last ack: the kernel's own time for the requests. Exits 1 if the
//! kernel refused any request.
//!
//! Built by bench/bulk with plain rustc (no crates): the few system calls it needs are
//! declared here.

use std::ffi::c_void;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::exit;
use std::time::Instant;

const AF_NETLINK: i32 = 16;
const SOCK_RAW: i32 = 3;
const SOCK_CLOEXEC: i32 = 0o2000000;
const NETLINK_GENERIC: i32 = 16;
const CLONE_NEWNET: i32 = 0x4000_0000;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLMSG_ERROR: u16 = 2;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const FOU_CMD_ADD: u8 = 1;
const FOU_ATTR_PORT: u16 = 1;
const FOU_ATTR_AF: u16 = 2;
const FOU_ATTR_IPPROTO: u16 = 3;
const FOU_ATTR_TYPE: u16 = 4;
const FOU_ENCAP_DIRECT: u8 = 1;
const AF_INET: u8 = 2;
const WINDOW: usize = 64;

extern "C" {
    fn socket(domain: i32, kind: i32, protocol: i32) -> i32;
    fn send(fd: i32, buf: *const c_void, len: usize, flags: i32) -> isize;
    fn recv(fd: i32, buf: *mut c_void, len: usize, flags: i32) -> isize;
    fn setns(fd: i32, nstype: i32) -> i32;
}

fn fail(what: &str) -> ! {
    eprintln!("floor: {what}: {}", std::io::Error::last_os_error());
    exit(1)
}

fn attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    out.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn message(out: &mut Vec<u8>, kind: u16, flags: u16, seq: u32, cmd: u8, attrs: &[u8]) {
    let len = 16 + 4 + attrs.len();
    out.extend_from_slice(&(len as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(&[cmd, 1, 0, 0]);
    out.extend_from_slice(attrs);
}

/// (type, seq, payload) of each message in one datagram.
fn messages(mut data: &[u8]) -> Vec<(u16, u32, &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 16 {
        let len = u32::from_ne_bytes(data[0..4].try_into().unwrap()) as usize;
        if len < 16 || len > data.len() {
            break;
        }
        let kind = u16::from_ne_bytes(data[4..6].try_into().unwrap());
        let seq = u32::from_ne_bytes(data[8..12].try_into().unwrap());
        out.push((kind, seq, &data[16..len]));
        data = &data[len.next_multiple_of(4).min(data.len())..];
    }
    out
}

fn error_code(payload: &[u8]) -> i32 {
    i32::from_ne_bytes(payload[0..4].try_into().unwrap())
}

fn receive(fd: i32, buf: &mut [u8]) -> usize {
    let len = unsafe { recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if len < 0 {
        fail("recv");
    }
    len as usize
}

fn send_all(fd: i32, data: &[u8]) {
    if unsafe { send(fd, data.as_ptr().cast(), data.len(), 0) } < 0 {
        fail("send");
    }
}

fn family_id(fd: i32, buf: &mut [u8]) -> u16 {
    let mut attrs = Vec::new();
    attr(&mut attrs, CTRL_ATTR_FAMILY_NAME, b"fou\0");
    let mut request = Vec::new();
    message(&mut request, GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY, &attrs);
    send_all(fd, &request);
    loop {
        let len = receive(fd, buf);
        for (kind, _, payload) in messages(&buf[..len]) {
            if kind == NLMSG_ERROR {
                eprintln!("floor: no fou family (errno {})", -error_code(payload));
                exit(1);
            }
            let mut attrs = &payload[4..];
            while attrs.len() >= 4 {
                let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
                let kind = u16::from_ne_bytes([attrs[2], attrs[3]]) & 0x3fff;
                if len < 4 || len > attrs.len() {
                    break;
                }
                if kind == CTRL_ATTR_FAMILY_ID {
                    return u16::from_ne_bytes([attrs[4], attrs[5]]);
                }
                attrs = &attrs[len.next_multiple_of(4).min(attrs.len())..];
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, netns, count, first] = &args[..] else {
        eprintln!("usage: floor NETNS COUNT FIRST_PORT");
        exit(2)
    };
    let (Ok(count), Ok(first)) = (count.parse::<usize>(), first.parse::<u16>()) else {
        eprintln!("floor: COUNT and FIRST_PORT are numbers");
        exit(2)
    };

    let ns = File::open(format!("/run/netns/{netns}")).unwrap_or_else(|_| fail(netns));
    if unsafe { setns(ns.as_raw_fd(), CLONE_NEWNET) } != 0 {
        fail("setns");
    }
    let fd = unsafe { socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC) };
    if fd < 0 {
        fail("socket");
    }
    let mut buf = vec![0u8; 65536];
    let family = family_id(fd, &mut buf);

    let mut seq = 100u32;
    let mut failures = Vec::new();
    let start = Instant::now();
    for window_start in (0..count).step_by(WINDOW) {
        let size = WINDOW.min(count - window_start);
        let mut datagram = Vec::with_capacity(size * 48);
        for i in 0..size {
            seq += 1;
            let port = first.wrapping_add((window_start + i) as u16);
            let mut attrs = Vec::with_capacity(32);
            attr(&mut attrs, FOU_ATTR_PORT, &port.to_be_bytes());
            attr(&mut attrs, FOU_ATTR_AF, &[AF_INET]);
            attr(&mut attrs, FOU_ATTR_TYPE, &[FOU_ENCAP_DIRECT]);
            attr(&mut attrs, FOU_ATTR_IPPROTO, &[4]);
            let ack = if i == size - 1 { NLM_F_ACK } else { 0 };
            message(&mut datagram, family, NLM_F_REQUEST | ack, seq, FOU_CMD_ADD, &attrs);
        }
        send_all(fd, &datagram);
        let last = seq;
        let mut acked = false;
        while !acked {
            let len = receive(fd, &mut buf);
            for (kind, seq, payload) in messages(&buf[..len]) {
                if kind != NLMSG_ERROR {
                    continue;
                }
                let code = error_code(payload);
                if code != 0 {
                    failures.push((seq, -code));
                }
                acked |= seq == last;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    if let Some((seq, errno)) = failures.first() {
        eprintln!(
            "floor: {} request(s) refused, the first (seq {seq}): {}",
            failures.len(),
            std::io::Error::from_raw_os_error(*errno)
        );
        exit(1);
    }
    println!("{elapsed:.6}");
}
