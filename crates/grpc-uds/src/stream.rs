//! [`FilteredUnixStream`]: an accepted Unix stream whose client→server bytes pass through the
//! [`RequestHeaderFilter`] before tonic reads them; writes go to the socket untouched. It
//! reports the inner socket's peer credentials to tonic, so handlers still see the caller.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;
use tonic::transport::server::{Connected, UdsConnectInfo};

use crate::frame::RequestHeaderFilter;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 8 * 1024;

/// A server-side Unix stream with the request-header filter on its read side.
#[derive(Debug)]
pub struct FilteredUnixStream {
    inner: UnixStream,
    filter: RequestHeaderFilter,
    /// Filtered bytes not yet handed to the reader, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    /// Set once the client broke the protocol; every later read fails the same way.
    failed: Option<String>,
}

impl FilteredUnixStream {
    pub fn new(inner: UnixStream) -> Self {
        Self {
            inner,
            filter: RequestHeaderFilter::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
            failed: None,
        }
    }

    /// The accepted socket.
    pub fn get_ref(&self) -> &UnixStream {
        &self.inner
    }
}

impl Connected for FilteredUnixStream {
    type ConnectInfo = UdsConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        UdsConnectInfo {
            peer_addr: self.inner.peer_addr().ok().map(Arc::new),
            peer_cred: self.inner.peer_cred().ok(),
        }
    }
}

impl AsyncRead for FilteredUnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(message) = &this.failed {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    message.clone(),
                )));
            }
            if this.out_pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_pos);
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                if this.out_pos == this.out.len() {
                    this.out.clear();
                    this.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; READ_CHUNK];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                this.eof = true;
                continue;
            }
            if let Err(e) = this.filter.push(read.filled(), &mut this.out) {
                tracing::debug!(error = %e, "closing a gRPC Unix connection that broke HTTP/2");
                this.failed = Some(e.to_string());
            }
        }
    }
}

impl AsyncWrite for FilteredUnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
