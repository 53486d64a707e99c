//! The random states of the property tests (`property.rs`): fou ports and tunnels of every
//! kind, with every setting iproute2 can give them, written both as iproute2's words (to make
//! them from scratch) and as a desired-state file (to make them with `rfou apply`). The
//! model is the test's own: it knows iproute2's words and the kernel's rules from their
//! manuals, not from rfou's code, so that rfou is judged against something else.

use std::collections::BTreeMap;

/// A small seeded generator (SplitMix64): the same seed makes the same states.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }
}

/// The kinds, with ip6tnl's three modes apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Ipip,
    Sit,
    Ip6ip6,
    Ipip6,
    Any6,
    Gre,
    Gretap,
    Ip6gre,
    Ip6gretap,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Ipip,
        Kind::Sit,
        Kind::Ip6ip6,
        Kind::Ipip6,
        Kind::Any6,
        Kind::Gre,
        Kind::Gretap,
        Kind::Ip6gre,
        Kind::Ip6gretap,
    ];

    /// `ip link add ... type TYPE [mode MODE]`.
    pub fn ip_type(self) -> &'static str {
        match self {
            Kind::Ipip => "ipip",
            Kind::Sit => "sit",
            Kind::Ip6ip6 => "ip6tnl mode ip6ip6",
            Kind::Ipip6 => "ip6tnl mode ipip6",
            Kind::Any6 => "ip6tnl mode any",
            Kind::Gre => "gre",
            Kind::Gretap => "gretap",
            Kind::Ip6gre => "ip6gre",
            Kind::Ip6gretap => "ip6gretap",
        }
    }

    /// The `mode` of a `[[tunnel]]`.
    pub fn mode(self) -> &'static str {
        match self {
            Kind::Ip6ip6 => "ip6ip6",
            Kind::Ipip6 => "ipip6",
            Kind::Any6 => "any",
            other => other.ip_type(),
        }
    }

    pub fn v6(self) -> bool {
        matches!(
            self,
            Kind::Ip6ip6 | Kind::Ipip6 | Kind::Any6 | Kind::Ip6gre | Kind::Ip6gretap
        )
    }

    pub fn gre(self) -> bool {
        matches!(
            self,
            Kind::Gre | Kind::Gretap | Kind::Ip6gre | Kind::Ip6gretap
        )
    }

    fn tap(self) -> bool {
        matches!(self, Kind::Gretap | Kind::Ip6gretap)
    }
}

/// A value, or taken from the inner packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inherit {
    Inherit,
    Value(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encap {
    pub gue: bool,
    pub sport: Option<u16>,
    pub dport: u16,
    pub csum: bool,
    pub csum6: Option<bool>,
    pub remcsum: bool,
}

/// A tunnel: `None` is "not given" (the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    pub name: String,
    pub kind: Kind,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub dev: bool,
    pub ttl: Option<u8>,
    pub tos: Option<Inherit>,
    pub pmtudisc: Option<bool>,
    pub ignore_df: bool,
    pub proto: Option<&'static str>,
    pub isatap: bool,
    pub ikey: Option<u32>,
    pub okey: Option<u32>,
    pub iseq: bool,
    pub oseq: bool,
    pub icsum: bool,
    pub ocsum: bool,
    pub encaplimit: Option<Option<u8>>,
    pub flowlabel: Option<Inherit>,
    pub tclass: Option<Inherit>,
    pub fwmark: Option<Inherit>,
    pub encap: Option<Encap>,
    pub mtu: Option<u32>,
    pub up: bool,
}

/// A receive port; its identity (family, local, peer, device) is fixed per number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub port: u16,
    pub v6: bool,
    pub ipproto: Option<u8>,
    pub local: bool,
    pub peer: Option<u16>,
    pub dev: bool,
}

/// What a namespace holds: tunnels and ports by name and number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub tunnels: BTreeMap<String, Tunnel>,
    pub ports: BTreeMap<u16, Port>,
}

/// Addresses never used twice in a chain of states: each tunnel has endpoints of its own
/// (the kernel keeps one tunnel per endpoints; swaps are tested on their own).
pub struct Addresses {
    next: u32,
}

impl Addresses {
    pub fn new() -> Addresses {
        Addresses { next: 0 }
    }

    fn take(&mut self) -> u32 {
        self.next += 1;
        assert!(self.next < 60000, "a chain ran out of addresses");
        self.next
    }

