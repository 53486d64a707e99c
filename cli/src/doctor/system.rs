//! The checks of the kernel and of rfou itself: `module` (fou, and fou6 where IPv6 is used)
//! and `privilege`.

use rfou::fou::{fou_module, tunnel_encap_support, Family, FouModule};
use rfou::privilege;

use super::{listed, Check, ObjectKind, Scene, Status};

/// The module checks, then the privilege check.
pub fn checks(scene: &Scene) -> Vec<Check> {
    let mut checks = vec![module(scene, Family::Inet)];
    let ports6 = scene.ports.iter().any(|p| p.family == Family::Inet6);
    if ports6 || scene.tunnels.iter().any(|t| t.family() == Family::Inet6) {
        checks.push(module(scene, Family::Inet6));
    }
    checks.push(privilege_check(privilege::has_net_admin()));
    checks
}

/// What the module check weighs, read once.
pub struct ModuleFacts {
    pub module: FouModule,
    /// The tunnels that need the module to send (FOU or GUE over this family).
    pub senders: Vec<String>,
    /// Whether the module is needed for receive ports (fou) or only by the senders (fou6).
    pub has_ports: bool,
    /// Whether the kernel's module can encapsulate tunnels; `None` where nothing says.
    pub tunnel_support: Option<bool>,
    /// Where `tunnel_support` comes from, for the detail.
    pub support_from: &'static str,
    /// The kernel's release, for the detail.
    pub release: String,
}

fn module(scene: &Scene, family: Family) -> Check {
    let senders: Vec<String> = scene
        .tunnels
        .iter()
        .filter(|t| t.family() == family)
        .map(|t| t.tunnel.name.clone())
        .collect();
    let module = fou_module(family);
    // A tunnel that has `encap fou` or `gue` over this family proves the module can
    // encapsulate: the kernel refuses the encapsulation where the module has no tunnel ops.
    let (tunnel_support, support_from) = if !senders.is_empty() {
        (Some(true), "tunnels use it")
    } else {
        match tunnel_encap_support(family) {
            Some(built) => (Some(built), "the kernel's configuration or symbols"),
            None => (None, ""),
        }
    };
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|r| r.trim().to_string())
        .unwrap_or_else(|_| "this kernel".into());
    let has_ports = match family {
        Family::Inet => true,
        Family::Inet6 => scene.ports.iter().any(|p| p.family == Family::Inet6),
    };
    module_check(
        &ModuleFacts {
            module,
            senders,
            has_ports,
            tunnel_support,
            support_from,
            release,
        },
        scene,
    )
}

/// The module check from its facts (a pure function, tested below).
pub fn module_check(facts: &ModuleFacts, scene: &Scene) -> Check {
    let name = facts.module.name;
    let (option, family) = match name {
        "fou" => ("CONFIG_NET_FOU_IP_TUNNELS", "IPv4"),
        _ => ("CONFIG_IPV6_FOU_TUNNEL", "IPv6"),
    };
    let senders: Vec<&str> = facts.senders.iter().map(String::as_str).collect();
    let check = |status, detail: String| {
        Check::new("module", ObjectKind::Kernel, "kernel", status, detail)
            .with_check_name(&format!("module {name}"))
    };
    if facts.tunnel_support == Some(false) {
        return check(
            Status::Fail,
            format!(
                "{} was built without FOU tunnel support ({option} is not set): {name} can \
                 receive, but the kernel refuses `encap fou` and `encap gue` on every {family} \
                 tunnel; a kernel built with {option}=y is needed",
                facts.release
            ),
        );
    }
    if facts.module.loaded {
        let detail = match (facts.tunnel_support, senders.is_empty()) {
            (Some(true), false) => format!(
                "loaded; it builds the FOU and GUE headers of {}",
                listed(&senders)
            ),
            (Some(true), true) => format!(
                "loaded, with FOU tunnel support ({option}, from {})",
                facts.support_from
            ),
            _ => {
                return check(
                    Status::Unknown,
                    format!(
                        "loaded; whether it can encapsulate tunnels is not known (no copy of \
                         the kernel's configuration names {option}, and /proc/kallsyms could \
                         not be read)"
                    ),
                )
            }
        };
        return check(Status::Ok, detail);
    }
    let fix = facts.module.loadable.then(|| scene.fixes.modprobe(name));
    if !senders.is_empty() {
        let missing = if facts.module.loadable {
            format!("the {name} module is not loaded")
        } else {
            format!("{} has no {name} module", facts.release)
        };
        let verb = if senders.len() == 1 { "sends" } else { "send" };
        return check(
            Status::Fail,
            format!(
                "{} {verb} FOU or GUE over {family}, but {missing}: the kernel drops every \
                 packet they send, because {name} builds the encapsulation",
                listed(&senders)
            ),
        )
        .with_fix(fix);
    }
    if !facts.module.loadable {
        let what = if facts.has_ports {
            "no receive port and no FOU/GUE tunnel can work"
        } else {
            "IPv6 tunnels cannot send FOU or GUE"
        };
        let status = if facts.has_ports && name == "fou" {
            Status::Fail
        } else {
            Status::Note
        };
        return check(
            status,
            format!(
                "{} has no {name} module (not built in, and not in /lib/modules): {what}",
                facts.release
            ),
        );
    }
    let detail = match name {
        "fou" => "not loaded, and loadable: `rfou add port` loads it; `ip link ... encap fou` \
                  needs it loaded first"
            .to_string(),
        _ => "not loaded, and loadable: IPv6 receive ports work without it; an IPv6 tunnel \
              with `encap fou` or `gue` needs it to send (`rfou tunnel` loads it)"
            .to_string(),
    };
    check(Status::Note, detail)
}

