//! HCL1 parser over the token stream, producing `serde_json::Value`.
//!
//! Mapping (HCL1's own JSON view, as SPIRE's decoder sees it):
//! - `key = value` is an attribute; `key "l1" "l2" { body }` nests as `{key: {l1: {l2: body}}}`;
//! - object items may be separated by commas, line breaks or nothing at all
//!   (`{ address = "x" env = "dev" }`), and blocks may sit on one line;
//! - a key given more than once merges when every occurrence is an object and no leaf is given
//!   twice (`NodeAttestor "a" {}` + `NodeAttestor "b" {}`); otherwise it becomes a list of the
//!   occurrences in file order (`Statsd {..} Statsd {..}`).

use serde_json::{Map, Value};

use super::SyntaxError;
use super::lexer::{Spanned, Token};

/// Deeper nesting than this is refused, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Parses a token stream as an HCL1 body (the whole file).
pub(crate) fn parse_tokens(tokens: Vec<Spanned>) -> Result<Value, SyntaxError> {
    let mut parser = Parser { tokens, pos: 0 };
    let body = parser.body(0, false)?;
    Ok(Value::Object(body))
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|s| &s.token)
    }

    fn next(&mut self) -> Option<Spanned> {
        let tok = self.tokens.get(self.pos).cloned();
        if tok.is_some() {
            self.pos += 1;
        }
        tok
    }

    /// Error at the current token, or at the end of input.
    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        let (line, column) = match self.tokens.get(self.pos).or(self.tokens.last()) {
            Some(s) => (s.line, s.column),
            None => (1, 1),
        };
        SyntaxError {
            line,
            column,
            message: message.into(),
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(Token::Newline | Token::Comma)) {
            self.pos += 1;
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Token::Newline)) {
            self.pos += 1;
        }
    }

    /// Items up to `}` (when `braced`) or the end of input.
    fn body(&mut self, depth: usize, braced: bool) -> Result<Map<String, Value>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error_here(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let mut items: Vec<(String, Vec<Value>)> = Vec::new();
        loop {
            self.skip_separators();
            match self.peek() {
                None if braced => return Err(self.error_here("expected \"}\" before end of input")),
                None => break,
                Some(Token::RBrace) if braced => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let (key, value) = self.item(depth)?;
            match items.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => items.push((key, vec![value])),
            }
        }
        Ok(items
            .into_iter()
            .map(|(key, values)| (key, combine_occurrences(values)))
            .collect())
    }

    /// One `key = value` attribute or `key "label"... { body }` block.
    fn item(&mut self, depth: usize) -> Result<(String, Value), SyntaxError> {
        let mut keys = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Ident(k) | Token::Str(k)) => {
                    keys.push(k.clone());
                    self.pos += 1;
                }
                Some(Token::Assign) if keys.len() == 1 => {
                    self.pos += 1;
                    self.skip_newlines();
                    let value = self.value(depth + 1)?;
                    let key = keys.remove(0);
                    return Ok((key, value));
                }
                Some(Token::Assign) if keys.len() > 1 => {
                    return Err(self.error_here(format!(
                        "only one key may precede \"=\", found {}",
                        keys.len()
                    )));
                }
                Some(Token::LBrace) if !keys.is_empty() => {
                    self.pos += 1;
                    let mut value = Value::Object(self.body(depth + 1, true)?);
                    let key = keys.remove(0);
                    for label in keys.into_iter().rev() {
                        let mut wrapper = Map::new();
                        wrapper.insert(label, value);
                        value = Value::Object(wrapper);
                    }
                    return Ok((key, value));
                }
                Some(Token::Newline) if !keys.is_empty() => {
                    return Err(self.error_here(format!(
                        "expected \"=\" or \"{{\" after key {:?}, found a line break",
                        keys.last().map_or("", String::as_str)
                    )));
                }
                other => {
                    let found = describe(other);
                    return Err(match keys.last() {
                        Some(k) => self.error_here(format!(
                            "expected \"=\" or \"{{\" after key {k:?}, found {found}"
                        )),
                        None => self.error_here(format!("expected a key, found {found}")),
                    });
                }
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error_here(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let found = describe(self.peek());
        let Some(tok) = self.next() else {
            return Err(self.error_here("expected a value, found end of input"));
        };
        match tok.token {
            Token::Str(s) => Ok(Value::String(s)),
            Token::Int(i) => Ok(Value::from(i)),
            Token::Float(f) => {
                Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
            }
            Token::Bool(b) => Ok(Value::Bool(b)),
            Token::LBrace => Ok(Value::Object(self.body(depth, true)?)),
            Token::LBracket => self.list(depth),
            _ => {
                self.pos -= 1;
                Err(self.error_here(format!("expected a value, found {found}")))
            }
        }
    }

    /// `[ v, v, ]` with line breaks allowed anywhere; commas between items are required.
    fn list(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        let mut values = Vec::new();
        loop {
            self.skip_newlines();
            if matches!(self.peek(), Some(Token::RBracket)) {
                self.pos += 1;
                return Ok(Value::Array(values));
            }
            values.push(self.value(depth + 1)?);
            self.skip_newlines();
            match self.peek() {
                Some(Token::Comma) => self.pos += 1,
                Some(Token::RBracket) => {}
                other => {
                    let found = describe(other);
                    return Err(
                        self.error_here(format!("expected \",\" or \"]\" in list, found {found}"))
                    );
                }
            }
        }
    }
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "end of input".into(),
        Some(Token::Ident(s)) => format!("identifier {s:?}"),
        Some(Token::Str(_)) => "a string".into(),
        Some(Token::Int(_) | Token::Float(_)) => "a number".into(),
        Some(Token::Bool(_)) => "a boolean".into(),
        Some(Token::LBrace) => "\"{\"".into(),
        Some(Token::RBrace) => "\"}\"".into(),
        Some(Token::LBracket) => "\"[\"".into(),
        Some(Token::RBracket) => "\"]\"".into(),
        Some(Token::Assign) => "\"=\"".into(),
        Some(Token::Comma) => "\",\"".into(),
        Some(Token::Newline) => "a line break".into(),
    }
}

/// One occurrence stays as is; several merge when they are disjoint objects, else form a list.
fn combine_occurrences(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        return values.remove(0);
    }
    let mut merged = Value::Object(Map::new());
    for v in &values {
        match deep_merge(&merged, v) {
            Some(m) => merged = m,
            None => return Value::Array(values),
        }
    }
    merged
}

/// Merges two objects whose shared keys are themselves mergeable objects; `None` on any clash.
pub(crate) fn deep_merge(a: &Value, b: &Value) -> Option<Value> {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return None;
    };
    let mut out = a.clone();
    for (k, bv) in b {
        let merged = match out.get(k) {
            Some(av) => deep_merge(av, bv)?,
            None => bv.clone(),
        };
        out.insert(k.clone(), merged);
    }
    Some(Value::Object(out))
}
