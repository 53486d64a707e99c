//! The system underneath: netlink sockets and the kernel's answers, network namespaces, the
//! change lock, kernel modules. Nothing here knows about fou ports or tunnels.

pub(crate) mod answer;
pub(crate) mod attrs;
pub(crate) mod encode;
pub(crate) mod lock;
pub mod modules;
pub(crate) mod netns;
pub mod privilege;
pub(crate) mod socket;

pub(crate) use answer::NlError;
pub(crate) use socket::NlSocket;
