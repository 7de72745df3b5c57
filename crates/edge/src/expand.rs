//! `${VAR}` expansion in every string value of `plugins.yaml`. An unset variable is an error
//! naming the key it appears under; `$$` stands for a literal `$`.

use serde_norway::Value;

use crate::config::ConfigError;

/// Expands `${VAR}` in every string under `value`, reading variables through `lookup`;
/// `path` is the dotted key of `value`, used in errors.
pub fn expand_value(
    value: &mut Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    match value {
        Value::String(s) => {
            *s = expand_str(s, path, lookup)?;
            Ok(())
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = k.as_str().unwrap_or("?");
                let child = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                expand_value(v, &child, lookup)?;
            }
            Ok(())
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                expand_value(v, &format!("{path}[{i}]"), lookup)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Expands one string.
pub fn expand_str(
    s: &str,
    key: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or_else(|| ConfigError::Invalid {
                key: key.to_owned(),
                message: "unterminated ${ in value".into(),
            })?;
            let var = &body[..end];
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ConfigError::Invalid {
                    key: key.to_owned(),
                    message: format!("${{{var}}} is not a valid variable name"),
                });
            }
            let value = lookup(var).ok_or_else(|| ConfigError::UnsetVariable {
                key: key.to_owned(),
                var: var.to_owned(),
            })?;
            out.push_str(&value);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        (var == "ROBOT").then(|| "r2d2".to_owned())
    }

    #[test]
    fn expands_set_variables_and_keeps_literal_dollars() {
        assert_eq!(
            expand_str("id-${ROBOT}/$$x/$y", "k", &env).expect("expands"),
            "id-r2d2/$x/$y"
        );
    }

    #[test]
    fn unset_variable_names_key_and_variable() {
        let err = expand_str("${NOPE}", "spire.joinToken", &env).expect_err("unset");
        assert_eq!(
            err.to_string(),
            "spire.joinToken: environment variable ${NOPE} is not set"
        );
    }

    #[test]
    fn nested_values_report_their_dotted_path() {
        let mut v: Value =
            serde_norway::from_str("spire:\n  nodeAttestor:\n    type: ${MISSING}\n")
                .expect("yaml");
        let err = expand_value(&mut v, "", &env).expect_err("unset");
        assert_eq!(
            err.to_string(),
            "spire.nodeAttestor.type: environment variable ${MISSING} is not set"
        );
    }
}
