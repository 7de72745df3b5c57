//! The event logs (`registered_entries_events`, `attested_node_entries_events`) are pruned
//! by age, as SPIRE's `prune_events_older_than` does.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::records::{AttestedNode, RegistrationEntry};
use crate::store::DataStore;

use super::sel;

/// The datastore stamps events with its own clock; checks compare against the same one.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub async fn entry_events_prune(ds: &dyn DataStore) {
    for path in ["/a", "/b"] {
        ds.create_registration_entry(&RegistrationEntry {
            parent_id: "spiffe://td/spire/agent/x".into(),
            spiffe_id: format!("spiffe://td{path}"),
            selectors: vec![sel("unix:uid:1")],
            ..RegistrationEntry::default()
        })
        .await
        .expect("create entry");
    }
    let events = ds
        .list_registration_entry_events(0, 100)
        .await
        .expect("list events");
    assert_eq!(events.len(), 2, "one event per create: {events:?}");
    assert_eq!(
        ds.prune_registration_entry_events(now() - 3600)
            .await
            .expect("prune none"),
        0,
        "events newer than the cutoff stay"
    );
    assert_eq!(
        ds.list_registration_entry_events(0, 100)
            .await
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        ds.prune_registration_entry_events(now() + 3600)
            .await
            .expect("prune all"),
        2
    );
    assert!(
        ds.list_registration_entry_events(0, 100)
            .await
            .expect("list")
            .is_empty()
    );
    // The log goes on after a prune, with IDs above the pruned ones.
    ds.create_registration_entry(&RegistrationEntry {
        parent_id: "spiffe://td/spire/agent/x".into(),
        spiffe_id: "spiffe://td/c".into(),
        selectors: vec![sel("unix:uid:1")],
        ..RegistrationEntry::default()
    })
    .await
    .expect("create after prune");
    let after = ds
        .list_registration_entry_events(0, 100)
        .await
        .expect("list");
    assert_eq!(after.len(), 1);
    assert!(
        after[0].event_id > events[1].event_id,
        "event IDs are not reused: {after:?} after {events:?}"
    );
}

pub async fn node_events_prune(ds: &dyn DataStore) {
    ds.create_attested_node(&AttestedNode {
        spiffe_id: "spiffe://td/spire/agent/a".into(),
        attestation_type: "x".into(),
        serial_number: "1".into(),
        expires_at: now() + 3600,
        ..AttestedNode::default()
    })
    .await
    .expect("create node");
    assert_eq!(
        ds.prune_attested_node_events(now() - 3600)
            .await
            .expect("prune none"),
        0
    );
    assert!(
        ds.prune_attested_node_events(now() + 3600)
            .await
            .expect("prune all")
            >= 1,
        "the create wrote an agent event"
    );
    assert_eq!(
        ds.prune_attested_node_events(now() + 3600)
            .await
            .expect("prune again"),
        0
    );
}
