//! The agent's SVID cache core: synced entries and bundles, one X509-SVID per entry, the
//! subscriptions workloads hold, and the decisions built on them (what to mint next, what to
//! evict, what each workload sees). Pure data: time comes in as arguments, randomness as an
//! `Rng`, and nothing here blocks or talks to the network.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

use rand::Rng;
use spire_secret::SecretBytes;
use spire_spiffe::Bundle;

use crate::identity::{AgentEntry, BundleSet, SyncedState, WorkloadUpdate, X509Identity};

use super::jwt::{DEFAULT_JWT_SVID_CACHE_MAX_SIZE, JwtSvidCache};
use super::matching::{SelectorIndex, SelectorSet, dedup_hints, entry_matches};
use super::rotation::{RenewalSchedule, unix_seconds};

/// Default `x509_svid_cache_max_size`.
pub const DEFAULT_X509_SVID_CACHE_MAX_SIZE: usize = 1000;

/// Size limits of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Soft limit: SVIDs of subscribed entries are kept and minted beyond it.
    pub x509_svid_cache_max_size: usize,
    /// Hard limit on cached JWT-SVIDs.
    pub jwt_svid_cache_max_size: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            x509_svid_cache_max_size: DEFAULT_X509_SVID_CACHE_MAX_SIZE,
            jwt_svid_cache_max_size: DEFAULT_JWT_SVID_CACHE_MAX_SIZE,
        }
    }
}

/// An X509-SVID held for an entry, with its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedX509Svid {
    /// DER certificates, leaf first.
    pub cert_chain: Vec<Vec<u8>>,
    /// PKCS#8 DER private key (never printed, zeroed on drop).
    pub private_key_pkcs8: SecretBytes,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    /// The entry's revision when the SVID was requested; a newer revision means re-mint.
    pub entry_revision: i64,
}

/// What a workload with some selectors sees now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadView {
    pub update: WorkloadUpdate,
    /// False while some matching entry still waits for its first SVID, or before the first
    /// sync (nothing is known yet about which entries match).
    pub complete: bool,
}

/// Sizes for the Debug API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheCounts {
    pub entries: usize,
    pub x509_svids: usize,
    pub jwt_svids: usize,
    /// Distinct subscribed selector sets.
    pub subscriptions: usize,
}

/// The SVID cache core. See the module docs.
#[derive(Debug)]
pub struct SvidCache {
    trust_domain: String,
    limits: CacheLimits,
    records: BTreeMap<String, Record>,
    index: SelectorIndex,
    svids: HashMap<String, HeldSvid>,
    bundles: BundleSet,
    /// Subscribed selector sets and how many subscribers hold each.
    subscriptions: BTreeMap<SelectorSet, usize>,
    jwt: JwtSvidCache,
    /// Set by the first [`SvidCache::apply_sync`]: until then "no entry matches" means
    /// "not known yet", not "no identity".
    synced: bool,
}

/// A cached SVID and its renewal point, drawn once when it was stored.
#[derive(Debug)]
struct HeldSvid {
    svid: CachedX509Svid,
    renewal: RenewalSchedule,
}

#[derive(Debug)]
struct Record {
    entry: AgentEntry,
    /// When a subscriber last asked for this entry; the LRU order for eviction.
    last_access: SystemTime,
}

impl SvidCache {
    /// An empty cache for `trust_domain` (a name, `example.org`) starting from its `bundle`.
    pub fn new(
        trust_domain: impl Into<String>,
        limits: CacheLimits,
        bundle: Option<Bundle>,
    ) -> Self {
        let trust_domain = trust_domain.into();
        let mut bundles = BundleSet::new();
        if let Some(bundle) = bundle {
            bundles.insert(trust_domain.clone(), bundle);
        }
        SvidCache {
            trust_domain,
            limits,
            records: BTreeMap::new(),
            index: SelectorIndex::default(),
            svids: HashMap::new(),
            bundles,
            subscriptions: BTreeMap::new(),
            jwt: JwtSvidCache::new(limits.jwt_svid_cache_max_size),
            synced: false,
        }
    }

