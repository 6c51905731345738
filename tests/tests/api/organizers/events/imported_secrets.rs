//! `/api/v1/organizers/{o}/events/{e}/imported_secrets/` (docs/api-compatibility.md): the
//! document's examples with exact bodies, every rule and error, `bulk_create` limits and
//! atomicity, concurrent imports of one secret, filters, and pagination over thousands of
//! secrets, on both backends. Products, variations and dates are inserted as rows, so these
//! tests do not depend on the catalog APIs.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_tests::{both_backends, TestApp, DENIED};
use serde_json::{json, Value};

both_backends!(
    document_examples,
    document_bulk_example,
    field_rules_and_errors,
    references_must_be_the_events_catalog,
    a_secret_is_unique_within_its_event,
    used_never_goes_back_and_used_secrets_stay,
    put_resets_and_patch_changes_what_was_sent,
    unknown_secrets_are_404,
    permissions_methods_and_check_order,
    bulk_create_is_all_or_nothing,
    bulk_create_takes_at_most_500,
    concurrent_imports_of_one_secret,
    list_filters,
    pagination_over_thousands,
);

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const NOT_FOUND: &str = r#"{"detail":"No ImportedSecret matches the given query."}"#;
const DUPLICATE: &str = "This secret has already been imported.";

fn list(event: &str) -> String {
    format!("{EVENTS}{event}/imported_secrets/")
}

fn bulk(event: &str) -> String {
    format!("{EVENTS}{event}/imported_secrets/bulk_create/")
}

fn one(event: &str, id: impl std::fmt::Display) -> String {
    format!("{EVENTS}{event}/imported_secrets/{id}/")
}

/// Organizer `bigevents` (its all-permissions token is returned) with the events
/// `sampleconf` (products 1 and 2, variations 21 and 22 of product 2), `other` (product 3
/// with variation 31) and the series `series` (dates 7 and 8, product 4).
async fn fixture(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    app.create_event(&token, "bigevents", "sampleconf", false)
        .await;
    app.create_event(&token, "bigevents", "other", false).await;
    app.create_event(&token, "bigevents", "series", true).await;
    let item = |id: i64, event: &str| {
        format!(
            "INSERT INTO items (id, event_id, name) \
             SELECT {id}, id, '{{\"en\":\"Item {id}\"}}' FROM events WHERE slug = '{event}';"
        )
    };
    let variation = |id: i64, item: i64| {
        format!(
            "INSERT INTO item_variations (id, item_id, value) VALUES ({id}, {item}, '{{\"en\":\"V\"}}');"
        )
    };
    let date = |id: i64| {
        format!(
            "INSERT INTO subevents (id, event_id, name, date_from) \
             SELECT {id}, id, '{{\"en\":\"Day\"}}', '2030-01-02 10:00:00' FROM events WHERE slug = 'series';"
        )
    };
    app.sql(
        &[
            item(1, "sampleconf"),
            item(2, "sampleconf"),
            variation(21, 2),
            variation(22, 2),
            item(3, "other"),
            variation(31, 3),
            item(4, "series"),
            date(7),
            date(8),
        ]
        .concat(),
    );
    token
}

async fn created(app: &TestApp, token: &str, event: &str, body: Value) -> Value {
    let (status, json) = app.send(Method::POST, &list(event), token, body).await;
    assert_eq!(status, 201, "{json}");
    json
}

fn secret(text: &str) -> Value {
    json!({"secret": text, "used": false, "item": null, "variation": null, "subevent": null})
}

fn stored(id: i64, text: &str) -> Value {
    json!({"id": id, "secret": text, "used": false, "item": null, "variation": null, "subevent": null})
}

async fn count(app: &TestApp, token: &str, event: &str) -> Value {
    app.get(&list(event), token).await.json()["count"].clone()
}

