//! Network devices over rtnetlink: reading one by name or index, or all of them, without
//! their counters.

use netlink_packet_core::{NlasIterator, ParseableParametrized, NLM_F_REQUEST};
use netlink_packet_route::link::{
    LinkAttribute, LinkExtentMask, LinkHeader, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::devices::{Device, Devices};
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::sys::NlError;
use crate::values;

/// A `RTM_GETLINK` of `message` that asks the kernel to leave the device's counters out
/// (`RTEXT_FILTER_SKIP_STATS`; older kernels ignore it): rfou reads none of them, and they
/// (IPv6's above all) are a large part of a reply's bytes and of the kernel's work to fill it.
pub(crate) fn get_link(mut message: LinkMessage) -> RouteNetlinkMessage {
    message
        .attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    RouteNetlinkMessage::GetLink(message)
}

/// `RTM_GETLINK` of the device called `name`.
pub(crate) fn get_link_by_name(name: &str) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::IfName(name.to_string()));
    get_link(message)
}

/// `RTM_GETLINK` of the device of index `index`.
pub(crate) fn get_link_by_index(index: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    get_link(message)
}

/// `RTM_GETLINK` of every device: sent with `NLM_F_DUMP`.
pub(crate) fn get_links() -> RouteNetlinkMessage {
    get_link(LinkMessage::default())
}

/// The length of `struct ifinfomsg`, the header before a link message's attributes.
const IFINFOMSG_LEN: usize = 16;

/// The link attributes rfou reads (`include/uapi/linux/if_link.h`).
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINKINFO: u16 = 18;
const IFLA_GROUP: u16 = 27;
const IFLA_MAX_MTU: u16 = 51;

/// The attributes of a link that rfou reads: the functions below read no other.
const ATTRIBUTES_READ: [u16; 5] = [
    IFLA_IFNAME,
    IFLA_MTU,
    IFLA_LINKINFO,
    IFLA_GROUP,
    IFLA_MAX_MTU,
];

/// A link message of the kernel (its bytes after the netlink header), with only the
/// attributes rfou reads ([`ATTRIBUTES_READ`]) decoded: the others (a device's IPv6
/// settings alone are more than a hundred values) are skipped, not decoded and dropped.
pub(crate) fn parse_link(body: &[u8]) -> std::result::Result<LinkMessage, NlError> {
    let header = LinkHeader::parse(body).map_err(NlError::decode)?;
    let mut message = LinkMessage::default();
    for attribute in NlasIterator::new(&body[IFINFOMSG_LEN..]) {
        let attribute = attribute.map_err(NlError::decode)?;
        if ATTRIBUTES_READ.contains(&attribute.kind()) {
            message.attributes.push(
                LinkAttribute::parse_with_param(&attribute, header.interface_family)
                    .map_err(NlError::decode)?,
            );
        }
    }
    message.header = header;
    Ok(message)
}

/// The name of the device `message` describes.
pub(crate) fn link_name(message: &LinkMessage) -> Option<&str> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.as_str()),
        _ => None,
    })
}

/// The MTU of the device `message` describes.
pub(crate) fn link_mtu(message: &LinkMessage) -> Option<u32> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::Mtu(m) => Some(*m),
        _ => None,
    })
}

/// The largest MTU the kernel takes for the device `message` describes, where it holds
/// one (0 is none: the device's own code judges each MTU).
pub(crate) fn link_max_mtu(message: &LinkMessage) -> Option<u32> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::MaxMtu(m) if *m > 0 => Some(*m),
        _ => None,
    })
}

/// The device group of the device `message` describes.
pub(crate) fn link_group(message: &LinkMessage) -> Option<u32> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::Group(g) => Some(*g),
        _ => None,
    })
}

/// The kind (`IFLA_INFO_KIND`) of the device `message` describes, if it has one.
pub(crate) fn link_kind(message: &LinkMessage) -> Option<String> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(k) => Some(k.to_string()),
            _ => None,
        }),
        _ => None,
    })
}

/// The device `message` describes, if it has a name.
pub(crate) fn device_of(message: &LinkMessage) -> Option<Device> {
    Some(Device {
        index: message.header.index,
        name: link_name(message)?.to_string(),
        kind: link_kind(message),
        flags: message.header.flags.bits(),
    })
}

impl Handle {
    /// The link called `name`, or an error that says it does not exist here.
    pub(crate) fn link(&mut self, name: &str) -> Result<LinkMessage> {
        self.links_named(&[name])
            .pop()
            .expect("one result per name")
    }

    /// The links called `names`, one result per name as [`Handle::link`] gives it, read
    /// with many requests per `sendmsg` (a batch reads what it will change this way, not a
    /// round trip per line).
    pub(crate) fn links_named(&mut self, names: &[&str]) -> Vec<Result<LinkMessage>> {
        let checked: Vec<Result<()>> = names
            .iter()
            .map(|name| values::device_name(name, "device"))
            .collect();
        let requests = names
            .iter()
            .zip(&checked)
            .filter(|(_, c)| c.is_ok())
            .map(|(name, _)| get_link_by_name(name));
        let mut replies = self
            .route
            .request_many_replies(requests, NLM_F_REQUEST, parse_link)
            .into_iter();
        names
            .iter()
            .zip(checked)
            .map(|(name, checked)| {
                checked?;
                let reply = replies.next().unwrap_or(Ok(None));
                self.link_read(name, reply)
            })
            .collect()
    }

