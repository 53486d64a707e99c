//! Checks every constant of `rfou-uapi` against the kernel UAPI headers
//! installed on this machine (`/usr/include/linux/{fou,if_tunnel,ip6_tunnel}.h`).
//!
//! A small C program that prints `NAME VALUE` for each constant is compiled
//! with `cc` (or `$CC`) and run. A missing compiler or missing headers is a
//! test failure naming what to install, never a skip.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rfou_uapi::{fou, tunnel};

const INSTALL_HINT: &str = "install a C compiler and the Linux UAPI headers: \
                            `apt-get install gcc linux-libc-dev`";

/// `(name, value)` for every numeric constant of the crate, kept complete by
/// hand; `table_covers_every_constant_of_the_crate` enforces that. `i64::from`
/// keeps the conversion lossless for every constant type.
macro_rules! table {
    ($($module:ident :: $name:ident),* $(,)?) => {
        vec![$((stringify!($name), i64::from($module::$name))),*]
    };
}

fn rust_table() -> Vec<(&'static str, i64)> {
    table![
        // fou.h
        fou::FOU_GENL_VERSION,
        fou::FOU_ATTR_UNSPEC,
        fou::FOU_ATTR_PORT,
        fou::FOU_ATTR_AF,
        fou::FOU_ATTR_IPPROTO,
        fou::FOU_ATTR_TYPE,
        fou::FOU_ATTR_REMCSUM_NOPARTIAL,
        fou::FOU_ATTR_LOCAL_V4,
        fou::FOU_ATTR_LOCAL_V6,
        fou::FOU_ATTR_PEER_V4,
        fou::FOU_ATTR_PEER_V6,
        fou::FOU_ATTR_PEER_PORT,
        fou::FOU_ATTR_IFINDEX,
        fou::FOU_ATTR_MAX,
        fou::FOU_CMD_UNSPEC,
        fou::FOU_CMD_ADD,
        fou::FOU_CMD_DEL,
        fou::FOU_CMD_GET,
        fou::FOU_CMD_MAX,
        fou::FOU_ENCAP_UNSPEC,
        fou::FOU_ENCAP_DIRECT,
        fou::FOU_ENCAP_GUE,
        // if_tunnel.h: IFLA_IPTUN_*
        tunnel::IFLA_IPTUN_UNSPEC,
        tunnel::IFLA_IPTUN_LINK,
        tunnel::IFLA_IPTUN_LOCAL,
        tunnel::IFLA_IPTUN_REMOTE,
        tunnel::IFLA_IPTUN_TTL,
        tunnel::IFLA_IPTUN_TOS,
        tunnel::IFLA_IPTUN_ENCAP_LIMIT,
        tunnel::IFLA_IPTUN_FLOWINFO,
        tunnel::IFLA_IPTUN_FLAGS,
        tunnel::IFLA_IPTUN_PROTO,
        tunnel::IFLA_IPTUN_PMTUDISC,
        tunnel::IFLA_IPTUN_6RD_PREFIX,
        tunnel::IFLA_IPTUN_6RD_RELAY_PREFIX,
        tunnel::IFLA_IPTUN_6RD_PREFIXLEN,
        tunnel::IFLA_IPTUN_6RD_RELAY_PREFIXLEN,
        tunnel::IFLA_IPTUN_ENCAP_TYPE,
        tunnel::IFLA_IPTUN_ENCAP_FLAGS,
        tunnel::IFLA_IPTUN_ENCAP_SPORT,
        tunnel::IFLA_IPTUN_ENCAP_DPORT,
        tunnel::IFLA_IPTUN_COLLECT_METADATA,
        tunnel::IFLA_IPTUN_FWMARK,
        tunnel::IFLA_IPTUN_MAX,
        // if_tunnel.h: encapsulation
        tunnel::TUNNEL_ENCAP_NONE,
        tunnel::TUNNEL_ENCAP_FOU,
        tunnel::TUNNEL_ENCAP_GUE,
        tunnel::TUNNEL_ENCAP_MPLS,
        tunnel::TUNNEL_ENCAP_FLAG_CSUM,
        tunnel::TUNNEL_ENCAP_FLAG_CSUM6,
        tunnel::TUNNEL_ENCAP_FLAG_REMCSUM,
        // if_tunnel.h: GRE header flags (be16 in C, compared after __be16_to_cpu)
        tunnel::GRE_CSUM,
        tunnel::GRE_ROUTING,
        tunnel::GRE_KEY,
        tunnel::GRE_SEQ,
        tunnel::SIT_ISATAP,
        // if_tunnel.h: IFLA_GRE_*
        tunnel::IFLA_GRE_UNSPEC,
        tunnel::IFLA_GRE_LINK,
        tunnel::IFLA_GRE_IFLAGS,
        tunnel::IFLA_GRE_OFLAGS,
        tunnel::IFLA_GRE_IKEY,
        tunnel::IFLA_GRE_OKEY,
        tunnel::IFLA_GRE_LOCAL,
        tunnel::IFLA_GRE_REMOTE,
        tunnel::IFLA_GRE_TTL,
        tunnel::IFLA_GRE_TOS,
        tunnel::IFLA_GRE_PMTUDISC,
        tunnel::IFLA_GRE_ENCAP_LIMIT,
        tunnel::IFLA_GRE_FLOWINFO,
        tunnel::IFLA_GRE_FLAGS,
        tunnel::IFLA_GRE_ENCAP_TYPE,
        tunnel::IFLA_GRE_ENCAP_FLAGS,
        tunnel::IFLA_GRE_ENCAP_SPORT,
        tunnel::IFLA_GRE_ENCAP_DPORT,
        tunnel::IFLA_GRE_COLLECT_METADATA,
        tunnel::IFLA_GRE_IGNORE_DF,
        tunnel::IFLA_GRE_FWMARK,
        tunnel::IFLA_GRE_ERSPAN_INDEX,
        tunnel::IFLA_GRE_ERSPAN_VER,
        tunnel::IFLA_GRE_ERSPAN_DIR,
        tunnel::IFLA_GRE_ERSPAN_HWID,
        tunnel::IFLA_GRE_MAX,
        // ip6_tunnel.h
        tunnel::IP6_TNL_F_IGN_ENCAP_LIMIT,
        tunnel::IP6_TNL_F_USE_ORIG_TCLASS,
        tunnel::IP6_TNL_F_USE_ORIG_FLOWLABEL,
        tunnel::IP6_TNL_F_MIP6_DEV,
        tunnel::IP6_TNL_F_RCV_DSCP_COPY,
        tunnel::IP6_TNL_F_USE_ORIG_FWMARK,
        tunnel::IP6_TNL_F_ALLOW_LOCAL_REMOTE,
        tunnel::IPV6_TLV_TNL_ENCAP_LIMIT,
        tunnel::IPV6_DEFAULT_TNL_ENCAP_LIMIT,
    ]
}