async fn document_examples(app: TestApp) {
    let token = fixture(&app).await;
    // POST
    let request = json!({"secret": "foobar", "used": false, "item": null, "variation": null, "subevent": null});
    let resp = app
        .send_json(Method::POST, &list("sampleconf"), &token, &request)
        .await;
    assert_eq!(resp.status, 201);
    assert_eq!(
        resp.text(),
        r#"{"id":1,"secret":"foobar","used":false,"item":null,"variation":null,"subevent":null}"#
    );
    // GET list
    let resp = app.get(&list("sampleconf"), &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json(),
        json!({
            "count": 1,
            "next": null,
            "previous": null,
            "results": [
                {"id": 1, "secret": "foobar", "used": false, "item": null, "variation": null, "subevent": null}
            ]
        })
    );
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/json")
    );
    // GET one
    let resp = app.get(&one("sampleconf", 1), &token).await;
    assert_eq!((resp.status, resp.json()), (200, stored(1, "foobar")));
    // PATCH
    let (status, body) = app
        .send(
            Method::PATCH,
            &one("sampleconf", 1),
            &token,
            json!({"item": 2}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"id": 1, "secret": "foobar", "used": false, "item": 2, "variation": null, "subevent": null})
    );
    // DELETE
    let resp = app.delete(&one("sampleconf", 1), &token).await;
    assert_eq!((resp.status, resp.text()), (204, String::new()));
    assert_eq!(count(&app, &token, "sampleconf").await, json!(0));
}

async fn document_bulk_example(app: TestApp) {
    let token = fixture(&app).await;
    let (status, body) = app
        .send(
            Method::POST,
            &bulk("sampleconf"),
            &token,
            json!([secret("foobar"), secret("baz")]),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body, json!([stored(1, "foobar"), stored(2, "baz")]));
    let page = app.get(&list("sampleconf"), &token).await.json();
    assert_eq!(
        page["results"],
        json!([stored(1, "foobar"), stored(2, "baz")])
    );
}

async fn field_rules_and_errors(app: TestApp) {
    let token = fixture(&app).await;
    let path = list("sampleconf");
    let errors = |body: Value| {
        let app = &app;
        let token = &token;
        let path = &path;
        async move {
            let (status, json) = app.send(Method::POST, path, token, body).await;
            assert_eq!(status, 400, "{json}");
            json
        }
    };
    assert_eq!(
        errors(json!({})).await,
        json!({"secret": ["This field is required."]})
    );
    assert_eq!(
        errors(json!({"secret": null})).await,
        json!({"secret": ["This field may not be null."]})
    );
    assert_eq!(
        errors(json!({"secret": "  "})).await,
        json!({"secret": ["This field may not be blank."]})
    );
    assert_eq!(
        errors(json!({"secret": "x".repeat(256)})).await,
        json!({"secret": ["Ensure this field has no more than 255 characters."]})
    );
    assert_eq!(
        errors(json!({"secret": ["a"]})).await,
        json!({"secret": ["Not a valid string."]})
    );
    // Every failing field, in field order.
    assert_eq!(
        errors(json!({"subevent": "x", "item": 99, "used": "maybe", "variation": true})).await,
        json!({
            "secret": ["This field is required."],
            "used": ["Must be a valid boolean."],
            "item": ["Invalid pk \"99\" - object does not exist."],
            "variation": ["Incorrect type. Expected pk value, received bool."],
            "subevent": ["Incorrect type. Expected pk value, received str."]
        })
    );
    assert_eq!(
        errors(json!(["foobar"])).await,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    // 255 characters (not bytes) pass; `id` is read-only; text is trimmed; `used` as a word.
    let long = "ü".repeat(255);
    let made = created(&app, &token, "sampleconf", json!({"secret": long})).await;
    assert_eq!(made["secret"], json!(long));
    let made = created(
        &app,
        &token,
        "sampleconf",
        json!({"id": 500, "secret": " QR-1 ", "used": "true"}),
    )
    .await;
    assert_eq!(
        made,
        json!({"id": 2, "secret": "QR-1", "used": true, "item": null, "variation": null, "subevent": null})
    );
    // Form bodies work like JSON ones; malformed JSON is a parse error.
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::POST,
            &path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(b"secret=formed&item=1"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.json()["item"], json!(1));
    let resp = app
        .request(
            Method::POST,
            &path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{bad"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(resp.json()["detail"]
        .as_str()
        .unwrap()
        .starts_with("JSON parse error - "));
}

async fn references_must_be_the_events_catalog(app: TestApp) {
    let token = fixture(&app).await;
    let post = |event: &'static str, body: Value| {
        let app = &app;
        let token = &token;
        async move { app.send(Method::POST, &list(event), token, body).await }
    };
    let unknown = |id: i64| json!([format!("Invalid pk \"{id}\" - object does not exist.")]);
    // Another event's product, variation and date are unknown here.
    assert_eq!(
        post(
            "sampleconf",
            json!({"secret": "a", "item": 3, "variation": 31, "subevent": 7})
        )
        .await,
        (
            400,
            json!({"item": unknown(3), "variation": unknown(31), "subevent": unknown(7)})
        )
    );
    let other_item =
        json!({"variation": ["The variation does not belong to the selected product."]});
    assert_eq!(
        post(
            "sampleconf",
            json!({"secret": "a", "item": 1, "variation": 21})
        )
        .await,
        (400, other_item.clone())
    );
    assert_eq!(
        post("sampleconf", json!({"secret": "a", "variation": 21})).await,
        (400, other_item)
    );
    assert_eq!(
        post("series", json!({"secret": "a", "subevent": 9})).await,
        (400, json!({"subevent": unknown(9)}))
    );
    let (status, body) = post(
        "sampleconf",
        json!({"secret": "a", "item": "2", "variation": 22, "subevent": null}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"id": 1, "secret": "a", "used": false, "item": 2, "variation": 22, "subevent": null})
        )
    );
    let (status, body) = post("series", json!({"secret": "a", "item": 4, "subevent": 8})).await;
    assert_eq!((status, body["subevent"].clone()), (201, json!(8)));
    // A deleted product no longer restricts its secrets.
    let product = "/api/v1/organizers/bigevents/events/sampleconf/items/2/";
    assert_eq!(app.delete(product, &token).await.status, 204);
    let body = app.get(&one("sampleconf", 1), &token).await.json();
    assert_eq!(
        (body["item"].clone(), body["variation"].clone()),
        (Value::Null, Value::Null)
    );
}

