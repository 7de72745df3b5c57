//! Argument parsing in SPIRE's style: single-dash flags (`-config`, `-socketPath`), `--` before
//! the task's own arguments.

use std::path::PathBuf;

use anyhow::bail;

pub const DEFAULT_CONFIG: &str = "/etc/spire-edge/plugins.yaml";

pub const USAGE: &str = "\
Usage: spire-edge <command> [flags]

Commands:
  run    -config <plugins.yaml>    start the plugins and supervise them
  status -config <plugins.yaml>    show each plugin's health checks (exit 1 if unhealthy)
  exec   [-config <plugins.yaml>] [-socketPath <path>] -- CMD [ARGS...]
         run CMD with SPIFFE_ENDPOINT_SOCKET set to the agent's Workload API

-config defaults to /etc/spire-edge/plugins.yaml.
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run {
        config: PathBuf,
    },
    Status {
        config: PathBuf,
    },
    Exec {
        config: PathBuf,
        socket_path: Option<PathBuf>,
        argv: Vec<String>,
    },
    Help,
}

pub fn parse(args: &[String]) -> anyhow::Result<Command> {
    let Some((cmd, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    let (flags, argv) = match rest.iter().position(|a| a == "--") {
        Some(i) => (&rest[..i], rest[i + 1..].to_vec()),
        None => (rest, Vec::new()),
    };
    let mut config = PathBuf::from(DEFAULT_CONFIG);
    let mut socket_path = None;
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let name = flag.trim_start_matches('-');
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (name, None),
        };
        if name == "h" || name == "help" {
            return Ok(Command::Help);
        }
        let value = match inline {
            Some(v) => v,
            None => match it.next() {
                Some(v) => v.clone(),
                None => bail!("flag -{name} needs a value"),
            },
        };
        match (name, cmd.as_str()) {
            ("config", _) => config = PathBuf::from(value),
            ("socketPath", "exec") => socket_path = Some(PathBuf::from(value)),
            _ => bail!("{cmd}: unknown flag {flag}\n\n{USAGE}"),
        }
    }
    match cmd.as_str() {
        "run" | "status" if !argv.is_empty() => bail!("{cmd} takes no arguments after --"),
        "run" => Ok(Command::Run { config }),
        "status" => Ok(Command::Status { config }),
        "exec" => Ok(Command::Exec {
            config,
            socket_path,
            argv,
        }),
        "help" | "-h" | "--help" => Ok(Command::Help),
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_single_dash_flags_and_the_task_after_double_dash() {
        assert_eq!(
            parse(&args("exec -socketPath /s.sock -- env -0")).expect("ok"),
            Command::Exec {
                config: PathBuf::from(DEFAULT_CONFIG),
                socket_path: Some(PathBuf::from("/s.sock")),
                argv: args("env -0"),
            }
        );
        assert_eq!(
            parse(&args("run -config /p.yaml")).expect("ok"),
            Command::Run {
                config: PathBuf::from("/p.yaml")
            }
        );
    }

    #[test]
    fn unknown_flags_and_commands_are_refused() {
        let err = parse(&args("run -socketPath /x")).expect_err("not a run flag");
        assert!(
            err.to_string().starts_with("run: unknown flag -socketPath"),
            "{err}"
        );
        assert!(parse(&args("start")).is_err());
        assert!(parse(&args("status -config")).is_err());
    }
}
