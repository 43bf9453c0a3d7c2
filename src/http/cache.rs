//! A bounded in-memory cache of immutable bytes, keyed by something that names one version of
//! one representation (an ETag), so an entry never goes stale and needs no expiry. Weighted by
//! size and evicting the least useful entries (quick_cache's S3-FIFO), so a client that varies
//! its requests cannot make the cache start over.

use std::hash::Hash;

use bytes::Bytes;
use quick_cache::{Equivalent, Weighter, sync::Cache};

/// What an entry weighs: its bytes (at least one, so empty bodies still count).
#[derive(Clone, Copy, Debug, Default)]
struct BySize;

impl<K> Weighter<K, Bytes> for BySize {
    fn weight(&self, _key: &K, bytes: &Bytes) -> u64 {
        (bytes.len() as u64).max(1)
    }
}

/// Cached bytes by key, at most `budget` bytes in all. Cheap to clone: clones share entries.
pub struct ByteCache<K> {
    entries: std::sync::Arc<Cache<K, Bytes, BySize>>,
}

impl<K> Clone for ByteCache<K> {
    fn clone(&self) -> Self {
        ByteCache {
            entries: self.entries.clone(),
        }
    }
}

/// The byte budget of each response cache (serialised bodies, compressed bodies).
pub const BUDGET: u64 = 64 << 20;

/// A guess of the typical entry size, to size the cache's tables.
const TYPICAL_ENTRY: u64 = 8 << 10;

impl<K: Hash + Eq + Clone> ByteCache<K> {
    /// An empty cache holding at most `budget` bytes.
    pub fn new(budget: u64) -> Self {
        let items = usize::try_from(budget / TYPICAL_ENTRY)
            .unwrap_or(usize::MAX)
            .max(16);
        ByteCache {
            entries: std::sync::Arc::new(Cache::with_weighter(items, budget, BySize)),
        }
    }

    /// The bytes cached under `key`, if any.
    pub fn get<Q: Hash + Equivalent<K> + ?Sized>(&self, key: &Q) -> Option<Bytes> {
        self.entries.get(key)
    }

    /// Caches `bytes` under `key` (an entry larger than the whole budget is not kept).
    pub fn insert(&self, key: K, bytes: Bytes) {
        self.entries.insert(key, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_shared_by_clones_and_the_budget_is_kept() {
        let cache = ByteCache::<String>::new(1000);
        let clone = cache.clone();
        cache.insert("a".into(), Bytes::from_static(b"123456"));
        assert_eq!(clone.get("a"), Some(Bytes::from_static(b"123456")));
        for i in 0..1000 {
            clone.insert(format!("k{i}"), Bytes::from(vec![0u8; 100]));
        }
        let kept: u64 = (0..1000)
            .filter_map(|i| cache.get(format!("k{i}").as_str()))
            .map(|b| b.len() as u64)
            .sum();
        assert!(kept <= 1000, "{kept} bytes kept with a budget of 1000");
        assert!(kept > 0, "the newest entries are kept");
    }
}
