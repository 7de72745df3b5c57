//! Per-IP rate limits on the TCP API, as SPIRE's `ratelimit { attestation, signing }`.
//!
//! SPIRE limits `AttestAgent` to 1 call per second per client IP (burst 1) and signing to
//! 500 CSRs per second per IP (burst 500; `BatchNewX509SVID` counts its CSRs, `RenewAgent`
//! one, `NewJWTSVID` one against a separate 500/s budget). Calls over the Unix admin socket
//! are not limited. Like SPIRE (Go's `rate.Limiter::WaitN`), a call over the rate waits for
//! its turn rather than failing; unlike SPIRE, the wait is bounded by [`MAX_WAIT`]: a call
//! that would wait longer, or that asks for more than the burst at once, is refused with
//! `ResourceExhausted` at once.
//!
//! Security: without a limit one client guessed join tokens (or drove the CA) as fast as
//! the server answered, hundreds of attempts a second. Waiting rather than refusing keeps
//! SPIRE's behaviour for a fleet behind one NAT address that starts at once; the bound on
//! the wait keeps one address from parking an unbounded number of calls on the server
//! (at most `MAX_WAIT × rate` calls per address wait at any time).
//!
//! [`TokenBucket`] is the sans-IO core (time passed in); [`PerIpLimiter`] keys buckets by IP
//! and forgets idle ones the way SPIRE does (two generations swapped every minute);
//! [`RateLimits`] is what the services hold, with the async wait.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use spire_ca::clock::Clock;
use tonic::{Request, Status};

use crate::endpoints::TlsConnectInfo;

/// `AttestAgent` calls per second per IP (SPIRE's `limits.AttestLimitPerIP`).
pub const ATTEST_LIMIT_PER_IP: u32 = 1;
/// CSRs signed per second per IP (SPIRE's `limits.SignLimitPerIP`).
pub const SIGN_LIMIT_PER_IP: u32 = 500;
/// Longest a call waits for its turn before it is refused.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// How often idle per-IP buckets are forgotten (SPIRE's `gcInterval`).
const GC_INTERVAL: Duration = Duration::from_secs(60);

/// Why a call was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate ({count}) exceeds burst size ({burst})")]
    ExceedsBurst { count: u32, burst: u32 },
    #[error("rate limit exceeded: the call would wait {wait:?}, more than {MAX_WAIT:?}")]
    WaitTooLong { wait: Duration },
}

/// A token bucket of `rate` tokens per second holding at most `rate` (the burst, as SPIRE
/// sets it). Tokens may go negative: each admitted call reserves its tokens and is told how
/// long to wait for them, so calls are served in arrival order.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u32,
    tokens: f64,
    updated: SystemTime,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn new(rate: u32, now: SystemTime) -> Self {
        Self {
            rate: rate.max(1),
            tokens: f64::from(rate.max(1)),
            updated: now,
        }
    }

    /// Reserves `count` tokens at `now`: how long the caller must wait before going ahead,
    /// or why it may not (then nothing is reserved).
    pub fn reserve(
        &mut self,
        count: u32,
        now: SystemTime,
        max_wait: Duration,
    ) -> Result<Duration, RateLimitError> {
        if count > self.rate {
            return Err(RateLimitError::ExceedsBurst {
                count,
                burst: self.rate,
            });
        }
        let rate = f64::from(self.rate);
        // A clock that went backwards adds nothing (and takes nothing away).
        let elapsed = now.duration_since(self.updated).unwrap_or_default();
        let tokens = (self.tokens + elapsed.as_secs_f64() * rate).min(rate) - f64::from(count);
        let wait = if tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-tokens / rate)
        };
        if wait > max_wait {
            return Err(RateLimitError::WaitTooLong { wait });
        }
        self.tokens = tokens;
        self.updated = self.updated.max(now);
        Ok(wait)
    }
}

/// One [`TokenBucket`] per client IP.
#[derive(Debug)]
pub struct PerIpLimiter {
    rate: u32,
    state: Mutex<Generations>,
}

#[derive(Debug)]
struct Generations {
    current: HashMap<IpAddr, TokenBucket>,
    previous: HashMap<IpAddr, TokenBucket>,
    last_gc: SystemTime,
}

