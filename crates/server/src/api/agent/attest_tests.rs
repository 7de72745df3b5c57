//! AttestAgent, RenewAgent, PostStatus and agent authorization against a real CA and SQLite.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spire_plugin::nodeattestor::{
    AttestationResult, NodeAttestorError, PendingAttestation, ServerNodeAttestor, ServerStep,
};
use spire_proto::spire::api::server::agent::v1::agent_server::Agent;
use spire_proto::spire::api::server::agent::v1::{
    AgentX509svidParams, PostStatusRequest, RenewAgentRequest,
};
use spire_proto::spire::api::types::permission_denied_details::Reason;
use spire_spiffe::Selector;
use tonic::Code;

use super::fixture::{AgentFixture, agent_fixture, as_agent, csr, serial_of};
use crate::api::authz::denial_reason;
use crate::api::testing::local;

const TOKEN_AGENT: &str = "spiffe://example.org/spire/agent/join_token/tok-1";

#[tokio::test]
async fn join_token_attestation_issues_an_svid_and_records_the_node() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let svid = fx.attest_join_token("tok-1").await.expect("attested");
    let id = svid.id.clone().expect("id");
    assert_eq!(id.trust_domain, "example.org");
    assert_eq!(id.path, "/spire/agent/join_token/tok-1");
    let node = fx
        .ctx
        .datastore
        .fetch_attested_node(TOKEN_AGENT)
        .await
        .expect("fetch")
        .expect("node row created");
    assert_eq!(node.attestation_type, "join_token");
    assert_eq!(node.serial_number, serial_of(&svid));
    assert!(node.serial_number.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(node.expires_at, svid.expires_at);
    assert_eq!(
        svid.expires_at,
        fx.ctx.now_unix() + 7200,
        "agent_ttl applies"
    );
    assert!(!node.can_reattest);
    assert!(
        fx.ctx
            .datastore
            .fetch_join_token("tok-1")
            .await
            .expect("fetch")
            .is_none(),
        "the token is consumed"
    );
}

#[tokio::test]
async fn a_used_join_token_is_refused() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    fx.attest_join_token("tok-1").await.expect("first use");
    let err = fx.attest_join_token("tok-1").await.expect_err("second use");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "failed to attest: join token does not exist or has already been used"
    );
}

#[tokio::test]
async fn an_expired_join_token_is_refused_and_consumed() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 60).await;
    fx.clock.advance(Duration::from_secs(61));
    let err = fx.attest_join_token("tok-1").await.expect_err("expired");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.message(), "join token expired");
    assert!(
        fx.ctx
            .datastore
            .fetch_join_token("tok-1")
            .await
            .expect("fetch")
            .is_none()
    );
}

#[tokio::test]
async fn a_banned_agent_cannot_attest_again() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    fx.attest_join_token("tok-1").await.expect("attested");
    fx.ctx
        .datastore
        .ban_attested_node(TOKEN_AGENT)
        .await
        .expect("ban");
    fx.add_join_token("tok-1", 600).await;
    let err = fx.attest_join_token("tok-1").await.expect_err("banned");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(err.message(), "failed to attest: agent is banned");
}

#[tokio::test]
async fn malformed_first_messages_are_named() {
    let fx = agent_fixture().await;
    let err = fx
        .attest("join_token", b"", Vec::new())
        .await
        .expect_err("empty");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "malformed param: missing attestation data payload"
    );
    let err = fx
        .attest("tpm", b"x", Vec::new())
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        err.message(),
        "error getting node attestor: could not find node attestor type \"tpm\""
    );
}

/// A plugin issuing one challenge and expecting `answer:<challenge>` back.
#[derive(Debug)]
struct ChallengeAttestor {
    can_reattest: bool,
    challenges: Mutex<u32>,
}

#[derive(Debug)]
struct Pending {
    challenge: Vec<u8>,
    can_reattest: bool,
}

impl ServerNodeAttestor for ChallengeAttestor {
    fn name(&self) -> &str {
        "fake"
    }
    fn begin(&self, td: &str, payload: &[u8]) -> Result<ServerStep, NodeAttestorError> {
        assert_eq!(td, "example.org");
        assert_eq!(payload, b"node-1");
        *self.challenges.lock().expect("not poisoned") += 1;
        Ok(ServerStep::Challenge {
            challenge: b"nonce".to_vec(),
            pending: Box::new(Pending {
                challenge: b"nonce".to_vec(),
                can_reattest: self.can_reattest,
            }),
        })
    }
}

