//! A bounded number of open connections per listener, and an idle timeout on each.
//!
//! Why: every accepted socket is a file descriptor. Before this, 234 anonymous TLS connections
//! that never sent a request exhausted a server run under `ulimit -n 256`: new agents were
//! refused and the admin socket could no longer accept the CLI's healthcheck. Now each
//! listener draws from its own [`ConnectionBudget`] (the admin socket's is separate, so a flood
//! on the TCP port never starves it), and the accept loop takes a slot before it accepts.
//!
//! When the budget is full the connection that has been quiet the longest is closed to make
//! room, provided it has been quiet for [`EVICTABLE_AFTER`]; otherwise the accept waits (new
//! clients queue in the kernel's backlog) until a connection closes. We evict rather than only
//! wait because waiting alone lets whoever opened the idle connections first lock everyone
//! else out until their idle timeout, and the quietest connection is the one whose loss costs
//! least: an agent between two syncs has no call in flight and its client reconnects on its
//! next call, while a connection that is moving bytes is never picked ahead of a quiet one.
//!
//! "Quiet" means no bytes read or written. A connection quiet for the idle timeout is closed
//! whatever it has open: the SPIRE server APIs have no call that legitimately stays silent that
//! long, and a stream left open without traffic holds the same resources as an idle
//! connection. The server sends no HTTP/2 keepalive pings, so a connection is quiet exactly
//! when the client sends nothing and the server has nothing to send.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tonic::transport::server::Connected;

/// How long a connection must have been quiet before it may be evicted for a newcomer.
pub const EVICTABLE_AFTER: Duration = Duration::from_secs(1);
/// How often a full accept loop looks again for a connection to evict.
const EVICT_RETRY: Duration = Duration::from_millis(250);

/// The connection slots of one listener.
#[derive(Debug, Clone)]
pub struct ConnectionBudget {
    inner: Arc<BudgetInner>,
}

#[derive(Debug)]
struct BudgetInner {
    what: &'static str,
    slots: Arc<Semaphore>,
    capacity: usize,
    idle_timeout: Duration,
    start: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    /// Set while the budget is full, so the warning is logged once per episode.
    full: AtomicBool,
}

/// What the budget and a connection share.
#[derive(Debug)]
struct ConnState {
    /// Milliseconds since the budget's start at the last byte read or written.
    last_active: AtomicU64,
    evicted: AtomicBool,
    /// Milliseconds since the budget's start when it was evicted.
    evicted_at: AtomicU64,
    /// The task reading the connection, woken when it is evicted.
    reader: Mutex<Option<Waker>>,
}

/// A slot taken from a budget, to be turned into a [`Tracked`] connection.
#[derive(Debug)]
pub struct Slot {
    permit: OwnedSemaphorePermit,
}

