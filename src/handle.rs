//! [`Handle`]: the netlink sockets of one network namespace, and the translation of the
//! kernel's refusals into sentences.

use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_generic::constants::{CTRL_ATTR_FAMILY_ID, GENL_HDRLEN};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;
use netlink_sys::protocols::{NETLINK_GENERIC, NETLINK_ROUTE, NETLINK_SOCK_DIAG};

use std::fs::File;
use std::sync::Arc;

use netlink_packet_core::{NetlinkDeserializable, NetlinkSerializable};

use crate::error::{errno_text, Error, ErrorKind, Result};
use crate::sys::lock::ChangeLock;
use crate::sys::{modules, netns, NlError, NlSocket};

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
///     println!("port {} ({})", port.port, port.family.name());
/// }
/// # Ok::<(), rfou::Error>(())
/// ```
pub struct Handle {
    netns: Place,
    pub(crate) route: LazySocket,
    pub(crate) genl: LazySocket,
    /// Socket diagnostics: the UDP sockets of the namespace, to find the fou ports that the
    /// kernel's port dump drops.
    pub(crate) diag: LazySocket,
    pub(crate) fou_family: Option<u16>,
    /// The encapsulation modules found loaded, so that a run of many tunnel adds looks in
    /// /sys/module once per module, not once per tunnel (see [`Handle::load_encap_module`]).
    pub(crate) encap_modules: std::cell::RefCell<Vec<&'static str>>,
    /// The namespace's change lock while a batch holds it (see [`Handle::hold_change_lock`]).
    held_lock: Option<ChangeLock>,
}

/// Which namespace a [`Handle`] works in, as messages name it.
#[derive(Debug, Clone)]
enum Place {
    Current,
    Named(String),
    Path(PathBuf),
    Fd(i32),
}

impl Handle {
    /// A handle on the current namespace: the one the calling thread is in when the handle
    /// first uses a socket (each is opened then).
    pub fn new() -> Result<Self> {
        Ok(Self::with_place(Place::Current, None))
    }

    /// A handle on the named namespace (`/run/netns/NAME`, as `ip -n NAME`). A name that is
    /// not there is [`ErrorKind::NoSuchNamespace`]. The namespace is entered once here, to
    /// know at once whether it can be; each socket is opened in it when first used.
    pub fn in_netns(name: &str) -> Result<Self> {
        let what = format!("network namespace \"{name}\"");
        Self::entered(Place::Named(name.to_string()), netns::open(name)?, what)
    }

