//! SPIRE's entry sync (`SyncAuthorizedEntries`): when the authorized set is small the server
//! streams full entries at once; otherwise it pages `{id, revision_number, created_at}` and
//! the agent asks, a page at a time, for the full entries it lacks or holds stale copies of.
//! Entries the server no longer lists are dropped. Servers without the RPC are asked with
//! `GetAuthorizedEntries` instead.

use std::collections::{BTreeMap, BTreeSet};

use spire_proto::spire::api::server::entry::v1::entry_client::EntryClient;
use spire_proto::spire::api::server::entry::v1::{
    EntryRevision, GetAuthorizedEntriesRequest, SyncAuthorizedEntriesRequest,
};
use spire_proto::spire::api::types::Entry as ProtoEntry;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Code, Status};

use super::convert::{entry_from_proto, entry_output_mask};
use crate::identity::AgentEntry;

/// The agent's copy of its authorized entries, keyed by entry ID.
pub type EntryCache = BTreeMap<String, AgentEntry>;

/// Brings `cache` up to date with the server. On error `cache` is left as it was.
pub async fn sync_entries(
    client: &mut EntryClient<Channel>,
    cache: &mut EntryCache,
) -> Result<(), Status> {
    let outcome = match stream_sync(client, cache).await {
        Err(status) if status.code() == Code::Unimplemented => {
            let response = client
                .get_authorized_entries(GetAuthorizedEntriesRequest {
                    output_mask: Some(entry_output_mask()),
                })
                .await?
                .into_inner();
            let mut next = EntryCache::new();
            absorb(&mut next, response.entries);
            *cache = next;
            Ok(())
        }
        other => other,
    };
    if outcome.is_ok() {
        tracing::debug!(entries = cache.len(), "Synced authorized entries");
    }
    outcome
}

async fn stream_sync(
    client: &mut EntryClient<Channel>,
    cache: &mut EntryCache,
) -> Result<(), Status> {
    let (tx, rx) = mpsc::channel(4);
    let send = |request: SyncAuthorizedEntriesRequest| {
        let tx = tx.clone();
        async move {
            tx.send(request)
                .await
                .map_err(|_| Status::unavailable("entry sync stream closed by the server"))
        }
    };
    send(SyncAuthorizedEntriesRequest {
        output_mask: Some(entry_output_mask()),
        ids: Vec::new(),
    })
    .await?;
    let mut responses = client
        .sync_authorized_entries(ReceiverStream::new(rx))
        .await?
        .into_inner();
    let first = responses
        .message()
        .await?
        .ok_or_else(|| Status::unavailable("entry sync stream ended before the first page"))?;

    let mut next = EntryCache::new();
    if first.entry_revisions.is_empty() {
        // The whole authorized set came in one response.
        absorb(&mut next, first.entries);
        *cache = next;
        return Ok(());
    }

    // The page size the server uses is the size of its first page of revisions.
    let page_size = first.entry_revisions.len();
    let mut need_full = BTreeSet::new();
    let mut still_authorized = BTreeSet::new();
    let mut more = first.more;
    classify(
        first.entry_revisions,
        cache,
        &mut need_full,
        &mut still_authorized,
    );
    while more {
        let page = responses
            .message()
            .await?
            .ok_or_else(|| Status::unavailable("entry sync stream ended mid revisions"))?;
        if !page.entries.is_empty() {
            return Err(Status::internal(
                "unexpected entry in response receiving entry revisions",
            ));
        }
        more = page.more;
        classify(
            page.entry_revisions,
            cache,
            &mut need_full,
            &mut still_authorized,
        );
    }

    // Unchanged entries carry over; the rest are fetched in full.
    for id in &still_authorized {
        if !need_full.contains(id)
            && let Some(entry) = cache.get(id)
        {
            next.insert(id.clone(), entry.clone());
        }
    }
    let wanted: Vec<String> = need_full.into_iter().collect();
    for ids in wanted.chunks(page_size.max(1)) {
        send(SyncAuthorizedEntriesRequest {
            output_mask: None,
            ids: ids.to_vec(),
        })
        .await?;
        loop {
            let page = responses
                .message()
                .await?
                .ok_or_else(|| Status::unavailable("entry sync stream ended mid entries"))?;
            if !page.entry_revisions.is_empty() {
                return Err(Status::internal(
                    "unexpected entry revisions in response while requesting entries",
                ));
            }
            absorb(&mut next, page.entries);
            if !page.more {
                break;
            }
        }
    }
    drop(tx);
    *cache = next;
    Ok(())
}

