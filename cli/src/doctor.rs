//! `rfou doctor`: what rfou needs in a namespace, what is missing, and how to fix it.
//! It looks and changes nothing: no module is loaded, no setting written.

use std::process::Command;

use serde::Serialize;

use rfou::tunnel::{EncapType, TunnelKind};
use rfou::{modules, Handle, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but worth knowing (a module rfou will load when needed).
    Note,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub ok: bool,
    pub netns: Option<String>,
    pub checks: Vec<Check>,
}

fn check(check: &str, status: Status, detail: String, fix: Option<String>) -> Check {
    Check {
        check: check.to_string(),
        status,
        detail,
        fix,
    }
}

/// Whether `modprobe` could load `name` (a dry run: `modprobe -n`).
fn loadable(name: &str) -> bool {
    Command::new("modprobe")
        .args(["-n", "-q", name])
        .status()
        .is_ok_and(|s| s.success())
}

fn module(name: &str, why: &str, on_demand: bool) -> Check {
    let label = format!("module {name}");
    if modules::is_loaded(name) {
        return check(&label, Status::Ok, format!("loaded ({why})"), None);
    }
    if loadable(name) {
        let detail = if on_demand {
            format!("not loaded; the kernel loads it on demand ({why})")
        } else {
            format!("not loaded; rfou loads it when needed ({why})")
        };
        return check(&label, Status::Note, detail, None);
    }
    check(
        &label,
        Status::Fail,
        format!("not loaded and modprobe cannot find it ({why})"),
        Some(format!(
            "install the kernel's modules package, or use a kernel with {name} (modprobe {name})"
        )),
    )
}

/// CAP_NET_ADMIN (bit 12) in the effective set of this process.
fn has_net_admin() -> Option<bool> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    let caps = u64::from_str_radix(hex, 16).ok()?;
    Some(caps & (1 << 12) != 0)
}

impl Report {
    /// Whether nothing failed.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a report serializes")
    }

    /// The report as text: one line a check, with the fix under it.
    pub fn text(&self) -> String {
        text(self)
    }
}

/// Runs every check in the namespace of `handle` (of device `dev` alone, where given).
pub fn run(handle: &mut Handle, dev: Option<&str>) -> Result<Report> {
    if let Some(dev) = dev {
        handle.ifindex(dev)?;
    }
    Ok(run_all(handle))
}

fn run_all(handle: &mut Handle) -> Report {
    let mut checks = Vec::new();
    checks.push(match has_net_admin() {
        Some(true) => check(
            "privileges",
            Status::Ok,
            "CAP_NET_ADMIN is in effect".into(),
            None,
        ),
        Some(false) => check(
            "privileges",
            Status::Fail,
            "no CAP_NET_ADMIN: the kernel will refuse every change (EPERM)".into(),
            Some("run rfou as root, or grant it CAP_NET_ADMIN".into()),
        ),
        None => check(
            "privileges",
            Status::Note,
            "cannot read /proc/self/status".into(),
            None,
        ),
    });
    checks.push(module(
        "fou",
        "FOU/GUE receive ports and IPv4 transmit",
        false,
    ));
    checks.push(module("fou6", "FOU/GUE transmit on IPv6 underlays", false));
    for (name, kinds) in [
        ("ipip", "ipip"),
        ("ip_gre", "gre, gretap"),
        ("sit", "sit"),
        ("ip6_tunnel", "ip6tnl"),
        ("ip6_gre", "ip6gre, ip6gretap"),
    ] {
        checks.push(module(name, &format!("{kinds} tunnels"), true));
    }
    checks.push(if handle.has_genl_family("fou") {
        check(
            "genl family fou",
            Status::Ok,
            format!("known in {}", handle.place()),
            None,
        )
    } else if modules::is_loaded("fou") {
        check(
            "genl family fou",
            Status::Fail,
            "the fou module is loaded but the controller does not know the family".into(),
            Some("reload it: modprobe -r fou && modprobe fou".into()),
        )
    } else {
        check(
            "genl family fou",
            Status::Note,
            "absent until the fou module is loaded".into(),
            None,
        )
    });
    checks.extend(tunnel_mtus(handle));
    Report {
        ok: checks.iter().all(|c| c.status != Status::Fail),
        netns: handle.netns().map(str::to_string),
        checks,
    }
}

/// For each FOU/GUE tunnel: the MTU it has against the MTU that fits its path.
fn tunnel_mtus(handle: &mut Handle) -> Vec<Check> {
    let tunnels = match handle.tunnels() {
        Ok(tunnels) => tunnels,
        Err(err) => {
            return vec![check(
                "tunnels",
                Status::Fail,
                format!("cannot list tunnels: {err}"),
                None,
            )]
        }
    };
    let mut checks = Vec::new();
    for tunnel in tunnels.iter().filter(|t| t.encap.kind != EncapType::None) {
        let label = format!("mtu {}", tunnel.name);
        let underlay = match handle.underlay_mtu(tunnel) {
            Ok(mtu) => mtu,
            Err(err) => {
                checks.push(check(
                    &label,
                    Status::Fail,
                    format!("cannot find the underlay: {err}"),
                    None,
                ));
                continue;
            }
        };
        let fits = tunnel.fitting_mtu(underlay);
        let what = format!(
            "{} {} over {} ({})",
            tunnel.kind.name(),
            tunnel.name,
            tunnel.encap.kind,
            match underlay {
                Some(mtu) => format!("underlay MTU {mtu}"),
                None => "no route to its remote and no bound device".to_string(),
            }
        );
        checks.push(if tunnel.mtu <= fits {
            check(&label, Status::Ok, format!("{what}: MTU {} fits (at most {fits})", tunnel.mtu), None)
        } else {
            check(
                &label,
                Status::Fail,
                format!(
                    "{what}: MTU {} is larger than the {fits} that fit; full-size packets will be fragmented or dropped",
                    tunnel.mtu
                ),
                Some(if tunnel.kind == TunnelKind::Ip6Tnl || tunnel.kind.ipv6_underlay() {
                    format!("ip link set {} mtu {fits}", tunnel.name)
                } else {
                    format!(
                        "rfou tunnel encap dev {0} {1} encap-dport {2} (sets the MTU), or ip link set {0} mtu {fits}",
                        tunnel.name,
                        tunnel.encap.kind,
                        tunnel.encap.dport
                    )
                }),
            )
        });
    }
    checks
}

/// The report as text: one line a check, with the fix under it.
fn text(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Note => "note",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!("{mark}  {}: {}\n", c.check, c.detail));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("      fix: {fix}\n"));
        }
    }
    out.push_str(if report.ok {
        "all is well\n"
    } else {
        "problems found: see FAIL above\n"
    });
    out
}
