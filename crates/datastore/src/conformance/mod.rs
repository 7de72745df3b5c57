//! The behaviour every [`DataStore`](crate::DataStore) must show, as async checks that
//! panic with a message naming the broken rule. Each check expects an empty store; test
//! binaries run each on a fresh one (see `tests/it`). [`CHECKS`] lists them by name.
//!
//! This module is harness code: it asserts, so it must never be called by the server.

mod bundles;
mod ca_journals;
mod entries;
mod events;
mod nodes;
mod tokens;

use std::future::Future;
use std::pin::Pin;

use spire_spiffe::Selector;

use crate::store::DataStore;

/// A boxed conformance check.
pub type Check = for<'a> fn(&'a dyn DataStore) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("bundle_crud", |ds| Box::pin(bundles::bundle_crud(ds))),
    ("bundle_append_dedups_and_bumps_sequence", |ds| {
        Box::pin(bundles::append_dedups_and_bumps_sequence(ds))
    }),
    ("bundle_delete_modes", |ds| {
        Box::pin(bundles::delete_modes(ds))
    }),
    ("bundle_prune_jwt_keys", |ds| {
        Box::pin(bundles::prune_expired_jwt_keys(ds))
    }),
    ("bundle_bad_input", |ds| Box::pin(bundles::bad_input(ds))),
    ("node_crud_and_ban", |ds| Box::pin(nodes::crud_and_ban(ds))),
    ("node_filters", |ds| Box::pin(nodes::filters(ds))),
    ("node_selectors", |ds| Box::pin(nodes::node_selectors(ds))),
    ("node_prune", |ds| Box::pin(nodes::prune(ds))),
    ("entry_crud_and_revision", |ds| {
        Box::pin(entries::crud_and_revision(ds))
    }),
    ("entry_already_exists", |ds| {
        Box::pin(entries::already_exists(ds))
    }),
    ("entry_paging", |ds| Box::pin(entries::paging(ds))),
    ("entry_selector_match_modes", |ds| {
        Box::pin(entries::selector_match_modes(ds))
    }),
    ("entry_federates_with_match_modes", |ds| {
        Box::pin(entries::federates_with_match_modes(ds))
    }),
    ("entry_simple_filters", |ds| {
        Box::pin(entries::simple_filters(ds))
    }),
    ("entry_prune", |ds| Box::pin(entries::prune(ds))),
    ("entry_bad_input", |ds| Box::pin(entries::bad_input(ds))),
    ("join_tokens", |ds| Box::pin(tokens::join_tokens(ds))),
    ("ca_journals", |ds| {
        Box::pin(ca_journals::set_fetch_list_prune(ds))
    }),
    ("entry_events_prune", |ds| {
        Box::pin(events::entry_events_prune(ds))
    }),
    ("node_events_prune", |ds| {
        Box::pin(events::node_events_prune(ds))
    }),
];

/// Runs every check, each on a new empty store made by `fresh`.
pub async fn run_all<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Box<dyn DataStore>>,
{
    for (name, check) in CHECKS {
        tracing::info!(check = name, "running datastore conformance check");
        let ds = fresh().await;
        check(ds.as_ref()).await;
    }
}

/// `type:value` → selector; for literals in checks.
pub(crate) fn sel(text: &str) -> Selector {
    text.parse()
        .expect("conformance literals are valid selectors")
}
