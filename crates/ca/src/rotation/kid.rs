//! JWT key ids as SPIRE makes them: 32 random characters from `[a-zA-Z0-9]`.

use crate::x509::CaError;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const KID_LEN: usize = 32;

pub(crate) fn random_kid() -> Result<String, CaError> {
    let mut kid = String::with_capacity(KID_LEN);
    let mut buf = [0u8; 64];
    while kid.len() < KID_LEN {
        aws_lc_rs::rand::fill(&mut buf).map_err(|_| CaError::RandomUnavailable)?;
        // Rejection sampling keeps every character equally likely (248 = 4 * 62).
        for b in buf.iter().filter(|b| **b < 248) {
            if kid.len() == KID_LEN {
                break;
            }
            kid.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
    }
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_32_alphanumeric_chars_and_fresh_each_time() {
        let a = random_kid().expect("system RNG works in tests");
        let b = random_kid().expect("system RNG works in tests");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
