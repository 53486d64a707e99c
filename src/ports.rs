//! Receive-port operations of a [`Handle`]: add, delete, get, list.

use std::collections::HashSet;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_generic::GenlMessage;
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_packet_sock_diag::SockDiagMessage;

use crate::error::{Error, ErrorKind, Result};
use crate::fou::{port_from_reply, Family, FouEncap, FouMessage, FouPort, PortList, PortRequest};
use crate::handle::Handle;
use crate::netlink::NlError;
use crate::output::Names;

impl Handle {
    fn fou_request(
        &mut self,
        family: u16,
        message: FouMessage,
        flags: u16,
    ) -> std::result::Result<Vec<FouMessage>, NlError> {
        let mut request = GenlMessage::from_payload(message);
        request.set_resolved_family_id(family);
        let replies = self.genl.request(request, flags)?;
        Ok(replies.into_iter().map(|reply| reply.payload).collect())
    }

    /// Adds a receive port (loading the fou module if it is not loaded).
    pub fn fou_add(&mut self, port: &FouPort) -> Result<()> {
        validate_add(port)?;
        let family = self.fou_family()?;
        match self.fou_request(family, FouMessage::add(port), NLM_F_REQUEST) {
            Ok(_) => Ok(()),
            Err(err) => Err(self.port_refusal(err, port, "add")),
        }
    }

    /// Adds many ports, up to 64 per `sendmsg`, and returns one result
    /// per port, in order. All are tried: a failure does not stop the others.
    pub fn fou_add_many(&mut self, ports: &[FouPort]) -> Vec<Result<()>> {
        if let Some(Err(err)) = ports.iter().map(validate_add).find(|c| c.is_err()) {
            return ports.iter().map(|_| Err(err.clone())).collect();
        }
        let family = match self.fou_family() {
            Ok(family) => family,
            Err(err) => return ports.iter().map(|_| Err(err.clone())).collect(),
        };
        // Built as each window is sent: a batch of thousands holds one window of requests at
        // a time, not all of them (fresh memory is a page fault per page).
        let requests = ports.iter().map(|port| {
            let mut request = GenlMessage::from_payload(PortRequest::add(port));
            request.set_resolved_family_id(family);
            request
        });
        let results = self.genl.request_many(requests, NLM_F_REQUEST);
        results
            .into_iter()
            .zip(ports)
            .map(|(result, port)| result.map_err(|err| self.port_refusal(err, port, "add")))
            .collect()
    }

    /// Deletes the receive port whose socket `port` names (number, family, local, peer,
    /// peer_port, dev: the kernel matches all of them). Loads nothing: without the fou
    /// module there is no port to delete.
    pub fn fou_del(&mut self, port: &FouPort) -> Result<()> {
        validate(port)?;
        let Some(family) = self.fou_family_loaded()? else {
            return Err(self.no_port_without_module(port));
        };
        match self.fou_request(family, FouMessage::del(port), NLM_F_REQUEST) {
            Ok(_) => Ok(()),
            Err(err) => Err(self.port_refusal(err, port, "delete")),
        }
    }

    fn no_port_without_module(&mut self, port: &FouPort) -> Error {
        Error::kernel(libc::ESRCH, format!(
                "cannot delete {}: no such fou port in {} (the fou module is not loaded, so there are none)",
                self.describe(port),
                self.where_()
            )).with_kind(ErrorKind::NoSuchPort)
    }

    /// Deletes the one port that has every binding `port` gives; the bindings it leaves out
    /// (local, peer, peer_port, dev) match anything. So `del port 5558` deletes the port 5558
    /// bound to an address when it is the only 5558 of that family, and `del port 5558 dev
    /// eth0` the one bound to eth0, although the kernel matches on every binding (and refuses
    /// dev without local). Returns the port deleted. When several match, nothing is deleted
    /// and the error lists them, each as the words that delete it.
    pub fn fou_del_matching(&mut self, port: &FouPort) -> Result<FouPort> {
        let refused = match self.fou_del(port) {
            Ok(()) => return Ok(port.clone()),
            // EINVAL and ESRCH: no port has exactly these bindings.
            Err(err) if matches!(err.errno(), Some(libc::EINVAL) | Some(libc::ESRCH)) => err,
            Err(err) => return Err(err),
        };
        if self.fou_family_loaded()?.is_none() {
            return Err(refused);
        }
        let only = self.only_matching(port, refused)?;
        self.fou_del(&only)?;
        Ok(only)
    }

    /// The port [`Handle::fou_del_matching`] would delete, whole (what adds it back), and
    /// nothing deleted: the port with exactly the bindings of `port`, else the one port that
    /// has every binding `port` gives. The errors are those the delete would give.
    pub(crate) fn fou_get_matching(&mut self, port: &FouPort) -> Result<FouPort> {
        validate(port)?;
        let Some(family) = self.fou_family_loaded()? else {
            return Err(self.no_port_without_module(port));
        };
        match self.fou_get_in(family, port) {
            Ok(Some(found)) => return Ok(found),
            // As for a delete, EINVAL and ESRCH: no port has exactly these bindings.
            Ok(None) => {}
            Err(err) if matches!(err.errno, libc::EINVAL | libc::ESRCH) => {}
            Err(err) => return Err(self.port_refusal(err, port, "read")),
        }
        let none = NlError {
            errno: libc::ESRCH,
            message: None,
        };
        let none = self.port_refusal(none, port, "delete");
        self.only_matching(port, none)
    }

