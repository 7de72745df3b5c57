//! Bundle pruning: authorities that expired long ago leave the bundle.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spire_spiffe::Bundle;

use crate::x509::cert_not_after;

/// How long after expiry an authority stays in the bundle (SPIRE: 24h).
pub const PRUNE_GRACE: Duration = Duration::from_secs(24 * 3600);

/// Drops X.509 authorities and JWT keys that expired more than [`PRUNE_GRACE`] before `now`,
/// never removing the last one of either kind (as SPIRE refuses to prune a bundle empty).
/// Certificates that do not parse and JWT keys without an expiry are kept. Returns whether
/// anything was removed; the caller persists the bundle (and bumps its sequence number).
pub fn prune_bundle(bundle: &mut Bundle, now: SystemTime) -> bool {
    let Some(cutoff) = now.checked_sub(PRUNE_GRACE) else {
        return false;
    };
    let x509_keep: Vec<bool> = bundle
        .x509_authorities
        .iter()
        .map(|a| cert_not_after(&a.der).map_or(true, |not_after| not_after >= cutoff))
        .collect();
    let jwt_keep: Vec<bool> = bundle
        .jwt_authorities
        .iter()
        .map(|k| k.expires_at <= 0 || unix_time(k.expires_at) >= cutoff)
        .collect();

    let mut changed = false;
    if x509_keep.iter().any(|keep| *keep) && x509_keep.iter().any(|keep| !*keep) {
        let mut keep = x509_keep.into_iter();
        bundle
            .x509_authorities
            .retain(|_| keep.next().unwrap_or(true));
        changed = true;
    }
    if jwt_keep.iter().any(|keep| *keep) && jwt_keep.iter().any(|keep| !*keep) {
        let mut keep = jwt_keep.into_iter();
        bundle
            .jwt_authorities
            .retain(|_| keep.next().unwrap_or(true));
        changed = true;
    }
    changed
}

fn unix_time(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}
