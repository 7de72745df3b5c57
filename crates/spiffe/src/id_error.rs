//! Why a SPIFFE ID or trust domain was refused: one variant per rule of the SPIFFE-ID standard.

use crate::id_rules::{MAX_SPIFFE_ID_LEN, MAX_TRUST_DOMAIN_LEN};

/// A rule of the SPIFFE-ID standard (or of SPIRE's stricter reading of it) that an input broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpiffeIdError {
    #[error("SPIFFE ID is empty")]
    Empty,
    #[error("SPIFFE ID must start with the scheme \"spiffe://\"")]
    MissingScheme,
    #[error("SPIFFE ID scheme {0:?} must be lowercase \"spiffe\"")]
    UppercaseScheme(String),
    #[error("SPIFFE ID scheme {0:?} is not \"spiffe\"")]
    WrongScheme(String),
    #[error("SPIFFE ID is {len} bytes long, more than the {MAX_SPIFFE_ID_LEN} allowed")]
    TooLong { len: usize },
    #[error("SPIFFE ID or trust domain contains non-ASCII characters")]
    NonAscii,
    #[error("SPIFFE ID must not contain a query ('?')")]
    Query,
    #[error("SPIFFE ID must not contain a fragment ('#')")]
    Fragment,
    #[error("trust domain is missing")]
    EmptyTrustDomain,
    #[error("trust domain must not contain user info ('@')")]
    UserInfo,
    #[error("trust domain must not contain a port or ':'")]
    Port,
    #[error("trust domain is {len} bytes long, more than the {MAX_TRUST_DOMAIN_LEN} allowed")]
    TrustDomainTooLong { len: usize },
    #[error("trust domain must be lowercase, found {ch:?}")]
    UppercaseTrustDomain { ch: char },
    #[error(
        "trust domain contains {ch:?}; only lowercase letters, digits, '.', '-' and '_' are allowed"
    )]
    BadTrustDomainChar { ch: char },
    #[error("trust domain name must be given without the \"spiffe://\" scheme")]
    SchemeInTrustDomainName,
    #[error("path must start with '/'")]
    PathNotAbsolute,
    #[error("path must not contain '.' or '..' segments")]
    DotSegment,
    #[error("path must not contain empty segments ('//')")]
    EmptySegment,
    #[error("path must not end with '/'")]
    TrailingSlash,
    #[error("path must not contain percent-encoded characters ('%')")]
    PercentEncoded,
    #[error("path contains {ch:?}; only letters, digits, '.', '-' and '_' are allowed")]
    BadPathChar { ch: char },
}
