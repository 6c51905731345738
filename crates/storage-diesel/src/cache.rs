//! The credential cache: what nearly every request looks up before its own work (the
//! credential and its team or device, the organizer of the path, the organizer's sales
//! channels), kept in memory for a short time.
//!
//! Each lookup is a round trip to the database on the blocking pool; together they were most
//! of a small request's cost. An entry is served while it is younger than the TTL and no write
//! through this [`Database`](crate::Database) has happened since it was read: every write
//! bumps a generation, which drops every entry at once. The same generation is the
//! [`Database::data_version`](crate::Database::data_version) that caches outside this crate
//! (the HTTP edge's answers) key on. Writes by another process (a second instance, the CLI,
//! plain SQL) are seen within the TTL. A TTL of zero turns the cache off.
//!
//! An entry stores the generation read *before* its database read, so a value read while a
//! write was committing is never served after that write's bump.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many entries per kind; a full map is emptied rather than evicted piecemeal.
const MAX_ENTRIES: usize = 10_000;

struct Entry<V> {
    value: V,
    generation: u64,
    stored: Instant,
}

/// One kind of cached lookup.
pub(crate) struct CacheMap<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V: Clone> CacheMap<K, V> {
    fn new() -> Self {
        CacheMap {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, generation: u64, ttl: Duration) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.stored.elapsed() < ttl)
            .then(|| entry.value.clone())
    }

    fn put(&self, key: K, value: V, generation: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    value,
                    generation,
                    stored: Instant::now(),
                },
            );
        }
    }
}

/// The cached lookups of one [`Database`](crate::Database).
pub(crate) struct CredentialCache {
    ttl: Duration,
    generation: AtomicU64,
    pub(crate) tokens:
        CacheMap<String, (presale_domain::team::ApiToken, presale_domain::access::Team)>,
    pub(crate) devices: CacheMap<String, presale_domain::device::Device>,
    pub(crate) organizers: CacheMap<String, presale_domain::organizer::Organizer>,
    pub(crate) channels: CacheMap<i64, Vec<presale_domain::sales_channel::SalesChannel>>,
}

impl CredentialCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        CredentialCache {
            ttl,
            generation: AtomicU64::new(0),
            tokens: CacheMap::new(),
            devices: CacheMap::new(),
            organizers: CacheMap::new(),
            channels: CacheMap::new(),
        }
    }

    /// Drops every entry: called after each write.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The current generation: it moves with every [`CredentialCache::invalidate`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// How long a cached read may be served.
    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The value under `key`, or the result of `load` (a database read), cached when it is
    /// `Some`. Unknown keys are not cached, so a new credential works at once.
    pub(crate) async fn read_through<K, V, E, F, Fut>(
        &self,
        map: &CacheMap<K, V>,
        key: K,
        load: F,
    ) -> Result<Option<V>, E>
    where
        K: Eq + Hash,
        V: Clone,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<V>, E>>,
    {
        if self.ttl.is_zero() {
            return load().await;
        }
        let generation = self.generation();
        if let Some(hit) = map.get(&key, generation, self.ttl) {
            return Ok(Some(hit));
        }
        let loaded = load().await?;
        if let Some(value) = &loaded {
            map.put(key, value.clone(), generation);
        }
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(value: Option<u32>, calls: &std::cell::Cell<u32>) -> Result<Option<u32>, ()> {
        calls.set(calls.get() + 1);
        Ok(value)
    }

    #[tokio::test]
    async fn serves_a_hit_until_a_write_or_the_ttl() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let map: CacheMap<&str, u32> = CacheMap::new();
        let calls = std::cell::Cell::new(0);
        assert_eq!(
            cache
                .read_through(&map, "a", || async { load(Some(1), &calls) })
                .await,
            Ok(Some(1))
        );
        assert_eq!(
            cache
                .read_through(&map, "a", || async { load(Some(2), &calls) })
                .await,
            Ok(Some(1))
        );
        assert_eq!(calls.get(), 1);
        cache.invalidate();
        assert_eq!(
            cache
                .read_through(&map, "a", || async { load(Some(2), &calls) })
                .await,
            Ok(Some(2))
        );
        assert_eq!(calls.get(), 2);
    }

    #[tokio::test]
    async fn misses_are_not_cached_and_zero_ttl_disables() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let map: CacheMap<&str, u32> = CacheMap::new();
        let calls = std::cell::Cell::new(0);
        assert_eq!(
            cache
                .read_through(&map, "a", || async { load(None, &calls) })
                .await,
            Ok(None)
        );
        assert_eq!(
            cache
                .read_through(&map, "a", || async { load(Some(3), &calls) })
                .await,
            Ok(Some(3))
        );
        assert_eq!(calls.get(), 2);

        let off = CredentialCache::new(Duration::ZERO);
        off.read_through(&map, "b", || async { load(Some(4), &calls) })
            .await
            .ok();
        off.read_through(&map, "b", || async { load(Some(5), &calls) })
            .await
            .ok();
        assert_eq!(calls.get(), 4);
    }

    #[tokio::test]
    async fn a_value_read_during_a_write_is_not_served_after_it() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let map: CacheMap<&str, u32> = CacheMap::new();
        let calls = std::cell::Cell::new(0);
        // The write commits and bumps the generation while the read is in flight.
        let stale = cache
            .read_through(&map, "a", || async {
                cache.invalidate();
                load(Some(1), &calls)
            })
            .await;
        assert_eq!(stale, Ok(Some(1)));
        assert_eq!(
            cache
                .read_through(&map, "a", || async { load(Some(2), &calls) })
                .await,
            Ok(Some(2))
        );
    }

    #[test]
    fn expires_after_the_ttl() {
        let map: CacheMap<&str, u32> = CacheMap::new();
        map.put("a", 1, 0);
        assert_eq!(map.get(&"a", 0, Duration::from_secs(60)), Some(1));
        assert_eq!(map.get(&"a", 0, Duration::ZERO), None);
        assert_eq!(map.get(&"a", 1, Duration::from_secs(60)), None);
    }
}
