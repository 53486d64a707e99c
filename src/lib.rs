//! rfou: configure Linux Foo-over-UDP (FOU) and Generic UDP Encapsulation (GUE).
//!
//! The kernel does the data path; this crate drives it over netlink: receive ports through
//! the generic-netlink family `fou` ([`FouPort`]), and the UDP encapsulation of ipip, sit,
//! ip6tnl and GRE tunnels through rtnetlink ([`Tunnel`], [`Encap`]). Everything goes through
//! a [`Handle`] on one network namespace. Changing anything needs `CAP_NET_ADMIN`.
//!
//! The `rfou` command is a package of its own (`rfou-cli`); this crate knows nothing of the
//! command line. Its API is what these pages show.
//!
//! ```toml
//! [dependencies]
//! rfou = "0.1"
//! ```
//!
//! # Examples
//!
//! Add a receive port: UDP port 5555 carries IPIP (protocol 4). The fou module is loaded
//! if it is not.
//!
//! ```no_run
//! use rfou::{FouPort, Handle};
//! let mut handle = Handle::new()?;
//! handle.fou_add(&FouPort::direct(5555, 4))?;
//! // GUE on IPv6, bound to a local address.
//! handle.fou_add(&FouPort::gue(5556).with_local("2001:db8::1".parse().unwrap()))?;
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! List the receive ports (none are lost, unlike the kernel's dump; see
//! [`Handle::fou_ports`] for the notes about the list):
//!
//! ```no_run
//! # let mut handle = rfou::Handle::new()?;
//! let devices = handle.devices()?;
//! for port in handle.fou_list()? {
//!     println!("{}", port.words(true, &devices).join(" ")); // port 5555 ipproto 4
//! }
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Delete a port: [`Handle::fou_del`] names the socket exactly;
//! [`Handle::fou_del_matching`] deletes the one port that has the bindings given.
//!
//! ```no_run
//! # use rfou::{FouPort, Handle};
//! # let mut handle = Handle::new()?;
//! handle.fou_del(&FouPort::direct(5555, 4))?;
//! let deleted = handle.fou_del_matching(&FouPort::gue(5556).ipv6())?;
//! println!("deleted port {}", deleted.port);
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Encapsulate a tunnel: `tun1` (made by rfou, ip or anything else) sends over FOU to port
//! 5555. Its MTU is made smaller by the encapsulation's headers where the kernel does not.
//!
//! ```no_run
//! use rfou::{EncapSpec, EncapType};
//! # let mut handle = rfou::Handle::new()?;
//! let spec = EncapSpec { kind: Some(EncapType::Fou), dport: Some(5555), ..Default::default() };
//! let report = handle.tunnel_set_encap("tun1", &spec)?;
//! if let Some(mtu) = report.mtu {
//!     println!("MTU {} -> {}", mtu.old, mtu.new);
//! }
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Create a tunnel and change it: [`TunnelSettings`] is what both take, by field or by the
//! keywords of the command line ([`TunnelSettings::set`]). Settings left `None` get their
//! defaults when a tunnel is made, and stay as they are when it is changed.
//!
//! ```no_run
//! use rfou::values::Input;
//! use rfou::{TunnelKind, TunnelSettings, TunnelSpec};
//! # let mut handle = rfou::Handle::new()?;
//! let mut settings = TunnelSettings::default();
//! settings.remote = Some("192.0.2.2".parse().unwrap());
//! settings.set("local", Input::Word("192.0.2.1"), None)?;
//! handle.tunnel_add(&TunnelSpec { name: "tun2".into(), kind: TunnelKind::Ipip, settings })?;
//! let change = TunnelSettings { ttl: Some(64), ..Default::default() };
//! handle.tunnel_change("tun2", &change)?;
//! handle.tunnel_del("tun2")?;
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Show the tunnels of the namespace, with their encapsulation:
//!
//! ```no_run
//! use rfou::EncapType;
//! # let mut handle = rfou::Handle::new()?;
//! for tunnel in handle.tunnels()? {
//!     if tunnel.encap.kind != EncapType::None {
//!         println!("{} ({}): {} to port {}", tunnel.name, tunnel.mode().word(), tunnel.encap.kind, tunnel.encap.dport);
//!     }
//! }
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Apply a desired state (the file `rfou apply` reads): the namespace is made to hold it,
//! all or nothing; with `check`, only the plan is made, and checked as applying would.
//!
//! ```no_run
//! use rfou::state::ApplyOptions;
//! # let mut handle = rfou::Handle::new()?;
//! let text = "[[port]]\nport = 5555\nipproto = \"ipip\"\n";
//! let desired = rfou::state::parse("net.toml", text)?;
//! let plan = handle.apply_state(&desired, "net.toml", ApplyOptions::default())?;
//! for line in plan.lines() {
//!     println!("{line}"); // + port 5555 ipproto 4
//! }
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Work in another network namespace: by name (`ip netns add blue`), by the path of a
//! namespace file, or by an open descriptor of one. The handle's sockets stay there; the
//! calling thread does not.
//!
//! ```no_run
//! use std::fs::File;
//! use rfou::Handle;
//! let mut blue = Handle::in_netns("blue")?;
//! let mut of_pid = Handle::in_netns_path("/proc/1234/ns/net")?;
//! let file = File::open("/run/netns/red").expect("a namespace file");
//! let mut red = Handle::in_netns_fd(&file)?;
//! println!("{} ports in blue", blue.fou_list()?.len());
//! # Ok::<(), rfou::Error>(())
//! ```
//!
//! Handle an error by its kind, never by its text:
//!
//! ```no_run
//! use rfou::{ErrorKind, FouPort, Handle};
//! # let mut handle = Handle::new()?;
//! match handle.fou_add(&FouPort::direct(5555, 4)) {
//!     Ok(()) => println!("added"),
//!     Err(err) if err.kind() == ErrorKind::PortInUse => println!("already there"),
//!     Err(err) if err.kind() == ErrorKind::PermissionDenied => eprintln!("run as root: {err}"),
//!     Err(err) => return Err(err),
//! }
//! # Ok::<(), rfou::Error>(())
//! ```

// The fuzz build (`--cfg fuzzing`) makes test helpers public in `fuzzing`: not documented API.
#![cfg_attr(not(fuzzing), warn(missing_docs))]

mod addresses;
pub mod devices;
pub mod error;
pub mod fou;
mod handle;
mod links;
pub mod maps;
pub mod netconf;
pub mod nic;
pub mod state;
mod sys;
pub mod tunnel;
pub mod txn;
pub mod values;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod properties;

pub use devices::{Device, Devices};
pub use error::{Error, ErrorKind, Result};
pub use fou::{Family, FouEncap, FouPort};
pub use handle::Handle;
pub use sys::{modules, privilege};
pub use tunnel::{
    ChangeReport, Encap, EncapSpec, EncapType, MtuChange, SourcePort, Tunnel, TunnelKind,
    TunnelMode, TunnelSettings, TunnelSpec,
};

/// The decoders of the kernel's bytes, reachable by the fuzz targets (built with
/// `--cfg fuzzing`) and nothing else: not part of the API. Each function here calls the one
/// production calls, and nothing more.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use crate::sys::answer::{decode_datagram, Decoded, NlError};
    pub use crate::sys::encode::WINDOW;
    pub use crate::tunnel::wire::decode_link;

    use crate::{Family, FouPort};

    /// The port a fou reply's payload (after its netlink header) describes: the decoder the
    /// dump and the exact gets read every reply with (`fou::wire::decode_port`).
    pub fn decode_port(payload: &[u8]) -> Result<FouPort, netlink_packet_core::DecodeError> {
        crate::fou::wire::decode_port(payload)
    }

    /// The request `Handle::fou_add` sends for `port`, with its netlink header
    /// (`fou::wire::PortRequest::add`, encoded as every request is), for family id `family`.
    pub fn encode_port_add(port: &FouPort, family: u16) -> Vec<u8> {
        let mut message = netlink_packet_generic::GenlMessage::from_payload(
            crate::fou::wire::PortRequest::add(port),
        );
        message.set_resolved_family_id(family);
        crate::sys::encode::encode(message, netlink_packet_core::NLM_F_ACK, 1)
    }

    /// The socket one socket-diagnostics message (`struct inet_diag_msg`, after its netlink
    /// header) describes, as the port it would be: what the recovery of the ports the fou
    /// dump lost reads each socket with (`fou::diag::diag_socket`).
    pub fn diag_socket(message: &[u8], family: Family) -> Result<FouPort, NlError> {
        crate::fou::diag::diag_socket(message, family)
    }
}
