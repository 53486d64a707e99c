//! Tunnels and their UDP encapsulation: ipip, sit, ip6tnl, gre, gretap, ip6gre, ip6gretap.
//!
//! [`Tunnel`] is a tunnel as the kernel reports it and [`TunnelSettings`] the one settings
//! type of add, change and the desired state; [`KEYS`] are the keywords of those settings.
//! The kernel keeps a tunnel's settings as `IFLA_IPTUN_*` or `IFLA_GRE_*` attributes and a
//! change rebuilds the tunnel from the attributes sent, so rfou reads a tunnel whole, edits
//! it, and writes it back whole, attributes it does not know included.

mod attrs;
mod encap;
mod group;
mod in_place;
mod keys;
mod kind;
mod many;
mod model;
pub(crate) mod mtu;
mod ops;
pub mod rules;
mod settings;
mod table;
pub(crate) mod wire;
mod words;

pub use encap::{Encap, EncapSpec, EncapType, SourcePort};
pub use keys::{key, Key, Value, ValueKind, KEYS};
pub use kind::{parse_proto, proto_word, TunnelKind, TunnelMode, PROTO_WORDS};
pub use many::OnFailure;
pub use model::{Tunnel, TunnelSpec};
pub use mtu::MtuChange;
pub use ops::ChangeReport;
pub(crate) use settings::multicast_key;
pub use settings::{EncapLimit, Inherit, TunnelSettings};
pub use words::{differences, Diff};

pub(crate) use attrs::TunnelAttrs;
pub(crate) use ops::{PreparedAdd, PreparedChange};
