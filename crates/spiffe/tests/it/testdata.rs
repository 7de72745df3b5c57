//! Fixed vectors generated once with `openssl` (3.0) and stored under `testdata/`.

pub const EC_P256_SPKI: &[u8] = include_bytes!("../../testdata/ec_p256_spki.der");
pub const EC_P384_SPKI: &[u8] = include_bytes!("../../testdata/ec_p384_spki.der");
pub const EC_P521_SPKI: &[u8] = include_bytes!("../../testdata/ec_p521_spki.der");
pub const RSA2048_SPKI: &[u8] = include_bytes!("../../testdata/rsa2048_spki.der");
pub const ED25519_SPKI: &[u8] = include_bytes!("../../testdata/ed25519_spki.der");

pub const EC_P256_JWK: &str = include_str!("../../testdata/ec_p256_jwk.json");
pub const EC_P384_JWK: &str = include_str!("../../testdata/ec_p384_jwk.json");
pub const EC_P521_JWK: &str = include_str!("../../testdata/ec_p521_jwk.json");
pub const RSA2048_JWK: &str = include_str!("../../testdata/rsa2048_jwk.json");
pub const ED25519_JWK: &str = include_str!("../../testdata/ed25519_jwk.json");

pub const EC_P256_CA_CERT: &[u8] = include_bytes!("../../testdata/ec_p256_ca_cert.der");
pub const EC_P384_CA_CERT: &[u8] = include_bytes!("../../testdata/ec_p384_ca_cert.der");
pub const EC_P521_CA_CERT: &[u8] = include_bytes!("../../testdata/ec_p521_ca_cert.der");
pub const RSA2048_CA_CERT: &[u8] = include_bytes!("../../testdata/rsa2048_ca_cert.der");

/// `ec_p256_ca_cert` then `rsa2048_ca_cert`, as `openssl x509 -outform PEM` writes them.
pub const TWO_CA_CERTS_PEM: &str = include_str!("../../testdata/two_ca_certs.pem");
/// Both CA certs as x509-svid keys, then P-384 (`kid-p384`) and RSA (`kid-rsa`) JWT keys,
/// sequence 7, refresh hint 300, laid out as Go's `json.MarshalIndent(.., "", "    ")` does.
pub const TWO_CAS_TWO_JWT_KEYS_SPIFFE: &str =
    include_str!("../../testdata/bundle_two_cas_two_jwt_keys.spiffe.json");
/// The two JWT keys of the bundle above as a standard JWKS.
pub const TWO_JWT_KEYS_JWKS: &str = include_str!("../../testdata/bundle_two_jwt_keys.jwks.json");
