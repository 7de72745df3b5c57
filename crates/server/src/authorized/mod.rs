//! Which registration entries an agent may see and get SVIDs for (SPIRE's
//! `authorizedentries`): the entries parented to the agent, the node aliases whose selectors
//! the agent's node selectors satisfy, and every descendant of either.
//!
//! [`EntrySnapshot::authorized_for`] is the pure decision over one snapshot of the entry
//! table; [`AuthorizedEntriesCache`] keeps that snapshot and reloads it from the datastore at
//! most every [`CACHE_RELOAD_INTERVAL`], so a sync storm costs one table scan per interval.

mod cache;
mod snapshot;

pub use cache::{AuthorizedEntriesCache, CACHE_RELOAD_INTERVAL};
pub use snapshot::EntrySnapshot;
