use spire_datastore::{AttestedNode, EntryFilter};
use spire_proto::spire::api::server::agent::v1::agent_server::Agent;
use spire_proto::spire::api::server::agent::v1::{
    BanAgentRequest, CountAgentsRequest, CreateJoinTokenRequest, DeleteAgentRequest,
    GetAgentRequest, ListAgentsRequest, RenewAgentRequest, count_agents_request,
};
use spire_proto::spire::api::types::AgentMask;
use spire_spiffe::{Selector, TrustDomain};
use tonic::Code;

use super::AgentApi;
use crate::api::testing::{Fixture, START, TD, anonymous, fixture, id, local};

fn api(fx: &Fixture) -> AgentApi {
    AgentApi::new(
        fx.ctx.clone(),
        TrustDomain::new(TD).expect("fixture TD is valid"),
    )
}

async fn attested(fx: &Fixture, name: &str) -> String {
    let spiffe_id = format!("spiffe://example.org/spire/agent/x509pop/{name}");
    fx.ctx
        .datastore
        .create_attested_node(&AttestedNode {
            spiffe_id: spiffe_id.clone(),
            attestation_type: "x509pop".into(),
            serial_number: format!("serial-{name}"),
            expires_at: 1_800_000_000,
            selectors: vec![Selector::new("x509pop", "subject:cn:node").expect("valid selector")],
            ..AttestedNode::default()
        })
        .await
        .expect("node stored");
    spiffe_id
}

#[tokio::test]
async fn join_token_with_agent_id_creates_token_and_alias_entry() {
    let fx = fixture().await;
    let token = api(&fx)
        .create_join_token(local(CreateJoinTokenRequest {
            ttl: 600,
            token: String::new(),
            agent_id: Some(id("/node/robot-1")),
        }))
        .await
        .expect("token created")
        .into_inner();
    assert_eq!(token.expires_at, i64::try_from(START).expect("fits") + 600);
    assert!(
        uuid::Uuid::parse_str(&token.value).is_ok(),
        "generated token is a UUID"
    );

    let stored = fx
        .ctx
        .datastore
        .fetch_join_token(&token.value)
        .await
        .expect("token lookup")
        .expect("token stored");
    assert_eq!(stored.expires_at, token.expires_at);

    let agent_id = format!(
        "spiffe://example.org/spire/agent/join_token/{}",
        token.value
    );
    let aliases = fx
        .ctx
        .datastore
        .list_registration_entries(
            &EntryFilter {
                by_parent_id: Some(agent_id.clone()),
                ..EntryFilter::default()
            },
            None,
        )
        .await
        .expect("alias lookup")
        .items;
    assert_eq!(aliases.len(), 1);
    assert_eq!(aliases[0].spiffe_id, "spiffe://example.org/node/robot-1");
    assert_eq!(
        aliases[0].selectors,
        vec![Selector::new("spiffe_id", agent_id).expect("valid selector")]
    );
}

