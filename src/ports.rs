//! Receive-port operations of a [`Handle`]: add, delete, get, list.

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_generic::GenlMessage;

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

    /// Every receive port of the namespace, as the kernel's dump lists them.
    pub fn fou_list(&mut self) -> Result<Vec<FouPort>> {
        self.fou_family()?;
        let replies = self
            .fou_request(FouMessage::dump(), NLM_F_DUMP)
            .map_err(|err| {
                self.refusal(err, &format!("cannot list fou ports in {}", self.where_()))
            })?;
        replies
            .iter()
            .map(|reply| {
                reply
                    .to_port()
                    .map_err(|e| Error::system(format!("bad fou reply: {e}")))
            })
            .collect()
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
