//! The Workload API client of the agent CLI: where the public socket is,
//! a lazily connected channel over it, and the `workload.spiffe.io: true`
//! header and deadline SPIRE puts on every call.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spire_proto::workload::spiffe_workload_api_client::SpiffeWorkloadApiClient;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::error::CliError;

/// SPIRE's default Workload API socket.
pub const DEFAULT_AGENT_SOCKET_PATH: &str = "/tmp/spire-agent/public/api.sock";
/// Overrides the default socket when `-socketPath` is not given.
pub const AGENT_SOCKET_ENV: &str = "SPIRE_AGENT_PUBLIC_SOCKET";
/// A socket path template with `%i` replaced by `-instance`.
pub const AGENT_SOCKET_TEMPLATE_ENV: &str = "SPIRE_AGENT_PUBLIC_SOCKET_TEMPLATE";

/// Picks the socket as SPIRE's `ResolveSocketPath`: an explicit non-default
/// `-socketPath` wins, then `-instance` in the template, then the
/// environment, then the default. The result is made absolute, as SPIRE's
/// `GetUnixAddrWithAbsPath` does (it appears in dial errors).
pub fn resolve_agent_socket_path(
    socket_flag: &str,
    instance: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PathBuf, CliError> {
    let template = env(AGENT_SOCKET_TEMPLATE_ENV).unwrap_or_default();
    if !instance.is_empty() {
        if template.is_empty() {
            return Err(CliError::invalid(format!(
                " {AGENT_SOCKET_TEMPLATE_ENV} environment variable must be defined when using the instance flag"
            )));
        }
        if !template.contains("%i") {
            return Err(CliError::invalid(format!(
                "failed to find %i in {AGENT_SOCKET_TEMPLATE_ENV}"
            )));
        }
    }
    let from_env = env(AGENT_SOCKET_ENV).unwrap_or_default();
    let chosen = if socket_flag != DEFAULT_AGENT_SOCKET_PATH {
        socket_flag.to_owned()
    } else if !instance.is_empty() {
        template.replace("%i", instance)
    } else if !from_env.is_empty() {
        from_env
    } else {
        DEFAULT_AGENT_SOCKET_PATH.to_owned()
    };
    std::path::absolute(&chosen).map_err(|source| CliError::Io {
        context: format!("failed to get absolute path for {chosen:?}"),
        source,
    })
}

/// A Workload API client over a Unix socket. Like grpc-go's `NewClient`, no
/// I/O happens until the first call; a socket that cannot be dialled makes
/// that call fail with grpc-go's `Unavailable` text.
#[derive(Debug, Clone)]
pub struct WorkloadClient {
    channel: Channel,
    timeout: Option<Duration>,
    socket: PathBuf,
    /// The last dial failure, kept to word the `Unavailable` error as grpc-go.
    dial_error: Arc<Mutex<Option<String>>>,
}

impl WorkloadClient {
    /// A client for `socket`; `timeout` bounds each call (`None` = no bound).
    pub fn new(socket: &Path, timeout: Option<Duration>) -> Result<Self, CliError> {
        let dial_error = Arc::new(Mutex::new(None));
        let endpoint =
            Endpoint::try_from("http://localhost").map_err(|e| CliError::Connect(e.to_string()))?;
        let path = socket.to_path_buf();
        let seen = Arc::clone(&dial_error);
        let channel = endpoint.connect_with_connector_lazy(tower::service_fn(move |_| {
            let path = path.clone();
            let seen = Arc::clone(&seen);
            async move {
                match tokio::net::UnixStream::connect(&path).await {
                    Ok(stream) => Ok(hyper_util::rt::TokioIo::new(stream)),
                    Err(err) => {
                        if let Ok(mut slot) = seen.lock() {
                            *slot = Some(go_dial_error(&path, &err));
                        }
                        Err(err)
                    }
                }
            }
        }));
        Ok(Self {
            channel,
            timeout,
            socket: socket.to_path_buf(),
            dial_error,
        })
    }

    /// The generated client on this channel.
    pub fn api(&self) -> SpiffeWorkloadApiClient<Channel> {
        SpiffeWorkloadApiClient::new(self.channel.clone())
    }

    /// The underlying channel, for services other than the Workload API.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The socket this client dials.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `message` with the security header and the deadline (SPIRE's
    /// `prepareContext`).
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("workload.spiffe.io", MetadataValue::from_static("true"));
        if let Some(timeout) = self.timeout {
            request.set_timeout(timeout);
        }
        request
    }

    /// Runs `call` within the deadline and turns a failure into grpc-go's
    /// error text.
    pub async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, tonic::Status>>,
    ) -> Result<T, CliError> {
        let outcome = match self.timeout {
            Some(timeout) => match tokio::time::timeout(timeout, call).await {
                Ok(outcome) => outcome,
                Err(_) => Err(tonic::Status::deadline_exceeded(
                    "context deadline exceeded",
                )),
            },
            None => call.await,
        };
        outcome.map_err(|status| self.status_error(status))
    }

    /// grpc-go's wording of `status`, with the dial failure when there was one.
    pub fn status_error(&self, status: tonic::Status) -> CliError {
        if status.code() == tonic::Code::Unavailable {
            let dial = self.dial_error.lock().ok().and_then(|slot| slot.clone());
            if let Some(dial) = dial {
                return CliError::Rpc {
                    code: "Unavailable".to_owned(),
                    message: format!(
                        "connection error: desc = \"transport: Error while dialing: {dial}\""
                    ),
                };
            }
        }
        CliError::from(status)
    }
}

