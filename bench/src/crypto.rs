//! The machine's raw P-256 limits with aws-lc-rs (the crypto library spire-rs uses): ECDSA
//! sign and verify operations per second on one core.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair, UnparsedPublicKey,
};
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct CryptoLimits {
    pub sign_per_s: f64,
    pub verify_per_s: f64,
    /// One sign plus one verify, the crypto cost of issuing one X.509-SVID from a CSR.
    pub sign_plus_verify_per_s: f64,
}

/// Runs each operation on this thread for `window`.
pub fn measure(window: Duration) -> Result<CryptoLimits> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|e| anyhow!("keygen: {e}"))?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
        .map_err(|e| anyhow!("key: {e}"))?;
    let msg = [0x5au8; 256];
    let sig = key.sign(&rng, &msg).map_err(|e| anyhow!("sign: {e}"))?;
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key.public_key().as_ref().to_vec());

    let sign_per_s = rate(window, || {
        key.sign(&rng, &msg).map(|_| ()).map_err(|e| anyhow!("sign: {e}"))
    })?;
    let verify_per_s = rate(window, || {
        public.verify(&msg, sig.as_ref()).map_err(|e| anyhow!("verify: {e}"))
    })?;
    Ok(CryptoLimits {
        sign_per_s,
        verify_per_s,
        sign_plus_verify_per_s: 1.0 / (1.0 / sign_per_s + 1.0 / verify_per_s),
    })
}

fn rate(window: Duration, mut op: impl FnMut() -> Result<()>) -> Result<f64> {
    // Warm-up: the first operations pay for table setup and a cold CPU frequency.
    let warm = Instant::now();
    while warm.elapsed() < window / 4 {
        op()?;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < window {
        for _ in 0..64 {
            op()?;
        }
        n += 64;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}
