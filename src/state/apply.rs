//! Applying a [`Plan`], all or nothing: every change made is logged with what undoes it; when
//! the kernel refuses one, the log is undone in reverse and the namespace read back to check
//! that it holds what it held before. Only what was checked is claimed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_route::link::{
    GreIOFlags, InfoGre, InfoGre6, InfoIpTunnel, LinkAttribute, LinkFlags, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use super::plan::{plan, Change, Plan};
use super::{tunnel_tos, Current, DesiredState, DesiredTunnel};
use crate::error::{Error, ErrorKind, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
use crate::modules;
use crate::tunnel::link::{change_link_request, link_name, tunnel_of};
use crate::tunnel::{
    EncapSpec, EncapType, Tunnel, TunnelData, TunnelKind, TunnelSpec, TunnelUpdate,
};

/// What an apply did: the plan it carried out, checked by reading the namespace back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The plan that was carried out.
    pub plan: Plan,
}

/// What undoes one change that was made.
enum Undo {
    DelPort(FouPort),
    AddPort(FouPort),
    DelTunnel(String),
    /// Put every setting, the MTU and the up state back.
    Restore(Tunnel),
    /// Make a deleted tunnel again (a new device: its addresses and routes are gone).
    Recreate(Tunnel),
}

impl Handle {
    /// The namespace's state, read whole: ports (with what the dump loses), tunnels, devices.
    pub fn read_state(&mut self) -> Result<Current> {
        let ports = self.fou_list()?;
        let links = self.links()?;
        Ok(Current {
            ports,
            tunnels: links.iter().filter_map(tunnel_of).collect(),
            devices: links
                .iter()
                .filter_map(|l| Some((link_name(l)?.to_string(), l.header.index)))
                .collect(),
        })
    }

    /// Makes the namespace hold `desired` (see [`plan`]): reads it, plans, applies the plan
    /// all or nothing, and reads it back to check. With `check`, only plans.
    pub fn apply_state(
        &mut self,
        desired: &DesiredState,
        file: &str,
        prune: bool,
        check: bool,
    ) -> Result<Plan> {
        let before = self.read_state()?;
        let planned = plan(desired, &before, prune, file)?;
        if check || planned.is_empty() {
            return Ok(planned);
        }
        self.apply_plan(&planned, &before)?;
        let after = self.read_state()?;
        let left = plan(desired, &after, prune, file)?;
        if !left.is_empty() {
            return Err(Error::system(format!(
                "every change was accepted, but the namespace read back still differs from {file}: {}",
                left.lines().join("; ")
            )));
        }
        Ok(planned)
    }

    /// Carries out `plan` over the state `before` it was made from. On a refusal, undoes what
    /// was done and says whether the namespace reads back as `before`.
    pub fn apply_plan(&mut self, plan: &Plan, before: &Current) -> Result<()> {
        let mut log = Vec::new();
        let mut rest = plan.changes.as_slice();
        while let Some(change) = rest.first() {
            // Port additions in a row go many to a sendmsg, as a batch sends them.
            let adds = rest
                .iter()
                .take_while(|c| matches!(c, Change::AddPort { .. }))
                .count();
            let result = if adds > 1 {
                self.add_ports(&rest[..adds], &mut log)
            } else {
                let what = change.lines().join("; ");
                self.apply_change(change, before, &mut log)
                    .map_err(|err| err.context(&format!("cannot apply `{what}`")))
            };
            if let Err(err) = result {
                let undone = self.undo(log, before);
                return Err(followed_by(err, &undone));
            }
            rest = &rest[adds.max(1)..];
        }
        Ok(())
    }