/// The privilege check from whether CAP_NET_ADMIN is in effect.
pub fn privilege_check(net_admin: Option<bool>) -> Check {
    let check = |status, detail: &str| {
        Check::new(
            "privilege",
            ObjectKind::Process,
            "rfou",
            status,
            detail.to_string(),
        )
    };
    match net_admin {
        Some(true) => check(Status::Ok, "rfou runs with CAP_NET_ADMIN in effect"),
        Some(false) => check(
            Status::Warn,
            "rfou runs without CAP_NET_ADMIN: it can read what this report says, but the \
             kernel refuses every change it would make (EPERM), the fixes below included; run \
             it as root, or give it CAP_NET_ADMIN",
        ),
        None => check(
            Status::Unknown,
            "cannot read /proc/self/status to know whether CAP_NET_ADMIN is in effect",
        ),
    }
}

impl Check {
    /// The same check under another name (`module fou6`, whose object is the kernel).
    fn with_check_name(mut self, name: &str) -> Self {
        self.check = name.to_string();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::fix::Fixes;

    fn scene() -> Scene {
        Scene {
            netns: None,
            fixes: Fixes::new(None),
            devices: Default::default(),
            tunnels: Vec::new(),
            ports: Vec::new(),
        }
    }

    fn facts(loaded: bool, loadable: bool, senders: &[&str], support: Option<bool>) -> ModuleFacts {
        ModuleFacts {
            module: FouModule {
                name: "fou",
                loaded,
                loadable,
            },
            senders: senders.iter().map(|s| s.to_string()).collect(),
            has_ports: true,
            tunnel_support: support,
            support_from: "test",
            release: "7.2.13".into(),
        }
    }

    #[test]
    fn a_kernel_without_fou_tunnel_support_fails() {
        let check = module_check(&facts(true, true, &[], Some(false)), &scene());
        assert_eq!(
            (check.check.as_str(), check.status),
            ("module fou", Status::Fail)
        );
        assert!(
            check.detail.contains("CONFIG_NET_FOU_IP_TUNNELS"),
            "{check:?}"
        );
        let check = module_check(&facts(false, false, &[], None), &scene());
        assert_eq!(check.status, Status::Fail, "{check:?}");
        assert_eq!(check.fix, None);
    }

    #[test]
    fn a_module_tunnels_need_fails_where_it_is_not_loaded() {
        let check = module_check(&facts(false, true, &["t1"], Some(true)), &scene());
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.fix.as_deref(), Some("modprobe fou"));
        assert!(
            check.detail.starts_with("t1 sends FOU or GUE over IPv4"),
            "{check:?}"
        );
        let check = module_check(&facts(false, true, &[], Some(true)), &scene());
        assert_eq!(check.status, Status::Note);
        let check = module_check(&facts(true, true, &["t1", "t2"], Some(true)), &scene());
        assert_eq!(check.status, Status::Ok);
        assert!(check.detail.contains("t1 and t2"), "{check:?}");
        let check = module_check(&facts(true, true, &[], None), &scene());
        assert_eq!(check.status, Status::Unknown);
    }

    #[test]
    fn no_net_admin_is_a_warning() {
        assert_eq!(privilege_check(Some(false)).status, Status::Warn);
        assert_eq!(privilege_check(Some(true)).status, Status::Ok);
        assert_eq!(privilege_check(Some(true)).check, "privilege");
    }
}
