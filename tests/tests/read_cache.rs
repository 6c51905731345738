#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! The read cache (`cache_ms`): credentials, organizers, sales channels and whole `GET`
//! answers are served from memory for a short time; writes through the server drop them at
//! once, writes behind its back (another process, plain SQL) are seen within the TTL.

use actix_web::http::Method;
use presale_storage_diesel::PoolOptions;
use presale_tests::{Backend, Options, TestApp};
use serde_json::json;
use std::time::Duration;

/// Starts the app with the given cache TTL, or `None` when PostgreSQL tests are skipped.
async fn app_with_ttl(backend: Backend, ttl: Duration) -> Option<TestApp> {
    let defaults = Options::default();
    let options = Options {
        pool: PoolOptions {
            cache_ttl: ttl,
            ..defaults.pool
        },
        ..defaults
    };
    TestApp::start_with(backend, options).await
}

macro_rules! with_ttl_on_both_backends {
    ($($name:ident: $ttl:expr),+ $(,)?) => {$(
        mod $name {
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let app = app_with_ttl(Backend::Sqlite, $ttl).await;
                super::$name(app.expect("sqlite always runs")).await;
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(app) = app_with_ttl(Backend::Postgres, $ttl).await {
                    super::$name(app).await;
                }
            }
        }
    )+};
}

with_ttl_on_both_backends!(
    a_write_behind_the_servers_back_is_served_from_the_cache_until_dropped: Duration::from_secs(600),
    a_write_behind_the_servers_back_is_seen_after_twice_the_ttl: Duration::from_millis(300),
    past_the_ttl_the_kept_answer_is_served_and_computed_again_in_the_background:
        Duration::from_secs(1),
    a_credential_revoked_behind_the_servers_back_drops_the_kept_answer: Duration::from_millis(500),
    zero_ttl_reads_the_credential_every_time: Duration::ZERO,
    api_writes_are_seen_at_once: Duration::from_secs(600),
    a_kept_answer_is_served_until_a_write: Duration::from_secs(600),
    answers_are_kept_per_credential_and_host: Duration::from_secs(600),
    zero_ttl_keeps_no_answer: Duration::ZERO,
);

/// Deactivates every token with plain SQL on a connection of its own, as another process
/// would (unlike `TestApp::sql`, this leaves the server's cache alone).
fn deactivate_tokens_elsewhere(app: &TestApp) {
    app.sql_elsewhere("UPDATE api_tokens SET active = FALSE");
}

async fn assert_inactive(app: &TestApp, token: &str) {
    let resp = app.get("/api/v1/organizers/", token).await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.json(), json!({"detail": "Token inactive or deleted."}));
}

async fn a_write_behind_the_servers_back_is_served_from_the_cache_until_dropped(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    assert_eq!(app.get("/api/v1/organizers/", &token).await.status, 200);
    deactivate_tokens_elsewhere(&app);
    // Still the cached credential: this is what the TTL allows.
    assert_eq!(app.get("/api/v1/organizers/", &token).await.status, 200);
    app.db.invalidate_cache();
    assert_inactive(&app, &token).await;
}

async fn a_write_behind_the_servers_back_is_seen_after_twice_the_ttl(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    assert_eq!(app.get("/api/v1/organizers/", &token).await.status, 200);
    deactivate_tokens_elsewhere(&app);
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_inactive(&app, &token).await;
}

async fn past_the_ttl_the_kept_answer_is_served_and_computed_again_in_the_background(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    let first = app.get(EVENTS, &token).await;
    assert_eq!(slugs(&first.json()), ["one"]);
    app.sql_elsewhere("UPDATE events SET slug = 'renamed'");

    // Past the TTL: this request still gets the kept answer, byte for byte...
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let kept = app.get(EVENTS, &token).await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.body, first.body);

    // ...while the page is computed again behind it and kept from then on: renamed once
    // more right after, the page still shows the name it had when it was computed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.sql_elsewhere("UPDATE events SET slug = 'again'");
    assert_eq!(slugs(&app.get(EVENTS, &token).await.json()), ["renamed"]);
}

