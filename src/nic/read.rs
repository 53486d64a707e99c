//! Reading a device: each fact through ethtool's netlink family where the kernel says it
//! there, through its ioctls where not, from sysfs for the queues; or unknown, with the
//! kernel's reason.

use super::bitset::Bitset;
use super::ethtool::{self as genl, FeatureSets, UdpFlowHash};
use super::ioctl::{EthtoolIoctl, UDP_V4_FLOW, UDP_V6_FLOW};
use super::queues::Sysfs;
use super::strset;
use super::{
    Channels, Fact, Feature, Features, FlowHash, Nic, NicVia, Source, RX_GRO,
    TX_UDP_TNL_CSUM_SEGMENTATION, TX_UDP_TNL_SEGMENTATION,
};
use crate::error::{Error, Result};
use crate::handle::{Handle, LazySocket};
use crate::sys::NlError;

/// What the NIC reader needs of a generic-netlink socket opened in the device's network
/// namespace. The handle's socket has it; the tests give canned replies.
pub(crate) trait EthtoolSocket {
    /// The id of generic-netlink family `name`; ENOENT when the kernel does not know it.
    fn family_id(&mut self, name: &str) -> std::result::Result<u16, NlError>;
    /// Sends one request (a whole message that asks for an ack; the socket numbers it) and
    /// returns the payload of each message of its reply: the generic-netlink header, then
    /// the attributes.
    fn exchange(&mut self, request: Vec<u8>) -> std::result::Result<Vec<Vec<u8>>, NlError>;
}

impl EthtoolSocket for LazySocket {
    fn family_id(&mut self, name: &str) -> std::result::Result<u16, NlError> {
        LazySocket::family_id(self, name)
    }

    fn exchange(&mut self, request: Vec<u8>) -> std::result::Result<Vec<Vec<u8>>, NlError> {
        // A "do" that asks for an ack ends at the ack, as a dump at its end: one reader.
        let replies = self.dump_encoded_with(request, |payload| Ok(payload.to_vec()))?;
        Ok(replies.into_iter().map(|(_, payload)| payload).collect())
    }
}

/// Where the device's facts are read: each opened in the device's namespace.
pub(crate) struct Sources<'a> {
    /// A generic-netlink socket; `None` reads through the ioctls alone.
    pub genl: Option<&'a mut dyn EthtoolSocket>,
    pub ioctl: &'a EthtoolIoctl,
    pub sysfs: &'a Sysfs,
}

/// Reads device `dev` (index `index`) of `handle`'s namespace.
pub(crate) fn read(handle: &mut Handle, dev: &str, index: u32, via: NicVia) -> Result<Nic> {
    let (ioctl, sysfs) = handle.within(|| {
        let ioctl = EthtoolIoctl::open().map_err(|e| {
            Error::system(format!("cannot open a socket for ethtool's ioctls: {e}"))
        })?;
        Ok((ioctl, Sysfs::open_here()))
    })?;
    let genl = match via {
        NicVia::Ioctl => None,
        NicVia::Netlink | NicVia::NetlinkCompact => {
            Some(&mut handle.genl as &mut dyn EthtoolSocket)
        }
    };
    let sources = Sources {
        genl,
        ioctl: &ioctl,
        sysfs: &sysfs,
    };
    Ok(read_from(dev, index, sources, via))
}

fn unknown<T>(why: impl Into<String>, errno: Option<i32>) -> Fact<T> {
    Fact::Unknown {
        why: why.into(),
        errno,
    }
}

fn known<T>(value: T, source: Source) -> Fact<T> {
    Fact::Known { value, source }
}

fn io_unknown<T>(what: &str, err: std::io::Error) -> Fact<T> {
    let errno = err.raw_os_error();
    let why = match errno {
        Some(libc::EOPNOTSUPP) => format!("{what}: the driver does not say (EOPNOTSUPP)"),
        _ => format!("{what}: {err}"),
    };
    unknown(why, errno)
}

/// The ethtool family on a socket of the device's namespace.
struct Netlink<'a> {
    socket: &'a mut dyn EthtoolSocket,
    family: u16,
}

impl Netlink<'_> {
    fn features(&mut self, dev: &str, compact: bool) -> std::result::Result<Features, NlError> {
        let replies = self
            .socket
            .exchange(genl::features_request(self.family, dev, compact))?;
        let (_, sets) = genl::feature_sets(&replies, dev)?;
        if !compact {
            return Ok(features_of(&sets, None));
        }
        let request = strset::strset_request(self.family, dev, strset::SS_FEATURES);
        let names = strset::strings(&self.socket.exchange(request)?, dev, strset::SS_FEATURES)?;
        Ok(features_of(&sets, Some(&names)))
    }

    fn channels(&mut self, dev: &str) -> std::result::Result<Channels, NlError> {
        let replies = self
            .socket
            .exchange(genl::channels_request(self.family, dev))?;
        genl::channels(&replies, dev).map(Channels::from_counts)
    }

    /// The UDP flow hashes, where the kernel's RSS reply has them.
    fn udp_flow_hash(&mut self, dev: &str) -> UdpFlowHash {
        let replies = self.socket.exchange(genl::rss_request(self.family, dev));
        let hashes = replies.and_then(|replies| genl::udp_flow_hash(&replies, dev));
        hashes.ok().flatten().unwrap_or_default()
    }
}

