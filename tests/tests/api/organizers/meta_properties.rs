//! `/api/v1/organizers/{o}/meta_properties/`: CRUD with exact bodies, every validation error,
//! 404s, the permission matrix and pagination, on both backends.

use actix_web::http::Method;
use presale_tests::{both_backends, texts, Round, TestApp};
use serde_json::{json, Value};

both_backends!(
    create_read_update_delete,
    create_fills_defaults_and_coerces_values,
    create_reports_every_field_error_in_order,
    names_follow_pretix_rules,
    default_must_be_an_allowed_value,
    duplicate_names_are_refused,
    put_requires_fields_and_patch_is_partial,
    list_is_paginated_in_id_order,
);

const LIST: &str = "/api/v1/organizers/bigevents/meta_properties/";
const NOT_FOUND: &str = r#"{"detail":"No EventMetaProperty matches the given query."}"#;

fn detail(id: &Value) -> String {
    format!("{LIST}{id}/")
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let resp = app.send_json(Method::POST, LIST, token, &body).await;
    (resp.status, resp.json())
}

/// Creates a property and returns its JSON.
async fn created(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, json) = post(app, token, body).await;
    assert_eq!(status, 201, "{json}");
    json
}

async fn count(app: &TestApp, token: &str) -> Value {
    app.get(LIST, token).await.json()["count"].clone()
}

async fn create_read_update_delete(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let round = Round {
        collection: LIST,
        key: "id",
        before: vec![],
        at: 0,
        elsewhere: &[],
        create: json!({
            "name": "Color", "default": "red", "required": true,
            "allowed_values": ["red", "green", "blue"], "protected": true, "filter_allowed": false
        }),
        created: r#"{"id":{key},"name":"Color","default":"red","required":true,"allowed_values":["red","green","blue"],"protected":true,"filter_allowed":false}"#,
        // PUT: name and allowed_values are required, fields left out keep their values.
        put: json!({"name": "Colour", "allowed_values": ["red", "blue"]}),
        after_put: json!({
            "name": "Colour", "default": "red", "required": true,
            "allowed_values": ["red", "blue"], "protected": true, "filter_allowed": false
        }),
        // PATCH changes only what it carries.
        patch: json!({"allowed_values": null, "default": "any", "required": false}),
        after_patch: json!({
            "name": "Colour", "default": "any", "required": false,
            "allowed_values": null, "protected": true, "filter_allowed": false
        }),
        not_found: NOT_FOUND,
    };
    app.round(&token, round).await;
}

async fn create_fills_defaults_and_coerces_values(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let p = created(
        &app,
        &token,
        json!({"name": "Area", "allowed_values": null}),
    )
    .await;
    assert_eq!(
        p,
        json!({
            "id": p["id"], "name": "Area", "default": "", "required": false,
            "allowed_values": null, "protected": false, "filter_allowed": true
        })
    );
    // Read-only id ignored, an empty list restricts nothing, strings trimmed, numbers taken
    // as text, pretix's boolean spellings.
    let p = created(
        &app,
        &token,
        json!({
            "id": 999, "name": " Size ", "default": 42, "required": "yes",
            "allowed_values": [], "protected": 1, "filter_allowed": "off"
        }),
    )
    .await;
    assert_ne!(p["id"], json!(999));
    assert_eq!(
        p,
        json!({
            "id": p["id"], "name": "Size", "default": "42", "required": true,
            "allowed_values": null, "protected": true, "filter_allowed": false
        })
    );
    let p = created(
        &app,
        &token,
        json!({"name": "Level", "allowed_values": ["1", 2], "default": "2"}),
    )
    .await;
    assert_eq!(p["allowed_values"], json!(["1", "2"]));
    assert_eq!(count(&app, &token).await, json!(3));
}

