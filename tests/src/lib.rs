// Test harness: a failed setup step is a test failure, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The end-to-end harness: boots the real server (the same wiring as `presale serve`) on a
//! fresh SQLite or PostgreSQL database, on a free loopback port, and speaks HTTP to it.

use actix_web::dev::ServerHandle;
use actix_web::http::header::HeaderMap;
use actix_web::http::Method;
use presale::admin::{self, EventSelection};
use presale_domain::access::{PermissionSet, Team};
use presale_domain::organizer::Organizer;
use presale_storage_diesel::testdb::{PostgresTestDatabase, TestDatabase};
use presale_storage_diesel::{Database, PoolOptions};
use serde_json::Value;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Generates `sqlite` and `postgres` test functions in a module named after an async test
/// body `fn(TestApp)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::TestApp::start($crate::Backend::Sqlite).await;
                super::$name(app.expect("sqlite always runs")).await;
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(app) = $crate::TestApp::start($crate::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )+};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to start the app.
#[derive(Debug, Clone)]
pub struct Options {
    pub http: presale_http_actix::HttpOptions,
    pub pool: PoolOptions,
    /// Record metrics (the process's recorder, installed once) and serve `GET /metrics`.
    pub metrics: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            http: presale_http_actix::HttpOptions::default(),
            pool: PoolOptions {
                max_size: 4,
                connection_timeout: Duration::from_secs(2),
                ..PoolOptions::default()
            },
            metrics: false,
        }
    }
}

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    pub db: Database,
    pub backend: Backend,
    handle: ServerHandle,
    client: awc::Client,
    // Dropped last (by the last app on it): removes the database.
    pub testdb: Arc<TestDatabase>,
    options: Options,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

fn new_database(backend: Backend) -> Option<TestDatabase> {
    match backend {
        Backend::Sqlite => Some(TestDatabase::sqlite().expect("temporary SQLite database")),
        Backend::Postgres => match TestDatabase::postgres() {
            Ok(PostgresTestDatabase::Ready(db)) => Some(db),
            Ok(PostgresTestDatabase::Skipped(why)) => {
                eprintln!("SKIPPED: {why}");
                None
            }
            Err(e) => panic!("{e}"),
        },
    }
}

impl TestApp {
    /// Starts the app on a fresh database of `backend`; `None` when PostgreSQL tests are
    /// skipped (no `TEST_DATABASE_URL`).
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> Option<Self> {
        let testdb = Arc::new(new_database(backend)?);
        Some(Self::serve(testdb, backend, options))
    }

    /// A second server on the same database, with a pool and caches of its own: what
    /// another Presale process behind the same load balancer is.
    pub fn another_process(&self) -> TestApp {
        Self::serve(self.testdb.clone(), self.backend, self.options.clone())
    }

