#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! `GET /metrics` end to end. A test binary of its own: the recorder is the process's, so no
//! other test's requests may count here. The backends run one after the other in one test,
//! and every figure is checked as the difference between two scrapes.

use actix_web::http::Method;
use presale_tests::{Backend, Options, TestApp};
use serde_json::json;
use std::collections::HashMap;

const EVENTS_ROUTE: &str = "/api/v1/organizers/{organizer}/events/";

/// Every sample of a scrape: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let resp = app.request(Method::GET, "/metrics", &[], None).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    samples(&resp.text())
}

fn delta(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    let was = before.get(series).copied().unwrap_or(0.0);
    let now = after
        .get(series)
        .copied()
        .unwrap_or_else(|| panic!("no sample {series}"));
    now - was
}

fn requests(route: &str, method: &str, status: &str) -> String {
    format!(r#"presale_http_requests_total{{route="{route}",method="{method}",status="{status}"}}"#)
}

async fn scenario(backend: Backend) {
    let options = Options {
        metrics: true,
        ..Options::default()
    };
    let Some(app) = TestApp::start_with(backend, options).await else {
        eprintln!("SKIPPED: PostgreSQL (TEST_DATABASE_URL is not set)");
        return;
    };
    let token = app.organizer_with_token("bigevents").await;
    app.create_event(&token, "bigevents", "qzevent", false)
        .await;
    let before = scrape(&app).await;

    // The same list twice: worked out once, then served from memory.
    for _ in 0..2 {
        let resp = app
            .get("/api/v1/organizers/bigevents/events/", &token)
            .await;
        assert_eq!(resp.status, 200);
    }
    // A path no route matches.
    assert_eq!(app.get("/api/v1/nowhere/", &token).await.status, 404);
    // A write sent twice with one idempotency key: the second is the stored answer.
    let auth = format!("Token {token}");
    let secrets = json!([{"secret": "a"}, {"secret": "b"}, {"secret": "c"}]);
    let bytes = secrets.to_string();
    for _ in 0..2 {
        let resp = app
            .request(
                Method::POST,
                "/api/v1/organizers/bigevents/events/qzevent/imported_secrets/bulk_create/",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                    ("X-Idempotency-Key", "metrics-1"),
                ],
                Some(bytes.as_bytes()),
            )
            .await;
        assert_eq!(resp.status, 201, "{}", resp.text());
    }
    let after = scrape(&app).await;

    let events = requests(EVENTS_ROUTE, "GET", "2xx");
    assert_eq!(delta(&before, &after, &events), 2.0);
    let duration = format!(
        r#"presale_http_request_duration_seconds_count{{route="{EVENTS_ROUTE}",method="GET",status="2xx"}}"#
    );
    assert_eq!(delta(&before, &after, &duration), 2.0);
    assert_eq!(
        delta(&before, &after, &requests("unmatched", "GET", "4xx")),
        1.0
    );
    let bulk = "/api/v1/organizers/{organizer}/events/{event}/imported_secrets/bulk_create/";
    assert_eq!(delta(&before, &after, &requests(bulk, "POST", "2xx")), 2.0);
    for (series, expected) in [
        (r#"presale_cache_misses_total{cache="answers"}"#, 1.0),
        (r#"presale_cache_hits_total{cache="answers"}"#, 1.0),
        ("presale_idempotency_replays_total", 1.0),
        ("presale_imported_secrets_written_total", 3.0),
    ] {
        assert_eq!(delta(&before, &after, series), expected, "{series}");
    }
    // The writes changed the organizer: the token kept before them was found outdated.
    for series in [
        r#"presale_cache_hits_total{cache="credentials"}"#,
        r#"presale_cache_misses_total{cache="credentials"}"#,
        r#"presale_cache_invalidations_total{cache="credentials"}"#,
    ] {
        assert!(delta(&before, &after, series) >= 1.0, "{series}");
    }
    assert_eq!(after["presale_db_pool_size"], 4.0);
    // The scrape itself holds no connection.
    assert_eq!(after["presale_db_pool_in_use"], 0.0);
    assert!(delta(&before, &after, "presale_db_pool_wait_seconds_count") >= 4.0);
    // No label names an organizer, an event, a token or a secret.
    let text = app.request(Method::GET, "/metrics", &[], None).await.text();
    for private in ["bigevents", "qzevent", token.as_str(), "metrics-1"] {
        assert!(!text.contains(private), "{private} in the metrics");
    }
}

#[actix_web::test]
async fn metrics_count_what_happened_on_both_backends() {
    scenario(Backend::Sqlite).await;
    scenario(Backend::Postgres).await;
}
