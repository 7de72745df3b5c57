//! Re-encoding of one HTTP/2 request header block: HPACK-decoded with the client's dynamic
//! table, re-encoded as "literal without indexing, new name" representations (valid whatever
//! the peer's table size, and leaving the server's table untouched), with an `:authority`
//! that is not a valid URI authority replaced by `localhost`.
//!
//! Every other header keeps its name, value and order. It never panics on malformed input:
//! decoding errors are returned and the caller closes the connection.

use loona_hpack::Decoder;
use tonic::codegen::http::uri::Authority;

/// The authority a C-core or Java client's socket-path `:authority` is replaced with (what Go
/// clients send on a Unix socket).
pub const REPLACEMENT_AUTHORITY: &[u8] = b"localhost";

/// Largest dynamic table the client may use: SETTINGS_HEADER_TABLE_SIZE's initial value,
/// which tonic's server never raises.
pub const MAX_DYNAMIC_TABLE_SIZE: usize = 4096;

/// Largest decoded header list accepted (RFC 7541 sizes: name + value + 32 per field). It
/// bounds what a small block of indexed references can expand to.
pub const MAX_DECODED_HEADER_LIST: usize = 256 * 1024;

/// Why a header block could not be re-encoded.
#[derive(Debug, thiserror::Error)]
pub enum HeaderBlockError {
    #[error("HPACK decoding of a request header block failed: {0}")]
    Hpack(String),
    #[error("decoded request header list exceeds {MAX_DECODED_HEADER_LIST} bytes")]
    TooLarge,
}

/// The HPACK state of one connection's client→server direction.
pub struct HeaderBlockRewriter {
    decoder: Decoder<'static>,
}

impl std::fmt::Debug for HeaderBlockRewriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderBlockRewriter")
            .finish_non_exhaustive()
    }
}

impl Default for HeaderBlockRewriter {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderBlockRewriter {
    pub fn new() -> Self {
        let mut decoder = Decoder::new();
        decoder.set_max_allowed_table_size(MAX_DYNAMIC_TABLE_SIZE);
        Self { decoder }
    }

    /// Decodes the complete header block `block` (all its fragments joined) and returns it
    /// re-encoded.
    pub fn rewrite(&mut self, block: &[u8]) -> Result<Vec<u8>, HeaderBlockError> {
        let mut out = Vec::with_capacity(block.len() * 2);
        let mut decoded_size = 0usize;
        let mut too_large = false;
        self.decoder
            .decode_with_cb(block, |name, value| {
                decoded_size = decoded_size.saturating_add(name.len() + value.len() + 32);
                if decoded_size > MAX_DECODED_HEADER_LIST {
                    too_large = true;
                    return;
                }
                let value: &[u8] = if name.as_ref() == b":authority" && !is_valid_authority(&value)
                {
                    REPLACEMENT_AUTHORITY
                } else {
                    &value
                };
                encode_literal_without_indexing(&name, value, &mut out);
            })
            .map_err(|e| HeaderBlockError::Hpack(e.to_string()))?;
        if too_large {
            return Err(HeaderBlockError::TooLarge);
        }
        Ok(out)
    }
}

/// Whether `value` parses as a URI authority the way the HTTP/2 server under tonic parses it.
pub fn is_valid_authority(value: &[u8]) -> bool {
    !value.is_empty() && Authority::try_from(value).is_ok()
}

/// RFC 7541 §6.2.2 with a literal name: `0000 0000`, name string, value string; strings
/// without Huffman coding.
pub fn encode_literal_without_indexing(name: &[u8], value: &[u8], out: &mut Vec<u8>) {
    out.push(0x00);
    encode_string(name, out);
    encode_string(value, out);
}

/// RFC 7541 §5.2 string literal, H = 0.
fn encode_string(bytes: &[u8], out: &mut Vec<u8>) {
    encode_integer(bytes.len(), 7, 0x00, out);
    out.extend_from_slice(bytes);
}

/// RFC 7541 §5.1 integer with an `prefix_bits`-bit prefix; `first_byte_flags` holds the bits
/// above the prefix.
pub fn encode_integer(mut value: usize, prefix_bits: u8, first_byte_flags: u8, out: &mut Vec<u8>) {
    let max_prefix = (1usize << prefix_bits) - 1;
    if value < max_prefix {
        // Fits in the prefix: value < 2^prefix_bits <= 128, so the cast is exact.
        out.push(first_byte_flags | value as u8);
        return;
    }
    out.push(first_byte_flags | max_prefix as u8);
    value -= max_prefix;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

#[cfg(test)]
#[path = "header_block_tests.rs"]
mod tests;
