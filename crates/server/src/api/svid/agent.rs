//! `BatchNewX509SVID` and `NewJWTSVID`: SVIDs an attested agent asks for on behalf of its
//! workloads. Each request names a registration entry; only entries in the agent's
//! authorized set are signed, and the identity, DNS names and TTL come from the entry, never
//! from the CSR (whose key is the only thing used).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use spire_ca::csr::{CsrError, parse_workload_csr};
use spire_datastore::RegistrationEntry;
use spire_proto::spire::api::server::svid::v1::batch_new_x509svid_response::Result as BatchResult;
use spire_proto::spire::api::server::svid::v1::{
    BatchNewX509svidRequest, BatchNewX509svidResponse, NewJwtsvidRequest, NewJwtsvidResponse,
    NewX509svidParams,
};
use spire_proto::spire::api::types::{Jwtsvid, X509svid};
use spire_spiffe::SpiffeId;
use tonic::{Code, Status};

use super::SvidApi;
use crate::api::authz::AuthorizedAgent;
use crate::api::convert::ids::proto_from_id;
use crate::api::status::{self, with_cause};
use crate::context::{MintJwtSvid, MintX509Svid};

/// Most CSRs one `BatchNewX509SVID` call may carry (the agent batches at this size).
pub const MAX_BATCH_X509_SVIDS: usize = 500;

type AuthorizedById = HashMap<String, Arc<RegistrationEntry>>;

impl SvidApi {
    pub(super) async fn batch_new_x509(
        &self,
        agent: &AuthorizedAgent,
        req: BatchNewX509svidRequest,
    ) -> Result<BatchNewX509svidResponse, Status> {
        if req.params.is_empty() {
            return Err(Status::invalid_argument("missing parameters"));
        }
        if req.params.len() > MAX_BATCH_X509_SVIDS {
            return Err(Status::invalid_argument(format!(
                "too many parameters: {} requested, at most {MAX_BATCH_X509_SVIDS} per call",
                req.params.len()
            )));
        }
        let authorized = self.authorized(agent).await?;
        let results = req
            .params
            .iter()
            .map(|param| match self.new_x509(param, &authorized) {
                Ok(svid) => BatchResult {
                    status: Some(status::ok_item()),
                    svid: Some(svid),
                },
                Err(e) => BatchResult {
                    status: Some(status::item(&e)),
                    svid: None,
                },
            })
            .collect();
        Ok(BatchNewX509svidResponse { results })
    }

    pub(super) async fn new_jwt(
        &self,
        agent: &AuthorizedAgent,
        req: NewJwtsvidRequest,
    ) -> Result<NewJwtsvidResponse, Status> {
        let authorized = self.authorized(agent).await?;
        let entry = authorized
            .get(&req.entry_id)
            .ok_or_else(|| Status::not_found("entry not found or not authorized"))?;
        let spiffe_id = stored_id(&entry.spiffe_id)?;
        if req.audience.is_empty() {
            return Err(Status::invalid_argument(
                "at least one audience is required",
            ));
        }
        let minted = self
            .ctx
            .minter
            .mint_jwt_svid(MintJwtSvid {
                spiffe_id: spiffe_id.clone(),
                audience: req.audience,
                ttl: entry_ttl(entry.jwt_svid_ttl),
            })
            .map_err(|e| status::mint("failed to sign JWT-SVID", &e))?;
        Ok(NewJwtsvidResponse {
            svid: Some(Jwtsvid {
                token: minted.token,
                id: Some(proto_from_id(&spiffe_id)),
                expires_at: minted.expires_at,
                issued_at: minted.issued_at,
                hint: String::new(),
            }),
        })
    }

    fn new_x509(
        &self,
        param: &NewX509svidParams,
        authorized: &AuthorizedById,
    ) -> Result<X509svid, Status> {
        if param.entry_id.is_empty() {
            return Err(Status::invalid_argument("missing entry ID"));
        }
        if param.csr.is_empty() {
            return Err(Status::invalid_argument("missing CSR"));
        }
        let entry = authorized
            .get(&param.entry_id)
            .ok_or_else(|| Status::not_found("entry not found or not authorized"))?;
        let csr = parse_workload_csr(&param.csr).map_err(|e| match e {
            CsrError::BadSignature => with_cause(Code::InvalidArgument, "invalid CSR signature", e),
            other => with_cause(Code::InvalidArgument, "malformed CSR", other),
        })?;
        let spiffe_id = stored_id(&entry.spiffe_id)?;
        let minted = self
            .ctx
            .minter
            .mint_x509_svid(MintX509Svid {
                spiffe_id: spiffe_id.clone(),
                public_key_der: csr.public_key_der,
                dns_names: entry.dns_names.clone(),
                ttl: entry_ttl(entry.x509_svid_ttl),
            })
            .map_err(|e| status::mint("failed to sign X509-SVID", &e))?;
        Ok(X509svid {
            id: Some(proto_from_id(&spiffe_id)),
            cert_chain: minted.cert_chain,
            expires_at: minted.expires_at,
            hint: String::new(),
        })
    }

    async fn authorized(&self, agent: &AuthorizedAgent) -> Result<AuthorizedById, Status> {
        let entries = self
            .ctx
            .authorized_entries
            .authorized_for(&self.td, agent.spiffe_id.as_str())
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch registration entries", e))?;
        Ok(entries
            .into_iter()
            .map(|e| (e.entry_id.clone(), e))
            .collect())
    }
}

/// An entry's TTL in seconds; zero or less means the server default.
fn entry_ttl(seconds: i32) -> Option<Duration> {
    u64::try_from(seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

/// The SPIFFE ID of a stored entry; one that no longer parses is an internal error (the
/// datastore only holds IDs the API validated).
fn stored_id(id: &str) -> Result<SpiffeId, Status> {
    SpiffeId::new(id).map_err(|e| with_cause(Code::Internal, "entry has malformed SPIFFE ID", e))
}
