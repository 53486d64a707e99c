//! FOU and GUE receive ports: the generic-netlink family `fou`.
//!
//! [`FouPort`] is a port as the kernel keeps it; [`FouMessage`] is its wire form, a
//! [`GenlFamily`] whose attributes follow `include/uapi/linux/fou.h`: ports are big-endian,
//! the interface index is a full 32 bits.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{
    DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, NlasIterator, Parseable,
    ParseableParametrized, NLA_HEADER_SIZE,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};
use rfou_uapi::fou as uapi;

/// The address family of a receive port's UDP socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl Family {
    /// The address family number (`AF_INET`, `AF_INET6`) as `FOU_ATTR_AF` carries it.
    pub fn af(self) -> u8 {
        match self {
            Family::Inet => libc::AF_INET as u8,
            Family::Inet6 => libc::AF_INET6 as u8,
        }
    }

    /// The name `ip -j fou show` uses: `inet` or `inet6`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }

    /// The family of `addr`.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }
}

/// What a receive port hands the packets it receives to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FouEncap {
    /// Direct FOU: the UDP payload is a packet of this IP protocol (4 IPIP, 41 IPv6, 47 GRE).
    Direct {
        /// The IP protocol number (1..255).
        ipproto: u8,
    },
    /// GUE: the protocol is read from each packet's GUE header.
    Gue,
}

/// One FOU/GUE receive port.
///
/// ```
/// use rfou::{FouPort, Family};
/// let port = FouPort::direct(5555, 4).with_local("10.0.0.1".parse().unwrap());
/// assert_eq!(port.family, Family::Inet);
/// assert_eq!(port.to_string(), "port 5555 ipproto 4 local 10.0.0.1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FouPort {
    /// The UDP port number the kernel listens on (1..65535).
    pub port: u16,
    /// The family of the port's socket: IPv4 or IPv6.
    pub family: Family,
    /// What the port hands its packets to.
    pub encap: FouEncap,
    /// The local address the socket is bound to (`local`), if any.
    pub local: Option<IpAddr>,
    /// The peer address the socket is connected to (`peer`), if any; needs `peer_port`.
    pub peer: Option<IpAddr>,
    /// The peer's UDP port (`peer_port`), with `peer`.
    pub peer_port: Option<u16>,
    /// The device the socket is bound to (`dev`), by index.
    pub ifindex: Option<i32>,
    /// Remote checksum offload without partial checksums (`remcsum_nopartial`).
    pub remcsum_nopartial: bool,
}

impl FouPort {
    /// A direct FOU port on IPv4 carrying `ipproto` (1..255: [`crate::Handle::fou_add`]
    /// refuses 0 with [`crate::ErrorKind::InvalidInput`], as newer kernels do).
    pub fn direct(port: u16, ipproto: u8) -> Self {
        Self::new(port, FouEncap::Direct { ipproto })
    }

    /// A GUE port on IPv4.
    pub fn gue(port: u16) -> Self {
        Self::new(port, FouEncap::Gue)
    }

    fn new(port: u16, encap: FouEncap) -> Self {
        FouPort {
            port,
            family: Family::Inet,
            encap,
            local: None,
            peer: None,
            peer_port: None,
            ifindex: None,
            remcsum_nopartial: false,
        }
    }

    /// The same port on IPv6 (for a port without addresses, which say the family).
    pub fn ipv6(mut self) -> Self {
        self.family = Family::Inet6;
        self
    }

    /// Binds the port to a local address; the family follows the address.
    pub fn with_local(mut self, addr: IpAddr) -> Self {
        self.family = Family::of(&addr);
        self.local = Some(addr);
        self
    }

    /// Connects the port to a peer; the family follows the address.
    pub fn with_peer(mut self, addr: IpAddr, peer_port: Option<u16>) -> Self {
        self.family = Family::of(&addr);
        self.peer = Some(addr);
        self.peer_port = peer_port;
        self
    }

    /// What tells this port apart from another of the same number: the kernel matches
    /// deletes and gets on all of it.
    pub fn same_socket(&self, other: &FouPort) -> bool {
        self.port == other.port
            && self.family == other.family
            && self.local == other.local
            && self.peer == other.peer
            && self.peer_port == other.peer_port
            && self.ifindex == other.ifindex
    }