/// Reads the facts of device `dev`, device `index` of the sources' namespace.
pub(crate) fn read_from(dev: &str, index: u32, sources: Sources, via: NicVia) -> Nic {
    let Sources {
        genl: socket,
        ioctl,
        sysfs,
    } = sources;
    let rx_queues = match sysfs.rx_queues(dev, index) {
        Ok(queues) => known(queues, Source::Sysfs),
        Err(err) => unknown(format!("receive queues: {err}"), err.raw_os_error()),
    };
    // Without the family (a kernel built without it, or the ioctls asked for), no netlink.
    let mut netlink = match (socket, via) {
        (Some(socket), NicVia::Netlink | NicVia::NetlinkCompact) => socket
            .family_id(genl::FAMILY_NAME)
            .ok()
            .map(|family| Netlink { socket, family }),
        _ => None,
    };
    let features = netlink
        .as_mut()
        .map(|n| n.features(dev, via == NicVia::NetlinkCompact));
    if let Some(Err(NlError {
        errno: libc::ENODEV,
        ..
    })) = &features
    {
        let why = format!("no device {dev} in this namespace");
        return Nic {
            device: dev.to_string(),
            index,
            rss_udp4: unknown(&why, Some(libc::ENODEV)),
            rss_udp6: unknown(&why, Some(libc::ENODEV)),
            features: unknown(&why, Some(libc::ENODEV)),
            channels: unknown(&why, Some(libc::ENODEV)),
            rx_queues,
        };
    }
    let channels = netlink.as_mut().map(|n| n.channels(dev));
    let hash = netlink
        .as_mut()
        .map(|n| n.udp_flow_hash(dev))
        .unwrap_or_default();

    // The ioctls name the device: only once it is known to be there (see `ioctl`).
    let confirmed = match ioctl.confirm(dev, index) {
        Ok(true) => Ok(()),
        Ok(false) => Err((
            format!("no device {dev} with index {index} in this namespace"),
            Some(libc::ENODEV),
        )),
        Err(err) => Err((
            format!("cannot look device {index} up: {err}"),
            err.raw_os_error(),
        )),
    };
    let flow = |netlink: Option<u64>, flow_type: u32| match netlink {
        Some(fields) => known(FlowHash { fields }, Source::Netlink),
        None => by_ioctl(&confirmed, || match ioctl.flow_hash(dev, flow_type) {
            Ok(fields) => known(FlowHash { fields }, Source::Ioctl),
            Err(err) if err.raw_os_error() == Some(libc::EOPNOTSUPP) => unknown(
                "the device has no RSS (ETHTOOL_GRXFH: EOPNOTSUPP)",
                Some(libc::EOPNOTSUPP),
            ),
            Err(err) => io_unknown("RSS flow hash (ETHTOOL_GRXFH)", err),
        }),
    };
    Nic {
        device: dev.to_string(),
        index,
        rss_udp4: flow(hash.udp4, UDP_V4_FLOW),
        rss_udp6: flow(hash.udp6, UDP_V6_FLOW),
        features: match features {
            Some(Ok(features)) => known(features, Source::Netlink),
            _ => by_ioctl(&confirmed, || features_by_ioctl(ioctl, dev)),
        },
        channels: match channels {
            Some(Ok(channels)) => known(channels, Source::Netlink),
            _ => by_ioctl(&confirmed, || match ioctl.channels(dev) {
                Ok(counts) => known(Channels::from_counts(counts.map(Some)), Source::Ioctl),
                Err(err) => io_unknown("channels (ETHTOOL_GCHANNELS)", err),
            }),
        },
        rx_queues,
    }
}

/// What `read_from` gives where the device was not confirmed (see `ioctl`), or the fact
/// the ioctls read.
fn by_ioctl<T>(
    confirmed: &std::result::Result<(), (String, Option<i32>)>,
    read: impl FnOnce() -> Fact<T>,
) -> Fact<T> {
    match confirmed {
        Ok(()) => read(),
        Err((why, errno)) => unknown(why, *errno),
    }
}

/// A feature's state in the sets of a features reply: changeable where the driver offers it
/// (`HW`) and it is not one that never changes.
fn feature_of(sets: &FeatureSets, name: &str, names: Option<&[String]>) -> Option<Feature> {
    let active = sets.active.state(name, names)?;
    let offered = sets.hw.state(name, names).unwrap_or(false);
    let fixed = sets
        .nochange
        .as_ref()
        .and_then(|set: &Bitset| set.state(name, names))
        .unwrap_or(false);
    Some(Feature {
        active,
        changeable: offered && !fixed,
    })
}

fn features_of(sets: &FeatureSets, names: Option<&[String]>) -> Features {
    Features {
        tx_udp_tnl_segmentation: feature_of(sets, TX_UDP_TNL_SEGMENTATION, names),
        tx_udp_tnl_csum_segmentation: feature_of(sets, TX_UDP_TNL_CSUM_SEGMENTATION, names),
        rx_gro: feature_of(sets, RX_GRO, names),
    }
}

fn features_by_ioctl(ioctl: &EthtoolIoctl, dev: &str) -> Fact<Features> {
    let names = match ioctl.feature_names(dev) {
        Ok(names) => names,
        Err(err) => return io_unknown("feature names (ETHTOOL_GSTRINGS)", err),
    };
    let states = match ioctl.features(dev, names.len()) {
        Ok(states) => states,
        Err(err) => return io_unknown("features (ETHTOOL_GFEATURES)", err),
    };
    let state = |name: &str| {
        let bits = states[names.iter().position(|n| n == name)?];
        Some(Feature {
            active: bits.active,
            changeable: bits.changeable,
        })
    };
    known(
        Features {
            tx_udp_tnl_segmentation: state(TX_UDP_TNL_SEGMENTATION),
            tx_udp_tnl_csum_segmentation: state(TX_UDP_TNL_CSUM_SEGMENTATION),
            rx_gro: state(RX_GRO),
        },
        Source::Ioctl,
    )
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
