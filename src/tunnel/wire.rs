//! Tunnels over rtnetlink: the link requests that make, change and delete them, and the
//! tunnel a link reply describes.

use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

use super::attrs::TunnelAttrs;
use super::model::LinkState;
use super::{Tunnel, TunnelKind};
use crate::error::{Error, Result};
use crate::links::{link_group, link_kind, link_max_mtu, link_mtu, link_name};

fn link_message(
    index: u32,
    name: Option<&str>,
    kind: TunnelKind,
    attrs: TunnelAttrs,
) -> LinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    if let Some(name) = name {
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
    }
    message.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(kind.info_kind()),
        LinkInfo::Data(attrs.into_info(kind)),
    ]));
    message
}

/// What a new tunnel device gets besides its tunnel attributes: an MTU, a group, and up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NewLink {
    pub(crate) mtu: Option<u32>,
    pub(crate) group: Option<u32>,
    pub(crate) up: bool,
}

/// RTM_NEWLINK that creates a tunnel (sent exclusive: an existing name is an error).
pub(crate) fn new_link_request(
    name: &str,
    kind: TunnelKind,
    attrs: TunnelAttrs,
    link: NewLink,
) -> RouteNetlinkMessage {
    let mut message = link_message(0, Some(name), kind, attrs);
    if let Some(mtu) = link.mtu {
        message.attributes.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(group) = link.group {
        message.attributes.push(LinkAttribute::Group(group));
    }
    if link.up {
        message.header.flags = LinkFlags::Up;
        message.header.change_mask = LinkFlags::Up;
    }
    RouteNetlinkMessage::NewLink(message)
}

/// RTM_NEWLINK that changes the tunnel at `index`; `attrs` must be all of its attributes
/// (the kernel rebuilds the tunnel from them).
pub(crate) fn change_link_request(
    index: u32,
    kind: TunnelKind,
    attrs: TunnelAttrs,
    mtu: Option<u32>,
) -> RouteNetlinkMessage {
    let mut message = link_message(index, None, kind, attrs);
    if let Some(mtu) = mtu {
        message.attributes.push(LinkAttribute::Mtu(mtu));
    }
    RouteNetlinkMessage::NewLink(message)
}

/// RTM_NEWLINK that sets device `index` up or down.
pub(crate) fn set_up_request(index: u32, up: bool) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    message.header.change_mask = LinkFlags::Up;
    if up {
        message.header.flags = LinkFlags::Up;
    }
    RouteNetlinkMessage::NewLink(message)
}

/// RTM_DELLINK of device `index`.
pub(crate) fn del_link_request(index: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    RouteNetlinkMessage::DelLink(message)
}

/// RTM_NEWLINK that moves device `index` to device group `group`.
pub(crate) fn set_group_request(index: u32, group: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    message.attributes.push(LinkAttribute::Group(group));
    RouteNetlinkMessage::NewLink(message)
}

/// RTM_DELLINK of every device in group `group`: the kernel deletes them in one step.
pub(crate) fn del_group_request(group: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.attributes.push(LinkAttribute::Group(group));
    RouteNetlinkMessage::DelLink(message)
}

/// The tunnel a link message describes, or `None` for any other kind of device.
pub(crate) fn tunnel_of(message: &LinkMessage) -> Option<Tunnel> {
    let infos = message.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => Some(infos),
        _ => None,
    })?;
    let kind = infos.iter().find_map(|i| match i {
        LinkInfo::Kind(k) => TunnelKind::from_info_kind(k),
        _ => None,
    })?;
    let attrs = infos
        .iter()
        .find_map(|i| match i {
            LinkInfo::Data(d) => TunnelAttrs::from_info(d),
            _ => None,
        })
        .unwrap_or_else(|| TunnelAttrs::empty(kind));
    let link = LinkState {
        mtu: link_mtu(message).unwrap_or(0),
        up: message.header.flags.contains(LinkFlags::Up),
        group: link_group(message).unwrap_or(0),
        flags: message.header.flags.bits(),
        max_mtu: link_max_mtu(message),
    };
    Some(Tunnel::new(
        link_name(message)?.to_string(),
        message.header.index,
        kind,
        link,
        attrs,
    ))
}

/// The tunnel device `message` (named `name`) is; an error naming its kind when it is none.
pub(crate) fn tunnel_named(name: &str, message: &LinkMessage) -> Result<Tunnel> {
    tunnel_of(message).ok_or_else(|| {
        let kind = link_kind(message).unwrap_or_else(|| "device without a kind".into());
        Error::invalid(format!(
            "device \"{name}\" is a {kind}, not a tunnel: rfou works on {} devices",
            TunnelKind::ALL.map(|k| k.name()).join(", ")
        ))
    })
}

/// [`tunnel_of`] of a netlink message's bytes as the kernel sends them, read as every link
/// reply is read ([`parse_link`](crate::links::parse_link)), for the fuzz targets and
/// property tests (built only for them): `None` for any message that is no `RTM_NEWLINK` or
/// cannot be read.
#[cfg(any(test, fuzzing))]
pub fn decode_link(bytes: &[u8]) -> Option<Tunnel> {
    const RTM_NEWLINK: u16 = 16;
    let message = netlink_packet_core::NetlinkBuffer::new_checked(bytes).ok()?;
    if message.message_type() != RTM_NEWLINK {
        return None;
    }
    tunnel_of(&crate::links::parse_link(message.payload()).ok()?)
}
