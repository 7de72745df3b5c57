use std::collections::{BTreeMap, HashMap};

use spire_proto::prost_types::{self, value::Kind};
use spire_proto::workload::Jwtsvid;

use super::*;

fn text(s: &str) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StringValue(s.to_owned())),
    }
}

fn claims() -> prost_types::Struct {
    let mut fields = BTreeMap::new();
    fields.insert(
        "aud".to_owned(),
        prost_types::Value {
            kind: Some(Kind::ListValue(prost_types::ListValue {
                values: vec![text("foo")],
            })),
        },
    );
    fields.insert(
        "exp".to_owned(),
        prost_types::Value {
            kind: Some(Kind::NumberValue(1_700_000_000.0)),
        },
    );
    fields.insert("sub".to_owned(), text("spiffe://example.org/foo"));
    prost_types::Struct { fields }
}

#[test]
fn validate_prints_validity_id_and_compact_claims() {
    let response = ValidateJwtsvidResponse {
        spiffe_id: "spiffe://example.org/foo".to_owned(),
        claims: Some(claims()),
    };
    assert_eq!(
        validate_jwt_text(&response),
        "SVID is valid.\n\
         SPIFFE ID : spiffe://example.org/foo\n\
         Claims    : {\"aud\":[\"foo\"],\"exp\":1700000000,\"sub\":\"spiffe://example.org/foo\"}\n"
    );
}

#[test]
fn validate_json_has_sorted_claims_and_spiffe_id() {
    let response = ValidateJwtsvidResponse {
        spiffe_id: "spiffe://example.org/foo".to_owned(),
        claims: Some(claims()),
    };
    assert_eq!(
        to_go_json_line(&validate_jwt_json(&response)),
        "{\"claims\":{\"aud\":[\"foo\"],\"exp\":1700000000,\"sub\":\"spiffe://example.org/foo\"},\"spiffe_id\":\"spiffe://example.org/foo\"}\n"
    );
}

#[test]
fn fractional_claim_numbers_keep_their_fraction() {
    let mut fields = BTreeMap::new();
    fields.insert(
        "x".to_owned(),
        prost_types::Value {
            kind: Some(Kind::NumberValue(1.5)),
        },
    );
    assert_eq!(
        struct_json(&prost_types::Struct { fields }).to_string(),
        "{\"x\":1.5}"
    );
}

#[test]
fn fetch_prints_tokens_hints_and_bundles_sorted() {
    let svids = JwtsvidResponse {
        svids: vec![
            Jwtsvid {
                spiffe_id: "spiffe://domain1.test".to_owned(),
                svid: "aaa.bbb.ccc".to_owned(),
                hint: "external".to_owned(),
            },
            Jwtsvid {
                spiffe_id: "spiffe://domain2.test".to_owned(),
                svid: "ddd.eee.fff".to_owned(),
                hint: String::new(),
            },
        ],
    };
    let mut bundles = HashMap::new();
    bundles.insert("spiffe://z.test".to_owned(), b"{\"keys\":[]}".to_vec());
    bundles.insert("spiffe://a.test".to_owned(), b"{\"keys\":[1]}".to_vec());
    let bundles = JwtBundlesResponse {
        bundles: bundles.into_iter().collect(),
    };
    assert_eq!(
        jwt_svids_text(&svids, &bundles),
        "token(spiffe://domain1.test):\n\taaa.bbb.ccc\n\
         hint(spiffe://domain1.test):\n\texternal\n\
         token(spiffe://domain2.test):\n\tddd.eee.fff\n\
         bundle(spiffe://a.test):\n\t{\"keys\":[1]}\n\
         bundle(spiffe://z.test):\n\t{\"keys\":[]}\n"
    );
}
