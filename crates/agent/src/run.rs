//! `spire-agent run`: config → plugins → bootstrap → node attestation → agent SVID rotation,
//! entry sync (the Manager) and the Workload API, until shutdown or until the server refuses
//! the agent for good, as SPIRE does: banned, or asked to re-attest (expired, superseded or
//! evicted) when the node attestor cannot attest again. Then the stored SVID is deleted and
//! the agent stops. An agent whose node attestor can attest again does so and carries on.

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use spire_ca::clock::{Clock, SystemClock};
use spire_config::AgentConfig;
use spire_proto::spire::api::server::agent::v1::PostStatusRequest;
use spire_proto::spire::api::server::agent::v1::agent_client::AgentClient;
use spire_spiffe::{Bundle, X509Authority};
use spire_tls::{KeyManagerSvidResolver, ServerIdVerifier};

use crate::agent_svid::{AgentSvidRotator, RotateError};
use crate::attest::catalog::{AgentCatalog, CatalogError, JoinTokenSource};
use crate::attest::{AttestError, NodeAttestor};
use crate::bootstrap::{BootstrapError, bootstrap_trust, initial_roots};
use crate::client::{ConnectError, GrpcServerClient, Refusal, ServerConnection};
use crate::manager::{Manager, ManagerSettings, WorkloadKeyType};
use crate::storage::{Storage, StorageError};

/// How many times a server that cannot be reached is tried for the first attestation.
const ATTEST_ATTEMPTS: u32 = 6;

/// Why the agent stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Logging(#[from] spire_logging::LoggingError),
    #[error("data_dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("failed to attest: {0}")]
    Attest(#[from] AttestError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("agent is no longer authorized by the server ({0}); its SVID was removed")]
    Refused(String),
    #[error(transparent)]
    WorkloadApi(#[from] crate::workload::WorkloadApiError),
}

/// Command-line values that take precedence over the config file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `-joinToken`.
    pub join_token: Option<String>,
}

