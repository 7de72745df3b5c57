//! The Workload API served on a real Unix socket in a temp dir, called with the generated
//! tonic client: a fake identity cache ([`FakeIdentityProvider`]) and a fake attestor stand
//! in for the agent's cache and /proc.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use spire_ca::jwt::{JwtSvidClaims, mint_jwt_svid};
use spire_keymanager::MemoryKeyManager;
use spire_plugin::{
    Key, KeyManager, KeyType, WorkloadAttestor, WorkloadAttestorError, WorkloadProcess,
};
use spire_proto::prost_types::value::Kind;
use spire_proto::workload::spiffe_workload_api_client::SpiffeWorkloadApiClient;
use spire_proto::workload::{
    JwtBundlesRequest, JwtsvidRequest, ValidateJwtsvidRequest, WitsvidRequest, X509BundlesRequest,
    X509svidRequest,
};
use spire_spiffe::{Bundle, JwtAuthority, Selector, X509Authority};
use tokio::net::UnixStream;
use tokio::sync::{oneshot, watch};
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Code, Request};

use super::*;
use crate::identity::{BundleSet, IdentityError, JwtIdentity, WorkloadUpdate, X509Identity};

mod limits;

const TD: &str = "example.org";
const WORKLOAD_ID: &str = "spiffe://example.org/workload";

/// An identity cache whose state the test sets; records what it was asked.
#[derive(Debug)]
struct FakeIdentityProvider {
    updates: watch::Sender<Arc<WorkloadUpdate>>,
    bundles: watch::Sender<Arc<BundleSet>>,
    jwt_svids: Vec<JwtIdentity>,
    subscribed_with: Mutex<Vec<Vec<Selector>>>,
}

impl FakeIdentityProvider {
    fn new(update: WorkloadUpdate) -> Arc<Self> {
        let bundles: BundleSet = update
            .bundle
            .iter()
            .map(|b| (b.trust_domain.clone(), b.clone()))
            .collect();
        Arc::new(Self {
            updates: watch::Sender::new(Arc::new(update)),
            bundles: watch::Sender::new(Arc::new(bundles)),
            jwt_svids: vec![JwtIdentity {
                spiffe_id: WORKLOAD_ID.into(),
                token: "header.claims.signature".into(),
                hint: "internal".into(),
                expires_at: 0,
            }],
            subscribed_with: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait::async_trait]
impl IdentityProvider for FakeIdentityProvider {
    fn subscribe(&self, selectors: Vec<Selector>) -> watch::Receiver<Arc<WorkloadUpdate>> {
        self.subscribed_with
            .lock()
            .expect("not poisoned")
            .push(selectors);
        self.updates.subscribe()
    }

    async fn fetch_jwt_svids(
        &self,
        _selectors: &[Selector],
        _audience: &[String],
        spiffe_id: Option<&str>,
    ) -> Result<Vec<JwtIdentity>, IdentityError> {
        if self.updates.borrow().identities.is_empty() {
            return Err(IdentityError::NoIdentity);
        }
        Ok(self
            .jwt_svids
            .iter()
            .filter(|s| spiffe_id.is_none_or(|id| id == s.spiffe_id))
            .cloned()
            .collect())
    }

    fn bundles(&self) -> watch::Receiver<Arc<BundleSet>> {
        self.bundles.subscribe()
    }
}

/// Attests every caller as `fake:uid:<uid>`, or fails when told to.
#[derive(Debug)]
struct FakeAttestor {
    fail: bool,
}

impl WorkloadAttestor for FakeAttestor {
    fn name(&self) -> &str {
        "fake"
    }

    fn attest(&self, caller: &WorkloadProcess) -> Result<Vec<Selector>, WorkloadAttestorError> {
        if self.fail {
            return Err(WorkloadAttestorError::Failed {
                plugin: "fake".into(),
                message: "boom".into(),
            });
        }
        Ok(vec![
            Selector::new("fake", format!("uid:{}", caller.uid)).expect("valid selector"),
        ])
    }
}

struct Running {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), WorkloadApiError>>,
}

impl Running {
    async fn stop(self) {
        drop(self.stop_keeping_dir().await);
    }

    async fn stop_keeping_dir(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task)
            .await
            .expect("server task joins")
            .expect("server ends cleanly");
        self._dir
    }
}

async fn start(provider: Arc<FakeIdentityProvider>, fail_attestation: bool) -> Running {
    let options = WorkloadApiOptions {
        first_identity_wait: Duration::from_millis(200),
        ..WorkloadApiOptions::default()
    };
    let attestor = Arc::new(FakeAttestor {
        fail: fail_attestation,
    });
    start_with(provider, attestor, options).await
}

async fn start_with(
    provider: Arc<FakeIdentityProvider>,
    attestor: Arc<dyn WorkloadAttestor>,
    options: WorkloadApiOptions,
) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("public").join("api.sock");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn({
        let socket = socket.clone();
        async move {
            serve_with_options(&socket, provider, vec![attestor], options, async move {
                let _ = stopped.await;
            })
            .await
        }
    });
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Running {
        _dir: dir,
        socket,
        stop: Some(stop),
        task,
    }
}

