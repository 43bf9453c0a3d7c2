//! A bounded in-memory cache of immutable bytes, keyed by something that names one version of
//! one representation (an ETag), so an entry never goes stale and needs no expiry.

use std::{
    borrow::Borrow,
    collections::HashMap,
    hash::Hash,
    sync::{Arc, RwLock},
};

use bytes::Bytes;

/// Cached bytes by key, at most `budget` bytes in all; when an entry would not fit, the cache
/// starts over. Cheap to clone: clones share the entries.
pub struct ByteCache<K> {
    entries: Arc<RwLock<Entries<K>>>,
    budget: usize,
}

struct Entries<K> {
    map: HashMap<K, Bytes>,
    bytes: usize,
}

impl<K> Clone for ByteCache<K> {
    fn clone(&self) -> Self {
        ByteCache {
            entries: Arc::clone(&self.entries),
            budget: self.budget,
        }
    }
}

impl<K: Hash + Eq> ByteCache<K> {
    /// An empty cache holding at most `budget` bytes.
    pub fn new(budget: usize) -> Self {
        let entries = Entries {
            map: HashMap::new(),
            bytes: 0,
        };
        ByteCache {
            entries: Arc::new(RwLock::new(entries)),
            budget,
        }
    }

    /// The bytes cached under `key`, if any.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<Bytes>
    where
        K: Borrow<Q>,
    {
        self.entries.read().ok()?.map.get(key).cloned()
    }

    /// Caches `bytes` under `key`.
    pub fn insert(&self, key: K, bytes: Bytes) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.bytes + bytes.len() > self.budget {
                entries.map.clear();
                entries.bytes = 0;
            }
            entries.bytes += bytes.len();
            entries.map.insert(key, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_shared_by_clones_and_the_budget_is_kept() {
        let cache = ByteCache::<String>::new(10);
        let clone = cache.clone();
        cache.insert("a".into(), Bytes::from_static(b"123456"));
        assert_eq!(clone.get("a"), Some(Bytes::from_static(b"123456")));
        clone.insert("b".into(), Bytes::from_static(b"123456"));
        assert_eq!(
            cache.get("a"),
            None,
            "the cache started over rather than exceed its budget"
        );
        assert_eq!(cache.get("b"), Some(Bytes::from_static(b"123456")));
    }
}
