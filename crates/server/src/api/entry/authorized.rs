//! `GetAuthorizedEntries` and `SyncAuthorizedEntries`: the entries an attested agent may see.
//!
//! The sync protocol is SPIRE's: the first request carries only the output mask (which must
//! keep `revision_number`). When the authorized set fits in one page the server answers with
//! the full entries at once. Otherwise it streams sparse `{id, revision_number, created_at}`
//! pages with `more = true` on all but the last, then answers each later request (a list of
//! IDs the agent lacks or holds stale) with those full entries, paged the same way, the last
//! page of each answer with `more = false`.

use std::sync::Arc;

use prost::Message;

use spire_datastore::RegistrationEntry;
use spire_proto::spire::api::server::entry::v1::{
    EntryRevision, SyncAuthorizedEntriesRequest, SyncAuthorizedEntriesResponse,
};
use spire_proto::spire::api::types::{Entry as ProtoEntry, EntryMask};
use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Status};

use super::EntryApi;
use crate::api::authz::AuthorizedAgent;
use crate::api::convert::entry::apply_entry_mask;
use crate::api::status::with_cause;

/// Entries per response page (SPIRE's `entryPageSize`).
pub const SYNC_PAGE_SIZE: usize = 500;

/// Encoded bytes of full entries per response page. gRPC peers refuse messages over 4 MiB by
/// default; 500 entries with many selectors or DNS names can exceed that, so a page also ends
/// when its entries reach this size (an agent reads pages until `more` is false, so a
/// shorter page changes nothing for it).
pub const SYNC_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// One message of the sync response stream.
pub type SyncItem = Result<SyncAuthorizedEntriesResponse, Status>;

impl EntryApi {
    /// The entries `agent` is authorized for, on the wire, sorted by entry ID, unmasked.
    pub(super) async fn authorized_entries(
        &self,
        agent: &AuthorizedAgent,
    ) -> Result<Vec<ProtoEntry>, Status> {
        let entries = self
            .ctx
            .authorized_entries
            .authorized_for(&self.td, agent.spiffe_id.as_str())
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch entries", e))?;
        entries.iter().map(to_proto).collect()
    }
}

/// Serves one `SyncAuthorizedEntries` stream over `entries` (sorted by ID). Returns when the
/// agent closes its side; an error is the status that ends the stream.
pub async fn sync_authorized_entries<S>(
    mut inbound: S,
    out: &mpsc::Sender<SyncItem>,
    entries: &[ProtoEntry],
    page_size: usize,
) -> Result<(), Status>
where
    S: Stream<Item = Result<SyncAuthorizedEntriesRequest, Status>> + Unpin + Send,
{
    let page_size = page_size.max(1);
    let first = match inbound.next().await {
        Some(Ok(first)) => first,
        Some(Err(e)) => return Err(e),
        None => return Ok(()),
    };
    if !first.ids.is_empty() {
        return Err(Status::invalid_argument(
            "specifying IDs on initial request is not supported",
        ));
    }
    if first
        .output_mask
        .as_ref()
        .is_some_and(|m| !m.revision_number)
    {
        return Err(Status::invalid_argument("revision number cannot be masked"));
    }
    // Later requests' masks are ignored, as in SPIRE.
    let mask = first.output_mask;

    if entries.len() <= page_size && encoded_len(entries, mask.as_ref()) <= SYNC_PAGE_BYTES {
        let response = SyncAuthorizedEntriesResponse {
            entries: entries.iter().map(|e| masked(e, mask.as_ref())).collect(),
            ..SyncAuthorizedEntriesResponse::default()
        };
        let _ = out.send(Ok(response)).await;
        return Ok(());
    }

    let pages = entries.chunks(page_size);
    let last = pages.len().saturating_sub(1);
    for (i, page) in pages.enumerate() {
        let response = SyncAuthorizedEntriesResponse {
            entry_revisions: page
                .iter()
                .map(|e| EntryRevision {
                    id: e.id.clone(),
                    revision_number: e.revision_number,
                    created_at: e.created_at,
                })
                .collect(),
            entries: Vec::new(),
            more: i < last,
        };
        if out.send(Ok(response)).await.is_err() {
            return Ok(());
        }
    }

    while let Some(request) = inbound.next().await {
        let mut ids = match request {
            Ok(request) => request.ids,
            // The agent going away mid-stream is the normal end.
            Err(e) if e.code() == Code::Cancelled => return Ok(()),
            Err(e) => return Err(e),
        };
        ids.sort();
        ids.dedup();
        let mut page = Vec::new();
        let mut page_bytes = 0;
        for id in &ids {
            let Ok(at) = entries.binary_search_by(|e| e.id.as_str().cmp(id)) else {
                continue;
            };
            let entry = masked(&entries[at], mask.as_ref());
            let entry_bytes = entry.encoded_len();
            if !page.is_empty()
                && (page.len() == page_size || page_bytes + entry_bytes > SYNC_PAGE_BYTES)
            {
                let full = SyncAuthorizedEntriesResponse {
                    entries: std::mem::take(&mut page),
                    more: true,
                    ..SyncAuthorizedEntriesResponse::default()
                };
                page_bytes = 0;
                if out.send(Ok(full)).await.is_err() {
                    return Ok(());
                }
            }
            page_bytes += entry_bytes;
            page.push(entry);
        }
        let tail = SyncAuthorizedEntriesResponse {
            entries: page,
            more: false,
            ..SyncAuthorizedEntriesResponse::default()
        };
        if out.send(Ok(tail)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// The encoded size of `entries` once masked.
fn encoded_len(entries: &[ProtoEntry], mask: Option<&EntryMask>) -> usize {
    entries.iter().map(|e| masked(e, mask).encoded_len()).sum()
}

/// A copy of `entry` with `mask` applied.
pub fn masked(entry: &ProtoEntry, mask: Option<&EntryMask>) -> ProtoEntry {
    let mut copy = entry.clone();
    apply_entry_mask(&mut copy, mask);
    copy
}

fn to_proto(entry: &Arc<RegistrationEntry>) -> Result<ProtoEntry, Status> {
    crate::api::convert::entry::proto_from_entry(entry).map_err(|e| {
        with_cause(
            Code::Internal,
            &format!("failed to convert entry {:?}", entry.entry_id),
            e,
        )
    })
}
