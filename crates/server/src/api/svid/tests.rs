use std::time::Duration;

use rcgen::{CertificateParams, CustomExtension, KeyPair, SanType, string::Ia5String};
use spire_proto::spire::api::server::svid::v1::svid_server::Svid;
use spire_proto::spire::api::server::svid::v1::{
    BatchNewX509svidRequest, MintJwtsvidRequest, MintX509svidRequest,
};
use spire_spiffe::TrustDomain;
use tonic::Code;

use super::SvidApi;
use crate::api::testing::{Fixture, TD, anonymous, fixture, id, id_in, local};

const WEAK_RSA_CSR: &[u8] = include_bytes!("../testdata/csr-rsa-1024-uri-san.der");

fn api(fx: &Fixture) -> SvidApi {
    SvidApi::new(
        fx.ctx.clone(),
        TrustDomain::new(TD).expect("fixture TD is valid"),
    )
}

/// A P-256 CSR with the given URI and DNS SANs, optionally asking for CA:TRUE.
fn csr(uris: &[&str], dns: &[&str], request_ca: bool) -> Vec<u8> {
    let key = KeyPair::generate().expect("rcgen makes an EC key");
    let mut params = CertificateParams::default();
    for uri in uris {
        let uri = Ia5String::try_from(*uri).expect("test URIs are ASCII");
        params.subject_alt_names.push(SanType::URI(uri));
    }
    for name in dns {
        let name = Ia5String::try_from(*name).expect("test names are ASCII");
        params.subject_alt_names.push(SanType::DnsName(name));
    }
    if request_ca {
        // basicConstraints (2.5.29.19) = SEQUENCE { BOOLEAN TRUE }
        let mut ext =
            CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x03, 0x01, 0x01, 0xff]);
        ext.set_criticality(true);
        params.custom_extensions.push(ext);
    }
    params
        .serialize_request(&key)
        .expect("rcgen serializes the CSR")
        .der()
        .to_vec()
}

async fn mint_x509(
    api: &SvidApi,
    csr: Vec<u8>,
    ttl: i32,
) -> Result<MintX509svidRequest, tonic::Status> {
    let request = MintX509svidRequest { csr, ttl };
    api.mint_x509svid(local(request.clone()))
        .await
        .map(|_| request)
}

#[tokio::test]
async fn mint_x509_takes_id_and_dns_names_from_the_csr() {
    let fx = fixture().await;
    let api = api(&fx);
    let response = api
        .mint_x509svid(local(MintX509svidRequest {
            csr: csr(&["spiffe://example.org/web"], &["web.example.org"], false),
            ttl: 120,
        }))
        .await
        .expect("minted")
        .into_inner();
    let svid = response.svid.expect("svid returned");
    assert_eq!(svid.id, Some(id("/web")));
    assert_eq!(
        svid.cert_chain,
        vec![crate::api::testing::FAKE_LEAF.to_vec()]
    );
    assert_eq!(svid.expires_at, crate::api::testing::FAKE_EXPIRES_AT);

    let asked = fx.minter.x509_requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].spiffe_id.as_str(), "spiffe://example.org/web");
    assert_eq!(asked[0].dns_names, vec!["web.example.org".to_owned()]);
    assert_eq!(asked[0].ttl, Some(Duration::from_secs(120)));
    assert!(!asked[0].public_key_der.is_empty());
}

#[tokio::test]
async fn mint_x509_with_zero_ttl_uses_the_default() {
    let fx = fixture().await;
    mint_x509(&api(&fx), csr(&["spiffe://example.org/web"], &[], false), 0)
        .await
        .expect("minted");
    assert_eq!(fx.minter.x509_requests()[0].ttl, None);
}

#[tokio::test]
async fn mint_x509_refuses_bad_csrs() {
    let fx = fixture().await;
    let api = api(&fx);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "missing CSR"),
        (b"garbage".to_vec(), "malformed CSR: "),
        (
            csr(&["spiffe://example.org/ca"], &[], true),
            "CSR is not acceptable: CSR requests a CA certificate",
        ),
        (
            WEAK_RSA_CSR.to_vec(),
            "CSR is not acceptable: RSA key of 1024 bits is too small",
        ),
        (csr(&[], &[], false), "CSR URI SAN is required"),
        (
            csr(
                &["spiffe://example.org/a", "spiffe://example.org/b"],
                &[],
                false,
            ),
            "only one URI SAN is expected",
        ),
        (
            csr(&["spiffe://other.org/web"], &[], false),
            "CSR URI SAN is invalid: \"spiffe://other.org/web\" is not a member of trust domain \"example.org\"",
        ),
        (
            csr(&["spiffe://example.org/spire/server"], &[], false),
            "CSR URI SAN is invalid: \"spiffe://example.org/spire/server\" is not a workload in trust domain \"example.org\"; path is in the reserved namespace",
        ),
        (
            csr(
                &["spiffe://example.org/web"],
                &["*.example.org", "www.example.org"],
                false,
            ),
            "CSR DNS name contains a wildcard that covers another non-wildcard name: ",
        ),
    ];
    for (der, message) in cases {
        let err = mint_x509(&api, der, 0).await.expect_err(message);
        assert_eq!(err.code(), Code::InvalidArgument, "{message}");
        assert!(
            err.message().starts_with(message),
            "expected {message:?}, got {:?}",
            err.message()
        );
    }
    assert!(fx.minter.x509_requests().is_empty(), "nothing was signed");
}

#[tokio::test]
async fn mint_jwt_needs_a_workload_id_and_an_audience() {
    let fx = fixture().await;
    let api = api(&fx);
    let minted = api
        .mint_jwtsvid(local(MintJwtsvidRequest {
            id: Some(id("/web")),
            audience: vec!["aud1".into()],
            ttl: 60,
        }))
        .await
        .expect("minted")
        .into_inner()
        .svid
        .expect("svid returned");
    assert_eq!(minted.token, "fake.jwt.token");
    assert_eq!(minted.id, Some(id("/web")));
    let asked = fx.minter.jwt_requests();
    assert_eq!(asked[0].audience, vec!["aud1".to_owned()]);
    assert_eq!(asked[0].ttl, Some(Duration::from_secs(60)));

    let err = api
        .mint_jwtsvid(local(MintJwtsvidRequest {
            id: Some(id("/web")),
            audience: vec![],
            ttl: 0,
        }))
        .await
        .expect_err("no audience");
    assert_eq!(err.message(), "at least one audience is required");
    let err = api
        .mint_jwtsvid(local(MintJwtsvidRequest {
            id: Some(id_in("other.org", "/web")),
            audience: vec!["a".into()],
            ttl: 0,
        }))
        .await
        .expect_err("foreign ID");
    assert!(
        err.message().starts_with("invalid SPIFFE ID: "),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn anonymous_caller_cannot_mint() {
    let fx = fixture().await;
    let err = api(&fx)
        .mint_x509svid(anonymous(MintX509svidRequest {
            csr: csr(&["spiffe://example.org/web"], &[], false),
            ttl: 0,
        }))
        .await
        .expect_err("denied");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(
        err.message(),
        "authorization denied for method /spire.api.server.svid.v1.SVID/MintX509SVID"
    );
}

#[tokio::test]
async fn agent_svid_rpcs_refuse_local_callers_who_are_not_agents() {
    let fx = fixture().await;
    let err = api(&fx)
        .batch_new_x509svid(local(BatchNewX509svidRequest::default()))
        .await
        .expect_err("local callers are not agents");
    assert_eq!(err.code(), Code::PermissionDenied);
}
