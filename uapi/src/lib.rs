//! Constants of the Linux Foo-over-UDP (FOU) / Generic UDP Encapsulation (GUE)
//! user-space API, mirrored by hand from the kernel's UAPI headers.
//!
//! * [`fou`] mirrors `include/uapi/linux/fou.h`: the `"fou"` generic-netlink
//!   family, its commands (`FOU_CMD_*`), attributes (`FOU_ATTR_*`) and
//!   encapsulation kinds (`FOU_ENCAP_*`). These configure receive ports.
//! * [`tunnel`] mirrors the tunnel-link part of `include/uapi/linux/if_tunnel.h`
//!   (`IFLA_IPTUN_*`, `IFLA_GRE_*`, `TUNNEL_ENCAP_*`, `GRE_*` header flags,
//!   `SIT_ISATAP`) and the flags of `include/uapi/linux/ip6_tunnel.h`
//!   (`IP6_TNL_F_*`). These configure the transmit side: an `ipip`, `sit`,
//!   `ip6tnl`, `gre`, `gretap`, `ip6gre` … link that encapsulates in FOU/GUE.
//!
//! Names are the kernel's; every item is a plain `pub const`. Attribute
//! types are `u16` (the `nla_type` width); generic-netlink commands and
//! `FOU_ENCAP_*` are `u8` (they travel in a `u8` field). Where an attribute's
//! payload is not a host-order integer, its documentation says so:
//! `FOU_ATTR_PORT`, `FOU_ATTR_PEER_PORT` and the `*_ENCAP_SPORT`/`*_ENCAP_DPORT`
//! attributes carry big-endian (network order) 16-bit ports.
//!
//! The test `tests/kernel_headers.rs` compiles a C program against the
//! installed headers (`linux-libc-dev`) and checks every constant here against
//! the C value.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod fou;
pub mod tunnel;