    /// The one port that has every binding `port` gives, or `none` when there is no such
    /// port; an error listing them when there are several. The fou module is loaded.
    fn only_matching(&mut self, port: &FouPort, none: Error) -> Result<FouPort> {
        let candidates: Vec<FouPort> = self
            .fou_list()?
            .into_iter()
            .filter(|p| matches_given(port, p))
            .collect();
        match candidates.as_slice() {
            [] => Err(none),
            [only] => Ok(only.clone()),
            many => {
                let names = self.device_names();
                Err(Error::invalid(format!(
                    "several fou ports match {} in {}: say which, with one of: {}",
                    describe_with(port, &names),
                    self.where_(),
                    many.iter()
                        .map(|p| format!("`del {}`", command_words(p, &names)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        }
    }

    /// The port whose socket `port` names, if there is one (a `FOU_CMD_GET` "do"). Loads
    /// nothing: without the fou module there is none.
    pub fn fou_get(&mut self, port: &FouPort) -> Result<Option<FouPort>> {
        let Some(family) = self.fou_family_loaded()? else {
            return Ok(None);
        };
        match self.fou_get_in(family, port) {
            Ok(found) => Ok(found),
            Err(err) if err.errno == libc::ESRCH => Ok(None),
            Err(err) => Err(self.port_refusal(err, port, "read")),
        }
    }

    fn fou_get_in(
        &mut self,
        family: u16,
        port: &FouPort,
    ) -> std::result::Result<Option<FouPort>, NlError> {
        let replies = self.fou_request(family, FouMessage::get(port), NLM_F_REQUEST)?;
        replies
            .first()
            .map(|reply| {
                reply.to_port().map_err(|e| NlError {
                    errno: libc::EBADMSG,
                    message: Some(format!("bad fou reply: {e}")),
                })
            })
            .transpose()
    }

    /// Every receive port of the namespace, in the kernel's order (newest first); see
    /// [`Handle::fou_ports`], whose notes this drops.
    pub fn fou_list(&mut self) -> Result<Vec<FouPort>> {
        Ok(self.fou_ports()?.ports)
    }

    /// Every receive port of the namespace, in the kernel's order (newest first), with none
    /// missing where the kernel allows; changes nothing and loads no module.
    ///
    /// Without the fou module there are no ports: the list is empty, and a note says why.
    ///
    /// The kernel's dump counts an entry as sent before it knows the entry fit in the reply
    /// buffer, so the entry that does not fit at the end of each buffer is never sent (about
    /// one in 387 IPv4 ports; `ip fou show` loses them). So when a dump fills a buffer, the
    /// UDP sockets of the namespace (socket diagnostics) that the dump did not return are
    /// each checked with an exact `FOU_CMD_GET`: those that are fou ports are put back where
    /// the dump lost them. Where socket diagnostics for UDP are not available (the udp_diag
    /// module is not loaded, and reading loads nothing), the list is the dump's, and a note
    /// says it may be incomplete.
    pub fn fou_ports(&mut self) -> Result<PortList> {
        let Some(family) = self.fou_family_loaded()? else {
            return Ok(PortList {
                ports: Vec::new(),
                notes: vec![format!(
                    "the fou module is not loaded, so {} has no fou ports (nothing was loaded to look)",
                    self.where_()
                )],
            });
        };
        let (ports, datagrams) = self.fou_dump(family)?;
        if !may_have_lost_entries(&ports, &datagrams) {
            return Ok(PortList {
                ports,
                notes: Vec::new(),
            });
        }
        let sockets = match self.udp_sockets(&ports) {
            Ok(sockets) => sockets,
            Err(why) => {
                return Ok(PortList {
                    ports,
                    notes: vec![format!(
                        "this list is the kernel's dump, which can miss a port now and then (about \
                         one in 387), and the UDP sockets could not be read to find them ({why})"
                    )],
                })
            }
        };
        // A set of socket keys: with thousands of ports, comparing each socket with every
        // port would grow with the square of their number. Only the dumped ports whose
        // number is that of a socket go in it: after the kernel's filter, the sockets are
        // usually a few, and hashing thousands of ports would cost more than all the rest.
        let mut numbers = vec![false; 1 << 16];
        for socket in &sockets {
            numbers[socket.port as usize] = true;
        }
        let mut seen: HashSet<SocketKey> = ports
            .iter()
            .filter(|p| numbers[p.port as usize])
            .map(socket_key)
            .collect();
        let candidates: Vec<FouPort> = sockets
            .into_iter()
            .filter(|candidate| could_be_fou_port(candidate) && seen.insert(socket_key(candidate)))
            .collect();
        // Any socket of the namespace can be a candidate (a DHCP client's, a DNS server's):
        // one the kernel will not look up is simply not a fou port. The exact gets go
        // [`crate::netlink::WINDOW`] to a `sendmsg`.
        let requests = candidates
            .iter()
            .map(|candidate| {
                let mut request = GenlMessage::from_payload(FouMessage::get(candidate));
                request.set_resolved_family_id(family);
                request
            })
            .collect();
        let recovered = self
            .genl
            .request_many_replies(requests, NLM_F_REQUEST, |payload| {
                port_from_reply(payload).map_err(|e| NlError {
                    errno: libc::EBADMSG,
                    message: Some(format!("bad fou reply: {e}")),
                })
            })
            .into_iter()
            .filter_map(|reply| reply.ok().flatten())
            .collect();
        Ok(PortList {
            ports: reinsert(ports, &datagrams, recovered),
            notes: Vec::new(),
        })
    }

    /// The kernel's dump: the ports, and for each the number of the reply datagram it came in.
    fn fou_dump(&mut self, family: u16) -> Result<(Vec<FouPort>, Vec<usize>)> {
        let mut request = GenlMessage::from_payload(FouMessage::dump());
        request.set_resolved_family_id(family);
        let replies = self
            .genl
            .dump_with(request, |payload| {
                port_from_reply(payload).map_err(|e| NlError {
                    errno: libc::EBADMSG,
                    message: Some(format!("bad fou reply: {e}")),
                })
            })
            .map_err(|err| match err.errno {
                libc::EBADMSG => Error::system(err.message.unwrap_or_default()),
                _ => self.refusal(err, &format!("cannot list fou ports in {}", self.where_())),
            })?;
        Ok(replies
            .into_iter()
            .map(|(datagram, port)| (port, datagram))
            .unzip())
    }

    /// The UDP sockets of the namespace, IPv4 and IPv6, each as the port it would be if it
    /// were a fou port (number, family, local, peer, peer_port, bound device); those that can
    /// only be ports of `dumped` are left out by the kernel. Only when the kernel has UDP
    /// socket diagnostics already: asking would make it load udp_diag.
    ///
    /// A port bound to no address, peer or device holds its number alone in its family (the
    /// kernel's fou sockets do not share ports), so the sockets with the number of such a
    /// port in `dumped` are that port: a filter sent with the request (`ss`'s port
    /// comparisons) keeps the kernel from sending them. With thousands of ports, that is
    /// thousands of messages less to make, send and read.
    fn udp_sockets(&mut self, dumped: &[FouPort]) -> std::result::Result<Vec<FouPort>, String> {
        if !crate::modules::is_available_without_loading("udp_diag") {
            return Err(
                "the udp_diag module is not loaded; `modprobe udp_diag` makes the list complete"
                    .to_string(),
            );
        }
        let mut sockets = Vec::new();
        for family in [Family::Inet, Family::Inet6] {
            let alone: Vec<u16> = dumped
                .iter()
                .filter(|p| {
                    p.family == family
                        && p.local.is_none()
                        && p.peer.is_none()
                        && p.peer_port.is_none()
                        && p.ifindex.is_none()
                })
                .map(|p| p.port)
                .collect();
            let filtered = diag_request(family, &port_filter(&alone));
            let replies = match self
                .diag
                .dump_encoded_with(filtered, |m| diag_socket(m, family))
            {
                // A kernel that refuses the filter is asked again without one.
                Err(err) if err.errno == libc::EINVAL => self
                    .diag
                    .dump_encoded_with(diag_request(family, &[]), |m| diag_socket(m, family)),
                other => other,
            };
            let replies = replies.map_err(|err| match err.errno {
                libc::ENOENT | libc::EOPNOTSUPP => {
                    "this kernel has no UDP socket diagnostics (udp_diag)".to_string()
                }
                _ => self.refusal(err, "cannot list the UDP sockets").to_string(),
            })?;
            sockets.extend(replies.into_iter().map(|(_, socket)| socket));
        }
        Ok(sockets)
    }

    /// Device names by index, for messages (empty if the devices cannot be read).
    fn device_names(&mut self) -> Names {
        self.links()
            .map(|links| {
                links
                    .iter()
                    .filter_map(|l| {
                        Some((
                            l.header.index,
                            crate::tunnel::link::link_name(l)?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// "fou port 5555 (inet)" with its bindings and the device by name, for messages.
    fn describe(&mut self, port: &FouPort) -> String {
        let names = if port.ifindex.is_some() {
            self.device_names()
        } else {
            Names::new()
        };
        describe_with(port, &names)
    }

    /// A kernel refusal of a port operation, in words: which port, where, and why.
    fn port_refusal(&mut self, err: NlError, port: &FouPort, verb: &str) -> Error {
        let what = self.describe(port);
        let kind = port_refusal_kind(verb, err.errno);
        let message = match (verb, err.errno) {
            ("add", libc::EADDRINUSE) => format!(
                "cannot add {what}: it already exists in {} (a fou port or another UDP socket holds it)",
                self.where_()
            ),
            ("add", libc::EINVAL) if port.ifindex.is_some() && port.local.is_none() => format!(
                "cannot add {what}: the kernel refuses `dev` without `local` (EINVAL); give the port a local address too"
            ),
            ("delete", libc::EINVAL) | ("delete", libc::ESRCH) => format!(
                "cannot delete {what}: no such fou port in {}",
                self.where_()
            ),
            _ => {
                let err = self.refusal(err, &format!("cannot {verb} {what}"));
                return match kind {
                    Some(kind) => err.with_kind(kind),
                    None => err,
                };
            }
        };
        let err = Error::kernel(err.errno, message);
        match kind {
            Some(kind) => err.with_kind(kind),
            None => err,
        }
    }
}

/// The kind of a kernel refusal of port operation `verb`, where the errno says more than
/// [`Error::kernel`] reads in it: the port is taken (EADDRINUSE from the bind, EALREADY or
/// EEXIST for an equal fou port), or there is no such port to delete (the kernel answers
/// EINVAL when no port matches; ESRCH and ENOENT as other paths do).
fn port_refusal_kind(verb: &str, errno: i32) -> Option<ErrorKind> {
    match (verb, errno) {
        ("add", libc::EADDRINUSE | libc::EALREADY | libc::EEXIST) => Some(ErrorKind::PortInUse),
        ("delete", libc::EINVAL | libc::ESRCH | libc::ENOENT) => Some(ErrorKind::NoSuchPort),
        _ => None,
    }
}

/// `SOCK_DIAG_BY_FAMILY` dump of the UDP sockets of `family`, every state, with `filter`
/// (inet_diag bytecode, `INET_DIAG_REQ_BYTECODE`) when it is not empty.
fn diag_request(family: Family, filter: &[u8]) -> Vec<u8> {
    const INET_DIAG_REQ_BYTECODE: u16 = 1;
    let request = SockDiagMessage::InetRequest(InetRequest {
        family: family.af(),
        protocol: libc::IPPROTO_UDP as u8,
        extensions: ExtensionFlags::empty(),
        states: StateFlags::all(),
        socket_id: if family == Family::Inet {
            SocketId::new_v4()
        } else {
            SocketId::new_v6()
        },
    });
    let mut out = Vec::new();
    crate::netlink::encode_into(request, NLM_F_DUMP, 0, &mut out);
    if !filter.is_empty() {
        out.extend_from_slice(&((4 + filter.len()) as u16).to_ne_bytes());
        out.extend_from_slice(&INET_DIAG_REQ_BYTECODE.to_ne_bytes());
        out.extend_from_slice(filter);
        let len = out.len() as u32;
        out[..4].copy_from_slice(&len.to_ne_bytes());
    }
    out
}

/// An inet_diag filter that refuses the sockets whose local port is one of `ports` and
/// accepts every other. Empty (no filter) when there are no ports. At most
/// [`MAX_FILTER_RUNS`] runs of consecutive numbers, so that it fits in one attribute: the
/// sockets of the runs past those are simply sent.
///
/// The kernel runs the filter on every UDP socket of the namespace, so the runs are searched
/// as a binary tree: a socket meets about log2(runs) comparisons. Checked one run after the
/// other, thousands of scattered ports would cost their number squared.
fn port_filter(ports: &[u16]) -> Vec<u8> {
    let mut ports = ports.to_vec();
    ports.sort_unstable();
    ports.dedup();
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for port in ports {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(port) => *end = port,
            _ => runs.push((port, port)),
        }
    }
    runs.truncate(MAX_FILTER_RUNS);
    if runs.is_empty() {
        return Vec::new();
    }
    let mut filter = Filter {
        total: tree_size(&runs),
        out: Vec::new(),
    };
    filter.out.reserve(filter.total);
    filter.tree(&runs);
    debug_assert_eq!(filter.out.len(), filter.total);
    filter.out
}

/// The most runs of port numbers in one filter: at most 28 bytes each (a run, its share of
/// the tree's nodes and leaf ends), in an attribute of at most 65,535 bytes.
const MAX_FILTER_RUNS: usize = 2300;

/// Runs checked one after the other at a leaf of the tree.
const LEAF_RUNS: usize = 2;

/// A filter being written. Each op is {code: u8, yes: u8, no: u16}: on true the program goes
/// `yes` bytes on, on false `no` bytes, always forward. It accepts by ending exactly at its
/// end, and refuses by jumping 4 bytes past it. A comparison's value is in the `no` of the
/// op after it (8 bytes in all).
struct Filter {
    total: usize,
    out: Vec<u8>,
}

impl Filter {
    const JMP: u8 = 1; // INET_DIAG_BC_JMP: always goes `no` bytes on
    const S_GE: u8 = 2; // INET_DIAG_BC_S_GE: local port >= the value
    const S_LE: u8 = 3; // INET_DIAG_BC_S_LE: local port <= the value

    fn op(&mut self, code: u8, yes: usize, no: usize) {
        self.out.extend_from_slice(&[code, yes as u8]);
        self.out.extend_from_slice(&(no as u16).to_ne_bytes());
    }

    fn compare(&mut self, code: u8, no: usize, value: u16) {
        self.op(code, 8, no);
        self.op(0, 0, value.into());
    }

    /// From here, the jump that refuses and the one that accepts.
    fn refuse(&self) -> usize {
        self.total - self.out.len() + 4
    }

    fn accept(&self) -> usize {
        self.total - self.out.len()
    }

    /// Refuses the ports of `runs`, accepts any other: at a node, "port >= the first port
    /// of the upper half: the upper half, else the lower half" (each half written whole
    /// after the node, the upper first); at a leaf, each run, then accept.
    fn tree(&mut self, runs: &[(u16, u16)]) {
        if runs.len() <= LEAF_RUNS {
            for &(start, end) in runs {
                if end == u16::MAX {
                    // port <= start - 1: the next run; otherwise (start..=65535) refuse.
                    // Port 0 is no socket's, so start >= 1.
                    self.compare(Self::S_LE, self.refuse(), start.saturating_sub(1));
                } else {
                    // port >= start: the next op, else the next run; port >= end + 1: the
                    // next run, else refuse.
                    self.compare(Self::S_GE, 16, start);
                    self.compare(Self::S_GE, self.refuse(), end + 1);
                }
            }
            self.op(Self::JMP, 4, self.accept());
            return;
        }
        let (lower, upper) = runs.split_at(runs.len() / 2);
        self.compare(Self::S_GE, 8 + tree_size(upper), upper[0].0);
        self.tree(upper);
        self.tree(lower);
    }
}

/// The bytes [`Filter::tree`] writes for `runs`.
fn tree_size(runs: &[(u16, u16)]) -> usize {
    if runs.len() <= LEAF_RUNS {
        let run = |&(_, end): &(u16, u16)| if end == u16::MAX { 8 } else { 16 };
        return runs.iter().map(run).sum::<usize>() + 4;
    }
    let (lower, upper) = runs.split_at(runs.len() / 2);
    8 + tree_size(upper) + tree_size(lower)
}

/// The socket one inet_diag message describes, as the port it would be if it were a fou
/// port; read from the message's bytes (`struct inet_diag_msg`): family, state, timer,
/// retransmits, then the socket id: local and remote port (big-endian), local and remote
/// address (16 bytes each), interface index.
fn diag_socket(message: &[u8], family: Family) -> std::result::Result<FouPort, NlError> {
    let short = || NlError {
        errno: libc::EBADMSG,
        message: Some("cannot decode the kernel's reply: short inet_diag message".into()),
    };
    let id = message.get(4..48).ok_or_else(short)?;
    let port = |at: usize| u16::from_be_bytes([id[at], id[at + 1]]);
    let address = |at: usize| -> Option<IpAddr> {
        let bytes = &id[at..at + 16];
        let addr: IpAddr = if family == Family::Inet {
            std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).into()
        } else {
            std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).expect("16 bytes")).into()
        };
        (!addr.is_unspecified()).then_some(addr)
    };
    let ifindex = u32::from_ne_bytes(id[36..40].try_into().expect("4 bytes"));
    Ok(FouPort {
        port: port(0),
        family,
        encap: crate::fou::FouEncap::Gue,
        local: address(4),
        peer: address(20),
        peer_port: (port(2) != 0).then_some(port(2)),
        ifindex: (ifindex != 0).then_some(ifindex as i32),
        remcsum_nopartial: false,
    })
}

/// Whether a UDP socket could be a fou port at all: the kernel makes none bound to a device
/// without a local address, and none with a peer but no peer port (nor the other way).
/// Asking the kernel about such a socket only earns an EINVAL.
fn could_be_fou_port(socket: &FouPort) -> bool {
    !(socket.ifindex.is_some() && socket.local.is_none())
        && socket.peer.is_some() == socket.peer_port.is_some()
}

/// Whether `port` has every binding `given` names (its number and family always).
fn matches_given(given: &FouPort, port: &FouPort) -> bool {
    given.port == port.port
        && given.family == port.family
        && given.local.is_none_or(|a| port.local == Some(a))
        && given.peer.is_none_or(|a| port.peer == Some(a))
        && given.peer_port.is_none_or(|p| port.peer_port == Some(p))
        && given.ifindex.is_none_or(|i| port.ifindex == Some(i))
}

/// What tells one port's socket from another's, as [`FouPort::same_socket`] compares them.
type SocketKey = (
    u16,
    Family,
    Option<IpAddr>,
    Option<IpAddr>,
    Option<u16>,
    Option<i32>,
);

fn socket_key(port: &FouPort) -> SocketKey {
    (
        port.port,
        port.family,
        port.local,
        port.peer,
        port.peer_port,
        port.ifindex,
    )
}

/// "fou port 5555 (inet)" with its bindings, a device by its name (`ifN` when it is gone,
/// as ip prints it), for messages.
pub fn describe_with(port: &FouPort, names: &Names) -> String {
    format!("fou {}", port.describe(dev_word(port, names).as_deref()))
}

/// The name of device `index`, or `ifN` as ip prints (and reads) a device that is gone.
pub fn device_name(names: &Names, index: i32) -> String {
    names
        .get(&(index as u32))
        .cloned()
        .unwrap_or_else(|| format!("if{index}"))
}

/// The words that name `port`'s socket on the command line, as `del` takes them:
/// `port 6003 local 192.0.2.1 dev eth0`, with `-6` where no address says the family.
pub fn command_words(port: &FouPort, names: &Names) -> String {
    port.words(false, dev_word(port, names).as_deref())
        .join(" ")
}

fn dev_word(port: &FouPort, names: &Names) -> Option<String> {
    port.ifindex.map(|index| device_name(names, index))
}

/// What the kernel would refuse anyway, refused before anything is sent: for any port
/// operation (add, delete, get).
pub fn validate(port: &FouPort) -> Result<()> {
    validate_socket(port, port.ifindex.is_some())
}

/// [`validate`] for a port to add: also `dev` without `local`, which the kernel refuses, and
/// a direct port of IP protocol 0, which kernels with the fix for CVE-2026-23083 refuse
/// (older ones made a port that decapsulates to nothing).
pub fn validate_add(port: &FouPort) -> Result<()> {
    validate(port)?;
    if port.encap == (FouEncap::Direct { ipproto: 0 }) {
        return Err(Error::invalid(format!(
            "port {}: ipproto 0 is not a protocol a fou port can carry (use 1..255, or GUE)",
            port.port
        )));
    }
    check_dev_needs_local(port, port.ifindex.is_some())
}

/// The kernel binds a port to a device only together with a local address (EINVAL).
pub(crate) fn check_dev_needs_local(port: &FouPort, has_dev: bool) -> Result<()> {
    if has_dev && port.local.is_none() {
        return Err(Error::invalid(format!(
            "port {}: dev needs local: the kernel binds a fou port to a device only together \
             with a local address",
            port.port
        )));
    }
    Ok(())
}

/// [`validate`] before the device is looked up: `has_dev` says whether `dev` was given.
pub(crate) fn validate_socket(port: &FouPort, has_dev: bool) -> Result<()> {
    if port.port == 0 {
        return Err(Error::invalid("port 0 is not a port: use 1..65535"));
    }
    for (word, addr) in [("local", port.local), ("peer", port.peer)] {
        let Some(addr) = addr else { continue };
        if Family::of(&addr) != port.family {
            return Err(Error::invalid(format!(
                "{word} {addr} is not an {} address, but the port is {}",
                if port.family == Family::Inet {
                    "IPv4"
                } else {
                    "IPv6"
                },
                if port.family == Family::Inet {
                    "IPv4 (add -6 for IPv6)"
                } else {
                    "IPv6 (-6)"
                }
            )));
        }
        let IpAddr::V6(v6) = addr else { continue };
        if let Some(v4) = v6.to_ipv4_mapped() {
            return Err(Error::invalid(format!(
                "{word} {addr} is an IPv4-mapped address: the socket of an IPv6 fou port is \
                 IPv6-only and cannot use it; for an IPv4 port say {word} {v4} (without -6)"
            )));
        }
        // fe80::/10: meaningful only on one link.
        if v6.segments()[0] & 0xffc0 == 0xfe80 && !has_dev {
            return Err(Error::invalid(format!(
                "{word} {addr} is a link-local address: say on which device, with dev IFNAME"
            )));
        }
    }
    match (port.peer.is_some(), port.peer_port.is_some()) {
        (true, false) => {
            return Err(Error::invalid(
                "peer needs peer_port: both peer and peer port must be set (the kernel connects \
                 the port's socket to the pair)",
            ))
        }
        (false, true) => {
            return Err(Error::invalid(
                "peer_port needs peer: both peer and peer port must be set (a peer port without \
                 a peer address means nothing)",
            ))
        }
        _ => {}
    }
    if port.peer_port == Some(0) {
        return Err(Error::invalid("peer_port 0 is not a port: use 1..65535"));
    }
    Ok(())
}

/// Whether a dump may have dropped entries: only a dump that filled a reply buffer can. A
/// dump of one small datagram cannot; to be safe, any dump of more than one datagram, or of
/// more entries than the smallest reply buffer holds, is checked.
fn may_have_lost_entries(ports: &[FouPort], datagrams: &[usize]) -> bool {
    // NLMSG_GOODSIZE (a page less overhead) holds about 40 entries of 84 to 112 bytes.
    const SMALLEST_BUFFER_ENTRIES: usize = 30;
    datagrams.last().is_some_and(|last| *last > 0) || ports.len() >= SMALLEST_BUFFER_ENTRIES
}

/// Puts recovered ports back where the dump lost them: each lost entry was the one after the
/// last entry of a datagram. When as many were recovered as datagrams ended early, every
/// place is known (their order among themselves is not: they go by family and number);
/// anything else goes at the end.
fn reinsert(ports: Vec<FouPort>, datagrams: &[usize], mut recovered: Vec<FouPort>) -> Vec<FouPort> {
    if recovered.is_empty() {
        return ports;
    }
    recovered.sort_by_key(|p| (p.family, p.port));
    let count = datagrams.last().map_or(0, |last| last + 1);
    // Datagrams 0..count-1 certainly ended early; the last one did too if one more was found.
    let early = if recovered.len() >= count {
        count
    } else {
        count.saturating_sub(1)
    };
    let mut recovered = recovered.into_iter();
    let mut out = Vec::with_capacity(ports.len() + recovered.len());
    for (index, port) in ports.into_iter().enumerate() {
        let datagram = datagrams[index];
        out.push(port);
        let last_of_datagram = datagrams.get(index + 1) != Some(&datagram);
        if last_of_datagram && datagram < early {
            out.extend(recovered.next());
        }
    }
    out.extend(recovered);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(n: u16) -> FouPort {
        FouPort::direct(n, 4)
    }

    #[test]
    fn port_refusals_are_classified_by_operation_and_errno() {
        use ErrorKind::*;
        assert_eq!(port_refusal_kind("add", libc::EADDRINUSE), Some(PortInUse));
        assert_eq!(port_refusal_kind("add", libc::EALREADY), Some(PortInUse));
        assert_eq!(port_refusal_kind("add", libc::EEXIST), Some(PortInUse));
        assert_eq!(port_refusal_kind("delete", libc::EINVAL), Some(NoSuchPort));
        assert_eq!(port_refusal_kind("delete", libc::ESRCH), Some(NoSuchPort));
        assert_eq!(port_refusal_kind("delete", libc::ENOENT), Some(NoSuchPort));
        // EINVAL on add is dev without local, not a missing port; EPERM is read by
        // Error::kernel.
        assert_eq!(port_refusal_kind("add", libc::EINVAL), None);
        assert_eq!(port_refusal_kind("add", libc::EPERM), None);
        assert_eq!(port_refusal_kind("read", libc::ESRCH), None);
    }

    #[test]
    fn ipproto_0_is_refused_before_an_add_is_sent() {
        let err = validate_add(&FouPort::direct(5555, 0)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("ipproto 0"), "{err}");
        validate_add(&FouPort::direct(5555, 4)).unwrap();
        validate_add(&FouPort::gue(5555)).unwrap();
        // A port the kernel lists with ipproto 0 (made before the fix) can still be deleted.
        validate(&FouPort::direct(5555, 0)).unwrap();
    }

    #[test]
    fn lost_entries_go_back_after_each_full_datagram() {
        // The dump sent 9 8 | 6 5 and lost one port after each datagram. The places are known;
        // which lost port goes in which place is not, so they go by number.
        let dumped = vec![port(9), port(8), port(6), port(5)];
        let out = reinsert(dumped, &[0, 0, 1, 1], vec![port(4), port(7)]);
        let order: Vec<u16> = out.iter().map(|p| p.port).collect();
        assert_eq!(order, [9, 8, 4, 6, 5, 7]);
        // One lost entry between two datagrams has one place.
        let out = reinsert(vec![port(9), port(8), port(6)], &[0, 0, 1], vec![port(7)]);
        assert_eq!(out.iter().map(|p| p.port).collect::<Vec<_>>(), [9, 8, 7, 6]);
    }

    #[test]
    fn small_dumps_are_trusted() {
        assert!(!may_have_lost_entries(&[port(1)], &[0]));
        assert!(may_have_lost_entries(&[port(1), port(2)], &[0, 1]));
        assert!(may_have_lost_entries(&vec![port(1); 30], &[0; 30]));
    }
}

#[cfg(test)]
mod matching {
    use super::*;

    #[test]
    fn sockets_that_cannot_be_fou_ports_are_not_asked_about() {
        // A DHCP client: 0.0.0.0:68 bound to a device. The kernel refuses a get with a device
        // and no local address (EINVAL), so it is skipped, not asked about.
        let mut dhcp = FouPort::gue(68);
        dhcp.ifindex = Some(4);
        assert!(!could_be_fou_port(&dhcp));
        let mut dhcp6 = FouPort::gue(546).ipv6();
        dhcp6.ifindex = Some(4);
        assert!(!could_be_fou_port(&dhcp6));
        let mut bound = FouPort::gue(5555).with_local("192.0.2.1".parse().unwrap());
        bound.ifindex = Some(4);
        assert!(could_be_fou_port(&bound));
        assert!(could_be_fou_port(&FouPort::gue(5555)));
        let mut half = FouPort::gue(5555).with_local("192.0.2.1".parse().unwrap());
        half.peer = Some("192.0.2.2".parse().unwrap());
        assert!(!could_be_fou_port(&half));
    }

    /// The kernel's reading of an inet_diag filter, for the local-port comparisons and jumps
    /// only: its audit (inet_diag_bc_audit) here, which panics where the kernel would refuse
    /// the filter (EINVAL); then, as inet_diag_bc_run, the returned function says whether it
    /// accepts a port, and after how many ops.
    fn kernel_reads(filter: &[u8]) -> impl Fn(u16) -> (bool, usize) + '_ {
        let op = |at: usize| {
            let b = &filter[at..at + 4];
            (
                b[0],
                b[1] as usize,
                u16::from_ne_bytes([b[2], b[3]]) as usize,
            )
        };
        // The audit: along the `yes` chain, every op is a jump (4 bytes) or a port
        // comparison (8 bytes, with its value), whose jumps are multiples of 4, at least its
        // size and at most 4 past the end, and land on an op of the chain.
        let mut starts = std::collections::HashSet::new();
        let mut at = 0;
        while at < filter.len() {
            starts.insert(at);
            let (code, yes, no) = op(at);
            assert!(
                code == 1 || code == 2 || code == 3,
                "only JMP, S_GE and S_LE"
            );
            let min_len = if code == 1 { 4 } else { 8 };
            let len = filter.len() - at;
            assert!(len >= min_len);
            for jump in [yes, no] {
                assert!(jump >= min_len && jump <= len + 4 && jump % 4 == 0);
            }
            at += yes;
        }
        assert_eq!(at, filter.len());
        for &start in &starts {
            let (_, _, no) = op(start);
            assert!(no >= filter.len() - start || starts.contains(&(start + no)));
        }
        move |port| {
            let mut at = 0;
            let mut steps = 0;
            while at < filter.len() {
                let (code, yes, no) = op(at);
                let true_ = match code {
                    1 => false,
                    2 => port >= op(at + 4).2 as u16,
                    _ => port <= op(at + 4).2 as u16,
                };
                at += if true_ { yes } else { no };
                steps += 1;
            }
            (at == filter.len(), steps)
        }
    }

    #[test]
    fn the_diag_filter_refuses_exactly_the_ports_given() {
        assert!(port_filter(&[]).is_empty());
        let given = [5, 6, 7, 9, 100, 101, 65534, 65535, 1];
        // Runs 1, 5..=7, 9, 100..=101, 65534..=65535: from one run (a leaf alone) to all.
        for count in 1..=given.len() {
            let given = &given[..count];
            let filter = port_filter(given);
            let accepts = kernel_reads(&filter);
            for port in 0..=u16::MAX {
                assert_eq!(
                    accepts(port).0,
                    !given.contains(&port),
                    "{count} ports, port {port}"
                );
            }
        }
        // As many runs as fit: past them, sockets are simply sent. Each socket meets a
        // path of the tree, not every run.
        let spread: Vec<u16> = (0..5000).map(|i| 2 * i + 1).collect();
        let filter = port_filter(&spread);
        assert!(filter.len() + 4 <= u16::MAX as usize, "{}", filter.len());
        let accepts = kernel_reads(&filter);
        for port in 0..12_000 {
            let listed = port % 2 == 1 && (port as usize) < 2 * MAX_FILTER_RUNS;
            let (accepted, steps) = accepts(port);
            assert_eq!(accepted, !listed, "port {port}");
            assert!(steps <= 16, "{steps} ops for port {port}");
        }
        // The most runs, each of one port, and the last run up to 65535 (its own shape).
        let mut most: Vec<u16> = (0..MAX_FILTER_RUNS as u16 - 1).map(|i| 3 * i + 1).collect();
        most.push(65535);
        let filter = port_filter(&most);
        assert!(filter.len() + 4 <= u16::MAX as usize, "{}", filter.len());
        let accepts = kernel_reads(&filter);
        let listed: HashSet<u16> = most.iter().copied().collect();
        for port in 0..=u16::MAX {
            assert_eq!(accepts(port).0, !listed.contains(&port), "port {port}");
        }
    }

    #[test]
    fn a_diag_message_reads_as_the_socket_it_describes() {
        // inet_diag_msg of 192.0.2.1:5555 connected to 192.0.2.2:6000, bound to device 3.
        let mut message = vec![libc::AF_INET as u8, 1, 0, 0];
        message.extend_from_slice(&5555u16.to_be_bytes());
        message.extend_from_slice(&6000u16.to_be_bytes());
        message.extend_from_slice(&[192, 0, 2, 1]);
        message.extend_from_slice(&[0; 12]);
        message.extend_from_slice(&[192, 0, 2, 2]);
        message.extend_from_slice(&[0; 12]);
        message.extend_from_slice(&3u32.to_ne_bytes());
        message.extend_from_slice(&[0; 8 + 20]);
        let socket = diag_socket(&message, Family::Inet).unwrap();
        let mut want = FouPort::gue(5555).with_peer("192.0.2.2".parse().unwrap(), Some(6000));
        want.local = Some("192.0.2.1".parse().unwrap());
        want.ifindex = Some(3);
        assert_eq!(socket, want);
        // A wildcard IPv6 socket.
        let mut message = vec![libc::AF_INET6 as u8, 7, 0, 0];
        message.extend_from_slice(&5556u16.to_be_bytes());
        message.extend_from_slice(&[0; 2 + 32 + 4 + 8 + 20]);
        assert_eq!(
            diag_socket(&message, Family::Inet6).unwrap(),
            FouPort::gue(5556).ipv6()
        );
        assert!(diag_socket(&message[..40], Family::Inet6).is_err());
    }

    #[test]
    fn bindings_left_out_match_anything() {
        let mut port = FouPort::gue(6003).with_local("192.0.2.1".parse().unwrap());
        port.ifindex = Some(7);
        assert!(matches_given(&FouPort::gue(6003), &port));
        let mut by_dev = FouPort::gue(6003);
        by_dev.ifindex = Some(7);
        assert!(matches_given(&by_dev, &port));
        by_dev.ifindex = Some(8);
        assert!(!matches_given(&by_dev, &port));
        assert!(!matches_given(&FouPort::gue(6003).ipv6(), &port));
        assert!(!matches_given(&FouPort::gue(6004), &port));
    }

    #[test]
    fn ports_are_named_by_the_words_that_delete_them() {
        let names = Names::from([(7, "dummy0".to_string())]);
        let mut port = FouPort::gue(6003).with_local("192.0.2.1".parse().unwrap());
        port.ifindex = Some(7);
        assert_eq!(
            command_words(&port, &names),
            "port 6003 local 192.0.2.1 dev dummy0"
        );
        port.ifindex = Some(9);
        assert_eq!(
            command_words(&port, &names),
            "port 6003 local 192.0.2.1 dev if9"
        );
        assert_eq!(
            describe_with(&port, &names),
            "fou port 6003 (inet) local 192.0.2.1 dev if9"
        );
        assert_eq!(command_words(&FouPort::gue(1).ipv6(), &names), "port 1 -6");
    }
}
