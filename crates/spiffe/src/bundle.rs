//! Trust bundles: the X.509 authorities and JWT signing keys of one trust domain.

/// One X.509 root (or intermediate published as an authority) of a trust domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509Authority {
    /// The certificate, DER encoded.
    pub der: Vec<u8>,
    /// Set when the authority was tainted by a forced rotation.
    pub tainted: bool,
}

/// One JWT signing key of a trust domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtAuthority {
    /// The `kid` JWT-SVIDs signed by this key carry.
    pub key_id: String,
    /// The public key as a DER SubjectPublicKeyInfo (PKIX).
    pub public_key_der: Vec<u8>,
    /// Seconds since the Unix epoch after which the key is no longer valid (0 = unset).
    pub expires_at: i64,
    /// Set when the key was tainted by a forced rotation.
    pub tainted: bool,
}

/// The trust bundle of one trust domain, as SPIRE keeps it (`spire.api.types.Bundle`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bundle {
    /// The trust domain name, without scheme (`example.org`).
    pub trust_domain: String,
    pub x509_authorities: Vec<X509Authority>,
    pub jwt_authorities: Vec<JwtAuthority>,
    /// Seconds a consumer should wait before polling again (0 = unset).
    pub refresh_hint: i64,
    /// Bumped on every change of the bundle.
    pub sequence_number: u64,
}
