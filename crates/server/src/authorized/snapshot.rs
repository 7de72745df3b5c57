//! The authorized-entries decision over an in-memory copy of the entry table.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use spire_datastore::RegistrationEntry;
use spire_spiffe::Selector;

/// The registration entries at one point in time, indexed by entry ID and parent ID.
///
/// Cloning copies the indexes, not the entries (they are shared `Arc`s).
#[derive(Debug, Default, Clone)]
pub struct EntrySnapshot {
    by_id: HashMap<String, Arc<RegistrationEntry>>,
    by_parent: HashMap<String, Vec<Arc<RegistrationEntry>>>,
}

impl EntrySnapshot {
    /// Indexes `entries`; a repeated entry ID keeps the last one.
    pub fn new(entries: impl IntoIterator<Item = RegistrationEntry>) -> Self {
        let mut snapshot = Self::default();
        for entry in entries {
            snapshot.upsert(entry);
        }
        snapshot
    }

    /// Adds `entry`, replacing the entry with the same ID if there is one.
    pub fn upsert(&mut self, entry: RegistrationEntry) {
        self.remove(&entry.entry_id);
        let entry = Arc::new(entry);
        self.by_parent
            .entry(entry.parent_id.clone())
            .or_default()
            .push(Arc::clone(&entry));
        self.by_id.insert(entry.entry_id.clone(), entry);
    }

    /// Drops the entry with ID `entry_id`, if present.
    pub fn remove(&mut self, entry_id: &str) {
        let Some(old) = self.by_id.remove(entry_id) else {
            return;
        };
        if let Some(siblings) = self.by_parent.get_mut(&old.parent_id) {
            siblings.retain(|e| e.entry_id != entry_id);
            if siblings.is_empty() {
                self.by_parent.remove(&old.parent_id);
            }
        }
    }

    /// How many entries the snapshot holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the snapshot holds no entry.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The entries agent `agent_id` is authorized for, sorted by entry ID, each once.
    ///
    /// `server_id` is `spiffe://<td>/spire/server`, the parent of node alias entries; an alias
    /// applies when every one of its selectors is among `node_selectors`.
    ///
    /// Security: an alias with no selectors would match every agent, so it matches none (the
    /// Entry API refuses such entries anyway). Descendants are followed through SPIFFE IDs
    /// with a visited set, so a cycle of entries (A parents B parents A) ends.
    ///
    /// Security: an entry whose `expires_at` is at or before `now` is not authorized, and
    /// nothing is reached through it (an expired alias or parent entry authorizes no
    /// descendants). Expired entries stay in the table until the pruner removes them, minutes
    /// later; without this check they would go on being synced and signed until then.
    pub fn authorized_for(
        &self,
        agent_id: &str,
        server_id: &str,
        node_selectors: &[Selector],
        now: SystemTime,
    ) -> Vec<Arc<RegistrationEntry>> {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let live = |entry: &RegistrationEntry| entry.expires_at == 0 || entry.expires_at > now;
        let agent_selectors: HashSet<&Selector> = node_selectors.iter().collect();
        let mut found: BTreeMap<&str, &Arc<RegistrationEntry>> = BTreeMap::new();
        let mut visited: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();

        visited.insert(agent_id);
        queue.push_back(agent_id);
        for alias in self.children(server_id).iter().filter(|e| live(e)) {
            let applies = !alias.selectors.is_empty()
                && alias.selectors.iter().all(|s| agent_selectors.contains(s));
            if applies {
                found.insert(alias.entry_id.as_str(), alias);
                if visited.insert(alias.spiffe_id.as_str()) {
                    queue.push_back(alias.spiffe_id.as_str());
                }
            }
        }
        while let Some(parent) = queue.pop_front() {
            // Entries parented to the server are aliases, matched by selectors above only.
            if parent == server_id {
                continue;
            }
            for entry in self.children(parent).iter().filter(|e| live(e)) {
                found.insert(entry.entry_id.as_str(), entry);
                if visited.insert(entry.spiffe_id.as_str()) {
                    queue.push_back(entry.spiffe_id.as_str());
                }
            }
        }
        found.into_values().cloned().collect()
    }