async fn client(socket: &Path) -> SpiffeWorkloadApiClient<Channel> {
    let socket = socket.to_path_buf();
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(socket).await?)) }
        }))
        .await
        .expect("connects to the workload socket");
    SpiffeWorkloadApiClient::new(channel)
}

fn with_header<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("workload.spiffe.io", "true".parse().expect("ascii value"));
    request
}

fn bundle(td: &str, root: &[u8]) -> Bundle {
    Bundle {
        trust_domain: td.into(),
        x509_authorities: vec![X509Authority {
            der: root.to_vec(),
            tainted: false,
        }],
        ..Bundle::default()
    }
}

fn identity(serial: u8) -> X509Identity {
    X509Identity {
        entry_id: "entry-1".into(),
        spiffe_id: WORKLOAD_ID.into(),
        cert_chain: vec![vec![0x30, serial], vec![0x30, 0xAA]],
        private_key_pkcs8: vec![0x30, 0x01, serial].into(),
        hint: "internal".into(),
        expires_at: 0,
    }
}

fn update_with(serial: u8) -> WorkloadUpdate {
    WorkloadUpdate {
        identities: vec![identity(serial)],
        bundle: Some(bundle(TD, &[0x30, 0x10])),
        federated_bundles: BTreeMap::from([(
            "other.org".to_string(),
            bundle("other.org", &[0x30, 0x20]),
        )]),
        pending: false,
    }
}

#[tokio::test]
async fn missing_security_header_is_invalid_argument() {
    let server = start(FakeIdentityProvider::new(update_with(1)), false).await;
    let mut client = client(&server.socket).await;

    let status = client
        .fetch_x509svid(Request::new(X509svidRequest {}))
        .await
        .expect_err("refused without the header");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "security header missing from request");

    let mut wrong = Request::new(JwtsvidRequest {
        audience: vec!["a".into()],
        spiffe_id: String::new(),
    });
    wrong
        .metadata_mut()
        .insert("workload.spiffe.io", "yes".parse().expect("ascii value"));
    let status = client
        .fetch_jwtsvid(wrong)
        .await
        .expect_err("refused with a wrong value");
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn caller_without_identity_is_permission_denied() {
    let server = start(FakeIdentityProvider::new(WorkloadUpdate::default()), false).await;
    let mut client = client(&server.socket).await;

    let status = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect_err("no identity");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "no identity issued");

    let status = client
        .fetch_jwtsvid(with_header(JwtsvidRequest {
            audience: vec!["a".into()],
            spiffe_id: String::new(),
        }))
        .await
        .expect_err("no identity");
    assert_eq!(status.code(), Code::PermissionDenied);

    let status = client
        .fetch_x509_bundles(with_header(X509BundlesRequest {}))
        .await
        .expect_err("no identity");
    assert_eq!(status.code(), Code::PermissionDenied);
    server.stop().await;
}