/// Runs the agent until `shutdown` resolves.
pub async fn run(
    config: AgentConfig,
    options: RunOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AgentError> {
    spire_logging::init(spire_logging::LogSettings {
        level: &config.log.level,
        format: &config.log.format,
        file: config.log.file.as_deref(),
        own_crates: &["spire_agent_runtime", "spire_agent"],
    })?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(data_dir = %config.data_dir.display(), version = env!("CARGO_PKG_VERSION"), "Starting agent");
    prepare_data_dir(&config.data_dir)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let catalog = AgentCatalog::open(
        &config.plugins,
        &JoinTokenSource {
            token: options.join_token.or_else(|| config.join_token.clone()),
            file: config.join_token_file.clone(),
        },
    )?;
    // A corrupt or unreadable agent-data.json stops the agent here, before anything is
    // written: see `StorageError::Corrupt`.
    let storage = Arc::new(Storage::open(&config.data_dir)?);

    let td = config.trust_domain.as_str().to_owned();
    let server_id = config.trust_domain.server_id();
    let bootstrap = bootstrap_trust(&config).await?;
    let roots = initial_roots(&storage.data().bundle, &bootstrap);
    let verifier = Arc::new(match &roots {
        Some(roots) => ServerIdVerifier::with_roots(server_id, roots),
        None => {
            tracing::warn!("Insecure bootstrap enabled; skipping server certificate verification");
            ServerIdVerifier::insecure_bootstrap(server_id)
        }
    });
    let conn = ServerConnection::new(
        &config.server_address,
        config.server_port,
        verifier,
        Arc::new(KeyManagerSvidResolver::new()),
    )?;

    let node = NodeAttestor {
        key_manager: catalog.key_manager,
        storage: Arc::clone(&storage),
        conn: conn.clone(),
        attestor: catalog.node_attestor,
        clock: Arc::clone(&clock),
        trust_domain: config.trust_domain.clone(),
    };
    let identity = attest_with_retry(&node, roots).await?;
    let bundle = bundle_of(&td, &identity.bundle);
    let rotator = Arc::new(AgentSvidRotator::new(node, identity)?);

    let server_client = Arc::new(GrpcServerClient::new(
        conn.clone(),
        &td,
        Some(Arc::clone(&storage)),
    ));
    let mut denials = server_client.denials();
    let settings = ManagerSettings {
        sync_interval: config.experimental.sync_interval,
        x509_svid_cache_max_size: usize::try_from(config.x509_svid_cache_max_size)
            .unwrap_or(usize::MAX),
        jwt_svid_cache_max_size: usize::try_from(config.jwt_svid_cache_max_size)
            .unwrap_or(usize::MAX),
        workload_key_type: match config.workload_x509_svid_key_type {
            spire_config::KeyType::EcP384 => WorkloadKeyType::EcP384,
            _ => WorkloadKeyType::EcP256,
        },
        ..ManagerSettings::new(config.trust_domain.clone())
    };
    let manager = Manager::new(
        server_client.clone(),
        Arc::clone(&clock),
        settings,
        Some(bundle),
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let manager_task = tokio::spawn(Arc::clone(&manager).run(stopped()));
    let rotator_task = {
        let rotator = Arc::clone(&rotator);
        let stop = stopped();
        tokio::spawn(async move { rotator.run(stop).await })
    };
    tokio::spawn(post_status(conn.clone()));

    let workload_task = if config.disable_workload_api {
        None
    } else {
        tracing::info!(address = %config.socket_path.display(), "Starting agent APIs");
        let options = crate::workload::WorkloadApiOptions {
            allow_unauthenticated_verifiers: config.allow_unauthenticated_verifiers,
            allowed_foreign_jwt_claims: config.allowed_foreign_jwt_claims.clone(),
            ..Default::default()
        };
        let listener = crate::workload::WorkloadListener::bind(&config.socket_path)?;
        let provider: Arc<dyn crate::identity::IdentityProvider> = manager.clone();
        let attestors = catalog.workload_attestors;
        let stop = stopped();
        Some(tokio::spawn(async move {
            crate::workload::serve_listener(listener, provider, attestors, options, stop).await
        }))
    };

    tokio::pin!(shutdown);
    let mut rotator_task = rotator_task;
    let outcome = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            denied = denials.wait_for(Option::is_some) => {
                let refusal = denied.ok().and_then(|d| d.clone());
                match refusal {
                    Some(Refusal::MustReattest(reason)) => {
                        tracing::warn!(%reason, "Agent needs to re-attest; will attempt to re-attest");
                        match rotator.reattest_after(Refusal::MustReattest(reason)).await {
                            Ok(()) => server_client.clear_denial(),
                            Err(error) => break Err(error),
                        }
                    }
                    Some(refusal) => break Err(RotateError::Denied(refusal)),
                    // The sender is gone: the manager stopped.
                    None => break Ok(()),
                }
            }
            rotated = &mut rotator_task => break match rotated {
                Ok(Err(error)) => Err(error),
                _ => Ok(()),
            },
        }
    };
    let _ = stop_tx.send(true);
    let _ = manager_task.await;
    if let Some(task) = workload_task
        && let Ok(Err(e)) = task.await
    {
        tracing::error!(error = %e, "Workload API stopped with an error");
    }
    match outcome {
        Ok(()) => {
            tracing::info!("Agent stopped gracefully");
            Ok(())
        }
        Err(error) => {
            match &error {
                RotateError::Denied(Refusal::Banned(reason)) => tracing::error!(
                    %reason,
                    "Agent is banned: removing SVID and shutting down"
                ),
                other => tracing::error!(
                    error = %other,
                    "Agent failed re-attestation; removing SVID and shutting down"
                ),
            }
            storage.delete_svid()?;
            Err(AgentError::Refused(error.to_string()))
        }
    }
}

/// First attestation, retried while the server cannot be reached.
async fn attest_with_retry(
    node: &NodeAttestor,
    roots: Option<Vec<Vec<u8>>>,
) -> Result<crate::attest::AgentIdentity, AttestError> {
    let mut wait = Duration::from_secs(1);
    let mut attempt = 1;
    loop {
        match node.load_or_attest(roots.clone()).await {
            Err(error) if error.is_unavailable() && attempt < ATTEST_ATTEMPTS => {
                tracing::warn!(%error, attempt, "Failed to attest; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(16));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Reports the agent version once, as SPIRE does after start-up; failures are only logged.
async fn post_status(conn: ServerConnection) {
    let request = PostStatusRequest {
        current_bundle_serial: 0,
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    if let Err(status) = AgentClient::new(conn.channel()).post_status(request).await {
        tracing::debug!(code = ?status.code(), message = status.message(), "PostStatus failed");
    }
}

fn bundle_of(trust_domain: &str, roots: &[Vec<u8>]) -> Bundle {
    Bundle {
        trust_domain: trust_domain.to_owned(),
        x509_authorities: roots
            .iter()
            .map(|der| X509Authority {
                der: der.clone(),
                tainted: false,
            })
            .collect(),
        ..Default::default()
    }
}

/// Creates `data_dir` and makes it private to the agent's user (0700).
fn prepare_data_dir(dir: &Path) -> Result<(), AgentError> {
    let err = |source| AgentError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)
}