    /// What a read of device `name` gave, as an error that says it does not exist here
    /// where it does not.
    fn link_read(
        &self,
        name: &str,
        reply: std::result::Result<Option<LinkMessage>, NlError>,
    ) -> Result<LinkMessage> {
        match reply {
            Ok(Some(message)) => Ok(message),
            Ok(None) => Err(Error::system(format!("no reply for device \"{name}\""))),
            Err(err) if err.errno == libc::ENODEV => {
                Err(values::no_such_device(name, &self.place()))
            }
            Err(err) => Err(self.refusal(err, &format!("cannot read device \"{name}\""))),
        }
    }

    /// The link of index `index`, if there is one.
    pub(crate) fn link_by_index(&mut self, index: u32) -> Option<LinkMessage> {
        self.links_by_index(&[index]).pop().flatten()
    }

    /// [`Handle::link_by_index`] of each of `indexes`, many requests per `sendmsg`.
    pub(crate) fn links_by_index(&mut self, indexes: &[u32]) -> Vec<Option<LinkMessage>> {
        let requests = indexes.iter().map(|&index| get_link_by_index(index));
        self.route
            .request_many_replies(requests, NLM_F_REQUEST, parse_link)
            .into_iter()
            .map(|reply| reply.ok().flatten())
            .collect()
    }

    /// Every link of the namespace.
    pub(crate) fn links(&mut self) -> Result<Vec<LinkMessage>> {
        let replies = self
            .route
            .dump_with(get_links(), parse_link)
            .map_err(|err| self.refusal(err, "cannot list devices"))?;
        Ok(replies.into_iter().map(|(_, message)| message).collect())
    }

    /// Every network device of the namespace, by index and name.
    pub fn devices(&mut self) -> Result<Devices> {
        Ok(Devices::new(
            self.links()?.iter().filter_map(device_of).collect(),
        ))
    }

    /// The index of device `name`.
    pub fn ifindex(&mut self, name: &str) -> Result<u32> {
        Ok(self.link(name)?.header.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::Emitable;

    /// A read of a device by name: an empty ifinfomsg, IFLA_IFNAME, and IFLA_EXT_MASK (29)
    /// with RTEXT_FILTER_SKIP_STATS (8), in host order.
    #[test]
    fn a_device_is_read_by_name_without_its_counters() {
        let RouteNetlinkMessage::GetLink(message) = get_link_by_name("t0") else {
            panic!("not a GETLINK");
        };
        let mut bytes = vec![0; message.buffer_len()];
        message.emit(&mut bytes);
        let mut expected = vec![0u8; 16];
        expected.extend_from_slice(&[7, 0, 3, 0, b't', b'0', 0, 0]);
        expected.extend_from_slice(&[8, 0, 29, 0]);
        expected.extend_from_slice(&8u32.to_ne_bytes());
        assert_eq!(bytes, expected);
    }

    /// The bytes of `attributes`, as the kernel lays them out.
    fn emitted(attributes: &[LinkAttribute]) -> Vec<u8> {
        let mut bytes = vec![0; attributes.buffer_len()];
        attributes.emit(&mut bytes);
        bytes
    }

    /// A reply read with only the attributes rfou reads, in the kernel's order, whatever
    /// comes between them: here counters, a queue length and IPv6 settings cut short.
    #[test]
    fn a_link_reply_is_read_for_the_attributes_rfou_reads() {
        use netlink_packet_route::link::{InfoKind, LinkFlags};
        let mut expected = LinkMessage::default();
        expected.header.index = 7;
        expected.header.flags = LinkFlags::Up | LinkFlags::Pointopoint;
        expected.attributes = vec![
            LinkAttribute::IfName("t0".into()),
            LinkAttribute::Mtu(1480),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::IpIp)]),
            LinkAttribute::Group(3),
            LinkAttribute::MaxMtu(65523),
        ];
        let mut header = vec![0; 16];
        expected.header.emit(&mut header);
        let other = |kind: u16, value: &[u8]| {
            let mut bytes = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
            bytes.extend_from_slice(&kind.to_ne_bytes());
            bytes.extend_from_slice(value);
            bytes.resize(bytes.len().next_multiple_of(4), 0);
            bytes
        };
        let reply = [
            header,
            emitted(&expected.attributes[..2]),
            other(23, &[0; 16]),                    // IFLA_STATS64, short
            other(13, &1000u32.to_ne_bytes()),      // IFLA_TXQLEN
            other(26, &[12, 0, 10, 0, 8, 0, 1, 0]), // IFLA_AF_SPEC: AF_INET6, cut short
            emitted(&expected.attributes[2..]),
        ]
        .concat();
        let read = parse_link(&reply).unwrap();
        assert_eq!(read, expected);
        assert_eq!(link_max_mtu(&read), Some(65523));
        // A largest MTU of 0 is none.
        let mut none = LinkMessage::default();
        none.attributes = vec![LinkAttribute::MaxMtu(0)];
        assert_eq!(link_max_mtu(&none), None);
        // A reply shorter than its header is an error, not a panic.
        assert!(parse_link(&reply[..15]).is_err());
    }
}
