//! Tunnel-link constants, from `include/uapi/linux/if_tunnel.h` and
//! `include/uapi/linux/ip6_tunnel.h`.
//!
//! These are the `IFLA_INFO_DATA` attributes of `RTM_NEWLINK` for IP tunnels
//! (`ipip`, `sit`, `ip6tnl`: [`IFLA_IPTUN_*`](IFLA_IPTUN_LINK)) and GRE
//! tunnels (`gre`, `gretap`, `ip6gre`, `ip6gretap`, `erspan`:
//! [`IFLA_GRE_*`](IFLA_GRE_LINK)), and the values that go in them. The
//! `*_ENCAP_*` attributes make such a link send its packets in FOU or GUE.
//!
//! Payload byte order: addresses, keys and ports are network order; other
//! integers are host order unless noted.

// IP tunnel link attributes (`IFLA_IPTUN_*`), for ipip, sit and ip6tnl.

/// Unused attribute type 0.
pub const IFLA_IPTUN_UNSPEC: u16 = 0;
/// Underlying device: `u32` ifindex.
pub const IFLA_IPTUN_LINK: u16 = 1;
/// Local address: 4 bytes network order (ipip, sit) or 16-byte `in6_addr` (ip6tnl).
pub const IFLA_IPTUN_LOCAL: u16 = 2;
/// Remote address: 4 bytes network order (ipip, sit) or 16-byte `in6_addr` (ip6tnl).
pub const IFLA_IPTUN_REMOTE: u16 = 3;
/// TTL (hop limit for ip6tnl): `u8`, 0 = inherit.
pub const IFLA_IPTUN_TTL: u16 = 4;
/// TOS: `u8` (ipip, sit).
pub const IFLA_IPTUN_TOS: u16 = 5;
/// Encapsulation limit: `u8` (ip6tnl).
pub const IFLA_IPTUN_ENCAP_LIMIT: u16 = 6;
/// Flow label and traffic class: `u32` big-endian (ip6tnl).
pub const IFLA_IPTUN_FLOWINFO: u16 = 7;
/// Flags: `u16` with [`SIT_ISATAP`] (sit) or `u32` with `IP6_TNL_F_*` (ip6tnl), host order.
pub const IFLA_IPTUN_FLAGS: u16 = 8;
/// Inner protocol: `u8` (`IPPROTO_IPIP`, `IPPROTO_IPV6`, `IPPROTO_MPLS`, 0 = any).
pub const IFLA_IPTUN_PROTO: u16 = 9;
/// Path MTU discovery: `u8` boolean (ipip, sit).
pub const IFLA_IPTUN_PMTUDISC: u16 = 10;
/// 6rd prefix: 16-byte `in6_addr` (sit).
pub const IFLA_IPTUN_6RD_PREFIX: u16 = 11;
/// 6rd relay prefix: 4 bytes network order (sit).
pub const IFLA_IPTUN_6RD_RELAY_PREFIX: u16 = 12;
/// 6rd prefix length: `u16` (sit).
pub const IFLA_IPTUN_6RD_PREFIXLEN: u16 = 13;
/// 6rd relay prefix length: `u16` (sit).
pub const IFLA_IPTUN_6RD_RELAY_PREFIXLEN: u16 = 14;
/// Encapsulation kind: `u16` host order, one of `TUNNEL_ENCAP_*`.
pub const IFLA_IPTUN_ENCAP_TYPE: u16 = 15;
/// Encapsulation flags: `u16` host order, `TUNNEL_ENCAP_FLAG_*`.
pub const IFLA_IPTUN_ENCAP_FLAGS: u16 = 16;
/// UDP source port: `u16` **big-endian**; 0 = chosen per flow by the kernel.
pub const IFLA_IPTUN_ENCAP_SPORT: u16 = 17;
/// UDP destination port: `u16` **big-endian**.
pub const IFLA_IPTUN_ENCAP_DPORT: u16 = 18;
/// Flag (no payload): external control (metadata-based) tunnel.
pub const IFLA_IPTUN_COLLECT_METADATA: u16 = 19;
/// Firewall mark of the encapsulated packets: `u32`.
pub const IFLA_IPTUN_FWMARK: u16 = 20;
/// Highest attribute type (`__IFLA_IPTUN_MAX - 1`).
pub const IFLA_IPTUN_MAX: u16 = 20;

