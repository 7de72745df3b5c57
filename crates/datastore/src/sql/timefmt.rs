//! Datetime columns as Go's sqlite driver writes them: `2006-01-02 15:04:05-07:00` text.
//! We always write UTC (`+00:00`) so text comparison orders correctly; reads accept any
//! offset, fractional seconds, a `T` separator and a `Z` suffix.

use std::time::{SystemTime, UNIX_EPOCH};

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::{DataStoreError, Result};

/// Seconds since the Unix epoch now (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats `unix` seconds as a UTC datetime column value.
///
/// Years before 0000 are refused: they would be written with a sign (`-0001-...`) that
/// [`parse`] cannot read back, leaving a row every later read fails on (found by the
/// `datetime_column` fuzz target). Years after 9999 are refused by `time` itself.
pub fn format(unix: i64) -> Result<String> {
    /// 0000-01-01 00:00:00 UTC.
    const YEAR_ZERO: i64 = -62_167_219_200;
    let out_of_range = || {
        DataStoreError::InvalidArgument(format!("timestamp {unix} is outside the supported range"))
    };
    if unix < YEAR_ZERO {
        return Err(out_of_range());
    }
    let dt = OffsetDateTime::from_unix_timestamp(unix).map_err(|_| out_of_range())?;
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]+00:00");
    dt.format(&fmt).map_err(|e| {
        DataStoreError::InvalidArgument(format!("timestamp {unix} cannot be formatted: {e}"))
    })
}

/// Parses a datetime column value back to Unix seconds; `column` names it for errors.
pub fn parse(text: &str, column: &str) -> Result<i64> {
    let bad = || DataStoreError::Database(format!("{column} holds unreadable datetime {text:?}"));
    let head = text.get(..19).ok_or_else(bad)?.replace('T', " ");
    let base_fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let base = PrimitiveDateTime::parse(&head, &base_fmt).map_err(|_| bad())?;
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset_secs = match rest.trim() {
        "" | "Z" => 0,
        offset => parse_offset(offset).ok_or_else(bad)?,
    };
    Ok(base.assume_utc().unix_timestamp() - offset_secs)
}

/// `+HH:MM` / `-HH:MM` / `+HHMM` as signed seconds.
fn parse_offset(text: &str) -> Option<i64> {
    let (sign, body) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = body.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_before_year_zero_are_refused_not_written_unreadable() {
        // fuzz/regressions/datetime_column/negative-year-round-trip
        assert!(format(-140_744_117_772).is_err());
        assert!(format(-62_167_219_201).is_err());
        let year_zero = format(-62_167_219_200).expect("year 0000 formats");
        assert_eq!(year_zero, "0000-01-01 00:00:00+00:00");
        assert_eq!(parse(&year_zero, "t").ok(), Some(-62_167_219_200));
    }

    #[test]
    fn formats_like_go_sqlite_driver_in_utc() {
        assert_eq!(format(0).ok().as_deref(), Some("1970-01-01 00:00:00+00:00"));
        assert_eq!(
            format(1_700_000_000).ok().as_deref(),
            Some("2023-11-14 22:13:20+00:00")
        );
    }

    #[test]
    fn parses_offsets_fractions_and_z() {
        assert_eq!(
            parse("2023-11-14 22:13:20+00:00", "c").ok(),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse("2023-11-14 23:13:20.123+01:00", "c").ok(),
            Some(1_700_000_000)
        );
        assert_eq!(parse("2023-11-14T22:13:20Z", "c").ok(), Some(1_700_000_000));
    }

    #[test]
    fn rejects_garbage_datetime_with_column_name() {
        let err = parse("yesterday", "attested_node_entries.expires_at").expect_err("garbage");
        assert!(
            err.to_string().contains("attested_node_entries.expires_at"),
            "{err}"
        );
    }
}
