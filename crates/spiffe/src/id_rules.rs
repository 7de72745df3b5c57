//! The character and shape rules shared by [`crate::TrustDomain`] and [`crate::SpiffeId`].
//!
//! Inputs are checked as they are; nothing is lowercased, decoded or trimmed, so a value that
//! passes is byte-for-byte the value that is stored and later compared.

use crate::SpiffeIdError;

/// Longest SPIFFE ID accepted, in bytes (SPIFFE-ID standard §2.3).
pub const MAX_SPIFFE_ID_LEN: usize = 2048;
/// Longest trust domain name accepted, in bytes (the RFC 3986 host limit).
pub const MAX_TRUST_DOMAIN_LEN: usize = 255;
/// The only scheme a SPIFFE ID may carry.
pub const SPIFFE_SCHEME: &str = "spiffe";
/// `spiffe://`, the prefix of every SPIFFE ID.
pub const SPIFFE_PREFIX: &str = "spiffe://";

/// Checks a trust domain name as it appears in the authority of a SPIFFE ID.
pub(crate) fn check_trust_domain_name(name: &str) -> Result<(), SpiffeIdError> {
    if name.is_empty() {
        return Err(SpiffeIdError::EmptyTrustDomain);
    }
    if !name.is_ascii() {
        return Err(SpiffeIdError::NonAscii);
    }
    // Authority parts are named before the generic character rule so the error says which
    // URI component was present rather than just "bad character".
    if name.contains('@') {
        return Err(SpiffeIdError::UserInfo);
    }
    if name.contains(':') {
        return Err(SpiffeIdError::Port);
    }
    if name.len() > MAX_TRUST_DOMAIN_LEN {
        return Err(SpiffeIdError::TrustDomainTooLong { len: name.len() });
    }
    for b in name.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {}
            b'A'..=b'Z' => return Err(SpiffeIdError::UppercaseTrustDomain { ch: char::from(b) }),
            b'?' => return Err(SpiffeIdError::Query),
            b'#' => return Err(SpiffeIdError::Fragment),
            other => {
                return Err(SpiffeIdError::BadTrustDomainChar {
                    ch: char::from(other),
                });
            }
        }
    }
    Ok(())
}

/// Checks a SPIFFE ID path: empty, or `/segment(/segment)*`.
pub(crate) fn check_path(path: &str) -> Result<(), SpiffeIdError> {
    if path.is_empty() {
        return Ok(());
    }
    if !path.is_ascii() {
        return Err(SpiffeIdError::NonAscii);
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(SpiffeIdError::PathNotAbsolute);
    };
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        check_segment(segment, segments.peek().is_none())?;
    }
    Ok(())
}

fn check_segment(segment: &str, is_last: bool) -> Result<(), SpiffeIdError> {
    if segment.is_empty() {
        return Err(if is_last {
            SpiffeIdError::TrailingSlash
        } else {
            SpiffeIdError::EmptySegment
        });
    }
    if segment == "." || segment == ".." {
        return Err(SpiffeIdError::DotSegment);
    }
    for b in segment.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {}
            b'?' => return Err(SpiffeIdError::Query),
            b'#' => return Err(SpiffeIdError::Fragment),
            b'%' => return Err(SpiffeIdError::PercentEncoded),
            other => {
                return Err(SpiffeIdError::BadPathChar {
                    ch: char::from(other),
                });
            }
        }
    }
    Ok(())
}