/// Go's `net.OpError` text for a failed Unix dial:
/// `dial unix /path: connect: no such file or directory`.
pub fn go_dial_error(path: &Path, err: &std::io::Error) -> String {
    format!(
        "dial unix {}: connect: {}",
        path.display(),
        go_errno_text(err)
    )
}

/// Go's lower-case errno strings for the dial failures one meets in practice.
fn go_errno_text(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "no such file or directory".to_owned(),
        ConnectionRefused => "connection refused".to_owned(),
        PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn explicit_socket_flag_beats_environment() {
        let p = resolve_agent_socket_path("/x.sock", "", env(&[(AGENT_SOCKET_ENV, "/e.sock")]))
            .expect("valid");
        assert_eq!(p, PathBuf::from("/x.sock"));
    }

    #[test]
    fn environment_beats_default_socket() {
        let vars = [(AGENT_SOCKET_ENV, "/e.sock")];
        let p = resolve_agent_socket_path(DEFAULT_AGENT_SOCKET_PATH, "", env(&vars)).expect("ok");
        assert_eq!(p, PathBuf::from("/e.sock"));
        let p = resolve_agent_socket_path(DEFAULT_AGENT_SOCKET_PATH, "", env(&[])).expect("ok");
        assert_eq!(p, PathBuf::from("/tmp/spire-agent/public/api.sock"));
    }

    #[test]
    fn instance_needs_a_template_with_percent_i() {
        let vars = [(AGENT_SOCKET_TEMPLATE_ENV, "/run/%i/api.sock")];
        let p = resolve_agent_socket_path(DEFAULT_AGENT_SOCKET_PATH, "a", env(&vars)).expect("ok");
        assert_eq!(p, PathBuf::from("/run/a/api.sock"));
        let err = resolve_agent_socket_path(DEFAULT_AGENT_SOCKET_PATH, "a", env(&[]))
            .expect_err("no template");
        assert_eq!(
            err.to_string(),
            " SPIRE_AGENT_PUBLIC_SOCKET_TEMPLATE environment variable must be defined when using the instance flag"
        );
        let vars = [(AGENT_SOCKET_TEMPLATE_ENV, "/run/api.sock")];
        let err = resolve_agent_socket_path(DEFAULT_AGENT_SOCKET_PATH, "a", env(&vars))
            .expect_err("no %i");
        assert_eq!(
            err.to_string(),
            "failed to find %i in SPIRE_AGENT_PUBLIC_SOCKET_TEMPLATE"
        );
    }

    #[test]
    fn relative_socket_paths_become_absolute() {
        let p = resolve_agent_socket_path("api.sock", "", env(&[])).expect("ok");
        assert!(p.is_absolute());
        assert!(p.ends_with("api.sock"));
    }

    #[test]
    fn dial_errors_read_like_go() {
        let err = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(
            go_dial_error(Path::new("/tmp/x.sock"), &err),
            "dial unix /tmp/x.sock: connect: no such file or directory"
        );
        let err = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            go_dial_error(Path::new("/s"), &err),
            "dial unix /s: connect: connection refused"
        );
    }
}
