//! The read cache: `200` answers to `GET /api/v1/...` kept in memory for a short time, so a
//! client polling the same page (a scanner syncing, a dashboard) costs no database work.
//!
//! An answer is stored under everything it can depend on: the `Authorization` header as sent
//! (so a credential only ever gets answers computed for it), the scheme and host that
//! links are built from, the path and the query string. It is served while the storage's
//! [`DataVersion`] has not moved since the request that computed it started (every write
//! through this process moves it, so an answer never outlives a write made through this
//! server) and it is younger than the TTL. Past the TTL, one request computes it again while
//! the others are still given the kept answer (for at most another TTL), so that a busy page
//! does not send every waiting client to the database at the same moment. Writes by other
//! processes are thus seen within twice the TTL at worst. A TTL of zero turns the cache off.
//!
//! A served answer skips the handler, and so the credential lookup: a device's "last seen"
//! is then recorded at the next request that misses (at most one TTL later).

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpResponse};
use presale_domain::freshness::DataVersion;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Answers larger than this are not kept.
const MAX_ANSWER: usize = 1024 * 1024;
/// The most bytes kept in all; a full cache is emptied rather than evicted piecemeal.
const MAX_TOTAL: usize = 32 * 1024 * 1024;

struct Entry {
    body: Bytes,
    version: u64,
    stored: Instant,
    /// When a request set out to compute the answer again, past the TTL.
    refreshing: Option<Instant>,
}

#[derive(Default)]
struct Store {
    entries: HashMap<Vec<u8>, Entry>,
    bytes: usize,
}

/// The cache, shared by every worker (register it as `web::Data<ReadCache>` and wrap the
/// app in [`read_cache`]).
pub struct ReadCache {
    ttl: Duration,
    version: Arc<dyn DataVersion>,
    store: Mutex<Store>,
}

impl ReadCache {
    pub fn new(ttl: Duration, version: Arc<dyn DataVersion>) -> Self {
        ReadCache {
            ttl,
            version,
            store: Mutex::new(Store::default()),
        }
    }

    /// The kept answer, or `None` when the caller is to compute it (and then `put` it).
    fn get(&self, key: &[u8], version: u64) -> Option<Bytes> {
        let mut store = self.store.lock().ok()?;
        let entry = store.entries.get_mut(key)?;
        if entry.version != version {
            return None;
        }
        if entry.stored.elapsed() < self.ttl {
            return Some(entry.body.clone());
        }
        match entry.refreshing {
            Some(since) if since.elapsed() < self.ttl => Some(entry.body.clone()),
            _ => {
                entry.refreshing = Some(Instant::now());
                None
            }
        }
    }

    fn put(&self, key: Vec<u8>, body: Bytes, version: u64) {
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        let key_len = key.len();
        let size = body.len() + key_len;
        if store.bytes + size > MAX_TOTAL {
            store.entries.clear();
            store.bytes = 0;
        }
        store.bytes += size;
        let entry = Entry {
            body,
            version,
            stored: Instant::now(),
            refreshing: None,
        };
        if let Some(old) = store.entries.insert(key, entry) {
            store.bytes = store.bytes.saturating_sub(old.body.len() + key_len);
        }
    }
}

/// The key of a request: credential, scheme, host, path and query, NUL-separated (a request
/// with a NUL in any of them is refused before it gets here).
fn key_of(req: &ServiceRequest) -> Option<Vec<u8>> {
    let auth = req.headers().get(header::AUTHORIZATION)?;
    let info = req.connection_info();
    let mut key = Vec::with_capacity(auth.len() + req.uri().path().len() + 64);
    key.extend_from_slice(auth.as_bytes());
    for part in [info.scheme(), info.host(), req.path(), req.query_string()] {
        key.push(0);
        key.extend_from_slice(part.as_bytes());
    }
    Some(key)
}

