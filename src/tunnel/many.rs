//! Runs of tunnel adds and of tunnel changes: what they read is read once, many requests per
//! `sendmsg`, and so are their writes; the results are those of running them one by one.
//!
//! Reading ahead gives what one by one reads only where no earlier item of the run changes
//! it: a run is cut short before an item that names a tunnel an earlier one adds or changes,
//! or (an add) whose underlay device an earlier one adds, or (a change) whose underlay is a
//! tunnel an earlier one changes. Changes of endpoints, of the underlay device or of the
//! up/down state go alone, one by one: they depend on, and change, what other tunnels and
//! routes look like.

use crate::maps::{HashMap, HashSet};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};

use super::ops::{touches_endpoints, touches_mtu, ChangeReport, PreparedAdd, PreparedChange};
use super::settings::TunnelSettings;
use super::{Tunnel, TunnelSpec};
use crate::error::{Error, Result};
use crate::handle::Handle;

/// What a run of many does at a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// The results end at the first failure, and nothing after it stays applied: what the
    /// kernel made of the items after it (sent with it in one `sendmsg`) is taken back, and
    /// what cannot be is said in a note of that failure.
    Stop,
    /// Every item is tried, and has its result.
    GoOn,
}

impl Handle {
    /// Makes the tunnels of `specs` in order, with the results [`Handle::tunnel_add`] gives
    /// each; see [`OnFailure`] for what follows a failure.
    pub fn tunnel_add_many(
        &mut self,
        specs: &[&TunnelSpec],
        on_failure: OnFailure,
    ) -> Vec<Result<()>> {
        let mut results = Vec::with_capacity(specs.len());
        let mut at = 0;
        while at < specs.len() {
            let (run, failed) = self.prepare_adds(&specs[at..]);
            let requests = run.iter().map(PreparedAdd::request);
            let sent = self
                .route
                .request_many(requests, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
            let first = results.len();
            for (spec, outcome) in specs[at..].iter().zip(sent) {
                results.push(outcome.map_err(|err| self.add_refusal(spec, err)));
            }
            at += run.len();
            if let Some(err) = failed {
                results.push(Err(err));
                at += 1;
            }
            if on_failure == OnFailure::Stop {
                if let Some(stop) = results[first..].iter().position(Result::is_err) {
                    let made: Vec<&str> = run
                        .iter()
                        .zip(&results[first..])
                        .skip(stop + 1)
                        .filter(|(_, outcome)| outcome.is_ok())
                        .map(|(add, _)| add.name.as_str())
                        .collect();
                    let kept = self.take_back_adds(&made);
                    results.truncate(first + stop + 1);
                    note_kept(&mut results, "tunnels made", kept);
                    return results;
                }
            }
        }
        results
    }

    /// The adds of `specs` from the first on that can go in one run, checked; and the error
    /// of the one that ends it by failing its checks, if one does.
    fn prepare_adds(&mut self, specs: &[&TunnelSpec]) -> (Vec<PreparedAdd>, Option<Error>) {
        let mut run: Vec<PreparedAdd> = Vec::new();
        let mut names = HashSet::default();
        // Underlay devices by name: none of them is made in the run, so each is read once.
        let mut underlays: HashMap<&str, Result<Option<u32>>> = HashMap::default();
        for spec in specs {
            let dev = spec.settings.dev.as_deref();
            if names.contains(spec.name.as_str()) || dev.is_some_and(|d| names.contains(d)) {
                break;
            }
            let link = match dev {
                Some(dev) => underlays
                    .entry(dev)
                    .or_insert_with(|| self.underlay_index(Some(dev)))
                    .clone(),
                None => Ok(None),
            };
            match link.and_then(|link| self.prepare_add(spec, link)) {
                Ok(add) => {
                    names.insert(spec.name.as_str());
                    run.push(add);
                }
                Err(err) => return (run, Some(err)),
            }
        }
        (run, None)
    }

    /// Deletes the tunnels called `names`, just made; what could not be deleted, said.
    fn take_back_adds(&mut self, names: &[&str]) -> Vec<String> {
        if names.is_empty() {
            return Vec::new();
        }
        let mut kept = Vec::new();
        let mut tunnels = Vec::new();
        for (name, read) in names.iter().zip(self.tunnels_named(names)) {
            match read {
                Ok(tunnel) => tunnels.push(tunnel),
                Err(err) => kept.push(format!("\"{name}\" ({err})")),
            }
        }
        match self.tunnel_del_many(&tunnels) {
            Ok(survivors) => kept.extend(survivors.iter().map(|t| format!("\"{}\"", t.name))),
            Err(err) => kept.push(err.to_string()),
        }
        kept
    }

    /// Changes tunnels as `changes` say (each a name and the settings to change), in order,
    /// with the results [`Handle::tunnel_change`] gives each; see [`OnFailure`] for what
    /// follows a failure. The namespace's change lock is held throughout.
    pub fn tunnel_change_many(
        &mut self,
        changes: &[(&str, &TunnelSettings)],
        on_failure: OnFailure,
    ) -> Vec<Result<ChangeReport>> {
        let _lock = match self.change_lock() {
            Ok(lock) => lock,
            Err(err) => {
                let count = if on_failure == OnFailure::Stop {
                    1
                } else {
                    changes.len()
                };
                return vec![Err(err); count.min(changes.len())];
            }
        };
        let mut results = Vec::with_capacity(changes.len());
        let mut at = 0;
        while at < changes.len() {
            let first = results.len();
            let (name, settings) = changes[at];
            // The tunnels sent a change, as read before it: what a take-back restores.
            let mut sent = Vec::new();
            if goes_alone(settings) {
                results.push(self.tunnel_change(name, settings));
                at += 1;
            } else {
                let (run, count) = self.change_run(&changes[at..], &mut results);
                at += count;
                sent = run;
            }
            if on_failure == OnFailure::Stop {
                if let Some(stop) = results[first..].iter().position(Result::is_err) {
                    let kept = self.take_back_changes(sent.iter().skip(stop + 1));
                    results.truncate(first + stop + 1);
                    note_kept(&mut results, "changes made", kept);
                    return results;
                }
            }
        }
        results
    }

    /// Makes the changes of a run from the first of `changes` on, and pushes their results;
    /// returns the tunnels sent a change, as read before it, and how many results it pushed.
    fn change_run(
        &mut self,
        changes: &[(&str, &TunnelSettings)],
        results: &mut Vec<Result<ChangeReport>>,
    ) -> (Vec<Tunnel>, usize) {
        let mut names = HashSet::default();
        let candidates: Vec<&str> = changes
            .iter()
            .take_while(|(name, settings)| !goes_alone(settings) && names.insert(*name))
            .map(|(name, _)| *name)
            .collect();
        let reads = self.tunnels_named(&candidates);
        // The underlays of the changes that work their MTU out (see `mtu_for_change`).
        let needs_underlay = |i: usize| match &reads[i] {
            Ok(tunnel) => changes[i].1.mtu.is_none() && touches_mtu(changes[i].1, tunnel.kind),
            Err(_) => false,
        };
        let wanted: Vec<&Tunnel> = (0..reads.len())
            .filter(|&i| needs_underlay(i))
            .filter_map(|i| reads[i].as_ref().ok())
            .collect();
        let underlays = self.underlay_mtus(&wanted);
        let mut underlays = underlays.into_iter();
        let wants: Vec<bool> = (0..reads.len()).map(needs_underlay).collect();
        let mut prepared: Vec<(Tunnel, PreparedChange)> = Vec::new();
        let mut failed = None;
        for (i, read) in reads.into_iter().enumerate() {
            let underlay = if wants[i] { underlays.next() } else { None };
            // A change whose underlay is a tunnel changed before it in the run reads it again
            // in a run of its own.
            let changed_before = |device: &u32| prepared.iter().any(|(t, _)| t.ifindex == *device);
            if underlay
                .as_ref()
                .is_some_and(|u| u.devices.iter().any(changed_before))
            {
                break;
            }
            let change = read.and_then(|tunnel| {
                let underlay = underlay.map(|u| u.mtu);
                let change =
                    self.prepare_change_over(&tunnel, changes[i].1, false, &[], underlay)?;
                Ok((tunnel, change))
            });
            match change {
                Ok(prepared_one) => prepared.push(prepared_one),
                Err(err) => {
                    failed = Some(err);
                    break;
                }
            }
        }
        // A change the kernel takes in two steps sends two requests; its outcome is the
        // first refusal of either.
        let requests: Vec<Vec<_>> = prepared
            .iter()
            .map(|(tunnel, change)| change.requests(tunnel))
            .collect();
        let counts: Vec<usize> = requests.iter().map(Vec::len).collect();
        let mut outcomes = self
            .route
            .request_many(requests.into_iter().flatten(), NLM_F_REQUEST)
            .into_iter();
        let mut sent = Vec::with_capacity(prepared.len());
        for ((tunnel, change), count) in prepared.into_iter().zip(counts) {
            let chunk: Vec<_> = outcomes.by_ref().take(count).collect();
            let outcome = chunk.into_iter().find(|r| r.is_err()).unwrap_or(Ok(()));
            results.push(match outcome {
                Ok(()) => Ok(change.report),
                Err(refused) => Err(self.change_refused(&tunnel, refused)),
            });
            sent.push(tunnel);
        }
        let count = sent.len() + usize::from(failed.is_some());
        results.extend(failed.map(Err));
        (sent, count)
    }

    /// Puts the tunnels of `saved` back as they were read; what could not be, said.
    fn take_back_changes<'a>(&mut self, saved: impl Iterator<Item = &'a Tunnel>) -> Vec<String> {
        saved
            .filter_map(|tunnel| {
                self.tunnel_restore(tunnel)
                    .err()
                    .map(|err| format!("\"{}\" ({err})", tunnel.name))
            })
            .collect()
    }
}

