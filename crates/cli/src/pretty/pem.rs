//! PEM blocks as Go's `encoding/pem` writes them: 64-column base64, `\n` line ends.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One PEM block of type `label` holding `der`.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Splits concatenated DER certificates (SPIRE allows several in one
/// `asn1` field) into one slice per top-level SEQUENCE.
pub fn split_der_sequence(mut der: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut certs = Vec::new();
    while !der.is_empty() {
        let len = der_element_len(der)?;
        certs.push(&der[..len]);
        der = &der[len..];
    }
    if certs.is_empty() {
        return Err("x509: malformed certificate".to_owned());
    }
    Ok(certs)
}

fn der_element_len(der: &[u8]) -> Result<usize, String> {
    let malformed = || "x509: malformed certificate".to_owned();
    if der.first() != Some(&0x30) {
        return Err(malformed());
    }
    let first = *der.get(1).ok_or_else(malformed)?;
    let (header, body) = if first < 0x80 {
        (2usize, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(malformed());
        }
        let bytes = der.get(2..2 + n).ok_or_else(malformed)?;
        (
            2 + n,
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
        )
    };
    let total = header.checked_add(body).ok_or_else(malformed)?;
    if total > der.len() {
        return Err(malformed());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_base64_at_64_columns_with_lf() {
        let block = pem_block("CERTIFICATE", &[0u8; 60]);
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2], "AAAAAAAAAAAAAAAA");
        assert_eq!(lines[3], "-----END CERTIFICATE-----");
        assert!(!block.contains('\r'));
    }

    #[test]
    fn splits_concatenated_sequences_and_rejects_truncation() {
        let der = [0x30, 0x01, 0xAA, 0x30, 0x81, 0x01, 0xBB];
        assert_eq!(split_der_sequence(&der), Ok(vec![&der[..3], &der[3..]]));
        assert!(split_der_sequence(&[0x30, 0x05, 0x00]).is_err());
        assert!(split_der_sequence(&[0x02, 0x01, 0x00]).is_err());
    }
}
