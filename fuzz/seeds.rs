//! Writes the seed inputs of every target under `corpus/<target>/seed-*` (`scripts/fuzz
//! seeds`): well-formed examples of what each reads, so that the fuzzer starts from real
//! messages rather than from nothing. The kernel's replies are laid out as the golden
//! vectors of the library lay them out (src/golden.rs: `fou_fill_info`, the rtnetlink
//! fill_info of each tunnel kind), and the fou ports are also encoded by rfou's own encoder.
//! Built with `--cfg fuzzing`, as the targets are (`rfou::fuzzing`).

use std::net::IpAddr;
use std::path::Path;

use rfou::fou::PORT_KEYS;
use rfou::fuzzing::encode_port_add;
use rfou::tunnel::{TunnelMode, ValueKind, KEYS};
use rfou::FouPort;
use rfou_fuzz::{FILE, VALUES};
use rfou_uapi::fou::*;
use rfou_uapi::tunnel::*;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 2;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const RTM_NEWLINK: u16 = 16;
const FOU_FAMILY: u16 = 0x1c;
/// The netlink header.
const HEADER_LEN: usize = 16;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed file");
}

/// One netlink message: header (native order, as the kernel writes it) and body, padded.
fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = ((HEADER_LEN + body.len()) as u32).to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(body);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// One attribute: length and type in native order, the value as given, padded to 4.
fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut out = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

fn words() {
    let lines = [
        "add port 5555 ipproto 4",
        "add port 5560 ipproto gre",
        "add port 5561 gue local 192.0.2.1 dev dummy0",
        "add port 5562 ipproto ipip local 192.0.2.1 peer 192.0.2.2 peer_port 5563 remcsum_nopartial",
        "-6 add port 5560 ipproto ipv6",
        "add port 5557 ipproto gre peer 192.0.2.2 peer_port 5557 -4",
        "del port 5556 -6",
        "delete port 5555 local fe80::1 dev eth0 -6",
        "-j -p show",
        "-n blue show port 5555",
        "tunnel add gre1 mode gre remote 192.0.2.2 local 192.0.2.1 ttl 64 tos inherit key 5 encap gue encap-dport 5556 encap-sport auto",
        "tunnel add ip6tnl1 mode ipip6 remote 2001:db8::2 local 2001:db8::1 encaplimit none hoplimit 64 tclass 0x10 flowlabel 5",
        "tunnel add g6 mode ip6gretap remote 2001:db8::2 ikey 1.2.3.4 okey 7 seq csum encap fou encap-dport 5555 encap-udp6-csum",
        "tunnel add s1 mode sit remote any local 192.0.2.1 isatap nopmtudisc mtu 1400 up",
        "tunnel change gre1 encap-csum noencap-remcsum ttl inherit ignore-df",
        "tunnel encap dev sit1 fou encap-dport 5557",
        "tunnel encap dev tun1 none",
        "tunnel del tun1",
        "-j tunnel show sit1",
        "doctor dev tun1",
        "apply --check --prune site.toml",
        "apply --defer-bound -",
        "export",
        "help tunnel",
        "-b ports.txt --atomic",
        "--netns blue --json --batch - --force",
    ];
    for (index, line) in lines.iter().enumerate() {
        write(
            "words",
            &index.to_string(),
            line.replace(' ', "\0").as_bytes(),
        );
    }
}

fn batch() {
    let texts = [
        concat!(
            "# ports\nadd port 5555 ipproto 4\nadd port 5556 gue -6 # GUE\n\n",
            "tunnel add tun1 mode ipip remote 192.0.2.2 encap fou encap-dport 5555\n",
            "tunnel del tun1\n  tunnel  del\ttun2\r\nfrobnicate\n"
        ),
        "help\napply f.toml\nexport\ndel port 5555\n",
        "tunnel change tun1 ttl 64\ntunnel encap dev tun1 gue encap-dport 6080\r",
    ];
    for (index, text) in texts.iter().enumerate() {
        write("batch", &index.to_string(), text.as_bytes());
    }
}