    /// Adds the ports of `changes` (all [`Change::AddPort`]) many per `sendmsg`, and logs
    /// each one added; the error names the first port refused.
    fn add_ports(&mut self, changes: &[Change], log: &mut Vec<Undo>) -> Result<()> {
        let ports: Vec<FouPort> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddPort { port, .. } => Some(port.clone()),
                _ => None,
            })
            .collect();
        let results = self.fou_add_many(&ports);
        let mut first_error = None;
        for ((result, port), change) in results.into_iter().zip(&ports).zip(changes) {
            match result {
                Ok(()) => log.push(Undo::DelPort(port.clone())),
                Err(err) if first_error.is_none() => {
                    let what = change.lines().join("; ");
                    first_error = Some(err.context(&format!("cannot apply `{what}`")));
                }
                Err(_) => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn apply_change(
        &mut self,
        change: &Change,
        before: &Current,
        log: &mut Vec<Undo>,
    ) -> Result<()> {
        match change {
            Change::AddPort { port, .. } => {
                self.fou_add(port)?;
                log.push(Undo::DelPort(port.clone()));
            }
            Change::DelPort { port, .. } => {
                self.fou_del(port)?;
                log.push(Undo::AddPort(port.clone()));
            }
            Change::ReplacePort { old, new, .. } => {
                self.fou_del(old)?;
                log.push(Undo::AddPort(old.clone()));
                self.fou_add(new)?;
                log.push(Undo::DelPort(new.clone()));
            }
            Change::AddTunnel(d) => self.add_tunnel(d, log)?,
            Change::ReplaceTunnel {
                current, desired, ..
            } => {
                self.tunnel_del(&current.name)?;
                log.push(Undo::Recreate(current.clone()));
                self.add_tunnel(desired, log)?;
            }
            Change::ChangeTunnel {
                current, desired, ..
            } => {
                let link = desired.dev.as_ref().map(|d| before.devices[d]);
                self.change_tunnel(current, desired, link)?;
                log.push(Undo::Restore(current.clone()));
            }
            Change::DelTunnel(t) => {
                self.tunnel_del(&t.name)?;
                log.push(Undo::Recreate(t.clone()));
            }
        }
        Ok(())
    }

    fn add_tunnel(&mut self, d: &DesiredTunnel, log: &mut Vec<Undo>) -> Result<()> {
        let kind = d.mode.kind;
        let encap = (d.encap.kind != EncapType::None).then_some(EncapSpec {
            kind: Some(d.encap.kind),
            sport: Some(d.encap.sport),
            dport: Some(d.encap.dport),
            csum: Some(d.encap.csum),
            csum6: Some(d.encap.csum6),
            remcsum: Some(d.encap.remcsum),
        });
        let spec = TunnelSpec {
            name: d.name.clone(),
            mode: d.mode,
            settings: TunnelUpdate {
                remote: d.remote,
                local: d.local,
                ttl: Some(d.ttl),
                tos: (!kind.ipv6_underlay()).then_some(d.tos),
                dev: d.dev.clone(),
                ikey: d.ikey,
                okey: d.okey,
                encap,
            },
        };
        self.tunnel_add(&spec)?;
        log.push(Undo::DelTunnel(d.name.clone()));
        if d.mtu.is_some() || d.up.is_some() {
            let index = self.ifindex(&d.name)?;
            self.set_link(&d.name, index, d.mtu, d.up)?;
        }
        Ok(())
    }

    /// Changes a tunnel in place: its settings as read, with what `d` says written over them
    /// (the kernel rebuilds a tunnel from what a change sends, so everything is sent).
    fn change_tunnel(&mut self, now: &Tunnel, d: &DesiredTunnel, link: Option<u32>) -> Result<()> {
        let mut data = now.data.clone();
        edit(&mut data, now.kind, d, link.unwrap_or(0));
        let mut mtu = d.mtu.filter(|m| *m != now.mtu);
        if d.encap != now.encap {
            if d.encap.kind != EncapType::None {
                let module = if now.kind.ipv6_underlay() {
                    "fou6"
                } else {
                    "fou"
                };
                modules::load(module).map_err(|why| {
                    Error::new(ErrorKind::ModuleMissing, format!(
                        "{} encapsulation on tunnel \"{}\" needs the {module} module, which could not be loaded ({why}); run `modprobe {module}`",
                        d.encap.kind.name(), d.name
                    ))
                })?;
            }
            d.encap.write(&mut data);
        }
        // Unless the file names an MTU: the one the tunnel would have had if made with these
        // settings (ipip, sit, gre and gretap do not recompute it themselves), or the one it
        // was given by hand (the ip6 kinds would lose it).
        if d.mtu.is_none() {
            let after = Tunnel::from_data(
                now.name.clone(),
                now.ifindex,
                now.kind,
                now.mtu,
                data.clone(),
            );
            mtu = self.mtu_for_change(now, &after)?.set;
        }
        let request = change_link_request(now.ifindex, now.kind, data, mtu);
        self.route
            .request(request, NLM_F_REQUEST)
            .map_err(|err| self.refusal(err, &format!("cannot change tunnel \"{}\"", d.name)))?;
        if let Some(up) = d.up.filter(|u| *u != now.up) {
            self.set_link(&d.name, now.ifindex, None, Some(up))?;
        }
        Ok(())
    }

    /// Sets a device's MTU and up state.
    fn set_link(
        &mut self,
        name: &str,
        index: u32,
        mtu: Option<u32>,
        up: Option<bool>,
    ) -> Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        if let Some(mtu) = mtu {
            message.attributes.push(LinkAttribute::Mtu(mtu));
        }
        if let Some(up) = up {
            message.header.change_mask = LinkFlags::Up;
            if up {
                message.header.flags = LinkFlags::Up;
            }
        }
        self.route
            .request(RouteNetlinkMessage::NewLink(message), NLM_F_REQUEST)
            .map_err(|err| {
                self.refusal(err, &format!("cannot set the MTU or state of \"{name}\""))
            })?;
        Ok(())
    }

    /// Undoes `log` in reverse and reads the namespace back: the sentence says what is true.
    fn undo(&mut self, log: Vec<Undo>, before: &Current) -> String {
        if log.is_empty() {
            return "nothing had been changed".into();
        }
        let count = log.len();
        let mut failures = Vec::new();
        let mut recreated = Vec::new();
        for step in log.into_iter().rev() {
            let result = match &step {
                Undo::DelPort(p) => self.fou_del(p),
                Undo::AddPort(p) => self.fou_add(p),
                Undo::DelTunnel(name) => self.tunnel_del(name),
                Undo::Restore(t) => self
                    .tunnel_restore(t)
                    .and_then(|()| self.set_link(&t.name, t.ifindex, None, Some(t.up))),
                Undo::Recreate(t) => {
                    recreated.push(t.name.clone());
                    self.tunnel_recreate(t)
                }
            };
            if let Err(e) = result {
                failures.push(e.to_string());
            }
        }
        let differences = match self.read_state() {
            Ok(after) => differences(before, &after),
            Err(e) => vec![format!("cannot read the namespace back: {e}")],
        };
        let mut text = if failures.is_empty() && differences.is_empty() {
            format!(
                "the {count} change(s) made before it were undone, and {} reads back as before",
                self.where_()
            )
        } else {
            let mut t = format!(
                "UNDO INCOMPLETE: of the {count} change(s) made before it, {} could not be undone",
                failures.len()
            );
            for f in &failures {
                t += &format!("; {f}");
            }
            if !differences.is_empty() {
                t += &format!(
                    "; {} now differs from before: {}",
                    self.where_(),
                    differences.join("; ")
                );
            }
            t
        };
        if !recreated.is_empty() {
            text += &format!(
                " (tunnel(s) {} were made again: new devices, without the addresses and routes they had)",
                recreated.join(", ")
            );
        }
        text
    }
}