    /// Replaces entries and bundles with what the server sent. Deleted entries lose their
    /// SVIDs and cached JWT-SVIDs; then unsubscribed SVIDs beyond the size limit are evicted,
    /// least recently used first. The agent's own bundle is kept when the server sends none:
    /// it is what authenticates the server.
    pub fn apply_sync(&mut self, state: SyncedState) {
        self.synced = true;
        let own = state
            .bundle
            .or_else(|| self.bundles.get(&self.trust_domain).cloned());
        let mut bundles = state.federated_bundles;
        bundles.remove(&self.trust_domain);
        if let Some(own) = own {
            bundles.insert(self.trust_domain.clone(), own);
        }
        self.bundles = bundles;

        let incoming: BTreeMap<String, AgentEntry> = state
            .entries
            .into_iter()
            .map(|entry| (entry.entry_id.clone(), entry))
            .collect();
        let removed: Vec<String> = self
            .records
            .keys()
            .filter(|id| !incoming.contains_key(*id))
            .cloned()
            .collect();
        for id in removed {
            if let Some(record) = self.records.remove(&id) {
                self.index.remove(&record.entry);
                self.svids.remove(&id);
                if !self
                    .records
                    .values()
                    .any(|r| r.entry.spiffe_id == record.entry.spiffe_id)
                {
                    self.jwt.remove_spiffe_id(record.entry.spiffe_id.as_str());
                }
            }
        }
        for (id, entry) in incoming {
            match self.records.get_mut(&id) {
                Some(record) => {
                    if record.entry.selectors != entry.selectors {
                        self.index.remove(&record.entry);
                        self.index.insert(&entry);
                    }
                    record.entry = entry;
                }
                None => {
                    self.index.insert(&entry);
                    // Never accessed: first in line for eviction.
                    let record = Record {
                        entry,
                        last_access: SystemTime::UNIX_EPOCH,
                    };
                    self.records.insert(id, record);
                }
            }
        }
        self.evict_beyond_limit();
    }

    /// Entry IDs whose X509-SVID must be minted now, most urgent first: subscribed entries
    /// without an SVID; SVIDs past their renewal point (half life ±10 %, drawn when stored)
    /// or minted for an older revision of their entry; then prefetch of unsubscribed entries
    /// while the cache has room (never for `disable_x509_svid_prefetch` entries).
    pub fn x509_svids_due(&self, now: SystemTime) -> Vec<String> {
        let subscribed = self.subscribed_entry_ids();
        let mut missing_subscribed = Vec::new();
        let mut renewals = Vec::new();
        let mut prefetch = Vec::new();
        for (id, record) in &self.records {
            match self.svids.get(id) {
                Some(held)
                    if held.svid.entry_revision != record.entry.revision_number
                        || held.renewal.is_due(now) =>
                {
                    renewals.push(id.clone());
                }
                Some(_) => {}
                None if subscribed.contains(id.as_str()) => missing_subscribed.push(id.clone()),
                None if !record.entry.disable_x509_svid_prefetch => prefetch.push(id.clone()),
                None => {}
            }
        }
        let room = self
            .limits
            .x509_svid_cache_max_size
            .saturating_sub(self.svids.len() + missing_subscribed.len());
        prefetch.truncate(room);
        missing_subscribed.extend(renewals);
        missing_subscribed.extend(prefetch);
        missing_subscribed
    }

    /// The entry `entry_id` if it is still synced.
    pub fn entry(&self, entry_id: &str) -> Option<&AgentEntry> {
        self.records.get(entry_id).map(|record| &record.entry)
    }

    /// Stores a freshly minted SVID and draws its renewal point from `rng`; returns false
    /// (and drops it) when the entry was deleted meanwhile.
    pub fn store_x509_svid<R: Rng + ?Sized>(
        &mut self,
        entry_id: &str,
        svid: CachedX509Svid,
        rng: &mut R,
    ) -> bool {
        if !self.records.contains_key(entry_id) {
            return false;
        }
        let renewal = RenewalSchedule::jittered(svid.not_before, svid.not_after, rng);
        self.svids
            .insert(entry_id.to_owned(), HeldSvid { svid, renewal });
        true
    }

    /// Registers one subscriber for `set` and marks its entries as used at `now`.
    pub fn subscribe(&mut self, set: &SelectorSet, now: SystemTime) {
        *self.subscriptions.entry(set.clone()).or_insert(0) += 1;
        let matching: Vec<String> = self.matching_ids(set).map(str::to_owned).collect();
        for id in matching {
            if let Some(record) = self.records.get_mut(&id) {
                record.last_access = now;
            }
        }
    }

