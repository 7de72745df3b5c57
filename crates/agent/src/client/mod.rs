//! [`ServerClient`] over gRPC: the agent's calls to the SPIRE server with its SVID (entry
//! sync, bundles, workload X509-SVIDs and JWT-SVIDs), plus the agent's own calls
//! (`AttestAgent`, `RenewAgent`, `PostStatus`) used by node attestation and rotation.
//!
//! Protobuf stays inside this module: callers see the types of [`crate::identity`].

pub mod connect;
pub mod convert;
pub mod http;
pub mod refusal;
pub mod sync;

use std::collections::BTreeMap;
use std::sync::Arc;

use spire_proto::spire::api::server::bundle::v1::bundle_client::BundleClient;
use spire_proto::spire::api::server::bundle::v1::{GetBundleRequest, GetFederatedBundleRequest};
use spire_proto::spire::api::server::entry::v1::entry_client::EntryClient;
use spire_proto::spire::api::server::svid::v1::svid_client::SvidClient;
use spire_proto::spire::api::server::svid::v1::{
    BatchNewX509svidRequest, NewJwtsvidRequest, NewX509svidParams,
};
use tonic::{Code, Status};

pub use connect::{ConnectError, ServerConnection};
pub use refusal::{Refusal, refusal_of};

use crate::identity::{
    ServerClient, ServerClientError, SignedJwtSvid, SignedX509Svid, SyncedState, X509SvidRequest,
};
use crate::storage::Storage;
use convert::bundle_from_proto;
use sync::{EntryCache, sync_entries};

/// The agent's gRPC client of the SPIRE server.
#[derive(Debug)]
pub struct GrpcServerClient {
    conn: ServerConnection,
    trust_domain: String,
    entries: tokio::sync::Mutex<EntryCache>,
    storage: Option<Arc<Storage>>,
    /// Set when the server refuses the agent itself (banned, evicted, expired).
    denied: tokio::sync::watch::Sender<Option<Refusal>>,
}

impl GrpcServerClient {
    /// A client for `trust_domain` (`example.org`) over `conn`. When `storage` is given, every
    /// new bundle is persisted there so a restarted agent trusts the current roots.
    pub fn new(conn: ServerConnection, trust_domain: &str, storage: Option<Arc<Storage>>) -> Self {
        Self {
            conn,
            trust_domain: trust_domain.to_owned(),
            entries: tokio::sync::Mutex::new(EntryCache::new()),
            storage,
            denied: tokio::sync::watch::channel(None).0,
        }
    }

    /// Sees the server's refusals of the agent that SPIRE's agent acts on (see
    /// [`refusal`]): banned (stop) or must re-attest.
    pub fn denials(&self) -> tokio::sync::watch::Receiver<Option<Refusal>> {
        self.denied.subscribe()
    }

    /// Forgets the last refusal (after a successful re-attestation).
    pub fn clear_denial(&self) {
        self.denied.send_replace(None);
    }

    pub fn connection(&self) -> &ServerConnection {
        &self.conn
    }

    /// Follows a new bundle: TLS trusts its roots from now on, and it is stored.
    fn adopt_bundle(&self, bundle: &spire_spiffe::Bundle) {
        let roots: Vec<Vec<u8>> = bundle
            .x509_authorities
            .iter()
            .map(|a| a.der.clone())
            .collect();
        if roots.is_empty() {
            tracing::warn!("Server bundle has no X.509 authorities; keeping the previous roots");
            return;
        }
        self.conn.verifier().set_roots(&roots);
        if let Some(storage) = &self.storage
            && storage.data().bundle != roots
            && let Err(error) = storage.store_bundle(roots)
        {
            tracing::error!(%error, "Failed to store the bundle");
        }
    }

    fn failed(&self, what: &str, status: Status) -> ServerClientError {
        let error = status_error(&status);
        match &error {
            // Next call dials again, with the current SVID and roots.
            ServerClientError::Unavailable(_) => self.conn.reset(),
            ServerClientError::PermissionDenied(_) => {
                if let Some(refusal) = refusal_of(&status) {
                    self.denied.send_replace(Some(refusal));
                }
            }
            ServerClientError::Other(_) => {}
        }
        tracing::error!(
            status_code = ?status.code(),
            status_message = status.message(),
            "{what}"
        );
        error
    }
}

