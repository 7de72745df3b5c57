//! `spire.api.server.svid.v1.SVID`: admin minting of X509-SVIDs and JWT-SVIDs.
//!
//! The admin mint RPCs take the identity from the request (the CSR's single URI SAN, or the
//! `id` field), as SPIRE's `spire-server x509 mint` / `jwt mint` do; the caller is a local
//! operator or admin, so that is the authorization. The agent-facing `BatchNewX509SVID` and
//! `NewJWTSVID` (in [`agent`]) sign only entries authorized for the calling agent.
//! `NewDownstreamX509CA` and WIT-SVIDs answer `UNIMPLEMENTED` for now.

mod agent;
mod csr_dns;

pub use agent::MAX_BATCH_X509_SVIDS;

use std::time::Duration;

use spire_ca::csr::{CsrError, parse_workload_csr};
use spire_proto::spire::api::server::svid::v1::svid_server::Svid;
use spire_proto::spire::api::server::svid::v1::{
    BatchNewWitsvidRequest, BatchNewWitsvidResponse, BatchNewX509svidRequest,
    BatchNewX509svidResponse, MintJwtsvidRequest, MintJwtsvidResponse, MintWitsvidRequest,
    MintWitsvidResponse, MintX509svidRequest, MintX509svidResponse, NewDownstreamX509caRequest,
    NewDownstreamX509caResponse, NewJwtsvidRequest, NewJwtsvidResponse,
};
use spire_proto::spire::api::types::{Jwtsvid, X509svid};
use spire_spiffe::{SpiffeId, TrustDomain};
use tonic::{Request, Response, Status};

use crate::api::authz::{require_agent, require_local_or_admin};
use crate::api::convert::dns::{check_wildcard_overlap, validate_dns_name};
use crate::api::convert::ids::{proto_from_id, verify_workload_id, workload_id};
use crate::api::ratelimit::Budget;
use crate::api::status::{self, invalid_argument};
use crate::context::{MintJwtSvid, MintX509Svid, ServerContext};

const SERVICE: &str = "/spire.api.server.svid.v1.SVID/";

/// The SVID service over a [`ServerContext`].
#[derive(Debug, Clone)]
pub struct SvidApi {
    ctx: ServerContext,
    td: TrustDomain,
}

impl SvidApi {
    pub fn new(ctx: ServerContext, td: TrustDomain) -> Self {
        Self { ctx, td }
    }

    async fn authorize<T>(&self, request: &Request<T>, method: &str) -> Result<(), Status> {
        require_local_or_admin(&self.ctx, request, &format!("{SERVICE}{method}")).await
    }
}

#[tonic::async_trait]
impl Svid for SvidApi {
    async fn mint_x509svid(
        &self,
        request: Request<MintX509svidRequest>,
    ) -> Result<Response<MintX509svidResponse>, Status> {
        self.authorize(&request, "MintX509SVID").await?;
        let req = request.into_inner();
        if req.csr.is_empty() {
            return Err(Status::invalid_argument("missing CSR"));
        }
        let csr = parse_workload_csr(&req.csr).map_err(csr_status)?;
        let uri = match csr.uri_sans.as_slice() {
            [] => return Err(Status::invalid_argument("CSR URI SAN is required")),
            [uri] => uri,
            _ => return Err(Status::invalid_argument("only one URI SAN is expected")),
        };
        let id = SpiffeId::new(uri).map_err(|e| invalid_argument("CSR URI SAN is invalid", e))?;
        verify_workload_id(&self.td, &id)
            .map_err(|e| invalid_argument("CSR URI SAN is invalid", e))?;
        let dns_names = csr_dns::requested_dns_names(&req.csr)
            .map_err(|e| invalid_argument("malformed CSR", e))?;
        for name in &dns_names {
            validate_dns_name(name).map_err(|e| invalid_argument("CSR DNS name is invalid", e))?;
        }
        check_wildcard_overlap(&dns_names).map_err(|e| {
            invalid_argument(
                "CSR DNS name contains a wildcard that covers another non-wildcard name",
                e,
            )
        })?;
        let minted = self
            .ctx
            .minter
            .mint_x509_svid(MintX509Svid {
                spiffe_id: id.clone(),
                public_key_der: csr.public_key_der,
                dns_names,
                ttl: ttl_from_request(req.ttl)?,
            })
            .map_err(|e| status::mint("failed to sign X509-SVID", &e))?;
        Ok(Response::new(MintX509svidResponse {
            svid: Some(X509svid {
                cert_chain: minted.cert_chain,
                id: Some(proto_from_id(&id)),
                expires_at: minted.expires_at,
                hint: String::new(),
            }),
        }))
    }

