//! [`KeptSessions`]: the sockets that left and may come back, in the order
//! they left — what the `max_kept_sessions` cap forgets first. In memory:
//! a few dozen bytes per kept session, at most the cap's worth.

use std::collections::{BTreeMap, HashMap};

/// Where a session sits in the order: when it left (unix ms), then a
/// sequence number for those that left in the same millisecond.
type Place = (u64, u64);

/// The disconnected sessions a namespace keeps, oldest first.
#[derive(Debug, Default)]
pub(super) struct KeptSessions {
    /// Place → pid.
    order: BTreeMap<Place, String>,
    /// Pid → its place in `order`.
    places: HashMap<String, Place>,
    /// The next sequence number.
    seq: u64,
}

impl KeptSessions {
    /// Records that session `pid` left at `at_ms` (in place of an earlier
    /// record of it), then forgets the oldest while more than `max` are
    /// kept; returns the pids forgotten, oldest first (`pid` itself among
    /// them when `max` is 0).
    pub(super) fn left(&mut self, pid: &str, at_ms: u64, max: usize) -> Vec<String> {
        self.remove(pid);
        let place = (at_ms, self.seq);
        self.seq = self.seq.wrapping_add(1);
        self.order.insert(place, pid.to_owned());
        self.places.insert(pid.to_owned(), place);
        let mut forgotten = Vec::new();
        while self.order.len() > max {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.places.remove(&oldest);
            forgotten.push(oldest);
        }
        forgotten
    }

    /// Session `pid` is kept no more (restored, connected again, expired or
    /// gone for good).
    pub(super) fn remove(&mut self, pid: &str) {
        if let Some(place) = self.places.remove(pid) {
            self.order.remove(&place);
        }
    }

    /// How many are kept.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_to_leave_is_forgotten_first_and_exactly_at_the_cap() {
        let mut kept = KeptSessions::default();
        assert!(kept.left("a", 10, 2).is_empty());
        assert!(kept.left("b", 5, 2).is_empty(), "two fit in two");
        assert_eq!(kept.left("c", 10, 2), ["b"], "b left first");
        assert_eq!(kept.len(), 2);
        // Leaving again moves a session to the back; same millisecond: in
        // the order of the calls.
        assert!(kept.left("a", 10, 2).is_empty());
        assert_eq!(kept.left("d", 10, 2), ["c"]);
        kept.remove("a");
        kept.remove("nobody");
        assert_eq!(kept.len(), 1);
        assert!(kept.left("e", 11, 2).is_empty(), "a's place was freed");
        assert_eq!(
            kept.left("f", 12, 0),
            ["d", "e", "f"],
            "a cap of 0 keeps none"
        );
        assert_eq!(kept.len(), 0);
        assert!(kept.places.is_empty());
    }
}
