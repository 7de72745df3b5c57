//! One accepted Workload API connection as tonic reads it: behind the `:authority` filter (so
//! gRPC C-core and Java clients are served), bound to the process that connected (handlers
//! find the [`CallerBinding`] in each request's extensions), and closed once it has been idle:
//! no call in progress and nothing read for the idle timeout. Connections holding a stream
//! are never idle, however long the stream is quiet.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use spire_grpc_uds::FilteredUnixStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tonic::transport::server::Connected;

use super::peer::CallerBinding;

/// See the module docs.
#[derive(Debug)]
pub(super) struct Conn {
    inner: FilteredUnixStream,
    binding: Arc<CallerBinding>,
    idle_timeout: Duration,
    last_read: Instant,
    idle: Pin<Box<Sleep>>,
}

impl Conn {
    pub(super) fn new(
        inner: FilteredUnixStream,
        binding: CallerBinding,
        idle_timeout: Duration,
    ) -> Self {
        let now = Instant::now();
        Conn {
            inner,
            binding: Arc::new(binding),
            idle_timeout,
            last_read: now,
            idle: Box::pin(tokio::time::sleep_until(now + idle_timeout)),
        }
    }

    /// True once the connection has been idle for the timeout; otherwise the timer is armed
    /// to wake this task when it next could be.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.idle.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            let deadline = if self.binding.calls_in_progress() > 0 {
                now + self.idle_timeout
            } else {
                self.last_read + self.idle_timeout
            };
            if deadline <= now {
                return true;
            }
            self.idle.as_mut().reset(deadline);
        }
    }
}

impl Connected for Conn {
    type ConnectInfo = Arc<CallerBinding>;

    fn connect_info(&self) -> Self::ConnectInfo {
        Arc::clone(&self.binding)
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Poll::Ready(result) = Pin::new(&mut this.inner).poll_read(cx, buf) {
            this.last_read = Instant::now();
            return Poll::Ready(result);
        }
        if this.idle_expired(cx) {
            tracing::debug!("closing an idle Workload API connection");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "Workload API connection idle",
            )));
        }
        Poll::Pending
    }
}

impl AsyncWrite for Conn {
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
