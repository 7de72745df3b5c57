//! `spire-server run`: wires configuration, plugins, CA, server SVID and listeners together
//! and serves until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;

use spire_bundlepublisher_disk::DiskBundlePublisher;
use spire_ca::clock::{Clock, SystemClock};
use spire_ca::rotation::AuthorityParams;
use spire_config::ServerConfig;
use spire_tls::{BundleClientVerifier, SvidResolver};
use tonic::transport::Server;

use crate::ca::{ROTATION_INTERVAL, ServerCa, SigningDefaults};
use crate::catalog::Catalog;
use crate::context::{ApiSettings, ServerContext};
use crate::endpoints::{
    ConnectionBudget, ConnectionLimits, MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE, bind_tcp,
    bind_uds, raise_fd_limit, tls_incoming, uds_incoming,
};
use crate::server_svid::{CHECK_INTERVAL, ServerSvid};

/// Command-line values that override server.conf (`-bindAddress`, `-serverPort`, ...).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind_address: Option<String>,
    pub server_port: Option<u16>,
    pub socket_path: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub trust_domain: Option<String>,
    pub log_file: Option<PathBuf>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] spire_config::ConfigError),
    #[error(transparent)]
    Logging(#[from] spire_logging::LoggingError),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    Ca(#[from] crate::ca::CaShellError),
    #[error(transparent)]
    ServerSvid(#[from] crate::server_svid::ServerSvidError),
    #[error("invalid {key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("data_dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {what} {address}: {source}")]
    Listen {
        what: &'static str,
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Limits(#[from] crate::endpoints::LimitsError),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("serving the {what} API: {source}")]
    Serve {
        what: &'static str,
        source: tonic::transport::Error,
    },
}

/// Loads server.conf and applies command-line overrides.
pub fn load_config(
    path: &std::path::Path,
    expand_env: bool,
    overrides: &Overrides,
) -> Result<ServerConfig, ServerError> {
    let mut config = ServerConfig::load(path, expand_env)?;
    apply_overrides(&mut config, overrides)?;
    Ok(config)
}

fn apply_overrides(config: &mut ServerConfig, o: &Overrides) -> Result<(), ServerError> {
    if let Some(v) = &o.bind_address {
        config.bind_address = v.clone();
    }
    if let Some(v) = o.server_port {
        config.bind_port = v;
    }
    if let Some(v) = &o.socket_path {
        config.socket_path = v.clone();
    }
    if let Some(v) = &o.data_dir {
        config.data_dir = v.clone();
    }
    if let Some(v) = &o.trust_domain {
        config.trust_domain =
            spire_spiffe::TrustDomain::from_id_or_name(v).map_err(|e| ServerError::Invalid {
                key: "-trustDomain",
                message: format!("{v:?}: {e}"),
            })?;
    }
    if let Some(v) = &o.log_file {
        config.log.file = Some(v.clone());
    }
    if let Some(v) = &o.log_format {
        config.log.format = v.clone();
    }
    if let Some(v) = &o.log_level {
        config.log.level = v.clone();
    }
    Ok(())
}

/// Runs the server until `shutdown` completes or a listener fails.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    spire_logging::init(spire_logging::LogSettings {
        level: &config.log.level,
        format: &config.log.format,
        file: config.log.file.as_deref(),
        own_crates: &[
            "spire_server_runtime",
            "spire_server",
            "spire_ca",
            "spire_datastore",
        ],
    })?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    // Before anything opens files: the connection caps below follow the limit in force.
    let limits = ConnectionLimits::for_fd_limit(raise_fd_limit())
        .with_test_overrides(|var| std::env::var(var).ok())?;
    create_data_dir(&config.data_dir)?;
    let catalog = Catalog::open(&config.plugins).await?;
    tracing::info!(
        trust_domain = %config.trust_domain,
        data_dir = %config.data_dir.display(),
        "Plugins loaded"
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ca = Arc::new(
        ServerCa::resume(
            catalog.key_manager.clone(),
            authority_params(&config)?,
            catalog.datastore.clone(),
            clock.clone(),
            SigningDefaults {
                x509_svid_ttl: config.default_x509_svid_ttl,
                jwt_svid_ttl: config.default_jwt_svid_ttl,
                jwt_issuer: config.jwt_issuer.clone(),
                disable_jwt_svids: config.disable_jwt_svids,
            },
        )
        .await?,
    );
    let verifier = Arc::new(BundleClientVerifier::new());
    ca.rotate().await?;
    refresh_roots(&ca, &verifier).await?;
    let publishers = Arc::new(catalog.bundle_publishers.clone());
    publish_bundle(&ca, &publishers).await;

    let resolver = Arc::new(SvidResolver::new());
    let server_svid = Arc::new(ServerSvid::new(
        &config.trust_domain,
        ca.clone(),
        resolver.clone(),
    ));
    server_svid.rotate_if_due(clock.now())?;

    let ctx = ServerContext {
        trust_domain: config.trust_domain.clone(),
        datastore: catalog.datastore.clone(),
        minter: ca.clone(),
        clock: clock.clone(),
        settings: Arc::new(ApiSettings {
            default_x509_svid_ttl: config.default_x509_svid_ttl,
            default_jwt_svid_ttl: config.default_jwt_svid_ttl,
            agent_ttl: config.agent_ttl.unwrap_or(config.default_x509_svid_ttl),
            admin_ids: config.admin_ids.clone(),
        }),
        node_attestors: Arc::new(catalog.node_attestors.clone()),
        authorized_entries: Arc::new(crate::authorized::AuthorizedEntriesCache::new(
            catalog.datastore.clone(),
            clock.clone(),
        )),
        rate_limits: Arc::new(crate::api::ratelimit::RateLimits::new(
            config.ratelimit.attestation,
            config.ratelimit.signing,
            clock.clone(),
        )),
    };

    spawn_rotation(
        ca.clone(),
        verifier.clone(),
        publishers,
        server_svid.clone(),
        clock.clone(),
    );
    crate::prune::spawn(
        catalog.datastore.clone(),
        clock.clone(),
        crate::prune::PruneSettings::from_config(&config),
    );

    let tcp_addr: SocketAddr = format!("{}:{}", config.bind_address, config.bind_port)
        .parse()
        .or_else(|_| format!("[{}]:{}", config.bind_address, config.bind_port).parse())
        .map_err(|e: std::net::AddrParseError| ServerError::Invalid {
            key: "bind_address",
            message: format!("{:?}: {e}", config.bind_address),
        })?;
    let tcp = bind_tcp(tcp_addr)
        .await
        .map_err(|source| ServerError::Listen {
            what: "TCP",
            address: tcp_addr.to_string(),
            source,
        })?;
    let uds = bind_uds(&config.socket_path).map_err(|source| ServerError::Listen {
        what: "socket",
        address: config.socket_path.display().to_string(),
        source,
    })?;
    let tls = Arc::new(spire_tls::server_config(resolver, verifier)?);

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;

    let local_address = tcp
        .local_addr()
        .map_or_else(|_| tcp_addr.to_string(), |a| a.to_string());
    tracing::info!(address = %local_address, network = "tcp", "Starting Server APIs");
    tracing::info!(address = %config.socket_path.display(), network = "unix", "Starting Server APIs");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };

    tracing::debug!(
        tcp = limits.tcp_connections,
        admin = limits.admin_connections,
        "Connection limits"
    );
    let tcp_budget = ConnectionBudget::new("tcp", limits.tcp_connections, limits.idle_timeout);
    let admin_budget = ConnectionBudget::new(
        "admin socket",
        limits.admin_connections,
        limits.idle_timeout,
    );
    // No HTTP/2 keepalive pings: a connection with nothing to say must look idle (see
    // endpoints/budget.rs). SPIRE sends a GOAWAY at `max_connection_age` and lets calls in
    // flight finish, which is what tonic does when no grace period is set.
    let tcp_builder = api_server_builder().max_connection_age(limits.max_connection_age);
    let tcp_router = crate::wiring::add_services(tcp_builder, &ctx);
    let uds_router =
        crate::wiring::add_services(api_server_builder(), &ctx).add_service(health_service);
    let tcp_serve = tcp_router.serve_with_incoming_shutdown(
        tls_incoming(tcp, tls, tcp_budget, limits.handshake_timeout),
        stopped(stop_rx.clone()),
    );
    let uds_serve =
        uds_router.serve_with_incoming_shutdown(uds_incoming(uds, admin_budget), stopped(stop_rx));
    let (tcp_result, uds_result) = tokio::join!(tcp_serve, uds_serve);
    let _ = std::fs::remove_file(&config.socket_path);
    // Checkpoints SQLite's write-ahead log, so a stopped server leaves its state in one file.
    catalog.datastore.close().await;
    tcp_result.map_err(|source| ServerError::Serve {
        what: "TCP",
        source,
    })?;
    uds_result.map_err(|source| ServerError::Serve {
        what: "admin socket",
        source,
    })?;
    tracing::info!("Server stopped gracefully");
    Ok(())
}