    /// A remote the underlay `dummy0` routes to (its prefixes), or one no route reaches.
    fn remote(&mut self, v6: bool, routed: bool) -> String {
        let n = self.take();
        match (v6, routed) {
            (false, true) => format!("10.1.{}.{}", n / 250, n % 250 + 2),
            (false, false) => format!("172.16.{}.{}", n / 250, n % 250 + 1),
            (true, true) => format!("2001:db8::{:x}", n + 16),
            (true, false) => format!("2001:db8:ff::{n:x}"),
        }
    }

    /// A local address no other tunnel has (for tunnels without a remote).
    fn local(&mut self, v6: bool) -> String {
        let n = self.take();
        if v6 {
            format!("2001:db8:ee::{n:x}")
        } else {
            format!("203.0.{}.{}", n / 250, n % 250 + 1)
        }
    }

    fn group(&mut self) -> String {
        let n = self.take();
        format!("239.1.{}.{}", n / 250, n % 250 + 1)
    }
}

/// The address of `dummy0` in each family.
pub const LOCAL4: &str = "10.1.0.1";
pub const LOCAL6: &str = "2001:db8::1";

/// What every namespace of the property tests starts with: `dummy0`, up, with MTU 9000 (so
/// that a tunnel routed over it, or bound to it, gets another MTU than one that is not), the
/// prefixes 10.1.0.0/16 and 2001:db8::/64.
pub const UNDERLAY: &str = "link add dummy0 mtu 9000 type dummy\n\
                            addr add 10.1.0.1/16 dev dummy0\n\
                            addr add 2001:db8::1/64 dev dummy0 nodad\n\
                            link set dummy0 up\n";

/// Where a tunnel's endpoints are.
#[derive(Clone, Copy)]
enum Endpoints {
    /// A remote `dummy0` routes to, or one no route reaches; with or without a local address.
    Remote { routed: bool, local: bool },
    /// No remote: a local address of its own (ISATAP on sit, now and then).
    NoRemote,
    /// A multicast group (gre, gretap), with the local address it needs.
    Group,
}

impl Tunnel {
    /// A tunnel of `kind` called `name`, each setting drawn at random among what iproute2
    /// and the kernel take together.
    pub fn random(rng: &mut Rng, addrs: &mut Addresses, name: &str, kind: Kind) -> Tunnel {
        let v6 = kind.v6();
        let mut t = Tunnel {
            name: name.to_string(),
            kind,
            local: None,
            remote: None,
            dev: rng.one_in(4),
            ttl: None,
            tos: None,
            pmtudisc: None,
            ignore_df: false,
            proto: None,
            isatap: false,
            ikey: None,
            okey: None,
            iseq: false,
            oseq: false,
            icsum: false,
            ocsum: false,
            encaplimit: None,
            flowlabel: None,
            tclass: None,
            fwmark: None,
            encap: None,
            mtu: None,
            up: rng.one_in(2),
        };
        t.set_endpoints(rng, addrs);
        if v6 {
            let (ttl, limit) = (rng.range(1, 255) as u8, rng.range(0, 255) as u8);
            t.ttl = rng.pick(&[None, Some(0), Some(ttl)]);
            t.encaplimit = rng.pick(&[None, Some(None), Some(Some(limit))]);
            t.flowlabel = random_inherit(rng, 0xf_ffff);
            t.tclass = random_inherit(rng, 0xff);
            t.fwmark = random_inherit(rng, u32::MAX.into());
        } else {
            t.pmtudisc = rng.pick(&[None, Some(true), Some(false), Some(false)]);
            let gre = matches!(kind, Kind::Gre | Kind::Gretap);
            if t.pmtudisc == Some(false) {
                // ip refuses a fixed TTL without path MTU discovery on ipip and sit; gre and
                // gretap take it.
                let ttl = rng.range(1, 255) as u8;
                t.ttl = if gre {
                    rng.pick(&[None, Some(0), Some(ttl)])
                } else {
                    rng.pick(&[None, Some(0)])
                };
                t.ignore_df = gre && rng.one_in(2);
            } else {
                let ttl = rng.range(1, 255) as u8;
                t.ttl = rng.pick(&[None, Some(0), Some(ttl)]);
            }
            let (tos, mark) = (
                rng.pick(&[0x04, 0x10, 0x28, 0xb8]),
                rng.range(1, u32::MAX.into()) as u32,
            );
            t.tos = rng.pick(&[None, Some(Inherit::Inherit), Some(Inherit::Value(tos))]);
            t.fwmark = rng.pick(&[None, Some(Inherit::Value(mark))]);
        }
        t.proto = match kind {
            Kind::Ipip => rng.pick(&[None, Some("ipip"), Some("mplsip"), Some("any")]),
            Kind::Sit => rng.pick(&[
                None,
                Some("ip6ip"),
                Some("ipip"),
                Some("mplsip"),
                Some("any"),
            ]),
            _ => None,
        };
        if kind.gre() {
            t.set_keys(rng);
            t.iseq = rng.one_in(3);
            t.oseq = rng.one_in(3);
            t.icsum = rng.one_in(3);
            t.ocsum = rng.one_in(3);
        }
        if !rng.one_in(3) {
            let gue = rng.one_in(2);
            t.encap = Some(Encap {
                gue,
                sport: rng.one_in(2).then(|| rng.range(1024, 65535) as u16),
                dport: rng.range(1, 65535) as u16,
                csum: rng.one_in(2),
                csum6: rng.pick(&[None, Some(true), Some(false)]),
                remcsum: gue && rng.one_in(3),
            });
        }
        if rng.one_in(4) {
            t.mtu = Some(rng.range(1280, 1400) as u32);
        }
        t
    }

