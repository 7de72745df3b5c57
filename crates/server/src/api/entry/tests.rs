use spire_proto::spire::api::server::entry::v1::entry_server::Entry;
use spire_proto::spire::api::server::entry::v1::{
    BatchCreateEntryRequest, BatchDeleteEntryRequest, BatchUpdateEntryRequest, CountEntriesRequest,
    GetAuthorizedEntriesRequest, GetEntryRequest, ListEntriesRequest, count_entries_request,
    list_entries_request,
};
use spire_proto::spire::api::types::{Entry as ProtoEntry, EntryMask, SelectorMatch};
use spire_spiffe::{Bundle, TrustDomain};
use tonic::Code;

use super::EntryApi;
use crate::api::testing::{Fixture, TD, anonymous, fixture, from_svid, id, id_in, local, selector};

fn api(fx: &Fixture) -> EntryApi {
    EntryApi::new(
        fx.ctx.clone(),
        TrustDomain::new(TD).expect("fixture TD is valid"),
    )
}

fn workload(path: &str, uid: &str) -> ProtoEntry {
    ProtoEntry {
        spiffe_id: Some(id(path)),
        parent_id: Some(id("/spire/agent/x509pop/node1")),
        selectors: vec![selector("unix", &format!("uid:{uid}"))],
        x509_svid_ttl: 600,
        ..ProtoEntry::default()
    }
}

async fn create(
    api: &EntryApi,
    entries: Vec<ProtoEntry>,
) -> Vec<(i32, String, Option<ProtoEntry>)> {
    api.batch_create_entry(local(BatchCreateEntryRequest {
        entries,
        output_mask: None,
    }))
    .await
    .expect("batch create never fails as a whole")
    .into_inner()
    .results
    .into_iter()
    .map(|r| {
        let status = r.status.expect("every result carries a status");
        (status.code, status.message, r.entry)
    })
    .collect()
}

async fn create_one(api: &EntryApi, entry: ProtoEntry) -> ProtoEntry {
    let mut results = create(api, vec![entry]).await;
    let (code, message, entry) = results.remove(0);
    assert_eq!(code, 0, "{message}");
    entry.expect("a created entry is returned")
}

#[tokio::test]
async fn creating_a_duplicate_returns_already_exists_with_the_existing_entry() {
    let fx = fixture().await;
    let api = api(&fx);
    let first = create_one(&api, workload("/web", "1000")).await;
    assert!(!first.id.is_empty());
    assert_eq!(first.spiffe_id, Some(id("/web")));
    assert_eq!(first.x509_svid_ttl, 600);

    let results = create(&api, vec![workload("/web", "1000")]).await;
    assert_eq!(results[0].0, Code::AlreadyExists as i32);
    assert_eq!(results[0].1, "similar entry already exists");
    assert_eq!(results[0].2.as_ref().map(|e| e.id.clone()), Some(first.id));
}

#[tokio::test]
async fn invalid_entries_fail_their_own_item_only() {
    let fx = fixture().await;
    let api = api(&fx);
    let mut other_td = workload("/web", "1");
    other_td.spiffe_id = Some(id_in("other.org", "/web"));
    let reserved = workload("/spire/agent/sneaky", "2");
    let mut no_selectors = workload("/a", "3");
    no_selectors.selectors.clear();
    let mut bad_selector = workload("/b", "4");
    bad_selector.selectors = vec![selector("unix", "")];
    let mut negative_ttl = workload("/c", "5");
    negative_ttl.x509_svid_ttl = -1;
    let mut long_hint = workload("/d", "6");
    long_hint.hint = "h".repeat(1025);
    let mut bad_dns = workload("/e", "7");
    bad_dns.dns_names = vec!["bad_name.example.org".into()];
    let mut no_parent = workload("/f", "8");
    no_parent.parent_id = None;
    let mut unknown_federation = workload("/g", "9");
    unknown_federation.federates_with = vec!["partner.org".into()];

    let results = create(
        &api,
        vec![
            other_td,
            reserved,
            no_selectors,
            bad_selector,
            negative_ttl,
            long_hint,
            bad_dns,
            no_parent,
            unknown_federation,
            workload("/ok", "10"),
        ],
    )
    .await;
    let messages: Vec<&str> = results.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        messages[..9],
        [
            "failed to convert entry: invalid spiffe ID: \"spiffe://other.org/web\" is not a member of trust domain \"example.org\"",
            "failed to convert entry: invalid spiffe ID: \"spiffe://example.org/spire/agent/sneaky\" is not a workload in trust domain \"example.org\"; path is in the reserved namespace",
            "failed to convert entry: selector list is empty",
            "failed to convert entry: missing selector value",
            "failed to convert entry: invalid registration entry: x509_svid_ttl -1 is negative",
            "failed to convert entry: hint is too long, max length is 1024 characters",
            "failed to convert entry: invalid DNS name: label \"bad_name\" of \"bad_name.example.org\" may hold only letters, digits and inner hyphens",
            "failed to convert entry: invalid parent ID: request must specify SPIFFE ID",
            "failed to create entry: unable to find federated bundle \"spiffe://partner.org\"",
        ]
    );
    let codes: Vec<i32> = results.iter().map(|r| r.0).collect();
    assert_eq!(codes[..8], [Code::InvalidArgument as i32; 8]);
    assert_eq!(codes[8], Code::Internal as i32);
    assert_eq!(codes[9], 0, "the valid item still succeeds");
}