    /// The words that say this port on the command line, in the order of the grammar:
    /// `port 5555 ipproto 4 local 10.0.0.1 dev eth0 remcsum_nopartial`, and `-6` where no
    /// address says the family. With `carries` the words of `add` (what the port carries,
    /// `remcsum_nopartial`), without them those of `del`. The port keeps its device by index:
    /// `dev` is the name to say for it. Every text of a port is made of these words.
    pub(crate) fn words(&self, carries: bool, dev: Option<&str>) -> Vec<String> {
        let mut words = vec!["port".to_string(), self.port.to_string()];
        if carries {
            words.extend(self.carries_words());
        }
        words.extend(self.binding_words(dev));
        if carries && self.remcsum_nopartial {
            words.push("remcsum_nopartial".to_string());
        }
        if self.family == Family::Inet6 && self.local.is_none() && self.peer.is_none() {
            words.push("-6".to_string());
        }
        words
    }

    /// What the port carries, as `add` says it: `ipproto 4`, or `gue`.
    pub(crate) fn carries_words(&self) -> Vec<String> {
        match self.encap {
            FouEncap::Direct { ipproto } => vec!["ipproto".to_string(), ipproto.to_string()],
            FouEncap::Gue => vec!["gue".to_string()],
        }
    }

    /// What binds the port's socket: `local A peer B peer_port P dev D`, each where set, the
    /// device as `dev` names it.
    pub(crate) fn binding_words(&self, dev: Option<&str>) -> Vec<String> {
        let mut words = Vec::new();
        let mut pair = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                words.extend([key.to_string(), value]);
            }
        };
        pair("local", self.local.map(|a| a.to_string()));
        pair("peer", self.peer.map(|a| a.to_string()));
        pair("peer_port", self.peer_port.map(|p| p.to_string()));
        pair("dev", dev.map(str::to_string));
        words
    }

    /// `port 5555 (inet) local 10.0.0.1 dev eth0`: the port and what binds it, for messages.
    pub(crate) fn describe(&self, dev: Option<&str>) -> String {
        let mut text = format!("port {} ({})", self.port, self.family.name());
        for word in self.binding_words(dev) {
            text.push(' ');
            text.push_str(&word);
        }
        text
    }
}

impl std::fmt::Display for FouPort {
    /// The port in the words of `rfou add` (a device shows as `#INDEX`: names need a lookup).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dev = self.ifindex.map(|index| format!("#{index}"));
        f.write_str(&self.words(true, dev.as_deref()).join(" "))
    }
}

/// One attribute of the fou family. The wire form: not part of the API (see the crate
/// docs, Stability).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FouAttr {
    Port(u16),
    Af(u8),
    IpProto(u8),
    Type(u8),
    RemcsumNopartial,
    LocalV4(Ipv4Addr),
    LocalV6(Ipv6Addr),
    PeerV4(Ipv4Addr),
    PeerV6(Ipv6Addr),
    PeerPort(u16),
    Ifindex(i32),
    Other(DefaultNla),
}

impl Nla for FouAttr {
    fn value_len(&self) -> usize {
        match self {
            FouAttr::Af(_) | FouAttr::IpProto(_) | FouAttr::Type(_) => 1,
            FouAttr::Port(_) | FouAttr::PeerPort(_) => 2,
            FouAttr::LocalV4(_) | FouAttr::PeerV4(_) | FouAttr::Ifindex(_) => 4,
            FouAttr::LocalV6(_) | FouAttr::PeerV6(_) => 16,
            FouAttr::RemcsumNopartial => 0,
            FouAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            FouAttr::Port(_) => uapi::FOU_ATTR_PORT,
            FouAttr::Af(_) => uapi::FOU_ATTR_AF,
            FouAttr::IpProto(_) => uapi::FOU_ATTR_IPPROTO,
            FouAttr::Type(_) => uapi::FOU_ATTR_TYPE,
            FouAttr::RemcsumNopartial => uapi::FOU_ATTR_REMCSUM_NOPARTIAL,
            FouAttr::LocalV4(_) => uapi::FOU_ATTR_LOCAL_V4,
            FouAttr::LocalV6(_) => uapi::FOU_ATTR_LOCAL_V6,
            FouAttr::PeerV4(_) => uapi::FOU_ATTR_PEER_V4,
            FouAttr::PeerV6(_) => uapi::FOU_ATTR_PEER_V6,
            FouAttr::PeerPort(_) => uapi::FOU_ATTR_PEER_PORT,
            FouAttr::Ifindex(_) => uapi::FOU_ATTR_IFINDEX,
            FouAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            FouAttr::Af(v) | FouAttr::IpProto(v) | FouAttr::Type(v) => buf[0] = *v,
            // Ports travel in network byte order.
            FouAttr::Port(p) | FouAttr::PeerPort(p) => buf[..2].copy_from_slice(&p.to_be_bytes()),
            FouAttr::LocalV4(a) | FouAttr::PeerV4(a) => buf[..4].copy_from_slice(&a.octets()),
            FouAttr::LocalV6(a) | FouAttr::PeerV6(a) => buf[..16].copy_from_slice(&a.octets()),
            FouAttr::Ifindex(i) => buf[..4].copy_from_slice(&i.to_ne_bytes()),
            FouAttr::RemcsumNopartial => {}
            FouAttr::Other(nla) => nla.emit_value(buf),
        }
    }
}

