use proptest::prelude::*;
use serde_json::json;
use spire_config::{ConfigError, parse_str};

fn parse(text: &str) -> serde_json::Value {
    parse_str(text, "t.conf").expect("valid configuration text")
}

#[test]
fn parses_one_line_nested_blocks_and_space_separated_items() {
    assert_eq!(
        parse(
            r#"plugins { NodeAttestor "a" { plugin_data {} } KeyManager "m" { plugin_data { x = 1 y = "z" } } }"#
        ),
        json!({"plugins": {"NodeAttestor": {"a": {"plugin_data": {}}}, "KeyManager": {"m": {"plugin_data": {"x": 1, "y": "z"}}}}})
    );
    assert_eq!(
        parse(r#"telemetry { M3 = [{ address = "x" env = "dev" }, { address = "y" }] }"#),
        json!({"telemetry": {"M3": [{"address": "x", "env": "dev"}, {"address": "y"}]}})
    );
}

#[test]
fn parses_comments_heredocs_numbers_and_escapes() {
    let text = r#"
# hash comment
// slash comment
/* block
   comment */
a = <<EOT
line "one" # not a comment
EOT
b = -1.5
c = "tab\there ${not.expanded} // not a comment"
d = [1, 2,
  3]
e = true, f = false
"#;
    assert_eq!(
        parse(text),
        json!({
            "a": "line \"one\" # not a comment\n",
            "b": -1.5,
            "c": "tab\there ${not.expanded} // not a comment",
            "d": [1, 2, 3],
            "e": true,
            "f": false
        })
    );
}

#[test]
fn parses_json_files() {
    assert_eq!(
        parse(" {\"server\": {\"bind_port\": 1}}"),
        json!({"server": {"bind_port": 1}})
    );
    let err = parse_str("{\"a\": }", "s.json").expect_err("bad JSON");
    assert!(matches!(err, ConfigError::Json { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "s.json: invalid JSON configuration: expected value at line 1 column 7"
    );
}

#[test]
fn parses_repeated_labeled_blocks_as_one_map() {
    let text =
        "federation {\n federates_with \"a.org\" { x = 1 }\n federates_with \"b.org\" { x = 2 }\n}";
    assert_eq!(
        parse(text),
        json!({"federation": {"federates_with": {"a.org": {"x": 1}, "b.org": {"x": 2}}}})
    );
}

proptest! {
    #[test]
    fn parse_str_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = parse_str(&text, "fuzz.conf");
    }

    #[test]
    fn parse_str_never_panics_on_hcl_like_text(text in "[a-z\"{}\\[\\]=,#/*<\\-\\n 0-9.$\\\\]{0,200}") {
        let _ = parse_str(&text, "fuzz.conf");
    }

    #[test]
    fn typed_decoding_never_panics(text in "[a-z_\"{}\\[\\]=,\\n 0-9]{0,200}") {
        if let Ok(v) = parse_str(&text, "fuzz.conf") {
            let _ = spire_config::ServerConfig::from_value(v.clone(), "fuzz.conf");
            let _ = spire_config::AgentConfig::from_value(v, "fuzz.conf");
        }
    }
}

proptest! {
    #[test]
    fn expand_env_never_panics_and_keeps_text_without_dollars(text in "\\PC{0,100}") {
        let out = spire_config::expand_env_with(&text, |_| Some("v".into()));
        if !text.contains('$') {
            prop_assert_eq!(out, text);
        }
    }
}
