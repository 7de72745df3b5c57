//! `run_admin`: finds the subcommand the way mitchellh/cli does, parses its
//! flags, runs it against the admin socket and prints like SPIRE.

use std::io::Write as _;
use std::process::ExitCode;

use crate::client::{AdminClient, resolve_socket_path};
use crate::commands::{self, CommandSpec, Console, SOCKET_FLAGS};
use crate::error::CliError;
use crate::flags::{FlagError, FlagSpec, ParsedFlags, parse_flags, usage_text};

/// Runs one admin command; `args` are everything after the binary name.
pub async fn run_admin(args: Vec<String>) -> ExitCode {
    let mut console = Console::default();
    let code = run_to_console(&args, &mut console).await;
    let _ = std::io::stdout().write_all(console.out.as_bytes());
    let _ = std::io::stderr().write_all(console.err.as_bytes());
    ExitCode::from(code)
}

/// Every command `spire-server` lists (including those this crate leaves to
/// the binary: `run`, `validate`, and ones not yet implemented).
pub const COMMANDS: &[CommandSpec] = &[
    cmd(
        "agent ban",
        "Ban an attested agent given its SPIFFE ID",
        commands::agent::ID_FLAGS,
    ),
    cmd(
        "agent count",
        "Count attested agents",
        commands::agent::LIST_FLAGS,
    ),
    cmd(
        "agent evict",
        "Evicts an attested agent given its SPIFFE ID",
        commands::agent::ID_FLAGS,
    ),
    cmd(
        "agent list",
        "Lists attested agents and their SPIFFE IDs",
        commands::agent::LIST_FLAGS,
    ),
    cmd(
        "agent show",
        "Shows the details of an attested agent given its SPIFFE ID",
        commands::agent::ID_FLAGS,
    ),
    cmd(
        "bundle count",
        "Count bundles",
        commands::bundle::COUNT_FLAGS,
    ),
    cmd(
        "bundle delete",
        "Deletes federated bundle data",
        commands::bundle::DELETE_FLAGS,
    ),
    cmd(
        "bundle list",
        "Lists federated bundle data",
        commands::bundle::LIST_FLAGS,
    ),
    cmd(
        "bundle set",
        "Creates or updates federated bundle data",
        commands::bundle::SET_FLAGS,
    ),
    cmd(
        "bundle show",
        "Prints server CA bundle to stdout",
        commands::bundle::SHOW_FLAGS,
    ),
    cmd(
        "entry count",
        "Count registration entries",
        commands::entry::COUNT_FLAGS,
    ),
    cmd(
        "entry create",
        "Creates registration entries",
        commands::entry::CREATE_FLAGS,
    ),
    cmd(
        "entry delete",
        "Deletes registration entries",
        commands::entry::DELETE_FLAGS,
    ),
    cmd(
        "entry show",
        "Displays configured registration entries",
        commands::entry::SHOW_FLAGS,
    ),
    cmd(
        "entry update",
        "Updates registration entries",
        commands::entry::UPDATE_FLAGS,
    ),
    cmd(
        "healthcheck",
        "Determines server health status",
        commands::health::FLAGS,
    ),
    cmd("jwt mint", "Mints a JWT-SVID", commands::mint::JWT_FLAGS),
    cmd("run", "Runs the server", crate::run_flags::RUN_FLAGS),
    cmd(
        "token generate",
        "Generates a join token",
        commands::token::GENERATE_FLAGS,
    ),
    cmd(
        "validate",
        "Validates a SPIRE server configuration file",
        crate::run_flags::RUN_FLAGS,
    ),
    cmd(
        "x509 mint",
        "Mints an X509-SVID",
        commands::mint::X509_FLAGS,
    ),
];

const fn cmd(
    name: &'static str,
    synopsis: &'static str,
    flags: &'static [FlagSpec],
) -> CommandSpec {
    CommandSpec {
        name,
        synopsis,
        flags,
    }
}

