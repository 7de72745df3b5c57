//! A sans-IO parser for Go's `flag` package syntax, which SPIRE's CLI uses.
//!
//! Go flags are single- or double-dash long names (`-spiffeID`, `--spiffeID`),
//! values given as `-flag value` or `-flag=value`, booleans as `-flag` or
//! `-flag=false` (never `-flag false`), and parsing stops at the first
//! non-flag argument or after `--`. clap cannot express single-dash long
//! flags, hence this module. Error messages match Go's word for word because
//! scripts and tests grep them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::duration::parse_go_duration;

/// What a flag accepts, and its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagKind {
    /// `-flag` / `-flag=true|false`; default false.
    Bool,
    /// A string with a default.
    String(&'static str),
    /// A decimal integer with a default.
    Int(i64),
    /// A Go duration (`90s`, `1h30m`), stored as seconds rounded up; default 0.
    Duration,
    /// A flag that may be given several times (Go's `flag.Var` string list).
    Repeated,
}

/// One flag a command accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSpec {
    pub name: &'static str,
    pub kind: FlagKind,
    pub usage: &'static str,
}

impl FlagSpec {
    pub const fn bool(name: &'static str, usage: &'static str) -> Self {
        Self {
            name,
            kind: FlagKind::Bool,
            usage,
        }
    }
    pub const fn string(name: &'static str, default: &'static str, usage: &'static str) -> Self {
        Self {
            name,
            kind: FlagKind::String(default),
            usage,
        }
    }
    pub const fn int(name: &'static str, default: i64, usage: &'static str) -> Self {
        Self {
            name,
            kind: FlagKind::Int(default),
            usage,
        }
    }
    pub const fn duration(name: &'static str, usage: &'static str) -> Self {
        Self {
            name,
            kind: FlagKind::Duration,
            usage,
        }
    }
    pub const fn repeated(name: &'static str, usage: &'static str) -> Self {
        Self {
            name,
            kind: FlagKind::Repeated,
            usage,
        }
    }
}

/// Why a command line could not be parsed; `Display` is Go's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    #[error("flag provided but not defined: -{0}")]
    NotDefined(String),
    #[error("flag needs an argument: -{0}")]
    NeedsArgument(String),
    #[error("bad flag syntax: {0}")]
    BadSyntax(String),
    #[error("invalid boolean value {value:?} for -{name}: parse error")]
    InvalidBool { name: String, value: String },
    #[error("invalid value {value:?} for flag -{name}: {reason}")]
    InvalidValue {
        name: String,
        value: String,
        reason: String,
    },
    /// `-h` or `-help` was given and no such flag is defined.
    #[error("flag: help requested")]
    HelpRequested,
}

/// The flags a command line set, plus the arguments after the flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFlags {
    values: BTreeMap<&'static str, Vec<String>>,
    specs: Vec<FlagSpec>,
    /// Arguments after the first non-flag (or after `--`).
    pub rest: Vec<String>,
}

/// Parses `args` against `specs` with Go's rules.
pub fn parse_flags(specs: &[FlagSpec], args: &[String]) -> Result<ParsedFlags, FlagError> {
    let mut parsed = ParsedFlags {
        specs: specs.to_vec(),
        ..ParsedFlags::default()
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg.len() < 2 || !arg.starts_with('-') {
            break;
        }
        let mut name = &arg[1..];
        if let Some(stripped) = name.strip_prefix('-') {
            if stripped.is_empty() {
                i += 1; // "--" terminates the flags and is consumed
                break;
            }
            name = stripped;
        }
        if name.is_empty() || name.starts_with('-') || name.starts_with('=') {
            return Err(FlagError::BadSyntax(arg.clone()));
        }
        i += 1;
        let (name, inline_value) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (name, None),
        };
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            if name == "help" || name == "h" {
                return Err(FlagError::HelpRequested);
            }
            return Err(FlagError::NotDefined(name.to_owned()));
        };
        let value = match (&spec.kind, inline_value) {
            (FlagKind::Bool, Some(v)) => {
                parse_go_bool(&v).ok_or_else(|| FlagError::InvalidBool {
                    name: name.to_owned(),
                    value: v.clone(),
                })?;
                v
            }
            (FlagKind::Bool, None) => "true".to_owned(),
            (_, Some(v)) => v,
            (_, None) => {
                let v = args
                    .get(i)
                    .ok_or_else(|| FlagError::NeedsArgument(name.to_owned()))?;
                i += 1;
                v.clone()
            }
        };
        check_value(spec, &value)?;
        let slot = parsed.values.entry(spec.name).or_default();
        if spec.kind != FlagKind::Repeated {
            slot.clear();
        }
        slot.push(value);
    }
    parsed.rest = args[i..].to_vec();
    Ok(parsed)
}

