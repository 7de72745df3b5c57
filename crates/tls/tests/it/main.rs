//! The security edge of spire-tls, one test per rule, in the style of rustls-webpki's tests:
//! each certificate is generated here (rcgen) to break exactly one rule of an X509-SVID or of
//! the server-ID check, and the test is named after that rule.
//!
//! - `server_id`: what the agent accepts as the SPIRE server (`ServerIdVerifier`).
//! - `peer_id`: the SPIFFE ID read from a peer's leaf (`peer_spiffe_id`).
//! - `client_verifier`: the client SVIDs the server's TCP endpoint accepts
//!   (`BundleClientVerifier`).
//! - `resolver`: the server SVID holder (`SvidResolver`).

mod client_verifier;
mod peer_id;
mod pki;
mod resolver;
mod server_id;
