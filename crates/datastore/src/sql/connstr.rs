//! SPIRE's connection strings turned into sqlx connect options:
//! PostgreSQL as a URL (`postgres://…`) or lib/pq key=value DSN
//! (`dbname=spire user=spire host=db sslmode=disable`), MySQL as a go-sql-driver DSN
//! (`user:pass@tcp(host:port)/dbname?parseTime=true`) or a `mysql://` URL.
//! Errors name the parameter that could not be used; passwords are never echoed.

use std::str::FromStr;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::error::{DataStoreError, Result};

fn bad(kind: &str, why: impl std::fmt::Display) -> DataStoreError {
    DataStoreError::InvalidArgument(format!("{kind} connection_string: {why}"))
}

/// Options for a PostgreSQL connection string in URL or key=value form.
pub fn postgres_options(text: &str) -> Result<PgConnectOptions> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("postgres", "must not be empty"));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return PgConnectOptions::from_str(text)
            .map_err(|e| bad("postgres", format!("unreadable URL: {e}")));
    }
    let mut options = PgConnectOptions::new_without_pgpass();
    for (key, value) in key_value_pairs(text)? {
        options = match key.as_str() {
            "host" if value.starts_with('/') => options.socket(&value),
            "host" | "hostaddr" => options.host(&value),
            "port" => options.port(value.parse().map_err(|_| {
                bad("postgres", format!("port {value:?} is not a number 0-65535"))
            })?),
            "user" => options.username(&value),
            "password" => options.password(&value),
            "dbname" => options.database(&value),
            "sslmode" => options.ssl_mode(PgSslMode::from_str(&value).map_err(|_| {
                bad(
                    "postgres",
                    format!("sslmode {value:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"),
                )
            })?),
            "sslrootcert" => options.ssl_root_cert(&value),
            "sslcert" => options.ssl_client_cert(&value),
            "sslkey" => options.ssl_client_key(&value),
            "application_name" => options.application_name(&value),
            "connect_timeout" | "fallback_application_name" => {
                tracing::debug!(parameter = key.as_str(), "ignoring lib/pq parameter");
                options
            }
            other => {
                return Err(bad("postgres", format!("unsupported parameter {other:?}")));
            }
        };
    }
    Ok(options)
}

/// `key=value key='quoted value'` pairs as lib/pq reads them.
fn key_value_pairs(text: &str) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(bad(
                "postgres",
                format!(
                    "{key:?} is not followed by '=' (expected key=value pairs or a postgres:// URL)"
                ),
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(bad(
                            "postgres",
                            format!("value of {key:?} lacks its closing quote"),
                        ));
                    }
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// Options for a MySQL connection string: go-sql-driver DSN or `mysql://` URL.
pub fn mysql_options(text: &str) -> Result<MySqlConnectOptions> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("mysql", "must not be empty"));
    }
    if text.starts_with("mysql://") || text.starts_with("mariadb://") {
        return MySqlConnectOptions::from_str(text)
            .map_err(|e| bad("mysql", format!("unreadable URL: {e}")));
    }
    let (head, params) = text.split_once('?').unwrap_or((text, ""));
    let slash = head.rfind('/').ok_or_else(|| {
        bad(
            "mysql",
            "no '/dbname' (expected user:password@tcp(host:port)/dbname)",
        )
    })?;
    let (before, dbname) = (&head[..slash], &head[slash + 1..]);
    let (credentials, address) = match before.rfind('@') {
        Some(at) => (&before[..at], &before[at + 1..]),
        None => ("", before),
    };
    let mut options = MySqlConnectOptions::new();
    if !credentials.is_empty() {
        let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
        options = options.username(user);
        if !password.is_empty() {
            options = options.password(password);
        }
    }
    options = match address.split_once('(') {
        None if address.is_empty() || address == "tcp" => options.host("127.0.0.1").port(3306),
        None => {
            return Err(bad(
                "mysql",
                format!("address {address:?} is not tcp(host:port) or unix(/path)"),
            ));
        }
        Some((net, rest)) => {
            let addr = rest.strip_suffix(')').ok_or_else(|| {
                bad(
                    "mysql",
                    format!("address {address:?} lacks its closing ')'"),
                )
            })?;
            match net {
                "tcp" => {
                    let (host, port) = split_host_port(addr)?;
                    options.host(host).port(port)
                }
                "unix" => options.socket(addr),
                other => {
                    return Err(bad(
                        "mysql",
                        format!("network {other:?} is not tcp or unix"),
                    ));
                }
            }
        }
    };
    if !dbname.is_empty() {
        options = options.database(dbname);
    }
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        options = match key {
            "charset" => options.charset(value.split(',').next().unwrap_or(value)),
            "collation" => options.collation(value),
            "tls" if value == "false" => options.ssl_mode(sqlx::mysql::MySqlSslMode::Disabled),
            "tls" => {
                return Err(bad(
                    "mysql",
                    format!("tls={value:?} is not supported by this build (only tls=false)"),
                ));
            }
            "parseTime"
            | "loc"
            | "timeout"
            | "readTimeout"
            | "writeTimeout"
            | "allowNativePasswords"
            | "multiStatements"
            | "interpolateParams"
            | "autocommit"
            | "maxAllowedPacket"
            | "clientFoundRows"
            | "columnsWithAlias"
            | "rejectReadOnly" => {
                tracing::debug!(parameter = key, "ignoring go-sql-driver parameter");
                options
            }
            other => {
                return Err(bad("mysql", format!("unsupported parameter {other:?}")));
            }
        };
    }
    Ok(options)
}

fn split_host_port(addr: &str) -> Result<(&str, u16)> {
    let (host, port) = match addr.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':').unwrap_or(tail)),
            None => {
                return Err(bad(
                    "mysql",
                    format!("address {addr:?} lacks its closing ']'"),
                ));
            }
        },
        None => addr.rsplit_once(':').unwrap_or((addr, "")),
    };
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    let port = if port.is_empty() {
        3306
    } else {
        port.parse()
            .map_err(|_| bad("mysql", format!("port {port:?} is not a number 0-65535")))?
    };
    Ok((host, port))
}

/// A Go `time.ParseDuration` string (`"1h30m"`, `"90s"`, `"250ms"`) as a duration.
pub fn go_duration(text: &str, field: &str) -> Result<std::time::Duration> {
    let invalid = || {
        DataStoreError::InvalidArgument(format!(
            "{field} {text:?} is not a Go duration like \"30s\", \"5m\" or \"1h30m\""
        ))
    };
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let mut rest = trimmed;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        if digits == 0 {
            return Err(invalid());
        }
        let number: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    std::time::Duration::try_from_secs_f64(total).map_err(|_| invalid())
}

#[cfg(test)]
#[path = "connstr_tests.rs"]
mod tests;