/// The middleware: serves a kept answer, or keeps the handler's `200` answer.
pub async fn read_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let cache = req
        .app_data::<web::Data<ReadCache>>()
        .filter(|c| !c.ttl.is_zero())
        .cloned();
    let key = match &cache {
        Some(_) if req.method() == Method::GET && req.path().starts_with("/api/v1/") => {
            key_of(&req)
        }
        _ => None,
    };
    let (Some(cache), Some(key)) = (cache, key) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // Read before the handler runs: a write that lands meanwhile invalidates this answer.
    let version = cache.version.data_version();
    if let Some(body) = cache.get(&key, version) {
        let answer = HttpResponse::Ok()
            .content_type(HeaderValue::from_static("application/json"))
            .body(body);
        return Ok(req.into_response(answer));
    }
    let res = next.call(req).await?;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let small =
        matches!(res.response().body().size(), BodySize::Sized(n) if n <= MAX_ANSWER as u64);
    if res.status() != StatusCode::OK || !json || !small {
        return Ok(res.map_into_boxed_body());
    }
    let (req, answer) = res.into_parts();
    let (head, payload) = answer.into_parts();
    let bytes = body::to_bytes(payload).await.map_err(Into::into)?;
    cache.put(key, bytes.clone(), version);
    Ok(ServiceResponse::new(
        req,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Version(AtomicU64);

    impl DataVersion for Version {
        fn data_version(&self) -> u64 {
            self.0.load(Ordering::Acquire)
        }
    }

    #[test]
    fn an_answer_is_served_under_its_version_and_ttl_only() {
        let version = Arc::new(Version(AtomicU64::new(3)));
        let cache = ReadCache::new(Duration::from_secs(60), version);
        cache.put(b"k".to_vec(), Bytes::from_static(b"{}"), 3);
        assert_eq!(cache.get(b"k", 3), Some(Bytes::from_static(b"{}")));
        assert_eq!(cache.get(b"k", 4), None);
        assert_eq!(cache.get(b"other", 3), None);
        let expired = ReadCache::new(Duration::ZERO, Arc::new(Version(AtomicU64::new(3))));
        expired.put(b"k".to_vec(), Bytes::from_static(b"{}"), 3);
        assert_eq!(expired.get(b"k", 3), None);
    }

    #[test]
    fn past_the_ttl_one_caller_recomputes_while_the_others_get_the_kept_answer() {
        let cache = ReadCache::new(
            Duration::from_millis(40),
            Arc::new(Version(AtomicU64::new(0))),
        );
        cache.put(b"k".to_vec(), Bytes::from_static(b"old"), 0);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(cache.get(b"k", 0), None, "the first caller recomputes");
        assert_eq!(cache.get(b"k", 0), Some(Bytes::from_static(b"old")));
        assert_eq!(cache.get(b"k", 1), None, "never across a write");
        cache.put(b"k".to_vec(), Bytes::from_static(b"new"), 0);
        assert_eq!(cache.get(b"k", 0), Some(Bytes::from_static(b"new")));
        // A recomputation that never came back: after another TTL, someone tries again.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(cache.get(b"k", 0), None);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(cache.get(b"k", 0), None);
        assert_eq!(cache.get(b"k", 0), Some(Bytes::from_static(b"new")));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = ReadCache::new(
            Duration::from_secs(60),
            Arc::new(Version(AtomicU64::new(0))),
        );
        let big = Bytes::from(vec![b' '; MAX_ANSWER]);
        for i in 0..(MAX_TOTAL / MAX_ANSWER + 1) {
            cache.put(i.to_string().into_bytes(), big.clone(), 0);
        }
        let store = cache.store.lock().unwrap();
        // 31 answers fit, the 32nd emptied the cache, the 33rd joined it.
        assert_eq!(store.entries.len(), 2);
        assert_eq!(store.bytes, 2 * MAX_ANSWER + "31".len() + "32".len());
    }
}
