//! Kept answers and cached credentials (`cache_ms`, `credential_cache_ms`): served from
//! memory while nothing of their organizer changes. Every change is learnt from the database
//! itself, whoever made it: a write through this server before it answers, another server
//! process on the same database or plain SQL within milliseconds (the tests poll for up to
//! 5 s, with TTLs of 10 minutes, so only the change can explain what they see). A change to
//! one organizer keeps another's answers (counted in statements: a kept answer runs none).

use actix_web::http::Method;
use presale_storage_diesel::PoolOptions;
use presale_tests::{texts, Backend, Options, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};

/// Starts the app with the given TTL for answers and credentials, or `None` when PostgreSQL
/// tests are skipped.
async fn app_with_ttl(backend: Backend, ttl: Duration) -> Option<TestApp> {
    let defaults = Options::default();
    let options = Options {
        pool: PoolOptions {
            cache_ttl: ttl,
            ..defaults.pool
        },
        http: presale_http_actix::HttpOptions {
            answer_ttl: ttl,
            ..defaults.http
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

const LONG: Duration = Duration::from_secs(600);

with_ttl_on_both_backends!(
    plain_sql_is_seen: LONG,
    a_token_deactivated_by_plain_sql_is_refused: LONG,
    another_process_is_seen: LONG,
    another_organizers_writes_keep_the_answers: LONG,
    past_the_ttl_the_kept_answer_is_served_and_computed_again_in_the_background:
        Duration::from_secs(1),
    zero_ttl_reads_the_credential_every_time: Duration::ZERO,
    api_writes_are_seen_at_once: LONG,
    a_kept_answer_is_served_until_a_write: LONG,
    answers_are_kept_per_credential_and_host: LONG,
    zero_ttl_keeps_no_answer: Duration::ZERO,
);

/// Deactivates every token with plain SQL on a connection of its own, as an operator would.
fn deactivate_tokens_elsewhere(app: &TestApp) {
    app.sql_elsewhere("UPDATE api_tokens SET active = FALSE");
}

async fn assert_inactive(app: &TestApp, token: &str) {
    let resp = app.get("/api/v1/organizers/", token).await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.json(), json!({"detail": "Token inactive or deleted."}));
}

/// GETs `path` until `done` holds for the answer, for up to 5 s; the last answer.
async fn eventually(
    app: &TestApp,
    path: &str,
    token: &str,
    done: impl Fn(&presale_tests::Response) -> bool,
) -> presale_tests::Response {
    until(|| app.get(path, token), done).await
}

/// GETs `path` until its answer is served from memory (no statement runs), for up to 5 s:
/// the announcements of the setup's own writes, learnt already, may still arrive and drop
/// what was kept after them. The kept answer.
async fn kept(app: &TestApp, path: &str, token: &str) -> presale_tests::Response {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (run, resp) = statements(app, app.get(path, token)).await;
        if run == 0 {
            return resp;
        }
        assert!(Instant::now() < deadline, "{path} is never kept");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Statements the app's pool runs while `f` runs.
async fn statements<T>(app: &TestApp, f: impl std::future::Future<Output = T>) -> (u64, T) {
    let before = app.db.queries_run();
    let out = f.await;
    (app.db.queries_run() - before, out)
}

async fn plain_sql_is_seen(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    let first = kept(&app, EVENTS, &token).await;
    assert_eq!(slugs(&first.json()), ["one"]);
    app.sql_elsewhere("UPDATE events SET slug = 'renamed'");
    let seen = eventually(&app, EVENTS, &token, |r| slugs(&r.json()) == ["renamed"]).await;
    assert_eq!(slugs(&seen.json()), ["renamed"]);
}

async fn a_token_deactivated_by_plain_sql_is_refused(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    assert_eq!(kept(&app, "/api/v1/organizers/", &token).await.status, 200);
    deactivate_tokens_elsewhere(&app);
    eventually(&app, "/api/v1/organizers/", &token, |r| r.status == 401).await;
    assert_inactive(&app, &token).await;
}

async fn another_process_is_seen(app: TestApp) {
    let other = app.another_process();
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    let detail = "/api/v1/organizers/bigevents/events/one/";
    assert_eq!(
        app.get(detail, &token).await.json()["name"],
        json!({"en": "one"})
    );

    // A change of data through the other process.
    let renamed = json!({"name": {"en": "Renamed"}});
    let resp = other
        .send_json(Method::PATCH, detail, &token, &renamed)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = eventually(&app, detail, &token, |r| {
        r.json()["name"] == json!({"en": "Renamed"})
    })
    .await;
    assert_eq!(seen.json()["name"], json!({"en": "Renamed"}));

    // A team's permission withdrawn through the other process.
    let listed = app
        .get("/api/v1/organizers/bigevents/teams/", &token)
        .await
        .json();
    let team = listed["results"][0]["id"].as_i64().unwrap();
    let teams = format!("/api/v1/organizers/bigevents/teams/{team}/");
    let withdrawn = json!({"can_change_event_settings": false});
    let resp = other
        .send_json(Method::PATCH, &teams, &token, &withdrawn)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let again = json!({"name": {"en": "Again"}});
    let refused = until(
        || app.send_json(Method::PATCH, detail, &token, &again),
        |r| r.status == 403,
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.text());

    // A device revoked through the other process.
    let devices = "/api/v1/organizers/bigevents/devices/";
    let body = json!({"name": "Scanner", "all_events": true, "limit_events": [], "security_profile": "full"});
    let device = app.send_json(Method::POST, devices, &token, &body).await;
    assert_eq!(device.status, 201, "{}", device.text());
    let device = device.json();
    let api_token = app.initialize_device(&device["initialization_token"]).await;
    let device_auth = format!("Device {api_token}");
    let headers = [("Authorization", device_auth.as_str())];
    let as_device = || app.request(Method::GET, "/api/v1/device/info", &headers, None);
    assert_eq!(as_device().await.status, 200);
    // The device revokes itself through the other process.
    let resp = other
        .request(Method::POST, "/api/v1/device/revoke", &headers, None)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let refused = until(as_device, |r| r.status == 401).await;
    assert_eq!(refused.status, 401, "{}", refused.text());

    // A token deactivated through the other process.
    let tokens = format!("/api/v1/organizers/bigevents/teams/{team}/tokens/");
    let listed = app.get(&tokens, &token).await.json();
    let id = listed["results"][0]["id"].as_i64().unwrap();
    let deactivate = format!("{tokens}{id}/");
    let resp = other.delete(&deactivate, &token).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    eventually(&app, "/api/v1/organizers/", &token, |r| r.status == 401).await;
    assert_inactive(&app, &token).await;
}

/// Sends the request of `send` until `done` holds for the answer, for up to 5 s; the last
/// answer.
async fn until<F, Fut>(
    send: F,
    done: impl Fn(&presale_tests::Response) -> bool,
) -> presale_tests::Response
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = presale_tests::Response>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let resp = send().await;
        if done(&resp) || Instant::now() > deadline {
            return resp;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn another_organizers_writes_keep_the_answers(app: TestApp) {
    let a = app.organizer_with_token("alpha").await;
    let b = app.organizer_with_token("beta").await;
    let alpha = "/api/v1/organizers/alpha/events/";
    let beta = "/api/v1/organizers/beta/events/";
    let event = json!({"name": {"en": "E"}, "slug": "e", "date_from": "2030-01-01T10:00:00Z"});
    for (path, token) in [(alpha, &a), (beta, &b)] {
        let resp = app.send_json(Method::POST, path, token, &event).await;
        assert_eq!(resp.status, 201, "{}", resp.text());
    }
    let first = kept(&app, alpha, &a).await;
    assert_eq!(slugs(&first.json()), ["e"]);

    // Beta writes, through this process and by plain SQL: alpha's answer stays kept.
    let renamed = json!({"name": {"en": "Renamed"}});
    let resp = app
        .send_json(
            Method::PATCH,
            "/api/v1/organizers/beta/events/e/",
            &b,
            &renamed,
        )
        .await;
    assert_eq!(resp.status, 200);
    app.sql_elsewhere(
        "UPDATE events SET location = 'x' WHERE organizer_id = (SELECT id FROM organizers WHERE slug = 'beta')",
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (run, kept) = statements(&app, app.get(alpha, &a)).await;
    assert_eq!((run, kept.body), (0, first.body), "alpha's answer is kept");

    // Alpha writes: its answer is computed again.
    app.sql_elsewhere(
        "UPDATE events SET slug = 'f' WHERE organizer_id = (SELECT id FROM organizers WHERE slug = 'alpha')",
    );
    let seen = eventually(&app, alpha, &a, |r| slugs(&r.json()) == ["f"]).await;
    assert_eq!(slugs(&seen.json()), ["f"]);
}

async fn past_the_ttl_the_kept_answer_is_served_and_computed_again_in_the_background(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    let first = kept(&app, EVENTS, &token).await;
    assert_eq!(slugs(&first.json()), ["one"]);

    // Past the TTL: this request still gets the kept answer, byte for byte, while the page
    // is computed again behind it...
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let kept = app.get(EVENTS, &token).await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.body, first.body);
    // ...and kept from then on.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (run, again) = statements(&app, app.get(EVENTS, &token)).await;
    assert_eq!((run, again.body), (0, first.body));
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
    texts(body, "/slug")
}

async fn a_kept_answer_is_served_until_a_write(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    let first = app.get(EVENTS, &token).await;
    assert_eq!(first.status, 200);
    assert_eq!(slugs(&first.json()), ["one"]);

    // Served from memory, byte for byte, without a statement.
    let kept = kept(&app, EVENTS, &token).await;
    assert_eq!(kept.status, 200);
    assert_eq!(
        kept.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(kept.body, first.body);

    // A write through the server drops it before the write is answered.
    create_event(&app, &token, "two").await;
    assert_eq!(slugs(&app.get(EVENTS, &token).await.json()), ["one", "two"]);
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

/// The connection that listens for changes is killed: no kept answer outlives a change made
/// while nobody listened, and the process listens again by itself and keeps answers again.
#[actix_web::test]
async fn a_lost_listener_serves_nothing_stale_and_recovers() {
    let Some(app) = app_with_ttl(Backend::Postgres, LONG).await else {
        return;
    };
    let token = app.organizer_with_token("bigevents").await;
    create_event(&app, &token, "one").await;
    assert_eq!(slugs(&kept(&app, EVENTS, &token).await.json()), ["one"]);
    let kill = format!(
        "SELECT CAST(pg_terminate_backend(pid) AS TEXT) AS v FROM pg_stat_activity \
         WHERE application_name = '{}' AND datname = current_database()",
        presale_storage_diesel::LISTENER_NAME
    );
    // Killed, and changed while it is gone: the change is never announced to this process.
    assert_eq!(app.texts(&kill), [Some("true".to_owned())], "one listener");
    app.sql_elsewhere("UPDATE events SET slug = 'renamed'");
    let seen = eventually(&app, EVENTS, &token, |r| slugs(&r.json()) == ["renamed"]).await;
    assert_eq!(slugs(&seen.json()), ["renamed"]);
    // Listening again: ready without a word, and answers are kept again.
    let ready = eventually(&app, "/readyz", &token, |r| {
        r.json() == json!({"status": "ok"})
    })
    .await;
    assert_eq!(ready.json(), json!({"status": "ok"}));
    assert_eq!(slugs(&kept(&app, EVENTS, &token).await.json()), ["renamed"]);
    app.sql_elsewhere("UPDATE events SET slug = 'again'");
    let seen = eventually(&app, EVENTS, &token, |r| slugs(&r.json()) == ["again"]).await;
    assert_eq!(slugs(&seen.json()), ["again"]);
}
