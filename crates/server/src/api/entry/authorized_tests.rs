//! The sync protocol over synthetic entries, and GetAuthorizedEntries for a real agent.

use spire_datastore::RegistrationEntry;
use spire_proto::spire::api::server::entry::v1::entry_server::Entry;
use spire_proto::spire::api::server::entry::v1::{
    GetAuthorizedEntriesRequest, SyncAuthorizedEntriesRequest, SyncAuthorizedEntriesResponse,
};
use spire_proto::spire::api::types::{Entry as ProtoEntry, EntryMask};
use spire_spiffe::Selector;
use tokio::sync::mpsc;
use tonic::{Code, Status};

use super::EntryApi;
use super::authorized::{SyncItem, sync_authorized_entries};
use crate::api::agent::fixture::{agent_fixture, as_agent};

fn entries(n: usize) -> Vec<ProtoEntry> {
    (0..n)
        .map(|i| ProtoEntry {
            id: format!("entry-{i:05}"),
            revision_number: i as i64,
            created_at: 100,
            hint: "h".into(),
            ..ProtoEntry::default()
        })
        .collect()
}

fn ids(req: &[&str]) -> Result<SyncAuthorizedEntriesRequest, Status> {
    Ok(SyncAuthorizedEntriesRequest {
        output_mask: None,
        ids: req.iter().map(|s| (*s).to_owned()).collect(),
    })
}

async fn run(
    requests: Vec<Result<SyncAuthorizedEntriesRequest, Status>>,
    all: &[ProtoEntry],
    page: usize,
) -> (Result<(), Status>, Vec<SyncAuthorizedEntriesResponse>) {
    let (tx, mut rx) = mpsc::channel::<SyncItem>(1024);
    let outcome = sync_authorized_entries(tokio_stream::iter(requests), &tx, all, page).await;
    drop(tx);
    let mut out = Vec::new();
    while let Some(item) = rx.recv().await {
        out.push(item.expect("only Ok items are streamed"));
    }
    (outcome, out)
}

#[tokio::test]
async fn a_set_that_fits_one_page_is_sent_in_full_at_once() {
    let all = entries(500);
    let (outcome, out) = run(vec![ids(&[])], &all, 500).await;
    outcome.expect("ok");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].entries.len(), 500);
    assert!(out[0].entry_revisions.is_empty());
    assert!(!out[0].more);
    assert_eq!(out[0].entries[0].hint, "h");
}

#[tokio::test]
async fn a_larger_set_is_paged_sparse_then_full_entries_are_paged_on_request() {
    let all = entries(1201);
    let wanted: Vec<String> = (0..600).rev().map(|i| format!("entry-{i:05}")).collect();
    let mut wanted_refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    wanted_refs.push("no-such-entry");
    let (outcome, out) = run(
        vec![ids(&[]), ids(&wanted_refs), ids(&["entry-01200"])],
        &all,
        500,
    )
    .await;
    outcome.expect("ok");
    let shape: Vec<(usize, usize, bool)> = out
        .iter()
        .map(|r| (r.entry_revisions.len(), r.entries.len(), r.more))
        .collect();
    assert_eq!(
        shape,
        [
            (500, 0, true),
            (500, 0, true),
            (201, 0, false),
            (0, 500, true),
            (0, 100, false),
            (0, 1, false),
        ]
    );
    assert_eq!(out[0].entry_revisions[7].id, "entry-00007");
    assert_eq!(out[0].entry_revisions[7].revision_number, 7);
    assert_eq!(out[0].entry_revisions[7].created_at, 100);
    assert_eq!(out[3].entries[0].id, "entry-00000", "answered sorted by ID");
    assert_eq!(out[5].entries[0].id, "entry-01200");
}

