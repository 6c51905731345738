//! The HTTP edge's limits and trust: the body size limit and forwarding headers, on both
//! backends.

use actix_web::http::Method;
use presale_http_actix::HttpOptions;
use presale_tests::{Backend, Options, TestApp};
use serde_json::{json, Value};

async fn start(backend: Backend, http: HttpOptions) -> Option<TestApp> {
    TestApp::start_with(
        backend,
        Options {
            http,
            ..Options::default()
        },
    )
    .await
}

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";

async fn event(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    let resp = app
        .send_json(
            Method::POST,
            EVENTS,
            &token,
            &json!({"name": "Conf", "slug": "conf", "date_from": "2030-01-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    token
}

/// 500 secrets of non-ASCII text, escaped as Python's json module writes them (`\u00e4`):
/// about 330 KB, above actix-web's default limit, far below pretix's 10 MB.
#[actix_web::test]
async fn a_large_bulk_create_is_accepted() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = start(backend, HttpOptions::default()).await else {
            continue;
        };
        let token = event(&app).await;
        let secrets: Vec<Value> = (0..500)
            .map(|i| json!({"secret": format!("{i:03}-{}", "ä".repeat(100))}))
            .collect();
        let body = Value::Array(secrets).to_string().replace('ä', "\\u00e4");
        assert!(body.len() > 300_000, "{}", body.len());
        let auth = format!("Token {token}");
        let resp = app
            .request(
                Method::POST,
                &format!("{EVENTS}conf/imported_secrets/bulk_create/"),
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                Some(body.as_bytes()),
            )
            .await;
        assert_eq!(resp.status, 201, "{backend:?}");
        let created = resp.json();
        assert_eq!(created.as_array().map(Vec::len), Some(500));
        assert_eq!(
            created[0]["secret"],
            json!(format!("000-{}", "ä".repeat(100)))
        );
    }
}

/// A body over the configured limit answers 413 in pretix's error shape, and nothing is
/// written.
#[actix_web::test]
async fn a_body_over_the_limit_is_413_json() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let http = HttpOptions {
            max_body_bytes: 1_000,
            ..HttpOptions::default()
        };
        let Some(app) = start(backend, http).await else {
            continue;
        };
        let token = event(&app).await;
        let big = json!({"secret": "x".repeat(2_000)});
        let resp = app
            .send_json(
                Method::POST,
                &format!("{EVENTS}conf/imported_secrets/"),
                &token,
                &big,
            )
            .await;
        assert_eq!(
            (resp.status, resp.header("content-type"), resp.text()),
            (
                413,
                Some("application/json".to_owned()),
                r#"{"detail":"Request body is too large."}"#.to_owned()
            ),
            "{backend:?}"
        );
        let list = app
            .get(&format!("{EVENTS}conf/imported_secrets/"), &token)
            .await;
        assert_eq!(list.json()["count"], json!(0));
    }
}

/// The event's `public_url` and the list's `next` link for a request with forwarding
/// headers.
async fn links(app: &TestApp, token: &str) -> (Value, Value) {
    let auth = format!("Token {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Host", "shop.example.org"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "host=evil.example;proto=https"),
    ];
    let detail = app
        .request(Method::GET, &format!("{EVENTS}conf/"), &headers, None)
        .await
        .json();
    let list = app
        .request(
            Method::GET,
            &format!("{EVENTS}?page_size=1&ordering=slug"),
            &headers,
            None,
        )
        .await
        .json();
    (detail["public_url"].clone(), list["next"].clone())
}