#[tokio::test]
async fn failed_attestation_is_unavailable() {
    let server = start(FakeIdentityProvider::new(update_with(1)), true).await;
    let mut client = client(&server.socket).await;
    let status = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect_err("attestation fails");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("boom"), "{}", status.message());
    server.stop().await;
}

#[tokio::test]
async fn caller_is_attested_from_socket_peer_credentials() {
    let provider = FakeIdentityProvider::new(update_with(1));
    let server = start(Arc::clone(&provider), false).await;
    let mut client = client(&server.socket).await;
    client
        .fetch_jwtsvid(with_header(JwtsvidRequest {
            audience: vec!["a".into()],
            spiffe_id: String::new(),
        }))
        .await
        .expect("fetches");
    let _ = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect("streams");
    let uid = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .expect("own uid");
    let seen = provider
        .subscribed_with
        .lock()
        .expect("not poisoned")
        .clone();
    assert_eq!(
        seen,
        vec![vec![
            Selector::new("fake", format!("uid:{uid}")).expect("valid")
        ]]
    );
    server.stop().await;
}

#[tokio::test]
async fn x509_svid_stream_sends_current_identity_then_every_change() {
    let provider = FakeIdentityProvider::new(update_with(1));
    let server = start(Arc::clone(&provider), false).await;
    let mut client = client(&server.socket).await;
    let mut stream = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect("stream opens")
        .into_inner();

    let first = stream
        .message()
        .await
        .expect("first message")
        .expect("not ended");
    assert_eq!(first.svids.len(), 1);
    let svid = &first.svids[0];
    assert_eq!(svid.spiffe_id, WORKLOAD_ID);
    assert_eq!(
        svid.x509_svid,
        vec![0x30, 1, 0x30, 0xAA],
        "DER chain, leaf first"
    );
    assert_eq!(svid.x509_svid_key, vec![0x30, 0x01, 1]);
    assert_eq!(svid.bundle, vec![0x30, 0x10]);
    assert_eq!(svid.hint, "internal");
    assert_eq!(
        first.federated_bundles.get("spiffe://other.org"),
        Some(&vec![0x30, 0x20])
    );

    provider.updates.send_replace(Arc::new(update_with(2)));
    let second = stream
        .message()
        .await
        .expect("second message")
        .expect("not ended");
    assert_eq!(second.svids[0].x509_svid, vec![0x30, 2, 0x30, 0xAA]);

    // The entry is deleted: the stream ends with PermissionDenied.
    provider
        .updates
        .send_replace(Arc::new(WorkloadUpdate::default()));
    let status = stream.message().await.expect_err("ends with an error");
    assert_eq!(status.code(), Code::PermissionDenied);
    server.stop().await;
}

#[tokio::test]
async fn x509_svid_stream_waits_for_the_first_identity() {
    let provider = FakeIdentityProvider::new(WorkloadUpdate {
        pending: true,
        ..WorkloadUpdate::default()
    });
    let server = start(Arc::clone(&provider), false).await;
    let mut client = client(&server.socket).await;
    let minter = {
        let provider = Arc::clone(&provider);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            provider.updates.send_replace(Arc::new(update_with(7)));
        })
    };
    let mut stream = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect("stream opens once minted")
        .into_inner();
    let first = stream.message().await.expect("message").expect("not ended");
    assert_eq!(first.svids[0].x509_svid_key, vec![0x30, 0x01, 7]);
    minter.await.expect("minter joins");
    server.stop().await;
}

#[tokio::test]
async fn x509_bundles_stream_sends_only_on_bundle_change() {
    let provider = FakeIdentityProvider::new(update_with(1));
    let server = start(Arc::clone(&provider), false).await;
    let mut client = client(&server.socket).await;
    let mut stream = client
        .fetch_x509_bundles(with_header(X509BundlesRequest {}))
        .await
        .expect("stream opens")
        .into_inner();
    let first = stream.message().await.expect("message").expect("not ended");
    assert_eq!(
        first.bundles.get("spiffe://example.org"),
        Some(&vec![0x30, 0x10])
    );
    assert_eq!(
        first.bundles.get("spiffe://other.org"),
        Some(&vec![0x30, 0x20])
    );

    // An SVID rotation alone is not a bundle change...
    provider.updates.send_replace(Arc::new(update_with(2)));
    // ...but a new root is.
    let mut rotated = update_with(3);
    rotated.bundle = Some(bundle(TD, &[0x30, 0x11]));
    provider.updates.send_replace(Arc::new(rotated));
    let second = stream.message().await.expect("message").expect("not ended");
    assert_eq!(
        second.bundles.get("spiffe://example.org"),
        Some(&vec![0x30, 0x11])
    );
    server.stop().await;
}