impl PerIpLimiter {
    pub fn new(rate: u32, now: SystemTime) -> Self {
        Self {
            rate,
            state: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
                last_gc: now,
            }),
        }
    }

    /// Reserves `count` tokens for `ip` at `now` (see [`TokenBucket::reserve`]).
    pub fn reserve(
        &self,
        ip: IpAddr,
        count: u32,
        now: SystemTime,
    ) -> Result<Duration, RateLimitError> {
        // A poisoned lock only means another call panicked mid-update; the buckets are
        // still usable numbers.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = &mut *state;
        if !state.current.contains_key(&ip) {
            // Buckets untouched for a whole interval are dropped; a bucket in use moves back
            // to the current generation, keeping its debt.
            if let Some(bucket) = state.previous.remove(&ip) {
                state.current.insert(ip, bucket);
            } else if now.duration_since(state.last_gc).unwrap_or_default() >= GC_INTERVAL {
                state.previous = std::mem::take(&mut state.current);
                state.last_gc = now;
            }
        }
        state
            .current
            .entry(ip)
            .or_insert_with(|| TokenBucket::new(self.rate, now))
            .reserve(count, now, MAX_WAIT)
    }

    /// How many addresses have a bucket (for tests).
    pub fn tracked(&self) -> usize {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.current.len() + state.previous.len()
    }
}

/// Which budget a call draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// `AttestAgent`.
    Attestation,
    /// `BatchNewX509SVID`, `RenewAgent`, `NewDownstreamX509CA`.
    X509Signing,
    /// `NewJWTSVID`.
    JwtSigning,
}

/// The server's limits, per `ratelimit { attestation, signing }`.
#[derive(Debug)]
pub struct RateLimits {
    clock: Arc<dyn Clock>,
    attestation: Option<PerIpLimiter>,
    x509_signing: Option<PerIpLimiter>,
    jwt_signing: Option<PerIpLimiter>,
}

impl RateLimits {
    /// Limits as configured; a `false` switch leaves that budget unlimited.
    pub fn new(attestation: bool, signing: bool, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now();
        let limiter = |on: bool, rate: u32| on.then(|| PerIpLimiter::new(rate, now));
        Self {
            attestation: limiter(attestation, ATTEST_LIMIT_PER_IP),
            x509_signing: limiter(signing, SIGN_LIMIT_PER_IP),
            jwt_signing: limiter(signing, SIGN_LIMIT_PER_IP),
            clock,
        }
    }

    /// No limits at all (unit tests of the services).
    pub fn unlimited(clock: Arc<dyn Clock>) -> Self {
        Self::new(false, false, clock)
    }

    /// Admits a call of `count` units from the caller of `request`, waiting for its turn when
    /// the caller's budget is spent; `ResourceExhausted` when it may not go ahead. `what`
    /// completes SPIRE's message ("rejecting request due to <what> rate limiting").
    pub async fn admit<T>(
        &self,
        request: &Request<T>,
        budget: Budget,
        count: usize,
        what: &str,
    ) -> Result<(), Status> {
        let Some(ip) = caller_ip(request) else {
            return Ok(());
        };
        self.admit_ip(ip, budget, count, what).await
    }

    /// [`RateLimits::admit`] for a known client address.
    pub async fn admit_ip(
        &self,
        ip: IpAddr,
        budget: Budget,
        count: usize,
        what: &str,
    ) -> Result<(), Status> {
        let limiter = match budget {
            Budget::Attestation => &self.attestation,
            Budget::X509Signing => &self.x509_signing,
            Budget::JwtSigning => &self.jwt_signing,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        match limiter.reserve(ip, count, self.clock.now()) {
            Ok(wait) if wait.is_zero() => Ok(()),
            Ok(wait) => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(client = %ip, error = %e, "Rejecting request due to {what} rate limiting");
                Err(Status::resource_exhausted(format!(
                    "rejecting request due to {what} rate limiting: {e}"
                )))
            }
        }
    }
}

/// The client IP of a TCP API call; `None` on the Unix socket (not limited, as in SPIRE).
pub fn caller_ip<T>(request: &Request<T>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<TlsConnectInfo>()
        .and_then(|info| info.peer_addr)
        .map(|addr| addr.ip())
}

#[cfg(test)]
#[path = "ratelimit_tests.rs"]
mod tests;