async fn a_secret_is_unique_within_its_event(app: TestApp) {
    let token = fixture(&app).await;
    let first = created(&app, &token, "sampleconf", json!({"secret": "abc"})).await;
    let duplicate = json!({"secret": [DUPLICATE]});
    assert_eq!(
        app.send(
            Method::POST,
            &list("sampleconf"),
            &token,
            json!({"secret": "abc"})
        )
        .await,
        (400, duplicate.clone())
    );
    // Case and surrounding whitespace: `ABC` is another secret, ` abc ` the same.
    created(&app, &token, "sampleconf", json!({"secret": "ABC"})).await;
    assert_eq!(
        app.send(
            Method::POST,
            &list("sampleconf"),
            &token,
            json!({"secret": " abc "})
        )
        .await,
        (400, duplicate.clone())
    );
    // Other events may have the same secret.
    created(&app, &token, "other", json!({"secret": "abc"})).await;
    // A secret keeps its own text, but cannot take another's.
    let second = created(&app, &token, "sampleconf", json!({"secret": "def"})).await;
    let (status, _) = app
        .send(
            Method::PUT,
            &one("sampleconf", &first["id"]),
            &token,
            json!({"secret": "abc"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.send(
            Method::PATCH,
            &one("sampleconf", &second["id"]),
            &token,
            json!({"secret": "abc"})
        )
        .await,
        (400, duplicate)
    );
    assert_eq!(count(&app, &token, "sampleconf").await, json!(3));
}

async fn used_never_goes_back_and_used_secrets_stay(app: TestApp) {
    let token = fixture(&app).await;
    let s = created(&app, &token, "sampleconf", json!({"secret": "scan-me"})).await;
    let path = one("sampleconf", &s["id"]);
    let (status, body) = app
        .send(Method::PATCH, &path, &token, json!({"used": true}))
        .await;
    assert_eq!((status, body["used"].clone()), (200, json!(true)));
    let back = json!({"used": ["A secret that has been used cannot be marked as unused."]});
    assert_eq!(
        app.send(Method::PATCH, &path, &token, json!({"used": false}))
            .await,
        (400, back.clone())
    );
    // PUT resets what it leaves out, `used` included.
    assert_eq!(
        app.send(Method::PUT, &path, &token, json!({"secret": "scan-me"}))
            .await,
        (400, back)
    );
    let (status, body) = app
        .send(
            Method::PUT,
            &path,
            &token,
            json!({"secret": "scan-me", "used": true, "item": 1}),
        )
        .await;
    assert_eq!((status, body["item"].clone()), (200, json!(1)));
    // Setting it used again is fine.
    let (status, _) = app
        .send(Method::PATCH, &path, &token, json!({"used": true}))
        .await;
    assert_eq!(status, 200);

    let resp = app.delete(&path, &token).await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            403,
            r#"{"detail":"This secret has already been used and cannot be deleted."}"#.to_owned()
        )
    );
    assert_eq!(app.get(&path, &token).await.status, 200);

    // An event with a used secret cannot be deleted; one with unused secrets can, with them.
    let resp = app.delete(&format!("{EVENTS}sampleconf/"), &token).await;
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert!(
        resp.text().contains("can not be deleted"),
        "{}",
        resp.text()
    );
    created(&app, &token, "other", json!({"secret": "unused"})).await;
    let resp = app.delete(&format!("{EVENTS}other/"), &token).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert_eq!(
        app.texts("SELECT CAST(COUNT(*) AS TEXT) AS v FROM imported_secrets"),
        vec![Some("1".to_owned())]
    );
}