impl PendingAttestation for Pending {
    fn respond(self: Box<Self>, response: &[u8]) -> Result<ServerStep, NodeAttestorError> {
        if response != [b"answer:".as_slice(), &self.challenge].concat() {
            return Err(NodeAttestorError::PermissionDenied {
                plugin: "fake".into(),
                message: "wrong answer".into(),
            });
        }
        Ok(ServerStep::Attested(AttestationResult {
            agent_id: "spiffe://example.org/spire/agent/fake/node-1".into(),
            selectors: vec![
                Selector::new("fake", "zone:a").expect("valid"),
                Selector::new("fake", "zone:a").expect("valid"),
            ],
            can_reattest: self.can_reattest,
        }))
    }
}

fn with_plugin(fx: &mut AgentFixture, can_reattest: bool) {
    let plugin: Arc<dyn ServerNodeAttestor> = Arc::new(ChallengeAttestor {
        can_reattest,
        challenges: Mutex::new(0),
    });
    fx.ctx.node_attestors = Arc::new(BTreeMap::from([("fake".to_owned(), plugin)]));
}

#[tokio::test]
async fn plugin_attestation_answers_a_challenge_and_stores_deduplicated_selectors() {
    let mut fx = agent_fixture().await;
    with_plugin(&mut fx, true);
    let svid = fx
        .attest("fake", b"node-1", vec![b"answer:nonce".to_vec()])
        .await
        .expect("attested");
    assert_eq!(svid.id.expect("id").path, "/spire/agent/fake/node-1");
    let id = "spiffe://example.org/spire/agent/fake/node-1";
    let selectors = fx
        .ctx
        .datastore
        .node_selectors(id)
        .await
        .expect("selectors");
    assert_eq!(
        selectors,
        vec![Selector::new("fake", "zone:a").expect("valid")]
    );
    let node = fx
        .ctx
        .datastore
        .fetch_attested_node(id)
        .await
        .expect("fetch")
        .expect("row");
    assert!(node.can_reattest);
    assert_eq!(node.attestation_type, "fake");

    // Re-attestable: a second attestation replaces the serial.
    let again = fx
        .attest("fake", b"node-1", vec![b"answer:nonce".to_vec()])
        .await
        .expect("re-attested");
    let node = fx
        .ctx
        .datastore
        .fetch_attested_node(id)
        .await
        .expect("fetch")
        .expect("row");
    assert_eq!(node.serial_number, serial_of(&again));
}

#[tokio::test]
async fn a_wrong_challenge_answer_is_the_plugins_denial() {
    let mut fx = agent_fixture().await;
    with_plugin(&mut fx, true);
    let err = fx
        .attest("fake", b"node-1", vec![b"answer:other".to_vec()])
        .await
        .expect_err("wrong answer");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(err.message(), "node attestor fake: wrong answer");
}

#[tokio::test]
async fn trust_on_first_use_evidence_cannot_attest_twice() {
    let mut fx = agent_fixture().await;
    with_plugin(&mut fx, false);
    fx.attest("fake", b"node-1", vec![b"answer:nonce".to_vec()])
        .await
        .expect("first attestation");
    let err = fx
        .attest("fake", b"node-1", vec![b"answer:nonce".to_vec()])
        .await
        .expect_err("replay");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(
        err.message(),
        "nodeattestor(fake): attestation data has already been used to attest an agent"
    );
}

fn renew_request() -> RenewAgentRequest {
    RenewAgentRequest {
        params: Some(AgentX509svidParams { csr: csr() }),
    }
}

