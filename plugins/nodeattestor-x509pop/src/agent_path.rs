//! `agent_path_template`: the path of the agent ID after `/spire/agent`.
//!
//! SPIRE evaluates a Go `text/template` (with some sprig functions). Supported here is the
//! subset made of literal text and field references, which covers SPIRE's defaults and the
//! documented examples: `{{ .PluginName }}`, `{{ .Fingerprint }}`, `{{ .SerialNumberHex }}`,
//! `{{ .TrustDomain }}` and `{{ .Subject.CommonName }}`. Anything else (functions, pipelines,
//! `.SVIDPathTrimmed` of `spiffe` mode, `.URISanSelectors`) is refused at configuration time
//! rather than rendered differently from SPIRE.
//!
//! A substituted value never adds a path segment: a value containing `/` (e.g. a crafted CN)
//! fails the attestation instead of choosing a different agent ID.

use spire_spiffe::TrustDomain;

use crate::chain::VerifiedLeaf;

/// SPIRE's default for `external_pki` mode.
pub const DEFAULT_TEMPLATE: &str = "/{{ .PluginName }}/{{ .Fingerprint }}";

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPathTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    PluginName,
    Fingerprint,
    SerialNumberHex,
    TrustDomain,
    SubjectCommonName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(Field),
}

/// Why a template or its rendering was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentPathError {
    #[error("agent_path_template {template:?}: unterminated action")]
    Unterminated { template: String },
    #[error("agent_path_template {template:?}: unsupported action {{{{{action}}}}}")]
    Unsupported { template: String, action: String },
    #[error("template field {field} is empty")]
    EmptyValue { field: &'static str },
    #[error("template field {field} value {value:?} contains '/'")]
    ValueHasSlash { field: &'static str, value: String },
    #[error("invalid agent ID: {0}")]
    InvalidId(String),
}

impl AgentPathTemplate {
    pub fn parse(template: &str) -> Result<Self, AgentPathError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| AgentPathError::Unterminated {
                    template: template.to_owned(),
                })?;
            let action = &after[..end];
            let field = match action.trim() {
                ".PluginName" => Field::PluginName,
                ".Fingerprint" => Field::Fingerprint,
                ".SerialNumberHex" => Field::SerialNumberHex,
                ".TrustDomain" => Field::TrustDomain,
                ".Subject.CommonName" => Field::SubjectCommonName,
                _ => {
                    return Err(AgentPathError::Unsupported {
                        template: template.to_owned(),
                        action: action.to_owned(),
                    });
                }
            };
            parts.push(Part::Field(field));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The agent ID `spiffe://<td>/spire/agent<rendered path>`.
    pub fn agent_id(
        &self,
        trust_domain: &str,
        plugin_name: &str,
        leaf: &VerifiedLeaf,
    ) -> Result<String, AgentPathError> {
        let mut path = String::from("/spire/agent");
        for part in &self.parts {
            match part {
                Part::Literal(text) => path.push_str(text),
                Part::Field(field) => {
                    let (name, value) = match field {
                        Field::PluginName => ("PluginName", plugin_name),
                        Field::Fingerprint => ("Fingerprint", leaf.fingerprint.as_str()),
                        Field::SerialNumberHex => ("SerialNumberHex", leaf.serial_hex.as_str()),
                        Field::TrustDomain => ("TrustDomain", trust_domain),
                        Field::SubjectCommonName => (
                            "Subject.CommonName",
                            leaf.common_name.as_deref().unwrap_or(""),
                        ),
                    };
                    if value.is_empty() {
                        return Err(AgentPathError::EmptyValue { field: name });
                    }
                    if value.contains('/') {
                        return Err(AgentPathError::ValueHasSlash {
                            field: name,
                            value: value.to_owned(),
                        });
                    }
                    path.push_str(value);
                }
            }
        }
        let td =
            TrustDomain::new(trust_domain).map_err(|e| AgentPathError::InvalidId(e.to_string()))?;
        let id = td
            .spiffe_id(&path)
            .map_err(|e| AgentPathError::InvalidId(e.to_string()))?;
        Ok(id.as_str().to_owned())
    }
}

impl Default for AgentPathTemplate {
    fn default() -> Self {
        Self {
            parts: vec![
                Part::Literal("/".into()),
                Part::Field(Field::PluginName),
                Part::Literal("/".into()),
                Part::Field(Field::Fingerprint),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop::LeafPublicKey;

    fn leaf(cn: &str) -> VerifiedLeaf {
        VerifiedLeaf {
            key: LeafPublicKey::EcdsaP256(vec![]),
            fingerprint: "ab12".into(),
            ca_fingerprints: vec![],
            common_name: Some(cn.into()),
            serial_hex: "0a".into(),
            uri_sans: vec![],
        }
    }

    #[test]
    fn default_template_parses_to_the_default() {
        assert_eq!(
            AgentPathTemplate::parse(DEFAULT_TEMPLATE),
            Ok(AgentPathTemplate::default())
        );
    }

    #[test]
    fn default_template_renders_plugin_and_fingerprint() {
        let id = AgentPathTemplate::default()
            .agent_id("example.org", "x509pop", &leaf("node"))
            .expect("valid id");
        assert_eq!(id, "spiffe://example.org/spire/agent/x509pop/ab12");
    }

    #[test]
    fn custom_template_renders_cn_and_serial() {
        let t = AgentPathTemplate::parse("/cn/{{.Subject.CommonName}}-{{ .SerialNumberHex }}")
            .expect("supported template");
        assert_eq!(
            t.agent_id("example.org", "x509pop", &leaf("node1")),
            Ok("spiffe://example.org/spire/agent/cn/node1-0a".to_owned())
        );
    }

    #[test]
    fn cn_with_slash_cannot_add_a_path_segment() {
        let t = AgentPathTemplate::parse("/{{ .Subject.CommonName }}").expect("supported");
        assert!(matches!(
            t.agent_id("example.org", "x509pop", &leaf("a/../b")),
            Err(AgentPathError::ValueHasSlash { .. })
        ));
    }

    #[test]
    fn functions_are_refused_at_parse_time() {
        assert!(matches!(
            AgentPathTemplate::parse("/{{ .Fingerprint | upper }}"),
            Err(AgentPathError::Unsupported { .. })
        ));
        assert!(matches!(
            AgentPathTemplate::parse("/{{ .Fingerprint"),
            Err(AgentPathError::Unterminated { .. })
        ));
    }
}