/// The HTTP/2 bounds both listeners share.
fn api_server_builder() -> Server {
    Server::builder()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_max_header_list_size(MAX_HEADER_LIST_SIZE)
}

fn authority_params(config: &ServerConfig) -> Result<AuthorityParams, ServerError> {
    let key_type = |key: &'static str, v: &str| {
        v.parse::<spire_plugin::KeyType>()
            .map_err(|e| ServerError::Invalid {
                key,
                message: e.to_string(),
            })
    };
    let subject = &config.ca_subject;
    Ok(AuthorityParams {
        trust_domain: config.trust_domain.clone(),
        ca_ttl: config.ca_ttl,
        ca_key_type: key_type("ca_key_type", config.ca_key_type.as_str())?,
        jwt_key_type: key_type("jwt_key_type", config.jwt_key_type.as_str())?,
        subject: spire_ca::x509::CaSubject {
            country: subject.country.first().cloned(),
            organization: subject.organization.first().cloned(),
            common_name: subject.common_name.clone(),
        },
    })
}

fn create_data_dir(path: &std::path::Path) -> Result<(), ServerError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| ServerError::DataDir {
            path: path.display().to_string(),
            source,
        })
}

async fn refresh_roots(ca: &ServerCa, verifier: &BundleClientVerifier) -> Result<(), ServerError> {
    if let Some(bundle) = ca.bundle().await? {
        let roots: Vec<Vec<u8>> = bundle
            .x509_authorities
            .iter()
            .map(|a| a.der.clone())
            .collect();
        verifier.set_roots(&roots);
    }
    Ok(())
}

