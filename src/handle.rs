//! [`Handle`]: the netlink sockets of one network namespace, and the translation of the
//! kernel's refusals into sentences.

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;
use netlink_sys::protocols::{NETLINK_GENERIC, NETLINK_ROUTE, NETLINK_SOCK_DIAG};

use std::fs::File;
use std::sync::Arc;

use netlink_packet_core::{NetlinkDeserializable, NetlinkSerializable};

use crate::error::{errno_text, Error, Result};
use crate::modules;
use crate::netlink::{NlError, NlSocket};
use crate::netns;

/// The netlink sockets of one network namespace.
///
/// Each socket is opened when first used, in the handle's namespace: a port command opens
/// only the generic-netlink socket, a tunnel command only the route socket.
///
/// ```no_run
/// use rfou::{FouPort, Handle};
/// let mut handle = Handle::in_netns("blue")?;
/// handle.fou_add(&FouPort::direct(5555, 4))?;
/// for port in handle.fou_list()? {
///     println!("{port}");
/// }
/// # Ok::<(), rfou::Error>(())
/// ```
pub struct Handle {
    netns: Option<String>,
    pub(crate) route: LazySocket,
    pub(crate) genl: LazySocket,
    /// Socket diagnostics: the UDP sockets of the namespace, to find the fou ports that the
    /// kernel's port dump drops.
    pub(crate) diag: LazySocket,
    pub(crate) fou_family: Option<u16>,
}

impl Handle {
    /// A handle on the namespace of the calling thread (the one it is in when the handle
    /// first uses a socket).
    pub fn new() -> Result<Self> {
        Ok(Self::with_place(None, None))
    }

    /// A handle on the named namespace (`/run/netns/NAME`, as `ip -n NAME`). The namespace is
    /// entered once here, to find out at once whether it can be; each socket is opened in it
    /// later, when first used.
    pub fn in_netns(name: &str) -> Result<Self> {
        let file = netns::open(name)?;
        netns::within_file(name, &file, || Ok(()))?;
        let place = Arc::new(Place {
            name: name.to_string(),
            file,
        });
        Ok(Self::with_place(Some(name.to_string()), Some(place)))
    }

    fn with_place(netns: Option<String>, place: Option<Arc<Place>>) -> Self {
        let socket = |protocol| LazySocket {
            protocol,
            place: place.clone(),
            socket: None,
        };
        Handle {
            route: socket(NETLINK_ROUTE),
            genl: socket(NETLINK_GENERIC),
            diag: socket(NETLINK_SOCK_DIAG),
            netns,
            fou_family: None,
        }
    }

    /// The namespace this handle works in, for messages: `namespace "blue"` or
    /// `this namespace`.
    pub fn where_(&self) -> String {
        match &self.netns {
            Some(name) => format!("namespace \"{name}\""),
            None => "this namespace".to_string(),
        }
    }

    pub fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    /// The id of the `fou` family, loading the module as `modprobe fou` would if the
    /// controller does not know it (the module has no alias that loads it on demand). Only
    /// what changes the kernel's ports calls this: reading loads nothing
    /// ([`Handle::fou_family_loaded`]).
    pub(crate) fn fou_family(&mut self) -> Result<u16> {
        if let Some(id) = self.fou_family_loaded()? {
            return Ok(id);
        }
        modules::load("fou").map_err(|why| {
            Error::system(format!(
                "the kernel has no fou support: the fou module is not loaded and could not be loaded ({why}); \
                 run `modprobe fou`, or use a kernel built with CONFIG_NET_FOU"
            ))
        })?;
        let id = self.resolve_family("fou").map_err(|err| {
            self.refusal(
                err,
                "the fou generic-netlink family is still missing after `modprobe fou`",
            )
        })?;
        self.fou_family = Some(id);
        Ok(id)
    }

    /// The id of the `fou` family if the kernel has it now, `None` if the module is not
    /// loaded (then the namespace has no fou ports). Loads nothing: `show` and the other
    /// readers change nothing, not even the set of modules.
    pub(crate) fn fou_family_loaded(&mut self) -> Result<Option<u16>> {
        if let Some(id) = self.fou_family {
            return Ok(Some(id));
        }
        match self.resolve_family("fou") {
            Ok(id) => {
                self.fou_family = Some(id);
                Ok(Some(id))
            }
            Err(err) if err.errno == libc::ENOENT => Ok(None),
            Err(err) => Err(self.refusal(err, "cannot look up the fou generic-netlink family")),
        }
    }

    /// Whether the generic-netlink controller knows family `name` now (nothing is loaded).
    pub fn has_genl_family(&mut self, name: &str) -> bool {
        self.resolve_family(name).is_ok()
    }

