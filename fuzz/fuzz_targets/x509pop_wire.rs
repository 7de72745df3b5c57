//! The x509pop wire format (attestation data, challenge, response JSON) through both halves of
//! the plugin. A fixture trusts one test root and holds an agent with a P-256 leaf it issued;
//! nonces are fixed so runs are reproducible (ECDSA signatures still vary).
//!
//! Byte 0 picks the mode, the rest is the input:
//! 0. Parse: each of `AttestationData`, `Challenge`, `Response` that accepts the bytes
//!    re-encodes and re-parses to an equal value, and re-encodes to the same bytes again.
//! 1. Payload edits: the input is edits (3-byte records: position, then XOR value, 0 = delete)
//!    applied to the agent's genuine payload. If the server still challenges, the edited payload
//!    still names the genuine leaf first, and the agent's genuine answer attests as that leaf.
//! 2. Response edits: the same edits applied to a genuine response. The server attests iff the
//!    edited JSON still decodes to the genuine nonce, `r` and `s` (leading zeros aside).
//! 3. Challenge: arbitrary bytes as the server's challenge to the agent. The agent answers iff
//!    they hold an ECDSA challenge with a 32-byte nonce, and then its answer verifies.
//! 4. Payload: arbitrary bytes as the agent's payload never start an attestation unless they
//!    name the genuine leaf first.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use spire_nodeattestor_x509pop::pop::{LeafPublicKey, NonceSource, PopError};
use spire_nodeattestor_x509pop::wire::{AttestationData, Challenge, NONCE_LEN, Response};
use spire_nodeattestor_x509pop::{
    TrustBundle, X509PopAgent, X509PopServer, chain, signing_key_from_der,
};
use spire_plugin::{AgentNodeAttestor, ServerNodeAttestor, ServerStep};

const TD: &str = "example.org";

/// Always the same bytes: `fill` writes `self.0` everywhere.
#[derive(Debug)]
struct FixedNonces(u8);

impl NonceSource for FixedNonces {
    fn fill(&self, buf: &mut [u8]) -> Result<(), PopError> {
        buf.fill(self.0);
        Ok(())
    }
}

struct Fixture {
    server: X509PopServer,
    agent: X509PopAgent,
    leaf_der: Vec<u8>,
    leaf_point: Vec<u8>,
    payload: Vec<u8>,
    agent_id: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root_key = rcgen::KeyPair::generate().expect("P-256 generation works");
        let mut root_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("no SANs");
        root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        root_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "fuzz root");
        root_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let root = root_params.self_signed(&root_key).expect("self-signing works");
        let issuer = rcgen::Issuer::from_params(&root_params, &root_key);

        let leaf_key = rcgen::KeyPair::generate().expect("P-256 generation works");
        let mut leaf_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("no SANs");
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "node1");
        leaf_params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("signing works");
        let leaf_der = leaf.der().to_vec();

        let key = signing_key_from_der("PRIVATE KEY", &leaf_key.serialize_der())
            .expect("rcgen's PKCS#8 P-256 key loads");
        let leaf_point = key.public_key_bytes().to_vec();
        let agent = X509PopAgent::new(vec![leaf_der.clone()], key)
            .expect("key matches leaf")
            .with_nonces(Arc::new(FixedNonces(0xa5)));
        let server = X509PopServer::new(
            TrustBundle::new(vec![root.der().to_vec()]).expect("root parses"),
        )
        .with_nonces(Arc::new(FixedNonces(0x5a)));
        let payload = agent.payload().expect("payload");
        let agent_id = format!(
            "spiffe://{TD}/spire/agent/x509pop/{}",
            chain::fingerprint(&leaf_der)
        );
        Fixture {
            server,
            agent,
            leaf_der,
            leaf_point,
            payload,
            agent_id,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => parse_round_trip(input),
        1 => payload_edits(input),
        2 => response_edits(input),
        3 => agent_answers(input),
        _ => arbitrary_payload(input),
    }
});

fn parse_round_trip(input: &[u8]) {
    round_trip::<AttestationData>(input);
    round_trip::<Challenge>(input);
    round_trip::<Response>(input);
}

