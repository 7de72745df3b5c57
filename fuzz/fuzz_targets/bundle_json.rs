//! SPIFFE bundle document parsing never panics; an accepted document encodes and re-parses to
//! an equal bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spire_spiffe::Bundle;

fuzz_target!(|input: &str| {
    if let Ok(bundle) = Bundle::from_spiffe_json("example.org", input) {
        let encoded = bundle
            .to_spiffe_json()
            .expect("a parsed bundle holds only keys the parser accepted, so it encodes");
        let again = Bundle::from_spiffe_json("example.org", &encoded)
            .expect("our own encoding of a parsed bundle parses");
        assert_eq!(again, bundle);
        let _ = bundle.to_jwks_json();
    }
});