/// The whole command line → exit code, writing into `console` (testable).
pub async fn run_to_console(args: &[String], console: &mut Console) -> u8 {
    let wants_help = args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "-help" || a == "--help");
    let Some((spec, rest)) = find_command(args) else {
        let parent = args
            .first()
            .filter(|a| !a.starts_with('-'))
            .map(String::as_str);
        return match parent.filter(|p| {
            COMMANDS
                .iter()
                .any(|c| c.name.starts_with(&format!("{p} ")))
        }) {
            // A command group alone ("entry"): mitchellh/cli shows its subcommands, exit 1.
            Some(group) => {
                console.err.push_str(&group_help(group));
                1
            }
            None => {
                console.err.push_str(&top_help());
                console.err.push('\n');
                if wants_help && parent.is_none() {
                    0
                } else {
                    127
                }
            }
        };
    };
    let specs: Vec<FlagSpec> = spec
        .flags
        .iter()
        .chain(if is_admin(spec) { SOCKET_FLAGS } else { &[] })
        .cloned()
        .collect();
    if wants_help {
        console.err.push_str(&usage_text(spec.name, &specs));
        console.err.push_str("flag: help requested\n");
        return 0;
    }
    let flags = match parse_flags(&specs, rest) {
        Ok(flags) => flags,
        Err(err) => return flag_failure(console, spec, &specs, &err),
    };
    match run_command(spec, &flags, console).await {
        Ok(()) => 0,
        Err(CliError::Flag(err)) => flag_failure(console, spec, &specs, &err),
        Err(err) => {
            console.err.push_str(&format!("Error: {err}\n"));
            1
        }
    }
}

async fn run_command(spec: &CommandSpec, f: &ParsedFlags, c: &mut Console) -> Result<(), CliError> {
    let socket = resolve_socket_path(&f.string("socketPath"), &f.string("instance"), |k| {
        std::env::var(k).ok()
    })?;
    let client = AdminClient::new(&socket)?;
    use commands::*;
    match spec.name {
        "agent ban" => agent::ban(f, &client, c).await,
        "agent count" => agent::count(f, &client, c).await,
        "agent evict" => agent::evict(f, &client, c).await,
        "agent list" => agent::list(f, &client, c).await,
        "agent show" => agent::show(f, &client, c).await,
        "bundle count" => bundle::count(f, &client, c).await,
        "bundle delete" => bundle::delete(f, &client, c).await,
        "bundle list" => bundle::list(f, &client, c).await,
        "bundle set" => bundle::set(f, &client, c).await,
        "bundle show" => bundle::show(f, &client, c).await,
        "entry count" => entry::count(f, &client, c).await,
        "entry create" => entry::create(f, &client, c).await,
        "entry delete" => entry::delete(f, &client, c).await,
        "entry show" => entry::show(f, &client, c).await,
        "entry update" => entry::update(f, &client, c).await,
        "healthcheck" => health::healthcheck(f, &client, c).await,
        "jwt mint" => mint::jwt(f, &client, c).await,
        "token generate" => token::generate(f, &client, c).await,
        "x509 mint" => mint::x509(f, &client, c).await,
        other => Err(CliError::invalid(format!(
            "{other} is run by the spire-server binary, not the admin CLI"
        ))),
    }
}

fn is_admin(spec: &CommandSpec) -> bool {
    !matches!(spec.name, "run" | "validate")
}

/// The longest command whose words start `args` (mitchellh/cli's radix lookup).
fn find_command(args: &[String]) -> Option<(&'static CommandSpec, &[String])> {
    COMMANDS
        .iter()
        .filter_map(|spec| {
            let words: Vec<&str> = spec.name.split(' ').collect();
            let matches = args.len() >= words.len() && words.iter().zip(args).all(|(w, a)| w == a);
            matches.then(|| (spec, &args[words.len()..]))
        })
        .max_by_key(|(spec, _)| spec.name.len())
}

/// Go's flag error output: the message, then the usage.
fn flag_failure(
    console: &mut Console,
    spec: &CommandSpec,
    specs: &[FlagSpec],
    err: &FlagError,
) -> u8 {
    if *err != FlagError::HelpRequested {
        console.err.push_str(&format!("{err}\n"));
    }
    console.err.push_str(&usage_text(spec.name, specs));
    if *err == FlagError::HelpRequested {
        0
    } else {
        1
    }
}

/// mitchellh/cli's `BasicHelpFunc` for the top-level commands.
pub fn top_help() -> String {
    let mut names: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name.split(' ').next().unwrap_or(c.name))
        .collect();
    names.extend([
        "debug",
        "federation",
        "localauthority",
        "logger",
        "upstreamauthority",
    ]);
    names.sort_unstable();
    names.dedup();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut out =
        "Usage: spire-server [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n"
            .to_owned();
    for name in names {
        let synopsis = COMMANDS
            .iter()
            .find(|c| c.name == name)
            .map_or("", |c| c.synopsis);
        out.push_str(&format!("    {name:<width$}    {synopsis}\n"));
    }
    out
}

/// The help of a command group such as `entry` (mitchellh/cli's default template).
pub fn group_help(group: &str) -> String {
    let prefix = format!("{group} ");
    let subs: Vec<&CommandSpec> = COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(&prefix))
        .collect();
    let longest = subs.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = "This command is accessed by using one of the subcommands below.\n\nSubcommands:"
        .to_owned();
    for c in subs {
        let name = &c.name[prefix.len()..];
        let pad = longest - c.name.len();
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
mod tests;
