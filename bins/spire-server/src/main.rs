//! `spire-server`: SPIRE's server binary. `run` and `validate` start or check the server;
//! every other subcommand is an admin command talking to a running server's socket.

use std::process::ExitCode;

use spire_server_runtime::Overrides;

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
        _ => runtime.block_on(spire_cli::run_admin(args)),
    }
}

async fn run(args: &[String]) -> ExitCode {
    let (path, expand_env, overrides) = match parse(args) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let config = match spire_server_runtime::load_config(&path, expand_env, &overrides) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match spire_server_runtime::run(config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing_error(&e);
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn validate(args: &[String]) -> ExitCode {
    let (path, expand_env, overrides) = match parse(args) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    match spire_server_runtime::load_config(&path, expand_env, &overrides) {
        Ok(config) => {
            for warning in &config.warnings {
                println!("Warning: {warning}");
            }
            println!("SPIRE server configuration file is valid.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("SPIRE server configuration file is invalid: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<(std::path::PathBuf, bool, Overrides), ExitCode> {
    let flags = spire_cli::parse_run_flags(args).map_err(|e| {
        eprintln!("{e}");
        ExitCode::FAILURE
    })?;
    let overrides = Overrides {
        bind_address: flags.bind_address,
        server_port: flags.server_port,
        socket_path: flags.socket_path,
        data_dir: flags.data_dir,
        trust_domain: flags.trust_domain,
        log_file: flags.log_file,
        log_format: flags.log_format,
        log_level: flags.log_level,
    };
    Ok((flags.config, flags.expand_env, overrides))
}

fn tracing_error(e: &spire_server_runtime::ServerError) {
    tracing::error!(error = %e, "Server crashed");
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
