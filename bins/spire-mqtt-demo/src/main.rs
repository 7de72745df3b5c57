//! `spire-mqtt-demo robot ...`: a demo robot publishing heartbeats to
//! `robots/<robot-id>/heartbeat` over MQTT with mTLS, identified by its X509-SVID from the
//! Workload API. `spire-mqtt-demo fleet ...`: a demo fleet server subscribed on the broker's
//! plain loopback listener, printing each heartbeat on stdout.

mod args;

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use spire_mqtt_identity::LinkConfig;
use spire_mqtt_identity::robot::{self, Heartbeats};

use crate::args::{Args, USAGE};

fn main() -> anyhow::Result<()> {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_default();
    let args = Args::parse(argv).context(USAGE)?;
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match command.as_str() {
        "robot" => runtime.block_on(robot_main(args)),
        "fleet" => runtime.block_on(fleet_main(args)),
        other => anyhow::bail!("unknown command {other:?}\n{USAGE}"),
    }
}

async fn robot_main(args: Args) -> anyhow::Result<()> {
    let robot_id = args.required("robot-id")?;
    let mut heartbeats = Heartbeats::new(
        &robot_id,
        Duration::from_millis(args.number("interval-ms", 2000)?),
    );
    if let Some(topic) = args.optional("topic") {
        heartbeats.topic = topic;
    }
    let config = LinkConfig {
        workload_socket: args.workload_socket()?,
        spiffe_id: args.optional("spiffe-id"),
        host: args
            .optional("host")
            .unwrap_or_else(|| "localhost".to_owned()),
        port: u16::try_from(args.number("port", 8883)?).context("--port: out of range")?,
        broker_ca: args.required("broker-ca")?.into(),
        client_id: args
            .optional("client-id")
            .unwrap_or_else(|| format!("robot-{robot_id}")),
        keep_alive: Duration::from_secs(30),
    };
    robot::run(config, heartbeats, shutdown_signal()).await;
    Ok(())
}

async fn fleet_main(args: Args) -> anyhow::Result<()> {
    let host = args
        .optional("host")
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = u16::try_from(args.number("port", 1883)?).context("--port: out of range")?;
    let filter = args
        .optional("filter")
        .unwrap_or_else(|| "robots/+/heartbeat".to_owned());
    let client_id = args
        .optional("client-id")
        .unwrap_or_else(|| "fleet-demo".to_owned());
    let subscribe = spire_mqtt_identity::fleet::subscribe_plain(
        &host,
        port,
        &client_id,
        &filter,
        |topic, payload| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "heartbeat topic={topic} payload={}",
                String::from_utf8_lossy(payload)
            );
            let _ = out.flush();
        },
    );
    tokio::select! {
        result = subscribe => result.context("fleet subscriber"),
        _ = shutdown_signal() => Ok(()),
    }
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
