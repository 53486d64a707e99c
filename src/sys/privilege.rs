//! The privileges of this process.

/// CAP_NET_ADMIN's bit in the capability sets.
const CAP_NET_ADMIN: u32 = 12;

/// Whether CAP_NET_ADMIN is in this process's effective set, which every change of ports,
/// tunnels and devices needs: `None` where `/proc/self/status` cannot be read.
pub fn has_net_admin() -> Option<bool> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let effective = effective_caps(&status)?;
    Some(effective & (1 << CAP_NET_ADMIN) != 0)
}

/// The effective capability set of a `/proc/PID/status` text (`CapEff:`, in hexadecimal).
fn effective_caps(status: &str) -> Option<u64> {
    let hex = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))?
        .trim();
    u64::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_effective_set_is_read_from_the_status() {
        let status = "Name:\trfou\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n";
        assert_eq!(effective_caps(status), Some(1 << CAP_NET_ADMIN));
        assert_eq!(effective_caps("Name:\trfou\n"), None);
        assert!(has_net_admin().is_some());
    }
}
