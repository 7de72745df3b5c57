//! Differential tests: our SPIFFE ID and trust domain parsers against the `spiffe` crate.
//!
//! The oracle folds uppercase schemes and trust domains to lowercase and does not cap the
//! length of a parsed ID; SPIRE (go-spiffe) refuses both, and so do we. Every other input must
//! be accepted or refused by both parsers alike.

use proptest::prelude::*;
use spire_spiffe::{MAX_SPIFFE_ID_LEN, SpiffeId, TrustDomain};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn spiffe_id_accepts_exactly_what_the_oracle_accepts(input in id_like()) {
        check_id(&input)?;
    }

    #[test]
    fn spiffe_id_agrees_with_the_oracle_on_arbitrary_text(input in any::<String>()) {
        check_id(&input)?;
    }

    #[test]
    fn trust_domain_accepts_exactly_what_the_oracle_accepts(input in name_like()) {
        check_trust_domain(&input)?;
    }

    #[test]
    fn trust_domain_from_id_or_name_agrees_with_the_oracle(input in id_like()) {
        check_trust_domain(&input)?;
    }

    #[test]
    fn accepted_ids_round_trip_through_display(input in id_like()) {
        if let Ok(id) = SpiffeId::new(&input) {
            prop_assert_eq!(id.to_string(), input.clone());
            let again = SpiffeId::from_parts(id.trust_domain(), id.path());
            prop_assert_eq!(again, Ok(id));
        }
    }
}

fn check_id(input: &str) -> Result<(), TestCaseError> {
    let ours = SpiffeId::new(input);
    let oracle = spiffe::SpiffeId::new(input);
    let expected_ok =
        oracle.is_ok() && !has_uppercase_authority(input) && input.len() <= MAX_SPIFFE_ID_LEN;
    prop_assert_eq!(
        ours.is_ok(),
        expected_ok,
        "input {:?}: ours {:?}, oracle {:?}",
        input,
        ours,
        oracle
    );
    if let (Ok(ours), Ok(oracle)) = (ours, oracle) {
        prop_assert_eq!(ours.as_str(), oracle.to_string());
        prop_assert_eq!(ours.path(), oracle.path());
        prop_assert_eq!(ours.trust_domain().as_str(), oracle.trust_domain().as_str());
    }
    Ok(())
}

fn check_trust_domain(input: &str) -> Result<(), TestCaseError> {
    let ours = TrustDomain::from_id_or_name(input);
    let expected_ok = if input.contains("://") {
        // We read an ID form as a whole ID (go-spiffe's TrustDomainFromString); the oracle only
        // looks at its authority, so the whole-ID oracle is the reference here.
        spiffe::SpiffeId::new(input).is_ok()
            && !has_uppercase_authority(input)
            && input.len() <= MAX_SPIFFE_ID_LEN
    } else {
        spiffe::TrustDomain::new(input).is_ok() && !input.bytes().any(|b| b.is_ascii_uppercase())
    };
    prop_assert_eq!(
        ours.is_ok(),
        expected_ok,
        "input {:?}: ours {:?}",
        input,
        ours
    );
    if !input.contains(":/") {
        prop_assert_eq!(TrustDomain::new(input).is_ok(), expected_ok);
    }
    Ok(())
}

/// Whether the scheme or trust domain of an ID-shaped input has an uppercase ASCII letter.
fn has_uppercase_authority(input: &str) -> bool {
    let Some((scheme, rest)) = input.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    [scheme, authority]
        .iter()
        .any(|part| part.bytes().any(|b| b.is_ascii_uppercase()))
}

/// ID-shaped strings, biased toward the edges of every rule.
fn id_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        30 => Just("spiffe://"),
        1 => Just("SPIFFE://"),
        1 => Just("Spiffe://"),
        1 => Just("spiffe:/"),
        1 => Just("spiffe:"),
        1 => Just("http://"),
        1 => Just(""),
    ];
    let user_info = prop_oneof![30 => Just(""), 1 => Just("user@"), 1 => Just("@")];
    let port = prop_oneof![30 => Just(""), 1 => Just(":8443"), 1 => Just(":")];
    let trust_domain = prop_oneof![
        8 => name_like(),
        1 => Just("a".repeat(255)),
        1 => Just("a".repeat(256)),
    ];
    let path = prop::collection::vec(segment(), 0..5)
        .prop_map(|segments| segments.iter().map(|s| format!("/{s}")).collect::<String>());
    let tail = prop_oneof![
        30 => Just(String::new()),
        1 => Just("/".to_owned()),
        1 => Just("?q=1".to_owned()),
        1 => Just("#frag".to_owned()),
        1 => Just(format!("/{}", "x".repeat(2040))),
    ];
    (scheme, user_info, trust_domain, port, path, tail)
        .prop_map(|(s, u, td, p, path, tail)| format!("{s}{u}{td}{p}{path}{tail}"))
}

/// Trust-domain-shaped names: mostly valid characters, some of every kind of bad one.
fn name_like() -> impl Strategy<Value = String> {
    prop::collection::vec(name_char(), 0..10).prop_map(|chars| chars.into_iter().collect())
}

fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        40 => prop::char::range('a', 'z'),
        6 => prop::char::range('0', '9'),
        6 => prop::sample::select(vec!['.', '-', '_']),
        1 => prop::char::range('A', 'Z'),
        1 => prop::sample::select(vec![':', '@', '%', '/', '?', '#', ' ', '~', '+', '\u{e9}', '\u{212a}']),
    ]
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just("...".to_owned()),
        1 => Just("%2e".to_owned()),
        30 => prop::collection::vec(segment_char(), 1..8).prop_map(|c| c.into_iter().collect()),
    ]
}

fn segment_char() -> impl Strategy<Value = char> {
    prop_oneof![
        40 => prop::char::range('a', 'z'),
        10 => prop::char::range('A', 'Z'),
        3 => prop::char::range('0', '9'),
        3 => prop::sample::select(vec!['.', '-', '_']),
        1 => prop::sample::select(vec![':', '@', '%', '?', '#', ' ', '~', '+', '!', '\u{e9}']),
    ]
}

#[test]
fn id_generator_yields_both_accepted_and_refused_ids() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = id_like();
    let total = 2000;
    let accepted = (0..total)
        .filter(|_| {
            let tree = strategy
                .new_tree(&mut runner)
                .expect("strategy yields values");
            SpiffeId::new(&tree.current()).is_ok()
        })
        .count();
    assert!(
        (total / 10..total * 9 / 10).contains(&accepted),
        "{accepted} of {total} generated IDs accepted"
    );
}
