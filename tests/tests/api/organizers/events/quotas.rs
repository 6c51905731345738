//! `/api/v1/organizers/{o}/events/{e}/quotas/` (docs/api-compatibility.md): CRUD with exact bodies, every
//! field and reference rule with its exact error, PUT vs PATCH, 404s, the permission matrix
//! and pagination, on both backends. Products and variations are inserted as rows, so these
//! tests do not depend on the items API.

use actix_web::http::Method;
use presale_tests::{both_backends, texts, Round, TestApp};
use serde_json::{json, Value};

both_backends!(
    create_read_update_delete,
    create_fills_defaults_and_normalises_ids,
    field_errors_in_field_order,
    ids_must_name_existing_objects,
    variations_must_belong_to_the_quota_items,
    items_must_belong_to_the_event,
    subevent_rules,
    put_requires_name_and_patch_is_partial,
    list_is_paginated_and_ordered,
    list_page_costs_fixed_queries,
    deleting_products_takes_them_out_of_quotas,
);

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const NOT_FOUND: &str = r#"{"detail":"No Quota matches the given query."}"#;

fn list(event: &str) -> String {
    format!("{EVENTS}{event}/quotas/")
}

fn one(event: &str, id: &Value) -> String {
    format!("{EVENTS}{event}/quotas/{id}/")
}

