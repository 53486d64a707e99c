//! ethtool's ioctls (`SIOCETHTOOL` on a datagram socket), for what the kernel's netlink does
//! not say: the RSS flow-hash fields before 6.17 (`ETHTOOL_GRXFH`), and features and channels
//! where the `ethtool` family is missing. Only "get" commands, which change nothing.
//!
//! An ioctl names the device by name, and the kernel answers a name it does not know by
//! loading a module of that name (`dev_load`: `netdev-NAME`, then `NAME` itself, for a caller
//! with CAP_NET_ADMIN or CAP_SYS_MODULE). So a request goes out only for a device that
//! [`EthtoolIoctl::confirm`] found, by its index, under that name.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::values;

const SIOCETHTOOL: u64 = 0x8946;
/// `SIOCGIFNAME`: the name of an index; the kernel loads nothing for it.
const SIOCGIFNAME: u64 = 0x8910;
const IFNAMSIZ: usize = 16;
/// `struct ifreq`: the name, then a union (a pointer for SIOCETHTOOL, an int index for
/// SIOCGIFNAME), 40 bytes on 64-bit Linux.
const IFREQ_LEN: usize = 40;

const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GRXFH: u32 = 0x29;
const ETHTOOL_GSSET_INFO: u32 = 0x37;
const ETHTOOL_GFEATURES: u32 = 0x3a;
const ETHTOOL_GCHANNELS: u32 = 0x3c;
/// `UDP_V4_FLOW`, `UDP_V6_FLOW`: the flow types of `ETHTOOL_GRXFH`.
pub(crate) const UDP_V4_FLOW: u32 = 0x02;
pub(crate) const UDP_V6_FLOW: u32 = 0x06;
/// ETH_SS_FEATURES, and the length of each of its strings (ETH_GSTRING_LEN).
const SS_FEATURES: u32 = 4;
const GSTRING_LEN: usize = 32;

/// A datagram socket of the device's network namespace, for ethtool's ioctls.
pub(crate) struct EthtoolIoctl {
    socket: OwnedFd,
}

/// A device name checked to be one the kernel could have ([`values::device_name`]), which
/// is also what fits an `ifreq`.
fn checked_name(dev: &str) -> io::Result<[u8; IFNAMSIZ]> {
    values::device_name(dev, "device")
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut name = [0; IFNAMSIZ];
    name[..dev.len()].copy_from_slice(dev.as_bytes());
    Ok(name)
}

/// The state of one feature as `ETHTOOL_GFEATURES` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FeatureBits {
    /// Whether the driver lets a user change it (`available`, and not `never_changed`).
    pub changeable: bool,
    pub active: bool,
}