async fn a_credential_revoked_behind_the_servers_back_drops_the_kept_answer(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let first = app.get("/api/v1/organizers/", &token).await;
    assert_eq!(first.status, 200);
    deactivate_tokens_elsewhere(&app);
    tokio::time::sleep(Duration::from_millis(550)).await;
    // Past the TTL the kept answer is served once more; computing it again meets the
    // inactive token, and the answer is dropped rather than kept.
    assert_eq!(
        app.get("/api/v1/organizers/", &token).await.body,
        first.body
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_inactive(&app, &token).await;
}

async fn zero_ttl_reads_the_credential_every_time(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    assert_eq!(app.get("/api/v1/organizers/", &token).await.status, 200);
    deactivate_tokens_elsewhere(&app);
    assert_inactive(&app, &token).await;
}

async fn api_writes_are_seen_at_once(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let event =
        json!({"name": {"en": "Conference"}, "slug": "conf", "date_from": "2030-01-01T10:00:00Z"});
    let resp = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/bigevents/events/",
            &token,
            &event,
        )
        .await;
    assert_eq!(resp.status, 201);
    let detail = "/api/v1/organizers/bigevents/events/conf/";
    assert_eq!(
        app.get(detail, &token).await.json()["sales_channels"],
        json!(["web"])
    );

    // A new sales channel shows in the legacy `sales_channels` of the next answer.
    let channel = json!({"identifier": "api.box", "label": {"en": "Box office"}, "position": 3});
    let resp = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/bigevents/saleschannels/",
            &token,
            &channel,
        )
        .await;
    assert_eq!(resp.status, 201);
    assert_eq!(
        app.get(detail, &token).await.json()["sales_channels"],
        json!(["api.box", "web"])
    );

    // An organizer plugin enabled through the API can be used by the next request.
    let plugins = json!({"plugins": ["pretix.plugins.banktransfer"]});
    let resp = app
        .send_json(
            Method::PATCH,
            "/api/v1/organizers/bigevents/",
            &token,
            &plugins,
        )
        .await;
    assert_eq!(resp.status, 200);
    let resp = app.send_json(Method::PATCH, detail, &token, &plugins).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.json()["plugins"],
        json!(["pretix.plugins.banktransfer"])
    );
}

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";

async fn create_event(app: &TestApp, token: &str, slug: &str) {
    let event = json!({"name": {"en": slug}, "slug": slug, "date_from": "2030-01-01T10:00:00Z"});
    let resp = app.send_json(Method::POST, EVENTS, token, &event).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
}

fn slugs(body: &serde_json::Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_kept_answer_is_served_until_a_write(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    let first = app.get(EVENTS, &token).await;
    assert_eq!(first.status, 200);
    assert_eq!(slugs(&first.json()), ["one"]);

    // Renamed behind the server's back: the kept answer is still served, byte for byte.
    app.sql_elsewhere("UPDATE events SET slug = 'renamed'");
    let kept = app.get(EVENTS, &token).await;
    assert_eq!(kept.status, 200);
    assert_eq!(
        kept.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(kept.body, first.body);

    // Any write through the server drops it.
    create_event(&app, &token, "two").await;
    assert_eq!(
        slugs(&app.get(EVENTS, &token).await.json()),
        ["renamed", "two"]
    );
}

async fn answers_are_kept_per_credential_and_host(app: TestApp) {
    use presale::admin::EventSelection;
    use presale_domain::access::PermissionSet;
    let admin = app.organizer_with_token("bigevents").await;
    create_event(&app, &admin, "open").await;
    create_event(&app, &admin, "closed").await;
    app.team(
        "bigevents",
        "Door",
        PermissionSet::none(),
        EventSelection::Slugs(vec!["open".into()]),
    )
    .await;
    let door = app.token("bigevents", "Door").await;

    assert_eq!(
        slugs(&app.get(EVENTS, &admin).await.json()),
        ["closed", "open"]
    );
    // The same URL right after, with a token limited to one event: its own answer.
    assert_eq!(slugs(&app.get(EVENTS, &door).await.json()), ["open"]);

    // Links follow the host of each request, kept or not.
    for host in ["a.example", "b.example", "a.example"] {
        let auth = format!("Token {admin}");
        let resp = app
            .request(
                Method::GET,
                "/api/v1/organizers/bigevents/events/open/",
                &[("Authorization", &auth), ("Host", host)],
                None,
            )
            .await;
        assert_eq!(
            resp.json()["public_url"],
            json!(format!("http://{host}/bigevents/open/"))
        );
    }
}

async fn zero_ttl_keeps_no_answer(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    assert_eq!(slugs(&app.get(EVENTS, &token).await.json()), ["one"]);
    app.sql_elsewhere("UPDATE events SET slug = 'renamed'");
    assert_eq!(slugs(&app.get(EVENTS, &token).await.json()), ["renamed"]);
}
