//! The `join_token` node attestor, agent half: the payload is the token itself; the server
//! handles join tokens natively and never challenges.

use spire_plugin::{AgentNodeAttestor, NodeAttestorError};

/// The plugin name, also the attestation data type on the wire.
pub const JOIN_TOKEN: &str = "join_token";

/// Attests with a one-time join token. The token is never logged.
pub struct JoinTokenAttestor {
    token: Option<String>,
}

impl JoinTokenAttestor {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
        }
    }

    /// The plugin configured without a token: an agent with a valid stored SVID never
    /// attests, so it may restart without its (single-use, spent) token; attesting fails.
    pub fn without_token() -> Self {
        Self { token: None }
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
        match &self.token {
            Some(token) => Ok(token.as_bytes().to_vec()),
            None => Err(NodeAttestorError::Internal {
                plugin: JOIN_TOKEN.into(),
                message: "join token attestation requires a join token: set join_token or join_token_file, or pass -joinToken".into(),
            }),
        }
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
        let err = JoinTokenAttestor::without_token()
            .payload()
            .expect_err("no token");
        assert!(err.to_string().contains("requires a join token"), "{err}");
    }
}
