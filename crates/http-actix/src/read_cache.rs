//! The read cache: `200` answers to `GET /api/v1/...` kept in memory for a short time, so a
//! client polling the same page (a scanner syncing, a dashboard) costs no database work.
//!
//! An answer is stored under a SHA-256 of everything it can depend on: the `Authorization`
//! header as sent (so a credential only ever gets answers computed for it; the credential
//! itself is not kept), the scheme and host that links are built from, the path and the
//! query string. It is served while the storage's
//! [`DataVersion`] has not moved since the request that computed it started (every write
//! through this process moves it, so an answer never outlives a write made through this
//! server) and it is younger than the TTL.
//!
//! Past the TTL, the first request is still given the kept answer, and the page is computed
//! again in the background, off every client's request: a busy page thus never sends a
//! client to the database, let alone every waiting client at the same moment. Until the
//! new answer is in, the kept one is served for at most another TTL; an answer older than
//! twice the TTL is computed on the request again. Writes by other processes are thus seen
//! within twice the TTL at worst. A background computation that does not give a `200` (a
//! credential revoked behind the server's back, say) drops the kept answer, so the next
//! request is answered by the handler. A TTL of zero turns the cache off.
//!
//! Two layers share the cache. [`serve_kept_answers`] wraps the whole app and serves an
//! answer that is fresh (or being computed again) before the request is even routed.
//! [`read_cache`] wraps each resource, after routing, where the request can be handed to
//! the handler a second time: it keeps the handler's answers and starts the background
//! computations.
//!
//! A served answer skips the handler, and so the credential lookup: a device's "last seen"
//! is then recorded when its answer is next computed (at most one TTL later).

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpResponse};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Answers larger than this are not kept.
const MAX_ANSWER: usize = 1024 * 1024;
/// The most bytes kept in all, each entry's bookkeeping included; a full cache is emptied
/// (and its table freed) rather than evicted piecemeal.
const MAX_TOTAL: usize = 24 * 1024 * 1024;
/// What an entry costs beyond its key and body: the table's slot, the entry, and the two
/// heap blocks of key and body with their allocator headers. Counted so that many small
/// answers (distinct URLs) are bounded as surely as a few big ones.
const ENTRY_OVERHEAD: usize = 160;

/// The bytes an entry counts against [`MAX_TOTAL`].
fn cost(key: &[u8], body: &Bytes) -> usize {
    key.len() + body.len() + ENTRY_OVERHEAD
}

struct Entry {
    body: Bytes,
    version: u64,
    stored: Instant,
    /// Whether the answer is being computed again in the background.
    refreshing: bool,
}

#[derive(Default)]
struct Store {
    entries: HashMap<Vec<u8>, Entry>,
    bytes: usize,
}

/// What the cache holds for a request.
#[derive(Debug, PartialEq)]
enum Kept {
    /// An answer to serve.
    Fresh(Bytes),
    /// An answer to serve, past its TTL: the caller is to compute it again in the background.
    Refresh(Bytes),
    /// Nothing to serve: the caller computes the answer on the request.
    Missing,
}

