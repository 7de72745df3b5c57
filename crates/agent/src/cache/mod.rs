//! The agent's SVID cache, as a sans-IO core: the entries the server authorized, the bundles,
//! one X509-SVID (with its key) per entry, JWT-SVIDs by (SPIFFE ID, audience set), and the
//! subscriptions workloads hold. It decides which entries match a workload, what must be
//! minted or renewed, and what to evict under the size limit.
//!
//! It must not do I/O, spawn tasks, read the clock or draw its own randomness: the
//! `manager` shell passes `now` and an `Rng` in, talks to the server and notifies workloads.

mod jwt;
mod matching;
mod rotation;
mod svid_cache;

#[cfg(test)]
mod tests;

pub use jwt::{DEFAULT_JWT_SVID_CACHE_MAX_SIZE, JwtSvidCache, JwtSvidKey};
pub use matching::{SelectorSet, dedup_hints, entry_matches};
pub use rotation::{RenewalSchedule, from_unix_seconds, jwt_refresh_due, unix_seconds};
pub use svid_cache::{
    CacheCounts, CacheLimits, CachedX509Svid, DEFAULT_X509_SVID_CACHE_MAX_SIZE, SvidCache,
    WorkloadView,
};
