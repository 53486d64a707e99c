//! Applying a [`Plan`], all or nothing. Every change is first built and checked as
//! `tunnel add` and `tunnel change` check theirs, against the tunnels as each change will
//! find them, so that `--check` runs every check `apply` runs and a refusal found so is said
//! before anything is sent. Then the changes are made, each logged with what undoes it
//! ([`Transaction`]), and the namespace is read back: if the kernel refused a change, or
//! kept something else than was asked, every change is undone and the namespace read back
//! again and compared with what it held before. Only what was checked is claimed.

use std::borrow::Cow;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};

use super::defer::defer_bound;
use super::plan::{plan, tunnel_words, Change, Plan};
use super::{ApplyOptions, DesiredState, DesiredTunnel};
use crate::error::{Error, ErrorKind, Result};
use crate::fou::FouPort;
use crate::handle::Handle;
use crate::sys::modules;
use crate::tunnel::rules::ByEndpoints;
use crate::tunnel::{PreparedAdd, PreparedChange, Tunnel};
use crate::txn::{Snapshot, Transaction, Undo};

/// Why `apply_state` failed, and whether the namespace may differ from before because of
/// it (an undo that did not read back as before, or a namespace that went away mid-run):
/// what a program driving rfou reports as changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyFailure {
    /// What failed, and what became of the changes made before it.
    pub error: Error,
    /// Whether the namespace may now differ from what it held before the run.
    pub changed: bool,
}

impl From<Error> for ApplyFailure {
    /// A failure before anything was changed.
    fn from(error: Error) -> Self {
        ApplyFailure {
            error,
            changed: false,
        }
    }
}

impl From<ApplyFailure> for Error {
    fn from(failure: ApplyFailure) -> Self {
        failure.error
    }
}

