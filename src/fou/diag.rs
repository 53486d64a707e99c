//! Socket diagnostics (`NETLINK_SOCK_DIAG`): the UDP sockets of a namespace, asked with a
//! filter that leaves out the ports the fou dump returned, each read as the port it would
//! be if it were a fou port. What finds the ports the fou dump loses.

use std::net::IpAddr;

use netlink_packet_core::NLM_F_DUMP;
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, SocketId as DiagSocketId, StateFlags,
};
use netlink_packet_sock_diag::SockDiagMessage;

use super::{Family, FouEncap, FouPort};
use crate::sys::NlError;

/// `SOCK_DIAG_BY_FAMILY` dump of the UDP sockets of `family`, every state, with `filter`
/// (inet_diag bytecode, `INET_DIAG_REQ_BYTECODE`) when it is not empty.
pub(crate) fn diag_request(family: Family, filter: &[u8]) -> Vec<u8> {
    const INET_DIAG_REQ_BYTECODE: u16 = 1;
    let request = SockDiagMessage::InetRequest(InetRequest {
        family: family.af(),
        protocol: libc::IPPROTO_UDP as u8,
        extensions: ExtensionFlags::empty(),
        states: StateFlags::all(),
        socket_id: if family == Family::Inet {
            DiagSocketId::new_v4()
        } else {
            DiagSocketId::new_v6()
        },
    });
    let mut out = Vec::new();
    crate::sys::encode::encode_into(request, NLM_F_DUMP, 0, &mut out);
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
pub(crate) fn port_filter(ports: &[u16]) -> Vec<u8> {
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
pub(crate) fn diag_socket(message: &[u8], family: Family) -> std::result::Result<FouPort, NlError> {
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
        encap: FouEncap::Gue,
        local: address(4),
        peer: address(20),
        peer_port: (port(2) != 0).then_some(port(2)),
        ifindex: (ifindex != 0).then_some(ifindex),
        remcsum_nopartial: false,
    })
}

/// Whether a UDP socket could be a fou port at all: the kernel makes none bound to a device
/// without a local address, and none with a peer but no peer port (nor the other way).
/// Asking the kernel about such a socket only earns an EINVAL.
pub(super) fn could_be_fou_port(socket: &FouPort) -> bool {
    !(socket.ifindex.is_some() && socket.local.is_none())
        && socket.peer.is_some() == socket.peer_port.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::HashSet;

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
        let mut starts = crate::maps::HashSet::default();
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
}
