//! JWT-SVIDs as SPIRE makes them: minted through a KeyManager key (compact JWS, header `alg`,
//! `kid`, `typ: JWT`; claims `aud`, `exp`, `iat`, optional `iss`/`jti`, `sub`) and validated
//! against the JWT authorities of the subject's trust-domain bundle.
//!
//! Neither side reads the clock: `iat`/`exp` come in with the claims and validation takes
//! `now_unix`. Key ids come from an injected RNG.

mod algorithm;
mod ecdsa_signature;
mod error;
mod mint;
mod validate;

#[cfg(test)]
mod tests;

pub use algorithm::Algorithm;
pub use error::JwtError;
pub use mint::{JwtSvidClaims, mint_jwt_svid};
pub use validate::{CLOCK_SKEW_LEEWAY_SECS, MAX_TOKEN_BYTES, ValidatedJwtSvid, validate_jwt_svid};

use rand::Rng;
use rand::distr::Alphanumeric;

/// Length of the key ids SPIRE gives JWT signing keys.
pub const KID_LEN: usize = 32;

/// A fresh JWT key id: 32 characters from `[a-zA-Z0-9]`, as SPIRE generates them.
pub fn generate_kid(rng: &mut impl Rng) -> String {
    (0..KID_LEN)
        .map(|_| char::from(rng.sample(Alphanumeric)))
        .collect()
}
