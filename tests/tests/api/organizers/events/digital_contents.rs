//! `/api/v1/organizers/{o}/events/{e}/digitalcontents/` (docs/api-compatibility.md): the document's
//! examples byte for byte, every field rule with its exact error, PUT vs PATCH, sub-events,
//! 404s, the permission matrix, list order, filter and cost, the copy on clone and the
//! removal of deleted products, on both backends. Products are inserted as rows (no ids
//! given, so PostgreSQL's sequences stay right).

use actix_web::http::Method;
use presale_tests::{both_backends, TestApp};
use serde_json::{json, Value};

both_backends!(
    documented_examples,
    create_fills_defaults_and_keeps_text_as_given,
    every_field_error,
    references_must_belong_to_the_event,
    availability_window,
    limit_products_kept_with_all_products,
    put_resets_and_patch_is_partial,
    subevents_of_a_series,
    list_order_filter_and_pages,
    list_page_costs_fixed_queries,
    clone_copies_contents_with_new_products,
    deleting_products_takes_them_out_of_limit_products,
);

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const NOT_FOUND: &str = r#"{"detail":"No DigitalContent matches the given query."}"#;

fn list(event: &str) -> String {
    format!("{EVENTS}{event}/digitalcontents/")
}

fn one(event: &str, id: impl std::fmt::Display) -> String {
    format!("{EVENTS}{event}/digitalcontents/{id}/")
}

/// The body of the document's POST example.
fn documented() -> Value {
    json!({
        "subevent": null,
        "title": {"en": "Concert livestream"},
        "content_type": "link",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "description": {"en": "Watch our event live here on YouTube!"},
        "all_products": true,
        "limit_products": [],
        "available_from": "2020-03-22T23:00:00Z",
        "available_until": null,
        "position": 1
    })
}

fn minimal(title: &str) -> Value {
    json!({"title": title, "url": "https://example.org/stream"})
}