async fn create_reports_every_field_error_in_order(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let cases = [
        (
            json!({}),
            json!({
                "name": ["This field is required."],
                "allowed_values": ["This field is required."]
            }),
        ),
        (
            json!({
                "filter_allowed": null, "protected": null, "allowed_values": null,
                "required": null, "default": null, "name": null
            }),
            json!({
                "name": ["This field may not be null."],
                "default": ["This field may not be null."],
                "required": ["This field may not be null."],
                "protected": ["This field may not be null."],
                "filter_allowed": ["This field may not be null."]
            }),
        ),
        (
            json!({
                "name": "", "default": [], "required": "maybe", "allowed_values": "red",
                "protected": 5, "filter_allowed": {}
            }),
            json!({
                "name": ["This field may not be blank."],
                "default": ["Not a valid string."],
                "required": ["Must be a valid boolean."],
                "allowed_values": ["Expected a list of items but got type \"str\"."],
                "protected": ["Must be a valid boolean."],
                "filter_allowed": ["Must be a valid boolean."]
            }),
        ),
        (
            json!({"name": true, "allowed_values": {"a": 1}, "required": "y"}),
            json!({
                "name": ["Not a valid string."],
                "required": ["Must be a valid boolean."],
                "allowed_values": ["Expected a list of items but got type \"dict\"."]
            }),
        ),
        // NUL characters are refused for the whole body before its fields are read.
        (
            json!({"name": "   ", "default": "a\u{0}b", "allowed_values": null}),
            json!({"default": ["Null characters are not allowed."]}),
        ),
        (
            json!({"name": "   ", "default": "ab", "allowed_values": null}),
            json!({"name": ["This field may not be blank."]}),
        ),
    ];
    for (body, errors) in cases {
        assert_eq!(
            post(&app, &token, body.clone()).await,
            (400, errors),
            "{body}"
        );
    }
    let resp = app
        .send_json(Method::POST, LIST, &token, &json!([{"name": "x"}]))
        .await;
    assert_eq!(
        (resp.status, resp.json()),
        (
            400,
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
        )
    );
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::POST,
            LIST,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{\"name\":"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("JSON parse error - ")),
        "{}",
        resp.text()
    );
    assert_eq!(count(&app, &token).await, json!(0));
}

async fn names_follow_pretix_rules(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let name_error = |msg: &str| (400, json!({"name": [msg]}));
    let pattern = "The property name may only contain letters, numbers and underscores.";
    for (name, expected) in [
        ("a b", name_error(pattern)),
        ("Größe", name_error(pattern)),
        ("a-b", name_error(pattern)),
        // The pattern is checked before the length.
        (&*"a ".repeat(30), name_error(pattern)),
        (
            &*"a".repeat(51),
            name_error("Ensure this field has no more than 50 characters."),
        ),
    ] {
        let body = json!({"name": name, "allowed_values": null});
        assert_eq!(post(&app, &token, body).await, expected, "{name}");
    }
    assert_eq!(count(&app, &token).await, json!(0));
    let longest = "A_1".repeat(16) + "bc";
    let p = created(
        &app,
        &token,
        json!({"name": longest, "allowed_values": null}),
    )
    .await;
    assert_eq!(p["name"], json!(longest));
}

async fn default_must_be_an_allowed_value(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let not_allowed =
        json!({"non_field_errors": ["You cannot set a default value that is not a valid value."]});
    let body = json!({"name": "Type", "default": "c", "allowed_values": ["a", "b"]});
    assert_eq!(post(&app, &token, body).await, (400, not_allowed.clone()));
    // Field errors come first; the object rule only once every field passed.
    let body = json!({"name": "Type", "default": "c", "allowed_values": ["a"], "protected": "x"});
    assert_eq!(
        post(&app, &token, body).await,
        (400, json!({"protected": ["Must be a valid boolean."]}))
    );
    assert_eq!(count(&app, &token).await, json!(0));

    let p = created(
        &app,
        &token,
        json!({"name": "Type", "default": "a", "allowed_values": ["a", "b"]}),
    )
    .await;
    // PATCH checks the merged object: the stored default against new allowed values.
    let resp = app
        .send_json(
            Method::PATCH,
            &detail(&p["id"]),
            &token,
            &json!({"allowed_values": ["b"]}),
        )
        .await;
    assert_eq!((resp.status, resp.json()), (400, not_allowed.clone()));
    let resp = app
        .send_json(
            Method::PATCH,
            &detail(&p["id"]),
            &token,
            &json!({"default": "z"}),
        )
        .await;
    assert_eq!((resp.status, resp.json()), (400, not_allowed));
    let resp = app
        .send_json(
            Method::PATCH,
            &detail(&p["id"]),
            &token,
            &json!({"allowed_values": ["b"], "default": ""}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        (
            resp.json()["default"].clone(),
            resp.json()["allowed_values"].clone()
        ),
        (json!(""), json!(["b"]))
    );
}

async fn duplicate_names_are_refused(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.organizer_with_token("other").await;
    let dup = (
        400,
        json!({"name": ["A meta property with the same name already exists."]}),
    );
    let a = created(
        &app,
        &token,
        json!({"name": "Color", "allowed_values": null}),
    )
    .await;
    let b = created(
        &app,
        &token,
        json!({"name": "Size", "allowed_values": null}),
    )
    .await;
    let body = json!({"name": "Color", "allowed_values": null});
    assert_eq!(post(&app, &token, body.clone()).await, dup);
    // Another organizer may use the name.
    let resp = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/other/meta_properties/",
            &other,
            &body,
        )
        .await;
    assert_eq!(resp.status, 201);

    let resp = app
        .send_json(
            Method::PATCH,
            &detail(&b["id"]),
            &token,
            &json!({"name": "Color"}),
        )
        .await;
    assert_eq!((resp.status, resp.json()), dup);
    assert_eq!(
        app.get(&detail(&b["id"]), &token).await.json()["name"],
        json!("Size")
    );
    // Renaming a property to its own name is no conflict.
    let resp = app
        .send_json(
            Method::PATCH,
            &detail(&a["id"]),
            &token,
            &json!({"name": "Color"}),
        )
        .await;
    assert_eq!((resp.status, resp.json()), (200, a));
    assert_eq!(count(&app, &token).await, json!(2));
}