async fn create_subevent(app: &TestApp, token: &str, organizer: &str, event: &str) -> Value {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/api/v1/organizers/{organizer}/events/{event}/subevents/"),
            token,
            &json!({"name": "Day", "date_from": "2030-01-02T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    resp.json()["id"].clone()
}

/// A product row: `id`, its event's slug, whether it has variations.
fn item_sql(id: i64, event: &str, has_variations: bool) -> String {
    format!(
        "INSERT INTO items (id, event_id, name, has_variations) \
         SELECT {id}, id, '{{\"en\":\"Item {id}\"}}', {has_variations} FROM events WHERE slug = '{event}';"
    )
}

fn variation_sql(id: i64, item: i64) -> String {
    format!("INSERT INTO item_variations (id, item_id, value) VALUES ({id}, {item}, '{{\"en\":\"V{id}\"}}');")
}

/// The fixture: organizer `bigevents` (token returned) with events `conf` and `other` and the
/// series `series` (sub-events 1 and 2); organizer `otherorg` with the series `foreign`
/// (sub-event 3). Products: in `conf` 1 (no variations) and 2 (variations 21, 22); in
/// `other` 3 (variation 31); in `series` 4 and 5 (variation 51); in `foreign` 9 (variation
/// 91).
async fn fixture(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.organizer_with_token("otherorg").await;
    app.create_event(&token, "bigevents", "conf", false).await;
    app.create_event(&token, "bigevents", "other", false).await;
    app.create_event(&token, "bigevents", "series", true).await;
    app.create_event(&other, "otherorg", "foreign", true).await;
    assert_eq!(
        create_subevent(app, &token, "bigevents", "series").await,
        json!(1)
    );
    assert_eq!(
        create_subevent(app, &token, "bigevents", "series").await,
        json!(2)
    );
    assert_eq!(
        create_subevent(app, &other, "otherorg", "foreign").await,
        json!(3)
    );
    let sql = [
        item_sql(1, "conf", false),
        item_sql(2, "conf", true),
        variation_sql(21, 2),
        variation_sql(22, 2),
        item_sql(3, "other", true),
        variation_sql(31, 3),
        item_sql(4, "series", false),
        item_sql(5, "series", true),
        variation_sql(51, 5),
        item_sql(9, "foreign", true),
        variation_sql(91, 9),
    ]
    .concat();
    app.sql(&sql);
    token
}

async fn created(app: &TestApp, token: &str, event: &str, body: Value) -> Value {
    let (status, json) = app.send(Method::POST, &list(event), token, body).await;
    assert_eq!(status, 201, "{json}");
    json
}

async fn create_read_update_delete(app: TestApp) {
    let token = fixture(&app).await;
    let round = Round {
        collection: &list("conf"),
        key: "id",
        before: vec![],
        at: 0,
        elsewhere: &[&list("other")],
        create: json!({"name": "Ticket Quota", "size": 200, "items": [1, 2], "variations": [21, 22], "subevent": null}),
        created: r#"{"id":{key},"name":"Ticket Quota","size":200,"items":[1,2],"variations":[21,22],"subevent":null}"#,
        put: json!({"name": "Tickets", "size": null, "items": [1], "variations": []}),
        after_put: json!({"name": "Tickets", "size": null, "items": [1], "variations": [], "subevent": null}),
        patch: json!({"size": 0}),
        after_patch: json!({"name": "Tickets", "size": 0, "items": [1], "variations": [], "subevent": null}),
        not_found: NOT_FOUND,
    };
    app.round(&token, round).await;
}

async fn create_fills_defaults_and_normalises_ids(app: TestApp) {
    let token = fixture(&app).await;
    let q = created(&app, &token, "conf", json!({"name": "Empty"})).await;
    assert_eq!(
        q.to_string(),
        json!({"id": q["id"], "name": "Empty", "size": null, "items": [], "variations": [], "subevent": null})
            .to_string()
    );
    // Read-only id ignored, name trimmed, size as text, ids as text or whole floats,
    // duplicates dropped, lists sorted.
    let q = created(
        &app,
        &token,
        "conf",
        json!({
            "id": 999, "name": "  Shirts ", "size": "12", "items": [2, "1", 1.0, 2],
            "variations": [" 22", 21, 22]
        }),
    )
    .await;
    assert_ne!(q["id"], json!(999));
    assert_eq!(
        q,
        json!({"id": q["id"], "name": "Shirts", "size": 12, "items": [1, 2], "variations": [21, 22], "subevent": null})
    );
    // Form-encoded bodies work too (lists cannot be sent that way).
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::POST,
            &list("conf"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(b"name=Form&size=3"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.json()["size"], json!(3));
    // Limits: 0 and 2147483647 are sizes, a 200-character name is a name.
    let long = "x".repeat(200);
    let q = created(
        &app,
        &token,
        "conf",
        json!({"name": long, "size": 2_147_483_647}),
    )
    .await;
    assert_eq!(
        (q["name"].clone(), q["size"].clone()),
        (json!(long), json!(2_147_483_647))
    );
    let q = created(&app, &token, "conf", json!({"name": "Zero", "size": 0})).await;
    assert_eq!(q["size"], json!(0));
    assert_eq!(
        app.get(&list("conf"), &token).await.json()["count"],
        json!(5)
    );
}

async fn field_errors_in_field_order(app: TestApp) {
    let token = fixture(&app).await;
    let cases = [
        (json!({}), json!({"name": ["This field is required."]})),
        (
            json!({"subevent": null, "variations": null, "items": null, "size": null, "name": null}),
            json!({
                "name": ["This field may not be null."],
                "items": ["This field may not be null."],
                "variations": ["This field may not be null."]
            }),
        ),
        (
            json!({"name": "", "size": "many", "items": "1", "variations": 21, "subevent": "x"}),
            json!({
                "name": ["This field may not be blank."],
                "size": ["A valid integer is required."],
                "items": ["Expected a list of items but got type \"str\"."],
                "variations": ["Expected a list of items but got type \"int\"."],
                "subevent": ["Incorrect type. Expected pk value, received str."]
            }),
        ),
        (
            json!({"name": [], "size": -1, "items": [true], "variations": [{}], "subevent": true}),
            json!({
                "name": ["Not a valid string."],
                "size": ["Ensure this value is greater than or equal to 0."],
                "items": ["Incorrect type. Expected pk value, received bool."],
                "variations": ["Incorrect type. Expected pk value, received dict."],
                "subevent": ["Incorrect type. Expected pk value, received bool."]
            }),
        ),
        (
            json!({"name": "x".repeat(201), "size": 2_147_483_648_i64, "items": [null], "variations": [1.5]}),
            json!({
                "name": ["Ensure this field has no more than 200 characters."],
                "size": ["Ensure this value is less than or equal to 2147483647."],
                "items": ["Invalid pk \"None\" - object does not exist."],
                "variations": ["Invalid pk \"1.5\" - object does not exist."]
            }),
        ),
        (
            json!({"name": "   ", "size": 1.5, "items": ["a"]}),
            json!({
                "name": ["This field may not be blank."],
                "size": ["A valid integer is required."],
                "items": ["Incorrect type. Expected pk value, received str."]
            }),
        ),
        (
            json!([{"name": "Q"}]),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
    ];
    for (body, errors) in cases {
        let resp = app
            .send_json(Method::POST, &list("conf"), &token, &body)
            .await;
        assert_eq!(resp.status, 400, "{body}");
        // Exact bytes: fields in the documented order.
        assert_eq!(resp.text(), errors.to_string(), "{body}");
    }
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::POST,
            &list("conf"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{bad"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{}",
        resp.text()
    );
    assert_eq!(
        app.get(&list("conf"), &token).await.json()["count"],
        json!(0)
    );
}

async fn ids_must_name_existing_objects(app: TestApp) {
    let token = fixture(&app).await;
    // Unknown ids, and ids of another organizer's objects, do not exist here.
    for (body, errors) in [
        (
            json!({"name": "Q", "items": [1, 7], "variations": [99], "subevent": 42}),
            json!({
                "items": ["Invalid pk \"7\" - object does not exist."],
                "variations": ["Invalid pk \"99\" - object does not exist."],
                "subevent": ["Invalid pk \"42\" - object does not exist."]
            }),
        ),
        (
            json!({"name": "Q", "items": [9], "variations": [91], "subevent": 3}),
            json!({
                "items": ["Invalid pk \"9\" - object does not exist."],
                "variations": ["Invalid pk \"91\" - object does not exist."],
                "subevent": ["Invalid pk \"3\" - object does not exist."]
            }),
        ),
        (
            json!({"name": "Q", "items": [-1, 0]}),
            json!({"items": ["Invalid pk \"-1\" - object does not exist."]}),
        ),
        // Field errors come before the reference rules, which are not reported alongside.
        (
            json!({"name": "", "items": [3], "variations": [21]}),
            json!({"name": ["This field may not be blank."]}),
        ),
    ] {
        let (status, got) = app
            .send(Method::POST, &list("conf"), &token, body.clone())
            .await;
        assert_eq!((status, got), (400, errors), "{body}");
    }
    assert_eq!(
        app.get(&list("conf"), &token).await.json()["count"],
        json!(0)
    );
}

async fn variations_must_belong_to_the_quota_items(app: TestApp) {
    let token = fixture(&app).await;
    let not_in_items = json!({"variations": ["All variations must belong to an item contained in the items list."]});
    let missing = json!({"variations": ["One or more items has variations but none of these are in the variations list."]});
    for (body, errors) in [
        (
            json!({"name": "Q", "items": [1], "variations": [21]}),
            &not_in_items,
        ),
        (json!({"name": "Q", "variations": [21]}), &not_in_items),
        (json!({"name": "Q", "items": [1, 2]}), &missing),
        (
            json!({"name": "Q", "items": [2], "variations": []}),
            &missing,
        ),
    ] {
        let (status, got) = app
            .send(Method::POST, &list("conf"), &token, body.clone())
            .await;
        assert_eq!((status, &got), (400, errors), "{body}");
    }
    // One variation of an item with variations is enough.
    let q = created(
        &app,
        &token,
        "conf",
        json!({"name": "S", "items": [1, 2], "variations": [22]}),
    )
    .await;
    assert_eq!(
        (q["items"].clone(), q["variations"].clone()),
        (json!([1, 2]), json!([22]))
    );
    // PATCH is checked against the stored quota: the stored items hold variation 21's item,
    // while dropping item 2 leaves variation 22 without its item.
    let path = one("conf", &q["id"]);
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"variations": [21]}))
        .await;
    assert_eq!((status, got["variations"].clone()), (200, json!([21])));
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"items": [1]}))
        .await;
    assert_eq!((status, got), (400, not_in_items.clone()));
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"variations": []}))
        .await;
    assert_eq!((status, got), (400, missing));
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"items": [1], "variations": []}),
        )
        .await;
    assert_eq!(
        (status, got),
        (
            200,
            json!({"id": q["id"], "name": "S", "size": null, "items": [1], "variations": [], "subevent": null})
        )
    );
}