async fn create_subevent(app: &TestApp, token: &str, organizer: &str, event: &str) -> i64 {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/api/v1/organizers/{organizer}/events/{event}/subevents/"),
            token,
            &json!({"name": "Day", "date_from": "2030-01-02T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    resp.json()["id"].as_i64().unwrap()
}

/// Inserts a product named `name` into the event `event` (slugs are unique across the
/// fixture's organizers) and returns its id.
fn item(app: &TestApp, event: &str, name: &str) -> i64 {
    app.sql(&format!(
        "INSERT INTO items (event_id, name, position) \
         SELECT id, '{{\"en\":\"{name}\"}}', 0 FROM events WHERE slug = '{event}';"
    ));
    let ids = app.texts(&format!(
        "SELECT CAST(MAX(i.id) AS TEXT) AS v FROM items i JOIN events e ON e.id = i.event_id \
         WHERE e.slug = '{event}' AND i.name = '{{\"en\":\"{name}\"}}'"
    ));
    ids[0].as_deref().unwrap().parse().unwrap()
}

/// Organizer `bigevents` (token returned) with the events `sampleconf` and `other` and the
/// series `series`; organizer `otherorg` (token of team `Admins`) with the series
/// `foreign`.
async fn fixture(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.organizer_with_token("otherorg").await;
    app.create_event(&token, "bigevents", "sampleconf", false)
        .await;
    app.create_event(&token, "bigevents", "other", false).await;
    app.create_event(&token, "bigevents", "series", true).await;
    app.create_event(&other, "otherorg", "foreign", true).await;
    token
}

async fn created(app: &TestApp, token: &str, event: &str, body: Value) -> Value {
    let (status, json) = app.send(Method::POST, &list(event), token, body).await;
    assert_eq!(status, 201, "{json}");
    json
}

/// POST `body` to the event's list and expects a 400 with exactly `expected`.
async fn refused(app: &TestApp, token: &str, event: &str, body: Value, expected: &str) {
    let resp = app
        .send_json(Method::POST, &list(event), token, &body)
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (400, expected.to_owned()),
        "{body}"
    );
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let resp = app.delete(path, token).await;
    (resp.status, resp.text())
}

fn count_rows(app: &TestApp, table: &str) -> String {
    app.texts(&format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM {table}"))[0]
        .clone()
        .unwrap()
}

async fn documented_examples(app: TestApp) {
    let token = fixture(&app).await;
    let base = list("sampleconf");
    // The first content gets id 1 (list and detail examples), the second id 2 (create and
    // PATCH examples).
    created(&app, &token, "sampleconf", documented()).await;
    let list_example = r#"{"count":1,"next":null,"previous":null,"results":[{"id":1,"subevent":null,"title":{"en":"Concert livestream"},"content_type":"link","url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","description":{"en":"Watch our event live here on YouTube!"},"all_products":true,"limit_products":[],"available_from":"2020-03-22T23:00:00Z","available_until":null,"position":1}]}"#;
    let resp = app.get(&base, &token).await;
    assert_eq!((resp.status, resp.text()), (200, list_example.to_owned()));
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/json")
    );
    let detail_example = r#"{"id":1,"subevent":null,"title":{"en":"Concert livestream"},"content_type":"link","url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","description":{"en":"Watch our event live here on YouTube!"},"all_products":true,"limit_products":[],"available_from":"2020-03-22T23:00:00Z","available_until":null,"position":1}"#;
    let resp = app.get(&one("sampleconf", 1), &token).await;
    assert_eq!((resp.status, resp.text()), (200, detail_example.to_owned()));

    let create_example = r#"{"id":2,"subevent":null,"title":{"en":"Concert livestream"},"content_type":"link","url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","description":{"en":"Watch our event live here on YouTube!"},"all_products":true,"limit_products":[],"available_from":"2020-03-22T23:00:00Z","available_until":null,"position":1}"#;
    let resp = app
        .send_json(Method::POST, &base, &token, &documented())
        .await;
    assert_eq!((resp.status, resp.text()), (201, create_example.to_owned()));

    let patch_example = r#"{"id":2,"subevent":null,"title":{"en":"Concert livestream"},"content_type":"link","url":"https://mywebsite.com","description":{"en":"Watch our event live here on YouTube!"},"all_products":true,"limit_products":[],"available_from":"2020-03-22T23:00:00Z","available_until":null,"position":1}"#;
    let resp = app
        .send_json(
            Method::PATCH,
            &one("sampleconf", 2),
            &token,
            &json!({"url": "https://mywebsite.com"}),
        )
        .await;
    assert_eq!((resp.status, resp.text()), (200, patch_example.to_owned()));
    let resp = app.get(&one("sampleconf", 2), &token).await;
    assert_eq!(resp.text(), patch_example);

    // The document's DELETE example: 204 without a body; the content and its links are gone.
    assert_eq!(
        delete(&app, &token, &one("sampleconf", 1)).await,
        (204, String::new())
    );
    let resp = app.get(&one("sampleconf", 1), &token).await;
    assert_eq!((resp.status, resp.text()), (404, NOT_FOUND.to_owned()));
    assert_eq!(app.get(&base, &token).await.json()["count"], json!(1));
}

async fn create_fills_defaults_and_keeps_text_as_given(app: TestApp) {
    let token = fixture(&app).await;
    // Only the required fields: the rest gets its defaults.
    let c = created(&app, &token, "sampleconf", minimal("Stream")).await;
    assert_eq!(
        c,
        json!({
            "id": c["id"], "subevent": null, "title": {"en": "Stream"}, "content_type": "link",
            "url": "https://example.org/stream", "description": null, "all_products": true,
            "limit_products": [], "available_from": null, "available_until": null, "position": 0
        })
    );
    // Multilingual text keeps its languages in order; Markdown is stored as given; dates
    // come out in UTC; read-only `id` is ignored.
    let markdown = "# Watch\n\n* **live** on [YouTube](https://youtube.com)\n<b>raw</b>  ";
    let c = created(
        &app,
        &token,
        "sampleconf",
        json!({
            "id": 99, "title": {"de": "Mitschnitt", "en": "Recording"}, "content_type": "video",
            "url": "https://example.org/v?a=1#t", "description": {"en": markdown, "de-informal": ""},
            "all_products": "false", "available_from": "2020-03-23T01:00:00+02:00",
            "available_until": "2020-03-24T00:00:00.5Z", "position": "-3"
        }),
    )
    .await;
    assert_ne!(c["id"], json!(99));
    assert_eq!(
        c.to_string(),
        json!({
            "id": c["id"], "subevent": null, "title": {"de": "Mitschnitt", "en": "Recording"},
            "content_type": "video", "url": "https://example.org/v?a=1#t",
            "description": {"en": markdown, "de-informal": ""}, "all_products": false,
            "limit_products": [], "available_from": "2020-03-22T23:00:00Z",
            "available_until": "2020-03-24T00:00:00.500000Z", "position": -3
        })
        .to_string()
    );
    let read = app.get(&one("sampleconf", &c["id"]), &token).await;
    assert_eq!(read.text(), c.to_string());
    for kind in ["webinar", "video", "livestream", "link", "file"] {
        let mut body = minimal(kind);
        body["content_type"] = json!(kind);
        let c = created(&app, &token, "sampleconf", body).await;
        assert_eq!(c["content_type"], json!(kind));
    }
}

async fn every_field_error(app: TestApp) {
    let token = fixture(&app).await;
    let ev = "sampleconf";
    refused(
        &app,
        &token,
        ev,
        json!({}),
        r#"{"title":["This field is required."],"url":["This field is required."]}"#,
    )
    .await;
    let with = |field: &str, value: Value| {
        let mut body = minimal("T");
        body[field] = value;
        body
    };
    let bad_date = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
    let cases: Vec<(&str, Value, String)> = vec![
        ("title", json!(null), "This field may not be null.".into()),
        ("title", json!(""), "This field may not be blank.".into()),
        (
            "title",
            json!({"en": ""}),
            "This field may not be blank.".into(),
        ),
        (
            "title",
            json!({"xx": "a"}),
            "Invalid languages included.".into(),
        ),
        ("title", json!(5), "Invalid data type.".into()),
        (
            "content_type",
            json!("x"),
            "\"x\" is not a valid choice.".into(),
        ),
        (
            "content_type",
            json!("Link"),
            "\"Link\" is not a valid choice.".into(),
        ),
        (
            "content_type",
            json!(null),
            "This field may not be null.".into(),
        ),
        ("url", json!(null), "This field may not be null.".into()),
        ("url", json!(""), "This field may not be blank.".into()),
        ("url", json!("mywebsite.com"), "Enter a valid URL.".into()),
        ("url", json!("/stream"), "Enter a valid URL.".into()),
        (
            "url",
            json!("ftp://example.org/f"),
            "Enter a valid URL.".into(),
        ),
        (
            "url",
            json!("javascript:alert(1)"),
            "Enter a valid URL.".into(),
        ),
        (
            "url",
            json!("https://exa mple.org"),
            "Enter a valid URL.".into(),
        ),
        (
            "description",
            json!({"xx": "a"}),
            "Invalid languages included.".into(),
        ),
        ("description", json!([]), "Invalid data type.".into()),
        (
            "all_products",
            json!("maybe"),
            "Must be a valid boolean.".into(),
        ),
        (
            "all_products",
            json!(null),
            "This field may not be null.".into(),
        ),
        (
            "limit_products",
            json!("1"),
            "Expected a list of items but got type \"str\".".into(),
        ),
        (
            "limit_products",
            json!(null),
            "This field may not be null.".into(),
        ),
        (
            "limit_products",
            json!(["a"]),
            "Incorrect type. Expected pk value, received str.".into(),
        ),
        ("available_from", json!("2020-03-22"), bad_date.into()),
        ("available_until", json!("tomorrow"), bad_date.into()),
        (
            "position",
            json!("a"),
            "A valid integer is required.".into(),
        ),
        (
            "position",
            json!(null),
            "This field may not be null.".into(),
        ),
        (
            "position",
            json!(2_147_483_648_i64),
            "Ensure this value is less than or equal to 2147483647.".into(),
        ),
        (
            "subevent",
            json!("x"),
            "Incorrect type. Expected pk value, received str.".into(),
        ),
    ];
    for (field, value, message) in cases {
        let expected = json!({ field: [message] }).to_string();
        refused(&app, &token, ev, with(field, value), &expected).await;
    }
    // Every failing field, in field order, one message each.
    refused(
        &app,
        &token,
        ev,
        json!({"position": "a", "url": "nope", "content_type": "x", "subevent": 12345, "limit_products": [12345]}),
        r#"{"subevent":["Invalid pk \"12345\" - object does not exist."],"title":["This field is required."],"content_type":["\"x\" is not a valid choice."],"url":["Enter a valid URL."],"limit_products":["Invalid pk \"12345\" - object does not exist."],"position":["A valid integer is required."]}"#,
    )
    .await;
    // Bodies that are not objects, and malformed JSON.
    refused(
        &app,
        &token,
        ev,
        json!([minimal("T")]),
        r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
    )
    .await;
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::POST,
            &list(ev),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{\"title\":"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(resp.json()["detail"]
        .as_str()
        .unwrap()
        .starts_with("JSON parse error - "));
    // Nothing was written; the same rules hold on PATCH.
    assert_eq!(app.get(&list(ev), &token).await.json()["count"], json!(0));
    let c = created(&app, &token, ev, minimal("T")).await;
    let resp = app
        .send_json(
            Method::PATCH,
            &one(ev, &c["id"]),
            &token,
            &json!({"url": "nope", "title": null}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            400,
            r#"{"title":["This field may not be null."],"url":["Enter a valid URL."]}"#.to_owned()
        )
    );
    assert_eq!(app.get(&one(ev, &c["id"]), &token).await.json(), c);
}

async fn references_must_belong_to_the_event(app: TestApp) {
    let token = fixture(&app).await;
    let a = item(&app, "sampleconf", "A");
    let b = item(&app, "sampleconf", "B");
    let elsewhere = item(&app, "other", "C");
    let foreign = item(&app, "foreign", "D");
    let unknown = |id: i64| format!(r#"Invalid pk \"{id}\" - object does not exist."#);
    for (ids, bad) in [
        (json!([a, elsewhere]), elsewhere),
        (json!([foreign, a]), foreign),
        (json!([b, 999_999]), 999_999),
    ] {
        let mut body = minimal("T");
        body["limit_products"] = ids;
        let expected = format!(r#"{{"limit_products":["{}"]}}"#, unknown(bad));
        refused(&app, &token, "sampleconf", body, &expected).await;
    }
    // Duplicates and order do not matter: the ids come out once each, ascending.
    let mut body = minimal("T");
    body["limit_products"] = json!([b, a, b]);
    body["all_products"] = json!(false);
    let c = created(&app, &token, "sampleconf", body).await;
    assert_eq!(c["limit_products"], json!([a, b]));
    assert_eq!(c["all_products"], json!(false));
    // A sub-event is refused in an event that is not a series (it has none).
    let day = create_subevent(&app, &token, "bigevents", "series").await;
    let mut body = minimal("T");
    body["subevent"] = json!(day);
    let expected = format!(r#"{{"subevent":["{}"]}}"#, unknown(day));
    refused(&app, &token, "sampleconf", body, &expected).await;
}

async fn availability_window(app: TestApp) {
    let token = fixture(&app).await;
    let ev = "sampleconf";
    let window = |from: &str, until: &str| {
        let mut body = minimal("T");
        body["available_from"] = json!(from);
        body["available_until"] = json!(until);
        body
    };
    let before = r#"{"non_field_errors":["available_until cannot be before available_from."]}"#;
    refused(
        &app,
        &token,
        ev,
        window("2020-03-22T23:00:00Z", "2020-03-22T22:59:59Z"),
        before,
    )
    .await;
    // Offsets are compared as instants: 00:30+01:00 is 23:30 UTC.
    refused(
        &app,
        &token,
        ev,
        window("2020-03-22T23:45:00Z", "2020-03-23T00:30:00+01:00"),
        before,
    )
    .await;
    // Field errors come first.
    let mut body = window("2020-03-22T23:00:00Z", "2020-03-22T22:00:00Z");
    body["position"] = json!("a");
    refused(
        &app,
        &token,
        ev,
        body,
        r#"{"position":["A valid integer is required."]}"#,
    )
    .await;
    // Equal is fine, so is one end alone.
    let c = created(
        &app,
        &token,
        ev,
        window("2020-03-22T23:00:00Z", "2020-03-22T23:00:00Z"),
    )
    .await;
    assert_eq!(c["available_until"], json!("2020-03-22T23:00:00Z"));
    // PATCH is checked against the stored other end.
    let path = one(ev, &c["id"]);
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            &json!({"available_until": "2020-03-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((resp.status, resp.text()), (400, before.to_owned()));
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"available_from": null, "available_until": "2020-03-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        (
            got["available_from"].clone(),
            got["available_until"].clone()
        ),
        (json!(null), json!("2020-03-01T00:00:00Z"))
    );
}

async fn limit_products_kept_with_all_products(app: TestApp) {
    let token = fixture(&app).await;
    let a = item(&app, "sampleconf", "A");
    let mut body = minimal("T");
    body["all_products"] = json!(true);
    body["limit_products"] = json!([a]);
    let c = created(&app, &token, "sampleconf", body).await;
    assert_eq!(
        (c["all_products"].clone(), c["limit_products"].clone()),
        (json!(true), json!([a]))
    );
    // Switching all_products off makes the kept list apply; it is still validated.
    let path = one("sampleconf", &c["id"]);
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"all_products": false}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (got["all_products"].clone(), got["limit_products"].clone()),
        (json!(false), json!([a]))
    );
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"limit_products": []}))
        .await;
    assert_eq!((status, got["limit_products"].clone()), (200, json!([])));
}

