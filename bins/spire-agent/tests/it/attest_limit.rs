//! AttestAgent is rate-limited per client IP as in SPIRE (1 call/s, burst 1): a client
//! guessing join tokens from one address is slowed down, then refused with
//! `ResourceExhausted`, instead of getting hundreds of guesses a second.

use std::sync::Arc;

use spire_agent_runtime::attest::{AttestError, JoinTokenAttestor, attest_agent};
use spire_agent_runtime::client::ServerConnection;
use spire_tls::{KeyManagerSvidResolver, ServerIdVerifier};
use tonic::Code;

use crate::support::{Env, runtime};

/// Concurrent guesses sent at once; more than the wait bound (10 s at 1/s) lets through.
const GUESSES: usize = 30;

#[test]
fn guessing_join_tokens_from_one_address_hits_resource_exhausted_after_the_burst() {
    let env = Env::start_server();
    let conn = ServerConnection::new(
        "127.0.0.1",
        env.port,
        Arc::new(ServerIdVerifier::insecure_bootstrap(
            spire_spiffe::SpiffeId::new("spiffe://example.org/spire/server")
                .expect("a valid server ID"),
        )),
        Arc::new(KeyManagerSvidResolver::new()),
    )
    .expect("connection");
    let rt = runtime();
    let codes: Vec<Code> = rt.block_on(async {
        let guesses = (0..GUESSES).map(|i| {
            let channel = conn.dedicated_channel();
            tokio::spawn(async move {
                let guess = JoinTokenAttestor::new(format!("guess-{i}"));
                match attest_agent(channel, &guess, b"not a csr".to_vec()).await {
                    Err(AttestError::Rpc { status, .. }) => status.code(),
                    other => panic!("guess {i}: expected an RPC error, got {other:?}"),
                }
            })
        });
        let mut codes = Vec::new();
        for guess in guesses.collect::<Vec<_>>() {
            codes.push(guess.await.expect("guess task"));
        }
        codes
    });
    let exhausted = codes
        .iter()
        .filter(|c| **c == Code::ResourceExhausted)
        .count();
    let judged = codes
        .iter()
        .filter(|c| **c == Code::InvalidArgument)
        .count();
    assert_eq!(exhausted + judged, GUESSES, "unexpected codes: {codes:?}");
    assert!(
        (1..=11).contains(&judged),
        "the token check ran {judged} times for {GUESSES} guesses at once: {codes:?}"
    );
    assert!(exhausted >= GUESSES - 11, "{codes:?}");
    let log = env.server_log();
    assert!(
        log.contains("Rejecting request due to attest agent rate limiting"),
        "server did not log the refusals:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    // The server still serves its admin API after the burst.
    env.server_ok(&["healthcheck"]);
}