async fn items_must_belong_to_the_event(app: TestApp) {
    let token = fixture(&app).await;
    let (status, got) = app
        .send(
            Method::POST,
            &list("conf"),
            &token,
            json!({"name": "Q", "items": [1, 3], "variations": [31]}),
        )
        .await;
    assert_eq!(
        (status, got),
        (
            400,
            json!({"items": ["One or more items do not belong to this event."]})
        )
    );
    // All failing fields are reported, in field order.
    let (status, got) = app
        .send(
            Method::POST,
            &list("conf"),
            &token,
            json!({"name": "Q", "items": [3, 1], "variations": [21], "subevent": 1}),
        )
        .await;
    assert_eq!(
        (status, got),
        (
            400,
            json!({
                "items": ["One or more items do not belong to this event."],
                "variations": ["All variations must belong to an item contained in the items list."],
                "subevent": ["The subevent does not belong to this event."]
            })
        )
    );
    let (status, got) = app
        .send(
            Method::POST,
            &list("other"),
            &token,
            json!({"name": "Q", "items": [3], "variations": [31]}),
        )
        .await;
    assert_eq!((status, got["items"].clone()), (201, json!([3])));
}

async fn subevent_rules(app: TestApp) {
    let token = fixture(&app).await;
    let required = json!({"subevent": ["Subevent cannot be null for event series."]});
    let foreign = json!({"subevent": ["The subevent does not belong to this event."]});
    // A series needs a date of its own.
    for (body, errors) in [
        (json!({"name": "Q"}), &required),
        (json!({"name": "Q", "subevent": null}), &required),
    ] {
        let (status, got) = app
            .send(Method::POST, &list("series"), &token, body.clone())
            .await;
        assert_eq!((status, &got), (400, errors), "{body}");
    }
    let q = created(
        &app,
        &token,
        "series",
        json!({"name": "Day 1", "size": 10, "items": [4, 5], "variations": [51], "subevent": 1}),
    )
    .await;
    assert_eq!(
        q,
        json!({"id": q["id"], "name": "Day 1", "size": 10, "items": [4, 5], "variations": [51], "subevent": 1})
    );
    let path = one("series", &q["id"]);
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"subevent": null}))
        .await;
    assert_eq!((status, got), (400, required.clone()));
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"subevent": "2"}))
        .await;
    assert_eq!((status, got["subevent"].clone()), (200, json!(2)));
    // PATCH without the subevent keeps the stored one.
    let (status, got) = app
        .send(Method::PATCH, &path, &token, json!({"name": "Day 2"}))
        .await;
    assert_eq!((status, got["subevent"].clone()), (200, json!(2)));
    // Outside a series, no sub-event at all.
    let (status, got) = app
        .send(
            Method::POST,
            &list("conf"),
            &token,
            json!({"name": "Q", "subevent": 1}),
        )
        .await;
    assert_eq!((status, got), (400, foreign.clone()));
    // Another series' date: create one in a second series.
    app.create_event(&token, "bigevents", "series2", true).await;
    assert_eq!(
        create_subevent(&app, &token, "bigevents", "series2").await,
        json!(4)
    );
    let (status, got) = app
        .send(
            Method::POST,
            &list("series"),
            &token,
            json!({"name": "Q", "subevent": 4}),
        )
        .await;
    assert_eq!((status, got), (400, foreign));
    let q = created(&app, &token, "series2", json!({"name": "Q", "subevent": 4})).await;
    assert_eq!(q["subevent"], json!(4));
}

