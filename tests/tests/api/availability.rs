//! A database that goes away answers 503 with a JSON detail (never a panic), `/readyz`
//! follows, and the server recovers by itself when the database is back.

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use presale_storage_diesel::DatabaseUrl;
use presale_tests::{Backend, TestApp};
use serde_json::json;

const UNAVAILABLE: &str = r#"{"detail":"The database is unavailable. Please try again later."}"#;

async fn assert_up(app: &TestApp, token: &str) {
    assert_eq!(app.get("/api/v1/organizers/", token).await.status, 200);
    // Ready at once; without a `detail` once changes are listened for again (retried at
    // least once a second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut ready = app.get("/readyz", token).await;
    while ready.json().get("detail").is_some() && std::time::Instant::now() < deadline {
        assert_eq!(ready.status, 200);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        ready = app.get("/readyz", token).await;
    }
    assert_eq!((ready.status, ready.json()), (200, json!({"status": "ok"})));
}

async fn assert_down(app: &TestApp, token: &str) {
    // Nothing read before the outage is served once the lost connection that listens for
    // changes is noticed (within milliseconds): every cache is suspended.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut resp = app.get("/api/v1/organizers/", token).await;
    while resp.status == 200 && std::time::Instant::now() < deadline {
        resp = app.get("/api/v1/organizers/", token).await;
    }
    assert_eq!((resp.status, resp.text()), (503, UNAVAILABLE.to_owned()));
    assert_eq!(resp.header("retry-after").as_deref(), Some("5"));
    let ready = app.get("/readyz", token).await;
    assert_eq!((ready.status, ready.text()), (503, UNAVAILABLE.to_owned()));
    // The process itself is still up.
    assert_eq!(app.get("/healthz", token).await.status, 200);
}

#[actix_web::test]
async fn postgres_outage_is_503_and_recovers() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let token = app.organizer_with_token("bigevents").await;
    assert_up(&app, &token).await;

    let (admin_url, name) = app.testdb.postgres_admin().expect("postgres database");
    let mut admin = PgConnection::establish(admin_url).expect("admin connection");
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .expect("cut the database off");
    assert_down(&app, &token).await;

    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .expect("let it back");
    assert_up(&app, &token).await;
}

/// SQLite cannot vanish under open connections, but another process can hold its write lock
/// (a backup, a migration): writes then wait `busy_timeout` and answer 503, not 500, write
/// nothing, and succeed again once the lock is released.
#[actix_web::test]
async fn sqlite_write_lock_is_503_and_recovers() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite");
    let token = app.organizer_with_token("bigevents").await;
    assert_up(&app, &token).await;
    let patch = |plugins: serde_json::Value| {
        let app = &app;
        let token = &token;
        async move {
            app.send_json(
                Method::PATCH,
                "/api/v1/organizers/bigevents/",
                token,
                &json!({ "plugins": plugins }),
            )
            .await
        }
    };

    let DatabaseUrl::Sqlite(path) = app.testdb.url() else {
        panic!("not sqlite");
    };
    let mut holder = SqliteConnection::establish(&path.to_string_lossy()).expect("open");
    holder
        .batch_execute(
            "PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; UPDATE organizers SET name = name;",
        )
        .expect("take the write lock");
    let resp = patch(json!(["pretix.plugins.banktransfer"])).await;
    assert_eq!((resp.status, resp.text()), (503, UNAVAILABLE.to_owned()));
    // Reads go on meanwhile.
    assert_up(&app, &token).await;

    holder.batch_execute("COMMIT;").expect("release");
    drop(holder);
    let plugins = app
        .get("/api/v1/organizers/bigevents/", &token)
        .await
        .json()["plugins"]
        .clone();
    assert_eq!(plugins, json!([]), "the refused write left nothing behind");
    let resp = patch(json!(["pretix.plugins.banktransfer"])).await;
    assert_eq!(
        (resp.status, resp.json()["plugins"].clone()),
        (200, json!(["pretix.plugins.banktransfer"]))
    );
}

/// A table locked on PostgreSQL (a long migration, a stuck transaction): a write that needs
/// it waits at most the lock timeout and answers 503 with `Retry-After`, writes nothing, and
/// requests that need no lock go on meanwhile.
#[actix_web::test]
async fn postgres_lock_wait_is_bounded_by_the_lock_timeout() {
    let options = presale_tests::Options {
        pool: presale_storage_diesel::PoolOptions {
            lock_timeout: std::time::Duration::from_millis(300),
            ..presale_tests::Options::default().pool
        },
        ..presale_tests::Options::default()
    };
    let Some(app) = TestApp::start_with(Backend::Postgres, options).await else {
        return;
    };
    let token = app.organizer_with_token("bigevents").await;
    let event = json!({"name": "E", "slug": "conf", "date_from": "2030-01-01T10:00:00Z"});
    let events = "/api/v1/organizers/bigevents/events/";
    let DatabaseUrl::Postgres(url) = app.testdb.url() else {
        panic!("not postgres");
    };
    let mut holder = PgConnection::establish(url).expect("a second connection");
    holder
        .batch_execute("BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE;")
        .expect("lock the events");
    // The holder lets go only after this answer: without the timeout it would never come.
    let resp = app.send_json(Method::POST, events, &token, &event).await;
    assert_eq!((resp.status, resp.text()), (503, UNAVAILABLE.to_owned()));
    assert_eq!(resp.header("retry-after").as_deref(), Some("5"));
    assert_eq!(app.get("/healthz", &token).await.status, 200);

    holder.batch_execute("ROLLBACK;").expect("release");
    let resp = app.send_json(Method::POST, events, &token, &event).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(
        app.get(events, &token).await.json()["count"],
        json!(1),
        "the refused write left nothing behind"
    );
}

/// After PostgreSQL dropped every connection (a restart), the pool's connections are dead
/// but look fresh: each read that meets one runs again on a new connection, so no client
/// sees an error while the database is healthy.
#[actix_web::test]
async fn dead_pooled_connections_cost_no_request_an_error() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let token = app.organizer_with_token("bigevents").await;
    // Several connections in the pool, all used just now.
    let warm = (0..8).map(|_| app.get("/api/v1/organizers/bigevents/events/", &token));
    for resp in futures_util::future::join_all(warm).await {
        assert_eq!(resp.status, 200);
    }
    let (admin_url, name) = app.testdb.postgres_admin().expect("postgres database");
    let mut admin = PgConnection::establish(admin_url).expect("admin connection");
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .expect("drop every connection");
    for round in 0..8 {
        app.db.invalidate_cache();
        let resp = app
            .get("/api/v1/organizers/bigevents/events/", &token)
            .await;
        assert_eq!(
            (resp.status, resp.text()),
            (
                200,
                r#"{"count":0,"next":null,"previous":null,"results":[]}"#.to_owned()
            ),
            "round {round}"
        );
    }
}
