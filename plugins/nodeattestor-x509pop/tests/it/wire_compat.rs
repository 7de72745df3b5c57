//! The halves against hand-built JSON with SPIRE's field names.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use spire_plugin::{AgentNodeAttestor, ServerStep};

use crate::pki::{Ca, LeafSpec};
use crate::{TD, agent_for, begin, server_trusting};

#[test]
fn agent_payload_is_spire_attestation_data() {
    let root = Ca::root("root");
    let inter = root.intermediate("inter", false);
    let leaf = inter.leaf(LeafSpec::default());
    let payload = agent_for(&leaf, &[&inter]).payload().expect("payload");
    let expected = format!(
        r#"{{"certificates":["{}","{}"]}}"#,
        STANDARD.encode(&leaf.der),
        STANDARD.encode(&inter.der)
    );
    assert_eq!(String::from_utf8(payload).expect("JSON is UTF-8"), expected);
}

#[test]
fn server_accepts_hand_built_payload_and_issues_a_32_byte_ecdsa_nonce() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let payload = format!(r#"{{"certificates":["{}"]}}"#, STANDARD.encode(&leaf.der));
    let step =
        spire_plugin::ServerNodeAttestor::begin(&server_trusting(&[&root]), TD, payload.as_bytes())
            .expect("valid payload");
    let ServerStep::Challenge { challenge, .. } = step else {
        panic!("x509pop always challenges");
    };
    let json: serde_json::Value = serde_json::from_slice(&challenge).expect("JSON challenge");
    assert_eq!(json["rsa_signature"], serde_json::Value::Null);
    let nonce = json["ecdsa_signature"]["nonce"]
        .as_str()
        .expect("base64 nonce");
    assert_eq!(STANDARD.decode(nonce).expect("base64").len(), 32);
}

#[test]
fn server_accepts_hand_built_response_without_the_unused_scheme() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let (server, agent) = (server_trusting(&[&root]), agent_for(&leaf, &[]));
    let (challenge, pending) = begin(&server, &agent);
    let response: serde_json::Value =
        serde_json::from_slice(&agent.respond(&challenge).expect("signs")).expect("JSON");
    let sig = &response["ecdsa_signature"];
    let hand_built = format!(
        r#"{{"ecdsa_signature":{{"nonce":"{}","r":"{}","s":"{}"}}}}"#,
        sig["nonce"].as_str().expect("nonce"),
        sig["r"].as_str().expect("r"),
        sig["s"].as_str().expect("s"),
    );
    assert!(matches!(
        pending.respond(hand_built.as_bytes()),
        Ok(ServerStep::Attested(_))
    ));
}

#[test]
fn agent_answers_a_hand_built_spire_challenge() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let challenge = format!(
        r#"{{"rsa_signature":null,"ecdsa_signature":{{"nonce":"{}"}}}}"#,
        STANDARD.encode([7u8; 32])
    );
    let response: serde_json::Value = serde_json::from_slice(
        &agent_for(&leaf, &[])
            .respond(challenge.as_bytes())
            .expect("signs"),
    )
    .expect("JSON");
    assert_eq!(response["rsa_signature"], serde_json::Value::Null);
    for field in ["nonce", "r", "s"] {
        assert!(response["ecdsa_signature"][field].is_string(), "{field}");
    }
}