async fn put_resets_and_patch_changes_what_was_sent(app: TestApp) {
    let token = fixture(&app).await;
    let s = created(
        &app,
        &token,
        "sampleconf",
        json!({"secret": "a", "item": 2, "variation": 21}),
    )
    .await;
    let path = one("sampleconf", &s["id"]);
    let (status, body) = app
        .send(Method::PATCH, &path, &token, json!({"secret": "b"}))
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"id": 1, "secret": "b", "used": false, "item": 2, "variation": 21, "subevent": null})
        )
    );
    // PATCH checks the merged secret: another variation must still fit the stored product.
    assert_eq!(
        app.send(Method::PATCH, &path, &token, json!({"item": 1}))
            .await,
        (
            400,
            json!({"variation": ["The variation does not belong to the selected product."]})
        )
    );
    assert_eq!(
        app.send(Method::PUT, &path, &token, json!({"item": 1}))
            .await,
        (400, json!({"secret": ["This field is required."]}))
    );
    let (status, body) = app
        .send(Method::PUT, &path, &token, json!({"secret": "c"}))
        .await;
    assert_eq!((status, body), (200, stored(1, "c")));
    assert_eq!(app.get(&path, &token).await.json(), stored(1, "c"));
    // An empty PATCH changes nothing.
    let (status, body) = app.send(Method::PATCH, &path, &token, json!({})).await;
    assert_eq!((status, body), (200, stored(1, "c")));
}