impl EthtoolIoctl {
    /// A socket of the calling thread's network namespace.
    pub(crate) fn open() -> io::Result<Self> {
        // SAFETY: socket takes no pointer; the result is checked below.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just opened and is owned by nobody else.
        Ok(EthtoolIoctl {
            socket: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Whether device `index` is named `dev` in this socket's namespace (`SIOCGIFNAME`). Only
    /// then may the ioctls below name it.
    pub(crate) fn confirm(&self, dev: &str, index: u32) -> io::Result<bool> {
        let mut ifreq = [0u8; IFREQ_LEN];
        ifreq[IFNAMSIZ..IFNAMSIZ + 4].copy_from_slice(&(index as i32).to_ne_bytes());
        // SAFETY: ifreq is a writable buffer of the size of struct ifreq, which is all the
        // kernel reads and writes for SIOCGIFNAME.
        let rc = unsafe {
            libc::ioctl(
                self.socket.as_raw_fd(),
                SIOCGIFNAME as _,
                ifreq.as_mut_ptr(),
            )
        };
        if rc < 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(libc::ENODEV) => Ok(false),
                _ => Err(err),
            };
        }
        let end = ifreq[..IFNAMSIZ]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(IFNAMSIZ);
        Ok(&ifreq[..end] == dev.as_bytes())
    }

    /// One ethtool command on `dev`: `data` is its structure, read and written by the kernel.
    fn command(&self, dev: &str, data: &mut [u8]) -> io::Result<()> {
        let mut ifreq = [0u8; IFREQ_LEN];
        ifreq[..IFNAMSIZ].copy_from_slice(&checked_name(dev)?);
        let pointer = data.as_mut_ptr() as usize;
        ifreq[IFNAMSIZ..IFNAMSIZ + size_of::<usize>()].copy_from_slice(&pointer.to_ne_bytes());
        // SAFETY: ifreq is a struct ifreq whose data pointer is `data`, which lives through
        // the call and is as long as the structure of the command in its first word (the
        // request builders below size it, and the kernel writes no more than they ask for).
        let rc = unsafe {
            libc::ioctl(
                self.socket.as_raw_fd(),
                SIOCETHTOOL as _,
                ifreq.as_mut_ptr(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The hashed fields (`RXH_*`) of flow type `flow` (`ETHTOOL_GRXFH`).
    pub(crate) fn flow_hash(&self, dev: &str, flow: u32) -> io::Result<u64> {
        let mut data = rxfh_request(flow);
        self.command(dev, &mut data)?;
        Ok(rxfh_fields(&data))
    }

    /// The channel counts (`ETHTOOL_GCHANNELS`), in the order of `struct ethtool_channels`.
    pub(crate) fn channels(&self, dev: &str) -> io::Result<[u32; 8]> {
        let mut data = channels_request();
        self.command(dev, &mut data)?;
        Ok(channel_counts(&data))
    }

    /// The names of the feature bits (`ETHTOOL_GSSET_INFO`, then `ETHTOOL_GSTRINGS`).
    pub(crate) fn feature_names(&self, dev: &str) -> io::Result<Vec<String>> {
        let mut info = sset_info_request(SS_FEATURES);
        self.command(dev, &mut info)?;
        let count = sset_count(&info).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "the device has no feature names",
            )
        })?;
        let mut strings = gstrings_request(SS_FEATURES, count);
        self.command(dev, &mut strings)?;
        Ok(gstrings_names(&strings))
    }

    /// The state of each of the first `count` features (`ETHTOOL_GFEATURES`): item i is
    /// feature i.
    pub(crate) fn features(&self, dev: &str, count: usize) -> io::Result<Vec<FeatureBits>> {
        let mut data = gfeatures_request(count.div_ceil(32));
        self.command(dev, &mut data)?;
        Ok(gfeatures_states(&data, count))
    }
}

/// `struct ethtool_rxnfc` as `ETHTOOL_GRXFH` reads it: cmd, flow_type, data (u64). The
/// kernel copies only these 16 bytes for GRXFH (the structure's first form).
pub(crate) fn rxfh_request(flow: u32) -> Vec<u8> {
    let mut data = vec![0; 16];
    data[..4].copy_from_slice(&ETHTOOL_GRXFH.to_ne_bytes());
    data[4..8].copy_from_slice(&flow.to_ne_bytes());
    data
}

pub(crate) fn rxfh_fields(data: &[u8]) -> u64 {
    u64::from_ne_bytes(data[8..16].try_into().expect("16 bytes"))
}

/// `struct ethtool_channels`: cmd, then 8 counts.
pub(crate) fn channels_request() -> Vec<u8> {
    let mut data = vec![0; 36];
    data[..4].copy_from_slice(&ETHTOOL_GCHANNELS.to_ne_bytes());
    data
}

pub(crate) fn channel_counts(data: &[u8]) -> [u32; 8] {
    std::array::from_fn(|i| word(data, 4 + 4 * i))
}

/// `struct ethtool_sset_info` asking for one set: cmd, reserved, sset_mask (u64), then one
/// count.
pub(crate) fn sset_info_request(set: u32) -> Vec<u8> {
    let mut data = vec![0; 20];
    data[..4].copy_from_slice(&ETHTOOL_GSSET_INFO.to_ne_bytes());
    data[8..16].copy_from_slice(&(1u64 << set).to_ne_bytes());
    data
}

/// The set's count, if the kernel kept the set in the mask (it clears what it lacks).
pub(crate) fn sset_count(data: &[u8]) -> Option<usize> {
    let mask = u64::from_ne_bytes(data[8..16].try_into().expect("20 bytes"));
    (mask != 0).then(|| word(data, 16) as usize)
}

/// `struct ethtool_gstrings`: cmd, string_set, len, then `count` strings of 32 bytes.
pub(crate) fn gstrings_request(set: u32, count: usize) -> Vec<u8> {
    let mut data = vec![0; 12 + count * GSTRING_LEN];
    data[..4].copy_from_slice(&ETHTOOL_GSTRINGS.to_ne_bytes());
    data[4..8].copy_from_slice(&set.to_ne_bytes());
    data[8..12].copy_from_slice(&(count as u32).to_ne_bytes());
    data
}

/// The strings, as many as the kernel's `len` says (no more than were asked for).
pub(crate) fn gstrings_names(data: &[u8]) -> Vec<String> {
    let asked = (data.len() - 12) / GSTRING_LEN;
    let len = (word(data, 8) as usize).min(asked);
    data[12..12 + len * GSTRING_LEN]
        .chunks(GSTRING_LEN)
        .map(|s| {
            let end = s.iter().position(|&b| b == 0).unwrap_or(GSTRING_LEN);
            String::from_utf8_lossy(&s[..end]).into_owned()
        })
        .collect()
}

/// `struct ethtool_gfeatures`: cmd, size (blocks), then blocks of 4 words (available,
/// requested, active, never_changed), 32 features each.
pub(crate) fn gfeatures_request(blocks: usize) -> Vec<u8> {
    let mut data = vec![0; 8 + 16 * blocks];
    data[..4].copy_from_slice(&ETHTOOL_GFEATURES.to_ne_bytes());
    data[4..8].copy_from_slice(&(blocks as u32).to_ne_bytes());
    data
}

/// The state of each of the first `count` features (blocks the kernel did not fill read as
/// off and fixed).
pub(crate) fn gfeatures_states(data: &[u8], count: usize) -> Vec<FeatureBits> {
    let blocks = (data.len() - 8) / 16;
    // Word `at` of feature i's block (0 available, 1 requested, 2 active, 3 never_changed).
    let bit = |i: usize, at: usize| {
        let block = i / 32;
        block < blocks && word(data, 8 + 16 * block + 4 * at) & (1 << (i % 32)) != 0
    };
    (0..count)
        .map(|i| FeatureBits {
            changeable: bit(i, 0) && !bit(i, 3),
            active: bit(i, 2),
        })
        .collect()
}

fn word(data: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(data[at..at + 4].try_into().expect("a word"))
}

#[cfg(test)]
#[path = "ioctl_tests.rs"]
mod tests;