/// Records which revisions are still authorized and which need their full entry.
fn classify(
    revisions: Vec<EntryRevision>,
    cache: &EntryCache,
    need_full: &mut BTreeSet<String>,
    still_authorized: &mut BTreeSet<String>,
) {
    for revision in revisions {
        if revision.id.is_empty() || revision.revision_number < 0 {
            tracing::warn!(
                entry_id = %revision.id,
                revision_number = revision.revision_number,
                "Received malformed entry revision from SPIRE server; are the server and agent versions compatible?"
            );
            continue;
        }
        let stale = cache
            .get(&revision.id)
            .is_none_or(|cached| is_stale(cached, revision.revision_number, revision.created_at));
        if stale {
            need_full.insert(revision.id.clone());
        }
        still_authorized.insert(revision.id);
    }
}

/// An entry is stale when its revision moved or it was deleted and recreated under the same
/// ID (same revision, other creation time).
pub(crate) fn is_stale(cached: &AgentEntry, revision_number: i64, created_at: i64) -> bool {
    cached.revision_number != revision_number
        || (created_at != 0 && cached.created_at != created_at)
}

/// Adds full entries from the server to `next`, skipping malformed ones.
fn absorb(next: &mut EntryCache, entries: Vec<ProtoEntry>) {
    for proto in entries {
        let id = proto.id.clone();
        match entry_from_proto(proto) {
            Ok(entry) => {
                next.insert(entry.entry_id.clone(), entry);
            }
            Err(error) => tracing::warn!(
                entry_id = %id,
                %error,
                "Received malformed entry from SPIRE server; are the server and agent versions compatible?"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(revision_number: i64, created_at: i64) -> AgentEntry {
        AgentEntry {
            entry_id: "e".into(),
            spiffe_id: spire_spiffe::SpiffeId::new("spiffe://example.org/w").expect("valid"),
            parent_id: None,
            selectors: vec![],
            x509_svid_ttl: 0,
            jwt_svid_ttl: 0,
            dns_names: vec![],
            federates_with: vec![],
            revision_number,
            hint: String::new(),
            created_at,
            admin: false,
            downstream: false,
            store_svid: false,
            disable_x509_svid_prefetch: false,
            jwt_svid_include_jti: false,
        }
    }

    #[test]
    fn entry_is_stale_when_revision_moves_or_it_was_recreated() {
        assert!(!is_stale(&entry(2, 100), 2, 100));
        assert!(is_stale(&entry(2, 100), 3, 100));
        assert!(is_stale(&entry(2, 100), 2, 101));
        // Older servers send no creation time: only the revision counts.
        assert!(!is_stale(&entry(2, 100), 2, 0));
    }

    #[test]
    fn revisions_mark_new_and_changed_entries_for_a_full_fetch() {
        let mut cache = EntryCache::new();
        cache.insert("same".into(), entry(1, 10));
        cache.insert("changed".into(), entry(1, 10));
        cache.insert("gone".into(), entry(1, 10));
        let revision = |id: &str, n| EntryRevision {
            id: id.into(),
            revision_number: n,
            created_at: 10,
        };
        let mut need_full = BTreeSet::new();
        let mut authorized = BTreeSet::new();
        classify(
            vec![
                revision("same", 1),
                revision("changed", 2),
                revision("new", 1),
                revision("", 1),
            ],
            &cache,
            &mut need_full,
            &mut authorized,
        );
        assert_eq!(
            need_full.into_iter().collect::<Vec<_>>(),
            vec!["changed", "new"]
        );
        assert_eq!(
            authorized.into_iter().collect::<Vec<_>>(),
            vec!["changed", "new", "same"]
        );
    }
}
