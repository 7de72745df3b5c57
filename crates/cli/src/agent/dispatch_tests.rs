//! Command lookup, flag errors and help, none of which touch a socket.

use super::*;

async fn run(args: &[&str]) -> (u8, Console) {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let mut console = Console::default();
    let code = run_agent_to_console(&args, &mut console).await;
    (code, console)
}

#[tokio::test]
async fn unknown_flag_prints_error_usage_and_error_again_like_spire_adapter() {
    let (code, console) = run(&["api", "fetch", "x509", "-bogus"]).await;
    assert_eq!(code, 1);
    assert_eq!(console.out, "");
    assert!(console.err.starts_with(
        "flag provided but not defined: -bogus\nUsage of fetch x509:\n  -instance string\n"
    ));
    assert!(console.err.contains(
        "  -socketPath string\n    \tPath to the SPIRE Agent API Unix domain socket (default \"/tmp/spire-agent/public/api.sock\")\n"
    ));
    assert!(
        console
            .err
            .contains("  -timeout value\n    \tTime to wait for a response (default 5s)\n")
    );
    assert!(
        console
            .err
            .ends_with("\nflag provided but not defined: -bogus\n")
    );
}

#[tokio::test]
async fn healthcheck_flag_error_is_printed_once() {
    let (code, console) = run(&["healthcheck", "-bogus"]).await;
    assert_eq!(code, 1);
    assert!(
        console
            .err
            .starts_with("flag provided but not defined: -bogus\nUsage of health:\n")
    );
    assert_eq!(console.err.matches("not defined").count(), 1);
}

#[tokio::test]
async fn bad_timeout_is_a_flag_error() {
    let (code, console) = run(&["api", "fetch", "-timeout", "soon"]).await;
    assert_eq!(code, 1);
    assert!(console.err.starts_with(
        "invalid value \"soon\" for flag -timeout: time: invalid duration \"soon\"\n"
    ));
}

#[tokio::test]
async fn jwt_commands_require_audience_and_svid_before_dialling() {
    let (code, console) = run(&["api", "fetch", "jwt", "-socketPath", "/nonexistent.sock"]).await;
    assert_eq!(
        (code, console.err.as_str()),
        (1, "audience must be specified\n")
    );
    let (code, console) =
        run(&["api", "validate", "jwt", "-socketPath", "/nonexistent.sock"]).await;
    assert_eq!(
        (code, console.err.as_str()),
        (1, "audience must be specified\n")
    );
    let (code, console) = run(&["api", "validate", "jwt", "-audience", "a"]).await;
    assert_eq!(
        (code, console.err.as_str()),
        (1, "svid must be specified\n")
    );
}

#[tokio::test]
async fn help_flag_prints_usage_and_exits_0() {
    let (code, console) = run(&["api", "watch", "-h"]).await;
    assert_eq!(code, 0);
    assert!(
        console
            .err
            .starts_with("Usage of watch:\n  -instance string\n")
    );
}

#[tokio::test]
async fn group_alone_lists_its_subcommands() {
    let (code, console) = run(&["api"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        console.err,
        "This command is accessed by using one of the subcommands below.\n\n\
         Subcommands:\n\
         \x20   fetch           Fetches X509 SVIDs from the Workload API\n\
         \x20   fetch jwt       Fetches a JWT SVID from the Workload API\n\
         \x20   fetch x509      Fetches X509 SVIDs from the Workload API\n\
         \x20   validate jwt    Validates a JWT SVID\n\
         \x20   watch           Attaches to the Workload API and prints updates as they're received\n"
    );
}

#[tokio::test]
async fn unknown_command_prints_top_help_and_exits_127() {
    let (code, console) = run(&["bogus"]).await;
    assert_eq!(code, 127);
    assert!(console.err.starts_with(
        "Usage: spire-agent [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n    api            \n"
    ));
    assert!(
        console
            .err
            .contains("    healthcheck    Determines agent health status\n")
    );
}

#[test]
fn timeout_defaults_to_five_seconds_and_zero_means_none() {
    let specs = command_specs(&COMMANDS[0]);
    let parsed = parse_flags(&specs, &[]).expect("no flags");
    assert_eq!(timeout(&parsed).expect("ok"), Some(Duration::from_secs(5)));
    let parsed = parse_flags(&specs, &["-timeout".to_owned(), "250ms".to_owned()]).expect("ok");
    assert_eq!(
        timeout(&parsed).expect("ok"),
        Some(Duration::from_millis(250))
    );
    let parsed = parse_flags(&specs, &["-timeout=0".to_owned()]).expect("ok");
    assert_eq!(timeout(&parsed).expect("ok"), None);
}