async fn unknown_secrets_are_404(app: TestApp) {
    let token = fixture(&app).await;
    let s = created(&app, &token, "other", json!({"secret": "theirs"})).await;
    for path in [one("sampleconf", 99), one("sampleconf", &s["id"])] {
        let resp = app.get(&path, &token).await;
        assert_eq!((resp.status, resp.text()), (404, NOT_FOUND.to_owned()));
        for method in [Method::PUT, Method::PATCH] {
            let resp = app
                .send_json(method, &path, &token, &json!({"secret": "x"}))
                .await;
            assert_eq!((resp.status, resp.text()), (404, NOT_FOUND.to_owned()));
        }
        let resp = app.delete(&path, &token).await;
        assert_eq!((resp.status, resp.text()), (404, NOT_FOUND.to_owned()));
    }
    // Looked up before the body is read.
    let resp = app
        .send_json(Method::PATCH, &one("sampleconf", 99), &token, &json!([1]))
        .await;
    assert_eq!(resp.status, 404);
    let resp = app.get(&one("sampleconf", "abc"), &token).await;
    assert_eq!(
        (resp.status, resp.text()),
        (404, r#"{"detail":"Not found."}"#.to_owned())
    );
    // Unknown events are 403, like foreign ones.
    let resp = app.get(&list("nope"), &token).await;
    assert_eq!((resp.status, resp.text()), (403, DENIED.to_owned()));
}

async fn permissions_methods_and_check_order(app: TestApp) {
    let token = fixture(&app).await;
    let s = created(&app, &token, "sampleconf", json!({"secret": "s"})).await;
    let all_but_items: PermissionSet = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::ChangeItems)
        .collect();
    app.team("bigevents", "Readers", all_but_items, EventSelection::All)
        .await;
    let reader = app.token("bigevents", "Readers").await;
    let items_only: PermissionSet = [Permission::ChangeItems].into_iter().collect();
    app.team(
        "bigevents",
        "Catalog",
        items_only,
        EventSelection::Slugs(vec!["sampleconf".into()]),
    )
    .await;
    let writer = app.token("bigevents", "Catalog").await;
    app.team(
        "bigevents",
        "Elsewhere",
        PermissionSet::all(),
        EventSelection::Slugs(vec!["other".into()]),
    )
    .await;
    let elsewhere = app.token("bigevents", "Elsewhere").await;

    let detail = one("sampleconf", &s["id"]);
    let writes = [
        (Method::POST, list("sampleconf"), json!({"secret": "n"})),
        (Method::POST, bulk("sampleconf"), json!([{"secret": "m"}])),
        (Method::PUT, detail.clone(), json!({"secret": "p"})),
        (Method::PATCH, detail.clone(), json!({"item": 1})),
        (Method::DELETE, detail.clone(), json!({})),
    ];
    // Reading needs event access only.
    assert_eq!(count(&app, &reader, "sampleconf").await, json!(1));
    assert_eq!(app.get(&detail, &reader).await.json(), s);
    for (method, path, body) in &writes {
        let resp = app.send_json(method.clone(), path, &reader, body).await;
        assert_eq!(
            (resp.status, resp.text()),
            (403, DENIED.to_owned()),
            "{method} {path}"
        );
        // Permission before body and method.
        let resp = app
            .send_json(method.clone(), path, &reader, &json!("x"))
            .await;
        assert_eq!(resp.status, 403);
        let resp = app.send_json(method.clone(), path, &elsewhere, body).await;
        assert_eq!((resp.status, resp.text()), (403, DENIED.to_owned()));
    }
    let resp = app.get(&list("sampleconf"), &elsewhere).await;
    assert_eq!((resp.status, resp.text()), (403, DENIED.to_owned()));
    let resp = app.get(&list("other"), &writer).await;
    assert_eq!(resp.status, 403);
    let resp = app
        .request(Method::GET, &list("sampleconf"), &[], None)
        .await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.header("www-authenticate").as_deref(), Some("Token"));
    let resp = app
        .send_json(Method::POST, &list("sampleconf"), "nope", &json!({}))
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (401, r#"{"detail":"Invalid token."}"#.to_owned())
    );

    // can_change_items writes.
    for (method, path, body) in writes {
        let resp = app.send_json(method.clone(), &path, &writer, &body).await;
        assert!(resp.status < 300, "{method} {path}: {}", resp.text());
    }

    // Methods each resource does not serve: 405 with Allow, after the access checks.
    for (method, path, allow) in [
        (Method::DELETE, list("sampleconf"), "GET, POST, HEAD"),
        (Method::GET, bulk("sampleconf"), "POST"),
        (
            Method::POST,
            one("sampleconf", 5),
            "GET, PUT, PATCH, DELETE, HEAD",
        ),
    ] {
        let resp = app
            .send_json(method.clone(), &path, &token, &json!({}))
            .await;
        assert_eq!(resp.status, 405, "{method} {path}");
        assert_eq!(
            resp.text(),
            format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#)
        );
        assert_eq!(resp.header("allow").as_deref(), Some(allow));
    }
    let resp = app.get(&bulk("sampleconf"), &elsewhere).await;
    assert_eq!(resp.status, 403);
    // Without the trailing slash: GET redirects, POST is 404.
    let resp = app
        .get(list("sampleconf").trim_end_matches('/'), &token)
        .await;
    assert_eq!(resp.status, 301);
    let resp = app
        .send_json(
            Method::POST,
            bulk("sampleconf").trim_end_matches('/'),
            &token,
            &json!([]),
        )
        .await;
    assert_eq!(resp.status, 404);
}

