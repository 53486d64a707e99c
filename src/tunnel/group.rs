//! Deleting many tunnels in one step: the kernel's group delete.

use crate::maps::HashSet;

use netlink_packet_core::NLM_F_REQUEST;

use super::rules::refuse_fallback;
use super::wire::{del_group_request, set_group_request};
use super::Tunnel;
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::links::link_group;

/// The first device group a group delete tries: far from the small numbers people give
/// groups by hand.
const FIRST_FREE_GROUP: u32 = 0x7ead_0000;

impl Handle {
    /// Deletes many tunnels at once with the kernel's group delete: each is moved to a device
    /// group that no device of the namespace uses, then the group is deleted in one step
    /// (deleting devices one by one mostly waits in the kernel). If anything fails before the
    /// delete, every tunnel moved is put back in its old group and nothing is deleted.
    ///
    /// Another tool could move a device of its own into the group meanwhile: the group's
    /// members are read again just before the delete, and anything but these tunnels there
    /// stops it. rfou's own changes wait: the namespace's change lock is held throughout.
    ///
    /// The kernel skips some devices of a group delete and still answers success (the
    /// fallback devices): the tunnels still there afterwards are put back in their group and
    /// returned, so that no caller reports them deleted.
    pub fn tunnel_del_many(&mut self, tunnels: &[Tunnel]) -> Result<Vec<Tunnel>> {
        if tunnels.is_empty() {
            return Ok(Vec::new());
        }
        for tunnel in tunnels {
            refuse_fallback(tunnel, "delete")?;
        }
        let _lock = self.change_lock()?;
        let links = self.links()?;
        let used: HashSet<u32> = links.iter().filter_map(link_group).collect();
        let group = (FIRST_FREE_GROUP..u32::MAX)
            .find(|g| !used.contains(g))
            .ok_or_else(|| Error::system("no free device group for a bulk delete"))?;
        let moves = tunnels.iter().map(|t| set_group_request(t.ifindex, group));
        let moved = self.route.request_many(moves, NLM_F_REQUEST);
        let ready = match moved.iter().find_map(|r| r.clone().err()) {
            Some(err) => Err(self.refusal(err, "cannot delete the tunnels as a group")),
            None => self.only_ours_in(group, tunnels),
        };
        let deleted = ready.and_then(|()| {
            self.route
                .request(del_group_request(group), NLM_F_REQUEST)
                .map(|_| ())
                .map_err(|err| self.refusal(err, "cannot delete the tunnels as a group"))
        });
        if let Err(err) = deleted {
            let moved: Vec<&Tunnel> = tunnels
                .iter()
                .zip(&moved)
                .filter(|(_, r)| r.is_ok())
                .map(|(t, _)| t)
                .collect();
            return Err(match self.put_back_in_groups(&moved) {
                Ok(()) => err.with_note("nothing was deleted; every tunnel is back in its group"),
                Err(back) => err.with_note(format!(
                    "nothing was deleted, but not every tunnel is back in its group: {back}"
                )),
            });
        }
        let left: HashSet<u32> = self.links()?.iter().map(|l| l.header.index).collect();
        let survivors: Vec<Tunnel> = tunnels
            .iter()
            .filter(|t| left.contains(&t.ifindex))
            .cloned()
            .collect();
        let kept: Vec<&Tunnel> = survivors.iter().collect();
        self.put_back_in_groups(&kept).map_err(|err| {
            err.context(format!(
                "the group delete left {} tunnel(s) in place and cannot put them back in their group",
                survivors.len()
            ))
        })?;
        Ok(survivors)
    }

    /// Refuses a group delete of `group` unless its members are `tunnels` alone.
    fn only_ours_in(&mut self, group: u32, tunnels: &[Tunnel]) -> Result<()> {
        let ours: HashSet<u32> = tunnels.iter().map(|t| t.ifindex).collect();
        let strangers: Vec<String> = self
            .links()?
            .iter()
            .filter(|l| link_group(l) == Some(group) && !ours.contains(&l.header.index))
            .filter_map(|l| crate::links::link_name(l).map(str::to_string))
            .collect();
        if strangers.is_empty() {
            return Ok(());
        }
        Err(Error::system(format!(
            "cannot delete the tunnels as a group: device(s) {} joined the group {group:#x} meanwhile",
            strangers.join(", ")
        )))
    }

    /// Moves each of `tunnels` back to the group it was read in; every one is tried.
    fn put_back_in_groups(&mut self, tunnels: &[&Tunnel]) -> Result<()> {
        let back = tunnels
            .iter()
            .map(|t| set_group_request(t.ifindex, t.group));
        let results = self.route.request_many(back, NLM_F_REQUEST);
        let failed: Vec<String> = tunnels
            .iter()
            .zip(results)
            .filter_map(|(t, r)| {
                r.err()
                    .map(|e| format!("\"{}\" (errno {})", t.name, e.errno))
            })
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Error::system(format!(
                "cannot put tunnel(s) {} back in their group",
                failed.join(", ")
            )))
        }
    }
}
