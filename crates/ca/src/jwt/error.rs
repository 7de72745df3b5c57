//! Why a JWT-SVID could not be minted or was refused: one variant per rule.

use spire_plugin::KeyManagerError;
use spire_spiffe::SpiffeIdError;

/// A JWT-SVID minting failure or a validation rule a token broke.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    // --- minting ---
    #[error("JWT-SVID audience must hold at least one non-empty value")]
    EmptyAudience,
    #[error("JWT-SVID key id (kid) must not be empty")]
    EmptyKeyId,
    #[error("signing the JWT-SVID failed: {0}")]
    Sign(#[source] KeyManagerError),
    #[error("the key manager returned a malformed ECDSA signature")]
    MalformedEcdsaSignature,

    // --- token structure ---
    #[error("token is {len} bytes long, more than the {max} allowed")]
    TooLarge { len: usize, max: usize },
    #[error("token must have exactly three '.'-separated segments, found {0}")]
    SegmentCount(usize),
    #[error("token {segment} is not valid unpadded base64url")]
    Base64 { segment: &'static str },
    #[error("token {segment} is not a JSON object: {message}")]
    Json {
        segment: &'static str,
        message: String,
    },

    // --- header ---
    #[error("token header has no \"alg\"")]
    MissingAlgorithm,
    #[error("token algorithm \"none\" is never accepted")]
    AlgorithmNone,
    #[error("token uses HMAC algorithm {0:?}; JWT-SVIDs are signed with public-key algorithms")]
    HmacAlgorithm(String),
    #[error("token algorithm {0:?} is not supported (RS/PS/ES 256/384/512 are)")]
    UnsupportedAlgorithm(String),
    #[error("token header has no \"kid\"")]
    MissingKeyId,
    #[error("token header \"typ\" is {0:?}; only \"JWT\" or \"JOSE\" are allowed")]
    UnsupportedType(String),
    #[error("token header marks extensions {0:?} critical; none are understood")]
    CriticalHeader(String),

    // --- claims ---
    #[error("token has no \"sub\" claim")]
    MissingSubject,
    #[error("token subject {sub:?} is not a SPIFFE ID: {source}")]
    InvalidSubject {
        sub: String,
        #[source]
        source: SpiffeIdError,
    },
    #[error("token has no \"exp\" claim")]
    MissingExpiry,
    #[error("token claim {0:?} has the wrong JSON type")]
    ClaimType(&'static str),
    #[error("token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    #[error("token is not valid before {nbf} (now {now})")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("token was issued in the future at {iat} (now {now})")]
    IssuedInFuture { iat: i64, now: i64 },
    #[error("token has no \"aud\" claim")]
    MissingAudience,
    #[error("no expected audience was given to validate the token against")]
    NoExpectedAudience,
    #[error("expected audience in {expected:?} (audience={actual:?})")]
    AudienceMismatch {
        expected: Vec<String>,
        actual: Vec<String>,
    },

    // --- keys and signature ---
    #[error("no bundle for trust domain {0:?}")]
    NoBundle(String),
    #[error("public key {kid:?} not found in trust domain {trust_domain:?}")]
    KeyNotFound { kid: String, trust_domain: String },
    #[error("token signature does not verify")]
    BadSignature,
}