    fn children(&self, parent_id: &str) -> &[Arc<RegistrationEntry>] {
        self.by_parent.get(parent_id).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: &str = "spiffe://example.org/spire/agent/join_token/t1";
    const SERVER: &str = "spiffe://example.org/spire/server";
    const NOW_SECS: i64 = 1_700_000_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs(NOW_SECS.unsigned_abs())
    }

    fn sel(kind: &str, value: &str) -> Selector {
        Selector::new(kind, value).expect("test selectors are valid")
    }

    fn entry(id: &str, parent: &str, spiffe_id: &str, selectors: &[Selector]) -> RegistrationEntry {
        RegistrationEntry {
            entry_id: id.into(),
            parent_id: parent.into(),
            spiffe_id: spiffe_id.into(),
            selectors: selectors.to_vec(),
            ..RegistrationEntry::default()
        }
    }

    fn ids(entries: &[Arc<RegistrationEntry>]) -> Vec<&str> {
        entries.iter().map(|e| e.entry_id.as_str()).collect()
    }

    #[test]
    fn entries_parented_to_the_agent_are_authorized_and_others_are_not() {
        let snap = EntrySnapshot::new([
            entry(
                "a",
                AGENT,
                "spiffe://example.org/web",
                &[sel("unix", "uid:1")],
            ),
            entry(
                "b",
                "spiffe://example.org/spire/agent/other",
                "spiffe://example.org/db",
                &[sel("unix", "uid:2")],
            ),
        ]);
        assert_eq!(ids(&snap.authorized_for(AGENT, SERVER, &[], now())), ["a"]);
    }

    #[test]
    fn an_alias_applies_when_its_selectors_are_a_subset_of_the_node_selectors() {
        let snap = EntrySnapshot::new([
            entry(
                "alias",
                SERVER,
                "spiffe://example.org/nodes/eu",
                &[sel("x509pop", "ca:fp"), sel("x509pop", "subject:cn:eu")],
            ),
            entry(
                "wide",
                SERVER,
                "spiffe://example.org/nodes/all",
                &[sel("x509pop", "ca:fp")],
            ),
            entry(
                "strict",
                SERVER,
                "spiffe://example.org/nodes/us",
                &[sel("x509pop", "ca:fp"), sel("x509pop", "subject:cn:us")],
            ),
            entry(
                "web",
                "spiffe://example.org/nodes/eu",
                "spiffe://example.org/web",
                &[sel("unix", "uid:1")],
            ),
            entry(
                "api",
                "spiffe://example.org/nodes/us",
                "spiffe://example.org/api",
                &[sel("unix", "uid:1")],
            ),
        ]);
        let node = [
            sel("x509pop", "ca:fp"),
            sel("x509pop", "subject:cn:eu"),
            sel("x509pop", "serialnumber:1"),
        ];
        assert_eq!(
            ids(&snap.authorized_for(AGENT, SERVER, &node, now())),
            ["alias", "web", "wide"]
        );
    }

    #[test]
    fn an_alias_without_selectors_matches_no_agent() {
        let snap = EntrySnapshot::new([entry("empty", SERVER, "spiffe://example.org/n", &[])]);
        assert!(
            snap.authorized_for(AGENT, SERVER, &[sel("a", "b")], now())
                .is_empty()
        );
    }

    #[test]
    fn descendants_are_followed_through_spiffe_ids() {
        let snap = EntrySnapshot::new([
            entry("1", AGENT, "spiffe://example.org/a", &[sel("t", "1")]),
            entry(
                "2",
                "spiffe://example.org/a",
                "spiffe://example.org/b",
                &[sel("t", "2")],
            ),
            entry(
                "3",
                "spiffe://example.org/b",
                "spiffe://example.org/c",
                &[sel("t", "3")],
            ),
            entry(
                "4",
                "spiffe://example.org/x",
                "spiffe://example.org/y",
                &[sel("t", "4")],
            ),
        ]);
        assert_eq!(
            ids(&snap.authorized_for(AGENT, SERVER, &[], now())),
            ["1", "2", "3"]
        );
    }

