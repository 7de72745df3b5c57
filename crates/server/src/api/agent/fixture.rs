//! Test support for the agent-facing APIs: a real CA over an in-memory KeyManager, a SQLite
//! datastore on a temp dir, a fake clock, and helpers to attest and call as an agent.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spire_ca::clock::{Clock, FakeClock};
use spire_ca::rotation::AuthorityParams;
use spire_datastore::{DataStore, JoinToken, SqlConfig, SqlDataStore};
use spire_plugin::KeyType;
use spire_proto::spire::api::server::agent::v1::attest_agent_request::{Params, Step};
use spire_proto::spire::api::server::agent::v1::attest_agent_response::Step as OutStep;
use spire_proto::spire::api::server::agent::v1::{AgentX509svidParams, AttestAgentRequest};
use spire_proto::spire::api::types::{AttestationData, X509svid};
use spire_spiffe::{SpiffeId, TrustDomain};
use tokio::sync::mpsc;
use tonic::{Request, Status};

use super::AgentApi;
use crate::ApiSettings;
use crate::authorized::AuthorizedEntriesCache;
use crate::ca::{ServerCa, SigningDefaults};
use crate::context::ServerContext;
use crate::endpoints::TlsConnectInfo;

pub const TD: &str = "example.org";
pub const START: u64 = 1_700_000_000;

/// A context with a real CA; keep it alive for the test's duration.
#[derive(Debug)]
pub struct AgentFixture {
    pub ctx: ServerContext,
    pub clock: Arc<FakeClock>,
    _dir: tempfile::TempDir,
}

impl AgentFixture {
    pub fn agent_api(&self) -> AgentApi {
        AgentApi::new(
            self.ctx.clone(),
            spire_spiffe::TrustDomain::new(TD).expect("fixture trust domain is valid"),
        )
    }

    pub async fn add_join_token(&self, token: &str, ttl_secs: i64) {
        self.ctx
            .datastore
            .create_join_token(&JoinToken {
                token: token.into(),
                expires_at: self.ctx.now_unix() + ttl_secs,
            })
            .await
            .expect("join token is stored");
    }

    /// Attests with `join_token` payload `token`; the final stream item.
    pub async fn attest_join_token(&self, token: &str) -> Result<X509svid, Status> {
        self.attest("join_token", token.as_bytes(), Vec::new())
            .await
    }

    /// Attests with `kind`/`payload`, answering challenges with `responses` in order.
    pub async fn attest(
        &self,
        kind: &str,
        payload: &[u8],
        responses: Vec<Vec<u8>>,
    ) -> Result<X509svid, Status> {
        let mut messages = vec![Ok(AttestAgentRequest {
            step: Some(Step::Params(Params {
                data: Some(AttestationData {
                    r#type: kind.into(),
                    payload: payload.to_vec(),
                }),
                params: Some(AgentX509svidParams { csr: csr() }),
            })),
        })];
        messages.extend(responses.into_iter().map(|r| {
            Ok(AttestAgentRequest {
                step: Some(Step::ChallengeResponse(r)),
            })
        }));
        let (tx, _rx) = mpsc::channel(16);
        let response = self
            .agent_api()
            .attest(tokio_stream::iter(messages), &tx)
            .await?;
        match response.step {
            Some(OutStep::Result(result)) => Ok(result
                .svid
                .expect("a successful attestation carries an SVID")),
            other => panic!("expected a result, got {other:?}"),
        }
    }
}

pub async fn agent_fixture() -> AgentFixture {
    let dir = tempfile::tempdir().expect("a temp dir can be created for the test database");
    let store = SqlDataStore::open(&SqlConfig {
        database_type: "sqlite3".into(),
        connection_string: dir.path().join("ds.sqlite3").display().to_string(),
        ..SqlConfig::default()
    })
    .await
    .expect("a fresh SQLite datastore opens");
    let datastore: Arc<dyn DataStore> = Arc::new(store);
    let clock = Arc::new(FakeClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(START),
    ));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let ca = Arc::new(ServerCa::new(
        Arc::new(spire_keymanager::MemoryKeyManager::new()),
        AuthorityParams {
            trust_domain: TrustDomain::new(TD).expect("the test trust domain is valid"),
            ca_ttl: Duration::from_secs(24 * 3600),
            ca_key_type: KeyType::EcP256,
            jwt_key_type: KeyType::EcP256,
            subject: spire_ca::x509::CaSubject::default(),
        },
        datastore.clone(),
        dyn_clock.clone(),
        SigningDefaults {
            x509_svid_ttl: Duration::from_secs(3600),
            jwt_svid_ttl: Duration::from_secs(300),
            jwt_issuer: None,
            disable_jwt_svids: false,
        },
    ));
    ca.rotate()
        .await
        .expect("the CA prepares its first authority");
    ca.rotate()
        .await
        .expect("the CA activates its first authority");
    let ctx = ServerContext {
        trust_domain: TrustDomain::new(TD).expect("the test trust domain is valid"),
        datastore: datastore.clone(),
        minter: ca,
        clock: dyn_clock.clone(),
        settings: Arc::new(ApiSettings {
            default_x509_svid_ttl: Duration::from_secs(3600),
            default_jwt_svid_ttl: Duration::from_secs(300),
            agent_ttl: Duration::from_secs(7200),
            admin_ids: Vec::new(),
        }),
        node_attestors: Arc::default(),
        authorized_entries: Arc::new(AuthorizedEntriesCache::new(datastore, dyn_clock.clone())),
        rate_limits: Arc::new(crate::api::ratelimit::RateLimits::new(
            true, true, dyn_clock,
        )),
    };
    AgentFixture {
        ctx,
        clock,
        _dir: dir,
    }
}

/// A fresh P-256 CSR.
pub fn csr() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("rcgen generates a P-256 key");
    rcgen::CertificateParams::default()
        .serialize_request(&key)
        .expect("rcgen serializes the CSR")
        .der()
        .to_vec()
}

/// A request over TCP from an agent presenting `svid`.
pub fn as_agent<T>(message: T, svid: &X509svid) -> Request<T> {
    let id = svid.id.as_ref().expect("agent SVIDs carry their ID");
    let mut request = Request::new(message);
    request.extensions_mut().insert(TlsConnectInfo {
        peer_addr: None,
        peer_spiffe_id: Some(
            SpiffeId::new(&format!("spiffe://{}{}", id.trust_domain, id.path))
                .expect("agent SVIDs carry valid SPIFFE IDs"),
        ),
        peer_leaf_der: svid.cert_chain.first().cloned(),
    });
    request
}

/// The decimal serial of an SVID's leaf, as stored.
pub fn serial_of(svid: &X509svid) -> String {
    crate::api::authz::LeafFacts::parse(&svid.cert_chain[0])
        .expect("minted leaf parses")
        .serial
}