fn fixed<const N: usize>(value: &[u8], what: &str) -> Result<[u8; N], DecodeError> {
    value
        .get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            DecodeError::from(format!("{what}: expected {N} bytes, got {}", value.len()))
        })
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for FouAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        match known_attr(buf.kind(), buf.value())? {
            Some(attr) => Ok(attr),
            None => Ok(FouAttr::Other(DefaultNla::parse(buf)?)),
        }
    }
}

/// The attribute of type `kind` (flag bits masked off) holding `v`, if this version knows
/// that type.
fn known_attr(kind: u16, v: &[u8]) -> Result<Option<FouAttr>, DecodeError> {
    Ok(Some(match kind {
        uapi::FOU_ATTR_PORT => FouAttr::Port(u16::from_be_bytes(fixed(v, "FOU_ATTR_PORT")?)),
        uapi::FOU_ATTR_AF => FouAttr::Af(fixed::<1>(v, "FOU_ATTR_AF")?[0]),
        uapi::FOU_ATTR_IPPROTO => FouAttr::IpProto(fixed::<1>(v, "FOU_ATTR_IPPROTO")?[0]),
        uapi::FOU_ATTR_TYPE => FouAttr::Type(fixed::<1>(v, "FOU_ATTR_TYPE")?[0]),
        uapi::FOU_ATTR_REMCSUM_NOPARTIAL => FouAttr::RemcsumNopartial,
        uapi::FOU_ATTR_LOCAL_V4 => FouAttr::LocalV4(fixed::<4>(v, "FOU_ATTR_LOCAL_V4")?.into()),
        uapi::FOU_ATTR_LOCAL_V6 => FouAttr::LocalV6(fixed::<16>(v, "FOU_ATTR_LOCAL_V6")?.into()),
        uapi::FOU_ATTR_PEER_V4 => FouAttr::PeerV4(fixed::<4>(v, "FOU_ATTR_PEER_V4")?.into()),
        uapi::FOU_ATTR_PEER_V6 => FouAttr::PeerV6(fixed::<16>(v, "FOU_ATTR_PEER_V6")?.into()),
        uapi::FOU_ATTR_PEER_PORT => {
            FouAttr::PeerPort(u16::from_be_bytes(fixed(v, "FOU_ATTR_PEER_PORT")?))
        }
        uapi::FOU_ATTR_IFINDEX => {
            FouAttr::Ifindex(i32::from_ne_bytes(fixed(v, "FOU_ATTR_IFINDEX")?))
        }
        _ => return Ok(None),
    }))
}

/// A message of the fou family: a command and its attributes. The wire form: not part of
/// the API (see the crate docs, Stability).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FouMessage {
    /// The command (`FOU_CMD_*`).
    pub cmd: u8,
    /// Its attributes, in order.
    pub attrs: Vec<FouAttr>,
}

/// The `fou` family for a message type with a `cmd`: [`FouMessage`], and [`PortRequest`].
macro_rules! fou_family {
    ($message:ty) => {
        impl GenlFamily for $message {
            fn family_name() -> &'static str {
                uapi::FOU_GENL_NAME
            }

            fn command(&self) -> u8 {
                self.cmd
            }

            fn version(&self) -> u8 {
                uapi::FOU_GENL_VERSION
            }
        }
    };
}

fou_family!(FouMessage);

impl Emitable for FouMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for FouMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let attrs = NlasIterator::new(buf)
            .map(|nla| nla.and_then(|nla| FouAttr::parse(&nla)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FouMessage {
            cmd: header.cmd,
            attrs,
        })
    }
}