async fn put_resets_and_patch_is_partial(app: TestApp) {
    let token = fixture(&app).await;
    let a = item(&app, "sampleconf", "A");
    let full = json!({
        "title": "Full", "content_type": "file", "url": "https://example.org/f.pdf",
        "description": "Slides", "all_products": false, "limit_products": [a],
        "available_from": "2020-01-01T00:00:00Z", "available_until": "2020-02-01T00:00:00Z",
        "position": 5
    });
    let c = created(&app, &token, "sampleconf", full).await;
    let path = one("sampleconf", &c["id"]);
    // PATCH changes only what it names.
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"position": 6}))
        .await;
    assert_eq!(status, 200);
    let mut want = c.clone();
    want["position"] = json!(6);
    assert_eq!(got, want);
    // PATCH with an empty body changes nothing.
    let (status, got) = app.send(Method::PATCH, &path, &token, json!({})).await;
    assert_eq!((status, got), (200, want));
    // PUT needs title and url ...
    let resp = app
        .send_json(Method::PUT, &path, &token, &json!({"position": 1}))
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            400,
            r#"{"title":["This field is required."],"url":["This field is required."]}"#.to_owned()
        )
    );
    // ... and resets every field it leaves out to its default.
    let (status, got) = app
        .send(Method::PUT, &path, &token, minimal("Replaced"))
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got,
        json!({
            "id": c["id"], "subevent": null, "title": {"en": "Replaced"}, "content_type": "link",
            "url": "https://example.org/stream", "description": null, "all_products": true,
            "limit_products": [], "available_from": null, "available_until": null, "position": 0
        })
    );
    assert_eq!(app.get(&path, &token).await.json(), got);
    assert_eq!(count_rows(&app, "digital_content_items"), "0");
}

