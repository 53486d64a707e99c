//! The settings of a namespace's IP stack that decide whether FOU traffic gets through:
//! reverse-path filtering of a device, the range of ephemeral ports and the ports kept out of
//! it. Read from the namespace's own `/proc/sys/net` (what `sysctl` shows inside it); never
//! written.

use std::ops::RangeInclusive;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::Handle;
use crate::values;

/// Reverse-path filtering of one device (`net.ipv4.conf.DEV.rp_filter`): 0 off, 1 strict,
/// 2 loose. The kernel applies the larger of the device's and `all`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpFilter {
    /// `net.ipv4.conf.all.rp_filter`.
    pub all: u8,
    /// `net.ipv4.conf.DEV.rp_filter`.
    pub dev: u8,
}

impl RpFilter {
    /// The mode the kernel applies: the larger of the two.
    pub fn effective(&self) -> u8 {
        self.all.max(self.dev)
    }

    /// Strict mode (1): a packet is dropped unless the route back to its source leaves by
    /// the device it came in on.
    pub fn is_strict(&self) -> bool {
        self.effective() == 1
    }
}

/// The key of a device's IPv4 setting as `sysctl` takes it: `net.ipv4.conf.DEV.NAME`, or
/// with slashes where the device's name has a dot (`net/ipv4/conf/eth0.100/NAME`), which
/// `sysctl` would otherwise read as a separator.
pub fn conf_key(dev: &str, name: &str) -> String {
    if dev.contains('.') {
        format!("net/ipv4/conf/{dev}/{name}")
    } else {
        format!("net.ipv4.conf.{dev}.{name}")
    }
}

/// Reads numbers and ranges as `ip_local_reserved_ports` holds them: `5555,6000-6010`
/// (empty: none).
fn port_ranges(text: &str) -> Option<Vec<RangeInclusive<u16>>> {
    text.trim()
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('-') {
            Some((low, high)) => Some(low.trim().parse().ok()?..=high.trim().parse().ok()?),
            None => {
                let port = part.trim().parse().ok()?;
                Some(port..=port)
            }
        })
        .collect()
}

impl Handle {
    /// One file of the namespace's `/proc/sys/net`, e.g. `ipv4/ip_local_port_range`.
    fn net_sysctl(&self, path: &str) -> Result<String> {
        let file = format!("/proc/sys/net/{path}");
        let place = self.place();
        self.within(|| {
            std::fs::read_to_string(&file).map_err(|e| {
                let kind = match e.kind() {
                    std::io::ErrorKind::NotFound => ErrorKind::NoSuchDevice,
                    _ => ErrorKind::System,
                };
                Error::new(kind, format!("cannot read {file} in {place}: {e}")).with_source(e)
            })
        })
    }

    fn net_sysctl_number(&self, path: &str) -> Result<u8> {
        let text = self.net_sysctl(path)?;
        text.trim().parse().map_err(|_| {
            Error::system(format!(
                "/proc/sys/net/{path} holds \"{}\", not a number",
                text.trim()
            ))
        })
    }

    /// The reverse-path filtering of device `dev`. A device without IPv4 settings (IPv4
    /// off on it) is [`ErrorKind::NoSuchDevice`].
    pub fn rp_filter(&self, dev: &str) -> Result<RpFilter> {
        values::device_name(dev, "device")?;
        Ok(RpFilter {
            all: self.net_sysctl_number("ipv4/conf/all/rp_filter")?,
            dev: self.net_sysctl_number(&format!("ipv4/conf/{dev}/rp_filter"))?,
        })
    }

    /// The ports the kernel picks ephemeral ports from (`net.ipv4.ip_local_port_range`,
    /// which IPv6 sockets use too); it never picks those of [`Handle::reserved_ports`].
    pub fn local_port_range(&self) -> Result<RangeInclusive<u16>> {
        let text = self.net_sysctl("ipv4/ip_local_port_range")?;
        let mut numbers = text.split_whitespace().map(str::parse::<u16>);
        match (numbers.next(), numbers.next()) {
            (Some(Ok(low)), Some(Ok(high))) => Ok(low..=high),
            _ => Err(Error::system(format!(
                "net.ipv4.ip_local_port_range holds \"{}\", not two ports",
                text.trim()
            ))),
        }
    }

    /// The ports kept out of the ephemeral range (`net.ipv4.ip_local_reserved_ports`).
    pub fn reserved_ports(&self) -> Result<Vec<RangeInclusive<u16>>> {
        let text = self.net_sysctl("ipv4/ip_local_reserved_ports")?;
        port_ranges(&text).ok_or_else(|| {
            Error::system(format!(
                "net.ipv4.ip_local_reserved_ports holds \"{}\", not ports",
                text.trim()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ports_are_read_as_the_kernel_writes_them() {
        assert_eq!(port_ranges("\n"), Some(vec![]));
        assert_eq!(
            port_ranges("5555,6000-6010\n"),
            Some(vec![5555..=5555, 6000..=6010])
        );
        assert_eq!(port_ranges("x"), None);
    }

    #[test]
    fn the_kernel_applies_the_larger_rp_filter() {
        let strict = RpFilter { all: 1, dev: 0 };
        assert!(strict.is_strict());
        assert!(!RpFilter { all: 1, dev: 2 }.is_strict());
        assert_eq!(RpFilter { all: 0, dev: 2 }.effective(), 2);
    }

    #[test]
    fn keys_of_devices_with_dots_use_slashes() {
        assert_eq!(
            conf_key("eth0", "rp_filter"),
            "net.ipv4.conf.eth0.rp_filter"
        );
        assert_eq!(
            conf_key("eth0.100", "rp_filter"),
            "net/ipv4/conf/eth0.100/rp_filter"
        );
    }

    #[test]
    fn this_namespace_has_a_port_range_and_lo_a_filter() {
        let handle = Handle::new().unwrap();
        let range = handle.local_port_range().unwrap();
        assert!(range.start() <= range.end(), "{range:?}");
        handle.rp_filter("lo").unwrap();
        let err = handle.rp_filter("rfou-missing0").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSuchDevice, "{err}");
    }
}