async fn bulk_create_is_all_or_nothing(app: TestApp) {
    let token = fixture(&app).await;
    created(&app, &token, "sampleconf", json!({"secret": "stored"})).await;
    let path = bulk("sampleconf");

    // One bad object in 500: nothing written, one error object, `{}` for the others.
    let mut objects: Vec<Value> = (0..500)
        .map(|i| json!({"secret": format!("s{i:03}")}))
        .collect();
    objects[321] = json!({"secret": "s321", "item": 3});
    let (status, body) = app
        .send(Method::POST, &path, &token, Value::Array(objects.clone()))
        .await;
    assert_eq!(status, 400);
    let list_body = body.as_array().unwrap();
    assert_eq!(list_body.len(), 500);
    for (i, e) in list_body.iter().enumerate() {
        if i == 321 {
            assert_eq!(
                e,
                &json!({"item": ["Invalid pk \"3\" - object does not exist."]})
            );
        } else {
            assert_eq!(e, &json!({}), "object {i}");
        }
    }
    assert_eq!(count(&app, &token, "sampleconf").await, json!(1));

    // Duplicates inside the request and against stored secrets are errors too.
    let (status, body) = app.send(Method::POST,
        &path,
        &token,
        json!([{"secret": "x"}, {"secret": "stored"}, {"secret": "y"}, {"secret": "x"}, "z", {"used": 1}]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!([
            {},
            {"secret": [DUPLICATE]},
            {},
            {"secret": ["This secret is contained in the request more than once."]},
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            {"secret": ["This field is required."]}
        ])
    );
    assert_eq!(count(&app, &token, "sampleconf").await, json!(1));

    // The valid 500: written together, returned in order with ascending ids.
    objects[321] = json!({"secret": "s321", "item": 1, "used": true});
    let (status, body) = app
        .send(Method::POST, &path, &token, Value::Array(objects))
        .await;
    assert_eq!(status, 201);
    let made = body.as_array().unwrap();
    assert_eq!(made.len(), 500);
    for (i, s) in made.iter().enumerate() {
        assert_eq!(s["id"], json!(i as i64 + 2));
        assert_eq!(s["secret"], json!(format!("s{i:03}")));
    }
    assert_eq!(
        made[321],
        json!({"id": 323, "secret": "s321", "used": true, "item": 1, "variation": null, "subevent": null})
    );
    assert_eq!(count(&app, &token, "sampleconf").await, json!(501));
    // An empty list writes nothing.
    assert_eq!(
        app.send(Method::POST, &path, &token, json!([])).await,
        (201, json!([]))
    );
}

async fn bulk_create_takes_at_most_500(app: TestApp) {
    let token = fixture(&app).await;
    let path = bulk("sampleconf");
    let objects: Vec<Value> = (0..501)
        .map(|i| json!({"secret": format!("s{i}")}))
        .collect();
    assert_eq!(
        app.send(Method::POST, &path, &token, Value::Array(objects))
            .await,
        (
            400,
            json!({"non_field_errors": ["Ensure this field has no more than 500 elements."]})
        )
    );
    assert_eq!(count(&app, &token, "sampleconf").await, json!(0));
    for (body, kind) in [(json!({"secret": "a"}), "dict"), (json!("a"), "str")] {
        assert_eq!(
            app.send(Method::POST, &path, &token, body).await,
            (
                400,
                json!({"non_field_errors": [format!("Expected a list of items but got type \"{kind}\".")]})
            )
        );
    }
    let objects: Vec<Value> = (0..500)
        .map(|i| json!({"secret": format!("s{i}")}))
        .collect();
    let (status, _) = app
        .send(Method::POST, &path, &token, Value::Array(objects))
        .await;
    assert_eq!(status, 201);
    assert_eq!(count(&app, &token, "sampleconf").await, json!(500));
}

/// Many requests at once import the same secret: exactly one succeeds, the others get the
/// duplicate error (never a 500), and bulk imports overlapping in one secret are all or
/// nothing each.
async fn concurrent_imports_of_one_secret(app: TestApp) {
    let token = fixture(&app).await;
    for round in 0..3 {
        let body = json!({"secret": format!("race{round}")});
        let path = list("sampleconf");
        let post = || app.send_json(Method::POST, &path, &token, &body);
        let (a, b, c, d, e, f) = tokio::join!(post(), post(), post(), post(), post(), post());
        let mut statuses: Vec<u16> = [&a, &b, &c, &d, &e, &f].iter().map(|r| r.status).collect();
        statuses.sort();
        assert_eq!(statuses, [201, 400, 400, 400, 400, 400], "round {round}");
        for r in [a, b, c, d, e, f].iter().filter(|r| r.status == 400) {
            assert_eq!(r.json(), json!({"secret": [DUPLICATE]}));
        }
    }
    // Batches in opposite orders that share one secret.
    let batch = |first: usize, shared_last: bool| {
        let mut objects: Vec<Value> = (first..first + 300)
            .map(|i| json!({"secret": format!("b{i}")}))
            .collect();
        if shared_last {
            objects.push(json!({"secret": "shared"}));
        } else {
            objects.insert(0, json!({"secret": "shared"}));
        }
        Value::Array(objects)
    };
    let (one_body, two_body, three_body) = (batch(0, true), batch(1000, false), batch(2000, true));
    let path = bulk("sampleconf");
    let (r1, r2, r3) = tokio::join!(
        app.send_json(Method::POST, &path, &token, &one_body),
        app.send_json(Method::POST, &path, &token, &two_body),
        app.send_json(Method::POST, &path, &token, &three_body),
    );
    let mut statuses = vec![r1.status, r2.status, r3.status];
    statuses.sort();
    assert_eq!(statuses, [201, 400, 400]);
    for r in [&r1, &r2, &r3].into_iter().filter(|r| r.status == 400) {
        let errors: Vec<Value> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| *e != &json!({}))
            .cloned()
            .collect();
        assert_eq!(errors, vec![json!({"secret": [DUPLICATE]})]);
    }
    // The three single secrets and one batch of 301.
    assert_eq!(count(&app, &token, "sampleconf").await, json!(304));
}