async fn subevents_of_a_series(app: TestApp) {
    let token = fixture(&app).await;
    let day1 = create_subevent(&app, &token, "bigevents", "series").await;
    let day2 = create_subevent(&app, &token, "bigevents", "series").await;
    let other = app.token("otherorg", "Admins").await;
    let foreign_day = create_subevent(&app, &other, "otherorg", "foreign").await;
    // null is every date; a date of this series is fine; another event's is unknown.
    let all = created(&app, &token, "series", minimal("All dates")).await;
    assert_eq!(all["subevent"], json!(null));
    let mut body = minimal("Day 1");
    body["subevent"] = json!(day1);
    let first = created(&app, &token, "series", body).await;
    assert_eq!(first["subevent"], json!(day1));
    let mut body = minimal("Day 2");
    body["subevent"] = json!(day2.to_string());
    let second = created(&app, &token, "series", body).await;
    assert_eq!(second["subevent"], json!(day2));
    let mut body = minimal("Foreign");
    body["subevent"] = json!(foreign_day);
    let expected =
        format!(r#"{{"subevent":["Invalid pk \"{foreign_day}\" - object does not exist."]}}"#);
    refused(&app, &token, "series", body, &expected).await;

    // The list filters by sub-event.
    let titles = |page: Value| -> Vec<Value> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"]["en"].clone())
            .collect()
    };
    let page = app
        .get(&format!("{}?subevent={day1}", list("series")), &token)
        .await
        .json();
    assert_eq!(
        (page["count"].clone(), titles(page)),
        (json!(1), vec![json!("Day 1")])
    );
    let page = app
        .get(&format!("{}?subevent=", list("series")), &token)
        .await
        .json();
    assert_eq!(page["count"], json!(3));
    let page = app
        .get(&format!("{}?subevent=999999", list("series")), &token)
        .await
        .json();
    assert_eq!(page["count"], json!(0));
    let resp = app
        .get(&format!("{}?subevent=x", list("series")), &token)
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (400, r#"{"subevent":["Enter a number."]}"#.to_owned())
    );
    // PATCH may move a content to all dates.
    let (status, got) = app
        .send(
            Method::PATCH,
            &one("series", &second["id"]),
            &token,
            json!({"subevent": null}),
        )
        .await;
    assert_eq!((status, got["subevent"].clone()), (200, json!(null)));

    // Deleting a date deletes the contents meant for it only.
    let resp = app
        .delete(&format!("{EVENTS}series/subevents/{day1}/"), &token)
        .await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    let resp = app.get(&one("series", &first["id"]), &token).await;
    assert_eq!((resp.status, resp.text()), (404, NOT_FOUND.to_owned()));
    assert_eq!(
        app.get(&list("series"), &token).await.json()["count"],
        json!(2)
    );
}

