//! `spire.api.server.bundle.v1.Bundle`: the server's own trust bundle and the bundles of
//! federated trust domains.
//!
//! `GetBundle` is open to anyone (agents and workloads bootstrap from it); everything else
//! is for local callers and admins. Federated operations refuse the server's own trust
//! domain, whose bundle only the CA (and `AppendBundle`) may change.

mod federated;

use spire_proto::spire::api::server::bundle::v1::bundle_server::Bundle;
use spire_proto::spire::api::server::bundle::v1::{
    AppendBundleRequest, BatchCreateFederatedBundleRequest, BatchCreateFederatedBundleResponse,
    BatchDeleteFederatedBundleRequest, BatchDeleteFederatedBundleResponse,
    BatchSetFederatedBundleRequest, BatchSetFederatedBundleResponse,
    BatchUpdateFederatedBundleRequest, BatchUpdateFederatedBundleResponse, CountBundlesRequest,
    CountBundlesResponse, GetBundleRequest, GetFederatedBundleRequest, ListFederatedBundlesRequest,
    ListFederatedBundlesResponse, PublishJwtAuthorityRequest, PublishJwtAuthorityResponse,
    PublishWitAuthorityRequest, PublishWitAuthorityResponse,
};
use spire_proto::spire::api::types::Bundle as ProtoBundle;
use spire_spiffe::{Bundle as DomainBundle, TrustDomain};
use tonic::{Code, Request, Response, Status};

use crate::api::authz::require_local_or_admin;
use crate::api::convert::bundle::{
    apply_bundle_mask, jwt_authorities_from_proto, proto_from_bundle, x509_authorities_from_proto,
};
use crate::api::paging::{count_i32, pagination};
use crate::api::status::{self, invalid_argument, with_cause};
use crate::context::ServerContext;

const SERVICE: &str = "/spire.api.server.bundle.v1.Bundle/";

/// The Bundle service over a [`ServerContext`].
#[derive(Debug, Clone)]
pub struct BundleApi {
    ctx: ServerContext,
    td: TrustDomain,
}

impl BundleApi {
    pub fn new(ctx: ServerContext, td: TrustDomain) -> Self {
        Self { ctx, td }
    }

    async fn authorize<T>(&self, request: &Request<T>, method: &str) -> Result<(), Status> {
        require_local_or_admin(&self.ctx, request, &format!("{SERVICE}{method}")).await
    }
}

#[tonic::async_trait]
impl Bundle for BundleApi {
    async fn count_bundles(
        &self,
        request: Request<CountBundlesRequest>,
    ) -> Result<Response<CountBundlesResponse>, Status> {
        self.authorize(&request, "CountBundles").await?;
        let count = self
            .ctx
            .datastore
            .count_bundles()
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to count bundles", e))?;
        Ok(Response::new(CountBundlesResponse {
            count: count_i32(count),
        }))
    }

    async fn get_bundle(
        &self,
        request: Request<GetBundleRequest>,
    ) -> Result<Response<ProtoBundle>, Status> {
        // Open to any caller, as in SPIRE: the trust bundle is public material.
        let req = request.into_inner();
        let bundle = self
            .ctx
            .datastore
            .fetch_bundle(self.td.as_str())
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch bundle", e))?
            .ok_or_else(|| Status::not_found("bundle not found"))?;
        Ok(Response::new(masked(&bundle, req.output_mask.as_ref())))
    }

    async fn append_bundle(
        &self,
        request: Request<AppendBundleRequest>,
    ) -> Result<Response<ProtoBundle>, Status> {
        self.authorize(&request, "AppendBundle").await?;
        let req = request.into_inner();
        if req.jwt_authorities.is_empty() && req.x509_authorities.is_empty() {
            return Err(Status::invalid_argument("no authorities to append"));
        }
        let jwt_authorities = jwt_authorities_from_proto(&req.jwt_authorities)
            .map_err(|e| invalid_argument("failed to convert JWT authority", e))?;
        let x509_authorities = x509_authorities_from_proto(&req.x509_authorities)
            .map_err(|e| invalid_argument("failed to convert X.509 authority", e))?;
        let appended = self
            .ctx
            .datastore
            .append_bundle(&DomainBundle {
                trust_domain: self.td.as_str().to_owned(),
                x509_authorities,
                jwt_authorities,
                ..DomainBundle::default()
            })
            .await
            .map_err(|e| status::datastore("failed to append bundle", &e))?;
        Ok(Response::new(masked(&appended, req.output_mask.as_ref())))
    }

    async fn publish_jwt_authority(
        &self,
        _request: Request<PublishJwtAuthorityRequest>,
    ) -> Result<Response<PublishJwtAuthorityResponse>, Status> {
        Err(status::unimplemented("PublishJWTAuthority"))
    }

