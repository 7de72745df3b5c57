//! The JWT-SVID cache: tokens keyed by (SPIFFE ID, audience set), handed out again until half
//! of their lifetime has passed, with hard limits on the number of tokens and on their bytes
//! (audiences are chosen by callers, so a count alone would not bound memory), enforced by
//! evicting the least recently used tokens.

use std::collections::{BTreeSet, HashMap};

use crate::identity::SignedJwtSvid;

use super::rotation::jwt_refresh_due;

/// Default `jwt_svid_cache_max_size`.
pub const DEFAULT_JWT_SVID_CACHE_MAX_SIZE: usize = 1000;

/// Most bytes (SPIFFE IDs, audiences and tokens) the cache holds.
pub const JWT_SVID_CACHE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// What a JWT-SVID is cached under: audience order and duplicates do not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JwtSvidKey {
    pub spiffe_id: String,
    pub audience: BTreeSet<String>,
}

impl JwtSvidKey {
    pub fn new(spiffe_id: &str, audience: &[String]) -> Self {
        JwtSvidKey {
            spiffe_id: spiffe_id.to_owned(),
            audience: audience.iter().cloned().collect(),
        }
    }

    fn bytes(&self) -> usize {
        self.spiffe_id.len() + self.audience.iter().map(String::len).sum::<usize>()
    }
}

/// Cached JWT-SVIDs, at most `max_size` of them and [`JWT_SVID_CACHE_MAX_BYTES`] in all.
#[derive(Debug)]
pub struct JwtSvidCache {
    max_size: usize,
    max_bytes: usize,
    /// Bytes of every key and token held.
    bytes: usize,
    tokens: HashMap<JwtSvidKey, Slot>,
    /// Bumped on every access; the slot with the smallest stamp is the least recently used.
    clock: u64,
}

#[derive(Debug)]
struct Slot {
    svid: SignedJwtSvid,
    last_used: u64,
}

impl JwtSvidCache {
    /// A cache holding at most `max_size` tokens (0 = cache nothing).
    pub fn new(max_size: usize) -> Self {
        Self::with_max_bytes(max_size, JWT_SVID_CACHE_MAX_BYTES)
    }

    /// A cache holding at most `max_size` tokens and `max_bytes` bytes.
    pub fn with_max_bytes(max_size: usize, max_bytes: usize) -> Self {
        JwtSvidCache {
            max_size,
            max_bytes,
            bytes: 0,
            tokens: HashMap::new(),
            clock: 0,
        }
    }

    /// The cached token for `key` if it is still before half of its lifetime at `now_unix`.
    pub fn fresh(&mut self, key: &JwtSvidKey, now_unix: i64) -> Option<SignedJwtSvid> {
        self.clock += 1;
        let stamp = self.clock;
        let slot = self.tokens.get_mut(key)?;
        if jwt_refresh_due(slot.svid.issued_at, slot.svid.expires_at, now_unix) {
            return None;
        }
        slot.last_used = stamp;
        Some(slot.svid.clone())
    }

    /// The cached token for `key` if it has not expired at `now_unix`, however old; used when
    /// the server cannot mint a replacement.
    pub fn unexpired(&self, key: &JwtSvidKey, now_unix: i64) -> Option<SignedJwtSvid> {
        self.tokens
            .get(key)
            .filter(|slot| now_unix < slot.svid.expires_at)
            .map(|slot| slot.svid.clone())
    }

    /// Caches `svid` under `key`, evicting the least recently used tokens while the cache is
    /// over either limit. A token larger than the byte limit on its own is not cached.
    pub fn insert(&mut self, key: JwtSvidKey, svid: SignedJwtSvid) {
        let size = key.bytes() + svid.token.len();
        if self.max_size == 0 || size > self.max_bytes {
            return;
        }
        self.clock += 1;
        if let Some(old) = self.tokens.remove(&key) {
            self.bytes -= key.bytes() + old.svid.token.len();
        }
        while self.tokens.len() >= self.max_size || self.bytes + size > self.max_bytes {
            let oldest = self
                .tokens
                .iter()
                .min_by_key(|(_, slot)| slot.last_used)
                .map(|(key, _)| key.clone());
            let Some(oldest) = oldest else { break };
            self.remove(&oldest);
        }
        self.bytes += size;
        self.tokens.insert(
            key,
            Slot {
                svid,
                last_used: self.clock,
            },
        );
    }

