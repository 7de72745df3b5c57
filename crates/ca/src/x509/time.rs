//! SystemTime ↔ certificate time: certificates carry whole seconds, so every time written is
//! first truncated, and the value returned to callers is the value in the certificate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

use super::CaError;

/// `t` truncated to whole seconds.
pub(crate) fn whole_seconds(t: SystemTime) -> Result<SystemTime, CaError> {
    let since_epoch = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CaError::TimeOutOfRange(t))?;
    Ok(UNIX_EPOCH + Duration::from_secs(since_epoch.as_secs()))
}

/// `t` as rcgen wants it, truncated to whole seconds.
pub(crate) fn to_offset(t: SystemTime) -> Result<OffsetDateTime, CaError> {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CaError::TimeOutOfRange(t))?
        .as_secs();
    let secs = i64::try_from(secs).map_err(|_| CaError::TimeOutOfRange(t))?;
    let dt = OffsetDateTime::from_unix_timestamp(secs).map_err(|_| CaError::TimeOutOfRange(t))?;
    if dt.year() > 9999 {
        return Err(CaError::TimeOutOfRange(t));
    }
    Ok(dt)
}

/// `now - backdate`, refusing times before the epoch.
pub(crate) fn backdated(now: SystemTime, backdate: Duration) -> Result<SystemTime, CaError> {
    now.checked_sub(backdate)
        .filter(|t| *t >= UNIX_EPOCH)
        .ok_or(CaError::TimeOutOfRange(now))
}

/// `now + ttl`, refusing overflow.
pub(crate) fn after(now: SystemTime, ttl: Duration) -> Result<SystemTime, CaError> {
    now.checked_add(ttl).ok_or(CaError::TimeOutOfRange(now))
}
