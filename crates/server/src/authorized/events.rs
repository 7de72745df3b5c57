//! Which entry events have been applied, and which are still owed (sans-IO).
//!
//! Event IDs come from an auto-increment column, so they are handed out in order but become
//! visible in commit order: a reader can see event 7 while event 6's transaction is still
//! open. A missing ID below the highest one seen is a *gap*; it is asked for again on every
//! poll until it shows up or [`GAP_TIMEOUT`] passes (a rolled-back transaction leaves a gap
//! that never fills). SPIRE's events-based cache tracks "skipped events" the same way.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use spire_datastore::EntryEvent;

/// How long a gap is waited for before it is given up on.
pub const GAP_TIMEOUT: Duration = Duration::from_secs(120);

/// More missing IDs than this at once means the log cannot be followed: reload in full.
pub const MAX_GAPS: i64 = 10_000;

/// How far below the last event ID a fresh cursor starts, so that transactions still open
/// when the entry table was read are seen when they commit (re-applying an event that the
/// read already included is harmless: it refetches the entry).
pub const REPLAY_WINDOW: i64 = 50;

/// The position in the entry event log.
#[derive(Debug, Clone)]
pub struct EventCursor {
    last_seen: i64,
    gaps: BTreeMap<i64, SystemTime>,
}

/// What a batch of events asks of the cache.
#[derive(Debug, PartialEq, Eq)]
pub enum Delta {
    /// Refetch these entries (deduplicated, in event order).
    Refetch(Vec<String>),
    /// Too much is missing to follow the log: reload everything.
    Reload,
}

impl EventCursor {
    /// A cursor for an entry table read after event `last_event_id` was the highest.
    pub fn after_full_load(last_event_id: i64) -> Self {
        Self {
            last_seen: last_event_id.saturating_sub(REPLAY_WINDOW).max(0),
            gaps: BTreeMap::new(),
        }
    }

    /// The highest event ID seen; the next poll asks for events above it.
    pub fn last_seen(&self) -> i64 {
        self.last_seen
    }

    /// The missing event IDs to ask for again.
    pub fn gaps(&self) -> Vec<i64> {
        self.gaps.keys().copied().collect()
    }

    /// Records `events` (any order; repeats ignored) seen at `now`, forgets gaps older than
    /// [`GAP_TIMEOUT`], and says what to refetch.
    pub fn observe(&mut self, mut events: Vec<EntryEvent>, now: SystemTime) -> Delta {
        events.sort_by_key(|e| e.event_id);
        let mut refetch: Vec<String> = Vec::new();
        for event in events {
            let id = event.event_id;
            if id > self.last_seen {
                if id - self.last_seen - 1 + self.gaps.len() as i64 > MAX_GAPS {
                    return Delta::Reload;
                }
                for missing in self.last_seen + 1..id {
                    self.gaps.insert(missing, now);
                }
                self.last_seen = id;
            } else if self.gaps.remove(&id).is_none() {
                continue;
            }
            if !refetch.contains(&event.entry_id) {
                refetch.push(event.entry_id);
            }
        }
        self.gaps
            .retain(|_, noticed| now.duration_since(*noticed).unwrap_or_default() < GAP_TIMEOUT);
        Delta::Refetch(refetch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, entry: &str) -> EntryEvent {
        EntryEvent {
            event_id: id,
            entry_id: entry.into(),
        }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_fresh_cursor_replays_a_window_below_the_last_event() {
        assert_eq!(EventCursor::after_full_load(500).last_seen(), 450);
        assert_eq!(EventCursor::after_full_load(10).last_seen(), 0);
    }

    #[test]
    fn events_in_order_are_refetched_once_per_entry() {
        let mut cursor = EventCursor::after_full_load(0);
        let delta = cursor.observe(vec![ev(2, "b"), ev(1, "a"), ev(3, "a")], at(0));
        assert_eq!(delta, Delta::Refetch(vec!["a".into(), "b".into()]));
        assert_eq!(cursor.last_seen(), 3);
        assert!(cursor.gaps().is_empty());
        assert_eq!(
            cursor.observe(vec![ev(3, "a")], at(1)),
            Delta::Refetch(vec![]),
            "an event seen before is not applied again"
        );
    }

    #[test]
    fn a_late_commit_fills_its_gap_and_is_applied() {
        let mut cursor = EventCursor::after_full_load(0);
        cursor.observe(vec![ev(1, "a"), ev(4, "d")], at(0));
        assert_eq!(cursor.gaps(), [2, 3]);
        let delta = cursor.observe(vec![ev(3, "c")], at(1));
        assert_eq!(delta, Delta::Refetch(vec!["c".into()]));
        assert_eq!(cursor.gaps(), [2]);
    }

    #[test]
    fn a_gap_that_never_fills_is_given_up_after_the_timeout() {
        let mut cursor = EventCursor::after_full_load(0);
        cursor.observe(vec![ev(2, "b")], at(0));
        assert_eq!(cursor.gaps(), [1]);
        cursor.observe(vec![], at(119));
        assert_eq!(cursor.gaps(), [1]);
        cursor.observe(vec![], at(120));
        assert!(cursor.gaps().is_empty());
    }

    #[test]
    fn a_jump_past_too_many_missing_ids_asks_for_a_reload() {
        let mut cursor = EventCursor::after_full_load(0);
        assert_eq!(
            cursor.observe(vec![ev(MAX_GAPS + 2, "x")], at(0)),
            Delta::Reload
        );
    }
}
