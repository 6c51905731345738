//! `/api/v1/organizers/{o}/events/{e}/subevents/` (docs/api-compatibility.md): the dates of an event
//! series. CRUD with exact bodies, every field rule and error, PUT vs PATCH, 404s, the
//! permission matrix, ordering and pagination, on both backends.

use actix_web::http::Method;
use presale_tests::{both_backends, texts, Round, TestApp};
use serde_json::{json, Value};

both_backends!(
    create_read_update_delete,
    create_fills_defaults_and_converts_datetimes,
    only_event_series_have_sub_events,
    field_errors_in_field_order,
    date_rules,
    put_requires_fields_and_patch_is_partial,
    list_is_ordered_and_paginated,
    deleting_a_sub_event_deletes_its_quotas,
);

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const NOT_FOUND: &str = r#"{"detail":"No SubEvent matches the given query."}"#;
const NOT_A_SERIES: &str =
    "Sub-events can only be created in an event series (has_subevents: true).";
const BAD_DATETIME: &str = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

fn list(event: &str) -> String {
    format!("{EVENTS}{event}/subevents/")
}

fn one(event: &str, id: &Value) -> String {
    format!("{EVENTS}{event}/subevents/{id}/")
}

/// Organizer `bigevents` (token returned) with the series `series` and `series2` and the
/// single event `conf`; organizer `otherorg` with the series `foreign`.
async fn fixture(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.organizer_with_token("otherorg").await;
    app.create_event(&token, "bigevents", "series", true).await;
    app.create_event(&token, "bigevents", "series2", true).await;
    app.create_event(&token, "bigevents", "conf", false).await;
    app.create_event(&other, "otherorg", "foreign", true).await;
    token
}

async fn created(app: &TestApp, token: &str, event: &str, body: Value) -> Value {
    let (status, json) = app.send(Method::POST, &list(event), token, body).await;
    assert_eq!(status, 201, "{json}");
    json
}

fn day(name: &str, date_from: &str) -> Value {
    json!({"name": name, "date_from": date_from})
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let resp = app.delete(path, token).await;
    (resp.status, resp.text())
}

async fn create_read_update_delete(app: TestApp) {
    let token = fixture(&app).await;
    let after_put = json!({
        "name": {"en": "Day 1", "de": "Tag 1"}, "event": "series", "active": true,
        "date_from": "2017-12-27T10:00:00Z", "date_to": "2017-12-27T18:00:00Z",
        "presale_start": "2017-01-01T00:00:00Z", "presale_end": "2017-12-26T00:00:00Z",
        "location": {"en": "Heidelberg"}
    });
    let mut put = after_put.clone();
    put.as_object_mut().map(|o| o.remove("event"));
    let mut after_patch = after_put.clone();
    after_patch["active"] = json!(false);
    after_patch["location"] = Value::Null;
    let round = Round {
        collection: &list("series"),
        key: "id",
        before: vec![],
        at: 0,
        elsewhere: &[&list("series2")],
        create: json!({
            "name": {"en": "First Sample Conference"}, "active": false,
            "date_from": "2017-12-27T10:00:00Z", "date_to": null,
            "presale_start": null, "presale_end": null, "location": null
        }),
        // Keys in the documented order, `event` is the event's slug.
        created: r#"{"id":{key},"name":{"en":"First Sample Conference"},"event":"series","active":false,"date_from":"2017-12-27T10:00:00Z","date_to":null,"presale_start":null,"presale_end":null,"location":null}"#,
        put,
        after_put,
        patch: json!({"active": false, "location": null}),
        after_patch,
        not_found: NOT_FOUND,
    };
    app.round(&token, round).await;
}

