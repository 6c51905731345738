//! Idempotency keys (docs/api-compatibility.md) over real HTTP on both databases: replay of the stored
//! status, headers and body, 409 while the first request runs (also from a second server on
//! the same PostgreSQL), no storing of 5xx, credentials kept apart and stored as hashes,
//! expiry.

use actix_web::http::Method;
use presale_domain::idempotency::Sha256Hash;
use presale_storage_diesel::{Database, PoolOptions};
use presale_tests::{both_backends, Backend, Response, TestApp};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

both_backends!(
    event_creation_is_replayed,
    replay_keeps_status_and_headers,
    concurrent_duplicate_gets_409,
    server_errors_are_not_stored,
    credentials_are_independent_and_stored_as_hashes,
    untracked_requests_are_not_stored,
    expired_keys_execute_again_and_are_purged,
    credentials_are_never_replayed_to_others,
);

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const CONCURRENT: &str = r#"{"detail": "Concurrent request with idempotency key."}"#;

fn event(slug: &str) -> Value {
    json!({"name": "x", "slug": slug, "date_from": "2030-01-01T10:00:00Z"})
}

/// A JSON request with a token and an idempotency key.
async fn keyed(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Response {
    let auth = format!("Token {token}");
    let bytes = body.to_string();
    app.request(
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("X-Idempotency-Key", key),
        ],
        Some(bytes.as_bytes()),
    )
    .await
}

fn count(app: &TestApp, table: &str, filter: &str) -> i64 {
    let sql = format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM {table} WHERE {filter}");
    app.texts(&sql)[0].as_deref().unwrap().parse().unwrap()
}

fn events_named(app: &TestApp, slug: &str) -> i64 {
    count(app, "events", &format!("slug = '{slug}'"))
}

async fn event_creation_is_replayed(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let first = keyed(&app, Method::POST, EVENTS, &token, "create-x", &event("x")).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let second = keyed(&app, Method::POST, EVENTS, &token, "create-x", &event("x")).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body, first.body);
    assert_eq!(
        second.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(events_named(&app, "x"), 1);
    // The key, not the request, decides: another body (or path) with it gets the same answer.
    let third = keyed(&app, Method::POST, EVENTS, &token, "create-x", &event("y")).await;
    assert_eq!((third.status, &third.body), (201, &first.body));
    assert_eq!(events_named(&app, "y"), 0);
    // Without the key, the same request executes again (and fails: the slug is taken).
    let again = app
        .send_json(Method::POST, EVENTS, &token, &event("x"))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(count(&app, "events", "1 = 1"), 1);
}

async fn replay_keeps_status_and_headers(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    // A 405 with its Allow header.
    let teams = "/api/v1/organizers/bigevents/teams/";
    for _ in 0..2 {
        let resp = keyed(&app, Method::PUT, teams, &token, "k405", &json!({})).await;
        assert_eq!(resp.status, 405);
        assert_eq!(resp.text(), r#"{"detail":"Method \"PUT\" not allowed."}"#);
        assert_eq!(resp.header("allow").as_deref(), Some("GET, POST, HEAD"));
        assert_eq!(
            resp.header("content-type").as_deref(),
            Some("application/json")
        );
    }
    // A 301 with its Location (DELETE without the trailing slash).
    let auth = format!("Token {token}");
    for _ in 0..2 {
        let resp = app
            .request(
                Method::DELETE,
                "/api/v1/organizers/bigevents/teams/1?x=1",
                &[("Authorization", &auth), ("X-Idempotency-Key", "k301")],
                None,
            )
            .await;
        assert_eq!(resp.status, 301);
        assert_eq!(
            resp.header("location").as_deref(),
            Some("/api/v1/organizers/bigevents/teams/1/?x=1")
        );
    }
    // A 400 stays a 400, even though the repeat's body would pass.
    let bad = keyed(&app, Method::POST, teams, &token, "k400", &json!({})).await;
    assert_eq!(bad.status, 400);
    let repeat = keyed(
        &app,
        Method::POST,
        teams,
        &token,
        "k400",
        &json!({"name": "x", "limit_events": []}),
    )
    .await;
    assert_eq!((repeat.status, repeat.body), (400, bad.body));
    // A 204 without a body, replayed as such after the team is gone.
    let created = keyed(
        &app,
        Method::POST,
        teams,
        &token,
        "k201",
        &json!({"name": "x", "limit_events": []}),
    )
    .await;
    let id = created.json()["id"].clone();
    let path = format!("{teams}{id}/");
    for _ in 0..2 {
        let resp = app
            .request(
                Method::DELETE,
                &path,
                &[("Authorization", &auth), ("X-Idempotency-Key", "k204")],
                None,
            )
            .await;
        assert_eq!((resp.status, resp.body.len()), (204, 0));
    }
    let resp = app.delete(&path, &token).await;
    assert_eq!(resp.status, 404);
    // A bad credential is not tracked: its 401 is answered afresh each time, never stored.
    for _ in 0..2 {
        let resp = keyed(&app, Method::POST, EVENTS, "nope", "k401", &event("z")).await;
        assert_eq!(
            (resp.status, resp.header("www-authenticate").as_deref()),
            (401, Some("Token"))
        );
    }
    assert_eq!(count(&app, "idempotency_keys", "response_status = 401"), 0);
}

/// Sends the head and the first bytes of a keyed POST on a raw connection and returns the
/// connection and the rest of the body, so that the request stays in flight (the middleware
/// has claimed the key; the handler waits for its body) until the caller sends the rest.
fn start_slow_post(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (TcpStream, Vec<u8>) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.to_string().into_bytes();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Token {token}\r\n\
         X-Idempotency-Key: {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..3]).unwrap();
    stream.flush().unwrap();
    (stream, body[3..].to_vec())
}

