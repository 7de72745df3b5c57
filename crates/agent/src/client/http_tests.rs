use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

use super::*;

/// A one-shot HTTP server on a unix socket: reads the request head, writes `answer` (then
/// `endless` repeats forever when set), returns the request it saw.
async fn serve(
    answer: &'static [u8],
    endless: Option<&'static [u8]>,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    tokio::task::JoinHandle<String>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("bundle.sock");
    let listener = UnixListener::bind(&socket).expect("bind");
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.expect("read request");
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let _ = stream.write_all(answer).await;
        if let Some(filler) = endless {
            while stream.write_all(filler).await.is_ok() {}
        }
        String::from_utf8_lossy(&request).into_owned()
    });
    (dir, socket, server)
}

async fn fetch(
    answer: &'static [u8],
    endless: Option<&'static [u8]>,
) -> Result<Vec<u8>, HttpError> {
    let (_dir, socket, _server) = serve(answer, endless).await;
    get("http://localhost/bundle.pem", Some(&socket)).await
}

#[tokio::test]
async fn bundle_is_fetched_over_a_unix_socket() {
    let (_dir, socket, server) =
        serve(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbundle", None).await;
    let body = get("http://localhost/bundle.pem?x=1", Some(&socket))
        .await
        .expect("get");
    assert_eq!(body, b"bundle");
    let request = server.await.expect("server task");
    assert!(
        request.starts_with("GET /bundle.pem?x=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.to_ascii_lowercase().contains("host: localhost\r\n"),
        "{request}"
    );
}

#[tokio::test]
async fn chunked_body_is_reassembled() {
    let body = fetch(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
        None,
    )
    .await
    .expect("ok");
    assert_eq!(body, b"hello");
}

#[tokio::test]
async fn non_200_status_is_an_error() {
    let err = fetch(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", None)
        .await
        .expect_err("404");
    assert!(matches!(err, HttpError::Status(404)), "{err}");
}

/// Regression: the hand-written parser overflowed `size + 2` and panicked (exit 101).
#[tokio::test]
async fn chunk_size_of_u64_max_is_an_error_not_a_panic() {
    let err = fetch(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc",
        None,
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, HttpError::Malformed(_)), "{err}");
}

#[tokio::test]
async fn chunk_size_past_u64_is_an_error() {
    let err = fetch(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nabc",
        None,
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, HttpError::Malformed(_)), "{err}");
}

#[tokio::test]
async fn endless_chunk_is_cut_at_the_size_cap() {
    let err = fetch(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        Some(&[b'a'; 8192]),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, HttpError::TooLarge), "{err}");
}

#[tokio::test]
async fn endless_body_without_length_is_cut_at_the_size_cap() {
    let err = fetch(b"HTTP/1.1 200 OK\r\n\r\n", Some(&[b'a'; 8192]))
        .await
        .expect_err("refused");
    assert!(matches!(err, HttpError::TooLarge), "{err}");
}

#[tokio::test]
async fn announced_oversized_body_is_refused() {
    let err = fetch(
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nabc",
        None,
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, HttpError::TooLarge), "{err}");
}

#[tokio::test]
async fn truncated_body_is_an_error() {
    let err = fetch(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", None)
        .await
        .expect_err("refused");
    assert!(matches!(err, HttpError::Malformed(_)), "{err}");
}

#[tokio::test(start_paused = true)]
async fn silent_server_times_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("bundle.sock");
    let _listener = UnixListener::bind(&socket).expect("bind");
    let err = get("http://localhost/b", Some(&socket))
        .await
        .expect_err("timeout");
    assert!(matches!(err, HttpError::Timeout), "{err}");
}

#[tokio::test]
async fn plain_http_without_a_unix_socket_is_refused() {
    let err = get("http://example.org/b", None)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("must use https"), "{err}");
}

#[tokio::test]
async fn https_over_a_unix_socket_is_refused() {
    let err = get("https://example.org/b", Some(Path::new("/nonexistent")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("must use http when"), "{err}");
}

#[tokio::test]
async fn url_with_user_info_is_refused() {
    let err = get("https://user@example.org/b", None)
        .await
        .expect_err("refused");
    assert!(matches!(err, HttpError::Url(_)), "{err}");
}
