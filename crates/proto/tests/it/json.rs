//! serde output matches Go's protojson with `UseProtoNames: true` and
//! `EmitUnpopulated: true`, which is what `spire-server ... -output json`
//! prints.

use serde_json::{Value, json};
use spire_proto::spire::api::server::entry::v1::{
    batch_create_entry_response, list_entries_request,
};
use spire_proto::spire::api::types::{
    Bundle, Entry, FederationRelationship, HttpsWebProfile, LogLevel, Logger, SelectorMatch,
    Status, X509Certificate, federation_relationship, selector_match,
};
use spire_proto::workload::X509svid;

use crate::wire::full_entry;

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("generated Serialize never fails")
}

#[test]
fn entry_uses_proto_field_names_and_int64_strings() {
    let json = to_json(&full_entry());
    assert_eq!(
        json["spiffe_id"],
        json!({"trust_domain": "example.org", "path": "/workload"})
    );
    assert_eq!(json["revision_number"], json!("42"));
    assert_eq!(json["expires_at"], json!("1900000000"));
    assert_eq!(json["created_at"], json!("1700000000"));
    // int32 stays a number.
    assert_eq!(json["x509_svid_ttl"], json!(3600));
    assert_eq!(
        json["selectors"],
        json!([
            {"type": "unix", "value": "uid:1000"},
            {"type": "unix", "value": "gid:1000"}
        ])
    );
    assert_eq!(
        json["additional_attributes"],
        json!({"disable_x509_svid_prefetch": true, "jwt_svid_include_jti": true})
    );
}

#[test]
fn unset_entry_fields_are_emitted_with_their_defaults() {
    let json = to_json(&Entry::default());
    let object = json.as_object().expect("an Entry serializes as an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        // additional_attributes is proto3 `optional`: like a oneof member,
        // protojson leaves it out when unset.
        [
            "admin",
            "created_at",
            "dns_names",
            "downstream",
            "expires_at",
            "federates_with",
            "hint",
            "id",
            "jwt_svid_ttl",
            "parent_id",
            "revision_number",
            "selectors",
            "spiffe_id",
            "store_svid",
            "x509_svid_ttl",
        ]
    );
    assert_eq!(json["id"], json!(""));
    assert_eq!(json["revision_number"], json!("0"));
    assert_eq!(json["x509_svid_ttl"], json!(0));
    assert_eq!(json["admin"], json!(false));
    assert_eq!(json["selectors"], json!([]));
    // Unset singular messages are `null`, as protojson's EmitUnpopulated does.
    assert_eq!(json["spiffe_id"], Value::Null);
    assert_eq!(json["parent_id"], Value::Null);
}

#[test]
fn failed_batch_result_prints_a_null_entry() {
    let result = batch_create_entry_response::Result {
        status: Some(Status {
            code: 6,
            message: "similar entry already exists".into(),
        }),
        entry: None,
    };
    assert_eq!(
        to_json(&result),
        json!({
            "status": {"code": 6, "message": "similar entry already exists"},
            "entry": null
        })
    );
}

#[test]
fn bytes_are_base64_and_uint64_a_string() {
    let bundle = Bundle {
        trust_domain: "example.org".into(),
        x509_authorities: vec![X509Certificate {
            asn1: vec![1, 2, 3],
            tainted: false,
        }],
        sequence_number: 7,
        ..Bundle::default()
    };
    let json = to_json(&bundle);
    assert_eq!(
        json["x509_authorities"],
        json!([{"asn1": "AQID", "tainted": false}])
    );
    assert_eq!(json["sequence_number"], json!("7"));
    assert_eq!(json["refresh_hint"], json!("0"));
    assert_eq!(json["jwt_authorities"], json!([]));
}

#[test]
fn enums_serialize_by_name() {
    let logger = Logger {
        current_level: LogLevel::Debug.into(),
        launch_level: LogLevel::Info.into(),
    };
    assert_eq!(
        to_json(&logger),
        json!({"current_level": "DEBUG", "launch_level": "INFO"})
    );
    let matcher = SelectorMatch {
        selectors: vec![],
        r#match: selector_match::MatchBehavior::MatchSuperset.into(),
    };
    assert_eq!(to_json(&matcher)["match"], json!("MATCH_SUPERSET"));
}

#[test]
fn oneof_member_is_emitted_under_its_own_name() {
    let relationship = FederationRelationship {
        trust_domain: "other.org".into(),
        bundle_endpoint_url: "https://other.org/bundle".into(),
        bundle_endpoint_profile: Some(federation_relationship::BundleEndpointProfile::HttpsWeb(
            HttpsWebProfile {},
        )),
        trust_domain_bundle: None,
    };
    let json = to_json(&relationship);
    assert_eq!(json["https_web"], json!({}));
    assert!(json.get("https_spiffe").is_none());
}

#[test]
fn wrapper_filters_serialize_as_plain_values() {
    let filter = list_entries_request::Filter {
        by_hint: Some("external".into()),
        by_downstream: Some(true),
        ..list_entries_request::Filter::default()
    };
    let json = to_json(&filter);
    assert_eq!(json["by_hint"], json!("external"));
    assert_eq!(json["by_downstream"], json!(true));
    assert_eq!(json["by_spiffe_id"], Value::Null);
    let unset = to_json(&list_entries_request::Filter::default());
    assert_eq!(unset["by_hint"], Value::Null);
}

#[test]
fn entry_json_round_trips_and_accepts_camel_case() {
    let entry = full_entry();
    let back: Entry = serde_json::from_value(to_json(&entry)).expect("own output parses");
    assert_eq!(back, entry);

    let camel: Entry = serde_json::from_value(json!({
        "spiffeId": {"trustDomain": "example.org", "path": "/w"},
        "x509SvidTtl": 60,
        "revisionNumber": "3"
    }))
    .expect("protojson accepts lowerCamelCase names");
    assert_eq!(camel.x509_svid_ttl, 60);
    assert_eq!(camel.revision_number, 3);
    assert_eq!(camel.spiffe_id.map(|id| id.path), Some("/w".to_owned()));
}

#[test]
fn workload_messages_have_serde_impls_too() {
    let svid = X509svid {
        spiffe_id: "spiffe://example.org/w".into(),
        x509_svid: vec![0xff],
        ..X509svid::default()
    };
    let json = to_json(&svid);
    assert_eq!(json["spiffe_id"], json!("spiffe://example.org/w"));
    assert_eq!(json["x509_svid"], json!("/w=="));
    assert_eq!(json["hint"], json!(""));
}
