use super::*;

/// The header of a WAL that SQLite 3 (Python's sqlite3, x86-64) wrote for one small
/// transaction: little-endian checksums, 4096-byte pages.
const SQLITE_WRITTEN: &str = "377f0682002de21800001000000000005f33be0420883128d9a53672b9be9637";

/// The same header with the big-endian magic; checksum computed independently (Python).
const BIG_ENDIAN: &str = "377f0683002de21800001000000000005f33be04208831287538a4db3c99bdbc";

fn bytes(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text).expect("hex constant")
}

#[test]
fn accepts_a_header_sqlite_wrote() {
    let header = parse_header(&bytes(SQLITE_WRITTEN)).expect("valid");
    assert_eq!(
        header,
        WalHeader {
            page_size: 4096,
            big_endian_checksums: false,
            checkpoint_sequence: 0,
            salts: [0x5f33_be04, 0x2088_3128],
        }
    );
}

#[test]
fn accepts_big_endian_checksums() {
    let header = parse_header(&bytes(BIG_ENDIAN)).expect("valid");
    assert!(header.big_endian_checksums);
}

#[test]
fn frames_after_the_header_do_not_matter() {
    let mut wal = bytes(SQLITE_WRITTEN);
    wal.extend_from_slice(&[0xAA; 4096]);
    assert!(parse_header(&wal).is_ok());
}

#[test]
fn refuses_a_short_file() {
    let wal = bytes(SQLITE_WRITTEN);
    assert_eq!(
        parse_header(&wal[..31]),
        Err(WalHeaderError::TooShort { len: 31 })
    );
    assert_eq!(parse_header(&[]), Err(WalHeaderError::TooShort { len: 0 }));
}

#[test]
fn refuses_junk() {
    let junk = [0x41u8; 4096];
    assert_eq!(
        parse_header(&junk),
        Err(WalHeaderError::BadMagic(0x4141_4141))
    );
}

#[test]
fn refuses_an_unknown_version() {
    let mut wal = bytes(SQLITE_WRITTEN);
    wal[7] ^= 1;
    assert!(matches!(
        parse_header(&wal),
        Err(WalHeaderError::BadVersion(3_007_001))
    ));
}

#[test]
fn refuses_bad_page_sizes() {
    for size in [0u32, 256, 1000, 131_072, u32::MAX] {
        let mut wal = bytes(SQLITE_WRITTEN);
        wal[8..12].copy_from_slice(&size.to_be_bytes());
        assert_eq!(
            parse_header(&wal),
            Err(WalHeaderError::BadPageSize(size)),
            "{size}"
        );
    }
}

#[test]
fn accepts_every_legal_page_size_with_its_checksum() {
    for shift in 9..=16 {
        let mut wal = bytes(SQLITE_WRITTEN);
        wal[8..12].copy_from_slice(&(1u32 << shift).to_be_bytes());
        let [c0, c1] = checksum(&wal[..24], false);
        wal[24..28].copy_from_slice(&c0.to_be_bytes());
        wal[28..32].copy_from_slice(&c1.to_be_bytes());
        assert_eq!(parse_header(&wal).map(|h| h.page_size), Ok(1 << shift));
    }
}

#[test]
fn any_flipped_bit_in_the_checksummed_part_or_checksum_is_caught() {
    let good = bytes(SQLITE_WRITTEN);
    for bit in 0..HEADER_LEN * 8 {
        let mut wal = good.clone();
        wal[bit / 8] ^= 1 << (bit % 8);
        assert!(
            parse_header(&wal).is_err(),
            "bit {bit} flipped went unnoticed"
        );
    }
}
