//! The `join_token` node attestor, agent half: the payload is the token itself; the server
//! handles join tokens natively and never challenges.

use spire_plugin::{AgentNodeAttestor, NodeAttestorError};

/// The plugin name, also the attestation data type on the wire.
pub const JOIN_TOKEN: &str = "join_token";

/// Attests with a one-time join token. The token is never logged.
pub struct JoinTokenAttestor {
    token: String,
}

impl JoinTokenAttestor {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl std::fmt::Debug for JoinTokenAttestor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinTokenAttestor")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl AgentNodeAttestor for JoinTokenAttestor {
    fn name(&self) -> &str {
        JOIN_TOKEN
    }

    fn payload(&self) -> Result<Vec<u8>, NodeAttestorError> {
        Ok(self.token.as_bytes().to_vec())
    }

    fn respond(&self, _challenge: &[u8]) -> Result<Vec<u8>, NodeAttestorError> {
        Err(NodeAttestorError::InvalidArgument {
            plugin: JOIN_TOKEN.into(),
            what: "challenge",
            message: "join token attestation takes no challenge".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_the_token_and_debug_hides_it() {
        let attestor = JoinTokenAttestor::new("secret-token");
        assert_eq!(attestor.name(), "join_token");
        assert_eq!(attestor.payload().expect("payload"), b"secret-token");
        assert!(!format!("{attestor:?}").contains("secret-token"));
        assert!(attestor.respond(b"x").is_err());
    }
}