fn round_trip<T>(input: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(input) else {
        return;
    };
    let encoded = serde_json::to_vec(&value).expect("plain data serializes");
    let again: T = serde_json::from_slice(&encoded).expect("own encoding parses");
    assert_eq!(again, value, "re-parsed value differs");
    assert_eq!(
        serde_json::to_vec(&again).expect("plain data serializes"),
        encoded,
        "encoding is not stable"
    );
}

fn payload_edits(input: &[u8]) {
    let f = fixture();
    let payload = apply_edits(&f.payload, input);
    let Ok(ServerStep::Challenge { challenge, pending }) = f.server.begin(TD, &payload) else {
        return;
    };
    let data: AttestationData =
        serde_json::from_slice(&payload).expect("a challenged payload parses");
    assert_eq!(
        data.certificates.first(),
        Some(&f.leaf_der),
        "a payload not led by the genuine leaf was challenged"
    );
    let answer = f.agent.respond(&challenge).expect("agent answers its server");
    match pending.respond(&answer) {
        Ok(ServerStep::Attested(result)) => assert_eq!(result.agent_id, f.agent_id),
        other => panic!("genuine answer refused: {other:?}"),
    }
}

fn response_edits(input: &[u8]) {
    let f = fixture();
    let ServerStep::Challenge { challenge, pending } =
        f.server.begin(TD, &f.payload).expect("genuine payload")
    else {
        panic!("x509pop always challenges");
    };
    let genuine_json = f.agent.respond(&challenge).expect("agent answers");
    let genuine: Response = serde_json::from_slice(&genuine_json).expect("own response parses");
    let edited = apply_edits(&genuine_json, input);
    let same = serde_json::from_slice::<Response>(&edited)
        .is_ok_and(|r| signature_parts(&r) == signature_parts(&genuine));
    let attested = matches!(pending.respond(&edited), Ok(ServerStep::Attested(_)));
    assert_eq!(
        attested,
        same,
        "edited response {:?} attested={attested}",
        String::from_utf8_lossy(&edited)
    );
}

/// The ECDSA nonce, `r` and `s` as numbers (leading zeros dropped).
fn signature_parts(r: &Response) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let e = r.ecdsa_signature.as_ref()?;
    let trim = |b: &[u8]| b[b.iter().position(|x| *x != 0).unwrap_or(b.len())..].to_vec();
    Some((e.nonce.clone(), trim(&e.r), trim(&e.s)))
}

fn agent_answers(input: &[u8]) {
    let f = fixture();
    let parsed = serde_json::from_slice::<Challenge>(input).ok();
    let answerable = parsed
        .as_ref()
        .and_then(|c| c.ecdsa_signature.as_ref())
        .is_some_and(|c| c.nonce.len() == NONCE_LEN);
    match f.agent.respond(input) {
        Ok(answer) => {
            assert!(answerable, "agent answered an unanswerable challenge");
            let challenge = parsed.expect("answerable implies parsed");
            let response: Response = serde_json::from_slice(&answer).expect("own answer parses");
            let key = LeafPublicKey::EcdsaP256(f.leaf_point.clone());
            assert_eq!(key.verify(&challenge, &response), Ok(()), "answer does not verify");
        }
        Err(_) => assert!(!answerable, "agent refused an answerable challenge"),
    }
}

fn arbitrary_payload(input: &[u8]) {
    let f = fixture();
    if let Ok(ServerStep::Challenge { .. }) = f.server.begin(TD, input) {
        let data: AttestationData = serde_json::from_slice(input).expect("challenged => parses");
        assert_eq!(data.certificates.first(), Some(&f.leaf_der));
    }
}

/// Applies 3-byte edit records (big-endian position modulo the length, then a byte: 0 deletes
/// the byte there, anything else is XORed into it).
fn apply_edits(base: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut out = base.to_vec();
    for record in edits.chunks_exact(3) {
        if out.is_empty() {
            break;
        }
        let pos = usize::from(u16::from_be_bytes([record[0], record[1]])) % out.len();
        match record[2] {
            0 => {
                out.remove(pos);
            }
            x => out[pos] ^= x,
        }
    }
    out
}
