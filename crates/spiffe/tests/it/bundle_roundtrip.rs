//! Property: any bundle built from supported keys survives the SPIFFE document round trip.

use proptest::prelude::*;
use spire_spiffe::{Bundle, JwtAuthority, X509Authority};

use crate::testdata::*;

const CA_CERTS: [&[u8]; 4] = [
    EC_P256_CA_CERT,
    EC_P384_CA_CERT,
    EC_P521_CA_CERT,
    RSA2048_CA_CERT,
];
const JWT_KEYS: [&[u8]; 5] = [
    EC_P256_SPKI,
    EC_P384_SPKI,
    EC_P521_SPKI,
    RSA2048_SPKI,
    ED25519_SPKI,
];

fn bundle() -> impl Strategy<Value = Bundle> {
    let cas = prop::collection::vec(prop::sample::select(CA_CERTS.to_vec()), 0..4);
    // Key IDs: printable ASCII plus characters Go escapes; made unique by an index prefix.
    let jwts = prop::collection::vec(
        (
            prop::sample::select(JWT_KEYS.to_vec()),
            "[ -~<>&\u{e9}\u{2028}]{0,12}",
        ),
        0..5,
    );
    (cas, jwts, 0..=i64::MAX, any::<u64>()).prop_map(
        |(cas, jwts, refresh_hint, sequence_number)| Bundle {
            trust_domain: "example.org".into(),
            x509_authorities: cas
                .into_iter()
                .map(|der| X509Authority {
                    der: der.to_vec(),
                    tainted: false,
                })
                .collect(),
            jwt_authorities: jwts
                .into_iter()
                .enumerate()
                .map(|(i, (spki, kid))| JwtAuthority {
                    key_id: format!("{i}{kid}"),
                    public_key_der: spki.to_vec(),
                    expires_at: 0,
                    tainted: false,
                })
                .collect(),
            refresh_hint,
            sequence_number,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn spiffe_json_round_trips_any_bundle(bundle in bundle()) {
        let json = bundle.to_spiffe_json().expect("supported keys encode");
        prop_assert_eq!(Bundle::from_spiffe_json("example.org", &json), Ok(bundle));
    }

    #[test]
    fn jwks_json_lists_every_jwt_key_by_kid(bundle in bundle()) {
        let json = bundle.to_jwks_json().expect("supported keys encode");
        let doc: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        let kids: Vec<&str> = doc["keys"]
            .as_array()
            .expect("keys array")
            .iter()
            .map(|k| k["kid"].as_str().expect("kid"))
            .collect();
        let expected: Vec<&str> = bundle.jwt_authorities.iter().map(|a| a.key_id.as_str()).collect();
        prop_assert_eq!(kids, expected);
        prop_assert!(!json.contains("\"use\"") && !json.contains("spiffe_"));
    }
}
