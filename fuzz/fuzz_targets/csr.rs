//! Workload CSR parsing never panics; an accepted CSR carries at most one URI SAN and a key
//! that passes the key policy, and the X509-SVID minted for it certifies exactly the CSR's key
//! under the registration entry's SPIFFE ID, never an identity the CSR asked for.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use spire_ca::csr::{check_public_key, parse_workload_csr};
use spire_ca::x509::{CaParams, CaSubject, X509Ca, X509SvidRequest, self_signed_ca};
use spire_keymanager::MemoryKeyManager;
use spire_plugin::{KeyManager, KeyType};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

const ENTRY_ID: &str = "spiffe://example.org/fuzz";

fuzz_target!(|data: &[u8]| {
    let Ok(info) = parse_workload_csr(data) else {
        return;
    };
    assert!(
        info.uri_sans.len() <= 1,
        "accepted {} URI SANs",
        info.uri_sans.len()
    );
    check_public_key(&info.public_key_der)
        .expect("the key of an accepted CSR passes the key policy on its own");

    let request = X509SvidRequest {
        spiffe_id: ENTRY_ID.to_owned(),
        public_key_der: info.public_key_der.clone(),
        dns_names: Vec::new(),
        ttl: Duration::from_secs(3600),
    };
    let svid = ca()
        .mint_x509_svid(&request, now())
        .expect("the CA signs any key an accepted CSR offers");

    let (rest, cert) = X509Certificate::from_der(&svid.der).expect("minted SVIDs parse");
    assert!(rest.is_empty());
    assert_eq!(
        cert.public_key().raw,
        info.public_key_der.as_slice(),
        "the SVID certifies exactly the CSR's key"
    );
    let uris: Vec<&str> = cert
        .extensions()
        .iter()
        .filter_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => Some(&san.general_names),
            _ => None,
        })
        .flatten()
        .filter_map(|name| match name {
            GeneralName::URI(uri) => Some(*uri),
            _ => None,
        })
        .collect();
    assert_eq!(
        uris,
        [ENTRY_ID],
        "the only URI SAN is the entry's ID, never the CSR's"
    );
});

/// A fixed, whole-second clock inside the test CA's lifetime.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

/// One CA per process: key generation and self-signing are far slower than a fuzz iteration.
fn ca() -> &'static X509Ca {
    static CA: OnceLock<X509Ca> = OnceLock::new();
    CA.get_or_init(|| {
        let key = MemoryKeyManager::new()
            .generate_key("x509-CA-A", KeyType::EcP256)
            .expect("the memory KeyManager generates keys");
        let params = CaParams {
            trust_domain: "example.org".to_owned(),
            subject: CaSubject::default(),
            ttl: Duration::from_secs(24 * 3600),
        };
        let der = self_signed_ca(key.as_ref(), &params, now()).expect("the CA template is valid");
        X509Ca::new(der, Arc::clone(&key)).expect("the CA certificate matches its key")
    })
}
