//! X.509 credentials as SPIRE makes them: the self-signed server CA and the X509-SVIDs it
//! signs (workload, agent and server SVIDs share one template). Certificates are built with
//! rcgen and signed through the KeyManager, so the CA private key never enters this crate.

mod ca_cert;
mod error;
mod inspect;
mod serial;
mod signer;
mod svid;
pub(crate) mod time;

pub use ca_cert::{CaParams, CaSubject, DEFAULT_CA_TTL, self_signed_ca};
pub use error::CaError;
pub use inspect::{authority_id, cert_not_after, key_authority_id, subject_key_id};
pub use svid::{MintedSvid, X509Ca, X509SvidRequest};

/// How far NotBefore is set in the past to absorb clock skew between machines.
pub const NOT_BEFORE_BACKDATE: std::time::Duration = std::time::Duration::from_secs(10);

/// The subjectPublicKey bits of a DER SubjectPublicKeyInfo, for comparing keys whatever
/// their algorithm-parameter encoding.
pub(crate) fn subject_public_key_bits_of(spki_der: &[u8]) -> Result<Vec<u8>, String> {
    signer::subject_public_key_bits(spki_der)
}