#[tokio::test]
async fn federated_entry_is_created_once_the_bundle_exists() {
    let fx = fixture().await;
    let api = api(&fx);
    fx.ctx
        .datastore
        .create_bundle(&Bundle {
            trust_domain: "partner.org".into(),
            ..Bundle::default()
        })
        .await
        .expect("bundle stored");
    let mut entry = workload("/fed", "1");
    entry.federates_with = vec!["spiffe://partner.org".into()];
    let created = create_one(&api, entry).await;
    assert_eq!(created.federates_with, vec!["partner.org".to_owned()]);
}

#[tokio::test]
async fn list_pages_with_tokens_and_applies_filters() {
    let fx = fixture().await;
    let api = api(&fx);
    for (path, uid) in [("/a", "1"), ("/b", "2"), ("/c", "3")] {
        create_one(&api, workload(path, uid)).await;
    }
    let mut other_parent = workload("/d", "4");
    other_parent.parent_id = Some(id("/spire/agent/x509pop/node2"));
    create_one(&api, other_parent).await;

    let page = |token: String| {
        local(ListEntriesRequest {
            page_size: 3,
            page_token: token,
            ..ListEntriesRequest::default()
        })
    };
    let first = api
        .list_entries(page(String::new()))
        .await
        .expect("page 1")
        .into_inner();
    assert_eq!(first.entries.len(), 3);
    assert!(!first.next_page_token.is_empty());
    let second = api
        .list_entries(page(first.next_page_token))
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(second.entries.len(), 1);
    assert_eq!(second.entries[0].spiffe_id, Some(id("/d")));

    let by_parent = api
        .list_entries(local(ListEntriesRequest {
            filter: Some(list_entries_request::Filter {
                by_parent_id: Some(id("/spire/agent/x509pop/node2")),
                ..Default::default()
            }),
            ..ListEntriesRequest::default()
        }))
        .await
        .expect("list by parent")
        .into_inner();
    assert_eq!(by_parent.entries.len(), 1);
    assert_eq!(by_parent.next_page_token, "");

    let by_selector = api
        .count_entries(local(CountEntriesRequest {
            filter: Some(count_entries_request::Filter {
                by_selectors: Some(SelectorMatch {
                    selectors: vec![selector("unix", "uid:2")],
                    r#match: 0,
                }),
                ..Default::default()
            }),
        }))
        .await
        .expect("count by selectors")
        .into_inner();
    assert_eq!(by_selector.count, 1);

    let all = api
        .count_entries(local(CountEntriesRequest::default()))
        .await
        .expect("count all")
        .into_inner();
    assert_eq!(all.count, 4);
}