/// Sends the rest of the body and reads the whole response: status and body.
fn finish_slow_post(mut stream: TcpStream, rest: &[u8]) -> (u16, Vec<u8>) {
    stream.write_all(rest).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("response");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[split..].to_vec())
}

/// Waits until the store holds `n` keys in flight (letting this thread's tasks run).
async fn wait_in_flight(app: &TestApp, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(app, "idempotency_keys", "response_status IS NULL") != n {
        assert!(Instant::now() < deadline, "not {n} keys in flight");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn concurrent_duplicate_gets_409(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let (stream, rest) = start_slow_post(&app, EVENTS, &token, "slow", &event("x"));
    wait_in_flight(&app, 1).await;

    let dup = keyed(&app, Method::POST, EVENTS, &token, "slow", &event("x")).await;
    assert_eq!((dup.status, dup.text().as_str()), (409, CONCURRENT));
    assert_eq!(dup.header("retry-after").as_deref(), Some("5"));
    assert_eq!(
        dup.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(events_named(&app, "x"), 0, "the duplicate did not execute");
    // Another key of the same credential is not held up.
    let other = keyed(&app, Method::POST, EVENTS, &token, "other", &event("y")).await;
    assert_eq!(other.status, 201);

    let (status, body) = finish_slow_post(stream, &rest);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    // The retry the 409 asked for gets the first request's answer.
    let retry = keyed(&app, Method::POST, EVENTS, &token, "slow", &event("x")).await;
    assert_eq!((retry.status, retry.body), (201, body));
    assert_eq!(events_named(&app, "x"), 1);
    wait_in_flight(&app, 0).await;
}

/// Two servers (as two processes would be) on one PostgreSQL database: the first request is
/// held by a table lock the test takes on `events`; the duplicate, sent to the other server,
/// gets 409; once the lock is released both end with the one event.
#[actix_web::test]
async fn concurrent_duplicate_on_another_server_gets_409_postgres() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let token = app.organizer_with_token("bigevents").await;
    let second_db =
        Database::open(app.testdb.url().clone(), PoolOptions::default()).expect("second pool");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let second_address = format!("http://{}", listener.local_addr().unwrap());
    let server =
        presale::server::start(&second_db, Default::default(), listener, Some(1), None).unwrap();
    let second_handle = server.handle();
    actix_web::rt::spawn(server);

    let mut holder = diesel::pg::PgConnection::establish(&app.testdb.url_string()).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE events IN EXCLUSIVE MODE;")
        .unwrap();
    let first = {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let url = app.url(EVENTS);
        let token = token.clone();
        actix_web::rt::spawn(async move {
            let mut resp = client
                .post(url)
                .insert_header(("Authorization", format!("Token {token}")))
                .insert_header(("X-Idempotency-Key", "locked"))
                .insert_header(("Content-Type", "application/json"))
                .send_body(event("x").to_string())
                .await
                .expect("first request");
            (
                resp.status().as_u16(),
                resp.body().await.expect("body").to_vec(),
            )
        })
    };
    wait_in_flight(&app, 1).await;

    let client = awc::Client::default();
    let dup = |client: awc::Client| {
        let url = format!("{second_address}{EVENTS}");
        let token = token.clone();
        async move {
            let mut resp = client
                .post(url)
                .insert_header(("Authorization", format!("Token {token}")))
                .insert_header(("X-Idempotency-Key", "locked"))
                .insert_header(("Content-Type", "application/json"))
                .send_body(event("x").to_string())
                .await
                .expect("duplicate");
            let retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                resp.status().as_u16(),
                retry_after,
                resp.body().await.unwrap().to_vec(),
            )
        }
    };
    let (status, retry_after, body) = dup(client.clone()).await;
    assert_eq!(
        (
            status,
            retry_after.as_deref(),
            String::from_utf8(body).unwrap().as_str()
        ),
        (409, Some("5"), CONCURRENT)
    );

    holder.batch_execute("COMMIT;").unwrap();
    let (status, first_body) = first.await.unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&first_body));
    let (status, _, body) = dup(client).await;
    assert_eq!((status, body), (201, first_body));
    assert_eq!(events_named(&app, "x"), 1);
    second_handle.stop(false).await;
}

