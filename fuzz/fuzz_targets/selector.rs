//! Selector parsing never panics; an accepted selector prints back and re-parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spire_spiffe::Selector;

fuzz_target!(|input: &str| {
    if let Ok(selector) = input.parse::<Selector>() {
        let shown = selector.to_string();
        assert_eq!(shown, input);
        assert_eq!(shown.parse::<Selector>().as_ref(), Ok(&selector));
    }
});
