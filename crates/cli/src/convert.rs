//! Wire types <-> the SPIFFE vocabulary of `spire-spiffe`, and the parsing of
//! command-line values into wire types (SPIRE's `idStringToProto`,
//! `ParseSelector`).

use spire_proto::spire::api::types as wire;
use spire_spiffe::{Bundle, JwtAuthority, SpiffeId, X509Authority};

use crate::error::CliError;

/// A wire bundle as a `spire_spiffe::Bundle` (WIT authorities are dropped).
pub fn bundle_to_domain(b: &wire::Bundle) -> Bundle {
    Bundle {
        trust_domain: b.trust_domain.clone(),
        x509_authorities: b
            .x509_authorities
            .iter()
            .map(|c| X509Authority {
                der: c.asn1.clone(),
                tainted: c.tainted,
            })
            .collect(),
        jwt_authorities: b
            .jwt_authorities
            .iter()
            .map(|k| JwtAuthority {
                key_id: k.key_id.clone(),
                public_key_der: k.public_key.clone(),
                expires_at: k.expires_at,
                tainted: k.tainted,
            })
            .collect(),
        refresh_hint: b.refresh_hint,
        sequence_number: b.sequence_number,
    }
}

/// A `spire_spiffe::Bundle` as the wire type.
pub fn bundle_from_domain(b: &Bundle) -> wire::Bundle {
    wire::Bundle {
        trust_domain: b.trust_domain.clone(),
        x509_authorities: b
            .x509_authorities
            .iter()
            .map(|a| wire::X509Certificate {
                asn1: a.der.clone(),
                tainted: a.tainted,
            })
            .collect(),
        jwt_authorities: b
            .jwt_authorities
            .iter()
            .map(|a| wire::JwtKey {
                public_key: a.public_key_der.clone(),
                key_id: a.key_id.clone(),
                expires_at: a.expires_at,
                tainted: a.tainted,
            })
            .collect(),
        refresh_hint: b.refresh_hint,
        sequence_number: b.sequence_number,
        wit_authorities: Vec::new(),
    }
}

/// Parses a SPIFFE ID given on the command line into the wire type.
pub fn spiffe_id(text: &str) -> Result<wire::Spiffeid, CliError> {
    let id = SpiffeId::new(text).map_err(|e| CliError::invalid(e.to_string()))?;
    Ok(wire::Spiffeid {
        trust_domain: id.trust_domain().as_str().to_owned(),
        path: id.path().to_owned(),
    })
}

/// SPIRE's `ParseSelector`: `type:value`, the value being everything after
/// the first colon.
pub fn selector(text: &str) -> Result<wire::Selector, CliError> {
    match text.split_once(':') {
        Some((kind, value)) => Ok(wire::Selector {
            r#type: kind.to_owned(),
            value: value.to_owned(),
        }),
        None => Err(CliError::invalid(format!(
            "selector \"{text}\" must be formatted as type:value"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_value_keeps_later_colons() {
        let s = selector("unix:uid:1000").expect("has a colon");
        assert_eq!((s.r#type.as_str(), s.value.as_str()), ("unix", "uid:1000"));
        let err = selector("unix").expect_err("no colon");
        assert_eq!(
            err.to_string(),
            "selector \"unix\" must be formatted as type:value"
        );
    }

    #[test]
    fn spiffe_id_splits_trust_domain_and_path() {
        let id = spiffe_id("spiffe://example.org/a/b").expect("valid ID");
        assert_eq!(
            (id.trust_domain.as_str(), id.path.as_str()),
            ("example.org", "/a/b")
        );
        assert!(spiffe_id("http://example.org/a").is_err());
    }

    #[test]
    fn bundle_round_trips_through_the_domain_type() {
        let wire_bundle = wire::Bundle {
            trust_domain: "example.org".into(),
            x509_authorities: vec![wire::X509Certificate {
                asn1: vec![1],
                tainted: true,
            }],
            jwt_authorities: vec![wire::JwtKey {
                public_key: vec![2],
                key_id: "k".into(),
                expires_at: 9,
                tainted: false,
            }],
            refresh_hint: 60,
            sequence_number: 4,
            wit_authorities: Vec::new(),
        };
        assert_eq!(
            bundle_from_domain(&bundle_to_domain(&wire_bundle)),
            wire_bundle
        );
    }
}
