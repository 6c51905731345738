#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! The `presale` binary as a user runs it: exit codes, stdout/stderr, configuration
//! precedence, serving and graceful shutdown.

mod common;

use common::{presale, stderr, stdout};

use presale_storage_diesel::testdb::TestDatabase;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Creates an organizer, a team and a token with the CLI; returns the token.
fn bootstrap(url: &str) -> String {
    let o = presale(
        url,
        &["organizer", "create", "bigevents", "--name", "Big Events"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = presale(
        url,
        &[
            "team",
            "create",
            "bigevents",
            "API",
            "--all-events",
            "--all-permissions",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = presale(
        url,
        &["token", "create", "bigevents", "API", "--name", "ci"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let token = out.strip_suffix('\n').expect("one line");
    assert!(!token.contains('\n'), "only the token on stdout: {out:?}");
    assert_eq!(token.len(), 64);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    token.to_owned()
}

fn run_admin_commands(url: &str) {
    bootstrap(url);
    let o = presale(
        url,
        &["organizer", "create", "bigevents", "--name", "Again"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: organizer 'bigevents' already exists\n");

    let o = presale(url, &["team", "create", "nope", "API", "--all-events"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: organizer 'nope' does not exist\n");

    let o = presale(url, &["token", "create", "bigevents", "Nobody"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: team 'Nobody' does not exist in this organizer\n"
    );
    assert_eq!(stdout(&o), "");

    let o = presale(
        url,
        &[
            "team",
            "create",
            "bigevents",
            "Scanners",
            "--limit-events",
            "conf,expo",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: unknown event 'conf' in this organizer\n"
    );

    let o = presale(url, &["team", "create", "bigevents", "API", "--all-events"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: team 'API' already exists in this organizer\n"
    );

    let o = presale(url, &["migrate"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn bad_arguments_exit_non_zero_with_a_message() {
    let db = TestDatabase::sqlite().unwrap();
    let url = db.url_string();
    let o = presale(&url, &["team", "create", "bigevents"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("required arguments were not provided"),
        "{}",
        stderr(&o)
    );

    let o = presale(
        &url,
        &["team", "create", "o", "t", "--permission", "can_fly"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'can_fly'"),
        "{}",
        stderr(&o)
    );

    let o = presale(
        &url,
        &[
            "team",
            "create",
            "o",
            "t",
            "--all-events",
            "--limit-events",
            "a",
        ],
    );
    assert_eq!(o.status.code(), Some(2));

    let o = presale("mysql://localhost/x", &["migrate"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: unsupported database URL 'mysql://localhost/x': use postgres://..., postgresql://... or sqlite://<path>\n"
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["organizer", "create", "--help"],
        vec!["team", "create", "--help"],
        vec!["token", "create", "--help"],
    ] {
        let o = presale("sqlite:///nonexistent/never-opened.sqlite3", &args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage: presale"), "{args:?}");
    }
}

#[test]
fn environment_overrides_the_config_file() {
    let db_file = TestDatabase::sqlite().unwrap();
    let db_env = TestDatabase::sqlite().unwrap();
    let dir = std::env::temp_dir().join(format!("presale-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("presale.toml");
    std::fs::write(
        &config,
        format!("database_url = \"{}\"\n", db_file.url_string()),
    )
    .unwrap();

    let run = |env_url: Option<&str>, slug: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_presale"));
        cmd.args([
            "--config",
            config.to_str().unwrap(),
            "organizer",
            "create",
            slug,
            "--name",
            "x",
        ])
        .env_remove("PRESALE_DATABASE_URL");
        if let Some(u) = env_url {
            cmd.env("PRESALE_DATABASE_URL", u);
        }
        cmd.output().unwrap()
    };
    assert!(run(None, "fromfile").status.success());
    assert!(run(Some(&db_env.url_string()), "fromenv").status.success());
    // Each organizer landed in the database its source named.
    assert_eq!(run(None, "fromfile").status.code(), Some(1));
    assert!(run(None, "fromenv").status.success());
    assert_eq!(
        run(Some(&db_env.url_string()), "fromenv").status.code(),
        Some(1)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn http_get(addr: &str, path: &str, token: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// Starts `presale serve --demo` on a free port; returns the child, its address and token.
fn serve_demo(data_dir: &Path) -> (Child, String, String) {
    serve_demo_with(data_dir, &[])
}

/// [`serve_demo`] with more arguments for `serve`.
fn serve_demo_with(data_dir: &Path, more: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presale"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(more)
        .env_remove("PRESALE_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.next().unwrap().unwrap();
    let url = listening
        .strip_prefix("Presale is listening on ")
        .unwrap()
        .to_owned();
    let token_line = lines.next().unwrap().unwrap();
    let token = token_line.rsplit(' ').next().unwrap().to_owned();
    let curl = lines.next().unwrap().unwrap();
    assert_eq!(
        curl,
        format!("Try: curl -H \"Authorization: Token {token}\" {url}/api/v1/organizers/")
    );
    let events = lines.next().unwrap().unwrap();
    assert_eq!(
        events,
        format!(
            "     curl -H \"Authorization: Token {token}\" {url}/api/v1/organizers/demo/events/"
        )
    );
    (child, url.trim_start_matches("http://").to_owned(), token)
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn demo_server_answers_with_its_token_and_stops_cleanly_on_signals() {
    let db = TestDatabase::sqlite().unwrap();
    let presale_test_db::Dir(data_dir) = presale_test_db::dir_of(&db);
    for signal in ["TERM", "INT"] {
        let (mut child, addr, token) = serve_demo(&data_dir);
        let resp = http_get(&addr, "/api/v1/organizers/", &token);
        assert!(resp.starts_with("HTTP/1.1 200 OK"), "{resp}");
        assert!(resp.contains(r#""slug":"demo""#), "{resp}");
        assert_eq!(demo_data(&addr, &token), demo_sample(&addr));
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = wait_for_exit(&mut child);
        assert_eq!(status.code(), Some(0), "SIG{signal}");
        assert!(
            TcpStream::connect(&addr).is_err(),
            "port closed after SIG{signal}"
        );
    }
    // The default database was created in the data directory, once.
    assert!(data_dir.join("presale.sqlite3").exists());
}

/// The body of a GET.
fn get_json(addr: &str, path: &str, token: &str) -> serde_json::Value {
    let resp = http_get(addr, path, token);
    assert!(resp.starts_with("HTTP/1.1 200 OK"), "{resp}");
    let (_, body) = resp.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

/// The demo organizer's events, products, quotas and imported secrets, as the API lists them.
fn demo_data(addr: &str, token: &str) -> serde_json::Value {
    let event = "/api/v1/organizers/demo/events/democon";
    serde_json::json!({
        "events": get_json(addr, "/api/v1/organizers/demo/events/", token),
        "items": get_json(addr, &format!("{event}/items/"), token)["results"],
        "quotas": get_json(addr, &format!("{event}/quotas/"), token)["results"],
        "secrets": get_json(addr, &format!("{event}/imported_secrets/"), token)["results"],
    })
}

/// What the demo fixture seeds.
fn demo_sample(addr: &str) -> serde_json::Value {
    serde_json::json!({
        "events": {"count": 1, "next": null, "previous": null, "results": [{
            "name": {"en": "Demo Conference"}, "slug": "democon", "live": false,
            "testmode": false, "currency": "EUR", "date_from": "2030-06-01T09:00:00Z",
            "date_to": "2030-06-02T17:00:00Z", "date_admission": null, "is_public": true,
            "presale_start": null, "presale_end": null, "location": {"en": "Berlin"},
            "geo_lat": null, "geo_lon": null, "has_subevents": false, "meta_data": {},
            "seating_plan": null,
            "plugins": ["pretix.plugins.sendmail", "pretix.plugins.statistics",
                        "pretix.plugins.stripe", "pretix.plugins.ticketoutputpdf"],
            "seat_category_mapping": {}, "timezone": "Europe/Berlin",
            "item_meta_properties": {}, "all_sales_channels": true,
            "limit_sales_channels": [], "public_url": format!("http://{addr}/demo/democon/"),
            "sales_channels": ["web"]
        }]},
        "items": [{
            "id": 1, "name": {"en": "Conference ticket"}, "default_price": "99.00",
            "active": true, "description": null, "category": null, "admission": true,
            "position": 0, "has_variations": false, "variations": []
        }],
        "quotas": [{"id": 1, "name": "Tickets", "size": 100, "items": [1], "variations": [], "subevent": null}],
        "secrets": [
            {"id": 1, "secret": "DEMO-0001", "used": false, "item": 1, "variation": null, "subevent": null},
            {"id": 2, "secret": "DEMO-0002", "used": false, "item": 1, "variation": null, "subevent": null},
            {"id": 3, "secret": "DEMO-0003", "used": false, "item": 1, "variation": null, "subevent": null}
        ]
    })
}

/// In a database whose other organizers already hold the sample's ids, the demo starts
/// without its sample event.
#[test]
fn demo_without_its_sample_when_the_ids_are_taken() {
    let db = TestDatabase::sqlite().unwrap();
    let presale_test_db::Dir(data_dir) = presale_test_db::dir_of(&db);
    let fixture = data_dir.join("other.json");
    std::fs::write(
        &fixture,
        r#"{"organizers": [{"slug": "other", "name": "Other", "events": [{"name": "E", "slug": "e",
            "date_from": "2030-01-01T00:00:00Z", "items": [{"id": 1, "name": "Ticket", "default_price": "1.00"}]}]}]}"#,
    )
    .unwrap();
    let url = format!("sqlite://{}", data_dir.join("presale.sqlite3").display());
    let seeded = presale(&url, &["seed", fixture.to_str().unwrap()]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));

    let (mut child, addr, token) = serve_demo(&data_dir);
    assert_eq!(
        get_json(&addr, "/api/v1/organizers/demo/events/", &token),
        serde_json::json!({"count": 0, "next": null, "previous": null, "results": []})
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(wait_for_exit(&mut child).code(), Some(0));
}

/// The directory of a SQLite test database.
mod presale_test_db {
    use presale_storage_diesel::testdb::TestDatabase;
    use presale_storage_diesel::DatabaseUrl;
    use std::path::PathBuf;

    pub struct Dir(pub PathBuf);

    pub fn dir_of(db: &TestDatabase) -> Dir {
        match db.url() {
            DatabaseUrl::Sqlite(p) => Dir(p.parent().unwrap().to_path_buf()),
            DatabaseUrl::Postgres(_) => panic!("not sqlite"),
        }
    }
}

/// A request being handled when SIGTERM arrives still gets its answer before the process
/// exits 0. The request is held in flight by another connection's SQLite write lock.
#[test]
fn request_in_flight_during_sigterm_is_answered() {
    use diesel::connection::SimpleConnection;
    use presale_storage_diesel::DbConnection;

    let db = TestDatabase::sqlite().unwrap();
    let presale_test_db::Dir(data_dir) = presale_test_db::dir_of(&db);
    let (mut child, addr, token) = serve_demo(&data_dir);
    let mut holder = presale_storage_diesel::DatabaseUrl::Sqlite(data_dir.join("presale.sqlite3"))
        .connect()
        .unwrap();
    let DbConnection::Sqlite(lock) = &mut holder else {
        panic!("sqlite")
    };
    lock.batch_execute("BEGIN IMMEDIATE; UPDATE organizers SET name = name;")
        .unwrap();

    let mut stream = TcpStream::connect(&addr).unwrap();
    let body = r#"{"plugins":["pretix.plugins.banktransfer"]}"#;
    write!(
        stream,
        "PATCH /api/v1/organizers/demo/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still finishing the request"
    );
    lock.batch_execute("COMMIT;").unwrap();
    drop(holder);

    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(
        out.ends_with(r#""plugins":["pretix.plugins.banktransfer"]}"#),
        "{out}"
    );
    assert_eq!(wait_for_exit(&mut child).code(), Some(0));
}

on_both_backends!(admin_commands, run_admin_commands);

/// A loopback address no one listens on now.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

fn stop(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(wait_for_exit(&mut child).code(), Some(0));
}

const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;

#[test]
fn metrics_are_served_on_the_api_on_their_own_address_or_not_at_all() {
    let db = TestDatabase::sqlite().unwrap();
    let presale_test_db::Dir(data_dir) = presale_test_db::dir_of(&db);

    // The default: `GET /metrics` on the API's address, without a credential.
    let (child, addr, token) = serve_demo(&data_dir);
    assert!(http_get(&addr, "/api/v1/organizers/", &token).starts_with("HTTP/1.1 200 OK"));
    let resp = http_get(&addr, "/metrics", "");
    assert!(resp.starts_with("HTTP/1.1 200 OK"), "{resp}");
    assert!(
        resp.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"),
        "{resp}"
    );
    assert!(resp.contains("\npresale_db_pool_size 10\n"), "{resp}");
    // Counters are shown from the start, at zero.
    assert!(
        resp.contains("\npresale_idempotency_conflicts_total 0\n"),
        "{resp}"
    );
    assert!(
        resp.contains(
            "\npresale_http_requests_total{route=\"/api/v1/organizers/\",method=\"GET\",status=\"2xx\"} 1\n"
        ),
        "{resp}"
    );
    stop(child);

    // An address of their own: the API's address has no `/metrics`.
    let metrics = free_address();
    let (child, addr, _) = serve_demo_with(&data_dir, &["--metrics", &metrics]);
    let resp = http_get(&metrics, "/metrics", "");
    assert!(resp.starts_with("HTTP/1.1 200 OK"), "{resp}");
    assert!(resp.contains("\npresale_db_pool_size 10\n"), "{resp}");
    let resp = http_get(&addr, "/metrics", "");
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert!(resp.ends_with(NOT_FOUND), "{resp}");
    stop(child);

    // Off: nowhere.
    let (child, addr, _) = serve_demo_with(&data_dir, &["--metrics", "off"]);
    let resp = http_get(&addr, "/metrics", "");
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert!(resp.ends_with(NOT_FOUND), "{resp}");
    stop(child);
}
