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
    #[error("unknown configuration key {0:?} (expected: type, key_prefix)")]
    UnknownKey(String),
    #[error("type must be one of session, user, process; got {0:?}")]
    UnknownType(String),
    #[error("{0} must be a string")]
    NotString(&'static str),
}

/// The plugin's settings: which keyring, and the description prefix of its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringConfig {
    pub keyring: KeyringType,
    /// Prefix of each key's description (`<prefix><key id>`); agents sharing one keyring need
    /// distinct prefixes or they overwrite each other's `agent-svid-A`.
    pub key_prefix: String,
}

/// The default description prefix.
pub const DEFAULT_PREFIX: &str = "spire-keymanager:";

impl KeyringConfig {
    /// Reads `plugin_data { type = "..." key_prefix = "..." }`; empty means session keyring
    /// and the default prefix.
    pub fn from_plugin_data(data: &Value) -> Result<Self, KeyringConfigError> {
        let mut config = Self {
            keyring: KeyringType::default(),
            key_prefix: DEFAULT_PREFIX.to_owned(),
        };
        let Value::Object(map) = data else {
            return Ok(config);
        };
        if let Some(k) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "type" | "key_prefix"))
        {
            return Err(KeyringConfigError::UnknownKey(k.clone()));
        }
        match map.get("type") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => config.keyring = s.parse()?,
            Some(_) => return Err(KeyringConfigError::NotString("type")),
        }
        match map.get("key_prefix") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if !s.is_empty() => config.key_prefix = s.clone(),
            Some(_) => return Err(KeyringConfigError::NotString("key_prefix")),
        }
        Ok(config)
    }
}

impl KeyringType {
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
        let c = KeyringConfig::from_plugin_data(&json!({})).expect("valid");
        assert_eq!(c.keyring, KeyringType::Session);
        assert_eq!(c.key_prefix, DEFAULT_PREFIX);
        let c = KeyringConfig::from_plugin_data(&json!({"type": "process", "key_prefix": "a:"}))
            .expect("valid");
        assert_eq!(
            (c.keyring, c.key_prefix.as_str()),
            (KeyringType::Process, "a:")
        );
    }

    #[test]
    fn unknown_keys_and_types_are_named() {
        assert_eq!(
            KeyringConfig::from_plugin_data(&json!({"kind": "user"}))
                .expect_err("unknown key")
                .to_string(),
            "unknown configuration key \"kind\" (expected: type, key_prefix)"
        );
        assert_eq!(
            KeyringConfig::from_plugin_data(&json!({"type": "thread"}))
                .expect_err("unknown type")
                .to_string(),
            "type must be one of session, user, process; got \"thread\""
        );
    }
}
