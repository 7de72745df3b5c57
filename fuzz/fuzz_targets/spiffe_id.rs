//! SPIFFE ID and trust domain parsing never panics; an accepted ID prints back to the exact
//! input and re-parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spire_spiffe::{SpiffeId, TrustDomain};

fuzz_target!(|input: &str| {
    if let Ok(id) = SpiffeId::new(input) {
        let shown = id.to_string();
        assert_eq!(shown, input, "parsing must not normalise");
        assert_eq!(SpiffeId::new(&shown).as_ref(), Ok(&id));
        assert_eq!(
            SpiffeId::from_parts(id.trust_domain(), id.path()).as_ref(),
            Ok(&id)
        );
    }
    if let Ok(td) = TrustDomain::from_id_or_name(input) {
        assert_eq!(TrustDomain::new(td.as_str()).as_ref(), Ok(&td));
    }
});
