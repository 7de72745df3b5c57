//! SPIFFE vocabulary: trust domains, SPIFFE IDs, selectors and trust bundles, parsed per the
//! SPIFFE standard (one error variant per rule).
//!
//! This crate does no I/O, reads no clock and holds no keys: it only parses, validates and
//! encodes values. Everything that signs or talks to the network lives elsewhere.

pub mod bundle;
pub mod selector;

pub use bundle::{Bundle, JwtAuthority, X509Authority};
pub use selector::{Selector, SelectorError};