fn state() {
    let example = include_str!("../packaging/rfou.toml");
    let uncommented: String = example
        .lines()
        .filter_map(|l| l.strip_prefix("# ").or(l.strip_prefix("#")))
        .filter(|l| l.starts_with('[') || l.contains(" = "))
        .map(|l| format!("{l}\n"))
        .collect();
    write("state", "0", uncommented.as_bytes());
    let files = [
        concat!(
            "[[port]]\nport = 5555\nipproto = 4\nfamily = \"inet6\"\nlocal = \"2001:db8::1\"\n",
            "dev = \"eth0\"\nremcsum_nopartial = true\n\n",
            "[[port]]\nport = 5557\nipproto = \"gre\"\npeer = \"192.0.2.2\"\npeer_port = 5557\n\n",
            "[[tunnel]]\nname = \"g6\"\nmode = \"ip6gretap\"\nremote = \"2001:db8::2\"\n",
            "ikey = \"1.2.3.4\"\nokey = 7\nseq = true\nencap = \"gue\"\nencap-dport = 5556\n",
            "encap-csum6 = true\nencaplimit = \"none\"\ntclass = \"0x10\"\nmtu = 1400\n\n",
            "[[tunnel]]\nname = \"s1\"\nmode = \"sit\"\nlocal = \"192.0.2.1\"\ndev = \"g6\"\n",
            "isatap = true\nttl = \"inherit\"\ntos = 16\npmtudisc = false\nup = false\n"
        ),
        "[[port]]\nport = 0\n",
        "[[tunnel]]\nname = \"t\"\nmode = \"gre\"\nkey = 5\nikey = 6\n",
    ];
    for (index, text) in files.iter().enumerate() {
        write("state", &(index + 1).to_string(), text.as_bytes());
    }
    state_settings();
}

/// Every setting of every entry the desired-state reader takes, one file each: for each
/// tunnel mode, each of its keys (`KEYS`) given each value the reader takes of `VALUES`, its
/// own words, `true`, `false` and a few numbers; for ports, each of `PORT_KEYS` alike. A
/// setting that needs others (an encap option needs `encap`, some modes need `remote`) gets
/// the first of a few bases under which the reader takes it. The files go NUL between them
/// (as the target reads them) in bundles of up to 4,000 bytes (libFuzzer's longest input
/// is 4,096). Without them the fuzzer has to put a mode, a key that applies to it and a
/// value it takes together by mutation before it reaches what the reader does with them.
fn state_settings() {
    let mut values: Vec<String> = ["true", "false", "64", "1400", "1480"]
        .map(String::from)
        .to_vec();
    for value in VALUES {
        values.push(format!("\"{value}\""));
        if value.parse::<i64>().is_ok() {
            values.push(value.to_string());
        }
    }
    let with_words = |kind: ValueKind| -> Vec<String> {
        let mut all = values.clone();
        if let ValueKind::Words(words) = kind {
            all.extend(words.iter().map(|w| format!("\"{w}\"")));
        }
        all
    };
    let tunnel_bases = [
        "",
        "remote = \"192.0.2.2\"\nlocal = \"192.0.2.1\"\n",
        "remote = \"2001:db8::2\"\nlocal = \"2001:db8::1\"\n",
        "encap = \"gue\"\nencap-dport = 5555\n",
        "remote = \"192.0.2.2\"\nencap = \"fou\"\nencap-dport = 5555\n",
        "remote = \"2001:db8::2\"\nencap = \"gue\"\nencap-dport = 5555\n",
    ];
    let mut files = Vec::new();
    for mode in TunnelMode::WORDS {
        for key in KEYS {
            for value in with_words(key.value) {
                let taken = tunnel_bases
                    .iter()
                    .map(|base| {
                        format!(
                            "[[tunnel]]\nname = \"t\"\nmode = \"{mode}\"\n{base}{} = {value}\n",
                            key.name
                        )
                    })
                    .find(|text| rfou::state::parse(FILE, text).is_ok());
                files.extend(taken);
            }
        }
    }
    for (key, _) in PORT_KEYS {
        for value in with_words(ValueKind::Typed) {
            let taken = ["port = 5555\n", "port = 5555\nlocal = \"192.0.2.1\"\n"]
                .iter()
                .map(|base| format!("[[port]]\n{base}{key} = {value}\n"))
                .find(|text| rfou::state::parse(FILE, text).is_ok());
            files.extend(taken);
        }
    }
    let mut bundles: Vec<String> = Vec::new();
    for file in files {
        match bundles.last_mut() {
            Some(bundle) if bundle.len() + 1 + file.len() <= 4000 => {
                bundle.push('\0');
                bundle.push_str(&file);
            }
            _ => bundles.push(file),
        }
    }
    for (index, bundle) in bundles.iter().enumerate() {
        write("state", &format!("settings-{index}"), bundle.as_bytes());
    }
    println!("state: {} bundles of settings", bundles.len());
}