impl ParsedFlags {
    /// Whether the flag appeared on the command line.
    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The last value of a string flag, or its default.
    pub fn string(&self, name: &str) -> String {
        match self.last(name) {
            Some(v) => v.to_owned(),
            None => match self.spec(name).map(|s| &s.kind) {
                Some(FlagKind::String(default)) => (*default).to_owned(),
                _ => String::new(),
            },
        }
    }

    /// A boolean flag's value (false when absent).
    pub fn bool(&self, name: &str) -> bool {
        self.last(name).and_then(parse_go_bool).unwrap_or(false)
    }

    /// An integer flag's value, or its default.
    pub fn int(&self, name: &str) -> i64 {
        let default = match self.spec(name).map(|s| &s.kind) {
            Some(FlagKind::Int(d)) => *d,
            _ => 0,
        };
        self.last(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// A duration flag's value in seconds, rounded up as SPIRE does (0 when absent).
    pub fn duration_secs(&self, name: &str) -> i64 {
        self.last(name)
            .and_then(|v| parse_go_duration(v).ok())
            .map(nanos_to_secs_ceil)
            .unwrap_or(0)
    }

    /// Every value of a repeatable flag, in order.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }

    fn last(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    fn spec(&self, name: &str) -> Option<&FlagSpec> {
        self.specs.iter().find(|s| s.name == name)
    }
}

/// Go's `flag.PrintDefaults` layout, headed by `Usage of <command>:`.
pub fn usage_text(command: &str, specs: &[FlagSpec]) -> String {
    let mut sorted: Vec<&FlagSpec> = specs.iter().collect();
    sorted.sort_by_key(|s| s.name);
    let mut out = format!("Usage of {command}:\n");
    for spec in sorted {
        let mut line = format!("  -{}", spec.name);
        let type_name = match spec.kind {
            FlagKind::Bool => "",
            FlagKind::String(_) => "string",
            FlagKind::Int(_) => "int",
            FlagKind::Duration => "duration",
            FlagKind::Repeated => "value",
        };
        if !type_name.is_empty() {
            line.push(' ');
            line.push_str(type_name);
        }
        // Go keeps one-letter boolean flags on the same line as their usage.
        if line.len() <= 4 {
            line.push('\t');
        } else {
            line.push_str("\n    \t");
        }
        line.push_str(&spec.usage.replace('\n', "\n    \t"));
        match spec.kind {
            FlagKind::String(d) if !d.is_empty() => {
                let _ = write!(line, " (default {d:?})");
            }
            FlagKind::Int(d) if d != 0 => {
                let _ = write!(line, " (default {d})");
            }
            _ => {}
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `strconv.ParseBool`.
pub fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn check_value(spec: &FlagSpec, value: &str) -> Result<(), FlagError> {
    let invalid = |reason: &str| FlagError::InvalidValue {
        name: spec.name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    match spec.kind {
        FlagKind::Int(_) => match value.parse::<i64>() {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                ) =>
            {
                Err(invalid("value out of range"))
            }
            Err(_) => Err(invalid("parse error")),
        },
        FlagKind::Duration => parse_go_duration(value)
            .map(|_| ())
            .map_err(|_| invalid("parse error")),
        _ => Ok(()),
    }
}

fn nanos_to_secs_ceil(nanos: i64) -> i64 {
    let secs = nanos / 1_000_000_000;
    if nanos % 1_000_000_000 > 0 {
        secs + 1
    } else {
        secs
    }
}

#[cfg(test)]
#[path = "flags_tests.rs"]
mod tests;
