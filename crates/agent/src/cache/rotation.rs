//! When the agent renews what it holds, by the one half-life rule of spire-rs
//! ([`RenewalSchedule`], in spire-ca): its own SVID and the workload X509-SVIDs it caches at a
//! point drawn once per SVID within half life ±10 % (drawn when the cache stores the SVID);
//! JWT-SVIDs are not renewed on a schedule (a workload asks for one), so a cached token is
//! handed out until exactly its half life.

use std::time::{Duration, SystemTime};

pub use spire_ca::renewal::RenewalSchedule;

/// Whether a JWT-SVID issued at `issued_at` and expiring at `expires_at` (Unix seconds) is past
/// half of its lifetime at `now_unix`, so a cached copy should no longer be handed out.
pub fn jwt_refresh_due(issued_at: i64, expires_at: i64, now_unix: i64) -> bool {
    RenewalSchedule::at_half_life(from_unix_seconds(issued_at), from_unix_seconds(expires_at))
        .is_due(from_unix_seconds(now_unix))
}

/// Unix seconds of `time` (negative before the epoch).
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The `SystemTime` of Unix seconds `secs` (clamped at the epoch for negative values).
pub fn from_unix_seconds(secs: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_refresh_due_at_half_life() {
        assert!(!jwt_refresh_due(1000, 1300, 1149));
        assert!(jwt_refresh_due(1000, 1300, 1150));
    }

    #[test]
    fn unix_seconds_round_trip() {
        assert_eq!(
            unix_seconds(from_unix_seconds(1_700_000_000)),
            1_700_000_000
        );
    }
}
