//! What a network device says of how it receives and sends: the RSS flow-hash fields of UDP
//! over IPv4 and IPv6, the UDP tunnel offloads and GRO, its channels, and its receive queues
//! with RPS. Read through ethtool's netlink family where the kernel says it there
//! (`ethtool.rs`, its bitsets in `bitset.rs` and string sets in `strset.rs`), through its
//! ioctls where not (`ioctl.rs`), from sysfs for the queues (`queues.rs`); a fact that cannot be read
//! is [`Fact::Unknown`], with the kernel's reason. Reads only: nothing is changed, no module
//! is loaded.
//!
//! ```no_run
//! let mut handle = rfou::Handle::new()?;
//! let nic = handle.nic("eth0")?;
//! match &nic.rss_udp4 {
//!     rfou::nic::Fact::Known { value, .. } if !value.hashes_ports() => {
//!         println!("eth0 spreads UDP by addresses only: ethtool -N eth0 rx-flow-hash udp4 sdfn")
//!     }
//!     _ => {}
//! }
//! # Ok::<(), rfou::Error>(())
//! ```

mod bitset;
mod ethtool;
mod ioctl;
mod queues;
mod read;
mod strset;

#[cfg(test)]
mod golden;

pub use queues::{all_cpus_mask, RxQueues, SysfsView};

use crate::error::Result;
use crate::handle::Handle;

/// The features the reader looks at, by the kernel's names for them.
pub const TX_UDP_TNL_SEGMENTATION: &str = "tx-udp_tnl-segmentation";
/// The feature of segmenting UDP tunnel packets with their UDP checksum in hardware.
pub const TX_UDP_TNL_CSUM_SEGMENTATION: &str = "tx-udp_tnl-csum-segmentation";
/// Generic receive offload.
pub const RX_GRO: &str = "rx-gro";

/// How to read a device. Every way gives the same facts where the kernel has them; the
/// choice is for tests and diagnostics ([`Handle::nic_via`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NicVia {
    /// ethtool's netlink family with verbose bitsets, the ioctls where it lacks something.
    Netlink,
    /// The same with compact bitsets (the feature names from the string set).
    NetlinkCompact,
    /// The ioctls alone.
    Ioctl,
}

/// A fact, or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact<T> {
    /// Read, and where from.
    Known {
        /// The fact.
        value: T,
        /// Where it was read.
        source: Source,
    },
    /// Not known: why, and the errno that said so where one did.
    Unknown {
        /// Why, in a sentence.
        why: String,
        /// The errno the kernel answered, if it answered one.
        errno: Option<i32>,
    },
}

impl<T> Fact<T> {
    /// The value, if known.
    pub fn value(&self) -> Option<&T> {
        match self {
            Fact::Known { value, .. } => Some(value),
            Fact::Unknown { .. } => None,
        }
    }
}

/// Where a fact was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// ethtool's generic-netlink family.
    Netlink,
    /// ethtool's ioctls (`SIOCETHTOOL`).
    Ioctl,
    /// sysfs.
    Sysfs,
}

impl Source {
    /// `netlink`, `ioctl` or `sysfs`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Netlink => "netlink",
            Source::Ioctl => "ioctl",
            Source::Sysfs => "sysfs",
        }
    }
}

/// The fields RSS hashes a flow type on (`RXH_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowHash {
    /// The `RXH_*` bits.
    pub fields: u64,
}

/// The `RXH_*` bits ethtool has letters for, and its letters, in its order.
const FLOW_LETTERS: [(u64, char); 8] = [
    (1 << 1, 'm'),  // RXH_L2DA
    (1 << 2, 'v'),  // RXH_VLAN
    (1 << 3, 't'),  // RXH_L3_PROTO
    (1 << 4, 's'),  // RXH_IP_SRC
    (1 << 5, 'd'),  // RXH_IP_DST
    (1 << 6, 'f'),  // RXH_L4_B_0_1: the source port
    (1 << 7, 'n'),  // RXH_L4_B_2_3: the destination port
    (1 << 31, 'r'), // RXH_DISCARD
];

impl FlowHash {
    /// The fields as `ethtool -N DEV rx-flow-hash FLOW` spells them (`sdfn`: addresses and
    /// ports), for the fields it has letters for.
    pub fn letters(&self) -> String {
        FLOW_LETTERS
            .iter()
            .filter(|(bit, _)| self.fields & bit != 0)
            .map(|(_, c)| c)
            .collect()
    }