async fn create_fills_defaults_and_converts_datetimes(app: TestApp) {
    let token = fixture(&app).await;
    let s = created(&app, &token, "series", day("Plain", "2030-03-01T10:00:00Z")).await;
    assert_eq!(
        s.to_string(),
        json!({
            "id": s["id"], "name": {"en": "Plain"}, "event": "series", "active": false,
            "date_from": "2030-03-01T10:00:00Z", "date_to": null, "presale_start": null,
            "presale_end": null, "location": null
        })
        .to_string()
    );
    // Offsets become UTC, naive values are UTC, microseconds are kept; read-only fields and
    // pretix's other sub-event fields are ignored; booleans in pretix's spellings.
    let s = created(
        &app,
        &token,
        "series",
        json!({
            "id": 999, "event": "conf", "meta_data": {}, "is_public": false,
            "name": "Offsets", "active": "yes",
            "date_from": "2030-03-01T10:00:00+02:00", "date_to": "2030-03-01T18:30",
            "presale_start": "2030-01-01T00:00:00.250000Z", "presale_end": "2030-02-28T23:59:59-01:00",
            "location": "Berlin"
        }),
    )
    .await;
    assert_ne!(s["id"], json!(999));
    assert_eq!(
        s,
        json!({
            "id": s["id"], "name": {"en": "Offsets"}, "event": "series", "active": true,
            "date_from": "2030-03-01T08:00:00Z", "date_to": "2030-03-01T18:30:00Z",
            "presale_start": "2030-01-01T00:00:00.250000Z", "presale_end": "2030-03-01T00:59:59Z",
            "location": {"en": "Berlin"}
        })
    );
    // An empty name is a name (pretix accepts it too).
    let s = created(&app, &token, "series", day("", "2030-03-02T10:00:00Z")).await;
    assert_eq!(s["name"], json!({"en": ""}));
}

async fn only_event_series_have_sub_events(app: TestApp) {
    let token = fixture(&app).await;
    // pretix would store a date in a single event; Presale keeps dates to series.
    for body in [day("Day", "2030-01-01T10:00:00Z"), json!({})] {
        let (status, got) = app.send(Method::POST, &list("conf"), &token, body).await;
        assert_eq!(
            (status, got),
            (400, json!({"non_field_errors": [NOT_A_SERIES]}))
        );
    }
    let resp = app.get(&list("conf"), &token).await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            200,
            r#"{"count":0,"next":null,"previous":null,"results":[]}"#.to_owned()
        )
    );
    // A series' date is not found under a single event.
    let s = created(&app, &token, "series", day("Day", "2030-01-01T10:00:00Z")).await;
    let resp = app.get(&one("conf", &s["id"]), &token).await;
    assert_eq!((resp.status, resp.text()), (404, NOT_FOUND.to_owned()));
}

async fn field_errors_in_field_order(app: TestApp) {
    let token = fixture(&app).await;
    let cases = [
        (
            json!({}),
            json!({"name": ["This field is required."], "date_from": ["This field is required."]}),
        ),
        (
            json!({"location": null, "presale_end": null, "presale_start": null, "date_to": null,
                   "date_from": null, "active": null, "name": null}),
            json!({
                "name": ["This field may not be null."],
                "active": ["This field may not be null."],
                "date_from": ["This field may not be null."]
            }),
        ),
        (
            json!({"location": 5, "presale_end": 5, "presale_start": "2030-01-01", "date_to": "tomorrow",
                   "date_from": "2030-13-01T10:00:00Z", "active": "maybe", "name": {"xx": "a"}}),
            json!({
                "name": ["Invalid languages included."],
                "active": ["Must be a valid boolean."],
                "date_from": [BAD_DATETIME],
                "date_to": [BAD_DATETIME],
                "presale_start": [BAD_DATETIME],
                "presale_end": [BAD_DATETIME],
                "location": ["Invalid data type."]
            }),
        ),
        (
            json!({"name": 5, "date_from": "2030-01-01T10:00:00Z", "location": {"en": 1}}),
            json!({"name": ["Invalid data type."], "location": ["Invalid data type."]}),
        ),
        (
            json!({"active": [], "date_from": "2030-01-01T10:00:00Z"}),
            json!({"name": ["This field is required."], "active": ["Must be a valid boolean."]}),
        ),
        (
            json!("Day 1"),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ),
    ];
    for (body, errors) in cases {
        let resp = app
            .send_json(Method::POST, &list("series"), &token, &body)
            .await;
        assert_eq!(resp.status, 400, "{body}");
        // Exact bytes: fields in the documented order.
        assert_eq!(resp.text(), errors.to_string(), "{body}");
    }
    assert_eq!(
        app.get(&list("series"), &token).await.json()["count"],
        json!(0)
    );
}