#[tokio::test]
async fn pages_of_large_entries_stay_under_the_grpc_message_limit() {
    use prost::Message;
    // 500 entries of ~10 KiB each: 5 MiB in one page would break gRPC's 4 MiB default.
    let mut all = entries(500);
    for entry in &mut all {
        entry.dns_names = (0..40).map(|i| format!("{i:0>250}")).collect();
    }
    let wanted: Vec<String> = all.iter().map(|e| e.id.clone()).collect();
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let (outcome, out) = run(vec![ids(&[]), ids(&wanted)], &all, 500).await;
    outcome.expect("ok");
    assert!(
        !out[0].entry_revisions.is_empty() && out[0].entries.is_empty(),
        "a set over the byte budget is offered sparse first"
    );
    for response in &out {
        assert!(
            response.encoded_len() < 4 * 1024 * 1024,
            "a page of {} bytes",
            response.encoded_len()
        );
    }
    let full: Vec<&SyncAuthorizedEntriesResponse> =
        out.iter().filter(|r| !r.entries.is_empty()).collect();
    assert!(full.len() >= 3, "full entries split over several pages");
    assert_eq!(full.iter().map(|r| r.entries.len()).sum::<usize>(), 500);
    assert!(full[..full.len() - 1].iter().all(|r| r.more));
    assert!(!full[full.len() - 1].more);
}

#[tokio::test]
async fn the_initial_mask_applies_and_revision_numbers_cannot_be_masked() {
    let all = entries(3);
    let mask = EntryMask {
        revision_number: true,
        ..EntryMask::default()
    };
    let first = Ok(SyncAuthorizedEntriesRequest {
        output_mask: Some(mask),
        ids: Vec::new(),
    });
    let (outcome, out) = run(vec![first], &all, 500).await;
    outcome.expect("ok");
    assert_eq!(out[0].entries[2].revision_number, 2);
    assert_eq!(out[0].entries[2].hint, "", "masked out");

    let masked = Ok(SyncAuthorizedEntriesRequest {
        output_mask: Some(EntryMask::default()),
        ids: Vec::new(),
    });
    let (outcome, _) = run(vec![masked], &all, 500).await;
    let err = outcome.expect_err("revision masked");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.message(), "revision number cannot be masked");

    let (outcome, _) = run(vec![ids(&["x"])], &all, 500).await;
    assert_eq!(
        outcome.expect_err("ids first").message(),
        "specifying IDs on initial request is not supported"
    );
}

async fn add(ds: &dyn spire_datastore::DataStore, parent: &str, id: &str, sel: &str) -> String {
    ds.create_registration_entry(&RegistrationEntry {
        parent_id: parent.into(),
        spiffe_id: id.into(),
        selectors: vec![Selector::new("k", sel).expect("valid")],
        ..RegistrationEntry::default()
    })
    .await
    .expect("created")
    .entry_id
}

#[tokio::test]
async fn get_authorized_entries_returns_parented_aliased_and_descendant_entries() {
    let fx = agent_fixture().await;
    fx.add_join_token("tok-1", 600).await;
    let svid = fx.attest_join_token("tok-1").await.expect("attested");
    let agent = "spiffe://example.org/spire/agent/join_token/tok-1";
    let ds = &*fx.ctx.datastore;
    ds.set_node_selectors(agent, &[Selector::new("k", "node").expect("valid")])
        .await
        .expect("selectors");
    let direct = add(ds, agent, "spiffe://example.org/web", "a").await;
    let alias = add(
        ds,
        "spiffe://example.org/spire/server",
        "spiffe://example.org/nodes",
        "node",
    )
    .await;
    let via_alias = add(
        ds,
        "spiffe://example.org/nodes",
        "spiffe://example.org/db",
        "b",
    )
    .await;
    let child = add(
        ds,
        "spiffe://example.org/db",
        "spiffe://example.org/db/child",
        "c",
    )
    .await;
    add(
        ds,
        "spiffe://example.org/spire/server",
        "spiffe://example.org/other",
        "x",
    )
    .await;
    add(
        ds,
        "spiffe://example.org/elsewhere",
        "spiffe://example.org/no",
        "d",
    )
    .await;

    let api = EntryApi::new(
        fx.ctx.clone(),
        spire_spiffe::TrustDomain::new("example.org").expect("valid"),
    );
    let got = api
        .get_authorized_entries(as_agent(
            GetAuthorizedEntriesRequest { output_mask: None },
            &svid,
        ))
        .await
        .expect("authorized agent")
        .into_inner()
        .entries;
    let mut got_ids: Vec<String> = got.iter().map(|e| e.id.clone()).collect();
    got_ids.sort();
    let mut want = vec![direct, alias, via_alias, child];
    want.sort();
    assert_eq!(got_ids, want);

    let err = api
        .get_authorized_entries(crate::api::testing::local(GetAuthorizedEntriesRequest {
            output_mask: None,
        }))
        .await
        .expect_err("local caller is no agent");
    assert_eq!(err.code(), Code::PermissionDenied);
}
