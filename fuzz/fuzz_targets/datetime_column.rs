//! The datastore's datetime column reader (`2006-01-02 15:04:05-07:00`, as Go's sqlite driver
//! writes it). Byte 0 picks the mode. Even: the rest is column text; reading it never panics,
//! and a value read formats to text that reads back to the same value. Odd: the rest, as a
//! little-endian i64, is a timestamp; when it can be formatted it reads back equal, also with a
//! `T` separator, a `Z` suffix or fractional seconds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spire_datastore::sql::timefmt::{format, parse};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        if let Ok(unix) = parse(text, "fuzz") {
            if let Ok(shown) = format(unix) {
                assert_eq!(parse(&shown, "fuzz").ok(), Some(unix), "{text:?} -> {shown:?}");
            }
        }
    } else {
        let mut bytes = [0u8; 8];
        let n = rest.len().min(8);
        bytes[..n].copy_from_slice(&rest[..n]);
        let unix = i64::from_le_bytes(bytes);
        let Ok(shown) = format(unix) else {
            return;
        };
        assert_eq!(parse(&shown, "fuzz").ok(), Some(unix), "{shown:?}");
        let base = &shown[..shown.len() - "+00:00".len()];
        for variant in [
            format!("{}T{}Z", &base[..10], &base[11..]),
            format!("{base}.123456789+00:00"),
            format!("{base}Z"),
        ] {
            assert_eq!(parse(&variant, "fuzz").ok(), Some(unix), "{variant:?}");
        }
    }
});
