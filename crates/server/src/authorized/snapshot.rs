//! The authorized-entries decision over an in-memory copy of the entry table.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

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
    pub fn authorized_for(
        &self,
        agent_id: &str,
        server_id: &str,
        node_selectors: &[Selector],
    ) -> Vec<Arc<RegistrationEntry>> {
        let agent_selectors: HashSet<&Selector> = node_selectors.iter().collect();
        let mut found: BTreeMap<&str, &Arc<RegistrationEntry>> = BTreeMap::new();
        let mut visited: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();

        visited.insert(agent_id);
        queue.push_back(agent_id);
        for alias in self.children(server_id) {
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
            for entry in self.children(parent) {
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
        assert_eq!(ids(&snap.authorized_for(AGENT, SERVER, &[])), ["a"]);
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
            ids(&snap.authorized_for(AGENT, SERVER, &node)),
            ["alias", "web", "wide"]
        );
    }

    #[test]
    fn an_alias_without_selectors_matches_no_agent() {
        let snap = EntrySnapshot::new([entry("empty", SERVER, "spiffe://example.org/n", &[])]);
        assert!(
            snap.authorized_for(AGENT, SERVER, &[sel("a", "b")])
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
            ids(&snap.authorized_for(AGENT, SERVER, &[])),
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
            ids(&snap.authorized_for(AGENT, SERVER, &[])),
            ["1", "2", "3", "4"]
        );
    }

    #[test]
    fn an_entry_naming_the_server_id_does_not_pull_in_every_alias() {
        let snap = EntrySnapshot::new([
            entry("1", AGENT, SERVER, &[sel("t", "1")]),
            entry("alias", SERVER, "spiffe://example.org/n", &[sel("x", "y")]),
        ]);
        assert_eq!(ids(&snap.authorized_for(AGENT, SERVER, &[])), ["1"]);
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
        assert!(snap.authorized_for(AGENT, SERVER, &[]).is_empty());
        assert_eq!(snap.len(), 1);
        snap.upsert(entry(
            "2",
            AGENT,
            "spiffe://example.org/b",
            &[sel("t", "2")],
        ));
        assert_eq!(ids(&snap.authorized_for(AGENT, SERVER, &[])), ["2"]);
        snap.remove("2");
        snap.remove("missing");
        assert!(snap.authorized_for(AGENT, SERVER, &[]).is_empty());
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
            ids(&snap.authorized_for(AGENT, SERVER, &[])),
            ["1", "2", "3"]
        );
        assert_eq!(snap.len(), 3);
    }
}
