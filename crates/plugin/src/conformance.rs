//! Conformance suites: behaviour every implementation of a plugin trait must show. Plugin
//! crates call these from their tests; a failed check panics with a message naming the rule.

use std::sync::Arc;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
    VerificationAlgorithm,
};

use crate::keymanager::{Key, KeyManager, KeyManagerError, KeyType};

/// Every key type SPIRE offers, in configuration order.
pub const ALL_KEY_TYPES: [KeyType; 4] = [
    KeyType::EcP256,
    KeyType::EcP384,
    KeyType::Rsa2048,
    KeyType::Rsa4096,
];

/// Checks that `key`'s `sign` output for `message` verifies under its own SPKI with the
/// algorithm its type implies (ECDSA ASN.1 with SHA-256/384, RSA PKCS#1 v1.5 with SHA-256).
pub fn signature_verifies(key: &dyn Key, message: &[u8], signature: &[u8]) -> bool {
    // aws-lc-rs parses a DER SubjectPublicKeyInfo directly for both ECDSA and RSA, and pins
    // the curve to the algorithm, so an SPKI of the wrong curve fails too.
    let algorithm: &'static dyn VerificationAlgorithm = match key.key_type() {
        KeyType::EcP256 => &ECDSA_P256_SHA256_ASN1,
        KeyType::EcP384 => &ECDSA_P384_SHA384_ASN1,
        KeyType::Rsa2048 | KeyType::Rsa4096 => &RSA_PKCS1_2048_8192_SHA256,
    };
    UnparsedPublicKey::new(algorithm, key.public_key_der())
        .verify(message, signature)
        .is_ok()
}

/// Runs the KeyManager conformance suite against `km`, which should start empty of the ids
/// `conformance-*`. Panics, naming the broken rule, on the first failure.
pub fn run_keymanager_suite(km: &dyn KeyManager) {
    rejects_empty_key_id(km);
    for key_type in ALL_KEY_TYPES {
        generated_key_signs_verifiably(km, key_type);
    }
    regenerating_replaces_the_key(km);
    regenerating_may_change_the_type(km);
    unknown_id_is_absent(km);
    keys_lists_each_id_once(km);
}

fn rejects_empty_key_id(km: &dyn KeyManager) {
    let result = km.generate_key("", KeyType::EcP256);
    assert!(
        matches!(result, Err(KeyManagerError::EmptyKeyId)),
        "generate_key with an empty id must fail with EmptyKeyId, got {result:?}"
    );
}

fn generated_key_signs_verifiably(km: &dyn KeyManager, key_type: KeyType) {
    let id = format!("conformance-{key_type}");
    let key = generate(km, &id, key_type);
    assert_eq!(key.id(), id, "generated key must carry the requested id");
    assert_eq!(
        key.key_type(),
        key_type,
        "generated key must have the requested type"
    );
    let message = b"conformance message";
    let signature = key
        .sign(message)
        .unwrap_or_else(|e| panic!("signing with a fresh {key_type} key failed: {e}"));
    assert!(
        signature_verifies(key.as_ref(), message, &signature),
        "a {key_type} signature must verify under the key's SPKI"
    );
    assert!(
        !signature_verifies(key.as_ref(), b"another message", &signature),
        "a {key_type} signature must not verify for a different message"
    );
    let found = lookup(km, &id);
    assert_eq!(
        found.public_key_der(),
        key.public_key_der(),
        "key() must return the key just generated under {id:?}"
    );
}

fn regenerating_replaces_the_key(km: &dyn KeyManager) {
    let id = "conformance-regenerate";
    let first = generate(km, id, KeyType::EcP256);
    let second = generate(km, id, KeyType::EcP256);
    assert_ne!(
        first.public_key_der(),
        second.public_key_der(),
        "regenerating {id:?} must produce a new key"
    );
    assert_eq!(
        lookup(km, id).public_key_der(),
        second.public_key_der(),
        "key() must see the regenerated key"
    );
    let listed = listed_with_id(km, id);
    assert_eq!(
        listed.len(),
        1,
        "keys() must list {id:?} once after regeneration"
    );
    assert_eq!(
        listed[0].public_key_der(),
        second.public_key_der(),
        "keys() must see the regenerated key"
    );
}

fn regenerating_may_change_the_type(km: &dyn KeyManager) {
    let id = "conformance-retype";
    generate(km, id, KeyType::EcP256);
    generate(km, id, KeyType::EcP384);
    assert_eq!(
        lookup(km, id).key_type(),
        KeyType::EcP384,
        "regenerating under another type must replace the type"
    );
}

fn unknown_id_is_absent(km: &dyn KeyManager) {
    let found = km
        .key("conformance-never-generated")
        .unwrap_or_else(|e| panic!("key() for an unknown id must not fail: {e}"));
    assert!(found.is_none(), "key() for an unknown id must be None");
}

fn keys_lists_each_id_once(km: &dyn KeyManager) {
    for key_type in ALL_KEY_TYPES {
        let id = format!("conformance-{key_type}");
        assert_eq!(
            listed_with_id(km, &id).len(),
            1,
            "keys() must list {id:?} exactly once"
        );
    }
}

fn generate(km: &dyn KeyManager, id: &str, key_type: KeyType) -> Arc<dyn Key> {
    km.generate_key(id, key_type)
        .unwrap_or_else(|e| panic!("generate_key({id:?}, {key_type}) failed: {e}"))
}

fn lookup(km: &dyn KeyManager, id: &str) -> Arc<dyn Key> {
    km.key(id)
        .unwrap_or_else(|e| panic!("key({id:?}) failed: {e}"))
        .unwrap_or_else(|| panic!("key({id:?}) must find a generated key"))
}

fn listed_with_id(km: &dyn KeyManager, id: &str) -> Vec<Arc<dyn Key>> {
    km.keys()
        .unwrap_or_else(|e| panic!("keys() failed: {e}"))
        .into_iter()
        .filter(|k| k.id() == id)
        .collect()
}