/// A change of a plan, checked and ready to send.
enum Step<'a> {
    Port(&'a Change),
    Add(NewTunnel<'a>),
    Change {
        current: &'a Tunnel,
        change: PreparedChange,
    },
    /// Delete `current`, then make the new one.
    Replace {
        current: &'a Tunnel,
        new: NewTunnel<'a>,
    },
    Del(&'a Tunnel),
}

/// A tunnel to make, and the entry that asks for it.
struct NewTunnel<'a> {
    add: PreparedAdd,
    desired: &'a DesiredTunnel,
    /// Its underlay device where that is a tunnel made in the same run: its index is known
    /// only once it is made.
    underlay_made_here: Option<&'a str>,
}

/// Why `defer_bound` and `prune` are refused together.
pub const DEFER_WITH_PRUNE: &str = "--defer-bound and --prune cannot be given together: --prune would delete a port that the file names and --defer-bound left out";

impl Handle {
    /// Makes the namespace hold `desired` (see [`plan()`]): reads it, plans, checks the plan,
    /// applies it all or nothing, and reads it back to check. With `options.check`, only
    /// plans and checks. `file` names the file in messages.
    ///
    /// A run that changes the namespace holds its change lock (the one `tunnel change`
    /// takes) from the first read to the read back: another rfou's change cannot come in
    /// between what was read and what is written.
    pub fn apply_state(
        &mut self,
        desired: &DesiredState,
        file: &str,
        options: ApplyOptions,
    ) -> std::result::Result<Plan, ApplyFailure> {
        if options.defer_bound && options.prune {
            return Err(Error::invalid(DEFER_WITH_PRUNE).into());
        }
        if options.prune {
            // A port the dump lost would not be pruned: with UDP socket diagnostics the
            // list is whole (see `Handle::fou_ports`). `--check` loads it too, so that it
            // plans on the list a run reads.
            if let Err(why) = modules::load("udp_diag") {
                return Err(Error::new(
                    ErrorKind::ModuleMissing,
                    format!("--prune needs the whole list of fou ports, and the udp_diag module that gives it could not be loaded ({why})"),
                )
                .into());
            }
        }
        let _lock = if options.check {
            None
        } else {
            Some(self.change_lock()?)
        };
        let (desired, deferred) = if options.defer_bound {
            let mut bound_now = desired.clone();
            let deferred = defer_bound(&mut bound_now, &self.bindable()?);
            (Cow::Owned(bound_now), deferred)
        } else {
            (Cow::Borrowed(desired), Vec::new())
        };
        let desired = desired.as_ref();
        let before = self.read_for(desired)?;
        let mut planned = plan(desired, &before, options.prune, file)?;
        planned.deferred = deferred;
        let steps = self
            .prepare(&planned, &before)
            .map_err(|err| err.with_note("nothing was changed"))?;
        if options.check || planned.is_empty() {
            return Ok(planned);
        }
        let mut txn = Transaction::new(before.clone());
        if let Err(err) = self.run(&steps, &mut txn) {
            return Err(self.abandon(txn, err));
        }
        let after = match self.read_for(desired) {
            Ok(after) => after,
            Err(err) => return Err(self.abandon(txn, err)),
        };
        let left = match plan(desired, &after, options.prune, file) {
            Ok(left) => left,
            Err(err) => return Err(self.abandon(txn, err)),
        };
        if !left.is_empty() {
            let err = Error::system(format!(
                "the kernel accepted every change of {file} but keeps other values than asked: {}",
                left.lines()
                    .iter()
                    .map(|l| kept_instead(l))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            return Err(self.abandon(txn, err));
        }
        // rfou's sockets keep a deleted namespace alive, so every change above and the
        // read-back "succeed" in a namespace nobody can reach any more. Looked at last, so
        // that a deletion at any point of the run is seen (exit 1, as a batch says it).
        if !self.netns_still_named() {
            return Err(ApplyFailure {
                error: Error::system(format!(
                    "{} was deleted (or replaced) while {file} was applied: what was applied went with it",
                    self.place()
                )),
                changed: true,
            });
        }
        Ok(planned)
    }

    /// The namespace, read for `desired`: where the kernel's dump may have lost ports, each
    /// port the file names that the list lacks is looked up by an exact get (so that a port
    /// that exists is never planned as missing).
    fn read_for(&mut self, desired: &DesiredState) -> Result<Snapshot> {
        let mut snapshot = self.snapshot(true)?;
        if snapshot.notes.is_empty() {
            return Ok(snapshot);
        }
        let have: crate::maps::HashSet<_> = snapshot.ports().iter().map(FouPort::socket).collect();
        let mut found = Vec::new();
        for d in &desired.ports {
            let mut port = d.port.clone();
            if let Some(dev) = &d.dev {
                match snapshot.devices.index_of(dev) {
                    Some(index) => port.ifindex = Some(index),
                    None => continue,
                }
            }
            if !have.contains(&port.socket()) {
                found.extend(self.fou_get(&port)?);
            }
        }
        if let Some(ports) = &mut snapshot.ports {
            ports.extend(found);
        }
        Ok(snapshot)
    }

    /// Undoes what `txn` logged after `err`; the error then says what became of it.
    fn abandon(&mut self, txn: Transaction, err: Error) -> ApplyFailure {
        let rollback = txn.rollback(self);
        ApplyFailure {
            error: err.with_note(rollback.describe(&self.place())),
            changed: !rollback.as_before(),
        }
    }

    /// Builds and checks every change of `plan`, in order, against the tunnels as the change
    /// will find them (those of `before`, less what earlier changes delete, with what they
    /// change and add): nothing is sent that changes the namespace.
    fn prepare<'a>(&mut self, plan: &'a Plan, before: &'a Snapshot) -> Result<Vec<Step<'a>>> {
        let mut tunnels: Vec<Tunnel> = before.tunnels.clone();
        // The same tunnels filed by endpoints, which every addition is checked against.
        let mut filed = ByEndpoints::new(&tunnels);
        let mut steps = Vec::with_capacity(plan.changes.len());
        let mut pending_changes = Vec::new();
        for change in &plan.changes {
            let what = || format!("cannot apply `{}`", change.lines().join("; "));
            match change {
                Change::AddPort { .. } | Change::DelPort { .. } | Change::ReplacePort { .. } => {
                    steps.push(Step::Port(change))
                }
                Change::DelTunnel(t) => {
                    let held = self.tunnel_attachments(t)?;
                    if !held.is_empty() {
                        return Err(Error::invalid(format!(
                            "{}: tunnel \"{}\" carries {}, which deleting it loses for good and no undo could bring back; \
                             remove them first, or leave the tunnel out of --prune by naming it in the file",
                            what(),
                            t.name,
                            held.join(", ")
                        )));
                    }
                    tunnels.retain(|o| o.name != t.name);
                    filed.remove(t);
                    steps.push(Step::Del(t));
                }
                Change::ReplaceTunnel {
                    current, desired, ..
                } => {
                    tunnels.retain(|o| o.name != current.name);
                    filed.remove(current);
                    let (new, made) = self
                        .new_tunnel(desired, before, &filed)
                        .map_err(|e| e.context(what()))?;
                    tunnels.push(made.clone());
                    filed.insert(made);
                    steps.push(Step::Replace { current, new });
                }
                Change::ChangeTunnel { .. } => pending_changes.push(change),
                Change::AddTunnel(desired) => {
                    // Every change in place goes before the first addition.
                    self.prepare_changes(
                        &mut pending_changes,
                        &mut tunnels,
                        &mut filed,
                        &mut steps,
                    )?;
                    let (new, made) = self
                        .new_tunnel(desired, before, &filed)
                        .map_err(|e| e.context(what()))?;
                    tunnels.push(made.clone());
                    filed.insert(made);
                    steps.push(Step::Add(new));
                }
            }
        }
        self.prepare_changes(&mut pending_changes, &mut tunnels, &mut filed, &mut steps)?;
        Ok(steps)
    }

    /// Checks the changes in place of `pending` in an order the kernel accepts: one whose
    /// new endpoints another tunnel still has waits for that tunnel's own change. Where they
    /// wait on each other (two tunnels that swap remotes), the first one's refusal is said,
    /// and why.
    fn prepare_changes<'a>(
        &mut self,
        pending: &mut Vec<&'a Change>,
        tunnels: &mut [Tunnel],
        filed: &mut ByEndpoints,
        steps: &mut Vec<Step<'a>>,
    ) -> Result<()> {
        while !pending.is_empty() {
            let mut first_refusal = None;
            let mut done = None;
            for (at, change) in pending.iter().enumerate() {
                let Change::ChangeTunnel {
                    current, desired, ..
                } = change
                else {
                    unreachable!("only changes in place wait")
                };
                let settings = desired.spec.settings.whole(desired.spec.kind);
                match self.prepare_change(current, &settings, true, tunnels) {
                    Ok(prepared) => {
                        done = Some((at, current, prepared));
                        break;
                    }
                    Err(err) if err.errno() == Some(libc::EEXIST) && pending.len() > 1 => {
                        first_refusal.get_or_insert(err);
                    }
                    Err(err) => {
                        return Err(err.context(format!(
                            "cannot apply the changes of tunnel \"{}\"",
                            current.name
                        )))
                    }
                }
            }
            let Some((at, current, change)) = done else {
                let err = first_refusal.expect("a refusal where nothing could go first");
                return Err(err.with_note(format!(
                    "tunnels {} would each take endpoints another of them still has, in any order: \
                     change one of them in a run of its own first, or delete and add them",
                    pending
                        .iter()
                        .filter_map(|c| match c {
                            Change::ChangeTunnel { current, .. } => Some(format!("\"{}\"", current.name)),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            let after = current.with_attrs(change.attrs.clone());
            for t in tunnels.iter_mut().filter(|t| t.name == current.name) {
                filed.remove(t);
                filed.insert(after.clone());
                *t = after.clone();
            }
            steps.push(Step::Change { current, change });
            pending.remove(at);
        }
        Ok(())
    }

    /// The tunnel `desired` makes, ready to add and checked against the tunnels `filed`;
    /// with it, the tunnel as it will be found once made.
    fn new_tunnel<'a>(
        &mut self,
        desired: &'a DesiredTunnel,
        before: &Snapshot,
        filed: &ByEndpoints,
    ) -> Result<(NewTunnel<'a>, Tunnel)> {
        let spec = &desired.spec;
        let (link, underlay_made_here) = match &spec.settings.dev {
            Some(dev) => match before.devices.index_of(dev) {
                Some(index) => (Some(index), None),
                None => (None, Some(dev.as_str())),
            },
            None => (None, None),
        };
        let add = self.prepare_add(spec, link)?;
        let made = add.as_tunnel();
        filed.check(
            || format!("cannot create tunnel \"{}\"", spec.name),
            &made,
            || self.place(),
        )?;
        let new = NewTunnel {
            add,
            desired,
            underlay_made_here,
        };
        Ok((new, made))
    }

    /// Makes every change of `steps`, logging each in `txn`; stops at the first refusal.
    fn run(&mut self, steps: &[Step], txn: &mut Transaction) -> Result<()> {
        let mut rest = steps;
        while let Some(step) = rest.first() {
            // Port additions in a row go many to a sendmsg, as a batch sends them; so do
            // tunnel additions whose underlay is known.
            let ports = rest
                .iter()
                .take_while(|s| matches!(s, Step::Port(Change::AddPort { .. })))
                .count();
            let tunnels = rest
                .iter()
                .take_while(|s| matches!(s, Step::Add(n) if n.underlay_made_here.is_none()))
                .count();
            let done = if ports > 1 {
                self.add_ports(&rest[..ports], txn)?;
                ports
            } else if tunnels > 1 {
                let adds: Vec<&NewTunnel> = rest[..tunnels]
                    .iter()
                    .filter_map(|s| match s {
                        Step::Add(a) => Some(a),
                        _ => None,
                    })
                    .collect();
                self.add_tunnels(&adds, txn)?;
                tunnels
            } else {
                self.run_step(step, txn)?;
                1
            };
            rest = &rest[done..];
        }
        Ok(())
    }

    /// Adds the ports of `steps` (all additions) many per `sendmsg`, and logs each one added;
    /// the error names the first port refused.
    fn add_ports(&mut self, steps: &[Step], txn: &mut Transaction) -> Result<()> {
        let changes: Vec<&Change> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Port(c) => Some(*c),
                _ => None,
            })
            .collect();
        let ports: Vec<FouPort> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddPort { port, .. } => Some(port.clone()),
                _ => None,
            })
            .collect();
        let mut first_error = None;
        for ((result, port), change) in self
            .fou_add_many(&ports)
            .into_iter()
            .zip(&ports)
            .zip(changes)
        {
            match result {
                Ok(()) => txn.record(Undo::DelPort(port.clone())),
                Err(err) if first_error.is_none() => {
                    first_error =
                        Some(err.context(format!("cannot apply `{}`", change.lines().join("; "))));
                }
                Err(_) => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Makes the tunnels of `adds`, many requests per `sendmsg`, and logs each one made; the
    /// error names the first one refused.
    fn add_tunnels(&mut self, adds: &[&NewTunnel], txn: &mut Transaction) -> Result<()> {
        let requests = adds.iter().map(|a| a.add.request());
        let results = self
            .route
            .request_many(requests, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
        let mut first_error = None;
        for (result, new) in results.into_iter().zip(adds) {
            match result {
                Ok(()) => txn.record(Undo::DelTunnel(new.add.name.clone())),
                Err(err) if first_error.is_none() => {
                    let what = format!("cannot apply `+ {}`", tunnel_words(new.desired));
                    first_error = Some(self.add_refusal(&new.desired.spec, err).context(what));
                }
                Err(_) => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Makes one tunnel whose underlay is a tunnel made earlier in the run: its index now.
    fn add_tunnel_on_new_underlay(&mut self, new: &NewTunnel, txn: &mut Transaction) -> Result<()> {
        let Some(dev) = new.underlay_made_here else {
            return self.add_tunnels(&[new], txn);
        };
        let index = self.ifindex(dev)?;
        let add = self.prepare_add(&new.desired.spec, Some(index))?;
        let resolved = NewTunnel {
            add,
            desired: new.desired,
            underlay_made_here: None,
        };
        self.add_tunnels(&[&resolved], txn)
    }

    fn run_step(&mut self, step: &Step, txn: &mut Transaction) -> Result<()> {
        match step {
            Step::Port(change) => self.apply_port(change, txn).map_err(|err| {
                err.context(format!("cannot apply `{}`", change.lines().join("; ")))
            }),
            Step::Add(new) => self.add_tunnel_on_new_underlay(new, txn),
            Step::Replace { current, new } => {
                let what = format!("cannot apply `replace {}`", tunnel_words(new.desired));
                self.tunnel_del(&current.name)
                    .map_err(|err| err.context(what))?;
                txn.record(Undo::Recreate(Box::new((*current).clone())));
                self.add_tunnel_on_new_underlay(new, txn)
            }
            Step::Change { current, change } => {
                let what = format!("cannot apply the changes of tunnel \"{}\"", current.name);
                self.send_change(current, change)
                    .map_err(|err| err.context(what))?;
                txn.record(Undo::Restore(Box::new((*current).clone())));
                Ok(())
            }
            Step::Del(t) => {
                self.tunnel_del(&t.name).map_err(|err| {
                    err.context(format!(
                        "cannot apply `- tunnel {} mode {}`",
                        t.name,
                        t.mode().word()
                    ))
                })?;
                txn.record(Undo::Recreate(Box::new((*t).clone())));
                Ok(())
            }
        }
    }

    fn apply_port(&mut self, change: &Change, txn: &mut Transaction) -> Result<()> {
        match change {
            Change::AddPort { port, .. } => {
                self.fou_add(port)?;
                txn.record(Undo::DelPort(port.clone()));
            }
            Change::DelPort { port, .. } => {
                self.fou_del(port)?;
                txn.record(Undo::AddPort(port.clone()));
            }
            Change::ReplacePort { old, new, .. } => {
                self.fou_del(old)?;
                txn.record(Undo::AddPort(old.clone()));
                self.fou_add(new)?;
                txn.record(Undo::DelPort(new.clone()));
            }
            _ => unreachable!("a port change"),
        }
        Ok(())
    }
}

/// A line of the plan that is left after everything was applied, said as what the kernel
/// keeps instead of what was asked: `~ tunnel t1 mtu 1452 -> 1000` is "tunnel t1 mtu 1452
/// (asked 1000)".
fn kept_instead(line: &str) -> String {
    match line
        .strip_prefix("~ ")
        .and_then(|rest| rest.split_once(" -> "))
    {
        Some((now, asked)) => format!("{now} (asked {asked})"),
        None => format!("still to do: {line}"),
    }
}
