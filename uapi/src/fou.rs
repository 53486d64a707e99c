//! The `fou` generic-netlink family, from `include/uapi/linux/fou.h`.
//!
//! A FOU/GUE *receive port* is a UDP socket in the kernel that strips the
//! FOU (no header) or GUE header and hands the inner packet on. It is created
//! with [`FOU_CMD_ADD`], removed with [`FOU_CMD_DEL`], listed with
//! [`FOU_CMD_GET`] (dump).

/// Generic-netlink family name (resolve its id through `nlctrl`).
pub const FOU_GENL_NAME: &str = "fou";
/// Generic-netlink family version, for the `version` byte of `genlmsghdr`.
pub const FOU_GENL_VERSION: u8 = 1;

// Attributes (`FOU_ATTR_*`): netlink attribute types of the `fou` family.

/// Unused attribute type 0.
pub const FOU_ATTR_UNSPEC: u16 = 0;
/// Local UDP port of the receive port: `u16`, **big-endian** (network order).
pub const FOU_ATTR_PORT: u16 = 1;
/// Address family of the socket: `u8`, `AF_INET` (2) or `AF_INET6` (10).
pub const FOU_ATTR_AF: u16 = 2;
/// Inner IP protocol for [`FOU_ENCAP_DIRECT`]: `u8` (e.g. 4 ipip, 41 IPv6, 47 GRE).
pub const FOU_ATTR_IPPROTO: u16 = 3;
/// Encapsulation kind: `u8`, one of `FOU_ENCAP_*`.
pub const FOU_ATTR_TYPE: u16 = 4;
/// Flag (no payload): GUE remote checksum offload without partial checksum.
pub const FOU_ATTR_REMCSUM_NOPARTIAL: u16 = 5;
/// Local IPv4 address to bind: 4 bytes, network order (`struct in_addr`).
pub const FOU_ATTR_LOCAL_V4: u16 = 6;
/// Local IPv6 address to bind: 16 bytes (`struct in6_addr`).
pub const FOU_ATTR_LOCAL_V6: u16 = 7;
/// Peer IPv4 address to connect to: 4 bytes, network order (`struct in_addr`).
pub const FOU_ATTR_PEER_V4: u16 = 8;
/// Peer IPv6 address to connect to: 16 bytes (`struct in6_addr`).
pub const FOU_ATTR_PEER_V6: u16 = 9;
/// Peer UDP port: `u16`, **big-endian** (network order).
pub const FOU_ATTR_PEER_PORT: u16 = 10;
/// Interface to bind the socket to: `s32` ifindex, host order.
pub const FOU_ATTR_IFINDEX: u16 = 11;
/// Highest attribute type (`__FOU_ATTR_MAX - 1`).
pub const FOU_ATTR_MAX: u16 = 11;

// Commands (`FOU_CMD_*`): the `cmd` byte of `genlmsghdr`.

/// Unused command 0.
pub const FOU_CMD_UNSPEC: u8 = 0;
/// Create a receive port.
pub const FOU_CMD_ADD: u8 = 1;
/// Delete a receive port.
pub const FOU_CMD_DEL: u8 = 2;
/// Get one receive port, or dump all with `NLM_F_DUMP`.
pub const FOU_CMD_GET: u8 = 3;
/// Highest command (`__FOU_CMD_MAX - 1`).
pub const FOU_CMD_MAX: u8 = 3;

// Encapsulation kinds (`FOU_ENCAP_*`): payload of `FOU_ATTR_TYPE`.

/// Unspecified encapsulation (rejected by the kernel on add).
pub const FOU_ENCAP_UNSPEC: u8 = 0;
/// Plain FOU: the inner packet follows the UDP header directly; needs `FOU_ATTR_IPPROTO`.
pub const FOU_ENCAP_DIRECT: u8 = 1;
/// GUE: a Generic UDP Encapsulation header names the inner protocol.
pub const FOU_ENCAP_GUE: u8 = 2;
