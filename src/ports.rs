//! Receive-port operations of a [`Handle`]: add, delete, get, list.

use std::collections::HashSet;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_generic::GenlMessage;
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_packet_sock_diag::SockDiagMessage;

use crate::error::{Error, Result};
use crate::fou::{Family, FouMessage, FouPort};
use crate::handle::Handle;
use crate::netlink::NlError;

impl Handle {
    fn fou_request(
        &mut self,
        message: FouMessage,
        flags: u16,
    ) -> std::result::Result<Vec<FouMessage>, NlError> {
        let family = match self.fou_family() {
            Ok(id) => id,
            Err(err) => {
                return Err(NlError {
                    errno: err.errno().unwrap_or(libc::ENOENT),
                    message: Some(err.to_string()),
                })
            }
        };
        let mut request = GenlMessage::from_payload(message);
        request.set_resolved_family_id(family);
        let replies = self.genl.request(request, flags)?;
        Ok(replies.into_iter().map(|reply| reply.payload).collect())
    }

    /// Adds a receive port.
    pub fn fou_add(&mut self, port: &FouPort) -> Result<()> {
        validate(port)?;
        self.fou_family()?;
        self.fou_request(FouMessage::add(port), NLM_F_REQUEST)
            .map_err(|err| self.port_refusal(err, port, "add"))?;
        Ok(())
    }

    /// Adds many ports, up to [`crate::netlink::WINDOW`] per `sendmsg`, and returns one result
    /// per port, in order. All are tried: a failure does not stop the others.
    pub fn fou_add_many(&mut self, ports: &[FouPort]) -> Vec<Result<()>> {
        if let Err(err) = self.fou_family() {
            return ports.iter().map(|_| Err(err.clone())).collect();
        }
        let family = self.fou_family.expect("resolved above");
        let mut requests = Vec::with_capacity(ports.len());
        let mut checks = Vec::with_capacity(ports.len());
        for port in ports {
            checks.push(validate(port));
            let mut request = GenlMessage::from_payload(FouMessage::add(port));
            request.set_resolved_family_id(family);
            requests.push(request);
        }
        if let Some(Err(err)) = checks.iter().find(|c| c.is_err()) {
            return ports.iter().map(|_| Err(err.clone())).collect();
        }
        let results = self.genl.request_many(requests, NLM_F_REQUEST);
        results
            .into_iter()
            .zip(ports)
            .map(|(result, port)| result.map_err(|err| self.port_refusal(err, port, "add")))
            .collect()
    }

    /// Deletes the receive port whose socket `port` names (number, family, local, peer,
    /// peer_port, dev: the kernel matches all of them).
    pub fn fou_del(&mut self, port: &FouPort) -> Result<()> {
        validate(port)?;
        self.fou_family()?;
        self.fou_request(FouMessage::del(port), NLM_F_REQUEST)
            .map_err(|err| self.port_refusal(err, port, "delete"))?;
        Ok(())
    }

    /// The port whose socket `port` names, if there is one (a `FOU_CMD_GET` "do").
    pub fn fou_get(&mut self, port: &FouPort) -> Result<Option<FouPort>> {
        self.fou_family()?;
        match self.fou_request(FouMessage::get(port), NLM_F_REQUEST) {
            Ok(replies) => replies
                .first()
                .map(|reply| {
                    reply
                        .to_port()
                        .map_err(|e| Error::system(format!("bad fou reply: {e}")))
                })
                .transpose(),
            Err(err) if err.errno == libc::ESRCH => Ok(None),
            Err(err) => Err(self.port_refusal(err, port, "read")),
        }
    }

    /// Every receive port of the namespace, in the kernel's order (newest first), with none
    /// missing.
    ///
    /// The kernel's dump counts an entry as sent before it knows the entry fit in the reply
    /// buffer, so the entry that does not fit at the end of each buffer is never sent (about
    /// one in 387 IPv4 ports; `ip fou show` loses them). So when a dump fills a buffer, the
    /// UDP sockets of the namespace (socket diagnostics) that the dump did not return are
    /// each checked with an exact `FOU_CMD_GET`: those that are fou ports are put back where
    /// the dump lost them.
    pub fn fou_list(&mut self) -> Result<Vec<FouPort>> {
        let (ports, datagrams) = self.fou_dump()?;
        if !may_have_lost_entries(&ports, &datagrams) {
            return Ok(ports);
        }
        // A set of socket keys: with thousands of ports, comparing each socket with every
        // port would grow with the square of their number.
        let mut seen: HashSet<SocketKey> = ports.iter().map(socket_key).collect();
        let mut recovered = Vec::new();
        for candidate in self.udp_sockets()? {
            if !seen.insert(socket_key(&candidate)) {
                continue;
            }
            if let Some(port) = self.fou_get(&candidate)? {
                recovered.push(port);
            }
        }
        Ok(reinsert(ports, &datagrams, recovered))
    }