/// The same error with `text` after its message: what became of the changes before it.
fn followed_by(err: Error, text: &str) -> Error {
    err.context_after(text)
}

/// What differs between two reads of a namespace, in what apply manages: ports, and each
/// tunnel's kind, settings, MTU and up state (not its ifindex: a recreated tunnel has a new one).
pub fn differences(before: &Current, after: &Current) -> Vec<String> {
    let mut out = Vec::new();
    for p in &before.ports {
        if !after.ports.contains(p) {
            out.push(format!("port {p} is missing"));
        }
    }
    for p in &after.ports {
        if !before.ports.contains(p) {
            out.push(format!("port {p} is new"));
        }
    }
    let view = |t: &Tunnel| {
        (
            t.kind,
            t.ip6_proto,
            t.local,
            t.remote,
            t.ttl,
            tunnel_tos(t),
            t.link,
            t.ikey,
            t.okey,
            t.encap,
            t.mtu,
            t.up,
        )
    };
    for t in &before.tunnels {
        match after.tunnels.iter().find(|a| a.name == t.name) {
            None => out.push(format!("tunnel \"{}\" is missing", t.name)),
            Some(a) if view(a) != view(t) => out.push(format!("tunnel \"{}\" differs", t.name)),
            Some(_) => {}
        }
    }
    for t in &after.tunnels {
        if !before.tunnels.iter().any(|b| b.name == t.name) {
            out.push(format!("tunnel \"{}\" is new", t.name));
        }
    }
    out
}

