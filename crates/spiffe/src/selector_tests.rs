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
