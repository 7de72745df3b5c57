use spire_plugin::{NodeAttestorErrorCode, ServerStep};

use crate::pki::{Ca, LeafSpec, fingerprint};
use crate::{TD, agent_for, attest, begin, code, server_trusting};

fn selector_strings(result: &spire_plugin::AttestationResult) -> Vec<String> {
    result.selectors.iter().map(ToString::to_string).collect()
}

#[test]
fn ecdsa_chain_through_intermediate_attests_with_spire_agent_id_and_selectors() {
    let root = Ca::root("root");
    let inter = root.intermediate("inter", false);
    let leaf = inter.leaf(LeafSpec {
        uris: &["x509pop://example.org/datacenter/eu-1", "https://other"],
        ..LeafSpec::default()
    });
    let result = attest(&server_trusting(&[&root]), &agent_for(&leaf, &[&inter]))
        .expect("valid chain and key");
    assert_eq!(
        result.agent_id,
        format!(
            "spiffe://{TD}/spire/agent/x509pop/{}",
            fingerprint(&leaf.der)
        )
    );
    assert_eq!(
        selector_strings(&result),
        vec![
            "x509pop:subject:cn:node1".to_owned(),
            format!("x509pop:ca:fingerprint:{}", fingerprint(&inter.der)),
            format!("x509pop:ca:fingerprint:{}", fingerprint(&root.der)),
            "x509pop:serialnumber:0abc".to_owned(),
            "x509pop:san:datacenter:eu-1".to_owned(),
        ]
    );
    assert!(result.can_reattest);
}

#[test]
fn rsa_leaf_attests_with_pss_signature() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec {
        alg: &rcgen::PKCS_RSA_SHA256,
        ..LeafSpec::default()
    });
    let result = attest(&server_trusting(&[&root]), &agent_for(&leaf, &[]))
        .expect("valid RSA chain and key");
    assert_eq!(
        result.agent_id,
        format!(
            "spiffe://{TD}/spire/agent/x509pop/{}",
            fingerprint(&leaf.der)
        )
    );
}

#[test]
fn leaf_from_untrusted_ca_is_permission_denied() {
    let trusted = Ca::root("trusted");
    let other = Ca::root("other");
    let leaf = other.leaf(LeafSpec::default());
    assert_eq!(
        code(attest(
            &server_trusting(&[&trusted]),
            &agent_for(&leaf, &[])
        )),
        NodeAttestorErrorCode::PermissionDenied
    );
}

#[test]
fn expired_leaf_is_permission_denied() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec {
        expired: true,
        ..LeafSpec::default()
    });
    assert_eq!(
        code(attest(&server_trusting(&[&root]), &agent_for(&leaf, &[]))),
        NodeAttestorErrorCode::PermissionDenied
    );
}

#[test]
fn expired_intermediate_is_permission_denied() {
    let root = Ca::root("root");
    let expired_inter = root.intermediate("expired-inter", true);
    let leaf = expired_inter.leaf(LeafSpec::default());
    assert_eq!(
        code(attest(
            &server_trusting(&[&root]),
            &agent_for(&leaf, &[&expired_inter])
        )),
        NodeAttestorErrorCode::PermissionDenied
    );
}

#[test]
fn expired_root_is_permission_denied() {
    let expired_root = Ca::root_with("expired-root", true);
    let leaf = expired_root.leaf(LeafSpec::default());
    let err = attest(&server_trusting(&[&expired_root]), &agent_for(&leaf, &[]))
        .expect_err("root outside validity");
    assert_eq!(err.code(), NodeAttestorErrorCode::PermissionDenied);
}

#[test]
fn five_intermediates_exceed_the_default_limit_of_four() {
    let root = Ca::root("root");
    let mut chain = vec![root.intermediate("i0", false)];
    for i in 1..5 {
        let next = chain[i - 1].intermediate(&format!("i{i}"), false);
        chain.push(next);
    }
    let leaf = chain[4].leaf(LeafSpec::default());
    let presented: Vec<&Ca> = chain.iter().rev().collect();
    let err = attest(&server_trusting(&[&root]), &agent_for(&leaf, &presented))
        .expect_err("too many intermediates");
    assert_eq!(err.code(), NodeAttestorErrorCode::InvalidArgument);
    assert!(
        err.to_string()
            .contains("too many intermediate certificates")
    );

    // Four intermediates are still accepted.
    let leaf4 = chain[3].leaf(LeafSpec::default());
    let presented4: Vec<&Ca> = chain[..4].iter().rev().collect();
    attest(&server_trusting(&[&root]), &agent_for(&leaf4, &presented4))
        .expect("four intermediates are within the limit");
}