impl FouMessage {
    /// `FOU_CMD_ADD` for `port`.
    pub fn add(port: &FouPort) -> Self {
        Self::about(uapi::FOU_CMD_ADD, port)
    }

    /// `FOU_CMD_DEL` of the socket `port` names (the kernel matches every socket attribute).
    pub fn del(port: &FouPort) -> Self {
        Self::about(uapi::FOU_CMD_DEL, port)
    }

    /// `FOU_CMD_GET` of one socket (a "do", not a dump).
    pub fn get(port: &FouPort) -> Self {
        Self::about(uapi::FOU_CMD_GET, port)
    }

    fn about(cmd: u8, port: &FouPort) -> Self {
        // Room for every attribute a request can have: the socket's, then add's three.
        let mut attrs = Vec::with_capacity(9);
        each_attr(cmd, port, |kind, value| {
            // Read back as a reply's attribute is: each_attr gives only types this version
            // knows, with values of their sizes.
            let attr = known_attr(kind, value)
                .ok()
                .flatten()
                .expect("each_attr gives known attributes of the right size");
            attrs.push(attr);
        });
        FouMessage { cmd, attrs }
    }

    /// `FOU_CMD_GET` with no attributes, sent as a dump.
    pub fn dump() -> Self {
        FouMessage {
            cmd: uapi::FOU_CMD_GET,
            attrs: Vec::new(),
        }
    }

    /// The port this reply describes. The kernel sends every attribute, with zeroes for the
    /// unset ones; those read as `None`.
    pub fn to_port(&self) -> Result<FouPort, DecodeError> {
        let mut reading = PortReading::default();
        for attr in &self.attrs {
            reading.take(attr);
        }
        reading.finish()
    }
}

/// The port a fou reply describes, read from the message's payload as the kernel sent it (the
/// generic-netlink header, then the attributes): what [`FouMessage::to_port`] reads, without
/// first making a [`FouMessage`] (one allocation or more per port, in lists of thousands).
pub fn port_from_reply(payload: &[u8]) -> Result<FouPort, DecodeError> {
    let attrs = payload
        .get(netlink_packet_generic::constants::GENL_HDRLEN..)
        .ok_or_else(|| DecodeError::from("fou reply shorter than its generic-netlink header"))?;
    let mut reading = PortReading::default();
    for attr in crate::netlink::attrs(attrs) {
        let (kind, value) =
            attr.map_err(|overrun| DecodeError::from(format!("fou reply: {overrun}")))?;
        // Attributes this version does not know are left unread.
        if let Some(attr) = known_attr(kind, value)? {
            reading.take(&attr);
        }
    }
    reading.finish()
}

/// A port read attribute by attribute, as a fou reply gives it.
#[derive(Default)]
struct PortReading {
    port: Option<u16>,
    inet6: bool,
    ipproto: u8,
    gue: bool,
    local: Option<IpAddr>,
    peer: Option<IpAddr>,
    peer_port: Option<u16>,
    ifindex: Option<i32>,
    remcsum_nopartial: bool,
}

impl PortReading {
    fn take(&mut self, attr: &FouAttr) {
        match attr {
            FouAttr::Port(p) => self.port = Some(*p),
            FouAttr::Af(af) => self.inet6 = *af == libc::AF_INET6 as u8,
            FouAttr::IpProto(p) => self.ipproto = *p,
            FouAttr::Type(t) => self.gue = *t == uapi::FOU_ENCAP_GUE,
            FouAttr::RemcsumNopartial => self.remcsum_nopartial = true,
            FouAttr::LocalV4(a) if !a.is_unspecified() => self.local = Some((*a).into()),
            FouAttr::LocalV6(a) if !a.is_unspecified() => self.local = Some((*a).into()),
            FouAttr::PeerV4(a) if !a.is_unspecified() => self.peer = Some((*a).into()),
            FouAttr::PeerV6(a) if !a.is_unspecified() => self.peer = Some((*a).into()),
            FouAttr::PeerPort(p) if *p != 0 => self.peer_port = Some(*p),
            FouAttr::Ifindex(i) if *i != 0 => self.ifindex = Some(*i),
            _ => {}
        }
    }

    fn finish(self) -> Result<FouPort, DecodeError> {
        Ok(FouPort {
            port: self
                .port
                .ok_or_else(|| DecodeError::from("fou reply without FOU_ATTR_PORT"))?,
            family: if self.inet6 {
                Family::Inet6
            } else {
                Family::Inet
            },
            encap: if self.gue {
                FouEncap::Gue
            } else {
                FouEncap::Direct {
                    ipproto: self.ipproto,
                }
            },
            local: self.local,
            peer: self.peer,
            peer_port: self.peer_port,
            ifindex: self.ifindex,
            remcsum_nopartial: self.remcsum_nopartial,
        })
    }
}

