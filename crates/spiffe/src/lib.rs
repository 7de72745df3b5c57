//! SPIFFE vocabulary: trust domains, SPIFFE IDs, selectors and trust bundle documents, parsed
//! per the SPIFFE standard with one error variant per rule.
//!
//! This crate does no I/O, reads no clock and holds no private keys: it only parses, validates
//! and encodes values. Everything that signs, verifies signatures or talks to the network lives
//! elsewhere. It never normalises input (no case folding, no percent-decoding): a value that
//! parses is stored and compared byte-for-byte as given.

pub mod bundle;
mod der;
mod id_error;
mod id_rules;
mod json_out;
pub mod jwk;
pub mod selector;
mod spiffe_id;
mod trust_domain;

pub use bundle::{Bundle, BundleError, JwtAuthority, X509Authority};
pub use id_error::SpiffeIdError;
pub use id_rules::{MAX_SPIFFE_ID_LEN, MAX_TRUST_DOMAIN_LEN, SPIFFE_PREFIX, SPIFFE_SCHEME};
pub use jwk::{EcCurve, JwkError, JwkPublicKey};
pub use selector::{Selector, SelectorError};
pub use spiffe_id::SpiffeId;
pub use trust_domain::TrustDomain;
