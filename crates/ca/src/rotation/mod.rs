//! CA and JWT-key rotation, sans-IO: [`Authorities`] owns the KeyManager and the slot state,
//! and [`Authorities::tick`] (called every ~10 s by the server) says what to publish.
//!
//! [`Authorities::resume`] picks the slots up again from the CA journal after a restart;
//! [`Authorities::journal`] is what the server stores after every tick that changed something.
//!
//! Not done here: upstream-signed CAs, and forced rotation/tainting.

mod authorities;
mod journal;
mod prune;
mod resume;
mod schedule;

pub use authorities::{
    Authorities, AuthorityParams, AuthorityState, JWT_SIGNER_KEY_PREFIX, JwtKey, RotationEvent,
    X509_CA_KEY_PREFIX,
};
pub use journal::{
    Journal, JournalDecodeError, JournalEntries, JournalStatus, JwtKeyEntry, X509CaEntry,
};
pub use prune::{PRUNE_GRACE, prune_bundle};
pub use resume::{PublishedAuthorities, SkipReason, SkippedEntry};
pub use schedule::{Slot, SlotLetter, SlotStatus, activation_threshold, preparation_threshold};
