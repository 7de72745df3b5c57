//! HCL1 tokenizer: turns text into tokens with their line/column, skipping comments.
//!
//! Strings keep `${...}` interpolations verbatim (SPIRE never evaluates them), heredocs are
//! decoded to their text here so the parser only sees values.

use super::SyntaxError;

/// One lexical unit of HCL1.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Ident(String),
    /// A quoted string or heredoc, already unescaped.
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Assign,
    Comma,
    /// A line break: significant only as an item separator, which the parser treats like a comma.
    Newline,
}

/// A token and where it starts (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub token: Token,
    pub line: usize,
    pub column: usize,
}

/// Tokenizes the whole input, or names the first lexical error and its position.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Spanned>, SyntaxError> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
        column: 1,
    };
    let mut out = Vec::new();
    while let Some(tok) = lexer.next_token()? {
        out.push(tok);
    }
    Ok(out)
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(&self, line: usize, column: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line,
            column,
            message: message.into(),
        }
    }

    fn next_token(&mut self) -> Result<Option<Spanned>, SyntaxError> {
        loop {
            let Some(c) = self.peek() else {
                return Ok(None);
            };
            let (line, column) = (self.line, self.column);
            let spanned = |token| {
                Ok(Some(Spanned {
                    token,
                    line,
                    column,
                }))
            };
            match c {
                ' ' | '\t' | '\r' => {
                    self.bump();
                }
                '\n' => {
                    self.bump();
                    return spanned(Token::Newline);
                }
                '#' => self.skip_line(),
                '/' if self.peek_at(1) == Some('/') => self.skip_line(),
                '/' if self.peek_at(1) == Some('*') => self.skip_block_comment()?,
                '{' | '}' | '[' | ']' | '=' | ',' => {
                    self.bump();
                    return spanned(match c {
                        '{' => Token::LBrace,
                        '}' => Token::RBrace,
                        '[' => Token::LBracket,
                        ']' => Token::RBracket,
                        '=' => Token::Assign,
                        _ => Token::Comma,
                    });
                }
                '"' => return spanned(Token::Str(self.string()?)),
                '<' if self.peek_at(1) == Some('<') => return spanned(Token::Str(self.heredoc()?)),
                '-' | '0'..='9' => return spanned(self.number()?),
                c if c.is_alphabetic() || c == '_' => {
                    let word = self.ident();
                    return spanned(match word.as_str() {
                        "true" => Token::Bool(true),
                        "false" => Token::Bool(false),
                        _ => Token::Ident(word),
                    });
                }
                other => {
                    return Err(self.error(
                        line,
                        column,
                        format!("unexpected character {other:?}"),
                    ));
                }
            }
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), SyntaxError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        self.bump();
        loop {
            match self.bump() {
                None => return Err(self.error(line, column, "comment not terminated")),
                Some('*') if self.peek() == Some('/') => {
                    self.bump();
                    return Ok(());
                }
                Some(_) => {}
            }
        }
    }

    fn ident(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                word.push(c);
                self.bump();
            } else {
                break;
            }
        }
        word
    }

    fn number(&mut self) -> Result<Token, SyntaxError> {
        let (line, column) = (self.line, self.column);
        let mut text = String::new();
        while let Some(c) = self.peek() {
            let sign_after_exponent = matches!(c, '+' | '-') && text.ends_with(['e', 'E']);
            if c.is_ascii_alphanumeric()
                || c == '.'
                || sign_after_exponent
                || (c == '-' && text.is_empty())
            {
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        parse_number(&text)
            .ok_or_else(|| self.error(line, column, format!("invalid number {text:?}")))
    }

    /// A double-quoted string. `${ ... }` interpolations may contain quotes and are kept as written.
    fn string(&mut self) -> Result<String, SyntaxError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        let mut out = String::new();
        let mut interpolation_depth = 0usize;
        loop {
            let Some(c) = self.bump() else {
                return Err(self.error(line, column, "string literal not terminated"));
            };
            if interpolation_depth > 0 {
                out.push(c);
                match c {
                    '{' => interpolation_depth += 1,
                    '}' => interpolation_depth -= 1,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => return Ok(out),
                '\n' => {
                    return Err(self.error(
                        line,
                        column,
                        "string literal not terminated before end of line",
                    ));
                }
                '$' if self.peek() == Some('{') => {
                    out.push('$');
                    out.push('{');
                    self.bump();
                    interpolation_depth = 1;
                }
                '\\' => out.push(self.escape(line, column)?),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self, line: usize, column: usize) -> Result<char, SyntaxError> {
        let Some(c) = self.bump() else {
            return Err(self.error(line, column, "string literal not terminated"));
        };
        let simple = match c {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            '\'' => Some('\''),
            _ => None,
        };
        if let Some(ch) = simple {
            return Ok(ch);
        }
        let (digits, radix) = match c {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            _ => return Err(self.error(line, column, format!("unknown escape sequence \\{c}"))),
        };
        let mut code = String::new();
        if radix == 8 {
            code.push(c);
        }
        for _ in 0..digits {
            match self.bump() {
                Some(d) if d.is_digit(radix) => code.push(d),
                _ => {
                    return Err(self.error(
                        line,
                        column,
                        format!("invalid escape sequence \\{c}{code}"),
                    ));
                }
            }
        }
        u32::from_str_radix(&code, radix)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                self.error(
                    line,
                    column,
                    format!("escape sequence \\{c}{code} is not a valid character"),
                )
            })
    }

    /// `<<EOF` / `<<-EOF` heredocs. The text keeps its final newline, as HCL1 does; the `-` form
    /// removes the indentation common to all lines.
    fn heredoc(&mut self) -> Result<String, SyntaxError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        self.bump();
        let indented = self.peek() == Some('-');
        if indented {
            self.bump();
        }
        let anchor = self.ident();
        if anchor.is_empty() || self.peek() != Some('\n') && self.peek() != Some('\r') {
            return Err(self.error(
                line,
                column,
                "heredoc must have an identifier followed by a line break",
            ));
        }
        self.skip_line();
        self.bump();
        let mut lines: Vec<String> = Vec::new();
        loop {
            if self.peek().is_none() {
                return Err(self.error(
                    line,
                    column,
                    format!("heredoc not terminated: missing {anchor:?}"),
                ));
            }
            let mut current = String::new();
            while let Some(c) = self.peek() {
                if c == '\n' {
                    break;
                }
                current.push(c);
                self.bump();
            }
            let trimmed = current.trim_end_matches('\r');
            if trimmed.trim_start() == anchor {
                break;
            }
            lines.push(trimmed.to_string());
            if self.bump().is_none() {
                return Err(self.error(
                    line,
                    column,
                    format!("heredoc not terminated: missing {anchor:?}"),
                ));
            }
        }
        if indented {
            let indent = lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| leading_blanks(l))
                .min()
                .unwrap_or(0);
            for l in &mut lines {
                let cut = indent.min(leading_blanks(l));
                l.drain(..cut);
            }
        }
        let mut text = String::new();
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        Ok(text)
    }
}

