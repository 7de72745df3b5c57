use spire_proto::spire::api::server::bundle::v1::bundle_server::Bundle;
use spire_proto::spire::api::server::bundle::v1::{
    AppendBundleRequest, BatchCreateFederatedBundleRequest, BatchDeleteFederatedBundleRequest,
    BatchSetFederatedBundleRequest, BatchUpdateFederatedBundleRequest, CountBundlesRequest,
    GetBundleRequest, GetFederatedBundleRequest, ListFederatedBundlesRequest,
};
use spire_proto::spire::api::types::{Bundle as ProtoBundle, BundleMask, JwtKey, X509Certificate};
use spire_spiffe::TrustDomain;
use tonic::Code;

use super::BundleApi;
use crate::api::testing::{Fixture, TD, anonymous, fixture, local};

fn api(fx: &Fixture) -> BundleApi {
    BundleApi::new(
        fx.ctx.clone(),
        TrustDomain::new(TD).expect("fixture TD is valid"),
    )
}

fn ca_cert() -> X509Certificate {
    let certified = rcgen::generate_simple_self_signed(vec!["ca.test".to_owned()])
        .expect("rcgen makes a self-signed certificate");
    X509Certificate {
        asn1: certified.cert.der().to_vec(),
        tainted: false,
    }
}

fn jwt_key(kid: &str) -> JwtKey {
    let key = rcgen::KeyPair::generate().expect("rcgen makes an EC key");
    JwtKey {
        public_key: rcgen::PublicKeyData::subject_public_key_info(&key),
        key_id: kid.into(),
        expires_at: 0,
        tainted: false,
    }
}

fn federated(td: &str, refresh_hint: i64) -> ProtoBundle {
    ProtoBundle {
        trust_domain: td.into(),
        x509_authorities: vec![ca_cert()],
        refresh_hint,
        ..ProtoBundle::default()
    }
}

#[tokio::test]
async fn append_then_get_returns_the_own_bundle_to_anyone() {
    let fx = fixture().await;
    let api = api(&fx);
    let err = api
        .get_bundle(anonymous(GetBundleRequest::default()))
        .await
        .expect_err("no bundle yet");
    assert_eq!(
        (err.code(), err.message()),
        (Code::NotFound, "bundle not found")
    );

    let cert = ca_cert();
    let appended = api
        .append_bundle(local(AppendBundleRequest {
            x509_authorities: vec![cert.clone()],
            jwt_authorities: vec![jwt_key("kid-1")],
            ..AppendBundleRequest::default()
        }))
        .await
        .expect("append")
        .into_inner();
    assert_eq!(appended.trust_domain, TD);
    assert_eq!(appended.x509_authorities, vec![cert.clone()]);

    let got = api
        .get_bundle(anonymous(GetBundleRequest {
            output_mask: Some(BundleMask {
                x509_authorities: true,
                ..BundleMask::default()
            }),
        }))
        .await
        .expect("GetBundle is open to anonymous callers")
        .into_inner();
    assert_eq!(got.x509_authorities, vec![cert]);
    assert!(got.jwt_authorities.is_empty(), "masked out");
}

#[tokio::test]
async fn append_refuses_empty_and_malformed_authorities() {
    let fx = fixture().await;
    let api = api(&fx);
    let err = api
        .append_bundle(local(AppendBundleRequest::default()))
        .await
        .expect_err("nothing to append");
    assert_eq!(err.message(), "no authorities to append");
    let err = api
        .append_bundle(local(AppendBundleRequest {
            jwt_authorities: vec![jwt_key("")],
            ..AppendBundleRequest::default()
        }))
        .await
        .expect_err("missing kid");
    assert_eq!(
        err.message(),
        "failed to convert JWT authority: unable to parse JWT authority: missing key ID"
    );
    let err = api
        .append_bundle(local(AppendBundleRequest {
            x509_authorities: vec![X509Certificate {
                asn1: b"not a cert".to_vec(),
                tainted: false,
            }],
            ..AppendBundleRequest::default()
        }))
        .await
        .expect_err("bad certificate");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message()
            .starts_with("failed to convert X.509 authority: ")
    );
}

