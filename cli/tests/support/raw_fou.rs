//! Raw requests of the fou family, sent exactly as written, past rfou's own checks: what the
//! kernel itself answers to requests rfou refuses before sending (an `IPPROTO` of 0, for
//! one), with its extended-ack text. For the kernel tests (`kernels.rs`) and the tool
//! `examples/fou_raw.rs` that `scripts/kernel-facts` runs; rfou never sends these.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;
use netlink_sys::protocols::NETLINK_GENERIC;
use netlink_sys::{Socket, SocketAddr};
use rfou_uapi::fou as uapi;

/// The kernel's refusal: its errno, and its extended-ack text where it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub errno: i32,
    pub text: Option<String>,
}

impl Refusal {
    fn io(err: std::io::Error) -> Self {
        Refusal {
            errno: err.raw_os_error().unwrap_or(libc::EIO),
            text: Some(err.to_string()),
        }
    }
}

/// One attribute as it travels: type, value bytes, padded to 4.
fn attribute(kind: u16, value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn socket() -> Result<Socket, Refusal> {
    let socket = Socket::new(NETLINK_GENERIC).map_err(Refusal::io)?;
    socket
        .connect(&SocketAddr::new(0, 0))
        .map_err(Refusal::io)?;
    socket.set_ext_ack(true).map_err(Refusal::io)?;
    socket.set_cap_ack(true).map_err(Refusal::io)?;
    Ok(socket)
}

/// The id of the fou family, as the controller answers in the namespace of the thread.
fn family_id(socket: &Socket) -> Result<u16, Refusal> {
    let mut message = NetlinkMessage::from(GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(uapi::FOU_GENL_NAME.into())],
    }));
    message.header.flags = NLM_F_REQUEST;
    message.finalize();
    let mut buf = vec![0; message.buffer_len()];
    message.serialize(&mut buf);
    socket.send(&buf, 0).map_err(Refusal::io)?;
    let (reply, _) = socket.recv_from_full().map_err(Refusal::io)?;
    let reply =
        NetlinkMessage::<GenlMessage<GenlCtrl>>::deserialize(&reply).map_err(|e| Refusal {
            errno: libc::EBADMSG,
            text: Some(format!("{e:?}")),
        })?;
    match reply.payload {
        NetlinkPayload::InnerMessage(m) => m
            .payload
            .nlas
            .iter()
            .find_map(|a| match a {
                GenlCtrlAttrs::FamilyId(id) => Some(*id),
                _ => None,
            })
            .ok_or(Refusal {
                errno: libc::ENOENT,
                text: Some("no fou family id".into()),
            }),
        NetlinkPayload::Error(e) => Err(Refusal {
            errno: e.raw_code().abs(),
            text: Some("the controller does not know the fou family".into()),
        }),
        _ => Err(Refusal {
            errno: libc::EBADMSG,
            text: None,
        }),
    }
}

/// The extended-ack text of an `NLMSG_ERROR` body (capped: the request's header alone).
fn ack_text(body: &[u8]) -> Option<String> {
    let mut tlvs = body.get(4 + 16..)?;
    while tlvs.len() >= 4 {
        let len = u16::from_ne_bytes([tlvs[0], tlvs[1]]) as usize;
        let kind = u16::from_ne_bytes([tlvs[2], tlvs[3]]) & 0x3fff;
        if len < 4 || len > tlvs.len() {
            return None;
        }
        if kind == 1 {
            let text = tlvs[4..len].split(|b| *b == 0).next()?;
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        tlvs = tlvs.get(len.next_multiple_of(4)..)?;
    }
    None
}

/// Sends fou command `cmd` with exactly `attrs` (type and value bytes, in order), in the
/// namespace of the calling thread, and returns the kernel's answer.
pub fn send(cmd: u8, attrs: &[(u16, Vec<u8>)]) -> Result<(), Refusal> {
    let socket = socket()?;
    let family = family_id(&socket)?;
    let mut body = vec![cmd, uapi::FOU_GENL_VERSION, 0, 0];
    for (kind, value) in attrs {
        attribute(*kind, value, &mut body);
    }
    let mut request = Vec::with_capacity(16 + body.len());
    request.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
    request.extend_from_slice(&family.to_ne_bytes());
    request.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    request.extend_from_slice(&1u32.to_ne_bytes());
    request.extend_from_slice(&0u32.to_ne_bytes());
    request.extend(body);
    socket.send(&request, 0).map_err(Refusal::io)?;
    let (reply, _) = socket.recv_from_full().map_err(Refusal::io)?;
    // NLMSG_ERROR (2): the code, then the request's header (capped), then the TLVs.
    let kind = u16::from_ne_bytes([reply[4], reply[5]]);
    let body = &reply[16..];
    let code = i32::from_ne_bytes(body[..4].try_into().expect("4 bytes"));
    match (kind, code) {
        (2, 0) => Ok(()),
        (2, code) => Err(Refusal {
            errno: -code,
            text: ack_text(body),
        }),
        _ => Err(Refusal {
            errno: libc::EBADMSG,
            text: Some(format!("a reply of type {kind}")),
        }),
    }
}

/// The attribute `word` says (`port=5555`, `af=4`, `ipproto=0`, `type=2`, `local=ADDR`,
/// `peer=ADDR`, `peer_port=N`, `ifindex=N`, `remcsum`), as type and value bytes.
pub fn attr(word: &str) -> Result<(u16, Vec<u8>), String> {
    let (key, value) = word.split_once('=').unwrap_or((word, ""));
    let num = |v: &str| {
        v.parse::<i64>()
            .map_err(|_| format!("{key}: not a number: {v}"))
    };
    let addr = |v: &str| {
        v.parse::<std::net::IpAddr>()
            .map_err(|_| format!("{key}: not an address: {v}"))
    };
    let octets = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    Ok(match key {
        "port" => (
            uapi::FOU_ATTR_PORT,
            (num(value)? as u16).to_be_bytes().to_vec(),
        ),
        "peer_port" => (
            uapi::FOU_ATTR_PEER_PORT,
            (num(value)? as u16).to_be_bytes().to_vec(),
        ),
        "af" => (
            uapi::FOU_ATTR_AF,
            vec![match value {
                "4" => libc::AF_INET as u8,
                "6" => libc::AF_INET6 as u8,
                other => num(other)? as u8,
            }],
        ),
        "ipproto" => (uapi::FOU_ATTR_IPPROTO, vec![num(value)? as u8]),
        "type" => (uapi::FOU_ATTR_TYPE, vec![num(value)? as u8]),
        "ifindex" => (
            uapi::FOU_ATTR_IFINDEX,
            (num(value)? as i32).to_ne_bytes().to_vec(),
        ),
        "remcsum" => (uapi::FOU_ATTR_REMCSUM_NOPARTIAL, Vec::new()),
        "local" => {
            let a = addr(value)?;
            let kind = if a.is_ipv4() {
                uapi::FOU_ATTR_LOCAL_V4
            } else {
                uapi::FOU_ATTR_LOCAL_V6
            };
            (kind, octets(a))
        }
        "peer" => {
            let a = addr(value)?;
            let kind = if a.is_ipv4() {
                uapi::FOU_ATTR_PEER_V4
            } else {
                uapi::FOU_ATTR_PEER_V6
            };
            (kind, octets(a))
        }
        _ => return Err(format!("unknown attribute {word}")),
    })
}
