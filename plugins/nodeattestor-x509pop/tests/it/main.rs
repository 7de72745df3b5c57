//! Integration tests of the x509pop node attestor: both halves against each other and against
//! hand-built JSON with SPIRE's field names.

#![allow(missing_debug_implementations)] // test PKI holds rcgen keys, which are not Debug

mod config;
mod handshake;
mod pki;
mod wire_compat;

use spire_nodeattestor_x509pop::{X509PopAgent, X509PopServer, signing_key_from_der};
use spire_plugin::{
    AgentNodeAttestor, AttestationResult, NodeAttestorError, NodeAttestorErrorCode,
    ServerNodeAttestor, ServerStep,
};

pub const TD: &str = "example.org";

/// An agent presenting `leaf` then `intermediates`.
pub fn agent_for(leaf: &pki::Leaf, intermediates: &[&pki::Ca]) -> X509PopAgent {
    let mut chain = vec![leaf.der.clone()];
    chain.extend(intermediates.iter().map(|c| c.der.clone()));
    let key = signing_key_from_der("PRIVATE KEY", &leaf.key.serialize_der())
        .expect("rcgen serializes PKCS#8");
    X509PopAgent::new(chain, key).expect("key matches leaf")
}

pub fn server_trusting(roots: &[&pki::Ca]) -> X509PopServer {
    let bundle =
        spire_nodeattestor_x509pop::TrustBundle::new(roots.iter().map(|r| r.der.clone()).collect())
            .expect("test roots parse");
    X509PopServer::new(bundle)
}

/// Runs the whole handshake.
pub fn attest(
    server: &dyn ServerNodeAttestor,
    agent: &dyn AgentNodeAttestor,
) -> Result<AttestationResult, NodeAttestorError> {
    let payload = agent.payload()?;
    let mut step = server.begin(TD, &payload)?;
    loop {
        match step {
            ServerStep::Attested(result) => return Ok(result),
            ServerStep::Challenge { challenge, pending } => {
                let response = agent.respond(&challenge)?;
                step = pending.respond(&response)?;
            }
        }
    }
}

pub fn code(result: Result<AttestationResult, NodeAttestorError>) -> NodeAttestorErrorCode {
    result.expect_err("attestation must fail").code()
}

/// The pending attestation and challenge of a fresh `begin`.
pub fn begin(
    server: &X509PopServer,
    agent: &X509PopAgent,
) -> (Vec<u8>, Box<dyn spire_plugin::PendingAttestation>) {
    let payload = agent.payload().expect("payload");
    match server.begin(TD, &payload).expect("chain verifies") {
        ServerStep::Challenge { challenge, pending } => (challenge, pending),
        ServerStep::Attested(_) => panic!("x509pop always challenges"),
    }
}