    async fn publish_wit_authority(
        &self,
        _request: Request<PublishWitAuthorityRequest>,
    ) -> Result<Response<PublishWitAuthorityResponse>, Status> {
        Err(Status::unimplemented(
            "WIT-SVID functionality is not yet implemented",
        ))
    }

    async fn list_federated_bundles(
        &self,
        request: Request<ListFederatedBundlesRequest>,
    ) -> Result<Response<ListFederatedBundlesResponse>, Status> {
        self.authorize(&request, "ListFederatedBundles").await?;
        let req = request.into_inner();
        let page = self
            .ctx
            .datastore
            .list_bundles(Some(&pagination(req.page_size, &req.page_token)))
            .await
            .map_err(|e| status::datastore("failed to list bundles", &e))?;
        let bundles = page
            .items
            .iter()
            .filter(|b| b.trust_domain != self.td.as_str())
            .map(|b| masked(b, req.output_mask.as_ref()))
            .collect();
        Ok(Response::new(ListFederatedBundlesResponse {
            bundles,
            next_page_token: page.next_token.unwrap_or_default(),
        }))
    }

    async fn get_federated_bundle(
        &self,
        request: Request<GetFederatedBundleRequest>,
    ) -> Result<Response<ProtoBundle>, Status> {
        // Agents fetch the bundles their entries federate with (SPIRE's `allow_agent`).
        crate::api::authz::require_local_admin_or_agent(
            &self.ctx,
            &request,
            &format!("{SERVICE}GetFederatedBundle"),
        )
        .await?;
        let req = request.into_inner();
        let td = TrustDomain::from_id_or_name(&req.trust_domain)
            .map_err(|e| invalid_argument("trust domain argument is not valid", e))?;
        if td == self.td {
            return Err(Status::invalid_argument(
                "getting a federated bundle for the server's own trust domain is not allowed",
            ));
        }
        let bundle = self
            .ctx
            .datastore
            .fetch_bundle(td.as_str())
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch bundle", e))?
            .ok_or_else(|| Status::not_found("bundle not found"))?;
        Ok(Response::new(masked(&bundle, req.output_mask.as_ref())))
    }

    async fn batch_create_federated_bundle(
        &self,
        request: Request<BatchCreateFederatedBundleRequest>,
    ) -> Result<Response<BatchCreateFederatedBundleResponse>, Status> {
        self.authorize(&request, "BatchCreateFederatedBundle")
            .await?;
        let req = request.into_inner();
        let mut results = Vec::with_capacity(req.bundle.len());
        for bundle in &req.bundle {
            results.push(
                self.create_federated(bundle, req.output_mask.as_ref())
                    .await,
            );
        }
        Ok(Response::new(BatchCreateFederatedBundleResponse {
            results,
        }))
    }

    async fn batch_update_federated_bundle(
        &self,
        request: Request<BatchUpdateFederatedBundleRequest>,
    ) -> Result<Response<BatchUpdateFederatedBundleResponse>, Status> {
        self.authorize(&request, "BatchUpdateFederatedBundle")
            .await?;
        let req = request.into_inner();
        let mut results = Vec::with_capacity(req.bundle.len());
        for bundle in &req.bundle {
            let result = self
                .update_federated(bundle, req.input_mask.as_ref(), req.output_mask.as_ref())
                .await;
            results.push(result);
        }
        Ok(Response::new(BatchUpdateFederatedBundleResponse {
            results,
        }))
    }

    async fn batch_set_federated_bundle(
        &self,
        request: Request<BatchSetFederatedBundleRequest>,
    ) -> Result<Response<BatchSetFederatedBundleResponse>, Status> {
        self.authorize(&request, "BatchSetFederatedBundle").await?;
        let req = request.into_inner();
        let mut results = Vec::with_capacity(req.bundle.len());
        for bundle in &req.bundle {
            results.push(self.set_federated(bundle, req.output_mask.as_ref()).await);
        }
        Ok(Response::new(BatchSetFederatedBundleResponse { results }))
    }

    async fn batch_delete_federated_bundle(
        &self,
        request: Request<BatchDeleteFederatedBundleRequest>,
    ) -> Result<Response<BatchDeleteFederatedBundleResponse>, Status> {
        self.authorize(&request, "BatchDeleteFederatedBundle")
            .await?;
        let req = request.into_inner();
        let mode = federated::delete_mode(req.mode)?;
        let mut results = Vec::with_capacity(req.trust_domains.len());
        for td in req.trust_domains {
            results.push(self.delete_federated(td, mode).await);
        }
        Ok(Response::new(BatchDeleteFederatedBundleResponse {
            results,
        }))
    }
}

fn masked(
    bundle: &DomainBundle,
    mask: Option<&spire_proto::spire::api::types::BundleMask>,
) -> ProtoBundle {
    let mut proto = proto_from_bundle(bundle);
    apply_bundle_mask(&mut proto, mask);
    proto
}

#[cfg(test)]
mod tests;