    fn set_endpoints(&mut self, rng: &mut Rng, addrs: &mut Addresses) {
        let kind = self.kind;
        let v6 = kind.v6();
        let shape = match rng.range(0, 9) {
            0 | 1 if matches!(kind, Kind::Gre | Kind::Gretap) => Endpoints::Group,
            2 | 3 if !kind.tap() => Endpoints::NoRemote,
            n => Endpoints::Remote {
                routed: n % 2 == 0,
                local: rng.one_in(2),
            },
        };
        self.isatap = false;
        match shape {
            Endpoints::Remote { routed, local } => {
                self.remote = Some(addrs.remote(v6, routed));
                self.local = local.then(|| if v6 { LOCAL6 } else { LOCAL4 }.to_string());
            }
            Endpoints::NoRemote => {
                self.remote = None;
                self.local = Some(addrs.local(v6));
                self.isatap = kind == Kind::Sit && rng.one_in(3);
            }
            Endpoints::Group => {
                self.remote = Some(addrs.group());
                self.local = Some(LOCAL4.to_string());
            }
        }
    }

    fn set_keys(&mut self, rng: &mut Rng) {
        let key = |rng: &mut Rng| rng.range(1, u32::MAX.into()) as u32;
        (self.ikey, self.okey) = match rng.range(0, 4) {
            0 => (None, None),
            1 => {
                let k = key(rng);
                (Some(k), Some(k))
            }
            2 => (Some(key(rng)), None),
            3 => (None, Some(key(rng))),
            _ => (Some(key(rng)), Some(key(rng))),
        };
    }

    /// This tunnel with some of its settings drawn again (each group of settings that go
    /// together, one in three), as a later desired state asks for it.
    pub fn tweaked(&self, rng: &mut Rng, addrs: &mut Addresses) -> Tunnel {
        let fresh = Tunnel::random(rng, addrs, &self.name, self.kind);
        let mut t = self.clone();
        if rng.one_in(3) {
            t.set_endpoints(rng, addrs);
        }
        if rng.one_in(3) {
            (t.ttl, t.pmtudisc, t.ignore_df) = (fresh.ttl, fresh.pmtudisc, fresh.ignore_df);
        }
        if rng.one_in(3) {
            (t.tos, t.proto, t.fwmark) = (fresh.tos, fresh.proto, fresh.fwmark);
        }
        if rng.one_in(3) {
            (t.ikey, t.okey) = (fresh.ikey, fresh.okey);
            (t.iseq, t.oseq, t.icsum, t.ocsum) = (fresh.iseq, fresh.oseq, fresh.icsum, fresh.ocsum);
        }
        if rng.one_in(3) {
            (t.encaplimit, t.flowlabel, t.tclass) =
                (fresh.encaplimit, fresh.flowlabel, fresh.tclass);
        }
        if rng.one_in(3) {
            t.encap = fresh.encap;
        }
        if rng.one_in(3) {
            t.dev = fresh.dev;
        }
        if rng.one_in(3) {
            t.mtu = fresh.mtu;
        }
        if rng.one_in(3) {
            t.up = fresh.up;
        }
        t
    }
}

fn random_inherit(rng: &mut Rng, max: u64) -> Option<Inherit> {
    match rng.range(0, 2) {
        0 => None,
        1 => Some(Inherit::Inherit),
        _ => Some(Inherit::Value(rng.range(1, max) as u32)),
    }
}

impl Port {
    /// Port `port`: its family, encapsulation and binding drawn at random.
    pub fn random(rng: &mut Rng, port: u16) -> Port {
        let local = rng.one_in(2);
        Port {
            port,
            v6: rng.one_in(3),
            ipproto: rng.pick(&[None, Some(4), Some(41), Some(47)]),
            local,
            peer: rng.one_in(3).then(|| rng.range(1, 65535) as u16),
            dev: local && rng.one_in(2),
        }
    }
}