#[tokio::test]
async fn join_token_keeps_a_given_value_and_validates_input() {
    let fx = fixture().await;
    let api = api(&fx);
    let given = api
        .create_join_token(local(CreateJoinTokenRequest {
            ttl: 1,
            token: "my-token".into(),
            agent_id: None,
        }))
        .await
        .expect("token created")
        .into_inner();
    assert_eq!(given.value, "my-token");

    let cases = [
        (0, "", None, "ttl is required, you must provide one"),
        (
            60,
            "",
            Some(id("/spire/agent/x")),
            "invalid agent ID: \"spiffe://example.org/spire/agent/x\" is not a workload in trust domain \"example.org\"; path is in the reserved namespace",
        ),
        (
            60,
            "a/b/../c",
            None,
            "invalid token: path must not contain '.' or '..' segments",
        ),
    ];
    for (ttl, token, agent_id, message) in cases {
        let err = api
            .create_join_token(local(CreateJoinTokenRequest {
                ttl,
                token: token.into(),
                agent_id,
            }))
            .await
            .expect_err("invalid request refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(err.message(), message);
    }
}

#[tokio::test]
async fn duplicate_join_token_is_already_exists() {
    let fx = fixture().await;
    let api = api(&fx);
    let request = || {
        local(CreateJoinTokenRequest {
            ttl: 60,
            token: "same".into(),
            agent_id: None,
        })
    };
    api.create_join_token(request()).await.expect("first token");
    let err = api
        .create_join_token(request())
        .await
        .expect_err("second refused");
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn ban_marks_the_agent_banned_and_filters_see_it() {
    let fx = fixture().await;
    let api = api(&fx);
    let banned = attested(&fx, "node1").await;
    attested(&fx, "node2").await;
    api.ban_agent(local(BanAgentRequest {
        id: Some(id("/spire/agent/x509pop/node1")),
    }))
    .await
    .expect("ban");

    let agent = api
        .get_agent(local(GetAgentRequest {
            id: Some(id("/spire/agent/x509pop/node1")),
            output_mask: None,
        }))
        .await
        .expect("get agent")
        .into_inner();
    assert!(agent.banned);
    assert_eq!(agent.x509svid_serial_number, "");
    assert_eq!(agent.attestation_type, "x509pop");
    assert_eq!(agent.selectors.len(), 1);

    let count = |banned: bool| {
        local(CountAgentsRequest {
            filter: Some(count_agents_request::Filter {
                by_banned: Some(banned),
                ..Default::default()
            }),
        })
    };
    assert_eq!(
        api.count_agents(count(true))
            .await
            .expect("count")
            .into_inner()
            .count,
        1
    );
    assert_eq!(
        api.count_agents(count(false))
            .await
            .expect("count")
            .into_inner()
            .count,
        1
    );
    assert!(banned.ends_with("node1"));
}

#[tokio::test]
async fn ban_and_delete_of_unknown_agents_are_not_found() {
    let fx = fixture().await;
    let api = api(&fx);
    let err = api
        .ban_agent(local(BanAgentRequest {
            id: Some(id("/spire/agent/x509pop/ghost")),
        }))
        .await
        .expect_err("unknown agent");
    assert_eq!(
        (err.code(), err.message()),
        (Code::NotFound, "agent not found")
    );
    let err = api
        .delete_agent(local(DeleteAgentRequest {
            id: Some(id("/spire/agent/x509pop/ghost")),
        }))
        .await
        .expect_err("unknown agent");
    assert_eq!(
        (err.code(), err.message()),
        (Code::NotFound, "agent not found")
    );
}

#[tokio::test]
async fn delete_evicts_the_agent() {
    let fx = fixture().await;
    let api = api(&fx);
    attested(&fx, "node1").await;
    api.delete_agent(local(DeleteAgentRequest {
        id: Some(id("/spire/agent/x509pop/node1")),
    }))
    .await
    .expect("delete");
    let err = api
        .get_agent(local(GetAgentRequest {
            id: Some(id("/spire/agent/x509pop/node1")),
            output_mask: None,
        }))
        .await
        .expect_err("agent gone");
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn agent_ids_must_be_in_the_agent_namespace() {
    let fx = fixture().await;
    let err = api(&fx)
        .get_agent(local(GetAgentRequest {
            id: Some(id("/workload")),
            output_mask: None,
        }))
        .await
        .expect_err("not an agent ID");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "invalid agent ID: \"spiffe://example.org/workload\" is not an agent in trust domain \"example.org\"; path is not in the agent namespace"
    );
}

#[tokio::test]
async fn list_pages_and_masks_agents() {
    let fx = fixture().await;
    let api = api(&fx);
    for name in ["n1", "n2", "n3"] {
        attested(&fx, name).await;
    }
    let first = api
        .list_agents(local(ListAgentsRequest {
            page_size: 2,
            output_mask: Some(AgentMask::default()),
            ..ListAgentsRequest::default()
        }))
        .await
        .expect("page 1")
        .into_inner();
    assert_eq!(first.agents.len(), 2);
    assert!(
        first
            .agents
            .iter()
            .all(|a| a.selectors.is_empty() && a.attestation_type.is_empty())
    );
    assert!(
        first.agents.iter().all(|a| a.id.is_some()),
        "ID survives the mask"
    );
    let second = api
        .list_agents(local(ListAgentsRequest {
            page_size: 2,
            page_token: first.next_page_token,
            ..ListAgentsRequest::default()
        }))
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(second.agents.len(), 1);
    assert_eq!(
        second.agents[0].selectors.len(),
        1,
        "no mask: selectors fetched"
    );
}

#[tokio::test]
async fn anonymous_caller_cannot_create_join_tokens() {
    let fx = fixture().await;
    let err = api(&fx)
        .create_join_token(anonymous(CreateJoinTokenRequest {
            ttl: 60,
            ..CreateJoinTokenRequest::default()
        }))
        .await
        .expect_err("denied");
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn agent_facing_rpcs_refuse_local_callers_who_are_not_agents() {
    let fx = fixture().await;
    let err = api(&fx)
        .renew_agent(local(RenewAgentRequest::default()))
        .await
        .expect_err("local callers are not agents");
    assert_eq!(err.code(), Code::PermissionDenied);
}
