//! What the manager is configured with.

use std::time::Duration;

use spire_spiffe::TrustDomain;

use crate::cache::{DEFAULT_JWT_SVID_CACHE_MAX_SIZE, DEFAULT_X509_SVID_CACHE_MAX_SIZE};

/// Default interval between entry syncs.
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(5);
/// Longest wait between sync attempts while the server fails (also capped at 48 intervals).
pub const MAX_SYNC_BACKOFF: Duration = Duration::from_secs(8 * 60);
/// Most CSRs sent in one BatchNewX509SVID call.
pub const MAX_SVIDS_PER_BATCH: usize = 500;

/// The key type of workload X509-SVIDs (`workload_x509_svid_key_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkloadKeyType {
    #[default]
    EcP256,
    EcP384,
}

/// Manager settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerSettings {
    /// The agent's trust domain (`example.org`).
    pub trust_domain: TrustDomain,
    pub sync_interval: Duration,
    pub x509_svid_cache_max_size: usize,
    pub jwt_svid_cache_max_size: usize,
    pub workload_key_type: WorkloadKeyType,
}

impl ManagerSettings {
    /// SPIRE's defaults for `trust_domain`.
    pub fn new(trust_domain: TrustDomain) -> Self {
        ManagerSettings {
            trust_domain,
            sync_interval: DEFAULT_SYNC_INTERVAL,
            x509_svid_cache_max_size: DEFAULT_X509_SVID_CACHE_MAX_SIZE,
            jwt_svid_cache_max_size: DEFAULT_JWT_SVID_CACHE_MAX_SIZE,
            workload_key_type: WorkloadKeyType::EcP256,
        }
    }

    /// How long to wait before the next sync after `failures` consecutive failed syncs:
    /// the interval doubled per failure, at most min(8 min, 48 intervals); clamped to one
    /// interval while the cache holds no SVID, so a starting agent recovers quickly.
    pub fn sync_wait(&self, failures: u32, have_svids: bool) -> Duration {
        if failures == 0 || !have_svids {
            return self.sync_interval;
        }
        let cap = MAX_SYNC_BACKOFF.min(self.sync_interval.saturating_mul(48));
        let factor = 1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX);
        self.sync_interval.saturating_mul(factor).min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_org() -> TrustDomain {
        TrustDomain::new("example.org").expect("valid")
    }

    #[test]
    fn sync_backoff_doubles_up_to_the_cap() {
        let settings = ManagerSettings::new(example_org());
        assert_eq!(settings.sync_wait(0, true), Duration::from_secs(5));
        assert_eq!(settings.sync_wait(1, true), Duration::from_secs(10));
        assert_eq!(settings.sync_wait(3, true), Duration::from_secs(40));
        // 48 × 5 s = 4 min is below 8 min.
        assert_eq!(settings.sync_wait(40, true), Duration::from_secs(240));
        let slow = ManagerSettings {
            sync_interval: Duration::from_secs(60),
            ..ManagerSettings::new(example_org())
        };
        assert_eq!(slow.sync_wait(10, true), MAX_SYNC_BACKOFF);
    }

    #[test]
    fn sync_backoff_is_clamped_while_no_svid_is_cached() {
        let settings = ManagerSettings::new(example_org());
        assert_eq!(settings.sync_wait(6, false), Duration::from_secs(5));
    }
}