/// Writes the current bundle through every BundlePublisher. A failure is logged, not fatal:
/// the server keeps serving and the next change publishes again, as SPIRE's publishers do.
async fn publish_bundle(ca: &ServerCa, publishers: &[Arc<DiskBundlePublisher>]) {
    if publishers.is_empty() {
        return;
    }
    let bundle = match ca.bundle().await {
        Ok(Some(bundle)) => bundle,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "Fetching the bundle to publish failed");
            return;
        }
    };
    for publisher in publishers {
        let path = publisher.path().display().to_string();
        match publisher.publish(&bundle) {
            Ok(()) => tracing::info!(
                path = %path,
                sequence = bundle.sequence_number,
                "Bundle published"
            ),
            Err(e) => tracing::error!(path = %path, error = %e, "Publishing the bundle failed"),
        }
    }
}

/// Background tasks: CA rotation every 10 s (then the TLS roots follow the shared bundle)
/// and the server SVID check every 5 s.
fn spawn_rotation(
    ca: Arc<ServerCa>,
    verifier: Arc<BundleClientVerifier>,
    publishers: Arc<Vec<Arc<DiskBundlePublisher>>>,
    server_svid: Arc<ServerSvid>,
    clock: Arc<dyn Clock>,
) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(ROTATION_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match ca.rotate().await {
                Ok(Some(_)) => publish_bundle(&ca, &publishers).await,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "CA rotation failed"),
            }
            // Every tick, not only when this server changed the bundle: other servers on the
            // same database append their own CAs, and agents holding SVIDs those signed must
            // be trusted here too.
            if let Err(e) = refresh_roots(&ca, &verifier).await {
                tracing::error!(error = %e, "Refreshing TLS roots failed");
            }
        }
    });
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(CHECK_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = server_svid.rotate_if_due(clock.now()) {
                tracing::error!(error = %e, "Server SVID rotation failed");
            }
        }
    });
}
