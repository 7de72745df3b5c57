use super::*;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn run(list: &[&str]) -> (u8, Console) {
    let mut console = Console::default();
    let code = run_to_console(&args(list), &mut console).await;
    (code, console)
}

#[tokio::test]
async fn unknown_command_prints_usage_and_exits_127_like_mitchellh_cli() {
    let (code, c) = run(&["bogus"]).await;
    assert_eq!(code, 127);
    assert!(c.err.starts_with(
        "Usage: spire-server [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n"
    ));
    assert!(
        c.err
            .contains("\n    healthcheck          Determines server health status\n"),
        "{}",
        c.err
    );
    assert!(c.out.is_empty());
}

#[tokio::test]
async fn command_group_alone_lists_its_subcommands() {
    let (code, c) = run(&["bundle"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        c.err,
        "This command is accessed by using one of the subcommands below.\n\nSubcommands:\n    \
         count     Count bundles\n    delete    Deletes federated bundle data\n    \
         list      Lists federated bundle data\n    set       Creates or updates federated bundle data\n    \
         show      Prints server CA bundle to stdout\n"
    );
}

#[tokio::test]
async fn unknown_flag_prints_gos_error_then_usage() {
    let (code, c) = run(&["token", "generate", "-x"]).await;
    assert_eq!(code, 1);
    assert!(
        c.err
            .starts_with("flag provided but not defined: -x\nUsage of token generate:\n"),
        "{}",
        c.err
    );
    assert!(
        c.err
            .contains("  -ttl int\n    \tToken TTL in seconds (default 600)\n")
    );
    assert!(c.err.contains("  -socketPath string\n"));
}

#[tokio::test]
async fn validation_errors_are_prefixed_with_error() {
    let (code, c) = run(&[
        "entry",
        "create",
        "-spiffeID",
        "spiffe://example.org/a",
        "-socketPath",
        "/nonexistent.sock",
    ])
    .await;
    assert_eq!(code, 1);
    assert_eq!(c.err, "Error: at least one selector is required\n");
    let (code, c) = run(&["agent", "show", "-socketPath", "/nonexistent.sock"]).await;
    assert_eq!(code, 1);
    assert_eq!(c.err, "Error: a SPIFFE ID is required\n");
}

#[tokio::test]
async fn bad_output_format_is_a_flag_error() {
    let (code, c) = run(&[
        "bundle",
        "count",
        "-output",
        "yaml",
        "-socketPath",
        "/nonexistent.sock",
    ])
    .await;
    assert_eq!(code, 1);
    assert!(
        c.err.starts_with("invalid value \"yaml\" for flag -output: bad formatter flag: unknown format option: \"yaml\"\n"),
        "{}",
        c.err
    );
}

#[tokio::test]
async fn unreachable_socket_reports_an_rpc_error() {
    let (code, c) = run(&[
        "bundle",
        "count",
        "-socketPath",
        "/nonexistent/dir/api.sock",
    ])
    .await;
    assert_eq!(code, 1);
    assert!(
        c.err
            .starts_with("Error: rpc error: code = Unavailable desc = "),
        "{}",
        c.err
    );
}

#[tokio::test]
async fn healthcheck_against_missing_socket_is_unhealthy() {
    let (code, c) = run(&["healthcheck", "-socketPath", "/nonexistent/dir/api.sock"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        c.err,
        "Error: server is unhealthy: unable to determine health\n"
    );
}

#[tokio::test]
async fn help_flag_prints_usage_and_exits_zero() {
    let (code, c) = run(&["x509", "mint", "-h"]).await;
    assert_eq!(code, 0);
    assert!(c.err.starts_with("Usage of x509 mint:\n"));
    assert!(c.err.ends_with("flag: help requested\n"));
}