/// Whether a change of `settings` goes one by one: it changes what other tunnels and routes
/// depend on (endpoints, underlay device, up or down).
fn goes_alone(settings: &TunnelSettings) -> bool {
    touches_endpoints(settings) || settings.up.is_some()
}

/// Adds to the last of `results`, a failure, the note that what the items after it made
/// (`what`) could not all be taken back, where `kept` names any.
fn note_kept<T>(results: &mut [Result<T>], what: &str, kept: Vec<String>) {
    if kept.is_empty() {
        return;
    }
    if let Some(last) = results.last_mut() {
        let taken = std::mem::replace(last, Err(Error::system("")));
        *last = taken.map_err(|e| {
            e.with_note(format!(
                "{what} by the lines after it could not all be taken back: {}",
                kept.join("; ")
            ))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_endpoints_underlay_key_or_state_go_alone() {
        let alone = [
            TunnelSettings {
                remote: Some("10.0.0.1".parse().unwrap()),
                ..TunnelSettings::default()
            },
            TunnelSettings {
                local: Some("10.0.0.2".parse().unwrap()),
                ..TunnelSettings::default()
            },
            TunnelSettings {
                dev: Some("eth0".into()),
                ..TunnelSettings::default()
            },
            TunnelSettings {
                ikey: Some(7),
                ..TunnelSettings::default()
            },
            TunnelSettings {
                up: Some(false),
                ..TunnelSettings::default()
            },
        ];
        for settings in &alone {
            assert!(goes_alone(settings), "{settings:?}");
        }
    }

    #[test]
    fn changes_of_headers_ttl_and_mtu_go_in_runs() {
        let in_runs = [
            TunnelSettings {
                ttl: Some(9),
                mtu: Some(1400),
                ..TunnelSettings::default()
            },
            TunnelSettings {
                okey: Some(7),
                ocsum: Some(true),
                ..TunnelSettings::default()
            },
            TunnelSettings::encap_only(crate::tunnel::EncapSpec::none()),
        ];
        for settings in &in_runs {
            assert!(!goes_alone(settings), "{settings:?}");
        }
    }

    #[test]
    fn what_could_not_be_taken_back_is_said_with_the_failure() {
        let mut results: Vec<Result<()>> = vec![Ok(()), Err(Error::system("line 2 failed"))];
        note_kept(&mut results, "tunnels made", vec!["\"t3\"".into()]);
        assert!(results[0].is_ok());
        assert_eq!(
            results[1].as_ref().unwrap_err().to_string(),
            "line 2 failed; tunnels made by the lines after it could not all be taken back: \"t3\""
        );
    }

    #[test]
    fn nothing_is_added_when_everything_was_taken_back() {
        let mut results: Vec<Result<()>> = vec![Err(Error::system("line 1 failed"))];
        note_kept(&mut results, "tunnels made", Vec::new());
        assert_eq!(
            results[0].as_ref().unwrap_err().to_string(),
            "line 1 failed"
        );
    }
}
