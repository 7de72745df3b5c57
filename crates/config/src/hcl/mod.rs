//! A small HCL1 reader (the dialect SPIRE's Go code parses), producing `serde_json::Value`.
//!
//! Written for the project rather than normalising text for hcl-rs: HCL1 forms hcl-rs rejects
//! (one-line nested blocks, items separated only by spaces) are ordinary here, and comments,
//! strings and heredocs can never be mangled by a rewriting pass.

mod lexer;
mod parser;

use serde_json::Value;

pub(crate) use parser::deep_merge;

/// Where and why HCL text failed to parse (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub column: usize,
    /// What was expected or found.
    pub message: String,
}

/// Parses HCL1 text into an object value.
pub(crate) fn parse(text: &str) -> Result<Value, SyntaxError> {
    parser::parse_tokens(lexer::tokenize(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_one_line_nested_blocks() {
        let v = parse(r#"plugins { NodeAttestor "a" { plugin_data {} } }"#).expect("valid HCL1");
        assert_eq!(
            v,
            json!({"plugins": {"NodeAttestor": {"a": {"plugin_data": {}}}}})
        );
    }

    #[test]
    fn parses_objects_with_space_separated_items() {
        let v = parse(r#"M3 = [{ address = "x" env = "dev" }]"#).expect("valid HCL1");
        assert_eq!(v, json!({"M3": [{"address": "x", "env": "dev"}]}));
    }

    #[test]
    fn merges_repeated_labeled_blocks() {
        let v = parse("p { A \"x\" { v = 1 }\n A \"y\" { v = 2 } }").expect("valid HCL1");
        assert_eq!(v, json!({"p": {"A": {"x": {"v": 1}, "y": {"v": 2}}}}));
    }

    #[test]
    fn turns_clashing_repeated_keys_into_a_list() {
        let v = parse("Statsd { address = \"a\" }\nStatsd { address = \"b\" }\nx = 1\nx = 2")
            .expect("valid HCL1");
        assert_eq!(
            v,
            json!({"Statsd": [{"address": "a"}, {"address": "b"}], "x": [1, 2]})
        );
    }

    #[test]
    fn parses_lists_with_trailing_commas_and_line_breaks() {
        let v = parse("a = [\n \"x\", # c\n \"y\",\n]\nb = []").expect("valid HCL1");
        assert_eq!(v, json!({"a": ["x", "y"], "b": []}));
    }

    #[test]
    fn rejects_missing_equals_with_position() {
        let err = parse("server {\n  trust_domain \"x\"\n}").expect_err("missing =");
        assert_eq!((err.line, err.column), (2, 19));
        assert_eq!(
            err.message,
            "expected \"=\" or \"{\" after key \"x\", found a line break"
        );
    }

    #[test]
    fn rejects_unclosed_block() {
        let err = parse("server {\n a = 1\n").expect_err("unclosed");
        assert_eq!(err.message, "expected \"}\" before end of input");
    }

    #[test]
    fn refuses_hostile_nesting_without_overflowing() {
        let text = format!("a = {}", "[".repeat(10_000));
        let err = parse(&text).expect_err("too deep");
        assert!(
            err.message.starts_with("nesting deeper than"),
            "{}",
            err.message
        );
    }
}
