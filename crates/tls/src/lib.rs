//! TLS for SPIRE endpoints, on rustls with the aws-lc-rs provider: a certificate resolver
//! whose SVID can be swapped while connections keep flowing, a client-certificate verifier
//! whose trust roots follow the bundle, and the server configuration SPIRE's TCP API uses
//! (TLS 1.2+, ALPN `h2`, client certificate requested but optional, no session resumption so
//! every handshake re-verifies the peer against the current bundle).
//!
//! This crate opens no sockets and holds no policy about who may call what: it reports the
//! peer's SPIFFE ID and leaves authorization to the services.

mod client;
mod key_signer;
mod peer;
mod resolver;
mod server;
mod server_verifier;
mod verifier;

pub use client::agent_client_config;
pub use key_signer::{KeyManagerSigningKey, KeyManagerSvidResolver};
pub use peer::{PeerIdError, peer_spiffe_id};
pub use resolver::{SvidResolver, SvidResolverError};
pub use server::server_config;
pub use server_verifier::{ServerIdVerifier, UnexpectedServerId};
pub use verifier::BundleClientVerifier;

/// The rustls crypto provider every config of this crate is built with.
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
