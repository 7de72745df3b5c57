//! `spire.api.server.entry.v1.Entry`: registration entry administration.
//!
//! Every method here is for local callers and admins, except `GetAuthorizedEntries` and
//! `SyncAuthorizedEntries`, which serve attested agents the entries they are authorized for.

mod authorized;
mod filter;
mod write;

pub use authorized::{SYNC_PAGE_SIZE, SyncItem, sync_authorized_entries};

use spire_proto::spire::api::server::entry::v1::entry_server::Entry;
use spire_proto::spire::api::server::entry::v1::{
    BatchCreateEntryRequest, BatchCreateEntryResponse, BatchDeleteEntryRequest,
    BatchDeleteEntryResponse, BatchUpdateEntryRequest, BatchUpdateEntryResponse,
    CountEntriesRequest, CountEntriesResponse, GetAuthorizedEntriesRequest,
    GetAuthorizedEntriesResponse, GetEntryRequest, ListEntriesRequest, ListEntriesResponse,
    SyncAuthorizedEntriesRequest,
};
use spire_proto::spire::api::types::Entry as ProtoEntry;
use spire_spiffe::TrustDomain;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status, Streaming};

use crate::api::authz::{require_agent, require_local_or_admin};
use crate::api::convert::entry::{apply_entry_mask, proto_from_entry};
use crate::api::paging::{count_i32, pagination};
use crate::api::status::{self, with_cause};
use crate::context::ServerContext;
use filter::{FilterParts, entry_filter};

const SERVICE: &str = "/spire.api.server.entry.v1.Entry/";

/// The Entry service over a [`ServerContext`].
#[derive(Debug, Clone)]
pub struct EntryApi {
    ctx: ServerContext,
    td: TrustDomain,
}

impl EntryApi {
    pub fn new(ctx: ServerContext, td: TrustDomain) -> Self {
        Self { ctx, td }
    }

    async fn authorize<T>(&self, request: &Request<T>, method: &str) -> Result<(), Status> {
        require_local_or_admin(&self.ctx, request, &format!("{SERVICE}{method}")).await
    }
}

#[tonic::async_trait]
impl Entry for EntryApi {
    async fn count_entries(
        &self,
        request: Request<CountEntriesRequest>,
    ) -> Result<Response<CountEntriesResponse>, Status> {
        self.authorize(&request, "CountEntries").await?;
        let req = request.into_inner();
        let parts = req
            .filter
            .as_ref()
            .map(FilterParts::from)
            .unwrap_or_default();
        let filter = entry_filter(&self.td, parts)?;
        let count = self
            .ctx
            .datastore
            .count_registration_entries(&filter)
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to count entries", e))?;
        Ok(Response::new(CountEntriesResponse {
            count: count_i32(count),
        }))
    }

    async fn list_entries(
        &self,
        request: Request<ListEntriesRequest>,
    ) -> Result<Response<ListEntriesResponse>, Status> {
        self.authorize(&request, "ListEntries").await?;
        let req = request.into_inner();
        let parts = req
            .filter
            .as_ref()
            .map(FilterParts::from)
            .unwrap_or_default();
        let filter = entry_filter(&self.td, parts)?;
        let page = self
            .ctx
            .datastore
            .list_registration_entries(&filter, Some(&pagination(req.page_size, &req.page_token)))
            .await
            .map_err(|e| status::datastore("failed to list entries", &e))?;
        let mut entries = Vec::with_capacity(page.items.len());
        for stored in &page.items {
            let mut entry = stored_to_proto(stored)?;
            apply_entry_mask(&mut entry, req.output_mask.as_ref());
            entries.push(entry);
        }
        Ok(Response::new(ListEntriesResponse {
            entries,
            next_page_token: page.next_token.unwrap_or_default(),
        }))
    }

