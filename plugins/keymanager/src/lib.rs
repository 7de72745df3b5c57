//! Built-in KeyManager plugins: `memory` (keys live and die with the process) and `disk`
//! (keys persisted as PKCS#8 in SPIRE's `keys.json` layout, written crash-safely with mode
//! 0600). Both implement [`spire_plugin::KeyManager`] and pass its conformance suite.
//!
//! This crate must NOT hand private key bytes to callers: only public keys (SPKI DER) and
//! signatures leave it. It does no network I/O and never logs key material.

pub mod disk;
pub mod memory;
mod software_key;

pub use disk::{DiskKeyManager, DiskKeyManagerError};
pub use memory::MemoryKeyManager;
