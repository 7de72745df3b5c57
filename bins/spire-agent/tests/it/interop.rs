//! Three Workload API clients nobody here wrote the server for — the `spire-agent` CLI,
//! py-spiffe (gRPC C-core) and the rust `spiffe` crate (tonic) — fetch from the real agent and
//! must agree on the SPIFFE ID; openssl verifies each one's chain against the bundle. The
//! py-spiffe test needs a Python venv: `#[ignore]`d, run by scripts/test in CI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Env, my_uid, py_spiffe_python};

const WORKLOAD_ID: &str = "spiffe://example.org/interop-workload";

const PY_FETCH: &str = r#"
import sys
from cryptography.hazmat.primitives.serialization import Encoding
from spiffe import WorkloadApiClient
client = WorkloadApiClient(default_timeout=20)
svid = client.fetch_x509_svid()
svid.save(sys.argv[1], sys.argv[2], Encoding.PEM)
print(svid.spiffe_id)
client.close()
"#;

#[test]
fn cli_and_rust_spiffe_get_the_same_id_and_chains_openssl_verifies() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    let bundle = cli_fetch_verified(&env);
    let rust_id = rust_spiffe_fetch(&env, &bundle);
    assert_eq!(rust_id, WORKLOAD_ID, "rust spiffe crate");
}

#[test]
#[ignore = "needs py-spiffe (a python3 venv with PyPI spiffe 0.3.2; .ci/run creates it): scripts/test runs it in CI"]
fn py_spiffe_gets_the_same_id_and_its_chain_openssl_verifies() {
    let python = py_spiffe_python().unwrap_or_else(|| {
        panic!(
            "needs py-spiffe: no python3 venv with PyPI `spiffe` 0.3.2 at $SPIRE_RS_VENV or \
             $HOME/.cache/spire-rs/venv, and python3 -m venv + pip install spiffe==0.3.2 failed"
        )
    });
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    let bundle = cli_fetch_verified(&env);
    let chain = env.dir.path().join("py-svid.pem");
    let key = env.dir.path().join("py-svid.key");
    let out = Command::new(python)
        .args(["-c", PY_FETCH])
        .arg(&chain)
        .arg(&key)
        .env(
            "SPIFFE_ENDPOINT_SOCKET",
            format!("unix://{}", env.agent_socket.display()),
        )
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "py-spiffe failed:\n{}\nagent log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        env.agent_log()
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        WORKLOAD_ID,
        "py-spiffe"
    );
    openssl_verifies(&bundle, &chain);
}

/// Fetches with `spire-agent api fetch x509 -write`, checks the ID it prints and that openssl
/// verifies its chain; returns the bundle file it wrote.
fn cli_fetch_verified(env: &Env) -> PathBuf {
    let out_dir = env.dir.path().join("cli-svid");
    std::fs::create_dir_all(&out_dir).expect("svid dir");
    let text = env.agent_ok_eventually(&[
        "api",
        "fetch",
        "x509",
        "-write",
        &out_dir.display().to_string(),
    ]);
    let cli_id = text
        .lines()
        .find_map(|l| l.strip_prefix("SPIFFE ID:\t\t"))
        .unwrap_or_else(|| panic!("fetch x509 prints the SPIFFE ID:\n{text}"));
    assert_eq!(cli_id, WORKLOAD_ID);
    let bundle = out_dir.join("bundle.0.pem");
    openssl_verifies(&bundle, &out_dir.join("svid.0.pem"));
    bundle
}

/// Fetches with the rust `spiffe` crate, verifies its leaf with openssl and returns its ID.
fn rust_spiffe_fetch(env: &Env, bundle: &Path) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let svid = runtime.block_on(async {
        let endpoint = format!("unix:{}", env.agent_socket.display());
        let client = spiffe::WorkloadApiClient::connect_to(&endpoint)
            .await
            .expect("spiffe crate connects to the agent");
        tokio::time::timeout(Duration::from_secs(20), client.fetch_x509_svid())
            .await
            .expect("spiffe crate fetch within 20 s")
            .expect("spiffe crate fetches an X509-SVID")
    });
    let der = env.dir.path().join("rust-svid.der");
    std::fs::write(&der, svid.leaf().as_bytes()).expect("write leaf");
    let pem = env.dir.path().join("rust-svid.pem");
    let convert = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in"])
        .arg(&der)
        .arg("-out")
        .arg(&pem)
        .output()
        .expect("run openssl x509");
    assert!(convert.status.success(), "openssl x509 -inform DER failed");
    openssl_verifies(bundle, &pem);
    svid.spiffe_id().to_string()
}

fn openssl_verifies(bundle: &Path, chain: &Path) {
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(bundle)
        .arg(chain)
        .output()
        .expect("run openssl verify");
    assert!(
        verify.status.success(),
        "openssl verify of {} failed: {}{}",
        chain.display(),
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