    /// A handle on the namespace whose file is at `path`: `/proc/PID/ns/net` (the namespace
    /// of a process), or a bind mount of one (a container runtime's). A missing file is
    /// [`ErrorKind::NoSuchNamespace`], and so is a file that is no network namespace.
    pub fn in_netns_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = netns::open_path(path)?;
        Self::entered(
            Place::Path(path.to_path_buf()),
            file,
            netns::path_what(path),
        )
    }

    /// A handle on the namespace `fd` is an open descriptor of (a namespace file, or a
    /// pidfd's namespace as `setns` takes it). The handle keeps a copy of the descriptor, so
    /// `fd` may be closed afterwards.
    pub fn in_netns_fd(fd: impl AsFd) -> Result<Self> {
        let fd = fd.as_fd();
        let raw = fd.as_raw_fd();
        let copy = fd.try_clone_to_owned().map_err(|e| {
            Error::system(format!(
                "cannot keep a copy of namespace descriptor {raw}: {e}"
            ))
        })?;
        let what = format!("the network namespace of fd {raw}");
        Self::entered(Place::Fd(raw), File::from(copy), what)
    }

    /// A handle on the namespace of `file`, entered once now so that a namespace that cannot
    /// be entered is an error here, not at the first request.
    fn entered(place: Place, file: File, what: String) -> Result<Self> {
        netns::within_fd(file.as_fd(), &what, || Ok(()))?;
        Ok(Self::with_place(
            place,
            Some(Arc::new(NsFile { what, file })),
        ))
    }

    fn with_place(netns: Place, file: Option<Arc<NsFile>>) -> Self {
        let socket = |protocol| LazySocket {
            protocol,
            place: file.clone(),
            socket: None,
        };
        Handle {
            route: socket(NETLINK_ROUTE),
            genl: socket(NETLINK_GENERIC),
            diag: socket(NETLINK_SOCK_DIAG),
            netns,
            fou_family: None,
            encap_modules: Default::default(),
            held_lock: None,
        }
    }

    /// The namespace this handle works in, as messages name it: `namespace "blue"`,
    /// `namespace /proc/1/ns/net`, `the namespace of fd 7` or `this namespace`.
    pub fn place(&self) -> String {
        match &self.netns {
            Place::Named(name) => format!("namespace \"{name}\""),
            Place::Path(path) => format!("namespace {}", path.display()),
            Place::Fd(fd) => format!("the namespace of fd {fd}"),
            Place::Current => "this namespace".to_string(),
        }
    }

    /// Runs `f` with the calling thread inside this handle's namespace (where it is another
    /// than the thread's), then back: for what is read through the namespace a thread is in
    /// (sysctls, ioctl sockets, sysfs), not through the handle's sockets.
    pub(crate) fn within<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match &self.route.place {
            None => f(),
            Some(place) => netns::within_fd(place.file.as_fd(), &place.what, f),
        }
    }

    /// The name of the namespace, for a handle made by [`Handle::in_netns`].
    pub fn netns(&self) -> Option<&str> {
        match &self.netns {
            Place::Named(name) => Some(name),
            _ => None,
        }
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
            Error::new(ErrorKind::ModuleMissing, format!(
                "the kernel has no fou support: the fou module is not loaded and could not be loaded ({why}); \
                 run `modprobe fou`, or use a kernel built with CONFIG_NET_FOU"
            ))
        })?;
        let id = self.resolve_family("fou").map_err(|err| {
            let missing = err.errno == libc::ENOENT;
            let err = self.refusal(
                err,
                "the fou generic-netlink family is still missing after `modprobe fou`",
            );
            if missing {
                err.with_kind(ErrorKind::ModuleMissing)
            } else {
                err
            }
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

    /// Whether the generic-netlink controller of this namespace knows family `name` now
    /// (`fou`, `ethtool`...); loads nothing.
    pub fn has_genl_family(&mut self, name: &str) -> bool {
        self.resolve_family(name).is_ok()
    }

    /// The device and inode numbers of this handle's network namespace: the same for every
    /// process in that namespace, however it got there (`-n NAME`, `ip netns exec`).
    pub fn netns_id(&self) -> Result<(u64, u64)> {
        self.route
            .netns_id()
            .map_err(|e| Error::system(format!("cannot tell which namespace this is: {e}")))
    }

    /// Whether the namespace this handle was opened on by name (`/run/netns/NAME`) is still
    /// there under that name: `false` when it was deleted, or another namespace took the
    /// name, since. Always `true` for a handle opened otherwise, or where the namespace's
    /// identity cannot be read (nothing to claim either way).
    pub fn netns_still_named(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Place::Named(name) = &self.netns else {
            return true;
        };
        let Ok(id) = self.route.netns_id() else {
            return true;
        };
        match std::fs::metadata(netns::file_of(name)) {
            Ok(meta) => (meta.dev(), meta.ino()) == id,
            Err(_) => false,
        }
    }

    /// Takes this namespace's change lock (see `sys::lock`), unless this handle holds it
    /// already.
    pub(crate) fn change_lock(&self) -> Result<ChangeLock> {
        if self.held_lock.is_some() {
            return Ok(ChangeLock::none());
        }
        ChangeLock::take(self.route.netns_id())
    }

    /// Takes this namespace's change lock, if not held yet, and keeps it until
    /// [`Handle::release_change_lock`]: every change made meanwhile takes none of its own. A
    /// batch holds it from its first tunnel change to its end, rather than taking it again
    /// for each line. The lock keeps other rfou processes (not other tools) from changing
    /// what this handle has read and is about to write back.
    pub fn hold_change_lock(&mut self) -> Result<()> {
        if self.held_lock.is_none() {
            self.held_lock = Some(self.change_lock()?);
        }
        Ok(())
    }

    /// Lets go of the lock [`Handle::hold_change_lock`] took.
    pub fn release_change_lock(&mut self) {
        self.held_lock = None;
    }

    fn resolve_family(&mut self, name: &str) -> std::result::Result<u16, NlError> {
        self.genl.family_id(name)
    }

    /// A kernel refusal, said in a sentence: `what` failed, because of what the kernel
    /// answered; with the privilege named where that is the reason.
    pub(crate) fn refusal(&self, err: NlError, what: &str) -> Error {
        let reason = match (&err.message, err.errno) {
            (_, libc::EPERM) => format!(
                "permission denied in {}: this needs CAP_NET_ADMIN (run as root)",
                self.place()
            ),
            (Some(text), errno) if !text.is_empty() => format!("{text} ({})", errno_text(errno)),
            (_, errno) => errno_text(errno),
        };
        Error::kernel(err.errno, format!("{what}: {reason}"))
    }
}

impl NlSocket {
    /// The id of generic-netlink family `name` (`CTRL_CMD_GETFAMILY`), on a `NETLINK_GENERIC`
    /// socket; ENOENT when the kernel does not know it now (its module is not loaded). Loads
    /// nothing.
    pub fn family_id(&mut self, name: &str) -> std::result::Result<u16, NlError> {
        // Only the id is read, not the family's operations, policies and groups: less code
        // to run for one number.
        let mut answers =
            self.request_many_replies([family_request(name)], NLM_F_REQUEST, family_id_in);
        match answers.pop() {
            Some(Ok(Some(Some(id)))) => Ok(id),
            Some(Err(err)) => Err(err),
            // The kernel answers a family it does not know with ENOENT (above); a reply
            // without an id, or none at all, is a reply that cannot be read.
            Some(Ok(Some(None))) => Err(NlError::decode(format!(
                "the controller's reply about family \"{name}\" has no family id"
            ))),
            Some(Ok(None)) | None => Err(NlError::decode(format!(
                "the controller did not reply about family \"{name}\""
            ))),
        }
    }
}

/// `CTRL_CMD_GETFAMILY` of the generic-netlink family `name`.
pub(crate) fn family_request(name: &str) -> GenlMessage<GenlCtrl> {
    GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(name.to_string())],
    })
}

