#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! The credential cache (`credential_cache_ms`): credentials, organizers and sales channels
//! are served from memory for a short time; writes through the server drop them at once,
//! writes behind its back (another process, plain SQL) are seen within the TTL.

use actix_web::http::Method;
use presale_storage_diesel::{DbConnection, PoolOptions};
use presale_tests::{Backend, Options, TestApp};
use serde_json::json;
use std::time::Duration;

/// Starts the app with the given cache TTL, or `None` when PostgreSQL tests are skipped.
async fn app_with_ttl(backend: Backend, ttl: Duration) -> Option<TestApp> {
    let defaults = Options::default();
    let options = Options {
        pool: PoolOptions {
            credential_cache_ttl: ttl,
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
    a_write_behind_the_servers_back_is_seen_after_the_ttl: Duration::from_millis(300),
    zero_ttl_reads_the_credential_every_time: Duration::ZERO,
    api_writes_are_seen_at_once: Duration::from_secs(600),
);

/// Deactivates every token with plain SQL on a connection of its own, as another process
/// would (unlike `TestApp::sql`, this leaves the server's cache alone).
fn deactivate_tokens_elsewhere(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    let sql = "UPDATE api_tokens SET active = FALSE";
    match &mut app.testdb.url().connect().expect("connect") {
        DbConnection::Pg(c) => c.batch_execute(sql),
        DbConnection::Sqlite(c) => c.batch_execute(sql),
    }
    .expect("SQL runs");
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

async fn a_write_behind_the_servers_back_is_seen_after_the_ttl(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    assert_eq!(app.get("/api/v1/organizers/", &token).await.status, 200);
    deactivate_tokens_elsewhere(&app);
    tokio::time::sleep(Duration::from_millis(400)).await;
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
    let event = json!({"name": {"en": "Conference"}, "slug": "conf", "date_from": "2030-01-01T10:00:00Z"});
    let resp = app
        .send_json(Method::POST, "/api/v1/organizers/bigevents/events/", &token, &event)
        .await;
    assert_eq!(resp.status, 201);
    let detail = "/api/v1/organizers/bigevents/events/conf/";
    assert_eq!(app.get(detail, &token).await.json()["sales_channels"], json!(["web"]));

    // A new sales channel shows in the legacy `sales_channels` of the next answer.
    let channel = json!({"identifier": "api.box", "label": {"en": "Box office"}, "position": 3});
    let resp = app
        .send_json(Method::POST, "/api/v1/organizers/bigevents/saleschannels/", &token, &channel)
        .await;
    assert_eq!(resp.status, 201);
    assert_eq!(
        app.get(detail, &token).await.json()["sales_channels"],
        json!(["api.box", "web"])
    );

    // An organizer plugin enabled through the API can be used by the next request.
    let plugins = json!({"plugins": ["pretix.plugins.banktransfer"]});
    let resp = app
        .send_json(Method::PATCH, "/api/v1/organizers/bigevents/", &token, &plugins)
        .await;
    assert_eq!(resp.status, 200);
    let resp = app.send_json(Method::PATCH, detail, &token, &plugins).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["plugins"], json!(["pretix.plugins.banktransfer"]));
}
