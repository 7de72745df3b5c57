//! `-expandEnv`: Go `os.ExpandEnv` semantics, applied to the raw text before parsing.
//!
//! `$NAME` (letters, digits, `_`) and `${NAME}` are replaced by the variable's value, unset
//! variables by nothing; `$` followed by anything else stays as is; a malformed `${` or `${}`
//! is dropped, exactly as Go does, so a file expands to the same text under both.

/// Expands `$VAR` / `${VAR}` with values from `lookup` (`None` = unset = empty).
pub fn expand_env_with(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if after.is_empty() {
            // A trailing `$` is kept.
            out.push('$');
            rest = after;
            break;
        }
        let (name, consumed) = shell_name(after);
        match name {
            Some(name) => out.push_str(&lookup(name).unwrap_or_default()),
            None if consumed == 0 => out.push('$'),
            None => {} // bad syntax: Go eats the characters
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// Expands with the process environment.
pub fn expand_env(text: &str) -> String {
    expand_env_with(text, |name| std::env::var(name).ok())
}

/// Go's `getShellName`: the variable name after `$` and how many bytes it spans.
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let bytes = s.as_bytes();
    if bytes[0] == b'{' {
        if bytes.len() > 2 && is_special(bytes[1]) && bytes[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        return match s[1..].find('}') {
            Some(0) => (None, 2),
            Some(end) => (Some(&s[1..=end]), end + 2),
            None => (None, 1),
        };
    }
    if is_special(bytes[0]) {
        return (Some(&s[..1]), 1);
    }
    let len = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    if len == 0 {
        (None, 0)
    } else {
        (Some(&s[..len]), len)
    }
}

fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-' | b'0'..=b'9'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TD" => Some("example.org".into()),
            "PORT" => Some("8081".into()),
            _ => None,
        }
    }

    #[test]
    fn expands_both_forms_and_empties_unset() {
        assert_eq!(
            expand_env_with("td=$TD port=${PORT} x=$UNSET. y=${NOPE}!", env),
            "td=example.org port=8081 x=. y=!"
        );
    }

    #[test]
    fn keeps_lone_dollars_and_drops_malformed_braces_like_go() {
        assert_eq!(expand_env_with("cost $ 5 $", env), "cost $ 5 $");
        assert_eq!(expand_env_with("a${}b", env), "ab");
        assert_eq!(expand_env_with("a${TD", env), "aTD");
        assert_eq!(expand_env_with("é$TD€", env), "éexample.org€");
    }
}