async fn server_errors_are_not_stored(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    // Every event insert fails inside the database: the request answers 500.
    match app.backend {
        Backend::Sqlite => app.sql(
            "CREATE TRIGGER fail_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        ),
        Backend::Postgres => app.sql(
            "CREATE FUNCTION fail_events() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ \
             LANGUAGE plpgsql; \
             CREATE TRIGGER fail_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_events();",
        ),
    }
    let failed = keyed(&app, Method::POST, EVENTS, &token, "retry-me", &event("x")).await;
    assert_eq!(
        (failed.status, failed.text().as_str()),
        (500, r#"{"detail":"Internal server error."}"#)
    );
    // The key was released, not stored.
    assert_eq!(count(&app, "idempotency_keys", "1 = 1"), 0);

    match app.backend {
        Backend::Sqlite => app.sql("DROP TRIGGER fail_events;"),
        Backend::Postgres => app.sql("DROP TRIGGER fail_events ON events;"),
    }
    let retried = keyed(&app, Method::POST, EVENTS, &token, "retry-me", &event("x")).await;
    assert_eq!(retried.status, 201, "{}", retried.text());
    let replayed = keyed(&app, Method::POST, EVENTS, &token, "retry-me", &event("x")).await;
    assert_eq!((replayed.status, replayed.body), (201, retried.body));
    assert_eq!(events_named(&app, "x"), 1);
}

async fn credentials_are_independent_and_stored_as_hashes(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.token("bigevents", "Admins").await;
    let a = keyed(&app, Method::POST, EVENTS, &token, "same", &event("a")).await;
    let b = keyed(&app, Method::POST, EVENTS, &other, "same", &event("b")).await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_ne!(a.body, b.body);
    assert_eq!(events_named(&app, "a") + events_named(&app, "b"), 2);
    // Each credential replays its own answer.
    let a2 = keyed(&app, Method::POST, EVENTS, &token, "same", &event("c")).await;
    let b2 = keyed(&app, Method::POST, EVENTS, &other, "same", &event("c")).await;
    assert_eq!((&a2.body, &b2.body), (&a.body, &b.body));
    // The key belongs to the verified credential, not to the header's spelling.
    let auth = format!("token {token}");
    let body = event("d").to_string();
    let resp = app
        .request(
            Method::POST,
            EVENTS,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                ("X-Idempotency-Key", "same"),
            ],
            Some(body.as_bytes()),
        )
        .await;
    assert_eq!((resp.status, resp.body), (201, a.body));

    let stored = app.texts("SELECT credential_hash AS v FROM idempotency_keys ORDER BY id");
    let expected: Vec<_> = app
        .texts("SELECT CAST(id AS TEXT) AS v FROM api_tokens ORDER BY id")
        .into_iter()
        .flatten()
        .map(|id| Some(Sha256Hash::of(format!("token:{id}").as_bytes()).to_hex()))
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(
        count(
            &app,
            "idempotency_keys",
            &format!("key_hash = '{}'", Sha256Hash::of(b"same").to_hex())
        ),
        2
    );
}

async fn untracked_requests_are_not_stored(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    // GET and HEAD with a key.
    for method in [Method::GET, Method::HEAD] {
        let resp = app
            .request(
                method,
                EVENTS,
                &[("Authorization", &auth), ("X-Idempotency-Key", "g")],
                None,
            )
            .await;
        assert_eq!(resp.status, 200);
    }
    // Without a credential: executed every time.
    let body = event("x").to_string();
    for _ in 0..2 {
        let resp = app
            .request(
                Method::POST,
                EVENTS,
                &[
                    ("Content-Type", "application/json"),
                    ("X-Idempotency-Key", "anon"),
                ],
                Some(body.as_bytes()),
            )
            .await;
        assert_eq!(resp.status, 401);
    }
    // An empty key.
    let first = keyed(&app, Method::POST, EVENTS, &token, "", &event("x")).await;
    let second = keyed(&app, Method::POST, EVENTS, &token, "", &event("x")).await;
    assert_eq!((first.status, second.status), (201, 400));
    // Outside the API.
    let resp = app
        .request(
            Method::POST,
            "/nothing/",
            &[("Authorization", &auth), ("X-Idempotency-Key", "h")],
            None,
        )
        .await;
    assert_eq!(resp.status, 404);
    assert_eq!(count(&app, "idempotency_keys", "1 = 1"), 0);
}

/// `/device/initialize` takes no credential: whatever `Authorization` it carries, an
/// idempotency key does not store its answer (the device's token) for anyone else. An invalid
/// credential is never tracked either.
async fn credentials_are_never_replayed_to_others(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let created = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/bigevents/devices/",
            &token,
            &json!({"name": "Scanner", "all_events": true, "limit_events": []}),
        )
        .await
        .json();
    let init = json!({
        "token": created["initialization_token"], "hardware_brand": "Zebra",
        "hardware_model": "TC25", "software_brand": "pretixSCAN", "software_version": "1.0"
    })
    .to_string();
    let initialize = |authorization: &'static str| {
        let init = init.clone();
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/device/initialize",
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", authorization),
                    ("X-Idempotency-Key", "same"),
                ],
                Some(init.as_bytes()),
            )
            .await
        }
    };
    let first = initialize("Token anything").await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["api_token"].as_str().map(str::len), Some(64));
    let second = initialize("Token anything").await;
    assert_eq!(
        (second.status, second.json()),
        (
            400,
            json!({"token": ["This initialization token has already been used."]})
        )
    );
    // A team token that does not exist: executed (and refused) every time, nothing kept.
    for _ in 0..2 {
        let resp = keyed(&app, Method::POST, EVENTS, "0000bogus", "k", &event("x")).await;
        assert_eq!(
            (resp.status, resp.text()),
            (401, r#"{"detail":"Invalid token."}"#.to_owned())
        );
    }
    assert_eq!(count(&app, "idempotency_keys", "1 = 1"), 0);
}

