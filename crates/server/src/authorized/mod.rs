//! Which registration entries an agent may see and get SVIDs for (SPIRE's
//! `authorizedentries`): the entries parented to the agent, the node aliases whose selectors
//! the agent's node selectors satisfy, and every descendant of either.
//!
//! [`EntrySnapshot::authorized_for`] is the pure decision over one snapshot of the entry
//! table; [`AuthorizedEntriesCache`] keeps that snapshot and brings it up to date
//! from the entry event log every [`POLL_INTERVAL`] (a full reload only rarely), so a sync
//! storm costs at most one small log query per second.

mod cache;
mod events;
mod snapshot;

pub use cache::{
    AuthorizedEntriesCache, CACHE_RELOAD_INTERVAL, FULL_RELOAD_INTERVAL, POLL_INTERVAL,
};
pub use snapshot::EntrySnapshot;