#[async_trait::async_trait]
impl ServerClient for GrpcServerClient {
    async fn sync(&self) -> Result<SyncedState, ServerClientError> {
        let channel = self.conn.channel();
        let entries = {
            let mut cache = self.entries.lock().await;
            sync_entries(&mut EntryClient::new(channel.clone()), &mut cache)
                .await
                .map_err(|s| self.failed("Failed to fetch authorized entries", s))?;
            cache.values().cloned().collect::<Vec<_>>()
        };

        let mut bundles = BundleClient::new(channel);
        let bundle = bundles
            .get_bundle(GetBundleRequest { output_mask: None })
            .await
            .map_err(|s| self.failed("Failed to fetch bundle", s))?
            .into_inner();
        let bundle = bundle_from_proto(bundle);
        self.adopt_bundle(&bundle);

        let wanted: std::collections::BTreeSet<&str> = entries
            .iter()
            .flat_map(|e| e.federates_with.iter().map(String::as_str))
            .filter(|td| *td != self.trust_domain)
            .collect();
        let mut federated_bundles = BTreeMap::new();
        for td in wanted {
            match bundles
                .get_federated_bundle(GetFederatedBundleRequest {
                    trust_domain: td.to_owned(),
                    output_mask: None,
                })
                .await
            {
                Ok(b) => {
                    federated_bundles.insert(td.to_owned(), bundle_from_proto(b.into_inner()));
                }
                Err(s) if s.code() == Code::NotFound => {
                    tracing::warn!(federated_bundle = td, "Federated bundle not found");
                }
                Err(s) => return Err(self.failed("Failed to fetch federated bundle", s)),
            }
        }
        Ok(SyncedState {
            entries,
            bundle: Some(bundle),
            federated_bundles,
        })
    }

    async fn new_x509_svids(
        &self,
        requests: Vec<X509SvidRequest>,
    ) -> Result<Vec<SignedX509Svid>, ServerClientError> {
        let params: Vec<NewX509svidParams> = requests
            .into_iter()
            .map(|r| NewX509svidParams {
                entry_id: r.entry_id,
                csr: r.csr_der,
            })
            .collect();
        let entry_ids: Vec<String> = params.iter().map(|p| p.entry_id.clone()).collect();
        let response = SvidClient::new(self.conn.channel())
            .batch_new_x509svid(BatchNewX509svidRequest { params })
            .await
            .map_err(|s| self.failed("Failed to batch new X509 SVID(s)", s))?
            .into_inner();
        let mut signed = Vec::new();
        for (i, result) in response.results.into_iter().enumerate() {
            let entry_id = entry_ids.get(i).cloned().unwrap_or_default();
            let status = result.status.unwrap_or_default();
            match result.svid {
                Some(svid) if status.code == 0 && !svid.cert_chain.is_empty() => {
                    signed.push(SignedX509Svid {
                        entry_id,
                        cert_chain: svid.cert_chain,
                        expires_at: svid.expires_at,
                    });
                }
                _ => tracing::warn!(
                    entry_id = %entry_id,
                    status = status.code,
                    error = %status.message,
                    "Failed to mint X509 SVID"
                ),
            }
        }
        Ok(signed)
    }

    async fn new_jwt_svid(
        &self,
        entry_id: &str,
        audience: &[String],
    ) -> Result<SignedJwtSvid, ServerClientError> {
        let response = SvidClient::new(self.conn.channel())
            .new_jwtsvid(NewJwtsvidRequest {
                entry_id: entry_id.to_owned(),
                audience: audience.to_vec(),
            })
            .await
            .map_err(|s| self.failed("Failed to fetch JWT SVID", s))?
            .into_inner();
        let svid = response
            .svid
            .ok_or_else(|| ServerClientError::Other("JWTSVID response missing SVID".into()))?;
        Ok(SignedJwtSvid {
            token: svid.token,
            issued_at: svid.issued_at,
            expires_at: svid.expires_at,
        })
    }
}

/// Maps a gRPC status to what the cache does about it.
pub fn status_error(status: &Status) -> ServerClientError {
    let message = format!("{:?}: {}", status.code(), status.message());
    match status.code() {
        Code::PermissionDenied | Code::Unauthenticated => {
            ServerClientError::PermissionDenied(message)
        }
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Unknown
        | Code::Cancelled
        | Code::ResourceExhausted
        | Code::Aborted => ServerClientError::Unavailable(message),
        _ => ServerClientError::Other(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_maps_to_the_refusal_the_cache_stops_on() {
        assert!(matches!(
            status_error(&Status::permission_denied("agent is banned")),
            ServerClientError::PermissionDenied(m) if m.contains("agent is banned")
        ));
        assert!(matches!(
            status_error(&Status::unavailable("connection refused")),
            ServerClientError::Unavailable(_)
        ));
        assert!(matches!(
            status_error(&Status::invalid_argument("bad csr")),
            ServerClientError::Other(_)
        ));
    }
}
