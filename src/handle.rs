//! [`Handle`]: the netlink sockets of one network namespace, and the translation of the
//! kernel's refusals into sentences.

use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;
use netlink_sys::protocols::{NETLINK_GENERIC, NETLINK_ROUTE, NETLINK_SOCK_DIAG};

use crate::error::{errno_text, Error, ErrorKind, Result};
use crate::modules;
use crate::netlink::{NlError, NlSocket};
use crate::netns;

/// The netlink sockets of one network namespace.
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
    netns: Place,
    pub(crate) route: NlSocket,
    pub(crate) genl: NlSocket,
    /// Socket diagnostics: the UDP sockets of the namespace, to find the fou ports that the
    /// kernel's port dump drops.
    pub(crate) diag: NlSocket,
    pub(crate) fou_family: Option<u16>,
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
    /// A handle on the current namespace: the one of the calling thread.
    pub fn new() -> Result<Self> {
        Self::open(Place::Current)
    }

    /// A handle on the named namespace (`/run/netns/NAME`, as `ip -n NAME`). A name that is
    /// not there is [`ErrorKind::NoSuchNamespace`].
    pub fn in_netns(name: &str) -> Result<Self> {
        netns::within(name, || Self::open(Place::Named(name.to_string())))
    }

    /// A handle on the namespace whose file is at `path`: `/proc/PID/ns/net` (the namespace
    /// of a process), or a bind mount of one (a container runtime's). A missing file is
    /// [`ErrorKind::NoSuchNamespace`], and so is a file that is no network namespace.
    pub fn in_netns_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        netns::within_path(path, || Self::open(Place::Path(path.to_path_buf())))
    }

    /// A handle on the namespace `fd` is an open descriptor of (a namespace file, or a
    /// pidfd's namespace as `setns` takes it). The descriptor is only borrowed: the handle's
    /// sockets stay in the namespace after it is closed.
    pub fn in_netns_fd(fd: impl AsFd) -> Result<Self> {
        let fd = fd.as_fd();
        let raw = fd.as_raw_fd();
        netns::within_fd(fd, &format!("the network namespace of fd {raw}"), || {
            Self::open(Place::Fd(raw))
        })
    }

    fn open(netns: Place) -> Result<Self> {
        let socket = |protocol| {
            NlSocket::open(protocol)
                .map_err(|e| Error::system(format!("cannot open a netlink socket: {e}")))
        };
        Ok(Handle {
            route: socket(NETLINK_ROUTE)?,
            genl: socket(NETLINK_GENERIC)?,
            diag: socket(NETLINK_SOCK_DIAG)?,
            netns,
            fou_family: None,
        })
    }

    /// The namespace this handle works in, for messages: `namespace "blue"`, `namespace
    /// /proc/1/ns/net`, `the namespace of fd 7` or `this namespace`. For the command's
    /// messages: not part of the API.
    #[doc(hidden)]
    pub fn where_(&self) -> String {
        match &self.netns {
            Place::Named(name) => format!("namespace \"{name}\""),
            Place::Path(path) => format!("namespace {}", path.display()),
            Place::Fd(fd) => format!("the namespace of fd {fd}"),
            Place::Current => "this namespace".to_string(),
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

    /// Whether the generic-netlink controller knows family `name` now (nothing is loaded).
    /// For `rfou doctor`: not part of the API.
    #[doc(hidden)]
    pub fn has_genl_family(&mut self, name: &str) -> bool {
        self.resolve_family(name).is_ok()
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
                self.where_()
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
        let request = GenlMessage::from_payload(GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(name.to_string())],
        });
        let replies = self.request(request, NLM_F_REQUEST)?;
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
}
