//! CA and JWT-key rotation, sans-IO: [`Authorities`] owns the KeyManager and the slot state,
//! and [`Authorities::tick`] (called every ~10 s by the server) says what to publish.
//!
//! Not done here: resuming slots from the CA journal after a restart (a fresh `Authorities`
//! always starts by preparing slot A), upstream-signed CAs, and forced rotation/tainting.

mod authorities;
mod prune;
mod schedule;

pub use authorities::{
    Authorities, AuthorityParams, AuthorityState, JWT_SIGNER_KEY_PREFIX, JwtKey, RotationEvent,
    X509_CA_KEY_PREFIX,
};
pub use prune::{PRUNE_GRACE, prune_bundle};
pub use schedule::{Slot, SlotLetter, SlotStatus, activation_threshold, preparation_threshold};