    /// The kernel's dump: the ports, and for each the number of the reply datagram it came in.
    fn fou_dump(&mut self) -> Result<(Vec<FouPort>, Vec<usize>)> {
        let family = self.fou_family()?;
        let mut request = GenlMessage::from_payload(FouMessage::dump());
        request.set_resolved_family_id(family);
        let replies = self
            .genl
            .request_by_datagram(request, NLM_F_DUMP)
            .map_err(|err| {
                self.refusal(err, &format!("cannot list fou ports in {}", self.where_()))
            })?;
        let mut ports = Vec::with_capacity(replies.len());
        let mut datagrams = Vec::with_capacity(replies.len());
        for (datagram, reply) in replies {
            ports.push(
                reply
                    .payload
                    .to_port()
                    .map_err(|e| Error::system(format!("bad fou reply: {e}")))?,
            );
            datagrams.push(datagram);
        }
        Ok((ports, datagrams))
    }

    /// Every UDP socket of the namespace, IPv4 and IPv6, as the port it would be if it were a
    /// fou port (number, family, local, peer, peer_port, bound device).
    fn udp_sockets(&mut self) -> Result<Vec<FouPort>> {
        let mut sockets = Vec::new();
        for family in [Family::Inet, Family::Inet6] {
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
            let replies = self.diag.request(request, NLM_F_DUMP).map_err(|err| {
                self.refusal(
                    err,
                    &format!("cannot list the UDP sockets of {}", self.where_()),
                )
            })?;
            for reply in replies {
                let SockDiagMessage::InetResponse(response) = reply else {
                    continue;
                };
                let id = &response.header.socket_id;
                let set = |a: std::net::IpAddr| (!a.is_unspecified()).then_some(a);
                sockets.push(FouPort {
                    port: id.source_port,
                    family,
                    encap: crate::fou::FouEncap::Gue,
                    local: set(id.source_address),
                    peer: set(id.destination_address),
                    peer_port: (id.destination_port != 0).then_some(id.destination_port),
                    ifindex: (id.interface_id != 0).then_some(id.interface_id as i32),
                    remcsum_nopartial: false,
                });
            }
        }
        Ok(sockets)
    }

    /// A kernel refusal of a port operation, in words: which port, where, and why.
    fn port_refusal(&self, err: NlError, port: &FouPort, verb: &str) -> Error {
        let what = describe(port);
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
            _ => return self.refusal(err, &format!("cannot {verb} {what}")),
        };
        Error::Kernel {
            errno: err.errno,
            message,
        }
    }
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

/// "fou port 5555 (inet)" with its bindings, for messages.
fn describe(port: &FouPort) -> String {
    let mut text = format!("fou port {} ({})", port.port, port.family.name());
    if let Some(local) = port.local {
        text.push_str(&format!(" local {local}"));
    }
    if let Some(peer) = port.peer {
        text.push_str(&format!(" peer {peer}"));
    }
    if let Some(peer_port) = port.peer_port {
        text.push_str(&format!(" peer_port {peer_port}"));
    }
    if let Some(index) = port.ifindex {
        text.push_str(&format!(" dev #{index}"));
    }
    text
}

/// What the kernel would refuse anyway, refused before anything is sent.
pub fn validate(port: &FouPort) -> Result<()> {
    if port.port == 0 {
        return Err(Error::invalid("port 0 is not a port: use 1..65535"));
    }
    for (word, addr) in [("local", port.local), ("peer", port.peer)] {
        if let Some(addr) = addr {
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
        }
    }
    if port.peer_port.is_some() && port.peer.is_none() {
        return Err(Error::invalid(
            "peer_port needs peer: a peer port without a peer address means nothing",
        ));
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
