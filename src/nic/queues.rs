//! A device's receive queues and their RPS CPU masks, from sysfs
//! (`class/net/DEV/queues/rx-N/rps_cpus`).
//!
//! sysfs shows the network devices of the namespace its mount was made in, not of the reader:
//! a process that entered another namespace (`setns`, `nsenter --net`) still sees the old
//! one's devices under /sys/class/net, maybe under the same names. `ip netns exec` mounts a
//! fresh sysfs in a mount namespace of its own for that reason. Here sysfs is mounted
//! detached (`fsopen`, `fsmount`: a mount that is attached nowhere, seen by no one, and gone
//! with its descriptor), from inside the device's namespace, so it shows that namespace's
//! devices whatever /sys shows. That needs CAP_SYS_ADMIN; without it, /sys is read only where
//! it has a device of that name with the same index (which devices of two namespaces can
//! share), and the result says it was read from /sys.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use crate::values;

const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const MOUNT_ATTR_RDONLY: libc::c_uint = 0x1;
const MOUNT_ATTR_NOSUID: libc::c_uint = 0x2;
const MOUNT_ATTR_NODEV: libc::c_uint = 0x4;
const MOUNT_ATTR_NOEXEC: libc::c_uint = 0x8;

/// Where a namespace's sysfs is read.
pub(crate) enum Sysfs {
    /// A detached sysfs mount made inside the namespace: its devices for sure.
    Detached(OwnedFd),
    /// The sysfs mounted at /sys, which shows the namespace of whoever mounted it.
    Mounted,
}

/// The receive queues of a device and which of them have RPS on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxQueues {
    /// `rx-N` directories: the device's real number of receive queues.
    pub count: usize,
    /// The queues whose `rps_cpus` mask has a CPU in it.
    pub rps_queues: Vec<usize>,
    /// Which sysfs it was read from.
    pub read_from: SysfsView,
}

/// Which sysfs a device's queues were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysfsView {
    /// A sysfs mounted for the reading alone, inside the device's namespace: its devices
    /// for sure.
    Detached,
    /// The sysfs at /sys, which shows the namespace of whoever mounted it: read only where
    /// its device of that name has the same index.
    Mounted,
}

impl SysfsView {
    /// `detached-sysfs` or `/sys`.
    pub fn name(self) -> &'static str {
        match self {
            SysfsView::Detached => "detached-sysfs",
            SysfsView::Mounted => "/sys",
        }
    }
}

impl Sysfs {
    /// A detached sysfs of the calling thread's network namespace, or /sys when the kernel
    /// refuses one (without CAP_SYS_ADMIN; `fsopen` is in every kernel since 5.2).
    pub(crate) fn open_here() -> Sysfs {
        match detached_sysfs() {
            Ok(fd) => Sysfs::Detached(fd),
            Err(_) => Sysfs::Mounted,
        }
    }

    fn root(&self) -> PathBuf {
        match self {
            // The descriptor's magic link in /proc leads into the detached mount.
            Sysfs::Detached(fd) => PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())),
            Sysfs::Mounted => PathBuf::from("/sys"),
        }
    }

    /// The receive queues of device `dev`, whose index in the namespace is `index`.
    pub(crate) fn rx_queues(&self, dev: &str, index: u32) -> io::Result<RxQueues> {
        values::device_name(dev, "device")
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let device = self.root().join("class/net").join(dev);
        let read_index = std::fs::read_to_string(device.join("ifindex"))?;
        if read_index.trim() != index.to_string() {
            return Err(io::Error::other(match self {
                Sysfs::Detached(_) => format!(
                    "sysfs has {dev} as device {}, not {index}: renamed while read?",
                    read_index.trim()
                ),
                Sysfs::Mounted => format!(
                    "/sys shows another namespace's {dev} (device {}, not {index}); \
                     reading this namespace's needs CAP_SYS_ADMIN",
                    read_index.trim()
                ),
            }));
        }
        let mut queues = Vec::new();
        for entry in std::fs::read_dir(device.join("queues"))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(n) = name.to_str().and_then(|n| n.strip_prefix("rx-")) else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else { continue };
            // No rps_cpus file: a kernel without CONFIG_RPS, so no RPS.
            let rps = match std::fs::read_to_string(entry.path().join("rps_cpus")) {
                Ok(mask) => cpu_mask_has_cpu(&mask),
                Err(err) if err.kind() == io::ErrorKind::NotFound => false,
                Err(err) => return Err(err),
            };
            queues.push((n, rps));
        }
        queues.sort_unstable();
        Ok(RxQueues {
            count: queues.len(),
            rps_queues: queues
                .iter()
                .filter(|(_, rps)| *rps)
                .map(|(n, _)| *n)
                .collect(),
            read_from: match self {
                Sysfs::Detached(_) => SysfsView::Detached,
                Sysfs::Mounted => SysfsView::Mounted,
            },
        })
    }
}