/// A fou reply's payload in the kernel's order (`fou_fill_info`): AF, PORT, PEER_PORT,
/// IPPROTO, TYPE, IFINDEX, [REMCSUM_NOPARTIAL], LOCAL, PEER; unset values as zeroes.
fn fou_entry(af: u8, port: u16, proto: u8, kind: u8, local: &[u8], peer: &[u8]) -> Vec<u8> {
    let (local_type, peer_type) = if af == 2 {
        (FOU_ATTR_LOCAL_V4, FOU_ATTR_PEER_V4)
    } else {
        (FOU_ATTR_LOCAL_V6, FOU_ATTR_PEER_V6)
    };
    [
        vec![FOU_CMD_GET, FOU_GENL_VERSION, 0, 0],
        attr(FOU_ATTR_AF, &[af]),
        attr(FOU_ATTR_PORT, &port.to_be_bytes()),
        attr(FOU_ATTR_PEER_PORT, &7777u16.to_be_bytes()),
        attr(FOU_ATTR_IPPROTO, &[proto]),
        attr(FOU_ATTR_TYPE, &[kind]),
        attr(FOU_ATTR_IFINDEX, &300i32.to_ne_bytes()),
        attr(FOU_ATTR_REMCSUM_NOPARTIAL, &[]),
        attr(local_type, local),
        attr(peer_type, peer),
    ]
    .concat()
}

fn fou() {
    write(
        "fou_reply",
        "0",
        &fou_entry(2, 5555, 4, 1, &[0; 4], &[0; 4]),
    );
    write(
        "fou_reply",
        "1",
        &fou_entry(10, 6080, 0, 2, &[0; 16], &[0; 16]),
    );
    write(
        "fou_reply",
        "2",
        &fou_entry(2, 5558, 4, 1, &[10, 0, 0, 1], &[10, 0, 0, 2]),
    );
    // The same ports as rfou's encoder writes them (an add: the same attributes).
    let address = |text: &str| text.parse::<IpAddr>().expect("an address");
    let mut bound = FouPort::direct(5555, 47).with_peer(address("2001:db8::2"), Some(6));
    bound.local = Some(address("2001:db8::1"));
    bound.ifindex = Some(3);
    bound.remcsum_nopartial = true;
    let ports = [bound, FouPort::gue(7), FouPort::direct(8, 4).ipv6()];
    for (index, port) in ports.iter().enumerate() {
        let request = encode_port_add(port, FOU_FAMILY);
        write(
            "fou_reply",
            &(index + 3).to_string(),
            &request[HEADER_LEN..],
        );
    }
}

/// A `link_reply` input: the kind (its index in the target's list), the flags (1 up, 2
/// point-to-point, 4 broadcast), the MTU, then the tunnel attributes (`IFLA_INFO_DATA`).
fn link(kind: u8, flags: u8, data: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![kind, flags];
    out.extend_from_slice(&1472u32.to_ne_bytes());
    out.extend(data.concat());
    out
}

/// The encapsulation attributes of ipip, sit and ip6tnl (`IFLA_IPTUN_ENCAP_*`), then the
/// same of gre and its kin: type and flags in host order, ports big-endian.
fn iptun_encap(kind: u16, flags: u16, sport: u16, dport: u16) -> Vec<Vec<u8>> {
    vec![
        attr(IFLA_IPTUN_ENCAP_TYPE, &kind.to_ne_bytes()),
        attr(IFLA_IPTUN_ENCAP_FLAGS, &flags.to_ne_bytes()),
        attr(IFLA_IPTUN_ENCAP_SPORT, &sport.to_be_bytes()),
        attr(IFLA_IPTUN_ENCAP_DPORT, &dport.to_be_bytes()),
    ]
}

