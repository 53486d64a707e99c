//! ethtool's generic-netlink family (`ethtool`, in every kernel since 5.6): the requests the
//! NIC reader sends (features, channels, RSS; the feature names in [`super::strset`]) and the
//! reading of their replies. Nothing here changes the device: these are "get" requests, which
//! need no privilege and load no module.

use netlink_packet_core::{Emitable, NLM_F_ACK};
use netlink_packet_generic::constants::GENL_HDRLEN;
use netlink_packet_generic::{GenlFamily, GenlMessage};

use super::bitset::{string_value, u32_value, Bitset};
use crate::sys::attrs::{attrs, push_attr, push_nest};
use crate::sys::encode::encode_into;
use crate::sys::NlError;

pub(crate) const FAMILY_NAME: &str = "ethtool";
const FAMILY_VERSION: u8 = 1;

// Requests (ETHTOOL_MSG_*) and the kernel's replies (ETHTOOL_MSG_*_REPLY).
pub(super) const FEATURES_GET: u8 = 11;
pub(super) const FEATURES_GET_REPLY: u8 = 11;
pub(super) const CHANNELS_GET: u8 = 17;
pub(super) const CHANNELS_GET_REPLY: u8 = 18;
/// Not in 6.1, which answers EOPNOTSUPP to it; the flow-hash fields are in its reply on 7.2,
/// not on 6.12 (docs/doctor-devices.md).
pub(super) const RSS_GET: u8 = 38;
pub(super) const RSS_GET_REPLY: u8 = 38;

// The header nest each request and reply opens with (ETHTOOL_A_HEADER_*).
pub(super) const HEADER_DEV_INDEX: u16 = 1;
pub(super) const HEADER_DEV_NAME: u16 = 2;
const HEADER_FLAGS: u16 = 3;
const FLAG_COMPACT_BITSETS: u32 = 1;
/// Every request's and reply's header nest is its attribute 1 (ETHTOOL_A_*_HEADER).
pub(super) const A_HEADER: u16 = 1;

// ETHTOOL_A_FEATURES_*: the bitsets of a features reply.
pub(super) const FEATURES_HW: u16 = 2;
pub(super) const FEATURES_ACTIVE: u16 = 4;
pub(super) const FEATURES_NOCHANGE: u16 = 5;

// ETHTOOL_A_RSS_FLOW_HASH and the flow types nested in it (ETHTOOL_A_FLOW_*).
pub(super) const RSS_FLOW_HASH: u16 = 8;
pub(super) const FLOW_UDP4: u16 = 6;
pub(super) const FLOW_UDP6: u16 = 7;

/// A request of the ethtool family: a command and its attributes, already laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    cmd: u8,
    attrs: Vec<u8>,
}

impl GenlFamily for Request {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }

    fn command(&self) -> u8 {
        self.cmd
    }

    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for Request {
    fn buffer_len(&self) -> usize {
        self.attrs.len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        buffer[..self.attrs.len()].copy_from_slice(&self.attrs);
    }
}

/// Appends the request header naming device `dev`; compact bitsets asked for when `compact`.
pub(super) fn push_header(out: &mut Vec<u8>, dev: &str, compact: bool) {
    push_nest(out, A_HEADER, |header| {
        let mut name = dev.as_bytes().to_vec();
        name.push(0);
        push_attr(header, HEADER_DEV_NAME, &name);
        if compact {
            push_attr(header, HEADER_FLAGS, &FLAG_COMPACT_BITSETS.to_ne_bytes());
        }
    });
}

/// The bytes of request `cmd` with attributes `attrs` to family `family` (asking for an ack;
/// sequence number 0, which the socket sets).
pub(super) fn encoded(family: u16, cmd: u8, attrs: Vec<u8>) -> Vec<u8> {
    let mut message = GenlMessage::from_payload(Request { cmd, attrs });
    message.set_resolved_family_id(family);
    let mut out = Vec::new();
    encode_into(message, NLM_F_ACK, 0, &mut out);
    out
}

/// A request that names `dev` in its header and says nothing more.
fn about(family: u16, cmd: u8, dev: &str, compact: bool) -> Vec<u8> {
    let mut attrs = Vec::new();
    push_header(&mut attrs, dev, compact);
    encoded(family, cmd, attrs)
}

/// `ETHTOOL_MSG_FEATURES_GET` for `dev`.
pub(crate) fn features_request(family: u16, dev: &str, compact: bool) -> Vec<u8> {
    about(family, FEATURES_GET, dev, compact)
}

/// `ETHTOOL_MSG_CHANNELS_GET` for `dev`.
pub(crate) fn channels_request(family: u16, dev: &str) -> Vec<u8> {
    about(family, CHANNELS_GET, dev, false)
}

/// `ETHTOOL_MSG_RSS_GET` for `dev` (its default context).
pub(crate) fn rss_request(family: u16, dev: &str) -> Vec<u8> {
    about(family, RSS_GET, dev, false)
}

/// The device a reply's header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplyDevice {
    pub index: u32,
    pub name: String,
}