/// Calls `f` with the type and value of each attribute of a `cmd` request about `port`, in
/// the order they are sent: those that name its socket (all add binds, and del and get
/// match), then, for add, its encapsulation. Values as they travel: ports big-endian, the
/// interface index in host order.
fn each_attr(cmd: u8, port: &FouPort, mut f: impl FnMut(u16, &[u8])) {
    f(uapi::FOU_ATTR_PORT, &port.port.to_be_bytes());
    f(uapi::FOU_ATTR_AF, &[port.family.af()]);
    match port.local {
        Some(IpAddr::V4(a)) => f(uapi::FOU_ATTR_LOCAL_V4, &a.octets()),
        Some(IpAddr::V6(a)) => f(uapi::FOU_ATTR_LOCAL_V6, &a.octets()),
        None => {}
    }
    match port.peer {
        Some(IpAddr::V4(a)) => f(uapi::FOU_ATTR_PEER_V4, &a.octets()),
        Some(IpAddr::V6(a)) => f(uapi::FOU_ATTR_PEER_V6, &a.octets()),
        None => {}
    }
    if let Some(p) = port.peer_port {
        f(uapi::FOU_ATTR_PEER_PORT, &p.to_be_bytes());
    }
    if let Some(i) = port.ifindex {
        f(uapi::FOU_ATTR_IFINDEX, &i.to_ne_bytes());
    }
    if cmd != uapi::FOU_CMD_ADD {
        return;
    }
    match port.encap {
        FouEncap::Direct { ipproto } => {
            f(uapi::FOU_ATTR_TYPE, &[uapi::FOU_ENCAP_DIRECT]);
            f(uapi::FOU_ATTR_IPPROTO, &[ipproto]);
        }
        // GUE reads the protocol from each packet: no IPPROTO at all (an IPPROTO of 0 is
        // refused by newer kernels).
        FouEncap::Gue => f(uapi::FOU_ATTR_TYPE, &[uapi::FOU_ENCAP_GUE]),
    }
    if port.remcsum_nopartial {
        f(uapi::FOU_ATTR_REMCSUM_NOPARTIAL, &[]);
    }
}

/// The length of an attribute with a value of `value_len` bytes, its padding included.
fn attr_len(value_len: usize) -> usize {
    (NLA_HEADER_SIZE + value_len).next_multiple_of(4)
}

/// A request about one port, encoded straight from the port: the bytes of
/// [`FouMessage::add`] without its vector of attributes. A batch sends thousands of adds, and
/// building, encoding and dropping each one's vector was a fifth of the instructions of a
/// line (callgrind). The wire form: not part of the API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct PortRequest<'a> {
    cmd: u8,
    port: &'a FouPort,
    /// The attributes' length, padding included: asked for more than once per request.
    len: usize,
}

impl<'a> PortRequest<'a> {
    /// `FOU_CMD_ADD` for `port`.
    pub fn add(port: &'a FouPort) -> Self {
        let mut len = 0;
        each_attr(uapi::FOU_CMD_ADD, port, |_, value| {
            len += attr_len(value.len())
        });
        PortRequest {
            cmd: uapi::FOU_CMD_ADD,
            port,
            len,
        }
    }
}

fou_family!(PortRequest<'_>);

impl Emitable for PortRequest<'_> {
    fn buffer_len(&self) -> usize {
        self.len
    }

    fn emit(&self, buffer: &mut [u8]) {
        // Written here, not through `FouAttr`'s `Nla::emit`, which works out each value's
        // length four times over: that was two thirds of the instructions of encoding a
        // batch's add (callgrind). The bytes are the same (the unit test below, and the
        // golden vectors).
        let mut at = 0;
        each_attr(self.cmd, self.port, |kind, value| {
            let len = NLA_HEADER_SIZE + value.len();
            let out = &mut buffer[at..at + attr_len(value.len())];
            out[..2].copy_from_slice(&(len as u16).to_ne_bytes());
            out[2..4].copy_from_slice(&kind.to_ne_bytes());
            out[NLA_HEADER_SIZE..len].copy_from_slice(value);
            for pad in &mut out[len..] {
                *pad = 0;
            }
            at += out.len();
        });
    }
}