    #[test]
    fn a_cycle_of_entries_ends_and_lists_each_entry_once() {
        let snap = EntrySnapshot::new([
            entry("1", AGENT, "spiffe://example.org/a", &[sel("t", "1")]),
            entry(
                "2",
                "spiffe://example.org/a",
                "spiffe://example.org/b",
                &[sel("t", "2")],
            ),
            entry(
                "3",
                "spiffe://example.org/b",
                "spiffe://example.org/a",
                &[sel("t", "3")],
            ),
            entry("4", "spiffe://example.org/b", AGENT, &[sel("t", "4")]),
        ]);
        assert_eq!(
            ids(&snap.authorized_for(AGENT, SERVER, &[], now())),
            ["1", "2", "3", "4"]
        );
    }

    #[test]
    fn an_entry_naming_the_server_id_does_not_pull_in_every_alias() {
        let snap = EntrySnapshot::new([
            entry("1", AGENT, SERVER, &[sel("t", "1")]),
            entry("alias", SERVER, "spiffe://example.org/n", &[sel("x", "y")]),
        ]);
        assert_eq!(ids(&snap.authorized_for(AGENT, SERVER, &[], now())), ["1"]);
    }

    #[test]
    fn upsert_moves_an_entry_to_its_new_parent_and_remove_drops_it() {
        let mut snap = EntrySnapshot::new([entry(
            "1",
            AGENT,
            "spiffe://example.org/a",
            &[sel("t", "1")],
        )]);
        snap.upsert(entry(
            "1",
            "spiffe://example.org/spire/agent/other",
            "spiffe://example.org/a",
            &[sel("t", "1")],
        ));
        assert!(snap.authorized_for(AGENT, SERVER, &[], now()).is_empty());
        assert_eq!(snap.len(), 1);
        snap.upsert(entry(
            "2",
            AGENT,
            "spiffe://example.org/b",
            &[sel("t", "2")],
        ));
        assert_eq!(ids(&snap.authorized_for(AGENT, SERVER, &[], now())), ["2"]);
        snap.remove("2");
        snap.remove("missing");
        assert!(snap.authorized_for(AGENT, SERVER, &[], now()).is_empty());
        assert_eq!(snap.len(), 1);
    }

    #[test]
    fn two_entries_with_the_same_spiffe_id_both_count() {
        let snap = EntrySnapshot::new([
            entry("1", AGENT, "spiffe://example.org/a", &[sel("t", "1")]),
            entry("2", AGENT, "spiffe://example.org/a", &[sel("t", "2")]),
            entry(
                "3",
                "spiffe://example.org/a",
                "spiffe://example.org/b",
                &[sel("t", "3")],
            ),
        ]);
        assert_eq!(
            ids(&snap.authorized_for(AGENT, SERVER, &[], now())),
            ["1", "2", "3"]
        );
        assert_eq!(snap.len(), 3);
    }

    fn expiring(mut entry: RegistrationEntry, expires_at: i64) -> RegistrationEntry {
        entry.expires_at = expires_at;
        entry
    }

    #[test]
    fn an_expired_entry_is_not_authorized_and_an_unexpired_one_is() {
        let snap = EntrySnapshot::new([
            expiring(
                entry("past", AGENT, "spiffe://example.org/a", &[]),
                NOW_SECS - 1,
            ),
            expiring(
                entry("edge", AGENT, "spiffe://example.org/b", &[]),
                NOW_SECS,
            ),
            expiring(
                entry("future", AGENT, "spiffe://example.org/c", &[]),
                NOW_SECS + 1,
            ),
            entry("never", AGENT, "spiffe://example.org/d", &[]),
        ]);
        assert_eq!(
            ids(&snap.authorized_for(AGENT, SERVER, &[], now())),
            ["future", "never"]
        );
    }

    #[test]
    fn nothing_is_reached_through_an_expired_parent_or_alias() {
        let node = [sel("x509pop", "ca:fp")];
        let snap = EntrySnapshot::new([
            expiring(
                entry("alias", SERVER, "spiffe://example.org/nodes", &node),
                NOW_SECS - 10,
            ),
            entry(
                "under-alias",
                "spiffe://example.org/nodes",
                "spiffe://example.org/w",
                &[],
            ),
            expiring(
                entry("mid", AGENT, "spiffe://example.org/mid", &[]),
                NOW_SECS - 10,
            ),
            entry(
                "under-mid",
                "spiffe://example.org/mid",
                "spiffe://example.org/x",
                &[],
            ),
        ]);
        assert!(snap.authorized_for(AGENT, SERVER, &node, now()).is_empty());
    }
}