/// Forwarding headers shape links only when a trusted proxy sent them; otherwise the `Host`
/// header counts.
#[actix_web::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = start(backend, HttpOptions::default()).await else {
            continue;
        };
        let token = event(&app).await;
        let second = json!({"name": "B", "slug": "second", "date_from": "2030-01-01T10:00:00Z"});
        app.send_json(Method::POST, EVENTS, &token, &second).await;
        assert_eq!(
            links(&app, &token).await,
            (
                json!("http://shop.example.org/bigevents/conf/"),
                json!("http://shop.example.org/api/v1/organizers/bigevents/events/?ordering=slug&page=2&page_size=1")
            ),
            "{backend:?}"
        );

        let trusting = HttpOptions {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
            ..HttpOptions::default()
        };
        let Some(behind_proxy) = start(backend, trusting).await else {
            continue;
        };
        let token = event(&behind_proxy).await;
        behind_proxy
            .send_json(Method::POST, EVENTS, &token, &second)
            .await;
        assert_eq!(
            links(&behind_proxy, &token).await,
            (
                json!("https://evil.example/bigevents/conf/"),
                json!("https://evil.example/api/v1/organizers/bigevents/events/?ordering=slug&page=2&page_size=1")
            ),
            "{backend:?}"
        );
    }
}

/// A JSON number sent for a text field is stored as pretix stores it: an integer with every
/// digit, a float as Python prints it.
#[actix_web::test]
async fn numbers_sent_as_text_keep_their_digits() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = start(backend, HttpOptions::default()).await else {
            continue;
        };
        let token = event(&app).await;
        let auth = format!("Token {token}");
        for (body, stored) in [
            (
                r#"{"secret": 100000000000000000000}"#,
                "100000000000000000000",
            ),
            (
                r#"{"secret": 12345678901234567890123}"#,
                "12345678901234567890123",
            ),
            (r#"{"secret": 1e20}"#, "1e+20"),
            (r#"{"secret": 2.50}"#, "2.5"),
        ] {
            let resp = app
                .request(
                    Method::POST,
                    &format!("{EVENTS}conf/imported_secrets/"),
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/json"),
                    ],
                    Some(body.as_bytes()),
                )
                .await;
            assert_eq!(
                (resp.status, resp.json()["secret"].clone()),
                (201, json!(stored)),
                "{backend:?} {body}"
            );
        }
    }
}

/// No write runs a statement after its COMMIT: a connection lost there would turn a stored
/// write into an error (a clone answered 503, a device left with a dead token and no new one).
/// The pool counts such statements; the writes of events and devices, secrets and clones
/// leave the count where it was.
#[actix_web::test]
async fn nothing_runs_after_a_commit() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = start(backend, HttpOptions::default()).await else {
            continue;
        };
        let token = event(&app).await;
        let before = app.db.statements_after_commit();
        let writes = [
            (
                Method::PATCH,
                format!("{EVENTS}conf/"),
                json!({"location": "Hall"}),
            ),
            (
                Method::POST,
                format!("{EVENTS}conf/clone/"),
                json!({"name": "C", "slug": "copy", "date_from": "2031-01-01T10:00:00Z"}),
            ),
            (
                Method::POST,
                format!("{EVENTS}?clone_from=conf"),
                json!({"name": "D", "slug": "copy2", "date_from": "2031-01-01T10:00:00Z"}),
            ),
            (
                Method::POST,
                format!("{EVENTS}conf/imported_secrets/bulk_create/"),
                json!([{"secret": "A"}, {"secret": "B"}]),
            ),
            (
                Method::POST,
                "/api/v1/organizers/bigevents/devices/".to_owned(),
                json!({"name": "Scanner", "all_events": true, "limit_events": []}),
            ),
        ];
        for (method, path, body) in writes {
            let resp = app.send_json(method, &path, &token, &body).await;
            assert!(resp.status < 300, "{path}: {} {}", resp.status, resp.text());
        }
        let device = app
            .get("/api/v1/organizers/bigevents/devices/", &token)
            .await
            .json()["results"][0]
            .clone();
        let api_token = app.initialize_device(&device["initialization_token"]).await;
        let auth = format!("Device {api_token}");
        let resp = app
            .request(
                Method::POST,
                "/api/v1/device/roll",
                &[("Authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(app.db.statements_after_commit(), before, "{backend:?}");
    }
}
