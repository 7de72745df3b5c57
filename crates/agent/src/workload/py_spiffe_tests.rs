//! Interop with a gRPC client nobody here wrote: py-spiffe (grpcio, the gRPC C-core) fetches
//! an X509-SVID from the Workload API. C-core sends the socket path as `:authority`; without
//! the grpc-uds filter the server under tonic refuses every request, so this test fails if
//! the filter is lost.
//!
//! Needs a venv with PyPI `spiffe` at `$HOME/.cache/spire-rs/venv` (created here when missing).
//! Without python/pip it skips with a message, except under `CI=true`, where it fails.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use tokio::process::Command;
use tokio::sync::oneshot;

use super::*;
use crate::identity::{BundleSet, IdentityError, JwtIdentity, WorkloadUpdate, X509Identity};
use spire_spiffe::{Bundle, Selector, X509Authority};
use tokio::sync::watch;

const WORKLOAD_ID: &str = "spiffe://example.org/py-workload";

/// Serves one fixed update to everyone.
#[derive(Debug)]
struct FakeIdentityProvider {
    update: watch::Sender<Arc<WorkloadUpdate>>,
    bundles: watch::Sender<Arc<BundleSet>>,
}

#[async_trait::async_trait]
impl IdentityProvider for FakeIdentityProvider {
    fn subscribe(&self, _selectors: Vec<Selector>) -> watch::Receiver<Arc<WorkloadUpdate>> {
        self.update.subscribe()
    }

    async fn fetch_jwt_svids(
        &self,
        _selectors: &[Selector],
        _audience: &[String],
        _spiffe_id: Option<&str>,
    ) -> Result<Vec<JwtIdentity>, IdentityError> {
        Err(IdentityError::NoIdentity)
    }

    fn bundles(&self) -> watch::Receiver<Arc<BundleSet>> {
        self.bundles.subscribe()
    }
}

fn uri_san(uri: &str) -> SanType {
    SanType::URI(uri.try_into().expect("valid IA5 URI"))
}

/// A CA for example.org and an X509-SVID for [`WORKLOAD_ID`] signed by it.
fn workload_update() -> WorkloadUpdate {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.subject_alt_names = vec![uri_san("spiffe://example.org")];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
    ];
    leaf_params.subject_alt_names = vec![uri_san(WORKLOAD_ID)];
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");

    WorkloadUpdate {
        identities: vec![X509Identity {
            entry_id: "py".into(),
            spiffe_id: WORKLOAD_ID.into(),
            cert_chain: vec![leaf.der().to_vec()],
            private_key_pkcs8: leaf_key.serialize_der().into(),
            hint: String::new(),
            expires_at: 0,
        }],
        bundle: Some(Bundle {
            trust_domain: "example.org".into(),
            x509_authorities: vec![X509Authority {
                der: ca_cert.der().to_vec(),
                tainted: false,
            }],
            ..Bundle::default()
        }),
        federated_bundles: Default::default(),
        pending: false,
    }
}

/// The venv's python with py-spiffe, creating the venv if needed; `None` when python or
/// pip is unavailable.
async fn py_spiffe_python() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let venv = PathBuf::from(home).join(".cache/spire-rs/venv");
    let python = venv.join("bin/python");
    let has_spiffe = |python: PathBuf| async move {
        Command::new(&python)
            .args(["-c", "import spiffe"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success())
    };
    if has_spiffe(python.clone()).await {
        return Some(python);
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .await
        .is_ok_and(|s| s.success());
    let installed = created
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "spiffe"])
            .status()
            .await
            .is_ok_and(|s| s.success());
    (installed && has_spiffe(python.clone()).await).then_some(python)
}

const FETCH_SCRIPT: &str = r#"
import sys
from spiffe import WorkloadApiClient
client = WorkloadApiClient(socket_path="unix://" + sys.argv[1], default_timeout=20)
svid = client.fetch_x509_svid()
print(svid.spiffe_id)
client.close()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs py-spiffe (a python3 venv with PyPI spiffe; .ci/run creates it): scripts/test runs it in CI"]
async fn py_spiffe_fetches_an_x509_svid_through_the_authority_filter() {
    let Some(python) = py_spiffe_python().await else {
        panic!("needs py-spiffe: python3 -m venv + pip install spiffe failed");
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("public").join("api.sock");
    let provider = Arc::new(FakeIdentityProvider {
        update: watch::Sender::new(Arc::new(workload_update())),
        bundles: watch::Sender::new(Arc::new(BundleSet::new())),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn({
        let socket = socket.clone();
        async move {
            serve(&socket, provider, Vec::new(), async move {
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

    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(&python)
            .args(["-c", FETCH_SCRIPT])
            .arg(&socket)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("py-spiffe finishes within 60 s")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "py-spiffe failed:\n{stderr}");
    assert_eq!(stdout.trim(), WORKLOAD_ID);

    let _ = stop.send(());
    server.await.expect("joins").expect("serves");
}
