//! `KeyManager "keyring" { plugin_data { type = "session" | "user" | "process" } }`.

use std::fmt;
use std::str::FromStr;

use linux_keyutils::KeyRingIdentifier;
use serde_json::Value;

/// Which kernel keyring holds the keys. `session` (the default) outlives an agent restart
/// under the same supervisor; `process` dies with the agent; `user` is shared by every
/// process of the uid and lives until the uid's last session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyringType {
    #[default]
    Session,
    User,
    Process,
}

/// Why `plugin_data` was refused; each message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringConfigError {
    #[error("unknown configuration key {0:?} (expected: type)")]
    UnknownKey(String),
    #[error("type must be one of session, user, process; got {0:?}")]
    UnknownType(String),
    #[error("type must be a string")]
    TypeNotString,
}

impl KeyringType {
    /// Reads `plugin_data`; an empty block means `session`.
    pub fn from_plugin_data(data: &Value) -> Result<Self, KeyringConfigError> {
        let Value::Object(map) = data else {
            return Ok(Self::default());
        };
        if let Some(k) = map.keys().find(|k| k.as_str() != "type") {
            return Err(KeyringConfigError::UnknownKey(k.clone()));
        }
        match map.get("type") {
            None | Some(Value::Null) => Ok(Self::default()),
            Some(Value::String(s)) => s.parse(),
            Some(_) => Err(KeyringConfigError::TypeNotString),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyringType::Session => "session",
            KeyringType::User => "user",
            KeyringType::Process => "process",
        }
    }

    pub(crate) fn identifier(self) -> KeyRingIdentifier {
        match self {
            KeyringType::Session => KeyRingIdentifier::Session,
            KeyringType::User => KeyRingIdentifier::User,
            KeyringType::Process => KeyRingIdentifier::Process,
        }
    }
}

impl FromStr for KeyringType {
    type Err = KeyringConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "session" => Ok(KeyringType::Session),
            "user" => Ok(KeyringType::User),
            "process" => Ok(KeyringType::Process),
            other => Err(KeyringConfigError::UnknownType(other.to_owned())),
        }
    }
}

impl fmt::Display for KeyringType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_plugin_data_means_session() {
        assert_eq!(
            KeyringType::from_plugin_data(&json!({})),
            Ok(KeyringType::Session)
        );
        assert_eq!(
            KeyringType::from_plugin_data(&json!({"type": "process"})),
            Ok(KeyringType::Process)
        );
    }

    #[test]
    fn unknown_keys_and_types_are_named() {
        assert_eq!(
            KeyringType::from_plugin_data(&json!({"kind": "user"}))
                .expect_err("unknown key")
                .to_string(),
            "unknown configuration key \"kind\" (expected: type)"
        );
        assert_eq!(
            KeyringType::from_plugin_data(&json!({"type": "thread"}))
                .expect_err("unknown type")
                .to_string(),
            "type must be one of session, user, process; got \"thread\""
        );
    }
}