/// The attributes of the one reply of a "do" request whose reply command is `cmd`, after
/// its header, which must name `dev`.
pub(super) fn reply_attrs<'a>(
    replies: &'a [Vec<u8>],
    cmd: u8,
    dev: &str,
) -> Result<(ReplyDevice, &'a [u8]), NlError> {
    let [payload] = replies else {
        return Err(NlError::decode(format!("{} replies, not 1", replies.len())));
    };
    if payload.len() < GENL_HDRLEN {
        let len = payload.len();
        return Err(NlError::decode(format!(
            "a reply of {len} bytes, shorter than its header"
        )));
    }
    let (got, body) = (payload[0], &payload[GENL_HDRLEN..]);
    if got != cmd {
        return Err(NlError::decode(format!("reply command {got}, not {cmd}")));
    }
    let mut device = None;
    for attr in attrs(body) {
        let (kind, v) = attr.map_err(NlError::decode)?;
        if kind == A_HEADER {
            device = Some(reply_device(v)?);
        }
    }
    let device = device.ok_or_else(|| NlError::decode("a reply without its header"))?;
    if device.name != dev {
        return Err(NlError::decode(format!(
            "a reply about {}, not {dev}",
            device.name
        )));
    }
    Ok((device, body))
}

fn reply_device(nest: &[u8]) -> Result<ReplyDevice, NlError> {
    let (mut index, mut name) = (None, None);
    for attr in attrs(nest) {
        let (kind, v) = attr.map_err(|e| NlError::decode(format!("reply header: {e}")))?;
        match kind {
            HEADER_DEV_INDEX => index = Some(u32_value(v, "device index")?),
            HEADER_DEV_NAME => name = Some(string_value(v, "device name")?),
            _ => {}
        }
    }
    match (index, name) {
        (Some(index), Some(name)) => Ok(ReplyDevice { index, name }),
        _ => Err(NlError::decode(
            "a reply header without the device's index and name",
        )),
    }
}

/// The bitsets of a features reply the reader needs: the features the driver lets a user
/// change (`HW`), those active now, and those that never change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeatureSets {
    pub hw: Bitset,
    pub active: Bitset,
    pub nochange: Option<Bitset>,
}

/// The feature bitsets of a features reply.
pub(crate) fn feature_sets(
    replies: &[Vec<u8>],
    dev: &str,
) -> Result<(ReplyDevice, FeatureSets), NlError> {
    let (device, body) = reply_attrs(replies, FEATURES_GET_REPLY, dev)?;
    let (mut hw, mut active, mut nochange) = (None, None, None);
    for attr in attrs(body) {
        let (kind, v) = attr.map_err(NlError::decode)?;
        match kind {
            FEATURES_HW => hw = Some(Bitset::decode(v)?),
            FEATURES_ACTIVE => active = Some(Bitset::decode(v)?),
            FEATURES_NOCHANGE => nochange = Some(Bitset::decode(v)?),
            _ => {}
        }
    }
    match (hw, active) {
        (Some(hw), Some(active)) => Ok((
            device,
            FeatureSets {
                hw,
                active,
                nochange,
            },
        )),
        _ => Err(NlError::decode(
            "a features reply without the changeable and active features",
        )),
    }
}

/// The channel counts of a channels reply (`ETHTOOL_A_CHANNELS_*`, attributes 2 to 9 in
/// the order of [`super::Channels`]'s fields).
pub(crate) fn channels(replies: &[Vec<u8>], dev: &str) -> Result<[Option<u32>; 8], NlError> {
    let (_, body) = reply_attrs(replies, CHANNELS_GET_REPLY, dev)?;
    let mut counts = [None; 8];
    for attr in attrs(body) {
        let (kind, v) = attr.map_err(NlError::decode)?;
        if let 2..=9 = kind {
            counts[kind as usize - 2] = Some(u32_value(v, "channel count")?);
        }
    }
    Ok(counts)
}

/// The hashed fields (`RXH_*`) of UDP over IPv4 and over IPv6, each where the kernel gave it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UdpFlowHash {
    pub udp4: Option<u64>,
    pub udp6: Option<u64>,
}

/// The UDP flow hashes of an RSS reply; `None` when it has no flow-hash nest (kernels before
/// 6.17, or a driver that does not say).
pub(crate) fn udp_flow_hash(
    replies: &[Vec<u8>],
    dev: &str,
) -> Result<Option<UdpFlowHash>, NlError> {
    let (_, body) = reply_attrs(replies, RSS_GET_REPLY, dev)?;
    for attr in attrs(body) {
        let (kind, v) = attr.map_err(NlError::decode)?;
        if kind != RSS_FLOW_HASH {
            continue;
        }
        let mut hash = UdpFlowHash::default();
        for attr in attrs(v) {
            let (kind, v) = attr.map_err(|e| NlError::decode(format!("flow hash: {e}")))?;
            // NLA_UINT: 4 bytes, or 8 when the value needs them.
            let fields = match *v {
                [a, b, c, d] => u32::from_ne_bytes([a, b, c, d]) as u64,
                [a, b, c, d, e, f, g, h] => u64::from_ne_bytes([a, b, c, d, e, f, g, h]),
                _ => {
                    return Err(NlError::decode(format!(
                        "flow hash {kind}: {} bytes",
                        v.len()
                    )))
                }
            };
            match kind {
                FLOW_UDP4 => hash.udp4 = Some(fields),
                FLOW_UDP6 => hash.udp6 = Some(fields),
                _ => {}
            }
        }
        return Ok(Some(hash));
    }
    Ok(None)
}

#[cfg(test)]
#[path = "ethtool_tests.rs"]
pub(crate) mod tests;
