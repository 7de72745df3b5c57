//! `spire-edge run | status | exec`: a thin shell over `spire-edge-core`.

mod cli;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use spire_edge_core::spire::{SpireConfig, SpirePlugin};
use spire_edge_core::{PluginHost, PluginsFile, StatusReport};

use cli::Command;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = cli::parse(&args).and_then(|cmd| match cmd {
        Command::Run { config } => run(&config),
        Command::Status { config } => status(&config),
        Command::Exec {
            config,
            socket_path,
            argv,
        } => exec(&config, socket_path.as_deref(), &argv),
        Command::Help => {
            print!("{}", cli::USAGE);
            Ok(ExitCode::SUCCESS)
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("spire-edge: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: &Path) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SPIRE_EDGE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let file = PluginsFile::load(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut host = PluginHost::new();
        host.register(Box::new(SpirePlugin::new()));
        host.init(&file).await?;
        host.start().await?;
        tracing::info!(config = %config.display(), status = %file.host.status_file.display(), "spire-edge running");
        host.run(&file, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Prints the last health report; exit 1 when unhealthy or stale.
fn status(config: &Path) -> anyhow::Result<ExitCode> {
    let file = PluginsFile::load_lenient(config)?;
    let path = &file.host.status_file;
    let report = StatusReport::read(path)
        .with_context(|| format!("no status in {} (is spire-edge running?)", path.display()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let text = report.render(now);
    print!("{text}");
    Ok(if report.healthy() && !text.contains("STALE") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Replaces this process with `argv`, its Workload API socket in SPIFFE_ENDPOINT_SOCKET.
fn exec(config: &Path, socket_path: Option<&Path>, argv: &[String]) -> anyhow::Result<ExitCode> {
    let socket = match socket_path {
        Some(p) => p.to_path_buf(),
        None => {
            let file = PluginsFile::load_lenient(config)?;
            let section = file.section("spire").cloned().unwrap_or_default();
            match SpireConfig::from_value(&section).map_err(|e| file.in_file(e))? {
                Some(c) => c.socket_path,
                None => bail!(
                    "{}: spire is not enabled; pass -socketPath",
                    config.display()
                ),
            }
        }
    };
    let socket = std::path::absolute(&socket)
        .with_context(|| format!("socket path {}", socket.display()))?;
    let Some((program, args)) = argv.split_first() else {
        bail!("exec: no command given (usage: spire-edge exec -- CMD [ARGS...])");
    };
    let err = std::process::Command::new(program)
        .args(args)
        .env(
            "SPIFFE_ENDPOINT_SOCKET",
            format!("unix://{}", socket.display()),
        )
        .exec();
    Err(err).with_context(|| format!("cannot run {program}"))
}
