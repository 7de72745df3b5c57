//! The bounds on what network clients may hold: connections, handshake time, idle time,
//! connection age, HTTP/2 streams and message sizes. See `budget.rs` for why each listener
//! has its own connection budget.
//!
//! The connection caps follow the file descriptor limit: at start the server raises its soft
//! `RLIMIT_NOFILE` to the hard limit (what Go's runtime does for SPIRE since Go 1.19), then
//! gives the admin socket [`ADMIN_CONNECTIONS`] descriptors, keeps [`RESERVED_FDS`] for the
//! datastore, plugins, logs and listeners, and lets the TCP port have the rest.
//!
//! The timeouts can be shortened for tests through `SPIRE_RS_TEST_HANDSHAKE_TIMEOUT`,
//! `SPIRE_RS_TEST_IDLE_TIMEOUT` and `SPIRE_RS_TEST_MAX_CONNECTION_AGE` (Go durations). They
//! are an internal test hook, not a configuration interface: the values that matter to
//! operators are SPIRE's, and SPIRE has no keys for them.

use std::time::Duration;

/// How long a TCP client may take to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection without a byte either way for this long is closed (both sockets).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// After this long a TCP connection gets a GOAWAY: calls in flight finish, new calls go to a
/// new connection (SPIRE's `defaultMaxConnectionAge`, so agents follow DNS changes).
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(3 * 60);
/// Concurrent HTTP/2 streams per connection (gRPC-Go's servers advertise no limit; hyper's
/// default is 200). An agent uses a handful at a time.
pub const MAX_CONCURRENT_STREAMS: u32 = 100;
/// Largest decoded HTTP/2 header list per request.
pub const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;
/// Largest gRPC request message: gRPC's default receive limit, as in SPIRE.
pub const MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;
/// Concurrent connections on the admin socket (the CLI opens one per command).
pub const ADMIN_CONNECTIONS: usize = 32;
/// File descriptors kept for everything but client connections.
pub const RESERVED_FDS: u64 = 64;
/// The TCP cap never goes below this, however low the descriptor limit.
const MIN_TCP_CONNECTIONS: usize = 16;

/// The connection bounds of both listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub tcp_connections: usize,
    pub admin_connections: usize,
    pub handshake_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connection_age: Duration,
}

/// A test override that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{var}={value:?}: {message}")]
pub struct LimitsError {
    pub var: &'static str,
    pub value: String,
    pub message: String,
}

impl ConnectionLimits {
    /// The defaults for a process allowed `nofile` open descriptors.
    pub fn for_fd_limit(nofile: u64) -> Self {
        let admin = ADMIN_CONNECTIONS as u64;
        let tcp = nofile.saturating_sub(RESERVED_FDS + admin);
        Self {
            tcp_connections: usize::try_from(tcp)
                .unwrap_or(usize::MAX)
                .max(MIN_TCP_CONNECTIONS),
            admin_connections: ADMIN_CONNECTIONS,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connection_age: MAX_CONNECTION_AGE,
        }
    }

    /// Applies the test overrides `lookup` finds (the environment, in the server).
    pub fn with_test_overrides(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, LimitsError> {
        let vars: [(&'static str, &mut Duration); 3] = [
            (
                "SPIRE_RS_TEST_HANDSHAKE_TIMEOUT",
                &mut self.handshake_timeout,
            ),
            ("SPIRE_RS_TEST_IDLE_TIMEOUT", &mut self.idle_timeout),
            (
                "SPIRE_RS_TEST_MAX_CONNECTION_AGE",
                &mut self.max_connection_age,
            ),
        ];
        for (var, slot) in vars {
            let Some(value) = lookup(var) else {
                continue;
            };
            let parsed = spire_config::parse_go_duration(&value).map_err(|e| LimitsError {
                var,
                value: value.clone(),
                message: e.to_string(),
            })?;
            if parsed.is_zero() {
                return Err(LimitsError {
                    var,
                    value,
                    message: "must be greater than zero".into(),
                });
            }
            *slot = parsed;
        }
        Ok(self)
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit in force
/// (`u64::MAX` when unlimited). Failure to raise is not fatal: the caps follow what we have.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::debug!(
                from = ?limit.current,
                to = ?limit.maximum,
                "Raised the open file limit"
            ),
            Err(e) => tracing::debug!(error = %e, "Could not raise the open file limit"),
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_gets_what_the_fd_limit_leaves_after_the_admin_socket_and_reserve() {
        let limits = ConnectionLimits::for_fd_limit(256);
        assert_eq!(limits.tcp_connections, 256 - 64 - 32);
        assert_eq!(limits.admin_connections, 32);
        assert_eq!(ConnectionLimits::for_fd_limit(50).tcp_connections, 16);
        assert_eq!(
            ConnectionLimits::for_fd_limit(u64::MAX).tcp_connections,
            usize::try_from(u64::MAX - 96).unwrap_or(usize::MAX)
        );
    }

    #[test]
    fn test_overrides_replace_timeouts() {
        let limits = ConnectionLimits::for_fd_limit(1024)
            .with_test_overrides(|var| match var {
                "SPIRE_RS_TEST_IDLE_TIMEOUT" => Some("2s".into()),
                "SPIRE_RS_TEST_MAX_CONNECTION_AGE" => Some("1m30s".into()),
                _ => None,
            })
            .expect("valid durations");
        assert_eq!(limits.idle_timeout, Duration::from_secs(2));
        assert_eq!(limits.max_connection_age, Duration::from_secs(90));
        assert_eq!(limits.handshake_timeout, HANDSHAKE_TIMEOUT);
    }

    #[test]
    fn bad_test_override_names_the_variable() {
        let err = ConnectionLimits::for_fd_limit(1024)
            .with_test_overrides(|var| {
                (var == "SPIRE_RS_TEST_HANDSHAKE_TIMEOUT").then(|| "0s".into())
            })
            .expect_err("zero is refused");
        assert_eq!(err.var, "SPIRE_RS_TEST_HANDSHAKE_TIMEOUT");
        let err = ConnectionLimits::for_fd_limit(1024)
            .with_test_overrides(|var| (var == "SPIRE_RS_TEST_IDLE_TIMEOUT").then(|| "soon".into()))
            .expect_err("not a duration");
        assert!(
            err.to_string()
                .contains("SPIRE_RS_TEST_IDLE_TIMEOUT=\"soon\""),
            "{err}"
        );
    }
}
