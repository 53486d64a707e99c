//! `fou_raw`: sends fou requests exactly as written, past rfou's own checks, and prints the
//! kernel's answer. `scripts/kernel-facts` runs it inside a VM on each kernel to record what
//! the kernel itself says to requests that rfou refuses before sending (an `IPPROTO` of 0,
//! for one) and the extended-ack texts of its refusals.
//!
//! Usage, as root, in the namespace to test (`ip netns exec NS fou_raw ...`):
//!
//! ```text
//! fou_raw add|del ATTR...
//!   ATTR: port=N af=4|6 ipproto=N type=N local=ADDR peer=ADDR peer_port=N ifindex=N remcsum
//! ```
//!
//! Prints one line: `ok`, or `ERRNO_NAME (N): EXTENDED-ACK-TEXT` (`-` when the kernel gave
//! none). Exit status 0 whether or not the kernel refused; 2 for a bad argument.

use std::net::IpAddr;
use std::process::ExitCode;

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_generic::GenlMessage;
use netlink_sys::protocols::NETLINK_GENERIC;
use rfou::fou::{FouAttr, FouMessage};
use rfou::netlink::{NlError, NlSocket};
use rfou_uapi::fou as uapi;

fn attr(word: &str) -> Result<FouAttr, String> {
    let (key, value) = word.split_once('=').unwrap_or((word, ""));
    let num = |v: &str| {
        v.parse::<i64>()
            .map_err(|_| format!("{key}: not a number: {v}"))
    };
    let addr = |v: &str| {
        v.parse::<IpAddr>()
            .map_err(|_| format!("{key}: not an address: {v}"))
    };
    Ok(match key {
        "port" => FouAttr::Port(num(value)? as u16),
        "peer_port" => FouAttr::PeerPort(num(value)? as u16),
        "af" => FouAttr::Af(match value {
            "4" => libc::AF_INET as u8,
            "6" => libc::AF_INET6 as u8,
            other => num(other)? as u8,
        }),
        "ipproto" => FouAttr::IpProto(num(value)? as u8),
        "type" => FouAttr::Type(num(value)? as u8),
        "ifindex" => FouAttr::Ifindex(num(value)? as i32),
        "remcsum" => FouAttr::RemcsumNopartial,
        "local" => match addr(value)? {
            IpAddr::V4(a) => FouAttr::LocalV4(a),
            IpAddr::V6(a) => FouAttr::LocalV6(a),
        },
        "peer" => match addr(value)? {
            IpAddr::V4(a) => FouAttr::PeerV4(a),
            IpAddr::V6(a) => FouAttr::PeerV6(a),
        },
        _ => return Err(format!("unknown attribute {word}")),
    })
}

fn describe(err: &NlError) -> String {
    // The errno names that fou answers with; others print as `errno (N)`.
    let name = match err.errno {
        libc::EINVAL => "EINVAL",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENOENT => "ENOENT",
        libc::EPERM => "EPERM",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ERANGE => "ERANGE",
        libc::ENODEV => "ENODEV",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        _ => "errno",
    };
    let text = err
        .message
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or("-");
    format!("{name} ({}): {text}", err.errno)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match args.first().map(String::as_str) {
        Some("add") => uapi::FOU_CMD_ADD,
        Some("del") => uapi::FOU_CMD_DEL,
        _ => {
            eprintln!("usage: fou_raw add|del ATTR...");
            return ExitCode::from(2);
        }
    };
    let attrs = match args[1..]
        .iter()
        .map(|w| attr(w))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(attrs) => attrs,
        Err(why) => {
            eprintln!("fou_raw: {why}");
            return ExitCode::from(2);
        }
    };
    let result = NlSocket::open(NETLINK_GENERIC)
        .map_err(|e| NlError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            message: Some(format!("cannot open a netlink socket: {e}")),
        })
        .and_then(|mut socket| {
            // The library's lookup of the family; the request itself is sent as written.
            let id = socket.family_id(uapi::FOU_GENL_NAME)?;
            let mut request = GenlMessage::from_payload(FouMessage { cmd, attrs });
            request.set_resolved_family_id(id);
            socket.request(request, NLM_F_REQUEST).map(|_| ())
        });
    match result {
        Ok(()) => println!("ok"),
        Err(err) => println!("{}", describe(&err)),
    }
    ExitCode::SUCCESS
}