async fn put_requires_name_and_patch_is_partial(app: TestApp) {
    let token = fixture(&app).await;
    let q = created(
        &app,
        &token,
        "conf",
        json!({"name": "Shirts", "size": 5, "items": [2], "variations": [21]}),
    )
    .await;
    let path = one("conf", &q["id"]);
    for (body, errors) in [
        (json!({}), json!({"name": ["This field is required."]})),
        (
            json!({"size": 3, "items": "x"}),
            json!({
                "name": ["This field is required."],
                "items": ["Expected a list of items but got type \"str\"."]
            }),
        ),
        (
            json!("Shirts"),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ),
    ] {
        let (status, got) = app.send(Method::PUT, &path, &token, body.clone()).await;
        assert_eq!((status, got), (400, errors), "{body}");
    }
    for (body, errors) in [
        (
            json!({"name": null}),
            json!({"name": ["This field may not be null."]}),
        ),
        (
            json!({"size": -5}),
            json!({"size": ["Ensure this value is greater than or equal to 0."]}),
        ),
    ] {
        let (status, got) = app.send(Method::PATCH, &path, &token, body.clone()).await;
        assert_eq!((status, got), (400, errors), "{body}");
    }
    // Nothing was written by the refused requests.
    assert_eq!(app.get(&path, &token).await.json(), q);
    // PUT with the name only: the fields left out keep their values, as in pretix.
    let (status, got) = app
        .send(Method::PUT, &path, &token, json!({"name": "All shirts"}))
        .await;
    let mut expected = q.clone();
    expected["name"] = json!("All shirts");
    assert_eq!((status, got), (200, expected.clone()));
    // PATCH {} changes nothing; PATCH changes only what it carries, id is read-only.
    let (status, got) = app.send(Method::PATCH, &path, &token, json!({})).await;
    assert_eq!((status, got), (200, expected.clone()));
    let (status, got) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"id": 12345, "size": null}),
        )
        .await;
    expected["size"] = Value::Null;
    assert_eq!((status, got), (200, expected.clone()));
    assert_eq!(app.get(&path, &token).await.json(), expected);
}