async fn date_rules(app: TestApp) {
    let token = fixture(&app).await;
    let ends_before = json!({"non_field_errors": ["The event cannot end before it starts."]});
    let presale = json!({"non_field_errors": ["The event's presale cannot end before it starts."]});
    for (body, errors) in [
        (
            json!({"name": "D", "date_from": "2030-01-02T10:00:00Z", "date_to": "2030-01-02T09:59:59Z"}),
            &ends_before,
        ),
        // Offsets are compared as instants: 10:00+02:00 is 08:00Z.
        (
            json!({"name": "D", "date_from": "2030-01-02T08:00:01Z", "date_to": "2030-01-02T10:00:00+02:00"}),
            &ends_before,
        ),
        (
            json!({"name": "D", "date_from": "2030-01-02T10:00:00Z",
                   "presale_start": "2030-01-01T00:00:00Z", "presale_end": "2029-12-31T23:59:59Z"}),
            &presale,
        ),
        // Both wrong: the date rule is reported first, alone.
        (
            json!({"name": "D", "date_from": "2030-01-02T10:00:00Z", "date_to": "2030-01-01T10:00:00Z",
                   "presale_start": "2030-01-01T00:00:00Z", "presale_end": "2029-12-31T23:59:59Z"}),
            &ends_before,
        ),
    ] {
        let (status, got) = app
            .send(Method::POST, &list("series"), &token, body.clone())
            .await;
        assert_eq!((status, &got), (400, errors), "{body}");
    }
    // Equal values are fine.
    let s = created(
        &app,
        &token,
        "series",
        json!({"name": "D", "date_from": "2030-01-02T10:00:00Z", "date_to": "2030-01-02T10:00:00Z",
               "presale_start": "2030-01-01T00:00:00Z", "presale_end": "2030-01-01T00:00:00Z"}),
    )
    .await;
    let path = one("series", &s["id"]);
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"date_from": "2030-01-03T10:00:00Z", "date_to": "2030-01-02T10:00:00Z"}),
        )
        .await;
    assert_eq!((status, got), (400, ends_before.clone()));
    // As in pretix, only values sent together are compared: a date moved alone is stored.
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"date_from": "2030-01-03T10:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, got["date_from"].clone(), got["date_to"].clone()),
        (
            200,
            json!("2030-01-03T10:00:00Z"),
            json!("2030-01-02T10:00:00Z")
        )
    );
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"presale_end": "2029-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, got["presale_end"].clone()),
        (200, json!("2029-01-01T00:00:00Z"))
    );
}

async fn put_requires_fields_and_patch_is_partial(app: TestApp) {
    let token = fixture(&app).await;
    let s = created(
        &app,
        &token,
        "series",
        json!({"name": "Day", "date_from": "2030-01-02T10:00:00Z", "date_to": "2030-01-02T18:00:00Z",
               "active": true, "location": "Berlin"}),
    )
    .await;
    let path = one("series", &s["id"]);
    for (body, errors) in [
        (
            json!({}),
            json!({"name": ["This field is required."], "date_from": ["This field is required."]}),
        ),
        (
            json!({"name": "Day", "active": "x"}),
            json!({"active": ["Must be a valid boolean."], "date_from": ["This field is required."]}),
        ),
    ] {
        let (status, got) = app.send(Method::PUT, &path, &token, body.clone()).await;
        assert_eq!((status, got), (400, errors), "{body}");
    }
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"date_from": null}))
        .await;
    assert_eq!(
        (status, got),
        (400, json!({"date_from": ["This field may not be null."]}))
    );
    assert_eq!(app.get(&path, &token).await.json(), s);
    // PUT with the required fields: the fields left out keep their values, as in pretix.
    let (status, got) = app
        .send(
            Method::PUT,
            &path,
            &token,
            json!({"name": "Renamed", "date_from": "2030-01-02T11:00:00Z"}),
        )
        .await;
    let mut expected = s.clone();
    expected["name"] = json!({"en": "Renamed"});
    expected["date_from"] = json!("2030-01-02T11:00:00Z");
    assert_eq!((status, got), (200, expected.clone()));
    let (status, got) = app.send(Method::PATCH, &path, &token, json!({})).await;
    assert_eq!((status, got), (200, expected.clone()));
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"id": 12345, "event": "series2", "date_to": null}),
        )
        .await;
    expected["date_to"] = Value::Null;
    assert_eq!((status, got), (200, expected.clone()));
    assert_eq!(app.get(&path, &token).await.json(), expected);
}