#[tokio::test]
async fn by_downstream_false_lists_every_entry_as_spire_does() {
    // SPIRE's `entry show` always sends by_downstream; only `true` narrows the listing.
    let fx = fixture().await;
    let api = api(&fx);
    create_one(&api, workload("/plain", "1")).await;
    let mut downstream = workload("/downstream", "2");
    downstream.downstream = true;
    create_one(&api, downstream).await;

    let list = |by_downstream| {
        local(ListEntriesRequest {
            filter: Some(list_entries_request::Filter {
                by_downstream: Some(by_downstream),
                ..Default::default()
            }),
            ..ListEntriesRequest::default()
        })
    };
    let every = api
        .list_entries(list(false))
        .await
        .expect("list with by_downstream false")
        .into_inner();
    let mut paths: Vec<_> = every
        .entries
        .iter()
        .filter_map(|e| e.spiffe_id.as_ref().map(|id| id.path.clone()))
        .collect();
    paths.sort();
    assert_eq!(paths, ["/downstream", "/plain"]);

    let only = api
        .list_entries(list(true))
        .await
        .expect("list with by_downstream true")
        .into_inner();
    assert_eq!(only.entries.len(), 1);
    assert_eq!(only.entries[0].spiffe_id, Some(id("/downstream")));

    let counted = api
        .count_entries(local(CountEntriesRequest {
            filter: Some(count_entries_request::Filter {
                by_downstream: Some(false),
                ..Default::default()
            }),
        }))
        .await
        .expect("count with by_downstream false")
        .into_inner();
    assert_eq!(counted.count, 2);
}

