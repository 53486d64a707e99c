//! Whether this kernel does FOU and GUE: the `fou` module (receive ports, and the
//! encapsulation of IPv4 tunnels) and `fou6` (the encapsulation of IPv6 tunnels), found
//! without loading anything.

use super::Family;
use crate::sys::modules;

/// The module that encapsulates the tunnels of an underlay family, as this kernel has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FouModule {
    /// `fou` (IPv4 underlays, and every receive port) or `fou6` (IPv6 underlays).
    pub name: &'static str,
    /// Loaded or built in now.
    pub loaded: bool,
    /// Loaded, built in, or a module modprobe can load.
    pub loadable: bool,
}

/// The module of underlay family `family`, as this kernel has it.
pub fn fou_module(family: Family) -> FouModule {
    let name = module_name(family);
    FouModule {
        name,
        loaded: modules::is_loaded(name),
        loadable: modules::is_loadable(name),
    }
}

fn module_name(family: Family) -> &'static str {
    match family {
        Family::Inet => "fou",
        Family::Inet6 => "fou6",
    }
}

/// Whether the kernel's module of `family` can encapsulate tunnels (it was built with
/// `CONFIG_NET_FOU_IP_TUNNELS`, or `CONFIG_IPV6_FOU_TUNNEL` for fou6; without it, the module
/// has receive ports only and the kernel refuses `encap fou` on a tunnel). Read from a copy
/// of the kernel's configuration, else, while the module is loaded, from the kernel's symbols
/// (the function that builds the encapsulation); `None` where neither says.
pub fn tunnel_encap_support(family: Family) -> Option<bool> {
    let (option, symbol) = match family {
        Family::Inet => ("CONFIG_NET_FOU_IP_TUNNELS", "fou_build_header"),
        Family::Inet6 => ("CONFIG_IPV6_FOU_TUNNEL", "fou6_build_header"),
    };
    if let Some(built) = modules::kernel_config(option) {
        return Some(built);
    }
    if !modules::is_loaded(module_name(family)) {
        return None;
    }
    modules::has_symbol(symbol)
}