#[tokio::test]
async fn fetch_jwt_svid_requires_an_audience_and_returns_tokens() {
    let server = start(FakeIdentityProvider::new(update_with(1)), false).await;
    let mut client = client(&server.socket).await;
    let status = client
        .fetch_jwtsvid(with_header(JwtsvidRequest::default()))
        .await
        .expect_err("no audience");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "audience must be specified");

    let response = client
        .fetch_jwtsvid(with_header(JwtsvidRequest {
            audience: vec!["db".into()],
            spiffe_id: WORKLOAD_ID.into(),
        }))
        .await
        .expect("fetches")
        .into_inner();
    assert_eq!(response.svids.len(), 1);
    assert_eq!(response.svids[0].spiffe_id, WORKLOAD_ID);
    assert_eq!(response.svids[0].svid, "header.claims.signature");
    assert_eq!(response.svids[0].hint, "internal");

    let status = client
        .fetch_jwtsvid(with_header(JwtsvidRequest {
            audience: vec!["db".into()],
            spiffe_id: "not-an-id".into(),
        }))
        .await
        .expect_err("bad id");
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}

fn jwt_key() -> Arc<dyn Key> {
    MemoryKeyManager::new()
        .generate_key("jwt", KeyType::EcP256)
        .expect("memory keygen succeeds")
}

fn jwt_update(key: &dyn Key) -> WorkloadUpdate {
    let mut update = update_with(1);
    if let Some(own) = update.bundle.as_mut() {
        own.jwt_authorities.push(JwtAuthority {
            key_id: "kid-1".into(),
            public_key_der: key.public_key_der().to_vec(),
            expires_at: 0,
            tainted: false,
        });
    }
    update
}

fn token(key: &dyn Key, aud: Vec<String>) -> String {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
    )
    .expect("fits");
    mint_jwt_svid(
        key,
        "kid-1",
        &JwtSvidClaims {
            sub: WORKLOAD_ID.into(),
            aud,
            exp: now + 300,
            iat: now,
            iss: None,
            jti: None,
        },
    )
    .expect("mints")
}

#[tokio::test]
async fn validate_jwt_svid_accepts_its_audience_and_refuses_another() {
    let key = jwt_key();
    let server = start(FakeIdentityProvider::new(jwt_update(key.as_ref())), false).await;
    let mut client = client(&server.socket).await;
    let svid = token(key.as_ref(), vec!["db".into()]);

    let response = client
        .validate_jwtsvid(with_header(ValidateJwtsvidRequest {
            audience: "db".into(),
            svid: svid.clone(),
        }))
        .await
        .expect("validates")
        .into_inner();
    assert_eq!(response.spiffe_id, WORKLOAD_ID);
    let claims = response.claims.expect("claims present").fields;
    let aud = claims.get("aud").and_then(|v| v.kind.clone());
    let Some(Kind::ListValue(list)) = aud else {
        panic!("aud must be a list, got {aud:?}");
    };
    assert_eq!(list.values.len(), 1);
    assert_eq!(list.values[0].kind, Some(Kind::StringValue("db".into())));
    assert_eq!(
        claims.get("sub").and_then(|v| v.kind.clone()),
        Some(Kind::StringValue(WORKLOAD_ID.into()))
    );

    let status = client
        .validate_jwtsvid(with_header(ValidateJwtsvidRequest {
            audience: "other".into(),
            svid,
        }))
        .await
        .expect_err("wrong audience");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("audience"),
        "{}",
        status.message()
    );

    for (audience, svid, message) in [
        ("", "x", "audience must be specified"),
        ("db", "", "svid must be specified"),
    ] {
        let status = client
            .validate_jwtsvid(with_header(ValidateJwtsvidRequest {
                audience: audience.into(),
                svid: svid.into(),
            }))
            .await
            .expect_err("missing field");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), message);
    }
    server.stop().await;
}

