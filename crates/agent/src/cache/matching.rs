//! Which entries a workload gets: the selector index, subset matching, SPIRE's identity order
//! and its `hint` tie-break.

use std::collections::{BTreeSet, HashMap};

use spire_spiffe::Selector;

use crate::identity::AgentEntry;

/// A workload's (or a subscription's) selectors, deduplicated and ordered.
pub type SelectorSet = BTreeSet<Selector>;

/// Entry IDs by each selector they carry.
#[derive(Debug, Default)]
pub struct SelectorIndex {
    by_selector: HashMap<Selector, BTreeSet<String>>,
}

impl SelectorIndex {
    pub fn insert(&mut self, entry: &AgentEntry) {
        for selector in &entry.selectors {
            self.by_selector
                .entry(selector.clone())
                .or_default()
                .insert(entry.entry_id.clone());
        }
    }

    pub fn remove(&mut self, entry: &AgentEntry) {
        for selector in &entry.selectors {
            if let Some(ids) = self.by_selector.get_mut(selector) {
                ids.remove(&entry.entry_id);
                if ids.is_empty() {
                    self.by_selector.remove(selector);
                }
            }
        }
    }

    /// IDs of entries sharing at least one selector with `set` (candidates, not yet matches).
    pub fn candidates(&self, set: &SelectorSet) -> BTreeSet<&str> {
        set.iter()
            .filter_map(|selector| self.by_selector.get(selector))
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// Whether `entry` is granted to a workload with `set`: every selector of the entry is among
/// the workload's. An entry without selectors matches nothing (SPIRE finds entries through
/// their selectors, so such an entry is unreachable).
pub fn entry_matches(entry: &AgentEntry, set: &SelectorSet) -> bool {
    !entry.selectors.is_empty() && entry.selectors.iter().all(|s| set.contains(s))
}

/// Drops entries whose non-empty `hint` repeats another's, keeping the oldest (`created_at`,
/// then the smaller entry ID), as SPIRE's Workload API does. Input and output are in entry ID
/// order, the order SPIRE lists identities in (the first is the workload's default).
pub fn dedup_hints(entries: Vec<&AgentEntry>) -> Vec<&AgentEntry> {
    let mut kept_for_hint: HashMap<&str, &AgentEntry> = HashMap::new();
    for entry in &entries {
        if entry.hint.is_empty() {
            continue;
        }
        kept_for_hint
            .entry(entry.hint.as_str())
            .and_modify(|kept| {
                if (entry.created_at, &entry.entry_id) < (kept.created_at, &kept.entry_id) {
                    *kept = entry;
                }
            })
            .or_insert(entry);
    }
    entries
        .into_iter()
        .filter(|entry| {
            entry.hint.is_empty()
                || kept_for_hint
                    .get(entry.hint.as_str())
                    .is_some_and(|kept| kept.entry_id == entry.entry_id)
        })
        .collect()
}
