//! Go `time.ParseDuration` syntax ("1h30m", "90s", "500ms", "1.5h"), refusing negatives, and
//! the inverse used in SPIRE's messages.

use std::time::Duration;

use crate::error::DurationError;

/// Nanoseconds Go's `time.Duration` (an i64) can hold.
const MAX_NANOS: u128 = i64::MAX as u128;

/// Parses a Go duration string. A leading `-` (other than `-0`) is an error, as is overflow of
/// Go's ~292-year range, so a value accepted here is accepted by SPIRE too.
pub fn parse_go_duration(input: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(input.to_string());
    let (negative, mut rest) = match input.as_bytes().first() {
        Some(b'-') => (true, &input[1..]),
        Some(b'+') => (false, &input[1..]),
        _ => (false, input),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_num) = match after_int.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at(n)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = after_num
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after_num.len(), |(i, _)| i);
        let (unit, next) = after_num.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(input.to_string()));
        }
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            _ => {
                return Err(DurationError::UnknownUnit {
                    unit: unit.to_string(),
                    input: input.to_string(),
                });
            }
        };
        let out_of_range = || DurationError::OutOfRange(input.to_string());
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| out_of_range())?
        };
        let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(out_of_range)?;
        // Fraction: scale digit by digit, truncating like Go does.
        let mut scale = unit_nanos;
        for d in frac_part.bytes() {
            scale /= 10;
            if scale == 0 {
                break;
            }
            nanos += u128::from(d - b'0') * scale;
        }
        total = total.checked_add(nanos).ok_or_else(out_of_range)?;
        if total > MAX_NANOS {
            return Err(out_of_range());
        }
        rest = next;
    }
    if negative && total != 0 {
        return Err(DurationError::Negative(input.to_string()));
    }
    let secs = u64::try_from(total / 1_000_000_000)
        .map_err(|_| DurationError::OutOfRange(input.to_string()))?;
    let sub = u32::try_from(total % 1_000_000_000)
        .map_err(|_| DurationError::OutOfRange(input.to_string()))?;
    Ok(Duration::new(secs, sub))
}

/// Formats whole seconds the way SPIRE prints TTLs in its warnings: "4h", "1h30m", "90s" → "1m30s".
pub fn format_go_duration(d: Duration) -> String {
    let total = d.as_secs();
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let full = if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    };
    let trimmed = full
        .strip_suffix("m0s")
        .map_or(full.clone(), |t| format!("{t}m"));
    trimmed
        .strip_suffix("h0m")
        .map_or(trimmed.clone(), |t| format!("{t}h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compound_and_fractional_durations() {
        assert_eq!(parse_go_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("2us"), Ok(Duration::from_micros(2)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_go_duration("-0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_malformed_negative_and_overflowing_durations() {
        assert_eq!(
            parse_go_duration(""),
            Err(DurationError::Invalid(String::new()))
        );
        assert_eq!(
            parse_go_duration("10"),
            Err(DurationError::MissingUnit("10".into()))
        );
        assert_eq!(
            parse_go_duration("1d"),
            Err(DurationError::UnknownUnit {
                unit: "d".into(),
                input: "1d".into()
            })
        );
        assert_eq!(
            parse_go_duration("-5m"),
            Err(DurationError::Negative("-5m".into()))
        );
        assert_eq!(
            parse_go_duration("3000000h"),
            Err(DurationError::OutOfRange("3000000h".into()))
        );
        assert_eq!(
            parse_go_duration("h"),
            Err(DurationError::Invalid("h".into()))
        );
        assert_eq!(
            parse_go_duration("1h "),
            Err(DurationError::UnknownUnit {
                unit: "h ".into(),
                input: "1h ".into()
            })
        );
    }

    #[test]
    fn formats_like_spire_warnings() {
        assert_eq!(format_go_duration(Duration::from_secs(4 * 3600)), "4h");
        assert_eq!(format_go_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_go_duration(Duration::from_secs(600)), "10m");
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
    }
}