impl ConnectionBudget {
    /// A budget of `capacity` connections (at least 1), each closed after `idle_timeout`
    /// without a byte either way. `what` names the listener in logs.
    pub fn new(what: &'static str, capacity: usize, idle_timeout: Duration) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Arc::new(BudgetInner {
                what,
                slots: Arc::new(Semaphore::new(capacity)),
                capacity,
                idle_timeout,
                start: Instant::now(),
                next_id: AtomicU64::new(0),
                open: Mutex::new(HashMap::new()),
                full: AtomicBool::new(false),
            }),
        }
    }

    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Open connections (and handshakes in progress).
    pub fn in_use(&self) -> usize {
        self.inner.capacity - self.inner.slots.available_permits()
    }

    /// Waits for a free slot, evicting the quietest connection when the budget is full.
    pub async fn acquire(&self) -> Slot {
        loop {
            if let Ok(permit) = self.inner.slots.clone().try_acquire_owned() {
                self.inner.full.store(false, Ordering::Relaxed);
                return Slot { permit };
            }
            if !self.inner.full.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    listener = self.inner.what,
                    limit = self.inner.capacity,
                    "Connection limit reached; closing the quietest connections to make room"
                );
            }
            self.evict_quietest();
            tokio::select! {
                permit = self.inner.slots.clone().acquire_owned() => {
                    // The semaphore lives as long as the budget and is never closed.
                    if let Ok(permit) = permit {
                        return Slot { permit };
                    }
                }
                () = tokio::time::sleep(EVICT_RETRY) => {}
            }
        }
    }

    /// Wraps an accepted connection; dropping the result gives the slot back.
    pub fn track<T>(&self, io: T, slot: Slot) -> Tracked<T> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            last_active: AtomicU64::new(self.inner.now_ms()),
            evicted: AtomicBool::new(false),
            evicted_at: AtomicU64::new(0),
            reader: Mutex::new(None),
        });
        self.inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, state.clone());
        Tracked {
            inner: io,
            id,
            state,
            budget: self.inner.clone(),
            timer: Box::pin(tokio::time::sleep(self.inner.idle_timeout)),
            _slot: slot.permit,
        }
    }

    /// Marks the connection quiet the longest (at least [`EVICTABLE_AFTER`]) as evicted and
    /// wakes its reader, unless an eviction made less than [`EVICTABLE_AFTER`] ago is still
    /// closing (its task may not have run yet; one that never runs must not block the next).
    fn evict_quietest(&self) {
        let open = self
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = self.inner.now_ms();
        let grace = millis(EVICTABLE_AFTER);
        let evicted = |c: &ConnState| c.evicted.load(Ordering::Relaxed);
        if open
            .values()
            .any(|c| evicted(c) && now.saturating_sub(c.evicted_at.load(Ordering::Relaxed)) < grace)
        {
            return;
        }
        let quiet_enough = now.saturating_sub(grace);
        let victim = open
            .values()
            .filter(|c| !evicted(c) && c.last_active.load(Ordering::Relaxed) <= quiet_enough)
            .min_by_key(|c| c.last_active.load(Ordering::Relaxed));
        if let Some(victim) = victim {
            victim.evicted_at.store(now, Ordering::Relaxed);
            victim.evicted.store(true, Ordering::Relaxed);
            if let Some(waker) = victim
                .reader
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                waker.wake();
            }
            tracing::debug!(
                listener = self.inner.what,
                quiet_ms = now.saturating_sub(victim.last_active.load(Ordering::Relaxed)),
                "Closing the quietest connection to make room"
            );
        }
    }
}

impl BudgetInner {
    fn now_ms(&self) -> u64 {
        millis(self.start.elapsed())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A connection holding a budget slot, closed (reads fail) when quiet for the idle timeout or
/// evicted.
#[derive(Debug)]
pub struct Tracked<T> {
    inner: T,
    id: u64,
    state: Arc<ConnState>,
    budget: Arc<BudgetInner>,
    timer: Pin<Box<Sleep>>,
    _slot: OwnedSemaphorePermit,
}

impl<T> Tracked<T> {
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    fn touch(&self) {
        self.state
            .last_active
            .store(self.budget.now_ms(), Ordering::Relaxed);
    }

    /// Why the connection must close now, if it must; otherwise arms the timer and the
    /// eviction waker so the task is woken when that changes.
    fn poll_closed(&mut self, cx: &mut Context<'_>) -> Option<std::io::Error> {
        *self
            .state
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        if self.state.evicted.load(Ordering::Relaxed) {
            return Some(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "connection closed to make room for a new one",
            ));
        }
        loop {
            let last = self.state.last_active.load(Ordering::Relaxed);
            let deadline =
                self.budget.start + Duration::from_millis(last) + self.budget.idle_timeout;
            if Instant::now() >= deadline {
                return Some(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connection idle timeout",
                ));
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return None;
            }
        }
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.budget
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.poll_closed(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.state.evicted.load(Ordering::Relaxed) {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
        }
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<T: Connected> Connected for Tracked<T> {
    type ConnectInfo = T::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
