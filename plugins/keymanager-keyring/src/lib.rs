//! The `keyring` KeyManager: private keys are generated in memory with aws-lc-rs and stored
//! only in a Linux kernel keyring (`session`, `user` or `process`) as `user` keys holding their
//! PKCS#8 DER. Signing reads the key back from the keyring, signs and drops the bytes; nothing
//! is ever written to disk, so a data_dir scan finds no key material.
//!
//! The trade-off: kernel keyrings do not survive a reboot (nor, for `process`, the agent
//! process), so the node re-attests after one. This crate must NOT hand private key bytes to
//! callers or log them; only public keys (SPKI DER) and signatures leave it.

mod config;
mod keyring;
mod signer;

pub use config::{DEFAULT_PREFIX, KeyringConfig, KeyringConfigError, KeyringType};
pub use keyring::{KeyringKeyManager, probe};