// Encapsulation kinds (`enum tunnel_encap_types`): payload of
// `IFLA_IPTUN_ENCAP_TYPE` / `IFLA_GRE_ENCAP_TYPE`.

/// No UDP encapsulation.
pub const TUNNEL_ENCAP_NONE: u16 = 0;
/// Foo-over-UDP: the packet follows the UDP header directly.
pub const TUNNEL_ENCAP_FOU: u16 = 1;
/// Generic UDP Encapsulation: a GUE header follows the UDP header.
pub const TUNNEL_ENCAP_GUE: u16 = 2;
/// MPLS-in-UDP (RFC 7510).
pub const TUNNEL_ENCAP_MPLS: u16 = 3;

// Encapsulation flags (`TUNNEL_ENCAP_FLAG_*`): bits of
// `IFLA_IPTUN_ENCAP_FLAGS` / `IFLA_GRE_ENCAP_FLAGS`.

/// Compute the UDP checksum (outer IPv4).
pub const TUNNEL_ENCAP_FLAG_CSUM: u16 = 1 << 0;
/// Compute the UDP checksum (outer IPv6).
pub const TUNNEL_ENCAP_FLAG_CSUM6: u16 = 1 << 1;
/// Remote checksum offload (GUE only).
pub const TUNNEL_ENCAP_FLAG_REMCSUM: u16 = 1 << 2;

// GRE header flags (`GRE_*`), for `IFLA_GRE_IFLAGS` / `IFLA_GRE_OFLAGS`.
// The header defines them as `__be16` (`__cpu_to_be16(..)`); here they hold
// the host-order number. They go on the wire big-endian: send
// `flags.to_be_bytes()`, read with `u16::from_be_bytes`.

/// GRE checksum present (`C` bit, 0x8000); goes on the wire big-endian.
pub const GRE_CSUM: u16 = 0x8000;
/// GRE routing present (`R` bit, 0x4000); goes on the wire big-endian.
pub const GRE_ROUTING: u16 = 0x4000;
/// GRE key present (`K` bit, 0x2000); goes on the wire big-endian.
pub const GRE_KEY: u16 = 0x2000;
/// GRE sequence number present (`S` bit, 0x1000); goes on the wire big-endian.
pub const GRE_SEQ: u16 = 0x1000;

/// sit-mode flag for `IFLA_IPTUN_FLAGS` (`u16`, host order): ISATAP (RFC 5214) tunnel.
pub const SIT_ISATAP: u16 = 0x0001;

// GRE link attributes (`IFLA_GRE_*`), for gre, gretap, ip6gre, ip6gretap,
// erspan and ip6erspan.

