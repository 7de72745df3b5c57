//! When a cached SVID must be renewed.
//!
//! X509-SVIDs are renewed past half of their lifetime, at a point drawn uniformly within ±10 %
//! of that half life. The jitter matters: without it, every SVID minted in one burst (agent
//! start, mass deploy) comes due in the same instant one half life later and the server sees
//! the same burst again, forever.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// Whether the X509-SVID valid over `[not_before, not_after]` is due for renewal at `now`.
///
/// An inverted validity window is treated as due: the certificate is unusable as it is.
pub fn x509_renewal_due<R: Rng + ?Sized>(
    not_before: SystemTime,
    not_after: SystemTime,
    now: SystemTime,
    rng: &mut R,
) -> bool {
    if now >= not_after {
        return true;
    }
    let Ok(lifetime) = not_after.duration_since(not_before) else {
        return true;
    };
    let half_life = lifetime / 2;
    let spread = nanos(half_life / 10);
    let offset = if spread == 0 {
        0
    } else {
        rng.random_range(0..=spread.saturating_mul(2))
    };
    // renew_at = not_before + half_life - spread + offset, in [half_life ± spread].
    let renew_at =
        not_before + half_life - Duration::from_nanos(spread) + Duration::from_nanos(offset);
    now >= renew_at
}

/// Whether a JWT-SVID issued at `issued_at` and expiring at `expires_at` (Unix seconds) is past
/// half of its lifetime at `now_unix`, so a cached copy should no longer be handed out.
pub fn jwt_refresh_due(issued_at: i64, expires_at: i64, now_unix: i64) -> bool {
    let lifetime = expires_at.saturating_sub(issued_at);
    now_unix >= issued_at.saturating_add(lifetime / 2)
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

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const HOUR: Duration = Duration::from_secs(3600);

    fn start() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn x509_not_due_before_lower_jitter_bound() {
        let mut rng = StdRng::seed_from_u64(1);
        // 1 h lifetime: half life 30 min, jitter ±3 min, so 26 min is always early.
        for _ in 0..200 {
            let now = start() + Duration::from_secs(26 * 60);
            assert!(!x509_renewal_due(start(), start() + HOUR, now, &mut rng));
        }
    }

    #[test]
    fn x509_due_after_upper_jitter_bound() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..200 {
            let now = start() + Duration::from_secs(34 * 60);
            assert!(x509_renewal_due(start(), start() + HOUR, now, &mut rng));
        }
    }

    #[test]
    fn x509_renewal_point_is_spread_within_the_jitter_window() {
        let mut rng = StdRng::seed_from_u64(3);
        let now = start() + Duration::from_secs(30 * 60);
        let due = (0..1000)
            .filter(|_| x509_renewal_due(start(), start() + HOUR, now, &mut rng))
            .count();
        // Exactly at half life about half of the draws fall before `now`.
        assert!((350..=650).contains(&due), "due {due} of 1000");
    }

    #[test]
    fn x509_expired_or_inverted_is_due() {
        let mut rng = StdRng::seed_from_u64(4);
        assert!(x509_renewal_due(
            start(),
            start() + HOUR,
            start() + HOUR,
            &mut rng
        ));
        assert!(x509_renewal_due(
            start() + HOUR,
            start(),
            start() - HOUR,
            &mut rng
        ));
    }

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
