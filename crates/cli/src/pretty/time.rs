//! Go's `time.Time.String()` for whole-second UTC instants.

use ::time::OffsetDateTime;
use ::time::macros::format_description;

/// `2024-05-01 12:00:00 +0000 UTC`, as Go prints `time.Unix(s, 0).UTC()`.
///
/// SPIRE prints agent expirations in the local zone; spire-rs prints UTC,
/// which is what SPIRE prints on hosts with TZ=UTC (containers, CI).
pub fn go_utc(unix_secs: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] +0000 UTC");
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("{unix_secs} (unix seconds)"))
}

/// `time.RFC3339` of a UTC instant: `2024-05-01T12:00:00Z`.
pub fn rfc3339_utc(unix_secs: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix_secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go_time_string_in_utc() {
        assert_eq!(go_utc(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(go_utc(1_700_000_000), "2023-11-14 22:13:20 +0000 UTC");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
