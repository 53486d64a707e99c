//! The network devices of a namespace, by index and by name, as rfou names them in what it
//! prints: a device that is gone by ip's name for it, `ifN`.

use crate::maps::HashMap;

use crate::values::{gone_device_index, gone_device_name};

/// One network device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its index (`ifindex`).
    pub index: u32,
    /// Its name.
    pub name: String,
    /// Its kind (`IFLA_INFO_KIND`: `ipip`, `veth`, `dummy`...), if it has one.
    pub kind: Option<String>,
    /// Its flags (`IFF_*`).
    pub flags: u32,
}

/// The devices of a namespace, read at one moment ([`crate::Handle::devices`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    list: Vec<Device>,
    by_index: HashMap<u32, usize>,
    by_name: HashMap<String, usize>,
}

impl Devices {
    /// The devices of `list`, in its order.
    pub fn new(list: Vec<Device>) -> Self {
        let by_index = list.iter().enumerate().map(|(i, d)| (d.index, i)).collect();
        let by_name = list
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        Devices {
            list,
            by_index,
            by_name,
        }
    }

    /// Every device, in the kernel's order.
    pub fn iter(&self) -> impl Iterator<Item = &Device> {
        self.list.iter()
    }

    /// The device of index `index`, if the namespace has it.
    pub fn get(&self, index: u32) -> Option<&Device> {
        self.by_index.get(&index).map(|i| &self.list[*i])
    }

    /// The device called `name`, if the namespace has it.
    pub fn named(&self, name: &str) -> Option<&Device> {
        self.by_name.get(name).map(|i| &self.list[*i])
    }

    /// The name to say for device `index`: its name, or `ifN` when it is gone, as ip names
    /// (and reads back) a device that no longer exists.
    pub fn name_of(&self, index: u32) -> String {
        match self.get(index) {
            Some(device) => device.name.clone(),
            None => gone_device_name(index),
        }
    }

    /// The index `name` stands for: the device of that name, else the index in `ifN` of a
    /// device that is gone (no device has that index). `None` when it names nothing.
    pub fn index_of(&self, name: &str) -> Option<u32> {
        if let Some(device) = self.named(name) {
            return Some(device.index);
        }
        gone_device_index(name).filter(|index| self.get(*index).is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(index: u32, name: &str) -> Device {
        Device {
            index,
            name: name.into(),
            kind: None,
            flags: 0,
        }
    }

    #[test]
    fn a_gone_device_is_named_and_found_as_ip_names_it() {
        let devices = Devices::new(vec![device(1, "lo"), device(7, "if9")]);
        assert_eq!(devices.name_of(1), "lo");
        assert_eq!(devices.name_of(10), "if10");
        assert_eq!(devices.index_of("lo"), Some(1));
        assert_eq!(devices.index_of("if10"), Some(10));
        // A device really called if9 is that device, not the gone index 9.
        assert_eq!(devices.index_of("if9"), Some(7));
        // ifN of an index a device has is no gone device.
        assert_eq!(devices.index_of("if1"), None);
        assert_eq!(devices.index_of("eth0"), None);
    }
}