fn names(page: &Value) -> Vec<String> {
    texts(page, "/name")
}

async fn list_is_paginated_and_ordered(app: TestApp) {
    let token = fixture(&app).await;
    for (name, size) in [
        ("a", json!(5)),
        ("b", json!(null)),
        ("c", json!(1)),
        ("d", json!(5)),
        ("e", json!(0)),
    ] {
        created(&app, &token, "conf", json!({"name": name, "size": size})).await;
    }
    let base = list("conf");
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
    let second = app
        .get(&format!("{base}?page=2&page_size=2"), &token)
        .await
        .json();
    assert_eq!(names(&second), ["c", "d"]);
    assert_eq!(
        second["previous"],
        json!(app.url(&format!("{base}?page_size=2")))
    );
    let last = app
        .get(&format!("{base}?page=last&page_size=2"), &token)
        .await
        .json();
    assert_eq!(
        (names(&last), last["next"].clone()),
        (vec!["e".to_owned()], Value::Null)
    );
    for bad in ["?page=4&page_size=2", "?page=0", "?page=x"] {
        let resp = app.get(&format!("{base}{bad}"), &token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Invalid page."}"#.to_owned()),
            "{bad}"
        );
    }
    // ordering: id and size, "-" for descending, unlimited sizes last, ties by id
    // descending; unknown keys ignored.
    for (ordering, expected) in [
        ("size", ["e", "c", "d", "a", "b"]),
        ("-size", ["b", "d", "a", "c", "e"]),
        ("-id", ["e", "d", "c", "b", "a"]),
        ("nope", ["a", "b", "c", "d", "e"]),
        ("nope,size,id", ["e", "c", "a", "d", "b"]),
    ] {
        let page = app
            .get(&format!("{base}?ordering={ordering}"), &token)
            .await
            .json();
        assert_eq!(names(&page), expected, "{ordering}");
    }
}

async fn list_page_costs_fixed_queries(app: TestApp) {
    let token = fixture(&app).await;
    for i in 0..50 {
        let body = json!({"name": format!("q{i:02}"), "items": [1, 2], "variations": [21, 22]});
        created(&app, &token, "conf", body).await;
    }
    let results = app.assert_fixed_page_cost(&list("conf"), &token).await;
    assert!(results
        .iter()
        .all(|q| q["items"] == json!([1, 2]) && q["variations"] == json!([21, 22])));
}

async fn deleting_products_takes_them_out_of_quotas(app: TestApp) {
    let token = fixture(&app).await;
    let q = created(
        &app,
        &token,
        "conf",
        json!({"name": "Q", "items": [1, 2], "variations": [21, 22]}),
    )
    .await;
    let items = "/api/v1/organizers/bigevents/events/conf/items/";
    for path in [format!("{items}2/variations/22/"), format!("{items}1/")] {
        assert_eq!(app.delete(&path, &token).await.status, 204, "DELETE {path}");
    }
    let got = app.get(&one("conf", &q["id"]), &token).await.json();
    assert_eq!(
        (got["items"].clone(), got["variations"].clone()),
        (json!([2]), json!([21]))
    );
}
