use super::*;

const SPECS: &[FlagSpec] = &[
    FlagSpec::string("spiffeID", "", "The SPIFFE ID"),
    FlagSpec::repeated("selector", "A selector"),
    FlagSpec::bool("admin", "Admin"),
    FlagSpec::int("ttl", 600, "Token TTL in seconds"),
    FlagSpec::duration("lifetime", "TTL of the SVID"),
    FlagSpec::string("output", "pretty", "Output"),
];

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn accepts_single_and_double_dash_with_space_or_equals() {
    let p =
        parse_flags(SPECS, &args(&["-spiffeID", "spiffe://a/b", "--ttl=30"])).expect("valid flags");
    assert_eq!(p.string("spiffeID"), "spiffe://a/b");
    assert_eq!(p.int("ttl"), 30);
    let p =
        parse_flags(SPECS, &args(&["--spiffeID=spiffe://x/y", "-ttl", "5"])).expect("valid flags");
    assert_eq!(p.string("spiffeID"), "spiffe://x/y");
    assert_eq!(p.int("ttl"), 5);
}

#[test]
fn defaults_apply_when_flags_are_absent() {
    let p = parse_flags(SPECS, &[]).expect("empty args are valid");
    assert_eq!(p.int("ttl"), 600);
    assert_eq!(p.string("output"), "pretty");
    assert!(!p.bool("admin"));
    assert!(!p.is_set("admin"));
    assert_eq!(p.list("selector"), Vec::<String>::new());
}

#[test]
fn repeated_flags_accumulate_and_scalars_keep_the_last_value() {
    let p = parse_flags(
        SPECS,
        &args(&[
            "-selector",
            "unix:uid:0",
            "-selector=k8s:ns:x",
            "-ttl",
            "1",
            "-ttl",
            "2",
        ]),
    )
    .expect("valid flags");
    assert_eq!(p.list("selector"), args(&["unix:uid:0", "k8s:ns:x"]));
    assert_eq!(p.int("ttl"), 2);
}

#[test]
fn booleans_do_not_consume_the_next_argument() {
    let p = parse_flags(SPECS, &args(&["-admin", "false", "-ttl", "1"])).expect("valid flags");
    assert!(p.bool("admin"));
    assert_eq!(p.rest, args(&["false", "-ttl", "1"]));
    let p = parse_flags(SPECS, &args(&["-admin=false"])).expect("valid flags");
    assert!(!p.bool("admin"));
    assert!(p.is_set("admin"));
}

#[test]
fn parsing_stops_at_first_non_flag_and_after_double_dash() {
    let p = parse_flags(SPECS, &args(&["-admin", "x", "-ttl", "3"])).expect("valid flags");
    assert_eq!(p.rest, args(&["x", "-ttl", "3"]));
    let p = parse_flags(SPECS, &args(&["--", "-admin"])).expect("valid flags");
    assert!(!p.bool("admin"));
    assert_eq!(p.rest, args(&["-admin"]));
    let p = parse_flags(SPECS, &args(&["-", "-admin"])).expect("valid flags");
    assert_eq!(p.rest, args(&["-", "-admin"]));
}

#[test]
fn unknown_flag_reports_gos_message() {
    let err = parse_flags(SPECS, &args(&["-x"])).expect_err("-x is not defined");
    assert_eq!(err.to_string(), "flag provided but not defined: -x");
}

#[test]
fn missing_value_reports_gos_message() {
    let err = parse_flags(SPECS, &args(&["-spiffeID"])).expect_err("value missing");
    assert_eq!(err.to_string(), "flag needs an argument: -spiffeID");
}

#[test]
fn bad_values_report_gos_messages() {
    let err = parse_flags(SPECS, &args(&["-ttl", "abc"])).expect_err("not an int");
    assert_eq!(
        err.to_string(),
        "invalid value \"abc\" for flag -ttl: parse error"
    );
    let err = parse_flags(SPECS, &args(&["-ttl", "99999999999999999999"])).expect_err("overflow");
    assert_eq!(
        err.to_string(),
        "invalid value \"99999999999999999999\" for flag -ttl: value out of range"
    );
    let err = parse_flags(SPECS, &args(&["-admin=maybe"])).expect_err("not a bool");
    assert_eq!(
        err.to_string(),
        "invalid boolean value \"maybe\" for -admin: parse error"
    );
    let err = parse_flags(SPECS, &args(&["-lifetime", "10"])).expect_err("no unit");
    assert_eq!(
        err.to_string(),
        "invalid value \"10\" for flag -lifetime: parse error"
    );
}

#[test]
fn bad_syntax_and_help_are_distinguished() {
    assert_eq!(
        parse_flags(SPECS, &args(&["---x"])),
        Err(FlagError::BadSyntax("---x".to_owned()))
    );
    assert_eq!(
        parse_flags(SPECS, &args(&["-=x"])),
        Err(FlagError::BadSyntax("-=x".to_owned()))
    );
    assert_eq!(
        parse_flags(SPECS, &args(&["-h"])),
        Err(FlagError::HelpRequested)
    );
    assert_eq!(
        parse_flags(SPECS, &args(&["--help"])),
        Err(FlagError::HelpRequested)
    );
}

#[test]
fn durations_round_up_to_whole_seconds() {
    let p = parse_flags(SPECS, &args(&["-lifetime", "1500ms"])).expect("valid duration");
    assert_eq!(p.duration_secs("lifetime"), 2);
    let p = parse_flags(SPECS, &args(&["-lifetime=1h"])).expect("valid duration");
    assert_eq!(p.duration_secs("lifetime"), 3600);
}

#[test]
fn usage_text_follows_go_print_defaults() {
    let specs = [
        FlagSpec::int("ttl", 600, "Token TTL in seconds"),
        FlagSpec::bool("admin", "If set, admin"),
        FlagSpec::string("output", "pretty", "Output"),
        FlagSpec::repeated("dns", "A DNS name"),
    ];
    assert_eq!(
        usage_text("token generate", &specs),
        "Usage of token generate:\n  -admin\n    \tIf set, admin\n  -dns value\n    \tA DNS name\n  \
         -output string\n    \tOutput (default \"pretty\")\n  -ttl int\n    \tToken TTL in seconds (default 600)\n"
    );
}
