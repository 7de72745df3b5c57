//! Certificate serial numbers: random in [1, 2^128), as SPIRE's `x509util.NewSerialNumber`.

use rcgen::SerialNumber;

use super::CaError;

/// A fresh random serial number and its decimal form (SPIRE copies it into the CA subject).
pub(crate) fn random_serial() -> Result<(SerialNumber, String), CaError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CaError::RandomUnavailable)?;
    // Zero is not a valid serial; mapping it to 1 keeps the range [1, 2^128).
    let value = u128::from_be_bytes(bytes).max(1);
    Ok((
        SerialNumber::from_slice(&value.to_be_bytes()),
        value.to_string(),
    ))
}
