//! `bundles.data` and `registered_entries.additional_attributes` as SPIRE stores them:
//! `spire.common.Bundle` and `spire.common.RegistrationEntry.AdditionalAttributes`
//! protobufs (field numbers from SPIRE's `proto/spire/common/common.proto`).

use prost::Message;
use spire_spiffe::{Bundle, JwtAuthority, X509Authority};

use crate::error::{DataStoreError, Result};

/// The scheme SPIRE prefixes to trust domain names in `bundles.trust_domain`.
pub const TRUST_DOMAIN_SCHEME: &str = "spiffe://";

/// `spiffe://example.org` for `example.org` (the key SPIRE stores bundles under).
pub fn trust_domain_id(trust_domain: &str) -> String {
    format!("{TRUST_DOMAIN_SCHEME}{trust_domain}")
}

/// `example.org` for `spiffe://example.org`; names without the scheme pass through.
pub fn trust_domain_name(trust_domain_id: &str) -> &str {
    trust_domain_id
        .strip_prefix(TRUST_DOMAIN_SCHEME)
        .unwrap_or(trust_domain_id)
}

/// Encodes a bundle as SPIRE's `spire.common.Bundle`.
pub fn encode_bundle(bundle: &Bundle) -> Vec<u8> {
    let proto = ProtoBundle {
        trust_domain_id: trust_domain_id(&bundle.trust_domain),
        root_cas: bundle
            .x509_authorities
            .iter()
            .map(|a| ProtoCertificate {
                der_bytes: a.der.clone(),
                tainted_key: a.tainted,
            })
            .collect(),
        jwt_signing_keys: bundle
            .jwt_authorities
            .iter()
            .map(|k| ProtoPublicKey {
                pkix_bytes: k.public_key_der.clone(),
                kid: k.key_id.clone(),
                not_after: k.expires_at,
                tainted_key: k.tainted,
            })
            .collect(),
        refresh_hint: bundle.refresh_hint,
        sequence_number: bundle.sequence_number,
    };
    proto.encode_to_vec()
}

/// Decodes a `spire.common.Bundle` blob; `row` names the record for the error message.
pub fn decode_bundle(data: &[u8], row: &str) -> Result<Bundle> {
    let proto = ProtoBundle::decode(data).map_err(|e| {
        DataStoreError::Database(format!(
            "bundles.data of {row:?} is not a valid bundle: {e}"
        ))
    })?;
    Ok(Bundle {
        trust_domain: trust_domain_name(&proto.trust_domain_id).to_owned(),
        x509_authorities: proto
            .root_cas
            .into_iter()
            .map(|c| X509Authority {
                der: c.der_bytes,
                tainted: c.tainted_key,
            })
            .collect(),
        jwt_authorities: proto
            .jwt_signing_keys
            .into_iter()
            .map(|k| JwtAuthority {
                key_id: k.kid,
                public_key_der: k.pkix_bytes,
                expires_at: k.not_after,
                tainted: k.tainted_key,
            })
            .collect(),
        refresh_hint: proto.refresh_hint,
        sequence_number: proto.sequence_number,
    })
}

/// Encodes the entry flags SPIRE keeps in `additional_attributes`. Like SPIRE, an entry
/// always gets the (possibly empty) message.
pub fn encode_additional_attributes(
    disable_x509_svid_prefetch: bool,
    include_jti: bool,
) -> Vec<u8> {
    AdditionalAttributes {
        disable_x509_svid_prefetch,
        jwt_svid_include_jti: include_jti,
    }
    .encode_to_vec()
}

/// Decodes `additional_attributes` into (disable_x509_svid_prefetch, jwt_svid_include_jti);
/// NULL or empty means both false.
pub fn decode_additional_attributes(data: Option<&[u8]>, entry_id: &str) -> Result<(bool, bool)> {
    let Some(data) = data.filter(|d| !d.is_empty()) else {
        return Ok((false, false));
    };
    let attrs = AdditionalAttributes::decode(data).map_err(|e| {
        DataStoreError::Database(format!(
            "registered_entries.additional_attributes of entry {entry_id:?} is malformed: {e}"
        ))
    })?;
    Ok((attrs.disable_x509_svid_prefetch, attrs.jwt_svid_include_jti))
}

/// `spire.common.Bundle`. Field 6 (`wit_signing_keys`) is not modelled yet.
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoBundle {
    #[prost(string, tag = "1")]
    trust_domain_id: String,
    #[prost(message, repeated, tag = "2")]
    root_cas: Vec<ProtoCertificate>,
    #[prost(message, repeated, tag = "3")]
    jwt_signing_keys: Vec<ProtoPublicKey>,
    #[prost(int64, tag = "4")]
    refresh_hint: i64,
    #[prost(uint64, tag = "5")]
    sequence_number: u64,
}

/// `spire.common.Certificate`.
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoCertificate {
    #[prost(bytes = "vec", tag = "1")]
    der_bytes: Vec<u8>,
    #[prost(bool, tag = "2")]
    tainted_key: bool,
}

/// `spire.common.PublicKey`.
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoPublicKey {
    #[prost(bytes = "vec", tag = "1")]
    pkix_bytes: Vec<u8>,
    #[prost(string, tag = "2")]
    kid: String,
    #[prost(int64, tag = "3")]
    not_after: i64,
    #[prost(bool, tag = "4")]
    tainted_key: bool,
}

/// `spire.common.RegistrationEntry.AdditionalAttributes`.
#[derive(Clone, PartialEq, prost::Message)]
struct AdditionalAttributes {
    #[prost(bool, tag = "1")]
    disable_x509_svid_prefetch: bool,
    #[prost(bool, tag = "2")]
    jwt_svid_include_jti: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_round_trips_through_spire_protobuf() {
        let bundle = Bundle {
            trust_domain: "example.org".into(),
            x509_authorities: vec![X509Authority {
                der: vec![1, 2, 3],
                tainted: true,
            }],
            jwt_authorities: vec![JwtAuthority {
                key_id: "kid1".into(),
                public_key_der: vec![4, 5],
                expires_at: 1_700_000_000,
                tainted: false,
            }],
            refresh_hint: 300,
            sequence_number: 7,
        };
        let decoded = decode_bundle(&encode_bundle(&bundle), "t").expect("own encoding decodes");
        assert_eq!(decoded, bundle);
    }

    #[test]
    fn bundle_blob_carries_spiffe_scheme_trust_domain_id_in_field_1() {
        let blob = encode_bundle(&Bundle {
            trust_domain: "td".into(),
            ..Bundle::default()
        });
        // tag 1, wire type 2, length 11, "spiffe://td"
        assert_eq!(&blob[..2], &[0x0a, 11]);
        assert_eq!(&blob[2..13], b"spiffe://td");
    }

    #[test]
    fn garbage_bundle_blob_is_a_database_error() {
        let err = decode_bundle(&[0xff, 0xff, 0xff], "x").expect_err("garbage must fail");
        assert!(matches!(err, DataStoreError::Database(_)), "{err:?}");
    }

    #[test]
    fn missing_additional_attributes_mean_false() {
        assert_eq!(
            decode_additional_attributes(None, "e").ok(),
            Some((false, false))
        );
        let blob = encode_additional_attributes(true, false);
        assert_eq!(
            decode_additional_attributes(Some(&blob), "e").ok(),
            Some((true, false))
        );
    }
}
