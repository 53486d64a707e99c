//! The commands that fix what the doctor finds, written for the namespace it looked at:
//! `rfou -n NS ...` for rfou's own, `ip netns exec NS ...` for what runs inside a namespace
//! (ethtool, sysctl, a write to sysfs), and `modprobe` as it is (modules are the kernel's,
//! not a namespace's).

/// Writes fixing commands for one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixes {
    netns: Option<String>,
}

impl Fixes {
    /// Commands for the namespace called `netns` (`-n NAME`), or for the one rfou runs in.
    pub fn new(netns: Option<String>) -> Self {
        Fixes { netns }
    }

    /// `rfou [-n NS] WORDS`.
    pub fn rfou(&self, words: &str) -> String {
        match &self.netns {
            Some(ns) => format!("rfou -n {ns} {words}"),
            None => format!("rfou {words}"),
        }
    }

    /// A program run inside the namespace: `[ip netns exec NS ]COMMAND`.
    pub fn inside(&self, command: &str) -> String {
        match &self.netns {
            Some(ns) => format!("ip netns exec {ns} {command}"),
            None => command.to_string(),
        }
    }

    /// A shell line run inside the namespace (for a redirection): `sh -c 'LINE'` there, or
    /// the line itself here. `ip netns exec` mounts the namespace's own sysfs, so a path under
    /// /sys/class/net is that namespace's device.
    pub fn shell(&self, line: &str) -> String {
        match &self.netns {
            Some(_) => self.inside(&format!("sh -c '{line}'")),
            None => line.to_string(),
        }
    }

    /// `sysctl -w KEY=VALUE`, inside the namespace.
    pub fn sysctl(&self, key: &str, value: &str) -> String {
        self.inside(&format!("sysctl -w {key}={value}"))
    }

    /// `ethtool ARGS`, inside the namespace.
    pub fn ethtool(&self, args: &str) -> String {
        self.inside(&format!("ethtool {args}"))
    }

    /// `modprobe MODULE`: modules serve every namespace.
    pub fn modprobe(&self, module: &str) -> String {
        format!("modprobe {module}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_the_namespace_they_fix() {
        let here = Fixes::new(None);
        let blue = Fixes::new(Some("blue".into()));
        assert_eq!(
            here.rfou("add port 5555 ipproto 4"),
            "rfou add port 5555 ipproto 4"
        );
        assert_eq!(
            blue.rfou("add port 5555 ipproto 4"),
            "rfou -n blue add port 5555 ipproto 4"
        );
        assert_eq!(
            blue.ethtool("-K v0 gro on"),
            "ip netns exec blue ethtool -K v0 gro on"
        );
        assert_eq!(
            blue.shell("echo 3 > /sys/class/net/v0/queues/rx-0/rps_cpus"),
            "ip netns exec blue sh -c 'echo 3 > /sys/class/net/v0/queues/rx-0/rps_cpus'"
        );
        assert_eq!(
            here.shell("echo 3 > /sys/class/net/v0/queues/rx-0/rps_cpus"),
            "echo 3 > /sys/class/net/v0/queues/rx-0/rps_cpus"
        );
        assert_eq!(
            here.sysctl("net.ipv4.conf.t1.rp_filter", "2"),
            "sysctl -w net.ipv4.conf.t1.rp_filter=2"
        );
        assert_eq!(blue.modprobe("fou6"), "modprobe fou6");
    }
}
