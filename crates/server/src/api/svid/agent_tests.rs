//! BatchNewX509SVID and NewJWTSVID for an attested agent over a real CA.

use spire_ca::clock::Clock;
use spire_datastore::RegistrationEntry;
use spire_proto::spire::api::server::svid::v1::svid_server::Svid;
use spire_proto::spire::api::server::svid::v1::{
    BatchNewX509svidRequest, NewJwtsvidRequest, NewX509svidParams,
};
use spire_spiffe::Selector;
use tonic::Code;

use super::SvidApi;
use crate::api::agent::fixture::{AgentFixture, agent_fixture, as_agent, csr};

const AGENT: &str = "spiffe://example.org/spire/agent/join_token/tok-1";

async fn add(fx: &AgentFixture, parent: &str, id: &str, x509_ttl: i32) -> String {
    fx.ctx
        .datastore
        .create_registration_entry(&RegistrationEntry {
            parent_id: parent.into(),
            spiffe_id: id.into(),
            selectors: vec![Selector::new("unix", "uid:1").expect("valid")],
            x509_svid_ttl: x509_ttl,
            dns_names: vec!["web.example.org".into()],
            ..RegistrationEntry::default()
        })
        .await
        .expect("created")
        .entry_id
}

fn api(fx: &AgentFixture) -> SvidApi {
    SvidApi::new(
        fx.ctx.clone(),
        spire_spiffe::TrustDomain::new("example.org").expect("valid"),
    )
}

#[tokio::test]
async fn batch_signs_authorized_entries_and_refuses_others_per_item() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let agent = fx.attest_join_token("tok-1").await.expect("attested");
    let mine = add(&fx, AGENT, "spiffe://example.org/web", 600).await;
    let theirs = add(
        &fx,
        "spiffe://example.org/spire/agent/x",
        "spiffe://example.org/db",
        0,
    )
    .await;
    let request = BatchNewX509svidRequest {
        params: vec![
            NewX509svidParams {
                entry_id: mine.clone(),
                csr: csr(),
            },
            NewX509svidParams {
                entry_id: theirs,
                csr: csr(),
            },
            NewX509svidParams {
                entry_id: mine,
                csr: b"junk".to_vec(),
            },
        ],
    };
    let results = api(&fx)
        .batch_new_x509svid(as_agent(request, &agent))
        .await
        .expect("authorized agent")
        .into_inner()
        .results;
    assert_eq!(results.len(), 3);

    let ok = &results[0];
    assert_eq!(ok.status.as_ref().expect("status").code, 0);
    let svid = ok.svid.as_ref().expect("svid");
    assert_eq!(svid.id.as_ref().expect("id").path, "/web");
    assert_eq!(
        svid.expires_at,
        fx.ctx.now_unix() + 600,
        "entry TTL applies"
    );
    let (_, cert) = x509_parser::parse_x509_certificate(&svid.cert_chain[0]).expect("leaf parses");
    let sans = cert
        .subject_alternative_name()
        .expect("SAN parses")
        .expect("SAN present");
    let names: Vec<String> = sans
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(
        names.contains(&"URI(spiffe://example.org/web)".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"DNSName(web.example.org)".to_owned()),
        "{names:?}"
    );

    let refused = results[1].status.as_ref().expect("status");
    assert_eq!(refused.code, Code::NotFound as i32);
    assert_eq!(refused.message, "entry not found or not authorized");
    assert!(results[1].svid.is_none());

    let malformed = results[2].status.as_ref().expect("status");
    assert_eq!(malformed.code, Code::InvalidArgument as i32);
    assert!(
        malformed.message.starts_with("malformed CSR"),
        "{}",
        malformed.message
    );
}

#[tokio::test]
async fn batch_refuses_empty_and_oversized_requests() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let agent = fx.attest_join_token("tok-1").await.expect("attested");
    let err = api(&fx)
        .batch_new_x509svid(as_agent(BatchNewX509svidRequest::default(), &agent))
        .await
        .expect_err("empty");
    assert_eq!(err.message(), "missing parameters");
    let many = BatchNewX509svidRequest {
        params: vec![NewX509svidParams::default(); 501],
    };
    let err = api(&fx)
        .batch_new_x509svid(as_agent(many, &agent))
        .await
        .expect_err("too many");
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn jwt_svids_are_signed_only_for_authorized_entries() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let agent = fx.attest_join_token("tok-1").await.expect("attested");
    let mine = add(&fx, AGENT, "spiffe://example.org/web", 0).await;
    let theirs = add(
        &fx,
        "spiffe://example.org/spire/agent/x",
        "spiffe://example.org/db",
        0,
    )
    .await;
    let svid = api(&fx)
        .new_jwtsvid(as_agent(
            NewJwtsvidRequest {
                entry_id: mine.clone(),
                audience: vec!["aud".into()],
            },
            &agent,
        ))
        .await
        .expect("authorized")
        .into_inner()
        .svid
        .expect("svid");
    assert_eq!(svid.id.expect("id").path, "/web");
    assert_eq!(svid.expires_at, fx.ctx.now_unix() + 300, "default JWT TTL");
    assert_eq!(svid.token.split('.').count(), 3);

    let err = api(&fx)
        .new_jwtsvid(as_agent(
            NewJwtsvidRequest {
                entry_id: theirs,
                audience: vec!["aud".into()],
            },
            &agent,
        ))
        .await
        .expect_err("not authorized");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), "entry not found or not authorized");

    let err = api(&fx)
        .new_jwtsvid(as_agent(
            NewJwtsvidRequest {
                entry_id: mine,
                audience: Vec::new(),
            },
            &agent,
        ))
        .await
        .expect_err("no audience");
    assert_eq!(err.message(), "at least one audience is required");
}

/// Regression: an entry past its `expires_at` was signed until the pruner deleted it.
#[tokio::test]
async fn an_expired_entry_is_refused_for_x509_and_jwt_before_it_is_pruned() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let agent = fx.attest_join_token("tok-1").await.expect("attested");
    let now = fx
        .clock
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_secs();
    let entry_id = fx
        .ctx
        .datastore
        .create_registration_entry(&RegistrationEntry {
            parent_id: AGENT.into(),
            spiffe_id: "spiffe://example.org/short".into(),
            selectors: vec![Selector::new("unix", "uid:1").expect("valid")],
            expires_at: i64::try_from(now).expect("fits") + 60,
            ..RegistrationEntry::default()
        })
        .await
        .expect("created")
        .entry_id;
    let x509 = |entry_id: String| BatchNewX509svidRequest {
        params: vec![NewX509svidParams {
            entry_id,
            csr: csr(),
        }],
    };
    let results = api(&fx)
        .batch_new_x509svid(as_agent(x509(entry_id.clone()), &agent))
        .await
        .expect("authorized agent")
        .into_inner()
        .results;
    assert_eq!(results[0].status.as_ref().expect("status").code, 0, "live");

    fx.clock.advance(std::time::Duration::from_secs(61));
    let results = api(&fx)
        .batch_new_x509svid(as_agent(x509(entry_id.clone()), &agent))
        .await
        .expect("authorized agent")
        .into_inner()
        .results;
    let status = results[0].status.as_ref().expect("status");
    assert_eq!(status.code, Code::NotFound as i32, "{status:?}");
    assert!(results[0].svid.is_none());
    let err = api(&fx)
        .new_jwtsvid(as_agent(
            NewJwtsvidRequest {
                entry_id,
                audience: vec!["aud".into()],
            },
            &agent,
        ))
        .await
        .expect_err("expired entry");
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
}