/// Writes the settings of `d` over a tunnel's attributes. What `d` leaves unset is cleared
/// (local any, no key, no device): the entry is the whole tunnel.
pub(super) fn edit(data: &mut TunnelData, kind: TunnelKind, d: &DesiredTunnel, link: u32) {
    let any = |a: Option<IpAddr>| {
        a.unwrap_or(if kind.ipv6_underlay() {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        })
    };
    let v4 = |a: Option<IpAddr>| match any(a) {
        IpAddr::V4(a) => a,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    let v6 = |a: Option<IpAddr>| match any(a) {
        IpAddr::V6(a) => a,
        IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
    };
    let key_flags = |flags: Option<GreIOFlags>, key: Option<u32>| {
        let flags = flags.unwrap_or(GreIOFlags::empty());
        if key.is_some() {
            flags | GreIOFlags::Key
        } else {
            flags - GreIOFlags::Key
        }
    };
    match data {
        TunnelData::Ip(attrs) => {
            let mut set = |attr: InfoIpTunnel| {
                let k = std::mem::discriminant(&attr);
                attrs.retain(|a| std::mem::discriminant(a) != k);
                attrs.push(attr);
            };
            set(InfoIpTunnel::Local(any(d.local)));
            set(InfoIpTunnel::Remote(any(d.remote)));
            set(InfoIpTunnel::Ttl(d.ttl));
            if !kind.ipv6_underlay() {
                set(InfoIpTunnel::Tos(d.tos));
            }
            set(InfoIpTunnel::Link(link));
            if let (TunnelKind::Ip6Tnl, Some(p)) = (kind, d.mode.ip6_proto) {
                set(InfoIpTunnel::Protocol(p.into()));
            }
        }
        TunnelData::Gre(attrs) => {
            let iflags = attrs.iter().find_map(|a| match a {
                InfoGre::IFlags(f) => Some(*f),
                _ => None,
            });
            let oflags = attrs.iter().find_map(|a| match a {
                InfoGre::OFlags(f) => Some(*f),
                _ => None,
            });
            let mut set = |attr: InfoGre| {
                let k = std::mem::discriminant(&attr);
                attrs.retain(|a| std::mem::discriminant(a) != k);
                attrs.push(attr);
            };
            set(InfoGre::Local(v4(d.local)));
            set(InfoGre::Remote(v4(d.remote)));
            set(InfoGre::Ttl(d.ttl));
            set(InfoGre::Tos(d.tos));
            set(InfoGre::Link(link));
            set(InfoGre::IKey(d.ikey.unwrap_or(0)));
            set(InfoGre::OKey(d.okey.unwrap_or(0)));
            set(InfoGre::IFlags(key_flags(iflags, d.ikey)));
            set(InfoGre::OFlags(key_flags(oflags, d.okey)));
        }
        TunnelData::Gre6(attrs) => {
            let iflags = attrs.iter().find_map(|a| match a {
                InfoGre6::IFlags(f) => Some(*f),
                _ => None,
            });
            let oflags = attrs.iter().find_map(|a| match a {
                InfoGre6::OFlags(f) => Some(*f),
                _ => None,
            });
            let mut set = |attr: InfoGre6| {
                let k = std::mem::discriminant(&attr);
                attrs.retain(|a| std::mem::discriminant(a) != k);
                attrs.push(attr);
            };
            set(InfoGre6::Local(v6(d.local)));
            set(InfoGre6::Remote(v6(d.remote)));
            set(InfoGre6::Ttl(d.ttl));
            set(InfoGre6::Link(link));
            set(InfoGre6::IKey(d.ikey.unwrap_or(0)));
            set(InfoGre6::OKey(d.okey.unwrap_or(0)));
            set(InfoGre6::IFlags(key_flags(iflags, d.ikey)));
            set(InfoGre6::OFlags(key_flags(oflags, d.okey)));
        }
    }
}