#[tokio::test]
async fn list_filter_with_foreign_spiffe_id_is_invalid() {
    let fx = fixture().await;
    let err = api(&fx)
        .list_entries(local(ListEntriesRequest {
            filter: Some(list_entries_request::Filter {
                by_spiffe_id: Some(id_in("other.org", "/x")),
                ..Default::default()
            }),
            ..ListEntriesRequest::default()
        }))
        .await
        .expect_err("foreign ID filter refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().starts_with("malformed SPIFFE ID filter: "),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn update_with_input_mask_changes_only_masked_fields_and_bumps_revision() {
    let fx = fixture().await;
    let api = api(&fx);
    let created = create_one(&api, workload("/web", "1")).await;
    let update = ProtoEntry {
        id: created.id.clone(),
        x509_svid_ttl: 1200,
        ..ProtoEntry::default()
    };
    let results = api
        .batch_update_entry(local(BatchUpdateEntryRequest {
            entries: vec![update],
            input_mask: Some(EntryMask {
                x509_svid_ttl: true,
                ..EntryMask::default()
            }),
            output_mask: None,
        }))
        .await
        .expect("batch update")
        .into_inner()
        .results;
    let status = results[0].status.clone().expect("status");
    assert_eq!(status.code, 0, "{}", status.message);
    let updated = results[0].entry.clone().expect("updated entry");
    assert_eq!(updated.x509_svid_ttl, 1200);
    assert_eq!(updated.spiffe_id, Some(id("/web")), "unmasked field kept");
    assert_eq!(updated.revision_number, created.revision_number + 1);

    let fetched = api
        .get_entry(local(GetEntryRequest {
            id: created.id,
            output_mask: Some(EntryMask {
                x509_svid_ttl: true,
                ..EntryMask::default()
            }),
        }))
        .await
        .expect("get entry")
        .into_inner();
    assert_eq!(fetched.x509_svid_ttl, 1200);
    assert_eq!(
        fetched.spiffe_id, None,
        "output mask clears unrequested fields"
    );
}

#[tokio::test]
async fn update_of_missing_entry_is_not_found() {
    let fx = fixture().await;
    let mut entry = workload("/web", "1");
    entry.id = "no-such-entry".into();
    let results = api(&fx)
        .batch_update_entry(local(BatchUpdateEntryRequest {
            entries: vec![entry],
            ..BatchUpdateEntryRequest::default()
        }))
        .await
        .expect("batch update")
        .into_inner()
        .results;
    let status = results[0].status.clone().expect("status");
    assert_eq!(status.code, Code::NotFound as i32);
    assert!(
        status.message.starts_with("failed to update entry: "),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn delete_removes_entries_and_reports_missing_ones() {
    let fx = fixture().await;
    let api = api(&fx);
    let created = create_one(&api, workload("/web", "1")).await;
    let results = api
        .batch_delete_entry(local(BatchDeleteEntryRequest {
            ids: vec![created.id.clone(), created.id.clone(), String::new()],
        }))
        .await
        .expect("batch delete")
        .into_inner()
        .results;
    let outcome: Vec<(i32, String, String)> = results
        .into_iter()
        .map(|r| {
            let status = r.status.expect("status");
            (status.code, status.message, r.id)
        })
        .collect();
    assert_eq!(
        outcome,
        vec![
            (0, "OK".into(), created.id.clone()),
            (
                Code::NotFound as i32,
                "entry not found".into(),
                created.id.clone()
            ),
            (
                Code::InvalidArgument as i32,
                "missing entry ID".into(),
                String::new()
            ),
        ]
    );
    let err = api
        .get_entry(local(GetEntryRequest {
            id: created.id,
            output_mask: None,
        }))
        .await
        .expect_err("deleted entry is gone");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), "entry not found");
}

#[tokio::test]
async fn anonymous_tcp_caller_is_denied() {
    let fx = fixture().await;
    let err = api(&fx)
        .count_entries(anonymous(CountEntriesRequest::default()))
        .await
        .expect_err("anonymous caller denied");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(
        err.message(),
        "authorization denied for method /spire.api.server.entry.v1.Entry/CountEntries"
    );
}

#[tokio::test]
async fn svid_callers_need_admin_ids_or_an_admin_entry() {
    let fx = fixture().await;
    let api = api(&fx);
    let listed_admin = from_svid(
        CountEntriesRequest::default(),
        crate::api::testing::ADMIN_ID,
    );
    assert!(api.count_entries(listed_admin).await.is_ok());

    let operator = "spiffe://example.org/operator";
    let denied = api
        .count_entries(from_svid(CountEntriesRequest::default(), operator))
        .await
        .expect_err("plain SVID denied");
    assert_eq!(denied.code(), Code::PermissionDenied);

    let mut admin_entry = workload("/operator", "42");
    admin_entry.admin = true;
    create_one(&api, admin_entry).await;
    let allowed = api
        .count_entries(from_svid(CountEntriesRequest::default(), operator))
        .await
        .expect("admin entry grants access")
        .into_inner();
    assert_eq!(allowed.count, 1);
}

#[tokio::test]
async fn authorized_entry_rpcs_refuse_local_callers_who_are_not_agents() {
    let fx = fixture().await;
    let err = api(&fx)
        .get_authorized_entries(local(GetAuthorizedEntriesRequest::default()))
        .await
        .expect_err("local callers are not agents");
    assert_eq!(err.code(), Code::PermissionDenied);
}

/// Regression: a newline in a selector value reached the logs as a forged line.
#[tokio::test]
async fn selectors_with_control_characters_are_refused_on_create_update_and_list() {
    let fx = fixture().await;
    let api = api(&fx);
    let mut forged = workload("/forged", "1");
    forged.selectors = vec![selector("unix", "uid:1\nlevel=error msg=forged")];
    let results = create(&api, vec![forged]).await;
    assert_eq!(results[0].0, Code::InvalidArgument as i32);
    assert_eq!(
        results[0].1,
        "failed to convert entry: selector value contains control character U+000A at byte 5"
    );

    let created = create_one(&api, workload("/web", "2")).await;
    let mut update = created.clone();
    update.selectors = vec![selector("unix", "uid:\u{1b}[2J")];
    let results = api
        .batch_update_entry(local(BatchUpdateEntryRequest {
            entries: vec![update],
            input_mask: Some(EntryMask {
                selectors: true,
                ..EntryMask::default()
            }),
            output_mask: None,
        }))
        .await
        .expect("batch update")
        .into_inner()
        .results;
    let status = results[0].status.clone().expect("status");
    assert_eq!(
        status.code,
        Code::InvalidArgument as i32,
        "{}",
        status.message
    );
    assert!(
        status.message.contains("control character U+001B"),
        "{}",
        status.message
    );

    let err = api
        .list_entries(local(ListEntriesRequest {
            filter: Some(list_entries_request::Filter {
                by_selectors: Some(SelectorMatch {
                    selectors: vec![selector("unix", "uid:\r")],
                    r#match: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .await
        .expect_err("control character in a filter");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("control character U+000D"),
        "{}",
        err.message()
    );
}