/// The cache, shared by every worker. Register it as `web::Data<ReadCache>`, wrap the app in
/// [`serve_kept_answers`] and each resource in [`read_cache`].
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

    /// The kept answer for `key` under `version`. With `may_refresh`, the first caller past
    /// the TTL is told to compute it again ([`Kept::Refresh`]); without, that caller is
    /// told it is missing (and is to come back with `may_refresh`).
    fn lookup(&self, key: &[u8], version: u64, may_refresh: bool) -> Kept {
        let Ok(mut store) = self.store.lock() else {
            return Kept::Missing;
        };
        let Some(entry) = store.entries.get_mut(key) else {
            return Kept::Missing;
        };
        if entry.version != version {
            return Kept::Missing;
        }
        let age = entry.stored.elapsed();
        if age < self.ttl {
            return Kept::Fresh(entry.body.clone());
        }
        if age >= self.ttl.saturating_mul(2) {
            return Kept::Missing;
        }
        if entry.refreshing {
            Kept::Fresh(entry.body.clone())
        } else if may_refresh {
            entry.refreshing = true;
            Kept::Refresh(entry.body.clone())
        } else {
            Kept::Missing
        }
    }

    /// Keeps `body` as the answer under `key`, computed from data at `version` (unless a
    /// later version's answer is kept already).
    fn put(&self, key: Vec<u8>, body: Bytes, version: u64) {
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        if store.entries.get(&key).is_some_and(|e| e.version > version) {
            return;
        }
        let size = cost(&key, &body);
        if store.bytes + size > MAX_TOTAL {
            // A new table: `clear` would keep the old one's memory.
            store.entries = HashMap::new();
            store.bytes = 0;
        }
        store.bytes += size;
        let entry = Entry {
            body,
            version,
            stored: Instant::now(),
            refreshing: false,
        };
        let key_len = key.len();
        if let Some(old) = store.entries.insert(key, entry) {
            store.bytes = store
                .bytes
                .saturating_sub(old.body.len() + key_len + ENTRY_OVERHEAD);
        }
    }

    /// Drops the answer under `key` if it is still the one being computed again (a
    /// computation that gave no answer to keep).
    fn forget(&self, key: &[u8]) {
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        if store.entries.get(key).is_some_and(|e| e.refreshing) {
            if let Some(old) = store.entries.remove(key) {
                store.bytes = store.bytes.saturating_sub(cost(key, &old.body));
            }
        }
    }
}

/// The cache and the request's key, when the request may be served from the cache.
fn cacheable(req: &ServiceRequest) -> Option<(web::Data<ReadCache>, Vec<u8>)> {
    let cache = req
        .app_data::<web::Data<ReadCache>>()
        .filter(|c| !c.ttl.is_zero())?;
    if req.method() != Method::GET || !req.path().starts_with("/api/v1/") {
        return None;
    }
    Some((cache.clone(), key_of(req)?))
}

/// The key of a request: the SHA-256 of its credential, the base URL its links are built
/// on, path and query, NUL-separated (a request with a NUL in any of them is refused before
/// it gets here). Credentials are never kept in memory as sent.
fn key_of(req: &ServiceRequest) -> Option<Vec<u8>> {
    let auth = req.headers().get(header::AUTHORIZATION)?;
    let base = req
        .app_data::<actix_web::web::Data<crate::AppState>>()?
        .base_url_for(req.request());
    Some(hashed_key(
        auth.as_bytes(),
        [base.as_str(), req.path(), req.query_string()],
    ))
}

fn hashed_key(credential: &[u8], parts: [&str; 3]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(credential);
    for part in parts {
        hash.update([0]);
        hash.update(part.as_bytes());
    }
    hash.finalize().to_vec()
}

fn kept_answer(req: ServiceRequest, body: Bytes) -> ServiceResponse<BoxBody> {
    let answer = HttpResponse::Ok()
        .content_type(HeaderValue::from_static("application/json"))
        .body(body);
    req.into_response(answer)
}

