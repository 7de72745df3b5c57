//! Flags of `spire-server run` and `spire-server validate` (SPIRE's names).

use std::path::PathBuf;

use crate::error::CliError;
use crate::flags::{FlagSpec, parse_flags};

/// Where `run` looks for its config when `-config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "conf/server/server.conf";

/// The command-line overrides of `run` / `validate`; `None` = not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFlags {
    pub config: PathBuf,
    pub expand_env: bool,
    pub bind_address: Option<String>,
    pub server_port: Option<u16>,
    pub socket_path: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub trust_domain: Option<String>,
    pub log_file: Option<PathBuf>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub log_source_location: bool,
}

/// The flag table of `run`, also used for its usage text.
pub const RUN_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "bindAddress",
        "",
        "IP address or DNS name of the SPIRE server",
    ),
    FlagSpec::int("serverPort", 0, "Port number of the SPIRE server"),
    FlagSpec::string("config", "", "Path to a SPIRE config file"),
    FlagSpec::string("dataDir", "", "Directory to store runtime data to"),
    FlagSpec::string("logFile", "", "File to write logs to"),
    FlagSpec::string("logFormat", "", "'text' or 'json'"),
    FlagSpec::bool(
        "logSourceLocation",
        "Include source file, line number and function name in log lines",
    ),
    FlagSpec::string("logLevel", "", "'debug', 'info', 'warn', or 'error'"),
    FlagSpec::string(
        "trustDomain",
        "",
        "The trust domain that this server belongs to",
    ),
    FlagSpec::bool(
        "expandEnv",
        "Expand environment variables in SPIRE config file",
    ),
    FlagSpec::string(
        "socketPath",
        "",
        "Path to bind the SPIRE Server API socket to",
    ),
];

/// Parses the arguments after `run` or `validate`.
pub fn parse_run_flags(args: &[String]) -> Result<RunFlags, CliError> {
    let p = parse_flags(RUN_FLAGS, args)?;
    let non_empty = |name: &str| Some(p.string(name)).filter(|v| !v.is_empty());
    let server_port = match p.int("serverPort") {
        0 => None,
        port => Some(u16::try_from(port).map_err(|_| {
            CliError::invalid(format!(
                "invalid value \"{port}\" for flag -serverPort: port out of range"
            ))
        })?),
    };
    Ok(RunFlags {
        config: non_empty("config")
            .map_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH), PathBuf::from),
        expand_env: p.bool("expandEnv"),
        bind_address: non_empty("bindAddress"),
        server_port,
        socket_path: non_empty("socketPath").map(PathBuf::from),
        data_dir: non_empty("dataDir").map(PathBuf::from),
        trust_domain: non_empty("trustDomain"),
        log_file: non_empty("logFile").map(PathBuf::from),
        log_format: non_empty("logFormat"),
        log_level: non_empty("logLevel"),
        log_source_location: p.bool("logSourceLocation"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn defaults_to_conf_server_server_conf() {
        let flags = parse_run_flags(&[]).expect("no flags is valid");
        assert_eq!(flags.config, PathBuf::from("conf/server/server.conf"));
        assert!(!flags.expand_env);
        assert_eq!(flags.server_port, None);
        assert_eq!(flags.log_level, None);
    }

    #[test]
    fn reads_every_override() {
        let flags = parse_run_flags(&args(&[
            "-config",
            "/etc/s.conf",
            "-expandEnv",
            "-bindAddress",
            "127.0.0.1",
            "-serverPort=9081",
            "-socketPath",
            "/tmp/a.sock",
            "-dataDir",
            "/d",
            "-trustDomain",
            "example.org",
            "-logFile",
            "/l",
            "-logFormat",
            "json",
            "-logLevel",
            "DEBUG",
        ]))
        .expect("valid flags");
        assert_eq!(flags.config, PathBuf::from("/etc/s.conf"));
        assert!(flags.expand_env);
        assert_eq!(flags.bind_address.as_deref(), Some("127.0.0.1"));
        assert_eq!(flags.server_port, Some(9081));
        assert_eq!(flags.socket_path, Some(PathBuf::from("/tmp/a.sock")));
        assert_eq!(flags.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(flags.trust_domain.as_deref(), Some("example.org"));
        assert_eq!(flags.log_file, Some(PathBuf::from("/l")));
        assert_eq!(flags.log_format.as_deref(), Some("json"));
        assert_eq!(flags.log_level.as_deref(), Some("DEBUG"));
    }

    #[test]
    fn rejects_unknown_flags_and_out_of_range_ports() {
        let err = parse_run_flags(&args(&["-bogus"])).expect_err("unknown flag");
        assert_eq!(err.to_string(), "flag provided but not defined: -bogus");
        let err = parse_run_flags(&args(&["-serverPort", "70000"])).expect_err("port too big");
        assert_eq!(
            err.to_string(),
            "invalid value \"70000\" for flag -serverPort: port out of range"
        );
    }
}