/// Whether a CPU mask as sysfs prints it (hex words, comma separated: `00000000,00000003`)
/// has any CPU.
pub(crate) fn cpu_mask_has_cpu(mask: &str) -> bool {
    mask.trim()
        .chars()
        .any(|c| c.is_ascii_hexdigit() && c != '0')
}

/// The mask an `rps_cpus` file takes for every CPU online now (`ff` for eight), read from
/// `/sys/devices/system/cpu/online` (`0-7`, `0,2-3`); `None` where that cannot be read. The
/// CPUs are the machine's, whatever the namespace.
pub fn all_cpus_mask() -> Option<String> {
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    cpu_mask_of(&online)
}

/// The hexadecimal mask of a CPU list as sysfs writes it, in 32-bit words with commas as
/// sysfs prints them.
pub(crate) fn cpu_mask_of(list: &str) -> Option<String> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        let (low, high) = match part.split_once('-') {
            Some((low, high)) => (low.parse::<usize>().ok()?, high.parse::<usize>().ok()?),
            None => {
                let cpu = part.parse::<usize>().ok()?;
                (cpu, cpu)
            }
        };
        cpus.extend(low..=high);
    }
    let top = *cpus.iter().max()?;
    let mut words = vec![0u32; top / 32 + 1];
    for cpu in cpus {
        words[cpu / 32] |= 1 << (cpu % 32);
    }
    let mut text = format!("{:x}", words[words.len() - 1]);
    for word in words.iter().rev().skip(1) {
        text.push_str(&format!(",{word:08x}"));
    }
    Some(text)
}

/// Mounts sysfs, detached, for the network namespace of the calling thread.
fn detached_sysfs() -> io::Result<OwnedFd> {
    let fs = CString::new("sysfs").expect("no NUL");
    // SAFETY: fsopen reads the NUL-terminated name; the result is checked.
    let context = unsafe { libc::syscall(libc::SYS_fsopen, fs.as_ptr(), FSOPEN_CLOEXEC) };
    let context = owned(context)?;
    // SAFETY: FSCONFIG_CMD_CREATE takes no key, value or aux.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            context.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    // SAFETY: fsmount takes the context's descriptor and two flag words.
    let mount = unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            context.as_raw_fd(),
            FSMOUNT_CLOEXEC,
            attrs,
        )
    };
    owned(mount)
}

fn owned(rc: libc::c_long) -> io::Result<OwnedFd> {
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the system call just returned this descriptor, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_online_cpu_is_one_bit() {
        assert_eq!(cpu_mask_of("0\n").as_deref(), Some("1"));
        assert_eq!(cpu_mask_of("0-1\n").as_deref(), Some("3"));
        assert_eq!(cpu_mask_of("0,2-3").as_deref(), Some("d"));
        assert_eq!(cpu_mask_of("0-32").as_deref(), Some("1,ffffffff"));
        assert_eq!(cpu_mask_of(""), None);
        assert!(all_cpus_mask().is_some());
    }

    #[test]
    fn cpu_masks_with_and_without_cpus() {
        assert!(!cpu_mask_has_cpu("0\n"));
        assert!(!cpu_mask_has_cpu("00000000,00000000\n"));
        assert!(cpu_mask_has_cpu("00000000,00000002\n"));
        assert!(cpu_mask_has_cpu("f"));
        assert!(!cpu_mask_has_cpu(""));
    }

    #[test]
    fn device_names_that_would_leave_the_directory_are_refused() {
        for dev in ["", ".", "..", "a/../b"] {
            let err = Sysfs::Mounted.rx_queues(dev, 1).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{dev}");
        }
    }

    #[test]
    fn the_loopback_device_of_this_namespace_has_one_queue() {
        // lo is device 1 in every namespace; its sysfs entry exists wherever sysfs is.
        let queues = Sysfs::open_here().rx_queues("lo", 1).unwrap();
        assert_eq!(queues.count, 1, "{queues:?}");
    }

    #[test]
    fn a_device_under_another_index_is_not_taken_for_it() {
        let err = Sysfs::Mounted.rx_queues("lo", 4_000_000).unwrap_err();
        assert!(err.to_string().contains("not 4000000"), "{err}");
    }
}
