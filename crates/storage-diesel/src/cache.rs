//! The credential cache: what nearly every request looks up before its own work (the
//! credential and its team or device, the organizer of the path, the organizer's sales
//! channels), kept in memory for a short time.
//!
//! Each lookup is a round trip to the database on the blocking pool; together they were most
//! of a small request's cost. Every entry belongs to one organizer (a token's team, a device,
//! the organizer itself) and is served while it is younger than the TTL and nothing of its
//! organizer changed since it was read, as [`Changes`] knows it: a write through any process
//! (or plain SQL) drops that organizer's entries within milliseconds, and this process's own
//! writes before they return. A TTL of zero turns the cache off.
//!
//! An entry stores the mark taken *before* its database read, so a value read while a write
//! was committing is never served after that write.

use crate::changes::Changes;
use presale_domain::access::Team;
use presale_domain::device::Device;
use presale_domain::organizer::Organizer;
use presale_domain::sales_channel::SalesChannel;
use presale_domain::team::ApiToken;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most this many entries per kind; a full map is emptied rather than evicted piecemeal.
const MAX_ENTRIES: usize = 10_000;

struct Entry<V> {
    value: V,
    organizer: i64,
    mark: u64,
    stored: Instant,
}

/// One kind of cached lookup, and how to tell the organizer an entry belongs to.
pub(crate) struct CacheMap<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    organizer: fn(&K, &V) -> i64,
}

impl<K: Eq + Hash, V: Clone> CacheMap<K, V> {
    fn new(organizer: fn(&K, &V) -> i64) -> Self {
        CacheMap {
            entries: Mutex::new(HashMap::new()),
            organizer,
        }
    }

    fn get(&self, key: &K, ttl: Duration, fresh: impl Fn(i64, u64) -> bool) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        if entry.stored.elapsed() >= ttl {
            return None;
        }
        if !fresh(entry.organizer, entry.mark) {
            crate::metrics::credentials_invalidated();
            return None;
        }
        Some(entry.value.clone())
    }

    fn put(&self, key: K, value: V, mark: u64) {
        let organizer = (self.organizer)(&key, &value);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            let entry = Entry {
                value,
                organizer,
                mark,
                stored: Instant::now(),
            };
            entries.insert(key, entry);
        }
    }

    /// Drops the entries whose value `matches`.
    pub(crate) fn forget(&self, matches: impl Fn(&V) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, e| !matches(&e.value));
        }
    }
}

/// The cached lookups of one [`Database`](crate::Database).
pub(crate) struct CredentialCache {
    ttl: Duration,
    changes: Arc<Changes>,
    pub(crate) tokens: CacheMap<String, (ApiToken, Team)>,
    pub(crate) devices: CacheMap<String, Device>,
    pub(crate) organizers: CacheMap<String, Organizer>,
    pub(crate) channels: CacheMap<i64, Vec<SalesChannel>>,
}

impl CredentialCache {
    pub(crate) fn new(ttl: Duration, changes: Arc<Changes>) -> Self {
        CredentialCache {
            ttl,
            changes,
            tokens: CacheMap::new(|_, (_, team)| team.organizer.0),
            devices: CacheMap::new(|_, device| device.organizer.0),
            organizers: CacheMap::new(|_, organizer| organizer.id.0),
            channels: CacheMap::new(|organizer, _| *organizer),
        }
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
        let Some(mark) = self.changes.mark() else {
            return load().await;
        };
        let fresh = |organizer, mark| self.changes.unchanged_since(organizer, mark);
        if let Some(hit) = map.get(&key, self.ttl, fresh) {
            crate::metrics::credentials_cache(true);
            return Ok(Some(hit));
        }
        crate::metrics::credentials_cache(false);
        let loaded = load().await?;
        if let Some(value) = &loaded {
            map.put(key, value.clone(), mark);
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

    /// A cache whose entries under key `k` belong to organizer `k`.
    fn cache(ttl: Duration) -> (CredentialCache, CacheMap<i64, u32>) {
        (
            CredentialCache::new(ttl, Changes::own_only()),
            CacheMap::new(|organizer, _| *organizer),
        )
    }

    #[tokio::test]
    async fn serves_a_hit_until_its_organizer_changes_or_the_ttl() {
        let (cache, map) = cache(Duration::from_secs(60));
        let calls = &std::cell::Cell::new(0);
        let read =
            |key, value| cache.read_through(&map, key, move || async move { load(value, calls) });
        assert_eq!(read(1, Some(1)).await, Ok(Some(1)));
        assert_eq!(read(2, Some(20)).await, Ok(Some(20)));
        assert_eq!(read(1, Some(2)).await, Ok(Some(1)));
        assert_eq!(calls.get(), 2);
        cache.changes.apply("1");
        assert_eq!(read(1, Some(2)).await, Ok(Some(2)), "organizer 1 changed");
        assert_eq!(read(2, Some(21)).await, Ok(Some(20)), "organizer 2 did not");
        assert_eq!(calls.get(), 3);
        cache.changes.changed_everything();
        assert_eq!(read(2, Some(21)).await, Ok(Some(21)));
    }

    #[tokio::test]
    async fn misses_are_not_cached_and_zero_ttl_disables() {
        let (cache, map) = cache(Duration::from_secs(60));
        let calls = &std::cell::Cell::new(0);
        let read =
            |key, value| cache.read_through(&map, key, move || async move { load(value, calls) });
        assert_eq!(read(1, None).await, Ok(None));
        assert_eq!(read(1, Some(3)).await, Ok(Some(3)));
        assert_eq!(calls.get(), 2);

        let (off, map) = self::cache(Duration::ZERO);
        let read =
            |key, value| off.read_through(&map, key, move || async move { load(value, calls) });
        read(2, Some(4)).await.ok();
        assert_eq!(read(2, Some(5)).await, Ok(Some(5)));
        assert_eq!(calls.get(), 4);
    }

    #[tokio::test]
    async fn a_value_read_during_a_write_is_not_served_after_it() {
        let (cache, map) = cache(Duration::from_secs(60));
        let calls = std::cell::Cell::new(0);
        // The write commits and is learnt while the read is in flight.
        let stale = cache
            .read_through(&map, 1, || async {
                cache.changes.apply("1");
                load(Some(1), &calls)
            })
            .await;
        assert_eq!(stale, Ok(Some(1)));
        let read = cache.read_through(&map, 1, || async { load(Some(2), &calls) });
        assert_eq!(read.await, Ok(Some(2)));
    }

    #[test]
    fn expires_after_the_ttl_and_forgets_on_request() {
        let map: CacheMap<&str, u32> = CacheMap::new(|_, _| 1);
        let fresh = |_, _| true;
        map.put("a", 1, 0);
        map.put("b", 2, 0);
        assert_eq!(map.get(&"a", Duration::from_secs(60), fresh), Some(1));
        assert_eq!(map.get(&"a", Duration::ZERO, fresh), None);
        assert_eq!(map.get(&"a", Duration::from_secs(60), |_, _| false), None);
        map.forget(|v| *v == 1);
        assert_eq!(map.get(&"a", Duration::from_secs(60), fresh), None);
        assert_eq!(map.get(&"b", Duration::from_secs(60), fresh), Some(2));
    }
}
