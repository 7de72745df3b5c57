//! Test support for the API services: a real SQLite datastore in a temp dir, a fake clock,
//! a recording SVID minter, and requests tagged as each kind of caller.

mod minter;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spire_ca::clock::FakeClock;
use spire_datastore::{SqlConfig, SqlDataStore};
use spire_proto::spire::api::types::{Selector as ProtoSelector, Spiffeid};
use spire_spiffe::{SpiffeId, TrustDomain};
use tonic::Request;
use tonic::transport::server::UdsConnectInfo;

pub use minter::{FAKE_EXPIRES_AT, FAKE_LEAF, RecordingMinter};

use crate::context::{ApiSettings, ServerContext};
use crate::endpoints::TlsConnectInfo;

/// The trust domain every fixture serves.
pub const TD: &str = "example.org";
/// The fixture clock's start, in Unix seconds.
pub const START: u64 = 1_700_000_000;
/// An SVID caller listed in `admin_ids`.
pub const ADMIN_ID: &str = "spiffe://example.org/admin";

/// A server context over a fresh database; keep it alive for the test's duration.
#[derive(Debug)]
pub struct Fixture {
    pub ctx: ServerContext,
    pub minter: Arc<RecordingMinter>,
    _dir: tempfile::TempDir,
}

/// Opens a fresh SQLite datastore in a temp dir and builds a context around it.
pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temp dir can be created for the test database");
    let path = dir.path().join("datastore.sqlite3");
    let store = SqlDataStore::open(&SqlConfig {
        database_type: "sqlite3".into(),
        connection_string: path.display().to_string(),
        ..SqlConfig::default()
    })
    .await
    .expect("a fresh SQLite datastore opens");
    let clock = FakeClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(START));
    let minter = Arc::new(RecordingMinter::default());
    let datastore: Arc<dyn spire_datastore::DataStore> = Arc::new(store);
    let clock: Arc<dyn spire_ca::clock::Clock> = Arc::new(clock);
    let ctx = ServerContext {
        trust_domain: TrustDomain::new(TD).expect("the test trust domain is valid"),
        datastore: datastore.clone(),
        minter: minter.clone(),
        clock: clock.clone(),
        settings: Arc::new(ApiSettings {
            default_x509_svid_ttl: Duration::from_secs(3600),
            default_jwt_svid_ttl: Duration::from_secs(300),
            agent_ttl: Duration::from_secs(3600),
            admin_ids: vec![SpiffeId::new(ADMIN_ID).expect("a valid admin ID")],
        }),
        node_attestors: Arc::default(),
        authorized_entries: Arc::new(crate::authorized::AuthorizedEntriesCache::new(
            datastore,
            clock.clone(),
        )),
        rate_limits: Arc::new(crate::api::ratelimit::RateLimits::new(true, true, clock)),
    };
    Fixture {
        ctx,
        minter,
        _dir: dir,
    }
}

/// A request from the admin Unix socket.
pub fn local<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(UdsConnectInfo {
        peer_addr: None,
        peer_cred: None,
    });
    request
}

/// A request over TCP from a client with a verified X509-SVID for `spiffe_id`.
pub fn from_svid<T>(message: T, spiffe_id: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(TlsConnectInfo {
        peer_addr: None,
        peer_spiffe_id: Some(SpiffeId::new(spiffe_id).expect("test callers have valid SPIFFE IDs")),
        peer_leaf_der: None,
    });
    request
}

/// A request over TCP from a client without a certificate.
pub fn anonymous<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(TlsConnectInfo {
        peer_addr: None,
        peer_spiffe_id: None,
        peer_leaf_der: None,
    });
    request
}

/// `spiffe://example.org<path>` on the wire.
pub fn id(path: &str) -> Spiffeid {
    id_in(TD, path)
}

/// `spiffe://<td><path>` on the wire.
pub fn id_in(td: &str, path: &str) -> Spiffeid {
    Spiffeid {
        trust_domain: td.into(),
        path: path.into(),
    }
}

/// A wire selector.
pub fn selector(kind: &str, value: &str) -> ProtoSelector {
    ProtoSelector {
        r#type: kind.into(),
        value: value.into(),
    }
}
