//! Applying a [`Plan`], all or nothing: every change made is logged with what undoes it; when
//! the kernel refuses one, the log is undone in reverse and the namespace read back to check
//! that it holds what it held before. Only what was checked is claimed.
//!
//! Tunnels are built and checked by the code of `tunnel add` and `tunnel change`
//! (`TunnelUpdate::apply_whole`, `Handle::prepare_change`), against the state read once at
//! the start: what those commands refuse before sending is refused here before anything is
//! sent. The state is read twice in a run, at the start and at the end (the check); port and
//! tunnel additions go many per `sendmsg`.

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

use super::plan::{plan, Change, Plan};
use super::{tunnel_tos, Current, DesiredState, DesiredTunnel};
use crate::error::{Error, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
use crate::modules;
use crate::tunnel::link::{link_name, new_link_request, tunnel_of};
use crate::tunnel::{EncapSpec, EncapType, Tunnel, TunnelData, TunnelSpec, TunnelUpdate};

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

/// A change of [`Plan`] made ready to send: checked, its attributes built.
enum Step<'a> {
    /// A port change, made as it is.
    Port(&'a Change),
    Add(NewTunnel),
    Change {
        current: &'a Tunnel,
        data: TunnelData,
        mtu: Option<u32>,
        up: Option<bool>,
    },
    /// Delete `current`, then make the new one.
    Replace {
        current: &'a Tunnel,
        new: NewTunnel,
    },
    Del(&'a Tunnel),
}

/// A tunnel to make: the request's parts, and the plan's line for messages.
struct NewTunnel {
    spec: TunnelSpec,
    data: TunnelData,
    mtu: Option<u32>,
    up: bool,
    what: String,
}

impl NewTunnel {
    /// One RTM_NEWLINK that makes the tunnel with its MTU and up state.
    fn request(&self) -> RouteNetlinkMessage {
        let RouteNetlinkMessage::NewLink(mut message) =
            new_link_request(&self.spec.name, self.spec.mode.kind, self.data.clone())
        else {
            unreachable!("new_link_request makes a NewLink")
        };
        if let Some(mtu) = self.mtu {
            message.attributes.push(LinkAttribute::Mtu(mtu));
        }
        if self.up {
            message.header.flags = LinkFlags::Up;
            message.header.change_mask = LinkFlags::Up;
        }
        RouteNetlinkMessage::NewLink(message)
    }
}

/// The settings of `d` as `tunnel add` and `tunnel change` take them, every one given (with
/// `TunnelUpdate::apply_whole`, what is `None` here is cleared).
pub(super) fn update_of(d: &DesiredTunnel) -> TunnelUpdate {
    let kind = d.mode.kind;
    TunnelUpdate {
        remote: d.remote,
        local: d.local,
        ttl: Some(d.ttl),
        tos: (!kind.ipv6_underlay()).then_some(d.tos),
        dev: d.dev.clone(),
        ikey: d.ikey,
        okey: d.okey,
        // Always given: a tunnel the file has without encapsulation loses the one it has.
        encap: Some(if d.encap.kind == EncapType::None {
            EncapSpec {
                kind: Some(EncapType::None),
                ..EncapSpec::default()
            }
        } else {
            EncapSpec {
                kind: Some(d.encap.kind),
                sport: Some(d.encap.sport),
                dport: Some(d.encap.dport),
                csum: Some(d.encap.csum),
                csum6: Some(d.encap.csum6),
                remcsum: Some(d.encap.remcsum),
            }
        }),
    }
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
            flags: links
                .iter()
                .map(|l| (l.header.index, l.header.flags))
                .collect(),
        })
    }

    /// Makes the namespace hold `desired` (see [`plan`]): reads it, plans, applies the plan
    /// all or nothing, and reads it back to check. With `check`, only plans.
    ///
    /// A run that changes the namespace holds its change lock (the one `tunnel change`
    /// takes) from the first read to the read back: another rfou's change cannot come in
    /// between what was read and what is written.
    pub fn apply_state(
        &mut self,
        desired: &DesiredState,
        file: &str,
        prune: bool,
        check: bool,
    ) -> Result<Plan> {
        let _lock = if check {
            None
        } else {
            // A port the dump lost would be planned as missing, and its add refused: with
            // UDP socket diagnostics the list is whole (see `Handle::fou_ports`). Without the
            // module the list is the dump's, as `show`'s is.
            let _ = modules::load("udp_diag");
            Some(self.change_lock()?)
        };
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

    /// Carries out `plan` over the state `before` it was made from. Every tunnel change is
    /// first built and checked as `tunnel add` and `tunnel change` check theirs, against the
    /// tunnels as each change will find them: a refusal found so is said before anything is
    /// sent. On a refusal by the kernel, undoes what was done and says whether the namespace
    /// reads back as `before`.
    pub fn apply_plan(&mut self, plan: &Plan, before: &Current) -> Result<()> {
        let steps = self
            .prepare(plan, before)
            .map_err(|err| followed_by(err, "nothing had been changed"))?;
        let mut log = Vec::new();
        let mut rest = steps.as_slice();
        while !rest.is_empty() {
            // Port additions in a row go many to a sendmsg, as a batch sends them; so do
            // tunnel additions.
            let ports = rest
                .iter()
                .take_while(|s| matches!(s, Step::Port(Change::AddPort { .. })))
                .count();
            let tunnels = rest
                .iter()
                .take_while(|s| matches!(s, Step::Add(_)))
                .count();
            let (result, done) = if ports > 1 {
                let changes: Vec<&Change> = rest[..ports]
                    .iter()
                    .filter_map(|s| match s {
                        Step::Port(c) => Some(*c),
                        _ => None,
                    })
                    .collect();
                (self.add_ports(&changes, &mut log), ports)
            } else if tunnels > 0 {
                let adds: Vec<&NewTunnel> = rest[..tunnels]
                    .iter()
                    .filter_map(|s| match s {
                        Step::Add(a) => Some(a),
                        _ => None,
                    })
                    .collect();
                (self.add_tunnels(&adds, &mut log), tunnels)
            } else {
                (self.apply_step(&rest[0], &mut log), 1)
            };
            if let Err(err) = result {
                let undone = self.undo(log, before);
                return Err(followed_by(err, &undone));
            }
            rest = &rest[done..];
        }
        Ok(())
    }

    /// Builds and checks every change of `plan`, in order, against the tunnels as the change
    /// will find them (those of `before`, less what earlier changes delete, with what they
    /// change and add): nothing is sent that changes the namespace.
    fn prepare<'a>(&mut self, plan: &'a Plan, before: &'a Current) -> Result<Vec<Step<'a>>> {
        let mut tunnels: Vec<Tunnel> = before.tunnels.clone();
        let mut steps = Vec::with_capacity(plan.changes.len());
        for change in &plan.changes {
            let what = || format!("cannot apply `{}`", change.lines().join("; "));
            let step = match change {
                Change::AddPort { .. } | Change::DelPort { .. } | Change::ReplacePort { .. } => {
                    Step::Port(change)
                }
                Change::DelTunnel(t) => {
                    tunnels.retain(|o| o.name != t.name);
                    Step::Del(t)
                }
                Change::AddTunnel(d) => {
                    let new = self
                        .new_tunnel(d, before, &tunnels)
                        .map_err(|e| e.context(&what()))?;
                    tunnels.push(made(&new));
                    Step::Add(new)
                }
                Change::ReplaceTunnel {
                    current, desired, ..
                } => {
                    tunnels.retain(|o| o.name != current.name);
                    let new = self
                        .new_tunnel(desired, before, &tunnels)
                        .map_err(|e| e.context(&what()))?;
                    tunnels.push(made(&new));
                    Step::Replace { current, new }
                }
                Change::ChangeTunnel {
                    current, desired, ..
                } => {
                    let update = update_of(desired);
                    let link = desired.dev.as_ref().map(|d| before.devices[d]);
                    let flags = before
                        .flags
                        .get(&current.ifindex)
                        .copied()
                        .unwrap_or(LinkFlags::empty());
                    let prepared = self
                        .prepare_change(current, flags, &update, link, Some(desired.mode), &tunnels)
                        .map_err(|e| e.context(&what()))?;
                    // An MTU the file names is sent as it is; otherwise the one worked out
                    // for the change (the ip6 kinds would lose one given by hand).
                    let mtu = desired.mtu.or(prepared.mtu);
                    let after = Tunnel::from_data(
                        current.name.clone(),
                        current.ifindex,
                        current.kind,
                        mtu.unwrap_or(current.mtu),
                        prepared.data.clone(),
                    );
                    for t in tunnels.iter_mut().filter(|t| t.name == current.name) {
                        *t = after.clone();
                    }
                    Step::Change {
                        current,
                        data: prepared.data,
                        mtu,
                        up: desired.up.filter(|u| *u != current.up),
                    }
                }
            };
            steps.push(step);
        }
        Ok(steps)
    }

    /// The tunnel `d` made ready to add, checked against `tunnels`.
    fn new_tunnel(
        &mut self,
        d: &DesiredTunnel,
        before: &Current,
        tunnels: &[Tunnel],
    ) -> Result<NewTunnel> {
        let spec = TunnelSpec {
            name: d.name.clone(),
            mode: d.mode,
            settings: update_of(d),
        };
        let link = d.dev.as_ref().map(|dev| before.devices[dev]);
        let data = self.new_tunnel_data(&spec, link)?;
        let new = NewTunnel {
            spec,
            data,
            mtu: d.mtu,
            up: d.up == Some(true),
            what: format!("cannot apply `{}`", super::plan::desired_words(d)),
        };
        self.check_endpoints(
            &format!("cannot create tunnel \"{}\"", d.name),
            &made(&new),
            tunnels,
        )?;
        Ok(new)
    }

    /// Adds the ports of `changes` (all [`Change::AddPort`]) many per `sendmsg`, and logs
    /// each one added; the error names the first port refused.
    fn add_ports(&mut self, changes: &[&Change], log: &mut Vec<Undo>) -> Result<()> {
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

    /// Makes the tunnels of `adds`, many requests per `sendmsg` (netlink's windows), and
    /// logs each one made; the error names the first one refused.
    fn add_tunnels(&mut self, adds: &[&NewTunnel], log: &mut Vec<Undo>) -> Result<()> {
        let requests = adds.iter().map(|a| a.request());
        let results = self
            .route
            .request_many(requests, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
        let mut first_error = None;
        for (result, add) in results.into_iter().zip(adds) {
            match result {
                Ok(()) => log.push(Undo::DelTunnel(add.spec.name.clone())),
                Err(err) if first_error.is_none() => {
                    first_error = Some(self.add_refusal(&add.spec, err).context(&add.what));
                }
                Err(_) => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn apply_step(&mut self, step: &Step, log: &mut Vec<Undo>) -> Result<()> {
        match step {
            Step::Port(change) => self.apply_port(change, log).map_err(|err| {
                err.context(&format!("cannot apply `{}`", change.lines().join("; ")))
            }),
            Step::Add(new) => self.add_tunnels(&[new], log),
            Step::Replace { current, new } => {
                self.tunnel_del(&current.name)
                    .map_err(|err| err.context(&new.what))?;
                log.push(Undo::Recreate((*current).clone()));
                self.add_tunnels(&[new], log)
            }
            Step::Change {
                current,
                data,
                mtu,
                up,
            } => {
                let what = format!("cannot apply the changes of tunnel \"{}\"", current.name);
                self.send_change(current, data.clone(), *mtu)
                    .map_err(|err| err.context(&what))?;
                log.push(Undo::Restore((*current).clone()));
                if let Some(up) = up {
                    self.set_link(&current.name, current.ifindex, None, Some(*up))
                        .map_err(|err| err.context(&what))?;
                }
                Ok(())
            }
            Step::Del(t) => {
                self.tunnel_del(&t.name)
                    .map_err(|err| err.context(&format!("cannot apply `- tunnel {}`", t.name)))?;
                log.push(Undo::Recreate((*t).clone()));
                Ok(())
            }
        }
    }

    fn apply_port(&mut self, change: &Change, log: &mut Vec<Undo>) -> Result<()> {
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
            _ => unreachable!("a port change"),
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

/// The tunnel `new` is, as the kernel will read it back (its index and MTU not known yet).
fn made(new: &NewTunnel) -> Tunnel {
    Tunnel::from_data(
        new.spec.name.clone(),
        0,
        new.spec.mode.kind,
        new.mtu.unwrap_or(0),
        new.data.clone(),
    )
}
