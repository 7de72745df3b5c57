//! When an SVID is due for renewal: past half of its lifetime, for SVIDs the agent renews on a
//! schedule (its own, the workload X509-SVIDs it caches) at a point drawn uniformly within
//! ±10 % of that half life, **once per SVID**; for the server's own SVID and cached JWT-SVIDs
//! at exactly half life. This is the one half-life rule of spire-rs; the agent and the server
//! both use it.
//!
//! The jitter matters: without it, every SVID minted in one burst (agent start, mass deploy)
//! comes due in the same instant one half life later and the server sees the same burst again,
//! forever. Drawing a new point on every check instead (the loops check every few seconds) is
//! almost as bad: each check is another chance to fall due, so most SVIDs renew in the first
//! checks of the window. Sans-IO: `now` and the RNG come from the caller.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The moment an SVID is due for renewal, fixed when the SVID is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalSchedule {
    renew_at: SystemTime,
}

impl RenewalSchedule {
    /// The schedule of an X509-SVID valid over `[not_before, not_after]`: a point drawn from
    /// `rng` uniformly in half life ±10 %. An inverted validity window is due at once: the
    /// certificate is unusable as it is.
    pub fn jittered<R: Rng + ?Sized>(
        not_before: SystemTime,
        not_after: SystemTime,
        rng: &mut R,
    ) -> Self {
        let Ok(lifetime) = not_after.duration_since(not_before) else {
            return Self::at(not_after);
        };
        let half_life = lifetime / 2;
        let spread = nanos(half_life / 10);
        let offset = if spread == 0 {
            0
        } else {
            rng.random_range(0..=spread.saturating_mul(2))
        };
        // not_before + half_life - spread + offset, in [half_life ± spread].
        Self::at(
            not_before + half_life - Duration::from_nanos(spread) + Duration::from_nanos(offset),
        )
    }

    /// The schedule of a credential valid over `[not_before, not_after]` without jitter: due
    /// at exactly half its lifetime (at once for an inverted window).
    pub fn at_half_life(not_before: SystemTime, not_after: SystemTime) -> Self {
        match not_after.duration_since(not_before) {
            Ok(lifetime) => Self::at(not_before + lifetime / 2),
            Err(_) => Self::at(not_after),
        }
    }

    /// When the SVID is due.
    pub fn renew_at(&self) -> SystemTime {
        self.renew_at
    }

    /// Whether the SVID is due at `now`.
    pub fn is_due(&self, now: SystemTime) -> bool {
        now >= self.renew_at
    }

    fn at(renew_at: SystemTime) -> Self {
        Self { renew_at }
    }
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

    fn due_at(offset_secs: u64, rng: &mut StdRng) -> bool {
        RenewalSchedule::jittered(start(), start() + HOUR, rng)
            .is_due(start() + Duration::from_secs(offset_secs))
    }

    #[test]
    fn x509_not_due_before_lower_jitter_bound() {
        let mut rng = StdRng::seed_from_u64(1);
        // 1 h lifetime: half life 30 min, jitter ±3 min, so 26 min is always early.
        for _ in 0..200 {
            assert!(!due_at(26 * 60, &mut rng));
        }
    }

    #[test]
    fn x509_due_after_upper_jitter_bound() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..200 {
            assert!(due_at(34 * 60, &mut rng));
        }
    }

    #[test]
    fn x509_renewal_point_is_spread_within_the_jitter_window() {
        let mut rng = StdRng::seed_from_u64(3);
        let due = (0..1000).filter(|_| due_at(30 * 60, &mut rng)).count();
        // Exactly at half life about half of the draws fall before `now`.
        assert!((350..=650).contains(&due), "due {due} of 1000");
    }

    #[test]
    fn x509_renewal_point_is_drawn_once_per_svid() {
        let mut rng = StdRng::seed_from_u64(5);
        let schedule = RenewalSchedule::jittered(start(), start() + HOUR, &mut rng);
        let renew_at = schedule.renew_at();
        // Checked every second through the window, it falls due exactly once, at its point.
        for secs in 27 * 60..33 * 60 {
            let now = start() + Duration::from_secs(secs);
            assert_eq!(schedule.is_due(now), now >= renew_at);
        }
    }

    #[test]
    fn x509_inverted_is_due() {
        let mut rng = StdRng::seed_from_u64(4);
        let inverted = RenewalSchedule::jittered(start() + HOUR, start(), &mut rng);
        assert!(inverted.is_due(start()));
    }

    #[test]
    fn unjittered_schedule_is_due_at_exactly_half_life() {
        let s = RenewalSchedule::at_half_life(start(), start() + HOUR);
        assert_eq!(s.renew_at(), start() + HOUR / 2);
        assert!(!s.is_due(start() + HOUR / 2 - Duration::from_nanos(1)));
        assert!(s.is_due(start() + HOUR / 2));
    }
}