/// The receive ports of a namespace as [`crate::Handle::fou_ports`] found them, with what a
/// reader should know about the list: that the fou module is not loaded (so there are none),
/// or that the list may be incomplete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList {
    /// The ports, in the kernel's order (newest first).
    pub ports: Vec<FouPort>,
    /// Sentences for the user, for standard error; empty when the list is simply complete.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_of_a_port_is_its_words_in_the_order_of_the_grammar() {
        let mut port = FouPort::gue(6000)
            .with_peer("2001:db8::2".parse().unwrap(), Some(7000))
            .with_local("2001:db8::1".parse().unwrap());
        port.ifindex = Some(4);
        port.remcsum_nopartial = true;
        assert_eq!(
            port.to_string(),
            "port 6000 gue local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev #4 remcsum_nopartial"
        );
        assert_eq!(
            port.words(false, Some("eth0")).join(" "),
            "port 6000 local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev eth0"
        );
        assert_eq!(
            port.describe(Some("eth0")),
            "port 6000 (inet6) local 2001:db8::1 peer 2001:db8::2 peer_port 7000 dev eth0"
        );
        assert_eq!(
            FouPort::direct(5555, 4).ipv6().to_string(),
            "port 5555 ipproto 4 -6"
        );
    }

    #[test]
    fn a_port_request_emits_the_bytes_of_the_message() {
        let mut bound = FouPort::direct(5555, 4)
            .with_peer("2001:db8::2".parse().unwrap(), Some(6))
            .with_local("2001:db8::1".parse().unwrap());
        bound.ifindex = Some(-2);
        bound.remcsum_nopartial = true;
        let mut gue = FouPort::gue(7).with_local("192.0.2.1".parse().unwrap());
        gue.remcsum_nopartial = true;
        for port in [
            bound,
            gue,
            FouPort::gue(8).ipv6(),
            FouPort::direct(65535, 255),
        ] {
            let message = FouMessage::add(&port);
            let request = PortRequest::add(&port);
            assert_eq!(request.buffer_len(), message.buffer_len(), "{port}");
            assert_eq!(request.command(), message.command());
            let mut expected = vec![0xaa; message.buffer_len()];
            message.emit(&mut expected);
            let mut emitted = vec![0xaa; request.buffer_len()];
            request.emit(&mut emitted);
            assert_eq!(emitted, expected, "{port}");
        }
    }

    #[test]
    fn a_reply_read_from_its_bytes_is_the_reply_decoded() {
        let mut port = FouPort::direct(5555, 4).with_peer("2001:db8::2".parse().unwrap(), Some(6));
        port.local = Some("2001:db8::1".parse().unwrap());
        port.ifindex = Some(9);
        port.remcsum_nopartial = true;
        for port in [port, FouPort::gue(7), FouPort::direct(8, 47).ipv6()] {
            let message = FouMessage::add(&port);
            let mut payload = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
            let start = payload.len();
            payload.resize(start + message.buffer_len(), 0);
            message.emit(&mut payload[start..]);
            assert_eq!(port_from_reply(&payload).unwrap(), port);
            assert_eq!(message.to_port().unwrap(), port);
        }
        assert!(port_from_reply(&[1, 1]).is_err());
        assert!(port_from_reply(&[1, 1, 0, 0]).is_err(), "no FOU_ATTR_PORT");
        // An attribute this version does not know (type 99, 5 bytes, padded) is skipped; so
        // are the flag bits of a type.
        let mut header = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        header.extend_from_slice(&[9, 0, 99, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
        header.extend_from_slice(&[6, 0, 1, 0x40, 0x15, 0xb3, 0, 0]); // PORT | NET_BYTEORDER
        header.extend_from_slice(&[5, 0, 3, 0, 4, 0, 0, 0]); // IPPROTO 4
        assert_eq!(port_from_reply(&header).unwrap(), FouPort::direct(5555, 4));
        // An attribute longer than what is left, or shorter than its own header, is an error.
        let mut long = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        long.extend_from_slice(&[12, 0, 1, 0, 0x15, 0xb3, 0, 0]);
        assert!(port_from_reply(&long).is_err());
        let mut short = vec![uapi::FOU_CMD_GET, uapi::FOU_GENL_VERSION, 0, 0];
        short.extend_from_slice(&[2, 0, 1, 0, 0x15, 0xb3, 0, 0]);
        assert!(port_from_reply(&short).is_err());
    }
}