/// Unused attribute type 0.
pub const IFLA_GRE_UNSPEC: u16 = 0;
/// Underlying device: `u32` ifindex.
pub const IFLA_GRE_LINK: u16 = 1;
/// Input GRE flags: `u16` **big-endian**, `GRE_*` bits.
pub const IFLA_GRE_IFLAGS: u16 = 2;
/// Output GRE flags: `u16` **big-endian**, `GRE_*` bits.
pub const IFLA_GRE_OFLAGS: u16 = 3;
/// Input key: `u32` big-endian.
pub const IFLA_GRE_IKEY: u16 = 4;
/// Output key: `u32` big-endian.
pub const IFLA_GRE_OKEY: u16 = 5;
/// Local address: 4 bytes network order (gre) or 16-byte `in6_addr` (ip6gre).
pub const IFLA_GRE_LOCAL: u16 = 6;
/// Remote address: 4 bytes network order (gre) or 16-byte `in6_addr` (ip6gre).
pub const IFLA_GRE_REMOTE: u16 = 7;
/// TTL (hop limit for ip6gre): `u8`, 0 = inherit.
pub const IFLA_GRE_TTL: u16 = 8;
/// TOS: `u8`.
pub const IFLA_GRE_TOS: u16 = 9;
/// Path MTU discovery: `u8` boolean.
pub const IFLA_GRE_PMTUDISC: u16 = 10;
/// Encapsulation limit: `u8` (ip6gre).
pub const IFLA_GRE_ENCAP_LIMIT: u16 = 11;
/// Flow label and traffic class: `u32` big-endian (ip6gre).
pub const IFLA_GRE_FLOWINFO: u16 = 12;
/// ip6gre flags: `u32` host order, `IP6_TNL_F_*`.
pub const IFLA_GRE_FLAGS: u16 = 13;
/// Encapsulation kind: `u16` host order, one of `TUNNEL_ENCAP_*`.
pub const IFLA_GRE_ENCAP_TYPE: u16 = 14;
/// Encapsulation flags: `u16` host order, `TUNNEL_ENCAP_FLAG_*`.
pub const IFLA_GRE_ENCAP_FLAGS: u16 = 15;
/// UDP source port: `u16` **big-endian**; 0 = chosen per flow by the kernel.
pub const IFLA_GRE_ENCAP_SPORT: u16 = 16;
/// UDP destination port: `u16` **big-endian**.
pub const IFLA_GRE_ENCAP_DPORT: u16 = 17;
/// Flag (no payload): external control (metadata-based) tunnel.
pub const IFLA_GRE_COLLECT_METADATA: u16 = 18;
/// Ignore the IPv4 DF bit: `u8` boolean.
pub const IFLA_GRE_IGNORE_DF: u16 = 19;
/// Firewall mark of the encapsulated packets: `u32`.
pub const IFLA_GRE_FWMARK: u16 = 20;
/// ERSPAN v1 session index: `u32`.
pub const IFLA_GRE_ERSPAN_INDEX: u16 = 21;
/// ERSPAN version: `u8` (0, 1 or 2).
pub const IFLA_GRE_ERSPAN_VER: u16 = 22;
/// ERSPAN v2 direction: `u8` (0 ingress, 1 egress).
pub const IFLA_GRE_ERSPAN_DIR: u16 = 23;
/// ERSPAN v2 hardware id: `u16`.
pub const IFLA_GRE_ERSPAN_HWID: u16 = 24;
/// Highest attribute type (`__IFLA_GRE_MAX - 1`).
pub const IFLA_GRE_MAX: u16 = 24;

// IPv6 tunnel flags (`IP6_TNL_F_*`, from `ip6_tunnel.h`): bits of the `u32`
// `IFLA_IPTUN_FLAGS` (ip6tnl) and `IFLA_GRE_FLAGS` (ip6gre), host order.

/// Do not add an encapsulation-limit option to the outer packet.
pub const IP6_TNL_F_IGN_ENCAP_LIMIT: u32 = 0x1;
/// Copy the traffic class from the inner packet.
pub const IP6_TNL_F_USE_ORIG_TCLASS: u32 = 0x2;
/// Copy the flow label from the inner packet.
pub const IP6_TNL_F_USE_ORIG_FLOWLABEL: u32 = 0x4;
/// The tunnel is used for Mobile IPv6.
pub const IP6_TNL_F_MIP6_DEV: u32 = 0x8;
/// Copy DSCP from the outer packet on receive.
pub const IP6_TNL_F_RCV_DSCP_COPY: u32 = 0x10;
/// Copy the fwmark from the inner packet.
pub const IP6_TNL_F_USE_ORIG_FWMARK: u32 = 0x20;
/// Allow the remote endpoint to be on the local node.
pub const IP6_TNL_F_ALLOW_LOCAL_REMOTE: u32 = 0x40;

/// IPv6 destination-option type of the tunnel encapsulation limit (`ip6_tunnel.h`).
pub const IPV6_TLV_TNL_ENCAP_LIMIT: u8 = 4;
/// Default encapsulation limit of ip6tnl/ip6gre links (`ip6_tunnel.h`).
pub const IPV6_DEFAULT_TNL_ENCAP_LIMIT: u8 = 4;