/// String constants of the crate, checked separately.
static RUST_STRINGS: &[(&str, &str)] = &[("FOU_GENL_NAME", fou::FOU_GENL_NAME)];

/// The C side, written independently of the Rust table: `N(x)` prints an
/// integer constant, `BE16(x)` a `__be16` one in host order, `S(x)` a string.
const C_PROGRAM: &str = r#"
#include <stdio.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#include <linux/fou.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>

#define N(x) printf("%s %lld\n", #x, (long long)(x))
#define BE16(x) printf("%s %lld\n", #x, (long long)__be16_to_cpu(x))
#define S(x) printf("%s %s\n", #x, x)

int main(void)
{
	S(FOU_GENL_NAME);
	N(FOU_GENL_VERSION);

	N(FOU_ATTR_UNSPEC);
	N(FOU_ATTR_PORT);
	N(FOU_ATTR_AF);
	N(FOU_ATTR_IPPROTO);
	N(FOU_ATTR_TYPE);
	N(FOU_ATTR_REMCSUM_NOPARTIAL);
	N(FOU_ATTR_LOCAL_V4);
	N(FOU_ATTR_LOCAL_V6);
	N(FOU_ATTR_PEER_V4);
	N(FOU_ATTR_PEER_V6);
	N(FOU_ATTR_PEER_PORT);
	N(FOU_ATTR_IFINDEX);
	N(FOU_ATTR_MAX);

	N(FOU_CMD_UNSPEC);
	N(FOU_CMD_ADD);
	N(FOU_CMD_DEL);
	N(FOU_CMD_GET);
	N(FOU_CMD_MAX);

	N(FOU_ENCAP_UNSPEC);
	N(FOU_ENCAP_DIRECT);
	N(FOU_ENCAP_GUE);

	N(IFLA_IPTUN_UNSPEC);
	N(IFLA_IPTUN_LINK);
	N(IFLA_IPTUN_LOCAL);
	N(IFLA_IPTUN_REMOTE);
	N(IFLA_IPTUN_TTL);
	N(IFLA_IPTUN_TOS);
	N(IFLA_IPTUN_ENCAP_LIMIT);
	N(IFLA_IPTUN_FLOWINFO);
	N(IFLA_IPTUN_FLAGS);
	N(IFLA_IPTUN_PROTO);
	N(IFLA_IPTUN_PMTUDISC);
	N(IFLA_IPTUN_6RD_PREFIX);
	N(IFLA_IPTUN_6RD_RELAY_PREFIX);
	N(IFLA_IPTUN_6RD_PREFIXLEN);
	N(IFLA_IPTUN_6RD_RELAY_PREFIXLEN);
	N(IFLA_IPTUN_ENCAP_TYPE);
	N(IFLA_IPTUN_ENCAP_FLAGS);
	N(IFLA_IPTUN_ENCAP_SPORT);
	N(IFLA_IPTUN_ENCAP_DPORT);
	N(IFLA_IPTUN_COLLECT_METADATA);
	N(IFLA_IPTUN_FWMARK);
	N(IFLA_IPTUN_MAX);

	N(TUNNEL_ENCAP_NONE);
	N(TUNNEL_ENCAP_FOU);
	N(TUNNEL_ENCAP_GUE);
	N(TUNNEL_ENCAP_MPLS);
	N(TUNNEL_ENCAP_FLAG_CSUM);
	N(TUNNEL_ENCAP_FLAG_CSUM6);
	N(TUNNEL_ENCAP_FLAG_REMCSUM);

	BE16(GRE_CSUM);
	BE16(GRE_ROUTING);
	BE16(GRE_KEY);
	BE16(GRE_SEQ);
	N(SIT_ISATAP);

	N(IFLA_GRE_UNSPEC);
	N(IFLA_GRE_LINK);
	N(IFLA_GRE_IFLAGS);
	N(IFLA_GRE_OFLAGS);
	N(IFLA_GRE_IKEY);
	N(IFLA_GRE_OKEY);
	N(IFLA_GRE_LOCAL);
	N(IFLA_GRE_REMOTE);
	N(IFLA_GRE_TTL);
	N(IFLA_GRE_TOS);
	N(IFLA_GRE_PMTUDISC);
	N(IFLA_GRE_ENCAP_LIMIT);
	N(IFLA_GRE_FLOWINFO);
	N(IFLA_GRE_FLAGS);
	N(IFLA_GRE_ENCAP_TYPE);
	N(IFLA_GRE_ENCAP_FLAGS);
	N(IFLA_GRE_ENCAP_SPORT);
	N(IFLA_GRE_ENCAP_DPORT);
	N(IFLA_GRE_COLLECT_METADATA);
	N(IFLA_GRE_IGNORE_DF);
	N(IFLA_GRE_FWMARK);
	N(IFLA_GRE_ERSPAN_INDEX);
	N(IFLA_GRE_ERSPAN_VER);
	N(IFLA_GRE_ERSPAN_DIR);
	N(IFLA_GRE_ERSPAN_HWID);
	N(IFLA_GRE_MAX);

	N(IP6_TNL_F_IGN_ENCAP_LIMIT);
	N(IP6_TNL_F_USE_ORIG_TCLASS);
	N(IP6_TNL_F_USE_ORIG_FLOWLABEL);
	N(IP6_TNL_F_MIP6_DEV);
	N(IP6_TNL_F_RCV_DSCP_COPY);
	N(IP6_TNL_F_USE_ORIG_FWMARK);
	N(IP6_TNL_F_ALLOW_LOCAL_REMOTE);
	N(IPV6_TLV_TNL_ENCAP_LIMIT);
	N(IPV6_DEFAULT_TNL_ENCAP_LIMIT);

	return 0;
}
"#;

