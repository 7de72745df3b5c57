//! The `spire-agent` CLI apart from `run` and `validate`: `healthcheck`,
//! `api fetch [x509|jwt]`, `api validate jwt` and `api watch` against the
//! agent's Workload API socket, with SPIRE's flags, messages and exit codes.
//! `run`/`validate` only get their flags parsed here
//! ([`parse_agent_run_flags`]); the binary runs the agent.

mod client;
mod fetch_x509;
mod go_duration;
mod health;
mod jwt;
mod run_flags;
mod watch;
mod x509_print;
mod x509_svid;
mod x509_verify;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

pub use client::{
    AGENT_SOCKET_ENV, AGENT_SOCKET_TEMPLATE_ENV, DEFAULT_AGENT_SOCKET_PATH, WorkloadClient,
    resolve_agent_socket_path,
};
pub use run_flags::{
    AGENT_RUN_FLAGS, AgentRunFlags, DEFAULT_AGENT_CONFIG_PATH, parse_agent_run_flags,
};

use crate::commands::Console;
use crate::duration::parse_go_duration;
use crate::error::CliError;
use crate::flags::{FlagError, FlagSpec, ParsedFlags, parse_flags, usage_text};

/// Runs one `spire-agent` command other than `run`/`validate`; `args` are
/// everything after the binary name.
pub async fn run_agent_admin(args: Vec<String>) -> ExitCode {
    if let Some((command, rest)) = find_command(&args)
        && command.kind == Kind::Watch
        && !wants_help(rest)
    {
        return ExitCode::from(run_watch(command, rest).await);
    }
    let mut console = Console::default();
    let code = run_agent_to_console(&args, &mut console).await;
    let _ = std::io::stdout().write_all(console.out.as_bytes());
    let _ = std::io::stderr().write_all(console.err.as_bytes());
    ExitCode::from(code)
}

/// How a command reports failures (SPIRE's commands differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `api fetch`/`api validate`: SPIRE's adapter, with `-timeout`.
    Api,
    Health,
    Watch,
    /// Run by the binary, listed for help only.
    Binary,
}

/// One `spire-agent` command as mitchellh/cli lists it.
#[derive(Debug)]
struct AgentCommand {
    /// The words that select it.
    words: &'static str,
    /// The Go flag set's name, shown in `Usage of <name>:`.
    flag_set: &'static str,
    synopsis: &'static str,
    flags: &'static [FlagSpec],
    kind: Kind,
}

const COMMANDS: &[AgentCommand] = &[
    AgentCommand {
        words: "api fetch",
        flag_set: "fetch x509",
        synopsis: "Fetches X509 SVIDs from the Workload API",
        flags: fetch_x509::FLAGS,
        kind: Kind::Api,
    },
    AgentCommand {
        words: "api fetch jwt",
        flag_set: "fetch jwt",
        synopsis: "Fetches a JWT SVID from the Workload API",
        flags: jwt::FETCH_FLAGS,
        kind: Kind::Api,
    },
    AgentCommand {
        words: "api fetch x509",
        flag_set: "fetch x509",
        synopsis: "Fetches X509 SVIDs from the Workload API",
        flags: fetch_x509::FLAGS,
        kind: Kind::Api,
    },
    AgentCommand {
        words: "api validate jwt",
        flag_set: "validate jwt",
        synopsis: "Validates a JWT SVID",
        flags: jwt::VALIDATE_FLAGS,
        kind: Kind::Api,
    },
    AgentCommand {
        words: "api watch",
        flag_set: "watch",
        synopsis: "Attaches to the Workload API and prints updates as they're received",
        flags: &[],
        kind: Kind::Watch,
    },
    AgentCommand {
        words: "healthcheck",
        flag_set: "health",
        synopsis: "Determines agent health status",
        flags: health::FLAGS,
        kind: Kind::Health,
    },
    AgentCommand {
        words: "run",
        flag_set: "run",
        synopsis: "Runs the agent",
        flags: AGENT_RUN_FLAGS,
        kind: Kind::Binary,
    },
    AgentCommand {
        words: "validate",
        flag_set: "validate",
        synopsis: "Validates a SPIRE agent configuration file",
        flags: AGENT_RUN_FLAGS,
        kind: Kind::Binary,
    },
];

