//! ECDSA signatures come out of the KeyManager as DER `Ecdsa-Sig-Value` (what X.509 wants);
//! JWS wants the fixed-width `r || s` form (RFC 7518 §3.4). This converts between the two.

use super::JwtError;

/// Converts a DER `SEQUENCE { INTEGER r, INTEGER s }` into `r || s`, each left-padded with
/// zeros to `scalar_len` bytes.
pub(super) fn der_to_fixed(der: &[u8], scalar_len: usize) -> Result<Vec<u8>, JwtError> {
    let (body, rest) = read_tlv(der, 0x30)?;
    if !rest.is_empty() {
        return Err(JwtError::MalformedEcdsaSignature);
    }
    let (r, body) = read_tlv(body, 0x02)?;
    let (s, body) = read_tlv(body, 0x02)?;
    if !body.is_empty() {
        return Err(JwtError::MalformedEcdsaSignature);
    }
    let mut out = Vec::with_capacity(2 * scalar_len);
    for scalar in [r, s] {
        push_padded(&mut out, scalar, scalar_len)?;
    }
    Ok(out)
}

/// Reads one DER element of `tag`, returning its contents and what follows it.
fn read_tlv(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), JwtError> {
    let bad = || JwtError::MalformedEcdsaSignature;
    let (&found, input) = input.split_first().ok_or_else(bad)?;
    if found != tag {
        return Err(bad());
    }
    let (&first, input) = input.split_first().ok_or_else(bad)?;
    let (len, input) = match first {
        short if short < 0x80 => (usize::from(short), input),
        0x81 => {
            let (&len, input) = input.split_first().ok_or_else(bad)?;
            (usize::from(len), input)
        }
        // ECDSA signatures up to P-521 never need more than one length byte.
        _ => return Err(bad()),
    };
    if input.len() < len {
        return Err(bad());
    }
    Ok(input.split_at(len))
}

fn push_padded(out: &mut Vec<u8>, scalar: &[u8], scalar_len: usize) -> Result<(), JwtError> {
    // DER integers carry a leading zero when the top bit is set; strip all leading zeros.
    let start = scalar.iter().position(|&b| b != 0).unwrap_or(scalar.len());
    let digits = &scalar[start..];
    if digits.len() > scalar_len {
        return Err(JwtError::MalformedEcdsaSignature);
    }
    out.resize(out.len() + scalar_len - digits.len(), 0);
    out.extend_from_slice(digits);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_sign_byte_and_left_pads_short_scalars() {
        // r = 0x00 0x80 .. (33 bytes with sign byte), s = 0x05 (1 byte)
        let mut r = vec![0x00, 0x80];
        r.extend(std::iter::repeat_n(0x11, 31));
        let mut der = vec![0x30, (2 + r.len() + 3) as u8, 0x02, r.len() as u8];
        der.extend(&r);
        der.extend([0x02, 0x01, 0x05]);
        let fixed = der_to_fixed(&der, 32).expect("valid DER");
        assert_eq!(fixed.len(), 64);
        assert_eq!(fixed[0], 0x80);
        assert_eq!(&fixed[32..63], &[0u8; 31]);
        assert_eq!(fixed[63], 0x05);
    }

    #[test]
    fn rejects_scalar_wider_than_curve() {
        let mut der = vec![0x30, 38, 0x02, 33];
        der.extend([0x01; 33]);
        der.extend([0x02, 0x01, 0x01]);
        assert!(matches!(
            der_to_fixed(&der, 32),
            Err(JwtError::MalformedEcdsaSignature)
        ));
    }

    #[test]
    fn rejects_truncated_der() {
        assert!(matches!(
            der_to_fixed(&[0x30, 0x06, 0x02, 0x01], 32),
            Err(JwtError::MalformedEcdsaSignature)
        ));
    }
}
