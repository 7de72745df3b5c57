//! `spire_datastore::sqlite_wal::parse_header` never panics; what it accepts obeys SQLite's
//! rules (magic, version, page size, checksum over the first 24 bytes), any single flipped bit
//! in an accepted header is refused, and a header rebuilt from the input's fields with its
//! checksum recomputed is accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spire_datastore::sqlite_wal::{HEADER_LEN, checksum, parse_header};

fuzz_target!(|input: &[u8]| {
    let Ok(header) = parse_header(input) else {
        check_rebuilt(input);
        return;
    };
    assert!(header.page_size.is_power_of_two());
    assert!((512..=65536).contains(&header.page_size));
    let be = header.big_endian_checksums;
    let sum = checksum(&input[..24], be);
    assert_eq!(input[24..28], sum[0].to_be_bytes());
    assert_eq!(input[28..32], sum[1].to_be_bytes());
    for bit in 0..HEADER_LEN * 8 {
        let mut flipped = input[..HEADER_LEN].to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(
            parse_header(&flipped).is_err(),
            "bit {bit} flipped was accepted"
        );
    }
});

/// Sets magic, version and page size legal, recomputes the checksum: must be accepted.
fn check_rebuilt(input: &[u8]) {
    let mut header = [0u8; HEADER_LEN];
    let n = input.len().min(HEADER_LEN);
    header[..n].copy_from_slice(&input[..n]);
    let big_endian = header[3] & 1 == 1;
    header[..4].copy_from_slice(&(0x377f_0682u32 | u32::from(big_endian)).to_be_bytes());
    header[4..8].copy_from_slice(&3_007_000u32.to_be_bytes());
    let shift = 9 + u32::from(header[11] % 8);
    header[8..12].copy_from_slice(&(1u32 << shift).to_be_bytes());
    let [c0, c1] = checksum(&header[..24], big_endian);
    header[24..28].copy_from_slice(&c0.to_be_bytes());
    header[28..32].copy_from_slice(&c1.to_be_bytes());
    let parsed = parse_header(&header).expect("a rebuilt header is valid");
    assert_eq!(parsed.page_size, 1 << shift);
    assert_eq!(parsed.big_endian_checksums, big_endian);
}