#[tokio::test]
async fn renewal_stores_a_new_serial_that_its_first_use_promotes() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let old = fx.attest_join_token("tok-1").await.expect("attested");
    let api = fx.agent_api();
    let renewed = api
        .renew_agent(as_agent(renew_request(), &old))
        .await
        .expect("renewed")
        .into_inner()
        .svid
        .expect("svid");
    let node = fx
        .ctx
        .datastore
        .fetch_attested_node(TOKEN_AGENT)
        .await
        .expect("fetch")
        .expect("row");
    assert_eq!(
        node.serial_number,
        serial_of(&old),
        "old SVID still current"
    );
    assert_eq!(node.new_serial_number, serial_of(&renewed));
    assert_eq!(node.new_expires_at, renewed.expires_at);

    let status = PostStatusRequest {
        current_bundle_serial: 0,
        agent_version: "1.13.0".into(),
    };
    api.post_status(as_agent(status.clone(), &renewed))
        .await
        .expect("the new SVID authenticates");
    let node = fx
        .ctx
        .datastore
        .fetch_attested_node(TOKEN_AGENT)
        .await
        .expect("fetch")
        .expect("row");
    assert_eq!(
        node.serial_number,
        serial_of(&renewed),
        "new promoted to current"
    );
    assert_eq!(node.expires_at, renewed.expires_at);
    assert_eq!(node.new_serial_number, "");
    assert_eq!(node.agent_version, "1.13.0");

    let err = api
        .post_status(as_agent(status, &old))
        .await
        .expect_err("the old SVID is stale now");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(denial_reason(&err), Some(Reason::AgentNotActive));
    assert_eq!(
        err.message(),
        format!(
            "agent {TOKEN_AGENT:?} expected to have serial number {:?}; has {:?}",
            serial_of(&renewed),
            serial_of(&old)
        )
    );
}

#[tokio::test]
async fn a_reattestable_agent_must_reattest_instead_of_renewing() {
    let mut fx = agent_fixture().await;
    with_plugin(&mut fx, true);
    let svid = fx
        .attest("fake", b"node-1", vec![b"answer:nonce".to_vec()])
        .await
        .expect("attested");
    let err = fx
        .agent_api()
        .renew_agent(as_agent(renew_request(), &svid))
        .await
        .expect_err("must reattest");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(err.message(), "agent must reattest instead of renew");
    assert_eq!(denial_reason(&err), Some(Reason::AgentMustReattest));
}

#[tokio::test]
async fn banned_expired_unknown_and_local_callers_are_not_agents() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let svid = fx.attest_join_token("tok-1").await.expect("attested");
    let api = fx.agent_api();
    let status = PostStatusRequest::default();

    let err = api
        .post_status(local(status.clone()))
        .await
        .expect_err("local");
    assert_eq!(err.code(), Code::PermissionDenied);

    fx.clock.advance(Duration::from_secs(7201));
    let err = api
        .post_status(as_agent(status.clone(), &svid))
        .await
        .expect_err("expired");
    assert_eq!(denial_reason(&err), Some(Reason::AgentExpired));

    let fx2 = agent_fixture().await;
    fx2.add_join_token("tok-1", 600).await;
    let svid2 = fx2.attest_join_token("tok-1").await.expect("attested");
    fx2.ctx
        .datastore
        .ban_attested_node(TOKEN_AGENT)
        .await
        .expect("ban");
    let err = fx2
        .agent_api()
        .post_status(as_agent(status.clone(), &svid2))
        .await
        .expect_err("banned");
    assert_eq!(denial_reason(&err), Some(Reason::AgentBanned));
    assert_eq!(err.message(), format!("agent {TOKEN_AGENT:?} is banned"));

    fx2.ctx
        .datastore
        .delete_attested_node(TOKEN_AGENT)
        .await
        .expect("evict");
    let err = fx2
        .agent_api()
        .post_status(as_agent(status, &svid2))
        .await
        .expect_err("evicted");
    assert_eq!(denial_reason(&err), Some(Reason::AgentNotAttested));
}

#[tokio::test]
async fn post_status_refuses_an_overlong_version() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let svid = fx.attest_join_token("tok-1").await.expect("attested");
    let err = fx
        .agent_api()
        .post_status(as_agent(
            PostStatusRequest {
                current_bundle_serial: 0,
                agent_version: "v".repeat(256),
            },
            &svid,
        ))
        .await
        .expect_err("too long");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "agent version is too long (max 255 characters)"
    );
}

/// A client that opens AttestAgent and sends nothing no longer holds the stream forever.
#[tokio::test]
async fn a_silent_attestation_stream_ends_with_deadline_exceeded() {
    let fx = agent_fixture().await;
    let api = fx.agent_api();
    let (tx, _rx) = tokio::sync::mpsc::channel(2);
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let err = api
        .attest_within(
            tokio_stream::pending::<
                Result<
                    spire_proto::spire::api::server::agent::v1::AttestAgentRequest,
                    tonic::Status,
                >,
            >(),
            &tx,
            super::ATTEST_TIMEOUT,
        )
        .await
        .expect_err("nothing was sent");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    assert_eq!(err.message(), "attestation did not complete within 30s");
    assert!(started.elapsed() >= super::ATTEST_TIMEOUT);
}