/// Bytes of leading spaces and tabs (ASCII, so any count is a char boundary).
fn leading_blanks(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn parse_number(text: &str) -> Option<Token> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        let value = i64::from_str_radix(hex, 16).ok()?;
        return Some(Token::Int(if negative { -value } else { value }));
    }
    if digits.contains(['.', 'e', 'E']) {
        return text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Token::Float);
    }
    if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        let value = i64::from_str_radix(digits, 8).ok()?;
        return Some(Token::Int(if negative { -value } else { value }));
    }
    text.parse::<i64>().ok().map(Token::Int)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        tokenize(text)
            .expect("test input is valid")
            .into_iter()
            .map(|s| s.token)
            .collect()
    }

    #[test]
    fn skips_all_three_comment_styles() {
        assert_eq!(
            tokens("a # one\n// two\n/* three\n */ b"),
            vec![
                Token::Ident("a".into()),
                Token::Newline,
                Token::Newline,
                Token::Ident("b".into())
            ]
        );
    }

    #[test]
    fn unescapes_strings_and_keeps_interpolations() {
        assert_eq!(
            tokens(r#""a\"b\n\u00e9""#),
            vec![Token::Str("a\"b\n\u{e9}".into())]
        );
        assert_eq!(
            tokens(r#""${env("X")}""#),
            vec![Token::Str(r#"${env("X")}"#.into())]
        );
    }

    #[test]
    fn reads_numbers_in_every_form() {
        assert_eq!(
            tokens("8081 -3 1.5 0x1F 010 1e3"),
            vec![
                Token::Int(8081),
                Token::Int(-3),
                Token::Float(1.5),
                Token::Int(31),
                Token::Int(8),
                Token::Float(1000.0)
            ]
        );
    }

    #[test]
    fn reads_plain_and_indented_heredocs() {
        assert_eq!(
            tokens("<<EOF\nline1\n  line2\nEOF\n")[0],
            Token::Str("line1\n  line2\n".into())
        );
        assert_eq!(
            tokens("<<-EOT\n    a\n      b\n    EOT")[0],
            Token::Str("a\n  b\n".into())
        );
    }

    #[test]
    fn reports_position_of_unterminated_string() {
        let err = tokenize("a = 1\nb = \"oops").expect_err("string is unterminated");
        assert_eq!((err.line, err.column), (2, 5));
        assert_eq!(err.message, "string literal not terminated");
    }
}