fn names(page: &Value) -> Vec<String> {
    texts(page, "/name/en")
}

async fn list_is_ordered_and_paginated(app: TestApp) {
    let token = fixture(&app).await;
    // Created out of date order; b and c share their start.
    for (name, date_from) in [
        ("c", "2030-01-02T10:00:00Z"),
        ("a", "2030-01-01T10:00:00Z"),
        ("d", "2030-01-03T10:00:00Z"),
        ("b", "2030-01-02T10:00:00Z"),
        ("e", "2030-01-04T10:00:00Z"),
    ] {
        created(&app, &token, "series", day(name, date_from)).await;
    }
    let base = list("series");
    // By date_from, ties by id descending (pretix's default).
    let all = app.get(&base, &token).await.json();
    assert_eq!(names(&all), ["a", "b", "c", "d", "e"]);
    for (ordering, expected) in [
        ("-date_from", ["e", "d", "b", "c", "a"]),
        ("id", ["c", "a", "d", "b", "e"]),
        ("-id", ["e", "b", "d", "a", "c"]),
        ("nope", ["a", "b", "c", "d", "e"]),
        ("date_from,id", ["a", "c", "b", "d", "e"]),
    ] {
        let page = app
            .get(&format!("{base}?ordering={ordering}"), &token)
            .await
            .json();
        assert_eq!(names(&page), expected, "{ordering}");
    }
    let first = app.get(&format!("{base}?page_size=2"), &token).await.json();
    assert_eq!(
        (
            first["count"].clone(),
            first["previous"].clone(),
            names(&first)
        ),
        (json!(5), Value::Null, vec!["a".to_owned(), "b".to_owned()])
    );
    assert_eq!(
        first["next"],
        json!(app.url(&format!("{base}?page=2&page_size=2")))
    );
    // Following `next` yields every date exactly once.
    let mut seen = names(&first);
    let mut next = first["next"].clone();
    while let Some(url) = next.as_str() {
        let path = url.strip_prefix(&app.address).unwrap().to_owned();
        let page = app.get(&path, &token).await.json();
        seen.extend(names(&page));
        next = page["next"].clone();
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    let last = app
        .get(
            &format!("{base}?page=last&page_size=2&ordering=-id"),
            &token,
        )
        .await
        .json();
    assert_eq!(names(&last), ["c"]);
    assert_eq!(
        last["previous"],
        json!(app.url(&format!("{base}?ordering=-id&page=2&page_size=2")))
    );
    for bad in ["?page=4&page_size=2", "?page=0", "?page=-1"] {
        let resp = app.get(&format!("{base}{bad}"), &token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Invalid page."}"#.to_owned()),
            "{bad}"
        );
    }
}

async fn deleting_a_sub_event_deletes_its_quotas(app: TestApp) {
    let token = fixture(&app).await;
    let first = created(&app, &token, "series", day("Day 1", "2030-01-01T10:00:00Z")).await;
    let second = created(&app, &token, "series", day("Day 2", "2030-01-02T10:00:00Z")).await;
    let quotas = list("series").replace("subevents", "quotas");
    for (name, subevent) in [
        ("Q1", &first["id"]),
        ("Q1b", &first["id"]),
        ("Q2", &second["id"]),
    ] {
        let (status, got) = app
            .send(
                Method::POST,
                &quotas,
                &token,
                json!({"name": name, "size": 10, "subevent": subevent}),
            )
            .await;
        assert_eq!(status, 201, "{got}");
    }
    assert_eq!(app.get(&quotas, &token).await.json()["count"], json!(3));
    assert_eq!(
        delete(&app, &token, &one("series", &first["id"])).await,
        (204, String::new())
    );
    let left = app.get(&quotas, &token).await.json();
    assert_eq!(left["count"], json!(1));
    assert_eq!(
        (
            left["results"][0]["name"].clone(),
            left["results"][0]["subevent"].clone()
        ),
        (json!("Q2"), second["id"].clone())
    );
}