    async fn get_entry(
        &self,
        request: Request<GetEntryRequest>,
    ) -> Result<Response<ProtoEntry>, Status> {
        self.authorize(&request, "GetEntry").await?;
        let req = request.into_inner();
        if req.id.is_empty() {
            return Err(Status::invalid_argument("missing ID"));
        }
        let stored = self
            .ctx
            .datastore
            .fetch_registration_entry(&req.id)
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch entry", e))?
            .ok_or_else(|| Status::not_found("entry not found"))?;
        let mut entry = stored_to_proto(&stored)?;
        apply_entry_mask(&mut entry, req.output_mask.as_ref());
        Ok(Response::new(entry))
    }

    async fn batch_create_entry(
        &self,
        request: Request<BatchCreateEntryRequest>,
    ) -> Result<Response<BatchCreateEntryResponse>, Status> {
        self.authorize(&request, "BatchCreateEntry").await?;
        let req = request.into_inner();
        let mut results = Vec::with_capacity(req.entries.len());
        for entry in &req.entries {
            results.push(self.create_entry(entry, req.output_mask.as_ref()).await);
        }
        Ok(Response::new(BatchCreateEntryResponse { results }))
    }

    async fn batch_update_entry(
        &self,
        request: Request<BatchUpdateEntryRequest>,
    ) -> Result<Response<BatchUpdateEntryResponse>, Status> {
        self.authorize(&request, "BatchUpdateEntry").await?;
        let req = request.into_inner();
        let mut results = Vec::with_capacity(req.entries.len());
        for entry in &req.entries {
            let result = self
                .update_entry(entry, req.input_mask.as_ref(), req.output_mask.as_ref())
                .await;
            results.push(result);
        }
        Ok(Response::new(BatchUpdateEntryResponse { results }))
    }

    async fn batch_delete_entry(
        &self,
        request: Request<BatchDeleteEntryRequest>,
    ) -> Result<Response<BatchDeleteEntryResponse>, Status> {
        self.authorize(&request, "BatchDeleteEntry").await?;
        let req = request.into_inner();
        let mut results = Vec::with_capacity(req.ids.len());
        for id in req.ids {
            results.push(self.delete_entry(id).await);
        }
        Ok(Response::new(BatchDeleteEntryResponse { results }))
    }

    async fn get_authorized_entries(
        &self,
        request: Request<GetAuthorizedEntriesRequest>,
    ) -> Result<Response<GetAuthorizedEntriesResponse>, Status> {
        let agent = require_agent(
            &self.ctx,
            &request,
            &format!("{SERVICE}GetAuthorizedEntries"),
        )
        .await?;
        let mask = request.into_inner().output_mask;
        let entries = self
            .authorized_entries(&agent)
            .await?
            .iter()
            .map(|e| authorized::masked(e, mask.as_ref()))
            .collect();
        Ok(Response::new(GetAuthorizedEntriesResponse { entries }))
    }

    type SyncAuthorizedEntriesStream = ReceiverStream<SyncItem>;

    async fn sync_authorized_entries(
        &self,
        request: Request<Streaming<SyncAuthorizedEntriesRequest>>,
    ) -> Result<Response<Self::SyncAuthorizedEntriesStream>, Status> {
        let agent = require_agent(
            &self.ctx,
            &request,
            &format!("{SERVICE}SyncAuthorizedEntries"),
        )
        .await?;
        let entries = self.authorized_entries(&agent).await?;
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            let outcome = sync_authorized_entries(inbound, &tx, &entries, SYNC_PAGE_SIZE).await;
            if let Err(status) = outcome {
                // The agent may already have gone; nothing is left to tell it then.
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// A stored entry on the wire; a stored ID that no longer parses is the server's fault.
fn stored_to_proto(stored: &spire_datastore::RegistrationEntry) -> Result<ProtoEntry, Status> {
    proto_from_entry(stored).map_err(|e| {
        with_cause(
            Code::Internal,
            &format!("failed to convert entry {:?}", stored.entry_id),
            e,
        )
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod authorized_tests;
