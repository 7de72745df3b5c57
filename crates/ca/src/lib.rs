//! The certificate authority of a trust domain, sans-IO: CSR policy, X.509 CA and SVID
//! templates as SPIRE makes them, JWT-SVID minting and validation, and the CA/JWT-key rotation
//! state machine. Time comes in through [`clock::Clock`]; keys are reached only through the
//! KeyManager trait (`spire_plugin::Key`), so private key bytes never enter this crate.
//!
//! This crate does no network or file I/O and never reads the system clock directly.

pub mod clock;
pub mod csr;
pub mod jwt;
pub mod renewal;
pub mod rotation;
pub mod x509;