    fn serve(testdb: Arc<TestDatabase>, backend: Backend, options: Options) -> TestApp {
        // `TEST_LOG=1`: the server's log (at `RUST_LOG`'s level, `info` by default) on stderr,
        // shown with a failing test's output.
        if std::env::var("TEST_LOG").is_ok_and(|v| !v.is_empty() && v != "0") {
            presale::telemetry::init(presale::config::LogFormat::Text);
        }
        let db = Database::open(testdb.url().clone(), options.pool).expect("open test database");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let metrics = options
            .metrics
            .then(|| presale::metrics::install(&db))
            .flatten();
        let server = presale::server::start(&db, options.http.clone(), listener, Some(1), metrics)
            .expect("start server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish();
        TestApp {
            address,
            db,
            backend,
            handle,
            client,
            testdb,
            options,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request; `token` goes in `Authorization: Token <token>`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut resp = match body {
            Some(b) => req.send_body(b.to_vec()).await,
            None => req.send().await,
        }
        .expect("request sent");
        let body = resp
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("body read");
        Response {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: body.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        let auth = format!("Token {token}");
        self.request(Method::GET, path, &[("Authorization", &auth)], None)
            .await
    }

    /// A JSON request with a token.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Response {
        let auth = format!("Token {token}");
        let bytes = body.to_string();
        self.request(
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(bytes.as_bytes()),
        )
        .await
    }

    pub async fn organizer(&self, slug: &str, name: &str) -> Organizer {
        admin::create_organizer(&self.db, slug, name)
            .await
            .expect("create organizer")
    }

    pub async fn team(
        &self,
        organizer: &str,
        name: &str,
        permissions: PermissionSet,
        events: EventSelection,
    ) -> Team {
        admin::create_team(&self.db, &self.db, organizer, name, permissions, events)
            .await
            .expect("create team")
    }

    pub async fn token(&self, organizer: &str, team: &str) -> String {
        admin::create_token(&self.db, &self.db, &self.db, organizer, team, "test")
            .await
            .expect("create token")
            .as_str()
            .to_owned()
    }

    /// DELETEs `path` with `token`.
    pub async fn delete(&self, path: &str, token: &str) -> Response {
        let auth = format!("Token {token}");
        self.request(Method::DELETE, path, &[("Authorization", &auth)], None)
            .await
    }

    /// Sends `body` as JSON with `token`; the status and the JSON answer (`null` for none).
    pub async fn send(&self, method: Method, path: &str, token: &str, body: Value) -> (u16, Value) {
        let resp = self.send_json(method, path, token, &body).await;
        let json = if resp.body.is_empty() {
            Value::Null
        } else {
            resp.json()
        };
        (resp.status, json)
    }

    /// POSTs `body` as JSON to `path` with `token` and returns what was created; fails the
    /// test unless the answer is 201.
    pub async fn create(&self, path: &str, token: &str, body: Value) -> Value {
        let resp = self.send_json(Method::POST, path, token, &body).await;
        assert_eq!(resp.status, 201, "POST {path}: {}", resp.text());
        resp.json()
    }

    /// Creates the event `slug` of `organizer` through the API (`series`: with sub-events)
    /// and returns it.
    pub async fn create_event(
        &self,
        token: &str,
        organizer: &str,
        slug: &str,
        series: bool,
    ) -> Value {
        let body = serde_json::json!({
            "name": slug, "slug": slug, "date_from": "2030-01-01T10:00:00Z", "has_subevents": series,
        });
        self.create(
            &format!("/api/v1/organizers/{organizer}/events/"),
            token,
            body,
        )
        .await
    }

    /// An organizer with an all-permissions, all-events team, and a token for it.
    pub async fn organizer_with_token(&self, slug: &str) -> String {
        self.organizer(slug, &format!("{slug} name")).await;
        self.team(slug, "Admins", PermissionSet::all(), EventSelection::All)
            .await;
        self.token(slug, "Admins").await
    }

    /// Runs SQL on a new connection to the app's database, and drops what the server keeps
    /// in memory: the server learns of the change from the database within milliseconds, and
    /// tests need it at once.
    pub fn sql(&self, statements: &str) {
        self.sql_elsewhere(statements);
        self.db.invalidate_cache();
    }

    /// Runs SQL on a new connection to the app's database, as another process would: the
    /// server learns of it only from the database's announcement.
    pub fn sql_elsewhere(&self, statements: &str) {
        use diesel::connection::SimpleConnection;
        let mut conn = self.testdb.url().connect().expect("connect for SQL");
        match &mut conn {
            presale_storage_diesel::DbConnection::Pg(c) => c.batch_execute(statements),
            presale_storage_diesel::DbConnection::Sqlite(c) => c.batch_execute(statements),
        }
        .expect("SQL runs");
    }
}

/// Builders: the rows a test needs, made through the API or the storage ports rather than
/// raw SQL, so that tests do not depend on the schema.
impl TestApp {
    /// A sales channel of any type (the API creates only `api.` channels of type `api`),
    /// labelled `label` in English.
    pub async fn sales_channel(
        &self,
        organizer: &str,
        identifier: &str,
        label: &str,
        kind: &str,
        position: i64,
    ) {
        use presale_domain::organizer::OrganizerRepository;
        use presale_domain::sales_channel::{SalesChannelFields, SalesChannelRepository};
        let organizer = OrganizerRepository::find_by_slug(&self.db, organizer)
            .await
            .expect("read organizer")
            .expect("organizer exists");
        let fields = SalesChannelFields {
            identifier: identifier.to_owned(),
            label: presale_domain::values::I18nString::english(label),
            kind: kind.to_owned(),
            position,
        };
        SalesChannelRepository::create(&self.db, organizer.id, fields)
            .await
            .expect("create sales channel");
        self.db.invalidate_cache();
    }

    /// The event `slug` of `organizer` with pretix's defaults (named after its slug, starting
    /// 2030-01-01 10:00 UTC), through the storage port: for tests about what an event holds
    /// rather than about events.
    pub async fn event(&self, organizer: &str, slug: &str) {
        use presale_domain::event::{EventData, EventKeys, EventRepository};
        use presale_domain::organizer::OrganizerRepository;
        use presale_domain::values::{I18nString, Slug, TimeZone, WireDateTime};
        let organizer = OrganizerRepository::find_by_slug(&self.db, organizer)
            .await
            .expect("read organizer")
            .expect("organizer exists");
        let data = EventData::defaults(
            Slug::parse(slug).expect("a slug"),
            I18nString::english(slug),
            WireDateTime::parse("2030-01-01T10:00:00Z").expect("a date"),
            TimeZone::parse("UTC").expect("a time zone"),
        );
        let keys = EventKeys::generate().expect("keys");
        EventRepository::create(&self.db, organizer.id, data, keys)
            .await
            .expect("create event");
        self.db.invalidate_cache();
    }

    /// A meta property of `organizer` through the API (`allowed_values` as pretix takes
    /// them: `null` or a list).
    pub async fn meta_property(
        &self,
        token: &str,
        organizer: &str,
        name: &str,
        default: &str,
        allowed_values: Value,
        protected: bool,
    ) {
        let body = serde_json::json!({
            "name": name, "default": default, "allowed_values": allowed_values,
            "protected": protected,
        });
        let path = format!("/api/v1/organizers/{organizer}/meta_properties/");
        self.create(&path, token, body).await;
    }
}

/// One text column of a raw query.
#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    v: Option<String>,
}

impl TestApp {
    /// The values of column `v` of a raw query, as text (`CAST(... AS TEXT) AS v`).
    pub fn texts(&self, sql: &str) -> Vec<Option<String>> {
        use diesel::RunQueryDsl;
        let mut conn = self.testdb.url().connect().expect("connect for SQL");
        let rows: Vec<TextRow> = match &mut conn {
            presale_storage_diesel::DbConnection::Pg(c) => diesel::sql_query(sql).load(c),
            presale_storage_diesel::DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.into_iter().map(|r| r.v).collect()
    }
}

impl TestApp {
    /// Initializes the device whose `initialization_token` this is (as a pretixSCAN on a
    /// Zebra would) and returns its API token; asserts the 200.
    pub async fn initialize_device(&self, initialization_token: &Value) -> String {
        let init = serde_json::json!({
            "token": initialization_token,
            "hardware_brand": "Zebra",
            "hardware_model": "TC25",
            "software_brand": "pretixSCAN",
            "software_version": "1.5.1",
        });
        let resp = self
            .request(
                Method::POST,
                "/api/v1/device/initialize",
                &[("Content-Type", "application/json")],
                Some(init.to_string().as_bytes()),
            )
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()["api_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The text at `pointer` (a JSON pointer such as `/slug` or `/name/en`) of every object of a
/// list page, in order; fails the test where one has none.
pub fn texts(page: &Value, pointer: &str) -> Vec<String> {
    let results = page["results"].as_array().cloned().unwrap_or_default();
    results
        .iter()
        .map(
            |object| match object.pointer(pointer).and_then(Value::as_str) {
                Some(text) => text.to_owned(),
                None => panic!("no text at {pointer} in {object}"),
            },
        )
        .collect()
}

/// pretix's 403 body.
pub const DENIED: &str = r#"{"detail":"You do not have permission to perform this action."}"#;

impl TestApp {
    /// Sends each `(method, path, body)` as JSON with `token` and asserts pretix's 403.
    pub async fn assert_denied(&self, token: &str, requests: &[(Method, String, Value)]) {
        for (method, path, body) in requests {
            let resp = self.send_json(method.clone(), path, token, body).await;
            assert_eq!(
                (resp.status, resp.text()),
                (403, DENIED.to_owned()),
                "{method} {path}"
            );
        }
    }
}

impl TestApp {
    /// Asserts that a page of every object of the list at `path` (at least 50 of them) costs
    /// as many database statements as a page of one: related rows are read per page, never
    /// per object. Each page is asked for with a cold credential cache. Returns the results of
    /// the large page, for the caller to check that they carry their related rows.
    pub async fn assert_fixed_page_cost(&self, path: &str, token: &str) -> Vec<Value> {
        let mut costs = Vec::new();
        let mut results = Vec::new();
        for size in [1, 50] {
            self.db.invalidate_cache();
            let before = self.db.queries_run();
            let page = self
                .get(&format!("{path}?page_size={size}"), token)
                .await
                .json();
            costs.push(self.db.queries_run() - before);
            results = page["results"].as_array().cloned().unwrap_or_default();
            assert_eq!(results.len(), size, "{path}");
        }
        assert_eq!(
            costs[0], costs[1],
            "{path}: a page of 50 costs what a page of 1 costs"
        );
        results
    }
}

/// One object's way through a collection, as every resource of the API answers it: the list
/// before, a create answered to the byte, the object in its detail and in the list, a full
/// replace (PUT), a partial change (PATCH), each read back, the delete, and the 404s after it.
/// What a resource does beyond that its own tests check around [`TestApp::round`].
pub struct Round<'a> {
    /// The collection's path.
    pub collection: &'a str,
    /// The field that names the object in its path (`id`, or a sales channel's `identifier`).
    pub key: &'a str,
    /// What the list shows before the new object (and after its delete).
    pub before: Vec<Value>,
    /// Where the new object stands in the list: after the first `at` objects of `before`.
    pub at: usize,
    /// Lists of other scopes (another event's, another organizer's), empty while the object
    /// exists.
    pub elsewhere: &'a [&'a str],
    pub create: Value,
    /// The create's answer to the byte; `{key}` stands for the new object's key.
    pub created: &'a str,
    pub put: Value,
    /// The object after the PUT, its fields in the documented order after its key (left out
    /// here: it is put first).
    pub after_put: Value,
    pub patch: Value,
    /// The object after the PATCH (without its key).
    pub after_patch: Value,
    /// The 404 body of the deleted object.
    pub not_found: &'a str,
}

impl TestApp {
    /// Runs `round` with `token` and returns the key the created object had. Every answer is
    /// compared to the byte (keys in the documented order).
    pub async fn round(&self, token: &str, round: Round<'_>) -> Value {
        let list = |results: Vec<Value>| {
            serde_json::json!({"count": results.len(), "next": null, "previous": null, "results": results})
            .to_string()
        };
        let resp = self.get(round.collection, token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (200, list(round.before.clone()))
        );

        let resp = self
            .send_json(Method::POST, round.collection, token, &round.create)
            .await;
        assert_eq!(resp.status, 201, "{}", resp.text());
        let created = resp.json();
        let key = created[round.key].clone();
        let bare = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
        assert_eq!(resp.text(), round.created.replace("{key}", &bare));
        let detail = format!("{}{bare}/", round.collection);
        let resp = self.get(&detail, token).await;
        assert_eq!((resp.status, resp.text()), (200, created.to_string()));
        let mut with_new = round.before.clone();
        with_new.insert(round.at, created);
        let resp = self.get(round.collection, token).await;
        assert_eq!((resp.status, resp.text()), (200, list(with_new)));
        for other in round.elsewhere {
            let resp = self.get(other, token).await;
            assert_eq!((resp.status, resp.text()), (200, list(vec![])), "{other}");
        }

        for (method, body, fields) in [
            (Method::PUT, round.put, round.after_put),
            (Method::PATCH, round.patch, round.after_patch),
        ] {
            // The key first, then the fields as given.
            let mut expected = serde_json::Map::new();
            expected.insert(round.key.to_owned(), key.clone());
            expected.extend(fields.as_object().cloned().unwrap_or_default());
            let expected = Value::Object(expected).to_string();
            let resp = self.send_json(method.clone(), &detail, token, &body).await;
            assert_eq!(
                (resp.status, resp.text()),
                (200, expected.clone()),
                "{method}"
            );
            let resp = self.get(&detail, token).await;
            assert_eq!((resp.status, resp.text()), (200, expected));
        }

        let resp = self.delete(&detail, token).await;
        assert_eq!((resp.status, resp.text()), (204, String::new()));
        for resp in [
            self.get(&detail, token).await,
            self.delete(&detail, token).await,
        ] {
            assert_eq!(
                (resp.status, resp.text()),
                (404, round.not_found.to_owned())
            );
        }
        let resp = self.get(round.collection, token).await;
        assert_eq!((resp.status, resp.text()), (200, list(round.before)));
        key
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}
