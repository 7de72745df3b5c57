//! A minimal HTTP/1.1 GET for `trust_bundle_url`: https with the system's trust roots, or
//! plain http over `trust_bundle_unix_socket`. One request, `Connection: close`, body read to
//! the end (Content-Length or chunked), size-capped. Not a general HTTP client.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bundles are small; anything larger is refused.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);
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
    #[error("timed out")]
    Timeout,
    #[error("unexpected status code: {0}")]
    Status(u16),
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
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| HttpError::Url(format!("{url:?} has no scheme")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(HttpError::Url(format!("{url:?} has no usable host")));
    }
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: spire-agent\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    match (scheme, unix_socket) {
        ("http", Some(socket)) => {
            let stream = tokio::net::UnixStream::connect(socket).await?;
            exchange(stream, &request).await
        }
        ("https", None) => {
            let (host, port) = split_host_port(authority, 443)?;
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
            exchange(tls, &request).await
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

fn split_host_port(authority: &str, default_port: u16) -> Result<(&str, u16), HttpError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| HttpError::Url(format!("bad IPv6 authority {authority:?}")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p
                .parse()
                .map_err(|_| HttpError::Url(format!("bad port {p:?}")))?,
            None => default_port,
        };
        return Ok((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Ok((
            host,
            p.parse()
                .map_err(|_| HttpError::Url(format!("bad port {p:?}")))?,
        )),
        None => Ok((authority, default_port)),
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

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &str,
) -> Result<Vec<u8>, HttpError> {
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    let mut raw = Vec::new();
    let mut limited = (&mut stream).take(MAX_RESPONSE_BYTES as u64 + 1);
    limited.read_to_end(&mut raw).await?;
    if raw.len() > MAX_RESPONSE_BYTES {
        return Err(HttpError::Malformed(format!(
            "response larger than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    parse_response(&raw)
}

/// The body of a complete HTTP/1.1 response, when its status is 200.
pub(crate) fn parse_response(raw: &[u8]) -> Result<Vec<u8>, HttpError> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| HttpError::Malformed("no end of headers".into()))?;
    let head = std::str::from_utf8(&raw[..split])
        .map_err(|_| HttpError::Malformed("headers are not UTF-8".into()))?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let code: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| HttpError::Malformed(format!("bad status line {status_line:?}")))?;
    if code != 200 {
        return Err(HttpError::Status(code));
    }
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| HttpError::Malformed(format!("bad Content-Length {value:?}")))?,
            );
        }
    }
    if chunked {
        return dechunk(body);
    }
    match length {
        Some(n) if body.len() < n => Err(HttpError::Malformed("truncated body".into())),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, HttpError> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| HttpError::Malformed("truncated chunk size".into()))?;
        let size_text = std::str::from_utf8(&body[..line_end])
            .map_err(|_| HttpError::Malformed("chunk size is not UTF-8".into()))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| HttpError::Malformed(format!("bad chunk size {size_text:?}")))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            return Err(HttpError::Malformed("truncated chunk".into()));
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_body_is_returned() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_response(raw).expect("ok"), b"hello");
    }

    #[test]
    fn chunked_body_is_reassembled() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).expect("ok"), b"hello");
    }

    #[test]
    fn non_200_status_is_an_error() {
        let raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(parse_response(raw), Err(HttpError::Status(404))));
    }

    #[tokio::test]
    async fn bundle_is_fetched_over_a_unix_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("bundle.sock");
        let listener = tokio::net::UnixListener::bind(&socket).expect("bind");
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.expect("read request");
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbundle")
                .await
                .expect("write");
            request
        });
        let body = get("http://localhost/bundle.pem", Some(&socket))
            .await
            .expect("get");
        assert_eq!(body, b"bundle");
        let request = server.await.expect("server task");
        assert!(
            request.starts_with("GET /bundle.pem HTTP/1.1\r\n"),
            "{request}"
        );
    }

    #[tokio::test]
    async fn plain_http_without_a_unix_socket_is_refused() {
        let err = get("http://example.org/b", None)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("must use https"), "{err}");
    }
}
