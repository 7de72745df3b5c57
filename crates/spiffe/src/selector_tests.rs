use super::*;

#[test]
fn splits_at_the_first_colon() {
    let s: Selector = "unix:uid:1000".parse().expect("valid selector");
    assert_eq!(s.kind(), "unix");
    assert_eq!(s.value(), "uid:1000");
    assert_eq!(s.to_string(), "unix:uid:1000");
}

#[test]
fn rejects_missing_separator() {
    assert_eq!(
        "unix".parse::<Selector>(),
        Err(SelectorError::MissingSeparator("unix".into()))
    );
}

#[test]
fn rejects_empty_type() {
    assert_eq!(
        ":uid:1000".parse::<Selector>(),
        Err(SelectorError::EmptyType)
    );
}

#[test]
fn rejects_empty_value() {
    assert_eq!("unix:".parse::<Selector>(), Err(SelectorError::EmptyValue));
}

#[test]
fn bounds_type_and_value_sizes() {
    let long_type = "t".repeat(MAX_SELECTOR_TYPE_LEN + 1);
    assert_eq!(
        Selector::new(long_type, "v"),
        Err(SelectorError::TypeTooLong)
    );
    let long_value = "v".repeat(MAX_SELECTOR_VALUE_LEN + 1);
    assert_eq!(
        Selector::new("t", long_value),
        Err(SelectorError::ValueTooLong)
    );
    assert!(
        Selector::new(
            "t".repeat(MAX_SELECTOR_TYPE_LEN),
            "v".repeat(MAX_SELECTOR_VALUE_LEN)
        )
        .is_ok()
    );
}

#[test]
fn orders_by_type_then_value() {
    let mut selectors: Vec<Selector> = ["unix:uid:2", "k8s:ns:a", "unix:gid:1"]
        .iter()
        .map(|s| s.parse().expect("valid selector"))
        .collect();
    selectors.sort();
    let shown: Vec<String> = selectors.iter().map(Selector::to_string).collect();
    assert_eq!(shown, ["k8s:ns:a", "unix:gid:1", "unix:uid:2"]);
}

#[test]
fn display_round_trips_through_parse() {
    let s = Selector::new("docker", "label:app=web").expect("valid selector");
    assert_eq!(s.to_string().parse::<Selector>(), Ok(s));
}

#[test]
fn untrusted_selector_with_a_newline_in_its_value_is_refused() {
    assert_eq!(
        Selector::from_untrusted("unix", "uid:0\nlevel=info msg=forged"),
        Err(SelectorError::ControlCharacter {
            part: "value",
            code: 0x0A,
            at: 5
        })
    );
}

#[test]
fn untrusted_selector_with_escape_or_del_or_c1_is_refused() {
    for (kind, value) in [
        ("unix", "uid:\u{1b}[2J"),
        ("unix", "uid:\u{7f}"),
        ("unix", "uid:\u{85}"),
        ("un\tix", "uid:1"),
        ("unix", "uid:\0"),
    ] {
        let err = Selector::from_untrusted(kind, value).expect_err("control character");
        assert!(
            matches!(err, SelectorError::ControlCharacter { .. }),
            "{kind:?}:{value:?}: {err}"
        );
    }
    let err = Selector::from_untrusted("un\tix", "uid:1").expect_err("tab in type");
    assert_eq!(
        err.to_string(),
        "selector type contains control character U+0009 at byte 2"
    );
}

#[test]
fn untrusted_selector_keeps_printable_unicode_and_the_other_rules() {
    let s = Selector::from_untrusted("k8s", "pod-label:app:caf\u{e9} \u{2603}").expect("printable");
    assert_eq!(s.value(), "pod-label:app:caf\u{e9} \u{2603}");
    assert_eq!(
        Selector::from_untrusted("", "v"),
        Err(SelectorError::EmptyType)
    );
}

#[test]
fn stored_selectors_with_control_characters_still_load() {
    // A SPIRE database may hold such a value; reading it back must not fail the whole load.
    let s = Selector::new("unix", "uid:1\n").expect("lenient constructor");
    assert_eq!(s.value(), "uid:1\n");
}
