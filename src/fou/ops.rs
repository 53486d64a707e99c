//! Receive-port operations of a [`Handle`]: add, delete, get, list.

use crate::maps::HashSet;

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_generic::GenlMessage;

use super::diag::{could_be_fou_port, diag_request, diag_socket, port_filter};
use super::recover::{may_have_lost_entries, reinsert};
use super::wire::{decode_port, PortRequest};
use super::{validate, validate_add, Family, FouPort, PortList, SocketId};
use crate::devices::Devices;
use crate::error::{Error, ErrorKind, Result};
use crate::handle::Handle;
use crate::sys::{modules, NlError};

/// A fou request as a generic-netlink message of the family whose id is `family`.
fn message(family: u16, request: PortRequest) -> GenlMessage<PortRequest> {
    let mut message = GenlMessage::from_payload(request);
    message.set_resolved_family_id(family);
    message
}

/// [`decode_port`], its error as a failed request's.
fn read_port(payload: &[u8]) -> std::result::Result<FouPort, NlError> {
    decode_port(payload).map_err(NlError::decode)
}

impl Handle {
    /// Sends one fou request about `port` and returns the port of its reply, if it has one.
    fn fou_request(
        &mut self,
        family: u16,
        request: PortRequest,
    ) -> std::result::Result<Option<FouPort>, NlError> {
        self.genl
            .request_one(message(family, request), NLM_F_REQUEST, read_port)
    }

    /// Adds a receive port (loading the fou module if it is not loaded).
    pub fn fou_add(&mut self, port: &FouPort) -> Result<()> {
        validate_add(port)?;
        let family = self.fou_family()?;
        match self.fou_request(family, PortRequest::add(port)) {
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
        // a time, not all of them.
        let requests = ports
            .iter()
            .map(|port| message(family, PortRequest::add(port)));
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
        match self.fou_request(family, PortRequest::del(port)) {
            Ok(_) => Ok(()),
            Err(err) => Err(self.port_refusal(err, port, "delete")),
        }
    }

    fn no_port_without_module(&mut self, port: &FouPort) -> Error {
        Error::kernel(
            libc::ESRCH,
            format!(
                "cannot delete {}: no such fou port in {} (the fou module is not loaded, so there are none)",
                self.describe(port),
                self.place()
            ),
        )
        .with_kind(ErrorKind::NoSuchPort)
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
    pub fn fou_get_matching(&mut self, port: &FouPort) -> Result<FouPort> {
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
            .filter(|p| p.has_bindings_of(port))
            .collect();
        match candidates.as_slice() {
            [] => Err(none),
            [only] => Ok(only.clone()),
            many => {
                let devices = self.devices().unwrap_or_default();
                Err(Error::invalid(format!(
                    "several fou ports match {} in {}: say which, with one of: {}",
                    port.describe(&devices),
                    self.place(),
                    many.iter()
                        .map(|p| format!("`del {}`", p.words(false, &devices).join(" ")))
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
        self.fou_request(family, PortRequest::get(port))
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
    /// buffer, so the entry that does not fit at the end of each buffer is never sent
    /// (`ip fou show` loses them). So when a dump fills a buffer, the
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
                    self.place()
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
                        "this list is the kernel's dump, which misses a port now and then when it \
                         is long, and the UDP sockets could not be read to find them ({why})"
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
        let mut seen: HashSet<SocketId> = ports
            .iter()
            .filter(|p| numbers[p.port as usize])
            .map(FouPort::socket)
            .collect();
        let candidates: Vec<FouPort> = sockets
            .into_iter()
            .filter(|candidate| could_be_fou_port(candidate) && seen.insert(candidate.socket()))
            .collect();
        // Any socket of the namespace can be a candidate (a DHCP client's, a DNS server's):
        // one the kernel will not look up is simply not a fou port. The exact gets go many
        // to a `sendmsg`.
        let requests = candidates
            .iter()
            .map(|candidate| message(family, PortRequest::get(candidate)));
        let recovered = self
            .genl
            .request_many_replies(requests, NLM_F_REQUEST, read_port)
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
        let replies = self
            .genl
            .dump_with(message(family, PortRequest::dump()), read_port)
            .map_err(|err| match err.errno {
                libc::EBADMSG => Error::system(err.message.unwrap_or_default()),
                _ => self.refusal(err, &format!("cannot list fou ports in {}", self.place())),
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
        if !modules::is_available_without_loading("udp_diag") {
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

    /// "fou port 5555 (inet)" with its bindings and the device by name, for messages (the
    /// device by ip's `ifN` when the devices cannot be read).
    fn describe(&mut self, port: &FouPort) -> String {
        let devices = if port.ifindex.is_some() {
            self.devices().unwrap_or_default()
        } else {
            Devices::default()
        };
        port.describe(&devices)
    }

    /// A kernel refusal of a port operation, in words: which port, where, and why.
    fn port_refusal(&mut self, err: NlError, port: &FouPort, verb: &str) -> Error {
        let what = self.describe(port);
        let kind = port_refusal_kind(verb, err.errno);
        let message = match (verb, err.errno) {
            ("add", libc::EADDRINUSE) => format!(
                "cannot add {what}: it already exists in {} (a fou port or another UDP socket holds it)",
                self.place()
            ),
            ("add", libc::EINVAL) if port.ifindex.is_some() && port.local.is_none() => format!(
                "cannot add {what}: the kernel refuses `dev` without `local` (EINVAL); give the port a local address too"
            ),
            ("delete", libc::EINVAL) | ("delete", libc::ESRCH) => format!(
                "cannot delete {what}: no such fou port in {}",
                self.place()
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
