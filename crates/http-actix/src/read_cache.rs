//! The read cache: `200` answers to `GET /api/v1/...` kept in memory for a short time, so a
//! client polling the same page (a scanner syncing, a dashboard) costs no database work.
//!
//! An answer is stored under a SHA-256 of everything it can depend on: the `Authorization`
//! header as sent (so a credential only ever gets answers computed for it; the credential
//! itself is not kept), the scheme and host that links are built from, the path and the
//! query string. Every answer belongs to one organizer, the credential's (a team token or a
//! device sees one organizer's data only; the handler names it with [`AnswerScope`]), and is
//! served while [`DataVersions`] says nothing of that organizer changed since the request
//! that computed it started, and while it is younger than the TTL. The storage learns every
//! committed change from the database itself, whoever made it, so a change to one organizer
//! drops its answers in every process within milliseconds and leaves other organizers'
//! answers alone; while the storage cannot vouch for that, nothing is served or kept.
//!
//! Past the TTL, the first request is still given the kept answer, and the page is computed
//! again in the background, off every client's request: a busy page thus never sends a
//! client to the database, let alone every waiting client at the same moment. Until the
//! new answer is in, the kept one is served for at most another TTL (unless its organizer
//! changes); an answer older than twice the TTL is computed on the request again. A
//! background computation that does not give a `200` drops the kept answer, so the next
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

use crate::routes::RouteTemplate;
use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse};
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
    /// The route template of the resource that computed it, for the request metrics of the
    /// requests it answers without being routed.
    route: Route,
    /// The organizer the answer belongs to, and the mark taken before it was computed.
    organizer: i64,
    mark: u64,
    stored: Instant,
    /// Whether the answer is being computed again in the background.
    refreshing: bool,
}

#[derive(Default)]
struct Store {
    entries: HashMap<Vec<u8>, Entry>,
    bytes: usize,
}

/// A kept answer's route template.
type Route = Option<Arc<str>>;

/// What the cache holds for a request.
#[derive(Debug, PartialEq)]
enum Kept {
    /// An answer to serve.
    Fresh(Bytes, Route),
    /// An answer to serve, past its TTL: the caller is to compute it again in the background.
    Refresh(Bytes, Route),
    /// Nothing to serve: the caller computes the answer on the request.
    Missing,
}

/// The cache, shared by every worker. Register it as `web::Data<ReadCache>`, wrap the app in
/// [`serve_kept_answers`] and each resource in [`read_cache`].
pub struct ReadCache {
    ttl: Duration,
    versions: Arc<dyn DataVersions>,
    store: Mutex<Store>,
}

impl ReadCache {
    pub fn new(ttl: Duration, versions: Arc<dyn DataVersions>) -> Self {
        ReadCache {
            ttl,
            versions,
            store: Mutex::new(Store::default()),
        }
    }

    /// Why nothing is served from memory now, if that is so (for `/readyz`).
    pub fn suspended(&self) -> Option<String> {
        if self.ttl.is_zero() {
            return None;
        }
        self.versions.suspended()
    }

    /// The kept answer for `key`, if its organizer has not changed since it was computed
    /// (call after [`DataVersions::mark`], which brings that knowledge up to date). With
    /// `may_refresh`, the first caller past the TTL is told to compute it again
    /// ([`Kept::Refresh`]); without, that caller is told it is missing (and is to come back
    /// with `may_refresh`).
    fn lookup(&self, key: &[u8], may_refresh: bool) -> Kept {
        let Ok(mut store) = self.store.lock() else {
            return Kept::Missing;
        };
        let Some(entry) = store.entries.get_mut(key) else {
            return Kept::Missing;
        };
        if !self.versions.unchanged_since(entry.organizer, entry.mark) {
            // Counted once per request: by the per-resource layer's lookup, which follows
            // the outer one's miss.
            if may_refresh {
                crate::metrics::answers_invalidated();
            }
            return Kept::Missing;
        }
        let age = entry.stored.elapsed();
        if age < self.ttl {
            return Kept::Fresh(entry.body.clone(), entry.route.clone());
        }
        if age >= self.ttl.saturating_mul(2) {
            return Kept::Missing;
        }
        if entry.refreshing {
            Kept::Fresh(entry.body.clone(), entry.route.clone())
        } else if may_refresh {
            entry.refreshing = true;
            Kept::Refresh(entry.body.clone(), entry.route.clone())
        } else {
            Kept::Missing
        }
    }

