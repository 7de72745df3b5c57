//! The per-item work of the federated-bundle batch RPCs; each item gets its own status.

use spire_datastore::{BundleDeleteMode, DataStoreError};
use spire_proto::spire::api::server::bundle::v1::{
    batch_create_federated_bundle_response, batch_delete_federated_bundle_request,
    batch_delete_federated_bundle_response, batch_set_federated_bundle_response,
    batch_update_federated_bundle_response,
};
use spire_proto::spire::api::types::{Bundle as ProtoBundle, BundleMask};
use spire_spiffe::{Bundle as DomainBundle, TrustDomain};
use tonic::Status;

use super::{BundleApi, masked};
use crate::api::convert::bundle::{bundle_from_proto, merge_bundle};
use crate::api::status::{self, invalid_argument, item, ok_item};

/// The datastore delete mode for the wire enum.
pub fn delete_mode(mode: i32) -> Result<BundleDeleteMode, Status> {
    use batch_delete_federated_bundle_request::Mode;
    match Mode::try_from(mode) {
        Ok(Mode::Restrict) => Ok(BundleDeleteMode::Restrict),
        Ok(Mode::Delete) => Ok(BundleDeleteMode::Delete),
        Ok(Mode::Dissociate) => Ok(BundleDeleteMode::Dissociate),
        Err(_) => Err(invalid_argument(
            "failed to parse deletion mode",
            format!("unhandled delete mode {mode}"),
        )),
    }
}

impl BundleApi {
    pub(super) async fn create_federated(
        &self,
        proto: &ProtoBundle,
        output_mask: Option<&BundleMask>,
    ) -> batch_create_federated_bundle_response::Result {
        let outcome = async {
            let bundle = self.federated_from_proto(proto, "creating")?;
            match self.ctx.datastore.create_bundle(&bundle).await {
                Ok(created) => Ok(masked(&created, output_mask)),
                Err(DataStoreError::AlreadyExists(_)) => {
                    Err(Status::already_exists("bundle already exists"))
                }
                Err(e) => Err(status::datastore("unable to create bundle", &e)),
            }
        }
        .await;
        let (status, bundle) = split(outcome);
        batch_create_federated_bundle_response::Result { status, bundle }
    }

    pub(super) async fn update_federated(
        &self,
        proto: &ProtoBundle,
        input_mask: Option<&BundleMask>,
        output_mask: Option<&BundleMask>,
    ) -> batch_update_federated_bundle_response::Result {
        let outcome = async {
            let update = self.federated_from_proto(proto, "updating")?;
            // Read-merge-write: the DataStore has no masked bundle update, and bundles of a
            // trust domain are changed by one operator or refresher at a time.
            let mut stored = self
                .ctx
                .datastore
                .fetch_bundle(&update.trust_domain)
                .await
                .map_err(|e| status::datastore("failed to update bundle", &e))?
                .ok_or_else(|| Status::not_found("bundle not found"))?;
            merge_bundle(&mut stored, update, input_mask);
            let written = self
                .ctx
                .datastore
                .set_bundle(&stored)
                .await
                .map_err(|e| status::datastore("failed to update bundle", &e))?;
            Ok(masked(&written, output_mask))
        }
        .await;
        let (status, bundle) = split(outcome);
        batch_update_federated_bundle_response::Result { status, bundle }
    }

    pub(super) async fn set_federated(
        &self,
        proto: &ProtoBundle,
        output_mask: Option<&BundleMask>,
    ) -> batch_set_federated_bundle_response::Result {
        let outcome = async {
            let bundle = self.federated_from_proto(proto, "setting")?;
            let written = self
                .ctx
                .datastore
                .set_bundle(&bundle)
                .await
                .map_err(|e| status::datastore("failed to set bundle", &e))?;
            Ok(masked(&written, output_mask))
        }
        .await;
        let (status, bundle) = split(outcome);
        batch_set_federated_bundle_response::Result { status, bundle }
    }

    pub(super) async fn delete_federated(
        &self,
        trust_domain: String,
        mode: BundleDeleteMode,
    ) -> batch_delete_federated_bundle_response::Result {
        let outcome = async {
            let td = TrustDomain::from_id_or_name(&trust_domain)
                .map_err(|e| invalid_argument("trust domain argument is not valid", e))?;
            if td == self.td {
                return Err(Status::invalid_argument(
                    "removing the bundle for the server trust domain is not allowed",
                ));
            }
            match self.ctx.datastore.delete_bundle(td.as_str(), mode).await {
                Ok(()) => Ok(()),
                Err(DataStoreError::NotFound(_)) => Err(Status::not_found("bundle not found")),
                Err(e) => Err(status::datastore("failed to delete federated bundle", &e)),
            }
        }
        .await;
        let status = match outcome {
            Ok(()) => ok_item(),
            Err(status) => item(&status),
        };
        batch_delete_federated_bundle_response::Result {
            status: Some(status),
            trust_domain,
        }
    }

    /// Parses a federated bundle, refusing the server's own trust domain; `verb` names the
    /// operation in the refusal (`creating`, `updating`, `setting`).
    fn federated_from_proto(
        &self,
        proto: &ProtoBundle,
        verb: &str,
    ) -> Result<DomainBundle, Status> {
        let td = TrustDomain::from_id_or_name(&proto.trust_domain)
            .map_err(|e| invalid_argument("trust domain argument is not valid", e))?;
        if td == self.td {
            return Err(Status::invalid_argument(format!(
                "{verb} a federated bundle for the server's own trust domain is not allowed"
            )));
        }
        bundle_from_proto(proto).map_err(|e| invalid_argument("failed to convert bundle", e))
    }
}

fn split(
    outcome: Result<ProtoBundle, Status>,
) -> (
    Option<spire_proto::spire::api::types::Status>,
    Option<ProtoBundle>,
) {
    match outcome {
        Ok(bundle) => (Some(ok_item()), Some(bundle)),
        Err(status) => (Some(item(&status)), None),
    }
}