/// The app-wide layer: serves a kept answer before routing; everything else goes on to the
/// resource (and its [`read_cache`] layer).
pub async fn serve_kept_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let Some((cache, key)) = cacheable(&req) {
        let version = cache.version.data_version();
        if let Kept::Fresh(body) = cache.lookup(&key, version, false) {
            return Ok(kept_answer(req, body));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The per-resource layer: serves a kept answer (starting its computation in the background
/// when it is past its TTL), or keeps the handler's `200` answer.
pub async fn read_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some((cache, key)) = cacheable(&req) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // Read before the handler runs: a write that lands meanwhile invalidates this answer.
    let version = cache.version.data_version();
    match cache.lookup(&key, version, true) {
        Kept::Fresh(body) => return Ok(kept_answer(req, body)),
        Kept::Refresh(body) => {
            // Routed already, so the request may be handed to the handler a second time.
            let again = next.call(ServiceRequest::from_request(req.request().clone()));
            actix_web::rt::spawn(async move {
                let kept = match again.await {
                    Ok(res) => keepable(res).await.ok().and_then(|(_, body)| body),
                    Err(_) => None,
                };
                match kept {
                    Some(body) => cache.put(key, body, version),
                    None => cache.forget(&key),
                }
            });
            return Ok(kept_answer(req, body));
        }
        Kept::Missing => {}
    }
    let (res, body) = keepable(next.call(req).await?).await?;
    if let Some(body) = body {
        cache.put(key, body, version);
    }
    Ok(res)
}

/// The answer, and its bytes when it is one to keep: a `200` in JSON of at most
/// [`MAX_ANSWER`] bytes.
async fn keepable(
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<(ServiceResponse<BoxBody>, Option<Bytes>), Error> {
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let small =
        matches!(res.response().body().size(), BodySize::Sized(n) if n <= MAX_ANSWER as u64);
    if res.status() != StatusCode::OK || !json || !small {
        return Ok((res.map_into_boxed_body(), None));
    }
    let (req, answer) = res.into_parts();
    let (head, payload) = answer.into_parts();
    let bytes = body::to_bytes(payload).await.map_err(Into::into)?;
    let res = ServiceResponse::new(req, head.set_body(bytes.clone()).map_into_boxed_body());
    Ok((res, Some(bytes)))
}

/// A number that changes whenever data stored through this process changes.
///
/// The storage adapter keeps it: every write through its ports moves it, and so does
/// anything that asks the adapter to drop what it keeps in memory. Any `Fn() -> u64` is one. A cache of reads stays
/// valid while the number it was filled under is current (and, for writes by other processes,
/// which this number cannot see, while it is younger than its time-to-live).
///
/// Reading it does no I/O: it is meant to be read on every request.
///
/// ```
/// use presale_http_actix::DataVersion;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// struct Counter(AtomicU64);
/// impl DataVersion for Counter {
///     fn data_version(&self) -> u64 {
///         self.0.load(Ordering::Acquire)
///     }
/// }
///
/// let store = Counter(AtomicU64::new(0));
/// let filled_under = store.data_version();
/// store.0.fetch_add(1, Ordering::AcqRel); // a write
/// assert_ne!(store.data_version(), filled_under);
/// ```
pub trait DataVersion: Send + Sync {
    fn data_version(&self) -> u64;
}

impl<F: Fn() -> u64 + Send + Sync> DataVersion for F {
    fn data_version(&self) -> u64 {
        self()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashes_that_keep_credentials_and_requests_apart() {
        let key = |auth: &str, path: &str, query: &str| {
            hashed_key(auth.as_bytes(), ["http://h", path, query])
        };
        let a = key("Token secret-a", "/api/v1/organizers/", "");
        assert_eq!(a.len(), 32);
        assert!(!a.windows(8).any(|w| w == b"secret-a"));
        assert_eq!(a, key("Token secret-a", "/api/v1/organizers/", ""));
        assert_ne!(a, key("Token secret-b", "/api/v1/organizers/", ""));
        assert_ne!(a, key("Token secret-a", "/api/v1/organizers/", "page=2"));
        // The separators keep the parts apart: moving text between them changes the key.
        assert_ne!(
            key("Token a", "/api/v1/x", "y=1"),
            key("Token a", "/api/v1/xy", "=1")
        );
    }
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Version(AtomicU64);

    impl DataVersion for Version {
        fn data_version(&self) -> u64 {
            self.0.load(Ordering::Acquire)
        }
    }

    fn cache(ttl: Duration) -> ReadCache {
        ReadCache::new(ttl, Arc::new(Version(AtomicU64::new(0))))
    }

    fn fresh(body: &'static [u8]) -> Kept {
        Kept::Fresh(Bytes::from_static(body))
    }

    #[test]
    fn an_answer_is_served_under_its_version_and_ttl_only() {
        let cache = cache(Duration::from_secs(60));
        cache.put(b"k".to_vec(), Bytes::from_static(b"{}"), 3);
        assert_eq!(cache.lookup(b"k", 3, true), fresh(b"{}"));
        assert_eq!(cache.lookup(b"k", 3, false), fresh(b"{}"));
        assert_eq!(cache.lookup(b"k", 4, true), Kept::Missing);
        assert_eq!(cache.lookup(b"other", 3, true), Kept::Missing);
        let expired = self::cache(Duration::ZERO);
        expired.put(b"k".to_vec(), Bytes::from_static(b"{}"), 3);
        assert_eq!(expired.lookup(b"k", 3, true), Kept::Missing);
    }

    #[test]
    fn past_the_ttl_one_caller_computes_it_again_while_all_get_the_kept_answer() {
        let cache = cache(Duration::from_millis(200));
        cache.put(b"k".to_vec(), Bytes::from_static(b"old"), 0);
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(
            cache.lookup(b"k", 0, false),
            Kept::Missing,
            "before routing, the request is passed on"
        );
        assert_eq!(
            cache.lookup(b"k", 0, true),
            Kept::Refresh(Bytes::from_static(b"old")),
            "the first routed caller computes it again"
        );
        assert_eq!(cache.lookup(b"k", 0, true), fresh(b"old"));
        assert_eq!(cache.lookup(b"k", 0, false), fresh(b"old"));
        assert_eq!(
            cache.lookup(b"k", 1, true),
            Kept::Missing,
            "never across a write"
        );
        cache.put(b"k".to_vec(), Bytes::from_static(b"new"), 0);
        assert_eq!(cache.lookup(b"k", 0, false), fresh(b"new"));
    }

    #[test]
    fn an_answer_past_twice_the_ttl_is_computed_on_the_request() {
        let cache = cache(Duration::from_millis(100));
        cache.put(b"k".to_vec(), Bytes::from_static(b"old"), 0);
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(
            cache.lookup(b"k", 0, true),
            Kept::Refresh(Bytes::from_static(b"old"))
        );
        // The computation never came back.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(cache.lookup(b"k", 0, false), Kept::Missing);
        assert_eq!(cache.lookup(b"k", 0, true), Kept::Missing);
    }

    #[test]
    fn a_computation_without_an_answer_drops_the_kept_one() {
        let cache = cache(Duration::from_millis(200));
        cache.put(b"k".to_vec(), Bytes::from_static(b"old"), 0);
        cache.forget(b"k");
        assert_eq!(
            cache.lookup(b"k", 0, true),
            fresh(b"old"),
            "not being computed"
        );
        std::thread::sleep(Duration::from_millis(220));
        assert!(matches!(cache.lookup(b"k", 0, true), Kept::Refresh(_)));
        cache.forget(b"k");
        assert_eq!(cache.lookup(b"k", 0, true), Kept::Missing);
        assert_eq!(cache.store.lock().unwrap().bytes, 0);
    }

    #[test]
    fn an_older_versions_answer_does_not_replace_a_later_one() {
        let cache = cache(Duration::from_secs(60));
        cache.put(b"k".to_vec(), Bytes::from_static(b"later"), 5);
        cache.put(b"k".to_vec(), Bytes::from_static(b"earlier"), 4);
        assert_eq!(cache.lookup(b"k", 5, true), fresh(b"later"));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = cache(Duration::from_secs(60));
        let big = Bytes::from(vec![b' '; MAX_ANSWER]);
        for i in 0..(MAX_TOTAL / MAX_ANSWER + 1) {
            cache.put(i.to_string().into_bytes(), big.clone(), 0);
        }
        let store = cache.store.lock().unwrap();
        // 23 answers fit, the 24th emptied the cache, the 25th joined it.
        assert_eq!(store.entries.len(), 2);
        assert_eq!(
            store.bytes,
            2 * MAX_ANSWER + "23".len() + "24".len() + 2 * ENTRY_OVERHEAD
        );
    }

    #[test]
    fn many_small_answers_count_their_bookkeeping() {
        let cache = cache(Duration::from_secs(60));
        let small = Bytes::from_static(b"{}");
        let per_entry = 8 + 2 + ENTRY_OVERHEAD;
        let fit = MAX_TOTAL / per_entry;
        for i in 0..=fit {
            cache.put(format!("{i:08}").into_bytes(), small.clone(), 0);
        }
        let store = cache.store.lock().unwrap();
        assert_eq!(
            store.entries.len(),
            1,
            "the one past the bound started over"
        );
        assert_eq!(store.bytes, per_entry);
    }
}
