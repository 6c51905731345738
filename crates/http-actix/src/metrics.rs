//! What the HTTP edge records for Prometheus (through the `metrics` facade: nothing is kept
//! unless the process installed a recorder), and the `GET /metrics` endpoint that shows it.
//!
//! Labels are bounded: a route is its template (`/api/v1/organizers/{organizer}/events/`,
//! never a slug or an id), a status its class (`2xx`); no organizer, event or credential is
//! ever a label.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use metrics::{Counter, Histogram};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Requests answered, by `route`, `method` and `status` class.
pub const HTTP_REQUESTS: &str = "presale_http_requests_total";
/// Seconds from a request's arrival to its answer, by `route`, `method` and `status` class.
pub const HTTP_DURATION: &str = "presale_http_request_duration_seconds";
/// Cache lookups answered from memory, by `cache` (`answers` or `credentials`).
pub const CACHE_HITS: &str = "presale_cache_hits_total";
/// Cache lookups that went to the database, by `cache`.
pub const CACHE_MISSES: &str = "presale_cache_misses_total";
/// Kept entries found outdated by a change to their organizer, by `cache`.
pub const CACHE_INVALIDATIONS: &str = "presale_cache_invalidations_total";
/// Requests with an idempotency key answered with the stored response.
pub const IDEMPOTENCY_REPLAYS: &str = "presale_idempotency_replays_total";
/// Requests with an idempotency key refused with 409 while the first one runs.
pub const IDEMPOTENCY_CONFLICTS: &str = "presale_idempotency_conflicts_total";

/// The route label of a request that matched no route (bounded, unlike its path).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Whether this process records metrics: set once its recorder is installed
/// ([`recording_started`]); until then a request's route is not even matched for them.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Says that the process's recorder is installed: requests are counted from now on.
pub fn recording_started() {
    RECORDING.store(true, Ordering::Relaxed);
}

/// Whether requests are counted (see [`recording_started`]).
pub(crate) fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}

/// Renders the metrics in Prometheus' text exposition format (the process's recorder, with
/// gauges sampled now).
pub type MetricsText = Arc<dyn Fn() -> String + Send + Sync>;

/// `GET /metrics`: the text exposition format. No credential: bind it to an address of its
/// own (or turn it off) where the API's address is public.
pub async fn metrics_endpoint(text: web::Data<MetricsText>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body((text.get_ref())())
}

/// Mounts `GET /metrics` showing `text`.
pub fn configure_metrics(text: MetricsText) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(text))
            .route("/metrics", web::get().to(metrics_endpoint));
    }
}

/// Records one answered request. The counter and histogram of each (route, method, status
/// class) are looked up in the recorder once per worker thread and kept, so that a request
/// costs two atomic updates, not a registry lookup with a new key.
pub(crate) fn record_request(
    route: Option<Arc<str>>,
    method: &Method,
    status: StatusCode,
    took: Duration,
) {
    type Series = (Option<Arc<str>>, &'static str, &'static str);
    thread_local! {
        static HANDLES: RefCell<HashMap<Series, (Counter, Histogram)>> =
            RefCell::new(HashMap::new());
    }
    let series = (route, method_label(method), status_class(status));
    HANDLES.with(|handles| {
        let mut handles = handles.borrow_mut();
        let (counter, histogram) =
            handles
                .entry(series)
                .or_insert_with_key(|(route, method, status)| {
                    let route = route.as_deref().unwrap_or(UNMATCHED_ROUTE).to_owned();
                    let labels = [
                        ("route", route),
                        ("method", (*method).to_owned()),
                        ("status", (*status).to_owned()),
                    ];
                    (
                        metrics::counter!(HTTP_REQUESTS, &labels),
                        metrics::histogram!(HTTP_DURATION, &labels),
                    )
                });
        counter.increment(1);
        histogram.record(took.as_secs_f64());
    });
}

/// The method, among the ones HTTP defines (anything else is `other`: a label set stays
/// bounded whatever clients send).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records a lookup of the kept answers.
pub(crate) fn answers_cache(hit: bool) {
    let name = if hit { CACHE_HITS } else { CACHE_MISSES };
    metrics::counter!(name, "cache" => "answers").increment(1);
}

/// Records a kept answer found outdated.
pub(crate) fn answers_invalidated() {
    metrics::counter!(CACHE_INVALIDATIONS, "cache" => "answers").increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").map(|m| method_label(&m));
        assert_eq!(odd.ok(), Some("other"));
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(status_class(StatusCode::CREATED), "2xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}