    async fn mint_jwtsvid(
        &self,
        request: Request<MintJwtsvidRequest>,
    ) -> Result<Response<MintJwtsvidResponse>, Status> {
        self.authorize(&request, "MintJWTSVID").await?;
        let req = request.into_inner();
        let id = workload_id(&self.td, req.id.as_ref())
            .map_err(|e| invalid_argument("invalid SPIFFE ID", e))?;
        if req.audience.is_empty() {
            return Err(Status::invalid_argument(
                "at least one audience is required",
            ));
        }
        let minted = self
            .ctx
            .minter
            .mint_jwt_svid(MintJwtSvid {
                spiffe_id: id.clone(),
                audience: req.audience,
                ttl: ttl_from_request(req.ttl)?,
            })
            .map_err(|e| status::mint("failed to sign JWT-SVID", &e))?;
        Ok(Response::new(MintJwtsvidResponse {
            svid: Some(Jwtsvid {
                token: minted.token,
                id: Some(proto_from_id(&id)),
                expires_at: minted.expires_at,
                issued_at: minted.issued_at,
                hint: String::new(),
            }),
        }))
    }

    async fn mint_witsvid(
        &self,
        _request: Request<MintWitsvidRequest>,
    ) -> Result<Response<MintWitsvidResponse>, Status> {
        Err(Status::unimplemented("WIT functionality is disabled"))
    }

    async fn batch_new_x509svid(
        &self,
        request: Request<BatchNewX509svidRequest>,
    ) -> Result<Response<BatchNewX509svidResponse>, Status> {
        let agent =
            require_agent(&self.ctx, &request, &format!("{SERVICE}BatchNewX509SVID")).await?;
        // SPIRE counts each CSR of the batch against the signing budget.
        let count = request.get_ref().params.len().max(1);
        self.ctx
            .rate_limits
            .admit(&request, Budget::X509Signing, count, "certificate signing")
            .await?;
        let response = self.batch_new_x509(&agent, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    async fn new_jwtsvid(
        &self,
        request: Request<NewJwtsvidRequest>,
    ) -> Result<Response<NewJwtsvidResponse>, Status> {
        let agent = require_agent(&self.ctx, &request, &format!("{SERVICE}NewJWTSVID")).await?;
        self.ctx
            .rate_limits
            .admit(&request, Budget::JwtSigning, 1, "JWT signing request")
            .await?;
        let response = self.new_jwt(&agent, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    async fn batch_new_witsvid(
        &self,
        _request: Request<BatchNewWitsvidRequest>,
    ) -> Result<Response<BatchNewWitsvidResponse>, Status> {
        Err(Status::unimplemented("WIT functionality is disabled"))
    }

    async fn new_downstream_x509ca(
        &self,
        _request: Request<NewDownstreamX509caRequest>,
    ) -> Result<Response<NewDownstreamX509caResponse>, Status> {
        Err(status::unimplemented("NewDownstreamX509CA"))
    }
}

/// `0` asks for the server's default TTL; a negative TTL is refused.
fn ttl_from_request(ttl: i32) -> Result<Option<Duration>, Status> {
    match ttl {
        0 => Ok(None),
        t if t < 0 => Err(Status::invalid_argument(format!(
            "ttl must not be negative, got {t}"
        ))),
        t => Ok(Some(Duration::from_secs(u64::from(t.unsigned_abs())))),
    }
}

/// CSR policy failures, in SPIRE's words where it has them.
fn csr_status(err: CsrError) -> Status {
    match err {
        CsrError::Malformed(_) | CsrError::TrailingData(_) | CsrError::MalformedExtension(_) => {
            invalid_argument("malformed CSR", err)
        }
        CsrError::BadSignature => invalid_argument("failed to verify CSR signature", err),
        CsrError::TooManyUriSans(_) => Status::invalid_argument("only one URI SAN is expected"),
        other => invalid_argument("CSR is not acceptable", other),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod agent_tests;