const TIMEOUT_FLAG: FlagSpec = FlagSpec::repeated(
    "timeout",
    // Go shows a Var flag's default after its usage; the parser's repeated
    // kind has no default, so the text carries it.
    "Time to wait for a response (default 5s)",
);
/// SPIRE's `commandTimeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

const fn socket_flags(usage: &'static str) -> [FlagSpec; 2] {
    [
        FlagSpec::string("socketPath", DEFAULT_AGENT_SOCKET_PATH, usage),
        FlagSpec::string(
            "instance",
            "",
            "Instance name to substitute into socket templates (env SPIRE_AGENT_PUBLIC_SOCKET_TEMPLATE).",
        ),
    ]
}
const API_SOCKET_FLAGS: [FlagSpec; 2] =
    socket_flags("Path to the SPIRE Agent API Unix domain socket");
const HEALTH_SOCKET_FLAGS: [FlagSpec; 2] = socket_flags("Path to the SPIRE Agent API socket");

/// The whole command line → exit code, writing into `console` (testable).
/// `api watch` never ends by itself, so [`run_agent_admin`] runs it apart.
pub async fn run_agent_to_console(args: &[String], console: &mut Console) -> u8 {
    let Some((command, rest)) = find_command(args) else {
        return no_command(args, console);
    };
    let specs = command_specs(command);
    if wants_help(rest) {
        console.err.push_str(&usage_text(command.flag_set, &specs));
        return 0;
    }
    let flags = match parse_flags(&specs, rest) {
        Ok(flags) => flags,
        Err(err) => return flag_failure(command, &specs, &err, console),
    };
    let outcome = match command.kind {
        Kind::Binary => Err(CliError::invalid(format!(
            "{} is run by the spire-agent binary, not the admin CLI",
            command.words
        ))),
        Kind::Watch => Err(CliError::invalid(
            "api watch streams until interrupted; run it through run_agent_admin",
        )),
        Kind::Api | Kind::Health => run_command(command, &flags, console).await,
    };
    match outcome {
        Ok(()) => 0,
        Err(CliError::Flag(err)) => flag_failure(command, &specs, &err, console),
        Err(err) if command.kind == Kind::Health => {
            console
                .err
                .push_str(&format!("Agent is unhealthy: {err}\n"));
            1
        }
        Err(err) => {
            console.err.push_str(&format!("{err}\n"));
            1
        }
    }
}

async fn run_command(
    command: &AgentCommand,
    f: &ParsedFlags,
    c: &mut Console,
) -> Result<(), CliError> {
    let timeout = match command.kind {
        Kind::Api => timeout(f)?,
        _ => None,
    };
    let client = client_for(f, timeout)?;
    match command.words {
        "api fetch" | "api fetch x509" => fetch_x509::fetch_x509(f, &client, c).await,
        "api fetch jwt" => jwt::fetch_jwt(f, &client, c).await,
        "api validate jwt" => jwt::validate_jwt(f, &client, c).await,
        _ => health::healthcheck(f, &client, c).await,
    }
}

async fn run_watch(command: &AgentCommand, rest: &[String]) -> u8 {
    let specs = command_specs(command);
    let mut console = Console::default();
    let code = match parse_flags(&specs, rest)
        .map_err(CliError::from)
        .and_then(|f| client_for(&f, None))
    {
        Ok(client) => {
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let mut out = std::io::stdout();
            let mut err = std::io::stderr();
            return watch::watch(&client, &mut out, &mut err, shutdown).await;
        }
        Err(CliError::Flag(err)) => flag_failure(command, &specs, &err, &mut console),
        Err(err) => {
            console.err.push_str(&format!("{err}\n"));
            1
        }
    };
    let _ = std::io::stderr().write_all(console.err.as_bytes());
    code
}

fn client_for(f: &ParsedFlags, timeout: Option<Duration>) -> Result<WorkloadClient, CliError> {
    let socket = resolve_agent_socket_path(&f.string("socketPath"), &f.string("instance"), |k| {
        std::env::var(k).ok()
    })?;
    WorkloadClient::new(&socket, timeout)
}

