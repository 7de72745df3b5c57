//! Protobuf wire checks: field numbers and wire types, read back with a
//! small decoder written here so the test doesn't trust prost to check prost.

use prost::Message;
use spire_proto::spire::api::server::agent::v1::{AttestAgentRequest, attest_agent_request};
use spire_proto::spire::api::types::{Entry, Selector, Spiffeid, entry::AdditionalAttributes};

const VARINT: u8 = 0;
const LEN: u8 = 2;

#[test]
fn spiffe_id_encodes_trust_domain_as_field_1_and_path_as_field_2() {
    let id = Spiffeid {
        trust_domain: "td".into(),
        path: "/w".into(),
    };
    assert_eq!(
        id.encode_to_vec(),
        [0x0a, 2, b't', b'd', 0x12, 2, b'/', b'w']
    );
}

#[test]
fn entry_with_every_field_set_uses_the_sdk_field_numbers() {
    let bytes = full_entry().encode_to_vec();
    let fields: Vec<(u64, u8)> = top_level_fields(&bytes)
        .into_iter()
        .map(|f| (f.number, f.wire_type))
        .collect();
    assert_eq!(
        fields,
        [
            (1, LEN),     // id
            (2, LEN),     // spiffe_id
            (3, LEN),     // parent_id
            (4, LEN),     // selectors[0]
            (4, LEN),     // selectors[1]
            (5, VARINT),  // x509_svid_ttl
            (6, LEN),     // federates_with
            (7, VARINT),  // admin
            (8, VARINT),  // downstream
            (9, VARINT),  // expires_at
            (10, LEN),    // dns_names
            (11, VARINT), // revision_number
            (12, VARINT), // store_svid
            (13, VARINT), // jwt_svid_ttl
            (14, LEN),    // hint
            (15, VARINT), // created_at
            (16, LEN),    // additional_attributes
        ]
    );
}

#[test]
fn entry_scalar_values_land_in_their_fields() {
    let bytes = full_entry().encode_to_vec();
    let fields = top_level_fields(&bytes);
    let value = |n: u64| {
        fields
            .iter()
            .find(|f| f.number == n)
            .map(|f| f.payload.clone())
    };
    assert_eq!(value(1), Some(Payload::Bytes(b"entry-1".to_vec())));
    assert_eq!(value(5), Some(Payload::Varint(3600)));
    assert_eq!(value(11), Some(Payload::Varint(42)));
    assert_eq!(value(13), Some(Payload::Varint(300)));
    assert_eq!(value(14), Some(Payload::Bytes(b"external".to_vec())));
    // additional_attributes: disable_x509_svid_prefetch (1) and
    // jwt_svid_include_jti (2), both true.
    assert_eq!(value(16), Some(Payload::Bytes(vec![0x08, 1, 0x10, 1])));
    // Tag of field 16 needs two varint bytes: (16 << 3 | 2) = 130.
    assert!(bytes.windows(2).any(|w| w == [0x82, 0x01]));
}

#[test]
fn entry_round_trips_through_the_wire() {
    let entry = full_entry();
    let decoded = Entry::decode(entry.encode_to_vec().as_slice());
    assert_eq!(decoded, Ok(entry));
}

#[test]
fn attest_agent_challenge_response_is_oneof_field_2() {
    let request = AttestAgentRequest {
        step: Some(attest_agent_request::Step::ChallengeResponse(vec![7, 8])),
    };
    assert_eq!(request.encode_to_vec(), [0x12, 2, 7, 8]);
}

pub(crate) fn full_entry() -> Entry {
    Entry {
        id: "entry-1".into(),
        spiffe_id: Some(Spiffeid {
            trust_domain: "example.org".into(),
            path: "/workload".into(),
        }),
        parent_id: Some(Spiffeid {
            trust_domain: "example.org".into(),
            path: "/spire/agent/join_token/abc".into(),
        }),
        selectors: vec![
            Selector {
                r#type: "unix".into(),
                value: "uid:1000".into(),
            },
            Selector {
                r#type: "unix".into(),
                value: "gid:1000".into(),
            },
        ],
        x509_svid_ttl: 3600,
        federates_with: vec!["other.org".into()],
        admin: true,
        downstream: true,
        expires_at: 1_900_000_000,
        dns_names: vec!["w.example.org".into()],
        revision_number: 42,
        store_svid: true,
        jwt_svid_ttl: 300,
        hint: "external".into(),
        created_at: 1_700_000_000,
        additional_attributes: Some(AdditionalAttributes {
            disable_x509_svid_prefetch: true,
            jwt_svid_include_jti: true,
        }),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Payload {
    Varint(u64),
    Bytes(Vec<u8>),
}

#[derive(Debug)]
struct Field {
    number: u64,
    wire_type: u8,
    payload: Payload,
}

/// Splits an encoded message into its top-level fields. Only the wire types
/// proto3 uses here (varint and length-delimited) are understood.
fn top_level_fields(mut bytes: &[u8]) -> Vec<Field> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let tag = read_varint(&mut bytes);
        let wire_type = (tag & 7) as u8;
        let payload = match wire_type {
            VARINT => Payload::Varint(read_varint(&mut bytes)),
            LEN => {
                let len = usize::try_from(read_varint(&mut bytes)).expect("length fits usize");
                let (head, rest) = bytes.split_at(len);
                bytes = rest;
                Payload::Bytes(head.to_vec())
            }
            other => panic!("unexpected wire type {other}"),
        };
        fields.push(Field {
            number: tag >> 3,
            wire_type,
            payload,
        });
    }
    fields
}

fn read_varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().expect("truncated varint");
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
    }
    panic!("varint longer than 10 bytes")
}