fn gre_encap(kind: u16, flags: u16, sport: u16, dport: u16) -> Vec<Vec<u8>> {
    vec![
        attr(IFLA_GRE_ENCAP_TYPE, &kind.to_ne_bytes()),
        attr(IFLA_GRE_ENCAP_FLAGS, &flags.to_ne_bytes()),
        attr(IFLA_GRE_ENCAP_SPORT, &sport.to_be_bytes()),
        attr(IFLA_GRE_ENCAP_DPORT, &dport.to_be_bytes()),
    ]
}

fn links() {
    let v4 = |last: u8| [192, 0, 2, last];
    let v6 = |last: u8| {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[15] = last;
        a
    };
    let ipip = [
        vec![
            attr(IFLA_IPTUN_LINK, &2u32.to_ne_bytes()),
            attr(IFLA_IPTUN_LOCAL, &v4(1)),
            attr(IFLA_IPTUN_REMOTE, &v4(2)),
            attr(IFLA_IPTUN_TTL, &[64]),
            attr(IFLA_IPTUN_TOS, &[1]),
            attr(IFLA_IPTUN_PROTO, &[4]),
            attr(IFLA_IPTUN_PMTUDISC, &[1]),
            attr(IFLA_IPTUN_FWMARK, &0u32.to_ne_bytes()),
        ],
        iptun_encap(TUNNEL_ENCAP_FOU, 0, 0, 5555),
    ]
    .concat();
    let sit = [
        vec![
            attr(IFLA_IPTUN_LOCAL, &v4(1)),
            attr(IFLA_IPTUN_REMOTE, &[0; 4]),
            attr(IFLA_IPTUN_FLAGS, &SIT_ISATAP.to_ne_bytes()),
            attr(IFLA_IPTUN_PROTO, &[41]),
        ],
        iptun_encap(
            TUNNEL_ENCAP_GUE,
            TUNNEL_ENCAP_FLAG_CSUM | TUNNEL_ENCAP_FLAG_REMCSUM,
            1234,
            5556,
        ),
    ]
    .concat();
    let ip6tnl = [
        vec![
            attr(IFLA_IPTUN_LOCAL, &v6(1)),
            attr(IFLA_IPTUN_REMOTE, &v6(2)),
            attr(IFLA_IPTUN_TTL, &[64]),
            attr(IFLA_IPTUN_ENCAP_LIMIT, &[4]),
            attr(IFLA_IPTUN_FLOWINFO, &0x0100_0005u32.to_be_bytes()),
            attr(IFLA_IPTUN_FLAGS, &0x30000u32.to_ne_bytes()),
            attr(IFLA_IPTUN_PROTO, &[0]),
        ],
        iptun_encap(TUNNEL_ENCAP_FOU, TUNNEL_ENCAP_FLAG_CSUM6, 0, 5555),
    ]
    .concat();
    let keyed = |local: Vec<u8>, remote: Vec<u8>, encap: Vec<Vec<u8>>| {
        [
            vec![
                attr(IFLA_GRE_LINK, &0u32.to_ne_bytes()),
                attr(IFLA_GRE_IFLAGS, &(GRE_KEY | GRE_SEQ).to_be_bytes()),
                attr(IFLA_GRE_OFLAGS, &(GRE_KEY | GRE_CSUM).to_be_bytes()),
                attr(IFLA_GRE_IKEY, &5u32.to_be_bytes()),
                attr(IFLA_GRE_OKEY, &6u32.to_be_bytes()),
                attr(IFLA_GRE_LOCAL, &local),
                attr(IFLA_GRE_REMOTE, &remote),
                attr(IFLA_GRE_TTL, &[0]),
                attr(IFLA_GRE_TOS, &[0]),
                attr(IFLA_GRE_PMTUDISC, &[1]),
                attr(IFLA_GRE_IGNORE_DF, &[0]),
            ],
            encap,
        ]
        .concat()
    };
    let gre = keyed(
        v4(1).to_vec(),
        v4(2).to_vec(),
        gre_encap(TUNNEL_ENCAP_GUE, 5, 1234, 5556),
    );
    let gretap = keyed(
        v4(1).to_vec(),
        vec![0; 4],
        gre_encap(TUNNEL_ENCAP_FOU, 0, 0, 5555),
    );
    let ip6gre = keyed(
        v6(1).to_vec(),
        v6(2).to_vec(),
        gre_encap(TUNNEL_ENCAP_FOU, 2, 0, 5555),
    );
    let ip6gretap = keyed(
        v6(1).to_vec(),
        v6(2).to_vec(),
        gre_encap(TUNNEL_ENCAP_NONE, 0, 0, 0),
    );
    // Kinds in the target's order: ipip, sit, ip6tnl, gre, gretap, ip6gre, ip6gretap. Up,
    // and point-to-point where the remote is one address.
    let tunnels = [
        (0, 3, ipip),
        (1, 1, sit),
        (2, 3, ip6tnl),
        (3, 3, gre),
        (4, 1, gretap),
        (5, 3, ip6gre),
        (6, 3, ip6gretap),
    ];
    for (index, (kind, flags, data)) in tunnels.iter().enumerate() {
        write("link_reply", &index.to_string(), &link(*kind, *flags, data));
    }
}