async fn expired_keys_execute_again_and_are_purged(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let first = keyed(&app, Method::POST, EVENTS, &token, "old", &event("x")).await;
    assert_eq!(first.status, 201);
    // Both rows (this key, and one of another credential) age past 24 hours. This server
    // purged on its first claim above; its next purge is a minute away, so only the key's
    // own expired row is replaced.
    let aged = "2000-01-01 00:00:00";
    app.sql(&format!(
        "UPDATE idempotency_keys SET created = '{aged}'; \
         INSERT INTO idempotency_keys (credential_hash, key_hash, request_method, request_path, created) \
         VALUES ('c', 'k', 'POST', '/api/', '{aged}');"
    ));
    let again = keyed(&app, Method::POST, EVENTS, &token, "old", &event("x")).await;
    assert_eq!(again.status, 400, "executed again: the slug is taken now");
    assert_eq!(count(&app, "idempotency_keys", "1 = 1"), 2);
    assert_eq!(count(&app, "idempotency_keys", "key_hash = 'k'"), 1);

    // A fresh server purges on its first claim.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let server =
        presale::server::start(&app.db, Default::default(), listener, Some(1), None).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let resp = awc::Client::default()
        .post(format!("{address}{EVENTS}"))
        .insert_header(("Authorization", format!("Token {token}")))
        .insert_header(("X-Idempotency-Key", "new"))
        .insert_header(("Content-Type", "application/json"))
        .send_body(event("y").to_string())
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(count(&app, "idempotency_keys", "key_hash = 'k'"), 0);
    assert_eq!(count(&app, "idempotency_keys", "1 = 1"), 2);
    handle.stop(false).await;
}
