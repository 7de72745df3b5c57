//! The admin subcommands: their flag tables and what each one does.

pub mod agent;
pub mod bundle;
pub mod entry;
mod entry_flags;
mod entry_input;
pub mod health;
pub mod mint;
pub mod token;

use crate::error::CliError;
use crate::flags::{FlagError, FlagSpec, ParsedFlags};
use crate::json::proto_json;

/// One `spire-server` subcommand as mitchellh/cli lists it.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub synopsis: &'static str,
    pub flags: &'static [FlagSpec],
}

/// Flags every admin command has (SPIRE's `addOSFlags`).
pub const SOCKET_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "socketPath",
        crate::client::DEFAULT_SOCKET_PATH,
        "Path to the SPIRE Server API socket",
    ),
    FlagSpec::string(
        "instance",
        "",
        "Instance name to substitute into socket templates (env SPIRE_SERVER_PRIVATE_SOCKET_TEMPLATE).",
    ),
];

/// The `-output` flag of commands that print API results.
pub const OUTPUT_FLAG: FlagSpec = FlagSpec::string(
    "output",
    "",
    "Desired output format (pretty, json); default: pretty.",
);

/// What a command writes; flushed to the process's stdout/stderr at the end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Console {
    pub out: String,
    pub err: String,
}

/// `-output pretty` (default) or `-output json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Pretty,
    Json,
}

/// Reads `-output` with cliprinter's accepted values.
pub fn output_format(flags: &ParsedFlags) -> Result<OutputFormat, CliError> {
    let value = flags.string("output");
    match value.to_lowercase().as_str() {
        "" | "pretty" | "prettyprint" => Ok(OutputFormat::Pretty),
        "json" => Ok(OutputFormat::Json),
        _ => Err(FlagError::InvalidValue {
            name: "output".to_owned(),
            reason: format!("bad formatter flag: unknown format option: {value:?}"),
            value,
        }
        .into()),
    }
}

/// Prints `message` as JSON, or `pretty` text, per `format`.
pub fn emit<T: serde::Serialize>(
    console: &mut Console,
    format: OutputFormat,
    message: &T,
    pretty: impl FnOnce(&mut Console) -> Result<(), CliError>,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => {
            let text = proto_json(message).map_err(|e| CliError::invalid(e.to_string()))?;
            console.out.push_str(&text);
            Ok(())
        }
        OutputFormat::Pretty => pretty(console),
    }
}
