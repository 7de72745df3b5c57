//! Protobuf ↔ the agent's own types, converted once at the gRPC edge.

use spire_proto::spire::api::types::{
    Bundle as ProtoBundle, Entry as ProtoEntry, EntryMask, Spiffeid,
};
use spire_spiffe::{Bundle, JwtAuthority, Selector, SpiffeId, X509Authority};

use crate::identity::AgentEntry;

/// The entry fields the agent asks for: everything it uses to match, mint and serve.
pub fn entry_output_mask() -> EntryMask {
    EntryMask {
        spiffe_id: true,
        parent_id: true,
        selectors: true,
        x509_svid_ttl: true,
        federates_with: true,
        admin: true,
        downstream: true,
        expires_at: false,
        dns_names: true,
        revision_number: true,
        store_svid: true,
        jwt_svid_ttl: true,
        hint: true,
        created_at: true,
        additional_attributes: true,
    }
}

/// `spiffe://<td><path>` from the wire form.
pub fn id_string(id: Option<&Spiffeid>) -> String {
    match id {
        Some(id) if !id.trust_domain.is_empty() => {
            format!("spiffe://{}{}", id.trust_domain, id.path)
        }
        _ => String::new(),
    }
}

/// An entry from the server, or why it is unusable (the agent logs and skips such entries,
/// as SPIRE does, rather than failing the whole sync).
pub fn entry_from_proto(proto: ProtoEntry) -> Result<AgentEntry, String> {
    if proto.id.is_empty() {
        return Err("entry has no ID".into());
    }
    let spiffe_id = id_string(proto.spiffe_id.as_ref());
    if spiffe_id.is_empty() {
        return Err(format!("entry {:?} has no SPIFFE ID", proto.id));
    }
    // Parsed here, once, as SPIRE's agent does (`spiffeid.FromProto`): an ID that breaks the
    // SPIFFE-ID rules would never match what the server signs, so the entry is skipped.
    let spiffe_id = SpiffeId::new(&spiffe_id)
        .map_err(|e| format!("entry {:?}: invalid SPIFFE ID {spiffe_id:?}: {e}", proto.id))?;
    let parent_id = match id_string(proto.parent_id.as_ref()) {
        parent if parent.is_empty() => None,
        parent => Some(
            SpiffeId::new(&parent)
                .map_err(|e| format!("entry {:?}: invalid parent ID {parent:?}: {e}", proto.id))?,
        ),
    };
    let selectors = proto
        .selectors
        .iter()
        .map(|s| {
            Selector::new(s.r#type.clone(), s.value.clone())
                .map_err(|e| format!("entry {:?}: selector: {e}", proto.id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if selectors.is_empty() {
        return Err(format!("entry {:?} has no selectors", proto.id));
    }
    let attributes = proto.additional_attributes.unwrap_or_default();
    Ok(AgentEntry {
        parent_id,
        entry_id: proto.id,
        spiffe_id,
        selectors,
        x509_svid_ttl: proto.x509_svid_ttl,
        jwt_svid_ttl: proto.jwt_svid_ttl,
        dns_names: proto.dns_names,
        federates_with: proto
            .federates_with
            .into_iter()
            .map(|td| td.trim_start_matches("spiffe://").to_owned())
            .collect(),
        revision_number: proto.revision_number,
        hint: proto.hint,
        created_at: proto.created_at,
        admin: proto.admin,
        downstream: proto.downstream,
        store_svid: proto.store_svid,
        disable_x509_svid_prefetch: attributes.disable_x509_svid_prefetch,
        jwt_svid_include_jti: attributes.jwt_svid_include_jti,
    })
}

/// A bundle from the server.
pub fn bundle_from_proto(proto: ProtoBundle) -> Bundle {
    Bundle {
        trust_domain: proto.trust_domain,
        x509_authorities: proto
            .x509_authorities
            .into_iter()
            .map(|c| X509Authority {
                der: c.asn1,
                tainted: c.tainted,
            })
            .collect(),
        jwt_authorities: proto
            .jwt_authorities
            .into_iter()
            .map(|k| JwtAuthority {
                key_id: k.key_id,
                public_key_der: k.public_key,
                expires_at: k.expires_at,
                tainted: k.tainted,
            })
            .collect(),
        refresh_hint: proto.refresh_hint,
        sequence_number: proto.sequence_number,
    }
}

#[cfg(test)]
mod tests {
    use spire_proto::spire::api::types::{Selector as ProtoSelector, entry::AdditionalAttributes};

    use super::*;

    fn id(td: &str, path: &str) -> Option<Spiffeid> {
        Some(Spiffeid {
            trust_domain: td.into(),
            path: path.into(),
        })
    }

    #[test]
    fn entry_converts_every_field_the_agent_uses() {
        let entry = entry_from_proto(ProtoEntry {
            id: "e1".into(),
            spiffe_id: id("example.org", "/workload"),
            parent_id: id("example.org", "/spire/agent/join_token/t"),
            selectors: vec![ProtoSelector {
                r#type: "unix".into(),
                value: "uid:1000".into(),
            }],
            x509_svid_ttl: 120,
            jwt_svid_ttl: 60,
            federates_with: vec!["spiffe://other.org".into(), "third.org".into()],
            dns_names: vec!["a.example".into()],
            revision_number: 3,
            hint: "h".into(),
            created_at: 1700,
            admin: true,
            downstream: false,
            store_svid: false,
            additional_attributes: Some(AdditionalAttributes {
                disable_x509_svid_prefetch: true,
                jwt_svid_include_jti: true,
            }),
            ..Default::default()
        })
        .expect("valid entry");
        assert_eq!(entry.entry_id, "e1");
        assert_eq!(entry.spiffe_id.as_str(), "spiffe://example.org/workload");
        assert_eq!(
            entry.parent_id.as_ref().map(SpiffeId::as_str),
            Some("spiffe://example.org/spire/agent/join_token/t")
        );
        assert_eq!(
            entry.selectors,
            vec![Selector::new("unix", "uid:1000").expect("selector")]
        );
        assert_eq!(entry.federates_with, vec!["other.org", "third.org"]);
        assert_eq!((entry.x509_svid_ttl, entry.jwt_svid_ttl), (120, 60));
        assert_eq!((entry.revision_number, entry.created_at), (3, 1700));
        assert!(entry.admin && entry.disable_x509_svid_prefetch && entry.jwt_svid_include_jti);
    }

    #[test]
    fn entry_without_spiffe_id_or_selectors_is_refused() {
        let no_id = entry_from_proto(ProtoEntry {
            id: "e1".into(),
            ..Default::default()
        });
        assert_eq!(no_id, Err("entry \"e1\" has no SPIFFE ID".to_owned()));
        let no_selectors = entry_from_proto(ProtoEntry {
            id: "e2".into(),
            spiffe_id: id("example.org", "/w"),
            ..Default::default()
        });
        assert_eq!(
            no_selectors,
            Err("entry \"e2\" has no selectors".to_owned())
        );
    }

    #[test]
    fn entry_with_an_invalid_spiffe_or_parent_id_is_refused() {
        let selectors = vec![ProtoSelector {
            r#type: "unix".into(),
            value: "uid:1".into(),
        }];
        let bad_id = entry_from_proto(ProtoEntry {
            id: "e1".into(),
            spiffe_id: id("example.org", "/a/../b"),
            selectors: selectors.clone(),
            ..Default::default()
        });
        assert_eq!(
            bad_id,
            Err(
                "entry \"e1\": invalid SPIFFE ID \"spiffe://example.org/a/../b\": \
                 path must not contain '.' or '..' segments"
                    .to_owned()
            )
        );
        let bad_parent = entry_from_proto(ProtoEntry {
            id: "e2".into(),
            spiffe_id: id("example.org", "/w"),
            parent_id: id("Example.org", "/agent"),
            selectors,
            ..Default::default()
        })
        .expect_err("an invalid parent ID is refused");
        assert!(
            bad_parent
                .starts_with("entry \"e2\": invalid parent ID \"spiffe://Example.org/agent\": "),
            "{bad_parent}"
        );
    }
}
