//! Filters, match modes and paging for list and count operations.

use spire_spiffe::Selector;

/// The largest page a list returns; bigger requests are clamped to it.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A page request. `token` is empty for the first page, then the `next_token` of the
/// previous [`Page`]; it is opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pagination {
    pub token: String,
    /// Must be at least 1; values above [`MAX_PAGE_SIZE`] are clamped.
    pub page_size: u32,
}

impl Pagination {
    /// The first page of `page_size` items.
    pub fn first(page_size: u32) -> Self {
        Self {
            token: String::new(),
            page_size,
        }
    }
}

/// One page of results. `next_token` is `None` when there is nothing after this page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// How a set filter (selectors, federated trust domains) compares with a record's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchBehavior {
    /// The record's set equals the filter set.
    Exact,
    /// The record's set is contained in the filter set.
    Subset,
    /// The record's set contains the whole filter set (the CLI default).
    #[default]
    Superset,
    /// The record shares at least one member with the filter set.
    Any,
}

/// A selector filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorMatch {
    pub selectors: Vec<Selector>,
    pub behavior: MatchBehavior,
}

/// A federated-trust-domain filter (trust domain names without scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatesWithMatch {
    pub trust_domains: Vec<String>,
    pub behavior: MatchBehavior,
}

/// Filters for listing and counting registration entries; all given filters must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryFilter {
    pub by_spiffe_id: Option<String>,
    pub by_parent_id: Option<String>,
    pub by_selectors: Option<SelectorMatch>,
    pub by_federates_with: Option<FederatesWithMatch>,
    pub by_hint: Option<String>,
    pub by_downstream: Option<bool>,
}

/// Filters for listing and counting attested nodes; all given filters must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttestedNodeFilter {
    pub by_attestation_type: Option<String>,
    /// `Some(true)`: only banned agents; `Some(false)`: only agents not banned.
    pub by_banned: Option<bool>,
    pub by_can_reattest: Option<bool>,
    /// Agents whose SVID expires strictly before this time.
    pub by_expires_before: Option<i64>,
    pub by_selector_match: Option<SelectorMatch>,
    /// Fill `selectors` of each listed node (costs one more query per page).
    pub fetch_selectors: bool,
}

/// What deleting a bundle does to the entries that federate with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BundleDeleteMode {
    /// Refuse with `FailedPrecondition` if any entry federates with the bundle.
    #[default]
    Restrict,
    /// Delete the federating entries too.
    Delete,
    /// Remove the bundle from the entries' federation lists.
    Dissociate,
}