    fn resolve_family(&mut self, name: &str) -> std::result::Result<u16, NlError> {
        let request = GenlMessage::from_payload(GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(name.to_string())],
        });
        let replies = self.genl.request(request, NLM_F_REQUEST)?;
        replies
            .iter()
            .flat_map(|reply| reply.payload.nlas.iter())
            .find_map(|attr| match attr {
                GenlCtrlAttrs::FamilyId(id) => Some(*id),
                _ => None,
            })
            .ok_or(NlError {
                errno: libc::ENOENT,
                message: None,
            })
    }

    /// A kernel refusal, said in a sentence: `what` failed, because of what the kernel
    /// answered; with the privilege named where that is the reason.
    pub(crate) fn refusal(&self, err: NlError, what: &str) -> Error {
        let reason = match (&err.message, err.errno) {
            (_, libc::EPERM) => format!(
                "permission denied in {}: this needs CAP_NET_ADMIN (run as root)",
                self.where_()
            ),
            (Some(text), errno) if !text.is_empty() => format!("{text} ({})", errno_text(errno)),
            (_, errno) => errno_text(errno),
        };
        Error::Kernel {
            errno: err.errno,
            message: format!("{what}: {reason}"),
        }
    }
}

/// A namespace a handle works in: its file, open, and its name for messages.
struct Place {
    name: String,
    file: File,
}

/// A netlink socket opened on first use, in the handle's namespace; its requests are those of
/// [`NlSocket`]. A port command needs no route socket, and a tunnel command no
/// generic-netlink one: each socket not opened is system calls saved at every start.
pub(crate) struct LazySocket {
    protocol: isize,
    place: Option<Arc<Place>>,
    socket: Option<NlSocket>,
}

impl LazySocket {
    fn get(&mut self) -> std::result::Result<&mut NlSocket, NlError> {
        if self.socket.is_none() {
            let protocol = self.protocol;
            let open = || {
                NlSocket::open(protocol)
                    .map_err(|e| Error::system(format!("cannot open a netlink socket: {e}")))
            };
            let opened = match &self.place {
                None => open(),
                Some(place) => netns::within_file(&place.name, &place.file, open),
            };
            let socket = opened.map_err(|err| NlError {
                errno: err.errno().unwrap_or(libc::EIO),
                message: Some(err.to_string()),
            })?;
            self.socket = Some(socket);
        }
        Ok(self.socket.as_mut().expect("opened above"))
    }

    /// [`NlSocket::request`].
    pub fn request<I>(&mut self, payload: I, flags: u16) -> std::result::Result<Vec<I>, NlError>
    where
        I: NetlinkSerializable + NetlinkDeserializable,
    {
        self.get()?.request(payload, flags)
    }

    /// [`NlSocket::request_many`]; every request fails if the socket cannot be opened.
    pub fn request_many<I>(
        &mut self,
        payloads: Vec<I>,
        flags: u16,
    ) -> Vec<std::result::Result<(), NlError>>
    where
        I: NetlinkSerializable + NetlinkDeserializable,
    {
        match self.get() {
            Ok(socket) => socket.request_many(payloads, flags),
            Err(err) => payloads.iter().map(|_| Err(err.clone())).collect(),
        }
    }

    /// [`NlSocket::request_many_replies`]; every request fails if the socket cannot be opened.
    pub fn request_many_replies<I, T>(
        &mut self,
        payloads: Vec<I>,
        flags: u16,
        parse: impl FnMut(&[u8]) -> std::result::Result<T, NlError>,
    ) -> Vec<std::result::Result<Option<T>, NlError>>
    where
        I: NetlinkSerializable,
    {
        match self.get() {
            Ok(socket) => socket.request_many_replies(payloads, flags, parse),
            Err(err) => payloads.iter().map(|_| Err(err.clone())).collect(),
        }
    }

    /// [`NlSocket::dump_with`].
    pub fn dump_with<I, T>(
        &mut self,
        payload: I,
        parse: impl FnMut(&[u8]) -> std::result::Result<T, NlError>,
    ) -> std::result::Result<Vec<(usize, T)>, NlError>
    where
        I: NetlinkSerializable,
    {
        self.get()?.dump_with(payload, parse)
    }

    /// [`NlSocket::dump_encoded_with`].
    pub fn dump_encoded_with<T>(
        &mut self,
        request: Vec<u8>,
        parse: impl FnMut(&[u8]) -> std::result::Result<T, NlError>,
    ) -> std::result::Result<Vec<(usize, T)>, NlError> {
        self.get()?.dump_encoded_with(request, parse)
    }

    /// [`NlSocket::netns_id`], without opening the socket: the namespace file says the same.
    pub fn netns_id(&self) -> std::io::Result<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        if let Some(socket) = &self.socket {
            return socket.netns_id();
        }
        let meta = match &self.place {
            Some(place) => place.file.metadata()?,
            None => std::fs::metadata("/proc/thread-self/ns/net")?,
        };
        Ok((meta.dev(), meta.ino()))
    }
}
