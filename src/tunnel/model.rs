//! A tunnel as the kernel reports it ([`Tunnel`]), and a tunnel to make ([`TunnelSpec`]).

use std::net::IpAddr;

use super::attrs::TunnelAttrs;
use super::settings::{Read, TunnelSettings};
use super::{Encap, TunnelKind, TunnelMode};
use crate::devices::Devices;

/// A tunnel device, read from the kernel: the settings most read as fields, all of them by
/// [`Tunnel::settings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// The device name.
    pub name: String,
    /// The device index.
    pub ifindex: u32,
    /// The kind of tunnel.
    pub kind: TunnelKind,
    /// The device's MTU.
    pub mtu: u32,
    /// Whether the device is administratively up.
    pub up: bool,
    /// The device group (`ip link set ... group N`).
    pub group: u32,
    /// The device's flags (`IFF_*`): the kind of remote a tunnel was made with shows in
    /// them (point-to-point, broadcast).
    pub flags: u32,
    /// The largest MTU the kernel takes for the device (`IFLA_MAX_MTU`), where it holds one
    /// and it was read: an ip6tnl tunnel keeps the one it was made with (see
    /// `check_max_mtu` in src/tunnel/rules.rs).
    pub max_mtu: Option<u32>,
    /// The local underlay address, if set.
    pub local: Option<IpAddr>,
    /// The remote underlay address, if set.
    pub remote: Option<IpAddr>,
    /// The underlay device the tunnel is bound to (`dev PHYS`), by index.
    pub link: Option<u32>,
    /// The TTL (hop limit); 0 means inherit.
    pub ttl: u8,
    /// The GRE input key, if one is in use.
    pub ikey: Option<u32>,
    /// The GRE output key, if one is in use.
    pub okey: Option<u32>,
    /// The UDP encapsulation.
    pub encap: Encap,
    pub(crate) attrs: TunnelAttrs,
}

impl Tunnel {
    /// The tunnel of `kind` whose attributes are `attrs`, as a device of that name, index,
    /// MTU, state, group and flags.
    pub(crate) fn new(
        name: String,
        ifindex: u32,
        kind: TunnelKind,
        link: LinkState,
        attrs: TunnelAttrs,
    ) -> Self {
        let read = Read::from(&attrs);
        let key = |flags: netlink_packet_route::link::GreIOFlags, key: u32| {
            (kind.is_gre() && flags.contains(netlink_packet_route::link::GreIOFlags::Key))
                .then_some(key)
        };
        Tunnel {
            name,
            ifindex,
            kind,
            mtu: link.mtu,
            up: link.up,
            group: link.group,
            flags: link.flags,
            max_mtu: link.max_mtu,
            local: read.local,
            remote: read.remote,
            link: read.link,
            ttl: read.ttl,
            ikey: key(read.iflags, read.ikey),
            okey: key(read.oflags, read.okey),
            encap: read.encap,
            attrs,
        }
    }

    /// The tunnel's mode: its kind, and the inner protocol of ipip, sit and ip6tnl.
    pub fn mode(&self) -> TunnelMode {
        TunnelMode {
            kind: self.kind,
            proto: self.kind.is_ip().then(|| Read::from(&self.attrs).proto),
        }
    }

    /// Every setting of the tunnel, whole (the underlay device named as `devices` names it,
    /// `ifN` when it is gone), with its MTU and state.
    pub fn settings(&self, devices: &Devices) -> TunnelSettings {
        let dev = self.link.map(|index| devices.name_of(index));
        TunnelSettings {
            mtu: Some(self.mtu),
            up: Some(self.up),
            ..TunnelSettings::read(self.kind, &self.attrs, dev)
        }
    }

    /// What the kernel finds an ipip or gre tunnel by when it is changed: its local and
    /// remote addresses, its underlay device and its input key. A change that keeps them is
    /// not checked against the tunnel's kind of remote ([`super::rules::remote_class_change`]).
    pub(crate) fn identity(&self) -> (Option<IpAddr>, Option<IpAddr>, Option<u32>, Option<u32>) {
        (
            self.local,
            self.remote,
            self.link.filter(|&index| index != 0),
            self.ikey,
        )
    }

    /// The same tunnel with `attrs` as its attributes (what a change would make of it).
    pub(crate) fn with_attrs(&self, attrs: TunnelAttrs) -> Self {
        Tunnel::new(
            self.name.clone(),
            self.ifindex,
            self.kind,
            LinkState {
                mtu: self.mtu,
                up: self.up,
                group: self.group,
                flags: self.flags,
                max_mtu: self.max_mtu,
            },
            attrs,
        )
    }
}

/// What a tunnel device has besides its tunnel attributes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LinkState {
    pub(crate) mtu: u32,
    pub(crate) up: bool,
    pub(crate) group: u32,
    pub(crate) flags: u32,
    pub(crate) max_mtu: Option<u32>,
}

/// A tunnel to make: `rfou tunnel add NAME mode MODE ...`, or a `[[tunnel]]` of a desired
/// state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSpec {
    /// The device name (1 to 15 bytes).
    pub name: String,
    /// The kind of tunnel.
    pub kind: TunnelKind,
    /// Its settings; those not given get their defaults ([`TunnelSettings::defaults`]).
    pub settings: TunnelSettings,
}

impl TunnelSpec {
    /// The tunnel's mode: its kind, and the inner protocol its settings give.
    pub fn mode(&self) -> TunnelMode {
        TunnelMode {
            kind: self.kind,
            proto: self.settings.proto,
        }
    }
}

impl TunnelSpec {
    /// The tunnel attributes this spec makes, whole (every setting not given at its
    /// default), with `link` the index of its underlay device: what `tunnel add` sends.
    pub(crate) fn attrs(&self, link: Option<u32>) -> crate::Result<TunnelAttrs> {
        let mut attrs = TunnelAttrs::empty(self.kind);
        self.settings
            .whole(self.kind)
            .write(&mut attrs, Some(link.unwrap_or(0)), true);
        self.settings
            .encap
            .unwrap_or_else(super::EncapSpec::none)
            .resolve(self.kind, &Encap::none())?
            .write(&mut attrs);
        Ok(attrs)
    }

    /// The tunnel this spec makes, as the kernel reports it once made (every setting not
    /// given at its default), with index `ifindex`, MTU `mtu` and underlay device `link`:
    /// what a plan expects to read back.
    pub fn as_reported(&self, ifindex: u32, mtu: u32, link: Option<u32>) -> Tunnel {
        let attrs = self.attrs(link).unwrap_or_else(|_| {
            // An encapsulation that does not resolve: the rest, as given.
            let mut attrs = TunnelAttrs::empty(self.kind);
            self.settings
                .whole(self.kind)
                .write(&mut attrs, Some(link.unwrap_or(0)), true);
            attrs
        });
        let remote = self.settings.remote.filter(|a| !a.is_unspecified());
        let state = LinkState {
            mtu,
            up: self.settings.up == Some(true),
            group: 0,
            flags: super::rules::remote_class(self.kind, remote),
            max_mtu: None,
        };
        Tunnel::new(self.name.clone(), ifindex, self.kind, state, attrs)
    }
}
