//! The replay protocol of idempotency keys (docs/api-compatibility.md): a non-GET API request carrying `X-Idempotency-Key` is
//! executed once per (credential, key) for [`RETENTION_HOURS`] hours; a repeat replays the
//! stored response.
//!
//! The protocol, which holds across any number of server processes sharing one database:
//!
//! 1. [`begin`] claims the (credential, key) pair with [`IdempotencyRepository::claim`]: an
//!    insert that the database's unique constraint decides. The winner executes the request
//!    ([`Begin::Execute`]); a repeat finds the stored response ([`Begin::Replay`]) or, while
//!    the first request still runs, nothing yet ([`Begin::InFlight`], answered 409).
//! 2. Once the response is known, [`plan`] decides whether it may be stored: not with status
//!    409, 429, 500 or 503 (they are meant to be retried), not when it is larger than
//!    [`MAX_STORED_RESPONSE_BYTES`], not when its size is unknown (a stream).
//! 3. [`finish`] stores it ([`IdempotencyRepository::complete`]) or gives the key up again
//!    ([`IdempotencyRepository::release`]), so that a retry executes anew.
//!
//! Only hashes are stored: the SHA-256 of the whole `Authorization` header value and of the
//! key. Rows older than the retention period are never replayed, and are deleted by
//! [`IdempotencyRepository::purge_expired`], which [`begin`] runs at most once per
//! [`PURGE_INTERVAL_SECONDS`] per process.

use chrono::{DateTime, Duration, Utc};
use presale_domain::idempotency::{
    stored_size, Claim, ClaimId, IdempotencyKey, IdempotencyRepository, StoredResponse,
};
use presale_domain::RepositoryError;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// The largest response that is stored for replay: status line aside, the bytes of every
/// stored header name and value plus the body (1 MiB). A larger response is answered
/// normally but not stored, and its key is released: a repeat executes again.
pub const MAX_STORED_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Expired keys are deleted at most this often by one process.
pub const PURGE_INTERVAL_SECONDS: i64 = 60;

/// The longest request path kept with a key (for diagnostics only); longer paths are cut.
pub const MAX_STORED_PATH_LENGTH: usize = 1000;

/// The `detail` of the 409 answer to a repeat while the first request is still running.
pub const CONCURRENT_REQUEST: &str = "Concurrent request with idempotency key.";

/// Seconds a client should wait before retrying after that 409 (`Retry-After`).
pub const CONCURRENT_RETRY_AFTER_SECONDS: u32 = 5;

/// The retention period.
pub fn retention() -> Duration {
    Duration::hours(RETENTION_HOURS)
}

/// Statuses that are never stored: the request is meant to be retried.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 409 | 429 | 500 | 503)
}

/// When this process last purged expired keys (Unix seconds), so that it purges at most every
/// [`PURGE_INTERVAL_SECONDS`].
#[derive(Debug, Default)]
pub struct PurgeSchedule {
    last: AtomicI64,
}

impl PurgeSchedule {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a purge is due at `now`; if so, it is marked as done (only one caller of
    /// several concurrent ones gets `true`).
    pub fn take_due(&self, now: DateTime<Utc>) -> bool {
        let now = now.timestamp();
        let last = self.last.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < PURGE_INTERVAL_SECONDS {
            return false;
        }
        self.last
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

/// How a tracked request goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Execute it, then [`finish`] the claim.
    Execute(ClaimId),
    /// Answer the stored response without executing.
    Replay(StoredResponse),
    /// Answer 409 [`CONCURRENT_REQUEST`] with `Retry-After`.
    InFlight,
}

/// Claims `key` for a request at `now` (see the module documentation). A new claim also
/// purges expired keys when `schedule` says a purge is due; a failed purge does not fail the
/// request (the next due purge catches up).
pub async fn begin(
    store: &dyn IdempotencyRepository,
    schedule: &PurgeSchedule,
    key: IdempotencyKey,
    method: &str,
    path: &str,
    now: DateTime<Utc>,
) -> Result<Begin, RepositoryError> {
    let cutoff = now - retention();
    let path = cut(path, MAX_STORED_PATH_LENGTH);
    match store
        .claim(key, method.to_owned(), path.to_owned(), now, cutoff)
        .await?
    {
        Claim::Claimed(id) => {
            if schedule.take_due(now) {
                let _ = store.purge_expired(cutoff).await;
            }
            Ok(Begin::Execute(id))
        }
        Claim::InFlight => Ok(Begin::InFlight),
        Claim::Completed(response) => Ok(Begin::Replay(response)),
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Why a response is not stored (its claim is released instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// 409, 429, 500 or 503: meant to be retried.
    Retryable(u16),
    /// Larger than [`MAX_STORED_RESPONSE_BYTES`] (the size it has).
    TooLarge(u64),
    /// A streamed body of unknown size, which is passed on without being buffered.
    UnknownSize,
    /// The body could not be read.
    Unreadable,
}

impl fmt::Display for NotStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotStored::Retryable(status) => write!(f, "status {status} is retryable"),
            NotStored::TooLarge(size) => write!(
                f,
                "response of {size} bytes exceeds {MAX_STORED_RESPONSE_BYTES} bytes"
            ),
            NotStored::UnknownSize => f.write_str("response body has no known size"),
            NotStored::Unreadable => f.write_str("response body could not be read"),
        }
    }
}

/// Whether a response with this status, these headers and a body of this size (`None`:
/// unknown) is to be stored: `Ok(())` means buffer the body and [`finish`] with it.
pub fn plan(
    status: u16,
    headers: &[(String, String)],
    body_len: Option<u64>,
) -> Result<(), NotStored> {
    if is_retryable_status(status) {
        return Err(NotStored::Retryable(status));
    }
    let body_len = body_len.ok_or(NotStored::UnknownSize)?;
    let size = stored_size(headers, body_len);
    if size > MAX_STORED_RESPONSE_BYTES {
        return Err(NotStored::TooLarge(size));
    }
    Ok(())
}

/// What [`finish`] did with a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Stored,
    Released(NotStored),
}

