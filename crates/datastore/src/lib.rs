//! Persistent state of the SPIRE server: bundles, attested agents and their selectors,
//! registration entries and join tokens, behind the [`DataStore`] trait.
//!
//! [`sql::SqlDataStore`] implements it on SQL with SPIRE's own schema (same tables,
//! columns and `migrations` row), so a database can be shared with or taken over from the
//! Go server. [`conformance`] holds the behaviour suite every implementation must pass.
//!
//! This crate must NOT authorize callers, validate SPIFFE ID syntax beyond emptiness,
//! sign anything, or cache: those belong to the API layer, `spire-spiffe` and `spire-ca`.

pub mod bundle_codec;
pub mod conformance;

pub mod error;
pub mod query;
pub mod records;
pub mod sql;
pub mod sqlite_wal;

pub mod store;

pub use error::DataStoreError;
pub use query::{
    AttestedNodeFilter, BundleDeleteMode, EntryFilter, FederatesWithMatch, MAX_PAGE_SIZE,
    MatchBehavior, Page, Pagination, SelectorMatch,
};
pub use records::{
    AttestedNode, AttestedNodeMask, CaJournal, EntryEvent, EntryMask, JoinToken, RegistrationEntry,
};
pub use sql::{SqlConfig, SqlDataStore};

pub use store::DataStore;
