//! When to reconnect with a fresh SVID.

use std::time::{Duration, SystemTime};

/// The shortest time a session is kept, so a Workload API that keeps serving an SVID past its
/// half life cannot make the client reconnect in a tight loop.
pub const MIN_SESSION: Duration = Duration::from_secs(1);

/// The moment to reconnect for an SVID valid from `not_before` to `not_after`, seen at `now`:
/// its half life; if that has passed already (the agent has not rotated it yet), half of what
/// is left, so successive reconnects close in on the expiry without reaching it.
pub fn renew_at(not_before: SystemTime, not_after: SystemTime, now: SystemTime) -> SystemTime {
    let lifetime = not_after.duration_since(not_before).unwrap_or_default();
    let half_life = not_before + lifetime / 2;
    if now < half_life {
        return half_life.max(now + MIN_SESSION);
    }
    let remaining = not_after.duration_since(now).unwrap_or_default();
    (now + remaining / 2).max(now + MIN_SESSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_fresh_svid_is_renewed_at_half_life() {
        assert_eq!(renew_at(t(1000), t(1120), t(1001)), t(1060));
    }

    #[test]
    fn an_svid_past_half_life_is_renewed_halfway_to_expiry() {
        assert_eq!(renew_at(t(1000), t(1120), t(1100)), t(1110));
    }

    #[test]
    fn an_expired_svid_still_waits_the_minimum_session() {
        assert_eq!(renew_at(t(1000), t(1120), t(1200)), t(1201));
    }
}