async fn list_filters(app: TestApp) {
    let token = fixture(&app).await;
    let (status, _) = app
        .send(
            Method::POST,
            &bulk("series"),
            &token,
            json!([
                {"secret": "a", "item": 4, "subevent": 7},
                {"secret": "b", "used": true, "subevent": 8},
                {"secret": "c", "item": 4},
                {"secret": "d", "used": true, "item": 4, "subevent": 7},
                {"secret": "e"}
            ]),
        )
        .await;
    assert_eq!(status, 201);
    created(
        &app,
        &token,
        "sampleconf",
        json!({"secret": "a", "item": 2, "variation": 22}),
    )
    .await;
    created(
        &app,
        &token,
        "sampleconf",
        json!({"secret": "b", "item": 2, "variation": 21}),
    )
    .await;
    let secrets = |event: &'static str, query: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let resp = app.get(&format!("{}?{query}", list(event)), token).await;
            assert_eq!(resp.status, 200, "{query}: {}", resp.text());
            let page = resp.json();
            let texts: Vec<String> = page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["secret"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(page["count"], json!(texts.len()));
            texts.join(",")
        }
    };
    for (query, expected) in [
        ("", "a,b,c,d,e"),
        ("used=true", "b,d"),
        ("used=False", "a,c,e"),
        ("used=1", "b,d"),
        ("used=maybe", "a,b,c,d,e"),
        ("item=4", "a,c,d"),
        ("item=4&used=false", "a,c"),
        ("subevent=7", "a,d"),
        ("subevent=8&used=true", "b"),
        ("subevent=9", ""),
        ("item=1", ""),
        ("secret=c", "c"),
        ("secret=C", ""),
        ("secret=d&used=false", ""),
        ("secret=", "a,b,c,d,e"),
        ("item=", "a,b,c,d,e"),
    ] {
        assert_eq!(secrets("series", query).await, expected, "{query}");
    }
    assert_eq!(secrets("sampleconf", "variation=21").await, "b");
    assert_eq!(secrets("sampleconf", "variation=22&item=2").await, "a");
    assert_eq!(secrets("sampleconf", "variation=31").await, "");
    for key in ["item", "variation", "subevent"] {
        let resp = app
            .get(&format!("{}?{key}=x", list("series")), &token)
            .await;
        assert_eq!(
            (resp.status, resp.json()),
            (400, json!({ key: ["Enter a number."] }))
        );
    }
    // Every refused filter together, in the filters' order.
    let resp = app
        .get(
            &format!("{}?subevent=a&item=b&variation=1.5", list("series")),
            &token,
        )
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            400,
            r#"{"item":["Enter a number."],"variation":["Enter a number."],"subevent":["Enter a number."]}"#.to_owned()
        )
    );
}