#[tokio::test]
async fn jwt_bundles_stream_serves_standard_jwks() {
    let key = jwt_key();
    let server = start(FakeIdentityProvider::new(jwt_update(key.as_ref())), false).await;
    let mut client = client(&server.socket).await;
    let mut stream = client
        .fetch_jwt_bundles(with_header(JwtBundlesRequest {}))
        .await
        .expect("stream opens")
        .into_inner();
    let first = stream.message().await.expect("message").expect("not ended");
    let jwks: serde_json::Value =
        serde_json::from_slice(&first.bundles["spiffe://example.org"]).expect("JSON");
    assert_eq!(jwks["keys"][0]["kid"], "kid-1");
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert!(
        jwks["keys"][0].get("use").is_none(),
        "standard JWKS has no use"
    );
    assert!(first.bundles.contains_key("spiffe://other.org"));
    server.stop().await;
}

#[tokio::test]
async fn wit_methods_are_unimplemented() {
    let server = start(FakeIdentityProvider::new(update_with(1)), false).await;
    let mut client = client(&server.socket).await;
    let status = client
        .fetch_witsvid(with_header(WitsvidRequest::default()))
        .await
        .expect_err("unimplemented");
    assert_eq!(status.code(), Code::Unimplemented);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_streams_all_get_updates() {
    let provider = FakeIdentityProvider::new(update_with(1));
    let server = start(Arc::clone(&provider), false).await;
    let mut streams = Vec::new();
    for _ in 0..200 {
        let mut client = client(&server.socket).await;
        let mut stream = client
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await
            .expect("stream opens")
            .into_inner();
        let first = stream.message().await.expect("message").expect("not ended");
        assert_eq!(first.svids[0].x509_svid_key, vec![0x30, 0x01, 1]);
        streams.push((client, stream));
    }
    provider.updates.send_replace(Arc::new(update_with(2)));
    for (_, stream) in &mut streams {
        let next = stream.message().await.expect("message").expect("not ended");
        assert_eq!(next.svids[0].x509_svid_key, vec![0x30, 0x01, 2]);
    }
    drop(streams);
    server.stop().await;
}

#[tokio::test]
async fn socket_is_world_accessible_and_removed_on_stop() {
    use std::os::unix::fs::PermissionsExt;
    let server = start(FakeIdentityProvider::new(update_with(1)), false).await;
    let mode = std::fs::metadata(&server.socket)
        .expect("socket exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o777);
    let socket = server.socket.clone();
    let dir = server.stop_keeping_dir().await;
    assert!(!socket.exists(), "socket removed on shutdown");
    drop(dir);
}

#[tokio::test]
async fn replaces_a_stale_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("api.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).expect("binds"));
    assert!(path.exists(), "stale socket left behind");
    let provider: Arc<dyn IdentityProvider> = FakeIdentityProvider::new(update_with(1));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn({
        let path = path.clone();
        async move {
            serve(&path, provider, Vec::new(), async move {
                let _ = stopped.await;
            })
            .await
        }
    });
    let mut connected = false;
    for _ in 0..200 {
        if UnixStream::connect(&path).await.is_ok() {
            connected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(connected, "the new server listens on the stale path");
    let _ = stop.send(());
    task.await.expect("joins").expect("serves");
}

#[tokio::test]
async fn refuses_to_replace_a_regular_file_at_the_socket_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("api.sock");
    std::fs::write(&path, b"data").expect("writes");
    let provider: Arc<dyn IdentityProvider> = FakeIdentityProvider::new(update_with(1));
    let err = serve(&path, provider, Vec::new(), async {})
        .await
        .expect_err("not a socket");
    assert!(matches!(err, WorkloadApiError::NotASocket { .. }), "{err}");
    assert_eq!(std::fs::read(&path).expect("still there"), b"data");
}