    /// Keeps `body` as `organizer`'s answer under `key`, computed from data read after
    /// `mark` (unless an answer computed after a later mark is kept already, or the organizer
    /// changed since: then it may be outdated already).
    fn put(&self, key: Vec<u8>, body: Bytes, route: Route, organizer: i64, mark: u64) {
        if !self.versions.unchanged_since(organizer, mark) {
            return;
        }
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        if store.entries.get(&key).is_some_and(|e| e.mark > mark) {
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
            route,
            organizer,
            mark,
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

/// A kept answer, named by its route template for the request metrics (the request may not
/// have been routed).
fn kept_answer(req: ServiceRequest, body: Bytes, route: Route) -> ServiceResponse<BoxBody> {
    if let Some(route) = route {
        req.extensions_mut().insert(RouteTemplate::from(route));
    }
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
        if let Some(mark) = cache.versions.mark() {
            if let Kept::Fresh(body, route) = cache.lookup(&key, false) {
                crate::metrics::answers_cache(true);
                return Ok(kept_answer(req, body, route));
            }
            // The resource's layer computes the answer under this mark (taken before the
            // handler runs, as it must be) instead of asking the storage once more.
            req.extensions_mut().insert(Marked(mark));
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
    // Taken before the handler runs: a change that lands meanwhile invalidates this answer.
    let marked = req.extensions().get::<Marked>().map(|m| m.0);
    let Some(mark) = marked.or_else(|| cache.versions.mark()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let kept = cache.lookup(&key, true);
    crate::metrics::answers_cache(!matches!(kept, Kept::Missing));
    // Routed here: the resource's template, kept with its answer.
    let template = req.app_data::<RouteTemplate>().map(RouteTemplate::pattern);
    match kept {
        Kept::Fresh(body, route) => return Ok(kept_answer(req, body, route)),
        Kept::Refresh(body, route) => {
            // Routed already, so the request may be handed to the handler a second time.
            let again = next.call(ServiceRequest::from_request(req.request().clone()));
            actix_web::rt::spawn(async move {
                let kept = match again.await {
                    Ok(res) => keepable(res).await.ok().and_then(|(_, kept)| kept),
                    Err(_) => None,
                };
                match kept {
                    Some((organizer, body)) => cache.put(key, body, template, organizer, mark),
                    None => cache.forget(&key),
                }
            });
            return Ok(kept_answer(req, body, route));
        }
        Kept::Missing => {}
    }
    let (res, kept) = keepable(next.call(req).await?).await?;
    if let Some((organizer, body)) = kept {
        cache.put(key, body, template, organizer, mark);
    }
    Ok(res)
}

/// The mark [`serve_kept_answers`] took for a request it passed on.
#[derive(Clone, Copy)]
struct Marked(u64);

/// The organizer a response's data belongs to: set by the handler's authentication (the
/// credential's organizer). An answer without it is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerScope(pub i64);

/// The answer, and its organizer and bytes when it is one to keep: a `200` in JSON of at
/// most [`MAX_ANSWER`] bytes, whose organizer is known.
async fn keepable(
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<(ServiceResponse<BoxBody>, Option<(i64, Bytes)>), Error> {
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let small =
        matches!(res.response().body().size(), BodySize::Sized(n) if n <= MAX_ANSWER as u64);
    let scope = res.request().extensions().get::<AnswerScope>().copied();
    let Some(AnswerScope(organizer)) = scope else {
        return Ok((res.map_into_boxed_body(), None));
    };
    if res.status() != StatusCode::OK || !json || !small {
        return Ok((res.map_into_boxed_body(), None));
    }
    let (req, answer) = res.into_parts();
    let (head, payload) = answer.into_parts();
    let bytes = body::to_bytes(payload).await.map_err(Into::into)?;
    let res = ServiceResponse::new(req, head.set_body(bytes.clone()).map_into_boxed_body());
    Ok((res, Some((organizer, bytes))))
}

/// What the cache needs to know of changes to the data: the storage's change tracking, per
/// organizer.
///
/// A mark is taken before an answer is computed; the answer may be served while nothing of
/// its organizer changed since. [`DataVersions::mark`] is called before every lookup and may
/// bring the storage's knowledge up to date (a cheap check); [`DataVersions::unchanged_since`]
/// does no I/O.
///
/// ```
/// use presale_http_actix::DataVersions;
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// /// Changes counted by hand: organizer -> the count at its last change.
/// #[derive(Default)]
/// struct Counted(Mutex<(u64, HashMap<i64, u64>)>);
/// impl Counted {
///     fn change(&self, organizer: i64) {
///         let mut c = self.0.lock().unwrap();
///         c.0 += 1;
///         let at = c.0;
///         c.1.insert(organizer, at);
///     }
/// }
/// impl DataVersions for Counted {
///     fn mark(&self) -> Option<u64> {
///         Some(self.0.lock().unwrap().0)
///     }
///     fn unchanged_since(&self, organizer: i64, mark: u64) -> bool {
///         self.0.lock().unwrap().1.get(&organizer).is_none_or(|&at| at <= mark)
///     }
/// }
///
/// let versions = Counted::default();
/// let mark = versions.mark().unwrap();
/// versions.change(1);
/// assert!(!versions.unchanged_since(1, mark));
/// assert!(versions.unchanged_since(2, mark));
/// ```
pub trait DataVersions: Send + Sync {
    /// A mark to take before computing an answer to keep; `None` when nothing may be kept or
    /// served now.
    fn mark(&self) -> Option<u64>;
    /// Whether nothing of `organizer` changed since `mark`.
    fn unchanged_since(&self, organizer: i64, mark: u64) -> bool;
    /// Why nothing is served now, if that is so.
    fn suspended(&self) -> Option<String> {
        None
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
    /// Changes counted by hand: organizer -> the count at its last change.
    #[derive(Default)]
    struct Counted(Mutex<(u64, HashMap<i64, u64>)>);

    impl Counted {
        fn change(&self, organizer: i64) {
            let mut c = self.0.lock().unwrap();
            c.0 += 1;
            let at = c.0;
            c.1.insert(organizer, at);
        }
    }

    impl DataVersions for Counted {
        fn mark(&self) -> Option<u64> {
            Some(self.0.lock().unwrap().0)
        }
        fn unchanged_since(&self, organizer: i64, mark: u64) -> bool {
            self.0
                .lock()
                .unwrap()
                .1
                .get(&organizer)
                .is_none_or(|&at| at <= mark)
        }
    }

    fn cache(ttl: Duration) -> (ReadCache, Arc<Counted>) {
        let versions = Arc::new(Counted::default());
        (ReadCache::new(ttl, versions.clone()), versions)
    }

    fn fresh(body: &'static [u8]) -> Kept {
        Kept::Fresh(Bytes::from_static(body), None)
    }

    fn put(cache: &ReadCache, key: &[u8], body: &'static [u8], mark: u64) {
        cache.put(key.to_vec(), Bytes::from_static(body), None, 1, mark);
    }

    #[test]
    fn an_answer_is_served_until_its_organizer_changes_or_the_ttl() {
        let (cache, versions) = cache(Duration::from_secs(60));
        put(&cache, b"k", b"{}", 0);
        assert_eq!(cache.lookup(b"k", true), fresh(b"{}"));
        assert_eq!(cache.lookup(b"k", false), fresh(b"{}"));
        assert_eq!(cache.lookup(b"other", true), Kept::Missing);
        versions.change(2);
        assert_eq!(cache.lookup(b"k", true), fresh(b"{}"), "another organizer");
        versions.change(1);
        assert_eq!(cache.lookup(b"k", true), Kept::Missing);
        let (expired, _) = self::cache(Duration::ZERO);
        put(&expired, b"k", b"{}", 0);
        assert_eq!(expired.lookup(b"k", true), Kept::Missing);
    }

    #[test]
    fn an_answer_computed_across_a_change_is_not_kept() {
        let (cache, versions) = cache(Duration::from_secs(60));
        let mark = versions.mark().unwrap();
        versions.change(1);
        put(&cache, b"k", b"{}", mark);
        assert_eq!(cache.lookup(b"k", true), Kept::Missing);
        assert_eq!(cache.store.lock().unwrap().entries.len(), 0);
    }

    #[test]
    fn past_the_ttl_one_caller_computes_it_again_while_all_get_the_kept_answer() {
        let (cache, versions) = cache(Duration::from_millis(200));
        put(&cache, b"k", b"old", 0);
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(
            cache.lookup(b"k", false),
            Kept::Missing,
            "before routing, the request is passed on"
        );
        assert_eq!(
            cache.lookup(b"k", true),
            Kept::Refresh(Bytes::from_static(b"old"), None),
            "the first routed caller computes it again"
        );
        assert_eq!(cache.lookup(b"k", true), fresh(b"old"));
        assert_eq!(cache.lookup(b"k", false), fresh(b"old"));
        put(&cache, b"k", b"new", 0);
        assert_eq!(cache.lookup(b"k", false), fresh(b"new"));
        versions.change(1);
        assert_eq!(
            cache.lookup(b"k", true),
            Kept::Missing,
            "never across a change"
        );
    }

    #[test]
    fn an_answer_past_twice_the_ttl_is_computed_on_the_request() {
        let (cache, _) = cache(Duration::from_millis(100));
        put(&cache, b"k", b"old", 0);
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(
            cache.lookup(b"k", true),
            Kept::Refresh(Bytes::from_static(b"old"), None)
        );
        // The computation never came back.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(cache.lookup(b"k", false), Kept::Missing);
        assert_eq!(cache.lookup(b"k", true), Kept::Missing);
    }

    #[test]
    fn a_computation_without_an_answer_drops_the_kept_one() {
        let (cache, _) = cache(Duration::from_millis(200));
        put(&cache, b"k", b"old", 0);
        cache.forget(b"k");
        assert_eq!(
            cache.lookup(b"k", true),
            fresh(b"old"),
            "not being computed"
        );
        std::thread::sleep(Duration::from_millis(220));
        assert!(matches!(cache.lookup(b"k", true), Kept::Refresh(..)));
        cache.forget(b"k");
        assert_eq!(cache.lookup(b"k", true), Kept::Missing);
        assert_eq!(cache.store.lock().unwrap().bytes, 0);
    }

    #[test]
    fn an_answer_computed_earlier_does_not_replace_a_later_one() {
        let (cache, _) = cache(Duration::from_secs(60));
        put(&cache, b"k", b"later", 5);
        put(&cache, b"k", b"earlier", 4);
        assert_eq!(cache.lookup(b"k", true), fresh(b"later"));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let (cache, _) = cache(Duration::from_secs(60));
        let big = Bytes::from(vec![b' '; MAX_ANSWER]);
        for i in 0..(MAX_TOTAL / MAX_ANSWER + 1) {
            cache.put(i.to_string().into_bytes(), big.clone(), None, 1, 0);
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
        let (cache, _) = cache(Duration::from_secs(60));
        let small = Bytes::from_static(b"{}");
        let per_entry = 8 + 2 + ENTRY_OVERHEAD;
        let fit = MAX_TOTAL / per_entry;
        for i in 0..=fit {
            cache.put(format!("{i:08}").into_bytes(), small.clone(), None, 1, 0);
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