/// 3,000 secrets (ids interleaved with another event's, some deleted, some used): every
/// page, `page=last`, `page_size` and filtered pages hold exactly the expected secrets.
async fn pagination_over_thousands(app: TestApp) {
    let token = fixture(&app).await;
    let mut expected: Vec<(i64, String, bool)> = Vec::new();
    for chunk in 0..6 {
        let objects: Vec<Value> = (0..500)
            .map(|i| {
                let n = chunk * 500 + i;
                json!({"secret": format!("s{n:04}"), "used": n % 7 == 0})
            })
            .collect();
        let (status, body) = app
            .send(
                Method::POST,
                &bulk("sampleconf"),
                &token,
                Value::Array(objects),
            )
            .await;
        assert_eq!(status, 201);
        for s in body.as_array().unwrap() {
            expected.push((
                s["id"].as_i64().unwrap(),
                s["secret"].as_str().unwrap().to_owned(),
                s["used"].as_bool().unwrap(),
            ));
        }
        let noise: Vec<Value> = (0..(chunk * 97 % 400))
            .map(|i| json!({"secret": format!("o{chunk}-{i}")}))
            .collect();
        let (status, _) = app
            .send(Method::POST, &bulk("other"), &token, Value::Array(noise))
            .await;
        assert_eq!(status, 201);
    }
    // Delete every 13th unused secret.
    let mut kept = Vec::new();
    for (n, s) in expected.into_iter().enumerate() {
        if n % 13 == 5 && !s.2 {
            let resp = app.delete(&one("sampleconf", s.0), &token).await;
            assert_eq!(resp.status, 204);
        } else {
            kept.push(s);
        }
    }
    let expected = kept;
    let base = list("sampleconf");
    let check =
        |query: String, want: Vec<&(i64, String, bool)>, total: usize, page: u64, size: u64| {
            let ids: Vec<i64> = want.iter().map(|s| s.0).collect();
            check_page(
                &app,
                &token,
                format!("{base}{query}"),
                ids,
                total,
                page,
                size,
            )
        };
    let total = expected.len();
    let pages = (total as u64).div_ceil(50);
    for page in [1, 2, pages / 2, pages / 2 + 1, pages - 1, pages] {
        let want: Vec<_> = expected
            .iter()
            .skip(((page - 1) * 50) as usize)
            .take(50)
            .collect();
        check(format!("?page={page}"), want, total, page, 50).await;
    }
    let want: Vec<_> = expected.iter().skip(((pages - 1) * 50) as usize).collect();
    check("?page=last".into(), want, total, pages, 50).await;
    let resp = app.get(&format!("{base}?page={}", pages + 1), &token).await;
    assert_eq!(
        (resp.status, resp.text()),
        (404, r#"{"detail":"Invalid page."}"#.to_owned())
    );
    // Links: absolute, other parameters kept, page 1 without `page`.
    let body = app
        .get(&format!("{base}?page=2&page_size=7"), &token)
        .await
        .json();
    assert_eq!(
        body["previous"],
        json!(app.url(&format!("{base}?page_size=7")))
    );
    assert_eq!(
        body["next"],
        json!(app.url(&format!("{base}?page=3&page_size=7")))
    );
    let size_pages = (total as u64).div_ceil(7);
    let want: Vec<_> = expected
        .iter()
        .skip(((size_pages - 1) * 7) as usize)
        .collect();
    check("?page=last&page_size=7".into(), want, total, size_pages, 7).await;
    for page in [size_pages / 3, size_pages - 1] {
        let want: Vec<_> = expected
            .iter()
            .skip(((page - 1) * 7) as usize)
            .take(7)
            .collect();
        check(format!("?page={page}&page_size=7"), want, total, page, 7).await;
    }

    // Filtered pages.
    for used in [true, false] {
        let matching: Vec<_> = expected.iter().filter(|s| s.2 == used).collect();
        let n = matching.len();
        let pages = (n as u64).div_ceil(50);
        for page in [1, pages / 2 + 1, pages] {
            let want: Vec<_> = matching
                .iter()
                .skip(((page - 1) * 50) as usize)
                .take(50)
                .copied()
                .collect();
            check(format!("?used={used}&page={page}"), want, n, page, 50).await;
        }
        let want: Vec<_> = matching
            .iter()
            .skip(((pages - 1) * 50) as usize)
            .copied()
            .collect();
        check(format!("?page=last&used={used}"), want, n, pages, 50).await;
    }

    // Following `next` from page 1 yields every secret exactly once.
    let mut url = Some(app.url(&format!("{base}?used=false")));
    let mut seen = Vec::new();
    while let Some(next) = url {
        let path = next.strip_prefix(&app.url("")).unwrap().to_owned();
        let body = app.get(&path, &token).await.json();
        for s in body["results"].as_array().unwrap() {
            seen.push(s["id"].as_i64().unwrap());
        }
        url = body["next"].as_str().map(str::to_owned);
    }
    let unused: Vec<i64> = expected.iter().filter(|s| !s.2).map(|s| s.0).collect();
    assert_eq!(seen, unused);
}

/// A page of `path` holds exactly the secrets `want` (by id) of `total`, and has the links
/// page `page` of `size` should have.
async fn check_page(
    app: &TestApp,
    token: &str,
    path: String,
    want: Vec<i64>,
    total: usize,
    page: u64,
    size: u64,
) {
    let resp = app.get(&path, token).await;
    assert_eq!(resp.status, 200, "{path}: {}", resp.text());
    let body = resp.json();
    assert_eq!(body["count"], json!(total), "{path}");
    let ids: Vec<i64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, want, "{path}");
    let last = (total as u64).div_ceil(size).max(1);
    assert_eq!(body["next"].is_null(), page == last, "{path}");
    assert_eq!(body["previous"].is_null(), page == 1, "{path}");
}
