//! The ports the kernel's dump loses, put back where it lost them.
//!
//! The kernel's dump counts an entry as sent before it knows the entry fit in the reply
//! buffer, so the entry that does not fit at the end of each buffer is never sent.

use super::FouPort;

/// Whether a dump may have dropped entries: only a dump that filled a reply buffer can. A
/// dump of one small datagram cannot; to be safe, any dump of more than one datagram, or of
/// more entries than the smallest reply buffer holds, is checked.
pub(super) fn may_have_lost_entries(ports: &[FouPort], datagrams: &[usize]) -> bool {
    // NLMSG_GOODSIZE (a page less overhead) holds about 40 entries of 84 to 112 bytes.
    const SMALLEST_BUFFER_ENTRIES: usize = 30;
    datagrams.last().is_some_and(|last| *last > 0) || ports.len() >= SMALLEST_BUFFER_ENTRIES
}

/// Puts recovered ports back where the dump lost them: each lost entry was the one after the
/// last entry of a datagram. When as many were recovered as datagrams ended early, every
/// place is known (their order among themselves is not: they go by family and number);
/// anything else goes at the end.
pub(super) fn reinsert(
    ports: Vec<FouPort>,
    datagrams: &[usize],
    mut recovered: Vec<FouPort>,
) -> Vec<FouPort> {
    if recovered.is_empty() {
        return ports;
    }
    recovered.sort_by_key(|p| (p.family, p.port));
    let count = datagrams.last().map_or(0, |last| last + 1);
    // Datagrams 0..count-1 certainly ended early; the last one did too if one more was found.
    let early = if recovered.len() >= count {
        count
    } else {
        count.saturating_sub(1)
    };
    let mut recovered = recovered.into_iter();
    let mut out = Vec::with_capacity(ports.len() + recovered.len());
    for (index, port) in ports.into_iter().enumerate() {
        let datagram = datagrams[index];
        out.push(port);
        let last_of_datagram = datagrams.get(index + 1) != Some(&datagram);
        if last_of_datagram && datagram < early {
            out.extend(recovered.next());
        }
    }
    out.extend(recovered);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(n: u16) -> FouPort {
        FouPort::direct(n, 4)
    }

    #[test]
    fn lost_entries_go_back_after_each_full_datagram() {
        // The dump sent 9 8 | 6 5 and lost one port after each datagram. The places are known;
        // which lost port goes in which place is not, so they go by number.
        let dumped = vec![port(9), port(8), port(6), port(5)];
        let out = reinsert(dumped, &[0, 0, 1, 1], vec![port(4), port(7)]);
        let order: Vec<u16> = out.iter().map(|p| p.port).collect();
        assert_eq!(order, [9, 8, 4, 6, 5, 7]);
        // One lost entry between two datagrams has one place.
        let out = reinsert(vec![port(9), port(8), port(6)], &[0, 0, 1], vec![port(7)]);
        assert_eq!(out.iter().map(|p| p.port).collect::<Vec<_>>(), [9, 8, 7, 6]);
    }

    #[test]
    fn small_dumps_are_trusted() {
        assert!(!may_have_lost_entries(&[port(1)], &[0]));
        assert!(may_have_lost_entries(&[port(1), port(2)], &[0, 1]));
        assert!(may_have_lost_entries(&vec![port(1); 30], &[0; 30]));
    }
}