#[tokio::test]
async fn federated_bundles_are_created_listed_updated_set_and_deleted() {
    let fx = fixture().await;
    let api = api(&fx);
    api.append_bundle(local(AppendBundleRequest {
        x509_authorities: vec![ca_cert()],
        ..AppendBundleRequest::default()
    }))
    .await
    .expect("own bundle");

    let created = api
        .batch_create_federated_bundle(local(BatchCreateFederatedBundleRequest {
            bundle: vec![
                federated("a.org", 10),
                federated("a.org", 10),
                federated("b.org", 20),
            ],
            output_mask: None,
        }))
        .await
        .expect("batch create")
        .into_inner()
        .results;
    let codes: Vec<i32> = created
        .iter()
        .map(|r| r.status.clone().map_or(-1, |s| s.code))
        .collect();
    assert_eq!(codes, vec![0, Code::AlreadyExists as i32, 0]);

    let listed = api
        .list_federated_bundles(local(ListFederatedBundlesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    let names: Vec<&str> = listed
        .bundles
        .iter()
        .map(|b| b.trust_domain.as_str())
        .collect();
    assert_eq!(names, vec!["a.org", "b.org"], "own bundle not listed");
    let count = api
        .count_bundles(local(CountBundlesRequest {}))
        .await
        .expect("count")
        .into_inner();
    assert_eq!(count.count, 3, "count includes the own bundle, as SPIRE");

    let updated = api
        .batch_update_federated_bundle(local(BatchUpdateFederatedBundleRequest {
            bundle: vec![
                ProtoBundle {
                    trust_domain: "a.org".into(),
                    refresh_hint: 99,
                    ..ProtoBundle::default()
                },
                federated("missing.org", 1),
            ],
            input_mask: Some(BundleMask {
                refresh_hint: true,
                ..BundleMask::default()
            }),
            output_mask: None,
        }))
        .await
        .expect("batch update")
        .into_inner()
        .results;
    let a = updated[0].bundle.clone().expect("updated bundle");
    assert_eq!(a.refresh_hint, 99);
    assert_eq!(a.x509_authorities.len(), 1, "unmasked authorities kept");
    let missing = updated[1].status.clone().expect("status");
    assert_eq!(
        (missing.code, missing.message.as_str()),
        (Code::NotFound as i32, "bundle not found")
    );

    let set = api
        .batch_set_federated_bundle(local(BatchSetFederatedBundleRequest {
            bundle: vec![federated("c.org", 5)],
            output_mask: None,
        }))
        .await
        .expect("batch set")
        .into_inner()
        .results;
    assert_eq!(set[0].bundle.as_ref().map(|b| b.refresh_hint), Some(5));

    let deleted = api
        .batch_delete_federated_bundle(local(BatchDeleteFederatedBundleRequest {
            trust_domains: vec!["b.org".into(), "b.org".into()],
            mode: 0,
        }))
        .await
        .expect("batch delete")
        .into_inner()
        .results;
    let outcome: Vec<(i32, String)> = deleted
        .iter()
        .map(|r| {
            (
                r.status.clone().map_or(-1, |s| s.code),
                r.trust_domain.clone(),
            )
        })
        .collect();
    assert_eq!(
        outcome,
        vec![(0, "b.org".into()), (Code::NotFound as i32, "b.org".into())]
    );
    let err = api
        .get_federated_bundle(local(GetFederatedBundleRequest {
            trust_domain: "b.org".into(),
            output_mask: None,
        }))
        .await
        .expect_err("deleted");
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn federated_operations_refuse_the_own_trust_domain() {
    let fx = fixture().await;
    let api = api(&fx);
    let err = api
        .get_federated_bundle(local(GetFederatedBundleRequest {
            trust_domain: TD.into(),
            output_mask: None,
        }))
        .await
        .expect_err("own TD refused");
    assert_eq!(
        err.message(),
        "getting a federated bundle for the server's own trust domain is not allowed"
    );
    let created = api
        .batch_create_federated_bundle(local(BatchCreateFederatedBundleRequest {
            bundle: vec![federated(TD, 1)],
            output_mask: None,
        }))
        .await
        .expect("batch")
        .into_inner()
        .results;
    let status = created[0].status.clone().expect("status");
    assert_eq!(status.code, Code::InvalidArgument as i32);
    assert_eq!(
        status.message,
        "creating a federated bundle for the server's own trust domain is not allowed"
    );
    let deleted = api
        .batch_delete_federated_bundle(local(BatchDeleteFederatedBundleRequest {
            trust_domains: vec![format!("spiffe://{TD}")],
            mode: 1,
        }))
        .await
        .expect("batch")
        .into_inner()
        .results;
    let status = deleted[0].status.clone().expect("status");
    assert_eq!(
        status.message,
        "removing the bundle for the server trust domain is not allowed"
    );
}

#[tokio::test]
async fn unknown_delete_mode_is_invalid() {
    let fx = fixture().await;
    let err = api(&fx)
        .batch_delete_federated_bundle(local(BatchDeleteFederatedBundleRequest {
            trust_domains: vec!["a.org".into()],
            mode: 7,
        }))
        .await
        .expect_err("bad mode");
    assert_eq!(
        err.message(),
        "failed to parse deletion mode: unhandled delete mode 7"
    );
}

#[tokio::test]
async fn anonymous_caller_cannot_manage_federated_bundles() {
    let fx = fixture().await;
    let err = api(&fx)
        .list_federated_bundles(anonymous(ListFederatedBundlesRequest::default()))
        .await
        .expect_err("denied");
    assert_eq!(err.code(), Code::PermissionDenied);
}