    /// Drops one subscriber of `set`.
    pub fn unsubscribe(&mut self, set: &SelectorSet) {
        if let Some(count) = self.subscriptions.get_mut(set) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.subscriptions.remove(set);
            }
        }
    }

    /// The entries granted to a workload with `set`, in entry ID order, without `store_svid`
    /// entries (those go to SVIDStore plugins, never to workloads) and with duplicate hints
    /// resolved to the oldest entry.
    pub fn matching_entries(&self, set: &SelectorSet) -> Vec<&AgentEntry> {
        let entries = self
            .matching_ids(set)
            .filter_map(|id| self.records.get(id))
            .map(|record| &record.entry)
            .filter(|entry| !entry.store_svid)
            .collect();
        dedup_hints(entries)
    }

    /// What a workload with `set` is served: the SVIDs of its entries (first = default), the
    /// agent's bundle and the federated bundles its entries ask for.
    pub fn workload_view(&self, set: &SelectorSet) -> WorkloadView {
        let entries = self.matching_entries(set);
        let mut complete = self.synced;
        let mut identities = Vec::with_capacity(entries.len());
        let mut federated_bundles = BTreeMap::new();
        for entry in entries {
            let Some(HeldSvid { svid, .. }) = self.svids.get(&entry.entry_id) else {
                complete = false;
                continue;
            };
            identities.push(X509Identity {
                entry_id: entry.entry_id.clone(),
                spiffe_id: entry.spiffe_id.to_string(),
                cert_chain: svid.cert_chain.clone(),
                private_key_pkcs8: svid.private_key_pkcs8.clone(),
                hint: entry.hint.clone(),
                expires_at: unix_seconds(svid.not_after),
            });
            for td in &entry.federates_with {
                let td = td.strip_prefix("spiffe://").unwrap_or(td);
                if let Some(bundle) = self.bundles.get(td).filter(|_| td != self.trust_domain) {
                    federated_bundles.insert(td.to_owned(), bundle.clone());
                }
            }
        }
        WorkloadView {
            update: WorkloadUpdate {
                identities,
                bundle: self.bundles.get(&self.trust_domain).cloned(),
                federated_bundles,
                pending: !complete,
            },
            complete,
        }
    }

    /// Every known bundle, the agent's own included.
    pub fn bundles(&self) -> &BundleSet {
        &self.bundles
    }

    pub fn jwt_svids(&mut self) -> &mut JwtSvidCache {
        &mut self.jwt
    }

    /// The cached X509-SVID of `entry_id`.
    pub fn x509_svid(&self, entry_id: &str) -> Option<&CachedX509Svid> {
        self.svids.get(entry_id).map(|held| &held.svid)
    }

    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            entries: self.records.len(),
            x509_svids: self.svids.len(),
            jwt_svids: self.jwt.len(),
            subscriptions: self.subscriptions.len(),
        }
    }

    fn matching_ids<'a>(&'a self, set: &'a SelectorSet) -> impl Iterator<Item = &'a str> + 'a {
        self.index.candidates(set).into_iter().filter(move |id| {
            self.records
                .get(*id)
                .is_some_and(|record| entry_matches(&record.entry, set))
        })
    }

    fn subscribed_entry_ids(&self) -> BTreeSet<&str> {
        self.subscriptions
            .keys()
            .flat_map(|set| self.matching_ids(set))
            .collect()
    }

    fn evict_beyond_limit(&mut self) {
        let limit = self.limits.x509_svid_cache_max_size;
        if self.svids.len() <= limit {
            return;
        }
        let subscribed: BTreeSet<String> = self
            .subscribed_entry_ids()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut candidates: Vec<(SystemTime, &String)> = self
            .records
            .iter()
            .filter(|(id, _)| self.svids.contains_key(*id) && !subscribed.contains(*id))
            .map(|(id, record)| (record.last_access, id))
            .collect();
        candidates.sort();
        let excess = self.svids.len() - limit;
        let evict: Vec<String> = candidates
            .into_iter()
            .take(excess)
            .map(|(_, id)| id.clone())
            .collect();
        for id in evict {
            self.svids.remove(&id);
        }
    }
}