/// The family id a `CTRL_CMD_GETFAMILY` reply gives (its payload: the generic-netlink
/// header, then the attributes), if it gives one.
fn family_id_in(payload: &[u8]) -> std::result::Result<Option<u16>, NlError> {
    let attrs = payload.get(GENL_HDRLEN..).unwrap_or(&[]);
    for attr in crate::sys::attrs::attrs(attrs) {
        let (kind, value) = attr.map_err(NlError::decode)?;
        if let (CTRL_ATTR_FAMILY_ID, &[a, b]) = (kind, value) {
            return Ok(Some(u16::from_ne_bytes([a, b])));
        }
    }
    Ok(None)
}

/// The namespace a handle's sockets are opened in: its file, open, and how messages name it.
struct NsFile {
    what: String,
    file: File,
}

/// A netlink socket opened on first use, in the handle's namespace; its requests are those of
/// [`NlSocket`]. A port command needs no route socket, and a tunnel command no
/// generic-netlink one: each socket not opened is system calls saved at every start.
pub(crate) struct LazySocket {
    protocol: isize,
    place: Option<Arc<NsFile>>,
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
                Some(place) => netns::within_fd(place.file.as_fd(), &place.what, open),
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
        payloads: impl IntoIterator<Item = I>,
        flags: u16,
    ) -> Vec<std::result::Result<(), NlError>>
    where
        I: NetlinkSerializable,
    {
        match self.get() {
            Ok(socket) => socket.request_many(payloads, flags),
            Err(err) => payloads.into_iter().map(|_| Err(err.clone())).collect(),
        }
    }

    /// [`NlSocket::request_many_replies`]; every request fails if the socket cannot be opened.
    pub fn request_many_replies<I, T>(
        &mut self,
        payloads: impl IntoIterator<Item = I>,
        flags: u16,
        parse: impl FnMut(&[u8]) -> std::result::Result<T, NlError>,
    ) -> Vec<std::result::Result<Option<T>, NlError>>
    where
        I: NetlinkSerializable,
    {
        match self.get() {
            Ok(socket) => socket.request_many_replies(payloads, flags, parse),
            Err(err) => payloads.into_iter().map(|_| Err(err.clone())).collect(),
        }
    }

    /// One "do" request, acked, and its one reply read by `parse` (`None`: it had none).
    pub fn request_one<I, T>(
        &mut self,
        payload: I,
        flags: u16,
        parse: impl FnMut(&[u8]) -> std::result::Result<T, NlError>,
    ) -> std::result::Result<Option<T>, NlError>
    where
        I: NetlinkSerializable,
    {
        self.request_many_replies([payload], flags, parse)
            .pop()
            .unwrap_or(Ok(None))
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

    /// [`NlSocket::family_id`].
    pub fn family_id(&mut self, name: &str) -> std::result::Result<u16, NlError> {
        self.get()?.family_id(name)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_id_is_read_from_the_controller_reply() {
        // CTRL_CMD_NEWFAMILY, version 2; FAMILY_NAME "fou", FAMILY_ID 30 (padded), and a
        // nested attribute after it, as the kernel sends (ops), left unread.
        let mut reply = vec![1, 2, 0, 0];
        reply.extend_from_slice(&[8, 0, 2, 0, b'f', b'o', b'u', 0]);
        reply.extend_from_slice(&[6, 0, 1, 0]);
        reply.extend_from_slice(&30u16.to_ne_bytes());
        reply.extend_from_slice(&[0, 0]);
        reply.extend_from_slice(&[8, 0, 6, 0x80, 4, 0, 1, 0]);
        assert_eq!(family_id_in(&reply).unwrap(), Some(30));
        // No id: none; an attribute longer than the reply: an error, not a guess.
        assert_eq!(family_id_in(&reply[..12]).unwrap(), None);
        assert_eq!(family_id_in(&[1, 2, 0, 0]).unwrap(), None);
        let err = family_id_in(&[1, 2, 0, 0, 40, 0, 1, 0, 30, 0]).unwrap_err();
        assert_eq!(err.errno, libc::EBADMSG);
    }
}
