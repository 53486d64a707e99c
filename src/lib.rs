//! rfou: configure Linux Foo-over-UDP (FOU) and Generic UDP Encapsulation (GUE).
//!
//! The kernel does the data path; this crate drives it over netlink: receive ports through
//! the generic-netlink family `fou` ([`FouPort`]), and the UDP encapsulation of ipip, sit,
//! ip6tnl and GRE tunnels through rtnetlink ([`Tunnel`], [`Encap`]). Everything goes through
//! a [`Handle`] on one network namespace.
//!
//! ```no_run
//! use rfou::{EncapSpec, EncapType, FouPort, Handle};
//! let mut handle = Handle::new()?;
//! // Receive: UDP 5555 carries IPIP.
//! handle.fou_add(&FouPort::direct(5555, 4))?;
//! // Transmit: tun1 now sends over FOU to port 5555.
//! let spec = EncapSpec { kind: Some(EncapType::Fou), dport: Some(5555), ..Default::default() };
//! handle.tunnel_set_encap("tun1", &spec)?;
//! # Ok::<(), rfou::Error>(())
//! ```

pub mod cli;
pub mod doctor;
pub mod error;
pub mod fou;
pub mod handle;
pub mod modules;
pub mod netlink;
pub mod netns;
pub mod output;
mod ports;
pub mod proto;
pub mod state;
pub mod tunnel;

pub use error::{Error, ErrorKind, Result};
pub use fou::{Family, FouEncap, FouPort};
pub use handle::Handle;
pub use ports::validate as validate_port;
pub use ports::validate_add as validate_port_add;
pub use tunnel::{
    ChangeReport, Encap, EncapSpec, EncapType, MtuChange, SourcePort, Tunnel, TunnelKind,
    TunnelMode, TunnelSpec, TunnelUpdate,
};