/// Completes a claim with its response, or releases it when the response is not to be
/// stored (as [`plan`] decides; checked again here).
pub async fn finish(
    store: &dyn IdempotencyRepository,
    claim: ClaimId,
    response: Result<StoredResponse, NotStored>,
) -> Result<Finished, RepositoryError> {
    let checked = response.and_then(|r| {
        plan(
            r.status,
            &r.headers,
            Some(u64::try_from(r.body.len()).unwrap_or(u64::MAX)),
        )
        .map(|()| r)
    });
    match checked {
        Ok(response) => {
            store.complete(claim, response).await?;
            Ok(Finished::Stored)
        }
        Err(reason) => {
            store.release(claim).await?;
            Ok(Finished::Released(reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use presale_domain::idempotency::MockIdempotencyRepository;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 2, hour, minute, 0).unwrap()
    }

    fn key() -> IdempotencyKey {
        IdempotencyKey::new(b"Token abc", b"k1").unwrap()
    }

    fn response(status: u16, body: &str) -> StoredResponse {
        StoredResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn retryable_statuses_are_never_stored() {
        for status in [409, 429, 500, 503] {
            assert_eq!(
                plan(status, &[], Some(2)),
                Err(NotStored::Retryable(status))
            );
        }
        for status in [200, 201, 204, 301, 400, 401, 403, 404, 405, 415, 502] {
            assert_eq!(plan(status, &[], Some(2)), Ok(()), "{status}");
        }
    }

    #[test]
    fn size_bound_counts_headers_and_body() {
        let headers = vec![("allow".to_owned(), "GET".to_owned())];
        assert_eq!(stored_size(&headers, 10), 18);
        assert_eq!(
            plan(200, &headers, Some(MAX_STORED_RESPONSE_BYTES - 8)),
            Ok(())
        );
        assert_eq!(
            plan(200, &headers, Some(MAX_STORED_RESPONSE_BYTES - 7)),
            Err(NotStored::TooLarge(MAX_STORED_RESPONSE_BYTES + 1))
        );
        assert_eq!(plan(200, &headers, None), Err(NotStored::UnknownSize));
        assert_eq!(plan(500, &headers, None), Err(NotStored::Retryable(500)));
    }

    #[test]
    fn purge_is_due_once_per_interval() {
        let s = PurgeSchedule::new();
        assert!(s.take_due(at(10, 0)));
        assert!(!s.take_due(at(10, 0)));
        assert!(!s.take_due(at(10, 0) + Duration::seconds(59)));
        assert!(s.take_due(at(10, 1)));
        assert!(!s.take_due(at(10, 1)));
    }

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 3), "abc");
        assert_eq!(cut("aé", 2), "a");
    }

    #[actix_web::test]
    async fn a_new_claim_executes_and_purges_expired_keys_when_due() {
        let mut store = MockIdempotencyRepository::new();
        store
            .expect_claim()
            .withf(|k, m, p, now, cutoff| {
                *k == key()
                    && m == "POST"
                    && p == "/api/v1/x/"
                    && *now == at(12, 0)
                    && *cutoff == at(12, 0) - Duration::hours(24)
            })
            .times(2)
            .returning(|_, _, _, _, _| Ok(Claim::Claimed(ClaimId(7))));
        store
            .expect_purge_expired()
            .withf(|before| *before == at(12, 0) - Duration::hours(24))
            .times(1)
            .returning(|_| Ok(3));
        let schedule = PurgeSchedule::new();
        for _ in 0..2 {
            assert_eq!(
                begin(&store, &schedule, key(), "POST", "/api/v1/x/", at(12, 0)).await,
                Ok(Begin::Execute(ClaimId(7)))
            );
        }
    }

    #[actix_web::test]
    async fn a_failed_purge_does_not_fail_the_request() {
        let mut store = MockIdempotencyRepository::new();
        store
            .expect_claim()
            .returning(|_, _, _, _, _| Ok(Claim::Claimed(ClaimId(1))));
        store
            .expect_purge_expired()
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        let schedule = PurgeSchedule::new();
        assert_eq!(
            begin(&store, &schedule, key(), "POST", "/p", at(1, 0)).await,
            Ok(Begin::Execute(ClaimId(1)))
        );
    }

    #[actix_web::test]
    async fn a_repeat_replays_or_waits_and_never_purges() {
        let mut store = MockIdempotencyRepository::new();
        let mut n = 0;
        store
            .expect_claim()
            .times(2)
            .returning(move |_, _, _, _, _| {
                n += 1;
                Ok(if n == 1 {
                    Claim::InFlight
                } else {
                    Claim::Completed(response(201, "{}"))
                })
            });
        store.expect_purge_expired().never();
        let schedule = PurgeSchedule::new();
        assert_eq!(
            begin(&store, &schedule, key(), "POST", "/p", at(1, 0)).await,
            Ok(Begin::InFlight)
        );
        assert_eq!(
            begin(&store, &schedule, key(), "POST", "/p", at(1, 0)).await,
            Ok(Begin::Replay(response(201, "{}")))
        );
    }

    #[actix_web::test]
    async fn a_storage_outage_on_claim_is_passed_on() {
        let mut store = MockIdempotencyRepository::new();
        store
            .expect_claim()
            .returning(|_, _, _, _, _| Err(RepositoryError::Unavailable("down".into())));
        assert_eq!(
            begin(&store, &PurgeSchedule::new(), key(), "POST", "/p", at(1, 0)).await,
            Err(RepositoryError::Unavailable("down".into()))
        );
    }

    #[actix_web::test]
    async fn the_path_kept_with_a_claim_is_bounded() {
        let mut store = MockIdempotencyRepository::new();
        store
            .expect_claim()
            .withf(|_, _, p, _, _| p.len() == MAX_STORED_PATH_LENGTH)
            .returning(|_, _, _, _, _| Ok(Claim::InFlight));
        let long = "/".repeat(MAX_STORED_PATH_LENGTH + 10);
        assert_eq!(
            begin(
                &store,
                &PurgeSchedule::new(),
                key(),
                "POST",
                &long,
                at(1, 0)
            )
            .await,
            Ok(Begin::InFlight)
        );
    }

    #[actix_web::test]
    async fn finish_stores_a_storable_response() {
        let mut store = MockIdempotencyRepository::new();
        store
            .expect_complete()
            .withf(|c, r| *c == ClaimId(4) && *r == response(201, "{\"id\":1}"))
            .times(1)
            .returning(|_, _| Ok(()));
        store.expect_release().never();
        assert_eq!(
            finish(&store, ClaimId(4), Ok(response(201, "{\"id\":1}"))).await,
            Ok(Finished::Stored)
        );
    }

    #[actix_web::test]
    async fn finish_releases_what_is_not_stored() {
        let mut store = MockIdempotencyRepository::new();
        store.expect_complete().never();
        store
            .expect_release()
            .withf(|c| *c == ClaimId(4))
            .times(3)
            .returning(|_| Ok(()));
        assert_eq!(
            finish(&store, ClaimId(4), Ok(response(503, "{}"))).await,
            Ok(Finished::Released(NotStored::Retryable(503)))
        );
        assert_eq!(
            finish(&store, ClaimId(4), Err(NotStored::UnknownSize)).await,
            Ok(Finished::Released(NotStored::UnknownSize))
        );
        let big = "x".repeat(usize::try_from(MAX_STORED_RESPONSE_BYTES).unwrap());
        assert!(matches!(
            finish(&store, ClaimId(4), Ok(response(200, &big))).await,
            Ok(Finished::Released(NotStored::TooLarge(_)))
        ));
    }

    #[actix_web::test]
    async fn finish_passes_storage_errors_on() {
        let mut store = MockIdempotencyRepository::new();
        store
            .expect_complete()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
        assert_eq!(
            finish(&store, ClaimId(1), Ok(response(200, "{}"))).await,
            Err(RepositoryError::Unavailable("down".into()))
        );
    }
}
