//! The HTTP GET behind `trust_bundle_url`: https with the system's trust roots, or plain http
//! over `trust_bundle_unix_socket`. One request on one connection, driven by hyper's HTTP/1.1
//! client; the body is size-capped and the whole exchange is time-boxed. Not a general client.
//!
//! Security: the server at `trust_bundle_url` is not trusted yet (that is the point of the
//! download), so it may answer anything. HTTP framing (status line, headers, chunked encoding)
//! is parsed by hyper, whose length arithmetic is checked, instead of by hand: a hand-written
//! parser here once panicked on a chunk size of `ffffffffffffffff`. What hyper does not bound
//! for us we bound here: the body ([`MAX_RESPONSE_BYTES`], counted as it arrives, so an endless
//! body is cut off) and the time ([`TIMEOUT`], so a server that trickles bytes or never answers
//! does not hold the agent's start-up).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Uri, header};
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::io::{AsyncRead, AsyncWrite};

/// Bundles are small; anything larger is refused.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Connect, TLS handshake, request and the whole body must fit in this.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Where Linux distributions keep the system trust roots (Debian, Fedora, openSUSE, Alpine).
const SYSTEM_ROOTS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Why the download failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("invalid URL: {0}")]
    Url(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("no system trust roots found (looked at $SSL_CERT_FILE and {0})")]
    NoRoots(String),
    #[error("timed out after {}s", TIMEOUT.as_secs())]
    Timeout,
    #[error("unexpected status code: {0}")]
    Status(u16),
    #[error("response body larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("malformed response: {0}")]
    Malformed(String),
}

/// GETs `url`; over `unix_socket` when given (then the URL must be http://).
pub async fn get(url: &str, unix_socket: Option<&Path>) -> Result<Vec<u8>, HttpError> {
    tokio::time::timeout(TIMEOUT, get_inner(url, unix_socket))
        .await
        .map_err(|_| HttpError::Timeout)?
}

async fn get_inner(url: &str, unix_socket: Option<&Path>) -> Result<Vec<u8>, HttpError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| HttpError::Url(format!("{url:?}: {e}")))?;
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| HttpError::Url(format!("{url:?} has no scheme")))?;
    let authority = uri
        .authority()
        .filter(|a| !a.host().is_empty() && !a.as_str().contains('@'))
        .ok_or_else(|| HttpError::Url(format!("{url:?} has no usable host")))?
        .clone();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let request = Request::get(path)
        .header(header::HOST, authority.as_str())
        .header(header::USER_AGENT, "spire-agent")
        .header(header::ACCEPT, "*/*")
        .body(Empty::<Bytes>::new())
        .map_err(|e| HttpError::Url(format!("{url:?}: {e}")))?;
    match (scheme, unix_socket) {
        ("http", Some(socket)) => {
            let stream = tokio::net::UnixStream::connect(socket).await?;
            exchange(stream, request).await
        }
        ("https", None) => {
            // `Uri::host` keeps an IPv6 literal's brackets; sockets and SNI want it bare.
            let host = authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let port = authority.port_u16().unwrap_or(443);
            let name = ServerName::try_from(host.to_owned())
                .map_err(|_| HttpError::Url(format!("{host:?} is not a valid host")))?;
            let config = rustls::ClientConfig::builder_with_provider(spire_tls::provider())
                .with_safe_default_protocol_versions()?
                .with_root_certificates(system_roots()?)
                .with_no_client_auth();
            let tcp = tokio::net::TcpStream::connect((host, port)).await?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await?;
            exchange(tls, request).await
        }
        ("http", None) => Err(HttpError::Url(
            "trust_bundle_url must use https unless trust_bundle_unix_socket is set".into(),
        )),
        (_, Some(_)) => Err(HttpError::Url(
            "trust_bundle_url must use http when trust_bundle_unix_socket is set".into(),
        )),
        (other, None) => Err(HttpError::Url(format!("unsupported scheme {other:?}"))),
    }
}

fn system_roots() -> Result<rustls::RootCertStore, HttpError> {
    let mut candidates: Vec<String> = Vec::new();
    if let Ok(file) = std::env::var("SSL_CERT_FILE") {
        candidates.push(file);
    }
    candidates.extend(SYSTEM_ROOTS.iter().map(|s| (*s).to_owned()));
    let mut store = rustls::RootCertStore::empty();
    for path in &candidates {
        if let Ok(iter) = CertificateDer::pem_file_iter(path) {
            store.add_parsable_certificates(iter.flatten());
            if !store.is_empty() {
                return Ok(store);
            }
        }
    }
    Err(HttpError::NoRoots(SYSTEM_ROOTS.join(", ")))
}

/// Sends `request` on a fresh HTTP/1.1 connection over `stream` and returns the body of a
/// 200 answer, at most [`MAX_RESPONSE_BYTES`] of it.
async fn exchange<S>(stream: S, request: Request<Empty<Bytes>>) -> Result<Vec<u8>, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(malformed)?;
    let response = async move {
        let response = sender.send_request(request).await.map_err(malformed)?;
        if response.status() != StatusCode::OK {
            return Err(HttpError::Status(response.status().as_u16()));
        }
        // A Content-Length over the cap is refused before any of the body is read.
        if hyper::body::Body::size_hint(response.body()).lower() > MAX_RESPONSE_BYTES as u64 {
            return Err(HttpError::TooLarge);
        }
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    HttpError::TooLarge
                } else {
                    HttpError::Malformed(chain(e.as_ref()))
                }
            })?;
        Ok(body.to_bytes().to_vec())
    };
    // The connection future does the socket I/O; it is polled here, beside the response, so
    // nothing outlives this call (a timeout in `get` drops both).
    let mut connection = std::pin::pin!(connection);
    let mut response = std::pin::pin!(response);
    tokio::select! {
        result = &mut response => result,
        closed = &mut connection => {
            closed.map_err(malformed)?;
            response.await
        }
    }
}

fn malformed(e: hyper::Error) -> HttpError {
    HttpError::Malformed(chain(&e))
}

/// `e` and its sources, so "error reading a body" says why.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
