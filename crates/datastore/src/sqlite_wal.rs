//! The 32-byte header of a SQLite write-ahead log (`<db>-wal`), checked before the database is
//! opened. Sans-IO: [`parse_header`] looks at bytes only.
//!
//! Why: when the header is damaged SQLite does not complain; it treats the log as empty, so
//! every transaction not yet checkpointed into the database file silently disappears (a server
//! restarted with 0 entries and 0 agents), and the next checkpoint makes that permanent. The
//! server refuses to open such a database instead, leaving the files for the operator.
//!
//! Layout (<https://www.sqlite.org/fileformat.html#the_write_ahead_log>), big-endian words:
//! magic, format version, page size, checkpoint sequence, salt-1, salt-2, checksum-1,
//! checksum-2; the checksum covers the first 24 bytes.

/// Length of the WAL header.
pub const HEADER_LEN: usize = 32;

/// The magic number without its low bit, which says the checksum's byte order.
const MAGIC: u32 = 0x377f_0682;
/// The only WAL format version there is (SQLite 3.7.0).
const FORMAT_VERSION: u32 = 3_007_000;

/// What a valid header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    /// The database page size in bytes (a power of two, 512..=65536).
    pub page_size: u32,
    /// Checksums read the log as big-endian words (magic `0x377f0683`).
    pub big_endian_checksums: bool,
    pub checkpoint_sequence: u32,
    pub salts: [u32; 2],
}

/// Why a WAL header is not one SQLite wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalHeaderError {
    #[error("{len} bytes is shorter than the {HEADER_LEN}-byte header")]
    TooShort { len: usize },
    #[error("bad magic number {0:#010x}")]
    BadMagic(u32),
    #[error("unknown format version {0}")]
    BadVersion(u32),
    #[error("page size {0} is not a power of two between 512 and 65536")]
    BadPageSize(u32),
    #[error("header checksum {stored:08x?} does not match the header ({computed:08x?})")]
    BadChecksum {
        stored: [u32; 2],
        computed: [u32; 2],
    },
}

/// Checks the header at the start of `wal` (the whole file or at least its first 32 bytes).
pub fn parse_header(wal: &[u8]) -> Result<WalHeader, WalHeaderError> {
    let header: &[u8; HEADER_LEN] = wal
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(WalHeaderError::TooShort { len: wal.len() })?;
    let word =
        |i: usize| u32::from_be_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let magic = word(0);
    if magic & !1 != MAGIC {
        return Err(WalHeaderError::BadMagic(magic));
    }
    let version = word(4);
    if version != FORMAT_VERSION {
        return Err(WalHeaderError::BadVersion(version));
    }
    let page_size = word(8);
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Err(WalHeaderError::BadPageSize(page_size));
    }
    let big_endian_checksums = magic & 1 == 1;
    let computed = checksum(&header[..24], big_endian_checksums);
    let stored = [word(24), word(28)];
    if computed != stored {
        return Err(WalHeaderError::BadChecksum { stored, computed });
    }
    Ok(WalHeader {
        page_size,
        big_endian_checksums,
        checkpoint_sequence: word(12),
        salts: [word(16), word(20)],
    })
}

/// SQLite's WAL checksum (`walChecksumBytes`) over `data`, whose length is a multiple of 8:
/// a Fibonacci-weighted sum of 32-bit words read in the given byte order.
pub fn checksum(data: &[u8], big_endian: bool) -> [u32; 2] {
    let (mut s0, mut s1) = (0u32, 0u32);
    for pair in data.chunks_exact(8) {
        let read = |b: &[u8]| {
            let bytes = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(bytes)
            } else {
                u32::from_le_bytes(bytes)
            }
        };
        s0 = s0.wrapping_add(read(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(read(&pair[4..])).wrapping_add(s0);
    }
    [s0, s1]
}

#[cfg(test)]
mod tests;
