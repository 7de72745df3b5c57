//! `spire-agent`: SPIRE's agent binary. `run` and `validate` start or check the agent; every
//! other subcommand (`api fetch`, `healthcheck`, ...) is a client of a running agent.

mod overrides;

use std::process::ExitCode;

use spire_agent_runtime::run::{AgentError, RunOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match args.first().map(String::as_str) {
        Some("run") => runtime.block_on(run(&args[1..])),
        Some("validate") => validate(&args[1..]),
        _ => runtime.block_on(spire_cli::agent::run_agent_admin(args)),
    }
}

async fn run(args: &[String]) -> ExitCode {
    let flags = match spire_cli::agent::parse_agent_run_flags(args) {
        Ok(flags) => flags,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let config = match overrides::load(&flags) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = RunOptions {
        join_token: flags.join_token.clone(),
    };
    match spire_agent_runtime::run::run(config, options, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            agent_crashed(&e);
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn validate(args: &[String]) -> ExitCode {
    let flags = match spire_cli::agent::parse_agent_run_flags(args) {
        Ok(flags) => flags,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match overrides::load(&flags) {
        Ok(config) => {
            for warning in &config.warnings {
                println!("Warning: {warning}");
            }
            println!("SPIRE agent configuration file is valid.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("SPIRE agent configuration file is invalid: {e}");
            ExitCode::FAILURE
        }
    }
}

fn agent_crashed(e: &AgentError) {
    tracing::error!(error = %e, "Agent crashed");
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
