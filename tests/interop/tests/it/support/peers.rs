//! Where the peers and our own binaries are. Peers come from tests/interop/build-peers (paths
//! in `SPIRE_RS_STOCK_BIN` and `SPIRE_RS_GO_CLIENT`, else its default cache). Every test here
//! is `#[ignore]`d and run by scripts/test in CI, where .ci/run provides the peers; a missing
//! peer is a failure that says how to get it, never a silent pass.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Peers {
    pub stock_server: PathBuf,
    pub stock_agent: PathBuf,
    pub go_client: PathBuf,
}

impl Peers {
    /// The peers; panics naming the missing ones and how to build them.
    pub fn find(test: &str) -> Peers {
        let cache = std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cache/spire-rs"))
            .unwrap_or_else(|| PathBuf::from("/nonexistent"));
        let stock_bin = std::env::var_os("SPIRE_RS_STOCK_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("stock-spire/bin"));
        let go_client = std::env::var_os("SPIRE_RS_GO_CLIENT")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("go-client/spire-interop-go-client"));
        let peers = Peers {
            stock_server: stock_bin.join("spire-server"),
            stock_agent: stock_bin.join("spire-agent"),
            go_client,
        };
        let missing: Vec<String> = [&peers.stock_server, &peers.stock_agent, &peers.go_client]
            .into_iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        assert!(
            missing.is_empty(),
            "{test} needs the interop peers, missing: {} (run `eval \"$(tests/interop/build-peers)\"`)",
            missing.join(", ")
        );
        peers
    }
}

/// Our binary `name` (spire-server, spire-agent), built next to this test executable.
pub fn ours(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/it-<hash> -> target/<profile>/<name>
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join(name))
        .expect("test executable lives in target/<profile>/deps");
    assert!(
        bin.is_file(),
        "our {name} is not built at {}: run `cargo build --bins` first (scripts/test does)",
        bin.display()
    );
    bin
}

/// Python of the py-spiffe venv (`$SPIRE_RS_VENV`, else `$HOME/.cache/spire-rs/venv`; `.ci/run`
/// creates it); panics naming the venv when py-spiffe is not in it.
pub fn py_spiffe(test: &str) -> PathBuf {
    let venv = std::env::var_os("SPIRE_RS_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/spire-rs/venv")))
        .unwrap_or_else(|| panic!("{test} needs py-spiffe: set SPIRE_RS_VENV or HOME"));
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import spiffe"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{test} needs py-spiffe, not in {} (python3 -m venv there, then bin/pip install spiffe==0.3.2)",
        venv.display()
    );
    python
}
