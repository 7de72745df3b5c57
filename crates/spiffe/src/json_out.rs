//! A JSON writer that prints documents byte-for-byte as Go's `encoding/json` does with
//! `MarshalIndent(v, "", "    ")`, so our bundle documents diff cleanly against SPIRE's.

use std::fmt::Write as _;

/// A JSON value whose object members keep the order they were given in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GoJson {
    Str(String),
    Int(i128),
    Array(Vec<GoJson>),
    Object(Vec<(&'static str, GoJson)>),
}

impl GoJson {
    /// Renders with four-space indentation and no trailing newline.
    pub(crate) fn to_indented(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Self::Str(s) => write_string(out, s),
            Self::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Self::Array(items) if items.is_empty() => out.push_str("[]"),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    separator(out, i, depth + 1);
                    item.write(out, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Self::Object(members) if members.is_empty() => out.push_str("{}"),
            Self::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    separator(out, i, depth + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

fn separator(out: &mut String, index: usize, depth: usize) {
    if index > 0 {
        out.push(',');
    }
    newline(out, depth);
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("    ");
    }
}

/// Escapes like Go (1.22+): HTML-sensitive `<`, `>`, `&` and U+2028/U+2029 as `\uXXXX`.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(ch));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_nested_values_like_go() {
        let doc = GoJson::Object(vec![
            (
                "keys",
                GoJson::Array(vec![GoJson::Object(vec![("a", GoJson::Int(1))])]),
            ),
            ("empty", GoJson::Array(vec![])),
            ("n", GoJson::Int(-3)),
        ]);
        assert_eq!(
            doc.to_indented(),
            "{\n    \"keys\": [\n        {\n            \"a\": 1\n        }\n    ],\n    \"empty\": [],\n    \"n\": -3\n}"
        );
    }

    #[test]
    fn escapes_like_go() {
        let s = GoJson::Str("a\"\\<>&\n\u{1}\u{8}\u{2028}é".into());
        assert_eq!(
            s.to_indented(),
            "\"a\\\"\\\\\\u003c\\u003e\\u0026\\n\\u0001\\b\\u2028é\""
        );
    }
}