async fn list_order_filter_and_pages(app: TestApp) {
    let token = fixture(&app).await;
    // Ordered by position, then id.
    for (title, position) in [("c", 2), ("a", 1), ("d", 2), ("b", 1), ("e", -1)] {
        let mut body = minimal(title);
        body["position"] = json!(position);
        created(&app, &token, "sampleconf", body).await;
    }
    created(&app, &token, "other", minimal("elsewhere")).await;
    let titles = |page: &Value| -> Vec<String> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"]["en"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = app.get(&list("sampleconf"), &token).await.json();
    assert_eq!(page["count"], json!(5));
    assert_eq!(titles(&page), ["e", "a", "b", "c", "d"]);
    // Pages of two: every object once, links absolute and keeping the other parameters.
    let first = app
        .get(&format!("{}?page_size=2", list("sampleconf")), &token)
        .await
        .json();
    assert_eq!(titles(&first), ["e", "a"]);
    assert_eq!(
        first["next"],
        json!(app.url(&format!("{}?page=2&page_size=2", list("sampleconf"))))
    );
    let last = app
        .get(
            &format!("{}?page_size=2&page=last", list("sampleconf")),
            &token,
        )
        .await
        .json();
    assert_eq!(titles(&last), ["d"]);
    assert_eq!(last["next"], json!(null));
    let resp = app
        .get(
            &format!("{}?page=4&page_size=2", list("sampleconf")),
            &token,
        )
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (404, r#"{"detail":"Invalid page."}"#.to_owned())
    );
    // An event without contents lists none.
    let page = app.get(&list("series"), &token).await.json();
    assert_eq!(
        page,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
}

async fn list_page_costs_fixed_queries(app: TestApp) {
    let token = fixture(&app).await;
    let a = item(&app, "sampleconf", "A");
    let b = item(&app, "sampleconf", "B");
    for i in 0..50 {
        let mut body = minimal(&format!("c{i:02}"));
        body["all_products"] = json!(false);
        body["limit_products"] = json!([a, b]);
        created(&app, &token, "sampleconf", body).await;
    }
    let results = app
        .assert_fixed_page_cost(&list("sampleconf"), &token)
        .await;
    assert!(results.iter().all(|c| c["limit_products"] == json!([a, b])));
}

async fn clone_copies_contents_with_new_products(app: TestApp) {
    let token = fixture(&app).await;
    let a = item(&app, "sampleconf", "A");
    let b = item(&app, "sampleconf", "B");
    let limited = created(
        &app,
        &token,
        "sampleconf",
        json!({
            "title": {"en": "Limited", "de": "Begrenzt"}, "content_type": "webinar",
            "url": "https://example.org/w", "description": "**Bring questions**",
            "all_products": false, "limit_products": [a, b],
            "available_from": "2030-01-01T09:00:00Z", "available_until": "2030-01-01T12:00:00Z",
            "position": 2
        }),
    )
    .await;
    let mut body = minimal("Everyone");
    body["limit_products"] = json!([b]);
    body["position"] = json!(1);
    let everyone = created(&app, &token, "sampleconf", body).await;

    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}sampleconf/clone/"),
            &token,
            &json!({"name": "Copy", "slug": "copy", "date_from": "2031-01-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let new_id = |name: &str| -> i64 {
        app.texts(&format!(
            "SELECT CAST(i.id AS TEXT) AS v FROM items i JOIN events e ON e.id = i.event_id \
             WHERE e.slug = 'copy' AND i.name = '{{\"en\":\"{name}\"}}'"
        ))[0]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (new_a, new_b) = (new_id("A"), new_id("B"));
    assert!(![a, b].contains(&new_a) && ![a, b].contains(&new_b));
    let copies = app.get(&list("copy"), &token).await.json();
    assert_eq!(copies["count"], json!(2));
    let results = copies["results"].as_array().unwrap();
    // Every field is copied (in position order), with new ids and the new products.
    for (copy, source, products) in [
        (&results[0], &everyone, json!([new_b])),
        (&results[1], &limited, json!([new_a, new_b])),
    ] {
        assert_ne!(copy["id"], source["id"]);
        let mut want = source.clone();
        want["id"] = copy["id"].clone();
        want["limit_products"] = products;
        assert_eq!(copy.to_string(), want.to_string());
    }
    // The source is unchanged.
    assert_eq!(
        app.get(&one("sampleconf", &limited["id"]), &token)
            .await
            .json(),
        limited
    );

    // In a series, contents of a date are not copied (dates are not copied).
    let day = create_subevent(&app, &token, "bigevents", "series").await;
    created(&app, &token, "series", minimal("All dates")).await;
    let mut body = minimal("One date");
    body["subevent"] = json!(day);
    created(&app, &token, "series", body).await;
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}series/clone/"),
            &token,
            &json!({"name": "Series 2", "slug": "series2", "date_from": "2031-01-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let copies = app.get(&list("series2"), &token).await.json();
    assert_eq!(copies["count"], json!(1));
    assert_eq!(copies["results"][0]["title"], json!({"en": "All dates"}));
    assert_eq!(copies["results"][0]["subevent"], json!(null));

    // `?clone_from=` copies them as well.
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}?clone_from=sampleconf"),
            &token,
            &json!({"name": "Copy 2", "slug": "copy2", "date_from": "2031-01-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(
        app.get(&list("copy2"), &token).await.json()["count"],
        json!(2)
    );
}

async fn deleting_products_takes_them_out_of_limit_products(app: TestApp) {
    let token = fixture(&app).await;
    let a = item(&app, "sampleconf", "A");
    let b = item(&app, "sampleconf", "B");
    let c = item(&app, "sampleconf", "C");
    let mut body = minimal("First");
    body["all_products"] = json!(false);
    body["limit_products"] = json!([a, b, c]);
    let first = created(&app, &token, "sampleconf", body).await;
    let mut body = minimal("Second");
    body["limit_products"] = json!([a, c]);
    let second = created(&app, &token, "sampleconf", body).await;

    // Through the products API ...
    let resp = app
        .delete(&format!("{EVENTS}sampleconf/items/{a}/"), &token)
        .await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    let got = |content: &Value| {
        let path = one("sampleconf", &content["id"]);
        let app = &app;
        let token = &token;
        async move { app.get(&path, token).await.json()["limit_products"].clone() }
    };
    assert_eq!(got(&first).await, json!([b, c]));
    assert_eq!(got(&second).await, json!([c]));
    // ... and by any other way the row goes.
    app.sql(&format!("DELETE FROM items WHERE id = {c};"));
    assert_eq!(got(&first).await, json!([b]));
    assert_eq!(got(&second).await, json!([]));
    // The contents themselves stay.
    assert_eq!(
        app.get(&list("sampleconf"), &token).await.json()["count"],
        json!(2)
    );
    // A deleted event takes its contents and their links with it.
    let resp = app.delete(&format!("{EVENTS}sampleconf/"), &token).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert_eq!(count_rows(&app, "digital_contents"), "0");
    assert_eq!(count_rows(&app, "digital_content_items"), "0");
}