    /// Both UDP ports are hashed: flows from one peer spread over the queues.
    pub fn hashes_ports(&self) -> bool {
        self.fields & (1 << 6) != 0 && self.fields & (1 << 7) != 0
    }
}

/// One feature of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// On now.
    pub active: bool,
    /// The driver lets a user turn it on or off (`ethtool -k` does not say `[fixed]`).
    pub changeable: bool,
}

/// The features the reader looks at; `None` where the kernel does not know the feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `tx-udp_tnl-segmentation`: UDP tunnel packets segmented by the NIC.
    pub tx_udp_tnl_segmentation: Option<Feature>,
    /// `tx-udp_tnl-csum-segmentation`: the same with the outer UDP checksum.
    pub tx_udp_tnl_csum_segmentation: Option<Feature>,
    /// `rx-gro`: generic receive offload.
    pub rx_gro: Option<Feature>,
}

/// The channel counts; `None` where the driver has no such channels (a maximum of 0, which
/// `ethtool -l` prints as n/a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Channels {
    pub rx_max: Option<u32>,
    pub tx_max: Option<u32>,
    pub other_max: Option<u32>,
    pub combined_max: Option<u32>,
    pub rx: Option<u32>,
    pub tx: Option<u32>,
    pub other: Option<u32>,
    pub combined: Option<u32>,
}

impl Channels {
    /// From the maximums and counts in the order of `struct ethtool_channels` and of
    /// `ETHTOOL_A_CHANNELS_*`; a count whose maximum is missing or 0 is left out.
    fn from_counts(counts: [Option<u32>; 8]) -> Channels {
        let max = |i: usize| counts[i].filter(|&m| m != 0);
        let count = |i: usize| max(i).and(counts[i + 4]);
        Channels {
            rx_max: max(0),
            tx_max: max(1),
            other_max: max(2),
            combined_max: max(3),
            rx: count(0),
            tx: count(1),
            other: count(2),
            combined: count(3),
        }
    }
}

/// What a device says of how it receives and sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// The device's name.
    pub device: String,
    /// Its index.
    pub index: u32,
    /// The RSS hash of UDP over IPv4.
    pub rss_udp4: Fact<FlowHash>,
    /// The RSS hash of UDP over IPv6.
    pub rss_udp6: Fact<FlowHash>,
    /// The offloads.
    pub features: Fact<Features>,
    /// The channels.
    pub channels: Fact<Channels>,
    /// The receive queues and RPS.
    pub rx_queues: Fact<RxQueues>,
}

impl Handle {
    /// What device `dev` of this handle's namespace says of how it receives and sends (see
    /// [`crate::nic`]). Changes nothing and loads no module; a device that is not there is
    /// [`crate::ErrorKind::NoSuchDevice`].
    pub fn nic(&mut self, dev: &str) -> Result<Nic> {
        self.nic_via(dev, NicVia::Netlink)
    }

    /// [`Handle::nic`], read the way `via` says.
    pub fn nic_via(&mut self, dev: &str, via: NicVia) -> Result<Nic> {
        // The index from the kernel's link list, which loads nothing for a name it lacks.
        let index = self.ifindex(dev)?;
        read::read(self, dev, index, via)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_hash_letters_are_ethtools() {
        let hash = |fields| FlowHash { fields };
        assert_eq!(hash(0xf0).letters(), "sdfn");
        assert!(hash(0xf0).hashes_ports());
        assert!(!hash(0x70).hashes_ports());
        assert_eq!(hash(0x8000_003e).letters(), "mvtsdr");
        assert_eq!(hash(0).letters(), "");
    }

    #[test]
    fn channels_without_a_maximum_are_left_out() {
        let channels = Channels::from_counts([
            Some(2),
            Some(0),
            None,
            Some(4),
            Some(1),
            Some(0),
            None,
            Some(2),
        ]);
        assert_eq!(
            channels,
            Channels {
                rx_max: Some(2),
                tx_max: None,
                other_max: None,
                combined_max: Some(4),
                rx: Some(1),
                tx: None,
                other: None,
                combined: Some(2),
            }
        );
    }
}
