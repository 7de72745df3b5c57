//! The per-item work of the batch RPCs: each item gets its own status, a failing item never
//! fails the batch (SPIRE's contract).

use spire_datastore::{DataStoreError, EntryMask, RegistrationEntry};
use spire_proto::spire::api::server::entry::v1::{
    batch_create_entry_response, batch_delete_entry_response, batch_update_entry_response,
};
use spire_proto::spire::api::types::{Entry as ProtoEntry, EntryMask as ProtoEntryMask};
use tonic::{Code, Status};

use super::{EntryApi, stored_to_proto};
use crate::api::convert::entry::{
    apply_entry_mask, entry_from_proto, full_entry_mask, store_entry_mask,
};
use crate::api::status::{self, invalid_argument, item, ok_item, with_cause};

impl EntryApi {
    pub(super) async fn create_entry(
        &self,
        proto: &ProtoEntry,
        output_mask: Option<&ProtoEntryMask>,
    ) -> batch_create_entry_response::Result {
        let failed = |status: Status| batch_create_entry_response::Result {
            status: Some(item(&status)),
            entry: None,
        };
        let entry = match entry_from_proto(&self.td, proto, &full_entry_mask()) {
            Ok(entry) => entry,
            Err(e) => return failed(invalid_argument("failed to convert entry", e)),
        };
        if let Err(status) = self
            .check_federated_bundles(&entry, "failed to create entry")
            .await
        {
            return failed(status);
        }
        let (stored, result_status) =
            match self.ctx.datastore.create_registration_entry(&entry).await {
                Ok(stored) => (stored, ok_item()),
                Err(DataStoreError::EntryAlreadyExists(existing)) => (
                    *existing,
                    item(&Status::already_exists("similar entry already exists")),
                ),
                Err(e) => return failed(status::datastore("failed to create entry", &e)),
            };
        match stored_to_proto(&stored) {
            Ok(mut out) => {
                apply_entry_mask(&mut out, output_mask);
                batch_create_entry_response::Result {
                    status: Some(result_status),
                    entry: Some(out),
                }
            }
            Err(status) => failed(status),
        }
    }

    pub(super) async fn update_entry(
        &self,
        proto: &ProtoEntry,
        input_mask: Option<&ProtoEntryMask>,
        output_mask: Option<&ProtoEntryMask>,
    ) -> batch_update_entry_response::Result {
        let failed = |status: Status| batch_update_entry_response::Result {
            status: Some(item(&status)),
            entry: None,
        };
        let read_mask = input_mask.copied().unwrap_or_else(full_entry_mask);
        let entry = match entry_from_proto(&self.td, proto, &read_mask) {
            Ok(entry) => entry,
            Err(e) => return failed(invalid_argument("failed to convert entry", e)),
        };
        if read_mask.federates_with
            && let Err(status) = self
                .check_federated_bundles(&entry, "failed to update entry")
                .await
        {
            return failed(status);
        }
        let mask = input_mask.map_or_else(EntryMask::all, store_entry_mask);
        let stored = match self
            .ctx
            .datastore
            .update_registration_entry(&entry, &mask)
            .await
        {
            Ok(stored) => stored,
            Err(e) => return failed(status::datastore("failed to update entry", &e)),
        };
        match stored_to_proto(&stored) {
            Ok(mut out) => {
                apply_entry_mask(&mut out, output_mask);
                batch_update_entry_response::Result {
                    status: Some(ok_item()),
                    entry: Some(out),
                }
            }
            Err(status) => failed(status),
        }
    }

    pub(super) async fn delete_entry(&self, id: String) -> batch_delete_entry_response::Result {
        let status = if id.is_empty() {
            item(&Status::invalid_argument("missing entry ID"))
        } else {
            match self.ctx.datastore.delete_registration_entry(&id).await {
                Ok(_) => ok_item(),
                Err(DataStoreError::NotFound(_)) => item(&Status::not_found("entry not found")),
                Err(e) => item(&status::datastore("failed to delete entry", &e)),
            }
        };
        batch_delete_entry_response::Result {
            status: Some(status),
            id,
        }
    }

    /// An entry may only federate with trust domains whose bundle the server holds. SPIRE's
    /// datastore refuses the write with an internal error; the code is kept for parity.
    async fn check_federated_bundles(
        &self,
        entry: &RegistrationEntry,
        msg: &str,
    ) -> Result<(), Status> {
        for td in &entry.federates_with {
            let found = self
                .ctx
                .datastore
                .fetch_bundle(td)
                .await
                .map_err(|e| status::datastore(msg, &e))?;
            if found.is_none() {
                return Err(with_cause(
                    Code::Internal,
                    msg,
                    format!("unable to find federated bundle \"spiffe://{td}\""),
                ));
            }
        }
        Ok(())
    }
}