fn acks() {
    // The window's first request is 7: its number, then the datagram.
    let first = 7u32.to_ne_bytes();
    let request = message(FOU_FAMILY, 5, 7, &[]);
    let text = b"bad port\0";
    let mut failed = (-22i32).to_ne_bytes().to_vec();
    failed.extend_from_slice(&request);
    failed.extend(attr(1, text));
    let mut acked = 0i32.to_ne_bytes().to_vec();
    acked.extend_from_slice(&request);
    let datagram = [
        message(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 8, &failed),
        message(NLMSG_ERROR, NLM_F_CAPPED, 9, &acked),
        message(NLMSG_DONE, NLM_F_MULTI, 10, &(-1i32).to_ne_bytes()),
        message(FOU_FAMILY, NLM_F_MULTI, 11, &[1, 2, 3, 4]),
        message(NLMSG_ERROR, NLM_F_CAPPED, 70, &acked),
    ]
    .concat();
    write("ack", "0", &[&first[..], &datagram].concat());
    // An uncapped error: the whole request comes back before the attributes.
    let mut uncapped = (-17i32).to_ne_bytes().to_vec();
    uncapped.extend_from_slice(&message(RTM_NEWLINK, 5, 7, &[0; 16]));
    uncapped.extend(attr(1, text));
    let datagram = message(NLMSG_ERROR, NLM_F_ACK_TLVS, 7, &uncapped);
    write("ack", "1", &[&first[..], &datagram].concat());
}

fn sock_diag() {
    // The family asked for (0 IPv4, 1 IPv6), then struct inet_diag_msg of a UDP socket:
    // family, state, timer, retransmits, the socket id (ports big-endian, addresses,
    // interface, cookie), expires, queues, uid, inode.
    for (index, (selector, af, local, peer)) in [
        (0u8, 2u8, [10, 0, 0, 1].to_vec(), [10, 0, 0, 2].to_vec()),
        (
            1,
            10,
            [&[0x20, 1, 0xd, 0xb8][..], &[0; 11], &[1]].concat(),
            vec![0; 16],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = vec![selector, af, 7, 0, 0];
        body.extend_from_slice(&5555u16.to_be_bytes());
        body.extend_from_slice(&6666u16.to_be_bytes());
        body.extend_from_slice(&local);
        body.extend_from_slice(&vec![0; 16 - local.len()]);
        body.extend_from_slice(&peer);
        body.extend_from_slice(&vec![0; 16 - peer.len()]);
        body.extend_from_slice(&1u32.to_ne_bytes());
        body.extend_from_slice(&[0xff; 8]);
        body.extend_from_slice(&[0; 20]);
        write("sock_diag", &index.to_string(), &body);
    }
}

fn main() {
    words();
    batch();
    state();
    fou();
    links();
    acks();
    sock_diag();
}