async fn put_requires_fields_and_patch_is_partial(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let p = created(
        &app,
        &token,
        json!({"name": "Color", "default": "red", "allowed_values": ["red"], "required": true}),
    )
    .await;
    let path = detail(&p["id"]);
    for (body, errors) in [
        (
            json!({}),
            json!({"name": ["This field is required."], "allowed_values": ["This field is required."]}),
        ),
        (
            json!({"name": "Color"}),
            json!({"allowed_values": ["This field is required."]}),
        ),
        (
            json!({"allowed_values": null, "name": "x y", "required": "nope"}),
            json!({
                "name": ["The property name may only contain letters, numbers and underscores."],
                "required": ["Must be a valid boolean."]
            }),
        ),
    ] {
        let resp = app.send_json(Method::PUT, &path, &token, &body).await;
        assert_eq!((resp.status, resp.json()), (400, errors), "{body}");
    }
    for (body, errors) in [
        (
            json!({"name": null}),
            json!({"name": ["This field may not be null."]}),
        ),
        (
            json!({"filter_allowed": "sometimes", "default": {}}),
            json!({"default": ["Not a valid string."], "filter_allowed": ["Must be a valid boolean."]}),
        ),
        (
            json!("Color"),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ),
    ] {
        let resp = app.send_json(Method::PATCH, &path, &token, &body).await;
        assert_eq!((resp.status, resp.json()), (400, errors), "{body}");
    }
    // Nothing was written by the refused requests.
    assert_eq!(app.get(&path, &token).await.json(), p);

    let resp = app
        .send_json(Method::PATCH, &path, &token, &json!({}))
        .await;
    assert_eq!((resp.status, resp.json()), (200, p.clone()));
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            &json!({"protected": "true", "id": 12345}),
        )
        .await;
    let mut expected = p.clone();
    expected["protected"] = json!(true);
    assert_eq!((resp.status, resp.json()), (200, expected));
}

async fn list_is_paginated_in_id_order(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let mut ids = Vec::new();
    for name in ["Zeta", "Alpha", "Mu"] {
        ids.push(
            created(&app, &token, json!({"name": name, "allowed_values": null})).await["id"]
                .clone(),
        );
    }
    let names = |page: &Value| -> Vec<String> { texts(page, "/name") };
    let first = app.get(&format!("{LIST}?page_size=2"), &token).await.json();
    assert_eq!(first["count"], json!(3));
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(
        first["next"],
        json!(app.url(&format!("{LIST}?page=2&page_size=2")))
    );
    assert_eq!(names(&first), ["Zeta", "Alpha"]);
    let second = app
        .get(&format!("{LIST}?page=2&page_size=2"), &token)
        .await
        .json();
    assert_eq!(second["next"], Value::Null);
    assert_eq!(
        second["previous"],
        json!(app.url(&format!("{LIST}?page_size=2")))
    );
    assert_eq!(names(&second), ["Mu"]);
    assert_eq!(second["results"][0]["id"], ids[2]);
    let last = app
        .get(&format!("{LIST}?page=last&page_size=2"), &token)
        .await
        .json();
    assert_eq!(last, second);
    for bad in ["?page=3&page_size=2", "?page=0", "?page=x"] {
        let resp = app.get(&format!("{LIST}{bad}"), &token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Invalid page."}"#.to_owned()),
            "{bad}"
        );
    }
}