/// Compiles and runs [`C_PROGRAM`] once per test process; returns its
/// `NAME VALUE` lines as a map. Panics (fails the test) on any problem.
fn c_values() -> &'static BTreeMap<String, String> {
    static VALUES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    VALUES.get_or_init(|| parse_c_output(&run_c_program()))
}

fn run_c_program() -> String {
    let dir = scratch_dir();
    let source = dir.join("kernel_headers.c");
    let binary = dir.join("kernel_headers");
    std::fs::write(&source, C_PROGRAM)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", source.display()));

    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let compiled = Command::new(&cc)
        .arg("-std=gnu99")
        .arg("-Wall")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` ({e}); {INSTALL_HINT}"));
    if !compiled.status.success() {
        panic!(
            "compiling the header check with `{cc}` failed ({}); if a header is \
             missing (linux/fou.h, linux/if_tunnel.h, linux/ip6_tunnel.h), {INSTALL_HINT}. \
             A constant missing from the headers means they are older than this crate \
             expects.\n--- compiler stderr ---\n{}",
            compiled.status,
            String::from_utf8_lossy(&compiled.stderr)
        );
    }

    let ran = Command::new(&binary)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    assert!(
        ran.status.success(),
        "{} exited with {}; stderr:\n{}",
        binary.display(),
        ran.status,
        String::from_utf8_lossy(&ran.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(ran.stdout).expect("C program printed non-UTF-8 output")
}

/// A fresh directory under cargo's per-target temp dir.
fn scratch_dir() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = base.join(format!("kernel-headers-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn parse_c_output(output: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for line in output.lines() {
        let (name, value) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("malformed line from the C program: {line:?}"));
        let previous = values.insert(name.to_owned(), value.to_owned());
        assert!(previous.is_none(), "C program printed {name} twice");
    }
    values
}

fn c_integer(name: &str) -> Option<i64> {
    c_values().get(name).map(|v| {
        v.parse()
            .unwrap_or_else(|e| panic!("C value of {name} is not an integer: {v:?} ({e})"))
    })
}

#[test]
fn constants_match_kernel_headers() {
    let mut mismatches = Vec::new();
    for (name, rust) in rust_table() {
        match c_integer(name) {
            Some(c) if c == rust => {}
            Some(c) => mismatches.push(format!("{name}: rust {rust} ({rust:#x}), C {c} ({c:#x})")),
            None => mismatches.push(format!("{name}: not printed by the C program")),
        }
    }
    assert!(
        mismatches.is_empty(),
        "constants differing from the kernel headers:\n  {}",
        mismatches.join("\n  ")
    );
}

#[test]
fn family_name_matches_kernel_headers() {
    for &(name, rust) in RUST_STRINGS {
        let c = c_values()
            .get(name)
            .unwrap_or_else(|| panic!("{name}: not printed by the C program"));
        assert_eq!(rust, c, "{name}");
    }
    assert_eq!(fou::FOU_GENL_NAME, "fou");
}

/// The comparison cannot pass vacuously: every name of the Rust table is
/// printed by the C program, and everything the C program prints is in a
/// Rust table.
#[test]
fn rust_table_and_c_output_name_the_same_constants() {
    let c_names: BTreeSet<&str> = c_values().keys().map(String::as_str).collect();
    let rust_names: BTreeSet<&str> = rust_table()
        .into_iter()
        .map(|(n, _)| n)
        .chain(RUST_STRINGS.iter().map(|&(n, _)| n))
        .collect();
    assert!(!c_names.is_empty(), "the C program printed nothing");
    let missing_in_c: Vec<_> = rust_names.difference(&c_names).collect();
    let missing_in_rust: Vec<_> = c_names.difference(&rust_names).collect();
    assert!(
        missing_in_c.is_empty(),
        "in the Rust table but not printed by the C program: {missing_in_c:?}"
    );
    assert!(
        missing_in_rust.is_empty(),
        "printed by the C program but not in the Rust table: {missing_in_rust:?}"
    );
}

/// The table above is kept by hand; this compares it with every
/// `pub const` declared in the crate's sources so nothing goes unchecked.
#[test]
fn table_covers_every_constant_of_the_crate() {
    let table = rust_table();
    assert!(!table.is_empty(), "the Rust table is empty");

    let mut table_names = BTreeSet::new();
    let names = table.iter().map(|&(n, _)| n);
    for name in names.chain(RUST_STRINGS.iter().map(|&(n, _)| n)) {
        assert!(table_names.insert(name), "{name} is listed twice");
    }

    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut crate_names = BTreeSet::new();
    collect_pub_consts(&src, &mut crate_names);
    assert!(
        crate_names.len() > 50,
        "found only {} `pub const` items under {}; is the scan broken?",
        crate_names.len(),
        src.display()
    );

    let crate_names: BTreeSet<&str> = crate_names.iter().map(String::as_str).collect();
    let unchecked: Vec<_> = crate_names.difference(&table_names).collect();
    let unknown: Vec<_> = table_names.difference(&crate_names).collect();
    assert!(
        unchecked.is_empty(),
        "constants of the crate missing from the test table: {unchecked:?}"
    );
    assert!(
        unknown.is_empty(),
        "table names not declared as `pub const` in the crate: {unknown:?}"
    );
}

/// Collects the names of `pub const NAME: …` items in every `.rs` file below `dir`.
fn collect_pub_consts(dir: &Path, names: &mut BTreeSet<String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_pub_consts(&path, names);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") || !line.contains("const ") {
                continue;
            }
            let rest = line.strip_prefix("pub const ").unwrap_or_else(|| {
                panic!(
                    "{}:{}: unexpected const declaration {line:?}; declare constants as \
                     `pub const NAME: type = value;` on one line",
                    path.display(),
                    number + 1
                )
            });
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                !name.is_empty(),
                "{}:{}: no name",
                path.display(),
                number + 1
            );
            assert!(
                names.insert(name.clone()),
                "{name} declared twice in the crate"
            );
        }
    }
}
