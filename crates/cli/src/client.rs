//! The gRPC connection to the server's admin Unix socket, and where that
//! socket is (SPIRE's `-socketPath`, `-instance`, and environment overrides).

use std::path::{Path, PathBuf};

use spire_proto::spire::api::server::{
    agent::v1::agent_client::AgentClient, bundle::v1::bundle_client::BundleClient,
    entry::v1::entry_client::EntryClient, svid::v1::svid_client::SvidClient,
};
use tonic::transport::{Channel, Endpoint};

use crate::error::CliError;

/// SPIRE's default admin socket.
pub const DEFAULT_SOCKET_PATH: &str = "/tmp/spire-server/private/api.sock";
/// Overrides the default socket when `-socketPath` is not given.
pub const SOCKET_ENV: &str = "SPIRE_SERVER_PRIVATE_SOCKET";
/// A socket path template with `%i` replaced by `-instance`.
pub const SOCKET_TEMPLATE_ENV: &str = "SPIRE_SERVER_PRIVATE_SOCKET_TEMPLATE";

/// Picks the socket as SPIRE's `getGRPCAddr` does: an explicit non-default
/// `-socketPath` wins, then `-instance` in the template, then the
/// environment, then the default. `env` looks up environment variables.
pub fn resolve_socket_path(
    socket_flag: &str,
    instance: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PathBuf, CliError> {
    let template = env(SOCKET_TEMPLATE_ENV).unwrap_or_default();
    if !instance.is_empty() {
        if template.is_empty() {
            return Err(CliError::invalid(format!(
                "you must define {SOCKET_TEMPLATE_ENV} to use the instance flag"
            )));
        }
        if !template.contains("%i") {
            return Err(CliError::invalid(format!(
                "failed to find %i in {SOCKET_TEMPLATE_ENV}"
            )));
        }
    }
    let from_env = env(SOCKET_ENV).unwrap_or_default();
    Ok(PathBuf::from(if socket_flag != DEFAULT_SOCKET_PATH {
        socket_flag.to_owned()
    } else if !instance.is_empty() {
        template.replace("%i", instance)
    } else if !from_env.is_empty() {
        from_env
    } else {
        DEFAULT_SOCKET_PATH.to_owned()
    }))
}

/// A lazily connected channel to the admin API; like grpc-go's `NewClient`,
/// a missing socket surfaces as an `Unavailable` error on the first call.
#[derive(Debug, Clone)]
pub struct AdminClient {
    channel: Channel,
}

impl AdminClient {
    /// A client for the socket at `path` (no I/O until the first call).
    pub fn new(path: &Path) -> Result<Self, CliError> {
        let path = path.to_path_buf();
        let endpoint =
            Endpoint::try_from("http://localhost").map_err(|e| CliError::Connect(e.to_string()))?;
        let channel = endpoint.connect_with_connector_lazy(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                match tokio::net::UnixStream::connect(&path).await {
                    Ok(stream) => Ok(hyper_util::rt::TokioIo::new(stream)),
                    Err(e) => Err(dial_error(&path, &e)),
                }
            }
        }));
        Ok(Self { channel })
    }

    pub fn entry(&self) -> EntryClient<Channel> {
        EntryClient::new(self.channel.clone())
    }
    pub fn agent(&self) -> AgentClient<Channel> {
        AgentClient::new(self.channel.clone())
    }
    pub fn bundle(&self) -> BundleClient<Channel> {
        BundleClient::new(self.channel.clone())
    }
    pub fn svid(&self) -> SvidClient<Channel> {
        SvidClient::new(self.channel.clone())
    }
    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<Channel> {
        tonic_health::pb::health_client::HealthClient::new(self.channel.clone())
    }
}

/// The dial failure worded as grpc-go words it, so the CLI's `rpc error: code = Unavailable
/// desc = ...` line matches SPIRE's: `connection error: desc = "transport: Error while dialing:
/// dial unix ///abs/path.sock: connect: no such file or directory"` (an absolute path follows
/// `unix://`, a relative one is printed as given; Go's errno text starts in lower case).
fn dial_error(path: &Path, e: &std::io::Error) -> std::io::Error {
    let shown = if path.is_absolute() {
        format!("//{}", path.display())
    } else {
        path.display().to_string()
    };
    std::io::Error::new(
        e.kind(),
        format!(
            "connection error: desc = \"transport: Error while dialing: dial unix {shown}: connect: {}\"",
            go_errno_text(e)
        ),
    )
}

/// `No such file or directory (os error 2)` as Go's `syscall.Errno` prints it.
fn go_errno_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text
        .rsplit_once(" (os error ")
        .map_or(text.as_str(), |(head, _)| head);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
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
    fn explicit_flag_beats_environment() {
        let p =
            resolve_socket_path("/x.sock", "", env(&[(SOCKET_ENV, "/env.sock")])).expect("valid");
        assert_eq!(p, PathBuf::from("/x.sock"));
    }

    #[test]
    fn environment_beats_default() {
        let p = resolve_socket_path(DEFAULT_SOCKET_PATH, "", env(&[(SOCKET_ENV, "/env.sock")]))
            .expect("valid");
        assert_eq!(p, PathBuf::from("/env.sock"));
        let p = resolve_socket_path(DEFAULT_SOCKET_PATH, "", env(&[])).expect("valid");
        assert_eq!(p, PathBuf::from(DEFAULT_SOCKET_PATH));
    }

    #[test]
    fn instance_fills_the_template_and_requires_it() {
        let vars = [(SOCKET_TEMPLATE_ENV, "/run/%i/api.sock")];
        let p = resolve_socket_path(DEFAULT_SOCKET_PATH, "a", env(&vars)).expect("valid");
        assert_eq!(p, PathBuf::from("/run/a/api.sock"));
        let err = resolve_socket_path(DEFAULT_SOCKET_PATH, "a", env(&[])).expect_err("no template");
        assert_eq!(
            err.to_string(),
            "you must define SPIRE_SERVER_PRIVATE_SOCKET_TEMPLATE to use the instance flag"
        );
        let err = resolve_socket_path(
            DEFAULT_SOCKET_PATH,
            "a",
            env(&[(SOCKET_TEMPLATE_ENV, "/x")]),
        )
        .expect_err("no %i");
        assert_eq!(
            err.to_string(),
            "failed to find %i in SPIRE_SERVER_PRIVATE_SOCKET_TEMPLATE"
        );
    }

    #[test]
    fn dial_errors_read_like_grpc_go() {
        let missing = std::io::Error::from_raw_os_error(2);
        assert_eq!(
            dial_error(Path::new("/tmp/x/api.sock"), &missing).to_string(),
            "connection error: desc = \"transport: Error while dialing: dial unix ///tmp/x/api.sock: \
             connect: no such file or directory\""
        );
        let refused = std::io::Error::from_raw_os_error(111);
        assert_eq!(
            dial_error(Path::new("rel.sock"), &refused).to_string(),
            "connection error: desc = \"transport: Error while dialing: dial unix rel.sock: \
             connect: connection refused\""
        );
    }
}