#[test]
fn leaf_without_digital_signature_key_usage_is_refused() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec {
        digital_signature: false,
        ..LeafSpec::default()
    });
    let err = attest(&server_trusting(&[&root]), &agent_for(&leaf, &[])).expect_err("no KU");
    assert!(
        err.to_string()
            .contains("not intended for digital signature")
    );
}

#[test]
fn tampered_signature_is_permission_denied() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let (server, agent) = (server_trusting(&[&root]), agent_for(&leaf, &[]));
    let (challenge, pending) = begin(&server, &agent);
    let response = spire_plugin::AgentNodeAttestor::respond(&agent, &challenge).expect("signs");
    let mut parsed: spire_nodeattestor_x509pop::wire::Response =
        serde_json::from_slice(&response).expect("agent emits valid JSON");
    let ecdsa = parsed.ecdsa_signature.as_mut().expect("ECDSA leaf");
    ecdsa.s[5] ^= 0x01;
    let tampered = serde_json::to_vec(&parsed).expect("serializable");
    let err = pending.respond(&tampered).expect_err("signature broken");
    assert_eq!(err.code(), NodeAttestorErrorCode::PermissionDenied);
    assert!(err.to_string().contains("ECDSA signature verify failed"));
}

#[test]
fn response_made_for_another_nonce_is_permission_denied() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let (server, agent) = (server_trusting(&[&root]), agent_for(&leaf, &[]));
    let (challenge_a, _pending_a) = begin(&server, &agent);
    let (challenge_b, pending_b) = begin(&server, &agent);
    assert_ne!(
        challenge_a, challenge_b,
        "every attestation gets a fresh nonce"
    );
    let response_a = spire_plugin::AgentNodeAttestor::respond(&agent, &challenge_a).expect("signs");
    let err = pending_b.respond(&response_a).expect_err("wrong nonce");
    assert_eq!(err.code(), NodeAttestorErrorCode::PermissionDenied);
}

#[test]
fn malformed_json_is_invalid_argument_at_each_step() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let (server, agent) = (server_trusting(&[&root]), agent_for(&leaf, &[]));

    let payload_err = spire_plugin::ServerNodeAttestor::begin(&server, TD, b"{not json")
        .expect_err("bad payload");
    assert_eq!(payload_err.code(), NodeAttestorErrorCode::InvalidArgument);
    let empty_err =
        spire_plugin::ServerNodeAttestor::begin(&server, TD, b"").expect_err("empty payload");
    assert_eq!(empty_err.code(), NodeAttestorErrorCode::InvalidArgument);
    let garbage_cert =
        spire_plugin::ServerNodeAttestor::begin(&server, TD, br#"{"certificates":["AAEC"]}"#)
            .expect_err("not a certificate");
    assert_eq!(garbage_cert.code(), NodeAttestorErrorCode::InvalidArgument);

    let challenge_err =
        spire_plugin::AgentNodeAttestor::respond(&agent, b"[1,2").expect_err("bad challenge");
    assert_eq!(challenge_err.code(), NodeAttestorErrorCode::InvalidArgument);

    let (_challenge, pending) = begin(&server, &agent);
    let response_err = pending.respond(b"nope").expect_err("bad response");
    assert_eq!(response_err.code(), NodeAttestorErrorCode::InvalidArgument);
}

#[test]
fn server_step_after_valid_response_is_attested() {
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let (server, agent) = (server_trusting(&[&root]), agent_for(&leaf, &[]));
    let (challenge, pending) = begin(&server, &agent);
    let response = spire_plugin::AgentNodeAttestor::respond(&agent, &challenge).expect("signs");
    assert!(matches!(
        pending.respond(&response),
        Ok(ServerStep::Attested(_))
    ));
}