    /// Bytes held (keys and tokens).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn remove(&mut self, key: &JwtSvidKey) {
        if let Some(slot) = self.tokens.remove(key) {
            self.bytes -= key.bytes() + slot.svid.token.len();
        }
    }

    /// Drops every token for `spiffe_id` (its entry was deleted).
    pub fn remove_spiffe_id(&mut self, spiffe_id: &str) {
        let bytes = &mut self.bytes;
        self.tokens.retain(|key, slot| {
            let keep = key.spiffe_id != spiffe_id;
            if !keep {
                *bytes -= key.bytes() + slot.svid.token.len();
            }
            keep
        });
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, issued_at: i64, expires_at: i64) -> SignedJwtSvid {
        SignedJwtSvid {
            token: name.to_owned(),
            issued_at,
            expires_at,
        }
    }

    fn aud(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reuses_token_for_same_audience_set_in_any_order() {
        let mut cache = JwtSvidCache::new(10);
        cache.insert(
            JwtSvidKey::new("spiffe://td/a", &aud(&["x", "y"])),
            token("t1", 1000, 1300),
        );
        let again = cache.fresh(
            &JwtSvidKey::new("spiffe://td/a", &aud(&["y", "x", "x"])),
            1100,
        );
        assert_eq!(again.map(|t| t.token), Some("t1".to_owned()));
        assert_eq!(
            cache.fresh(&JwtSvidKey::new("spiffe://td/a", &aud(&["x"])), 1100),
            None
        );
        assert_eq!(
            cache.fresh(&JwtSvidKey::new("spiffe://td/b", &aud(&["x", "y"])), 1100),
            None
        );
    }

    #[test]
    fn token_past_half_life_is_not_fresh_but_still_unexpired() {
        let mut cache = JwtSvidCache::new(10);
        let key = JwtSvidKey::new("spiffe://td/a", &aud(&["x"]));
        cache.insert(key.clone(), token("t1", 1000, 1300));
        assert_eq!(cache.fresh(&key, 1150), None);
        assert_eq!(
            cache.unexpired(&key, 1299).map(|t| t.token),
            Some("t1".to_owned())
        );
        assert_eq!(cache.unexpired(&key, 1300), None);
    }

    #[test]
    fn hard_limit_evicts_least_recently_used() {
        let mut cache = JwtSvidCache::new(2);
        let a = JwtSvidKey::new("spiffe://td/a", &aud(&["x"]));
        let b = JwtSvidKey::new("spiffe://td/b", &aud(&["x"]));
        let c = JwtSvidKey::new("spiffe://td/c", &aud(&["x"]));
        cache.insert(a.clone(), token("a", 1000, 2000));
        cache.insert(b.clone(), token("b", 1000, 2000));
        assert!(cache.fresh(&a, 1001).is_some());
        cache.insert(c.clone(), token("c", 1000, 2000));
        assert_eq!(cache.len(), 2);
        assert!(cache.fresh(&a, 1001).is_some());
        assert!(cache.fresh(&b, 1001).is_none());
        assert!(cache.fresh(&c, 1001).is_some());
    }

    #[test]
    fn removing_spiffe_id_drops_all_its_audiences() {
        let mut cache = JwtSvidCache::new(10);
        cache.insert(
            JwtSvidKey::new("spiffe://td/a", &aud(&["x"])),
            token("1", 0, 9),
        );
        cache.insert(
            JwtSvidKey::new("spiffe://td/a", &aud(&["y"])),
            token("2", 0, 9),
        );
        cache.insert(
            JwtSvidKey::new("spiffe://td/b", &aud(&["y"])),
            token("3", 0, 9),
        );
        cache.remove_spiffe_id("spiffe://td/a");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn byte_limit_evicts_least_recently_used_and_counts_what_is_held() {
        // Each key is "spiffe://td/a" (13) + a 50-byte audience, token 37 bytes: 100 bytes.
        let mut cache = JwtSvidCache::with_max_bytes(100, 250);
        let big = "x".repeat(50);
        let key = |name: &str| {
            JwtSvidKey::new(&format!("spiffe://td/{name}"), std::slice::from_ref(&big))
        };
        let tok = |name: &str| token(&format!("{name}{}", "t".repeat(36)), 1000, 2000);
        cache.insert(key("a"), tok("a"));
        cache.insert(key("b"), tok("b"));
        assert_eq!(cache.bytes(), 200);
        assert!(cache.fresh(&key("a"), 1001).is_some());
        cache.insert(key("c"), tok("c"));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.bytes(), 200);
        assert!(
            cache.fresh(&key("b"), 1001).is_none(),
            "b was least recently used"
        );
        cache.remove_spiffe_id("spiffe://td/a");
        assert_eq!(cache.bytes(), 100);
    }

    #[test]
    fn token_larger_than_the_byte_limit_is_not_cached() {
        let mut cache = JwtSvidCache::with_max_bytes(100, 64);
        let key = JwtSvidKey::new("spiffe://td/a", &["y".repeat(100)]);
        cache.insert(key.clone(), token("t", 1000, 2000));
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0);
    }
}
