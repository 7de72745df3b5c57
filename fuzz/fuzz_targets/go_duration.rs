//! The hand-written duration parsers. Byte 0 picks the parser, the rest is the text.
//!
//! Even: `spire_config::parse_go_duration` (Go's `time.ParseDuration` syntax). Never panics;
//! an accepted unsigned text gives the same value with a `+` in front and an error with a `-`
//! (unless zero); the text splits at byte 1's position into two accepted halves only if the
//! whole is their sum (or out of Go's range when the sum is); `format_go_duration` of the whole
//! seconds parses back to them.
//!
//! Odd: `spire_edge_core::config::parse_duration` (`500ms`, `30s`, `2m`, `1h`, bare seconds).
//! Never panics; accepts exactly what a checked reference computes, and only non-zero values.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use spire_config::{DurationError, format_go_duration, parse_go_duration};

/// Go's `time.Duration` range.
const MAX: Duration = Duration::new(i64::MAX as u64 / 1_000_000_000, (i64::MAX % 1_000_000_000) as u32);

fuzz_target!(|data: &[u8]| {
    let Some((&control, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if control % 2 == 0 {
        go_duration(text, usize::from(control / 2));
    } else {
        edge_duration(text);
    }
});

fn go_duration(text: &str, split: usize) {
    let parsed = parse_go_duration(text);
    let Ok(d) = parsed else {
        return;
    };
    assert!(d <= MAX, "{text:?} gave {d:?}, beyond Go's range");
    let unsigned = !text.starts_with(['+', '-']);
    if unsigned {
        assert_eq!(parse_go_duration(&format!("+{text}")), Ok(d));
        let negative = parse_go_duration(&format!("-{text}"));
        if d.is_zero() {
            assert_eq!(negative, Ok(Duration::ZERO));
        } else {
            assert!(matches!(negative, Err(DurationError::Negative(_))), "-{text:?}: {negative:?}");
        }
    }
    let whole = Duration::from_secs(d.as_secs());
    assert_eq!(parse_go_duration(&format_go_duration(whole)), Ok(whole), "format of {whole:?}");

    if unsigned && text.is_char_boundary(split.min(text.len())) {
        let (a, b) = text.split_at(split.min(text.len()));
        if a.is_empty() || b.is_empty() || a == "0" || b == "0" || b.starts_with(['+', '-']) {
            return;
        }
        if let (Ok(da), Ok(db)) = (parse_go_duration(a), parse_go_duration(b)) {
            match da.checked_add(db).filter(|sum| *sum <= MAX) {
                Some(sum) => assert_eq!(d, sum, "{a:?} + {b:?}"),
                None => panic!("{text:?} accepted although {a:?} + {b:?} overflows"),
            }
        }
    }
    // The other direction: two accepted halves whose sum fits must parse whole.
    if unsigned && !text.is_empty() {
        let doubled = format!("{text}{text}");
        if text != "0" {
            match d.checked_add(d).filter(|sum| *sum <= MAX) {
                Some(sum) => assert_eq!(parse_go_duration(&doubled), Ok(sum), "{doubled:?}"),
                None => assert!(
                    matches!(parse_go_duration(&doubled), Err(DurationError::OutOfRange(_))),
                    "{doubled:?} should be out of range"
                ),
            }
        }
    }
}

fn edge_duration(text: &str) {
    let expected = edge_reference(text);
    let got = spire_edge_core::config::parse_duration(text).ok();
    assert_eq!(got, expected, "{text:?}");
}

/// `parse_duration` computed with checked arithmetic: `None` where it must refuse.
fn edge_reference(text: &str) -> Option<Duration> {
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let secs_per_unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "ms" => return Some(Duration::from_millis(n)).filter(|d| !d.is_zero()),
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(secs_per_unit)?)).filter(|d| !d.is_zero())
}
