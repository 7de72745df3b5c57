//! When the agent SVID is due: at half its lifetime, moved by up to ±10 % of the half life
//! so a fleet of agents attested together does not renew in lockstep.

use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::attest::{AttestError, not_after, not_before};

/// The renewal time of one SVID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSchedule {
    pub due_at: SystemTime,
}

impl RotationSchedule {
    /// The schedule of the SVID whose chain is `svid` (leaf first).
    pub fn for_leaf(svid: &[Vec<u8>], rng: &mut impl Rng) -> Result<Self, AttestError> {
        let leaf = svid.first().ok_or(AttestError::EmptyChain)?;
        let (start, end) = (not_before(leaf)?, not_after(leaf)?);
        let lifetime = end.duration_since(start).unwrap_or_default();
        // jitter in [-10 %, +10 %] of the half life
        let jitter_permille: i64 = rng.random_range(-100..=100);
        Ok(Self::at_half_life(start, lifetime, jitter_permille))
    }

    /// `start + lifetime/2 + half_life * jitter_permille / 1000`.
    pub fn at_half_life(start: SystemTime, lifetime: Duration, jitter_permille: i64) -> Self {
        let half = lifetime / 2;
        let shift = half.mul_f64(jitter_permille.unsigned_abs() as f64 / 1000.0);
        let due_at = if jitter_permille >= 0 {
            start + half + shift
        } else {
            start + (half - shift)
        };
        Self { due_at }
    }

    pub fn is_due(&self, now: SystemTime) -> bool {
        now >= self.due_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Duration = Duration::from_secs(1_700_000_000);

    #[test]
    fn due_at_half_life_without_jitter() {
        let start = SystemTime::UNIX_EPOCH + START;
        let s = RotationSchedule::at_half_life(start, Duration::from_secs(3600), 0);
        assert_eq!(s.due_at, start + Duration::from_secs(1800));
        assert!(!s.is_due(start + Duration::from_secs(1799)));
        assert!(s.is_due(start + Duration::from_secs(1800)));
    }

    #[test]
    fn jitter_moves_the_due_time_by_at_most_ten_percent_of_the_half_life() {
        let start = SystemTime::UNIX_EPOCH + START;
        let early = RotationSchedule::at_half_life(start, Duration::from_secs(3600), -100);
        let late = RotationSchedule::at_half_life(start, Duration::from_secs(3600), 100);
        assert_eq!(early.due_at, start + Duration::from_secs(1620));
        assert_eq!(late.due_at, start + Duration::from_secs(1980));
    }
}