/// `-timeout` (Go duration, default 5s); zero or negative means no deadline.
fn timeout(f: &ParsedFlags) -> Result<Option<Duration>, CliError> {
    let Some(value) = f.list("timeout").pop() else {
        return Ok(Some(DEFAULT_TIMEOUT));
    };
    let nanos = parse_go_duration(&value).map_err(|e| FlagError::InvalidValue {
        name: "timeout".to_owned(),
        value: value.clone(),
        reason: e.to_string(),
    })?;
    Ok(u64::try_from(nanos)
        .ok()
        .filter(|n| *n > 0)
        .map(Duration::from_nanos))
}

fn command_specs(command: &AgentCommand) -> Vec<FlagSpec> {
    let extra: &[FlagSpec] = match command.kind {
        Kind::Api => &[TIMEOUT_FLAG],
        _ => &[],
    };
    let socket: &[FlagSpec] = match command.kind {
        Kind::Api | Kind::Watch => &API_SOCKET_FLAGS,
        Kind::Health => &HEALTH_SOCKET_FLAGS,
        Kind::Binary => &[],
    };
    command
        .flags
        .iter()
        .chain(extra)
        .chain(socket)
        .cloned()
        .collect()
}

fn wants_help(rest: &[String]) -> bool {
    rest.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "-help" || a == "--help")
}

/// Go's flag failure output: the message and usage from the flag set, then
/// (for adapter commands) the message again from the command.
fn flag_failure(
    command: &AgentCommand,
    specs: &[FlagSpec],
    err: &FlagError,
    console: &mut Console,
) -> u8 {
    console.err.push_str(&format!("{err}\n"));
    console.err.push_str(&usage_text(command.flag_set, specs));
    if command.kind != Kind::Health {
        console.err.push_str(&format!("{err}\n"));
    }
    1
}

/// The longest command whose words start `args` (mitchellh/cli's lookup).
fn find_command(args: &[String]) -> Option<(&'static AgentCommand, &[String])> {
    COMMANDS
        .iter()
        .filter_map(|command| {
            let words: Vec<&str> = command.words.split(' ').collect();
            let matches = args.len() >= words.len() && words.iter().zip(args).all(|(w, a)| w == a);
            matches.then(|| (command, &args[words.len()..]))
        })
        .max_by_key(|(command, _)| command.words.len())
}

/// No command matched: a group's subcommands (exit 1) or the top help (127).
fn no_command(args: &[String], console: &mut Console) -> u8 {
    let words: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    for len in (1..=words.len()).rev() {
        let prefix = format!("{} ", words[..len].join(" "));
        if COMMANDS.iter().any(|c| c.words.starts_with(&prefix)) {
            console.err.push_str(&group_help(&prefix));
            return 1;
        }
    }
    console.err.push_str(&agent_top_help());
    console.err.push('\n');
    let asked = args.first().is_some_and(|a| a == "-h" || a == "--help");
    if asked { 0 } else { 127 }
}

/// mitchellh/cli's `BasicHelpFunc` for `spire-agent`.
pub fn agent_top_help() -> String {
    let mut names: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.words.split(' ').next().unwrap_or(c.words))
        .chain(["debug", "logger"])
        .collect();
    names.sort_unstable();
    names.dedup();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut out =
        "Usage: spire-agent [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n"
            .to_owned();
    for name in names {
        let synopsis = COMMANDS
            .iter()
            .find(|c| c.words == name)
            .map_or("", |c| c.synopsis);
        out.push_str(&format!("    {name:<width$}    {synopsis}\n"));
    }
    out
}

/// The help of a command group such as `api ` (prefix with trailing space).
fn group_help(prefix: &str) -> String {
    let subs: Vec<&AgentCommand> = COMMANDS
        .iter()
        .filter(|c| c.words.starts_with(prefix))
        .collect();
    let longest = subs.iter().map(|c| c.words.len()).max().unwrap_or(0);
    let mut out = "This command is accessed by using one of the subcommands below.\n\nSubcommands:"
        .to_owned();
    for c in subs {
        let name = &c.words[prefix.len()..];
        let pad = longest - c.words.len();
        out.push_str(&format!(
            "\n    {name}{}    {}",
            " ".repeat(pad),
            c.synopsis
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "dispatch_tests.rs"]
mod dispatch_tests;

#[cfg(test)]
#[path = "e2e_tests.rs"]
mod e2e_tests;
