//! `/api/v1/organizers/{o}/saleschannels/`: the `web` channel every organizer starts with,
//! CRUD with exact bodies, every validation error, fixed identifier and type, 404s, the
//! permission matrix and pagination, on both backends.

use actix_web::http::Method;
use presale_tests::{both_backends, texts, Round, TestApp};
use serde_json::{json, Value};

both_backends!(
    every_organizer_starts_with_web,
    create_read_update_delete,
    same_position_is_ordered_by_identifier,
    create_reports_every_field_error_in_order,
    duplicate_identifiers_are_refused,
    identifier_and_type_are_fixed,
    put_requires_fields_and_patch_is_partial,
    web_cannot_be_deleted,
    list_is_paginated_by_position_then_identifier,
);

const LIST: &str = "/api/v1/organizers/bigevents/saleschannels/";
const NOT_FOUND: &str = r#"{"detail":"No SalesChannel matches the given query."}"#;

fn web() -> Value {
    json!({"identifier": "web", "label": {"en": "Online shop"}, "type": "web", "position": 0})
}

fn detail(identifier: &str) -> String {
    format!("{LIST}{identifier}/")
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let resp = app.send_json(Method::POST, LIST, token, &body).await;
    (resp.status, resp.json())
}

async fn identifiers(app: &TestApp, token: &str) -> Vec<String> {
    texts(&app.get(LIST, token).await.json(), "/identifier")
}

async fn every_organizer_starts_with_web(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.organizer_with_token("other").await;
    let resp = app.get(LIST, &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.text(),
        r#"{"count":1,"next":null,"previous":null,"results":[{"identifier":"web","label":{"en":"Online shop"},"type":"web","position":0}]}"#
    );
    let resp = app.get(&detail("web"), &token).await;
    assert_eq!((resp.status, resp.json()), (200, web()));
    let resp = app
        .get("/api/v1/organizers/other/saleschannels/web/", &other)
        .await;
    assert_eq!((resp.status, resp.json()), (200, web()));
}

async fn create_read_update_delete(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let round = Round {
        collection: LIST,
        key: "identifier",
        before: vec![web()],
        at: 1,
        elsewhere: &[],
        create: json!({"identifier": "api.box", "label": {"de": "Kasse", "en": "Box office"}, "position": 3}),
        created: r#"{"identifier":"api.box","label":{"de":"Kasse","en":"Box office"},"type":"api","position":3}"#,
        // PUT: identifier and label required; type and position left out keep their values.
        put: json!({"identifier": "api.box", "label": "Box"}),
        after_put: json!({"label": {"en": "Box"}, "type": "api", "position": 3}),
        patch: json!({"position": "0"}),
        after_patch: json!({"label": {"en": "Box"}, "type": "api", "position": 0}),
        not_found: NOT_FOUND,
    };
    app.round(&token, round).await;
}

async fn same_position_is_ordered_by_identifier(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let body = json!({"identifier": "api.box", "label": "Box", "position": 0});
    app.create(LIST, &token, body).await;
    assert_eq!(identifiers(&app, &token).await, ["api.box", "web"]);
}

async fn create_reports_every_field_error_in_order(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let identifier_pattern =
        "The identifier may only contain letters, numbers, dots, dashes, and underscores.";
    let cases = [
        (
            json!({}),
            json!({"identifier": ["This field is required."], "label": ["This field is required."]}),
        ),
        (
            json!({"position": null, "type": null, "label": null, "identifier": null}),
            json!({
                "identifier": ["This field may not be null."],
                "label": ["This field may not be null."],
                "type": ["This field may not be null."],
                "position": ["This field may not be null."]
            }),
        ),
        (
            json!({"identifier": "", "label": "", "type": " ", "position": "x"}),
            json!({
                "identifier": ["This field may not be blank."],
                "type": ["This field may not be blank."],
                "position": ["A valid integer is required."]
            }),
        ),
        (
            json!({"identifier": "shop", "label": {"xx": "a"}, "type": "web", "position": -1}),
            json!({
                "identifier": ["Your identifier needs to start with 'api.'."],
                "label": ["Invalid languages included."],
                "type": ["You can currently only create channels of type 'api' through the API."],
                "position": ["Ensure this value is greater than or equal to 0."]
            }),
        ),
        (
            json!({"identifier": "api.a b", "label": 5, "type": true, "position": 1.5}),
            json!({
                "identifier": [identifier_pattern],
                "label": ["Invalid data type."],
                "type": ["Not a valid string."],
                "position": ["A valid integer is required."]
            }),
        ),
        (
            json!({"identifier": true, "label": ["a"], "position": 2_147_483_648_i64}),
            json!({
                "identifier": ["Not a valid string."],
                "label": ["Invalid data type."],
                "position": ["Ensure this value is less than or equal to 2147483647."]
            }),
        ),
        (
            json!({"identifier": format!("api.{}", "a".repeat(197)), "label": "L", "position": true}),
            json!({
                "identifier": ["Ensure this field has no more than 200 characters."],
                "position": ["A valid integer is required."]
            }),
        ),
        (
            json!({"identifier": format!("a b{}", "a".repeat(200)), "label": "L", "type": 5}),
            json!({
                "identifier": [identifier_pattern],
                "type": ["You can currently only create channels of type 'api' through the API."]
            }),
        ),
    ];
    for (body, errors) in cases {
        assert_eq!(
            post(&app, &token, body.clone()).await,
            (400, errors),
            "{body}"
        );
    }
    assert_eq!(
        post(&app, &token, json!([])).await,
        (
            400,
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
        )
    );
    assert_eq!(identifiers(&app, &token).await, ["web"]);

    // The longest identifier, numbers as positions, and an empty label are fine.
    let longest = format!("api.{}", "a".repeat(196));
    let (status, json) = post(
        &app,
        &token,
        json!({"identifier": longest, "label": "", "type": "api", "position": " 7 "}),
    )
    .await;
    assert_eq!(
        (status, json),
        (
            201,
            json!({"identifier": longest, "label": {"en": ""}, "type": "api", "position": 7})
        )
    );
}

async fn duplicate_identifiers_are_refused(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let other = app.organizer_with_token("other").await;
    let body = json!({"identifier": "api.box", "label": "Box"});
    assert_eq!(post(&app, &token, body.clone()).await.0, 201);
    assert_eq!(
        post(
            &app,
            &token,
            json!({"identifier": "api.box", "label": "Again", "position": 4})
        )
        .await,
        (
            400,
            json!({"identifier": ["A sales channel with the same identifier already exists."]})
        )
    );
    // Another organizer may use the identifier.
    let resp = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/other/saleschannels/",
            &other,
            &body,
        )
        .await;
    assert_eq!(resp.status, 201);
    assert_eq!(
        app.get(&detail("api.box"), &token).await.json()["label"],
        json!({"en": "Box"})
    );
    assert_eq!(identifiers(&app, &token).await, ["api.box", "web"]);
}

async fn identifier_and_type_are_fixed(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let change_identifier = "You cannot change the identifier of a sales channel.";
    let change_type = "You cannot change the type of a sales channel.";
    for (method, body, errors) in [
        (
            Method::PATCH,
            json!({"identifier": "web2"}),
            json!({"identifier": [change_identifier]}),
        ),
        (
            Method::PATCH,
            json!({"type": "api"}),
            json!({"type": [change_type]}),
        ),
        (
            Method::PUT,
            json!({"identifier": "api.web", "label": "X", "type": "api", "position": -5}),
            json!({
                "identifier": [change_identifier],
                "type": [change_type],
                "position": ["Ensure this value is greater than or equal to 0."]
            }),
        ),
        (
            Method::PATCH,
            json!({"identifier": "a b"}),
            json!({"identifier": ["The identifier may only contain letters, numbers, dots, dashes, and underscores."]}),
        ),
    ] {
        let (status, json) = app
            .send(method.clone(), &detail("web"), &token, body.clone())
            .await;
        assert_eq!((status, json), (400, errors), "{method} {body}");
    }
    assert_eq!(app.get(&detail("web"), &token).await.json(), web());

    // Sending the same identifier and type is fine; web keeps its type.
    let (status, json) = app
        .send(
            Method::PATCH,
            &detail("web"),
            &token,
            json!({"identifier": "web", "type": "web", "label": {"de": "Shop"}, "position": 5}),
        )
        .await;
    let changed =
        json!({"identifier": "web", "label": {"de": "Shop"}, "type": "web", "position": 5});
    assert_eq!((status, json), (200, changed.clone()));
    let (status, json) = app
        .send(
            Method::PUT,
            &detail("web"),
            &token,
            json!({"identifier": "web", "label": "Online shop"}),
        )
        .await;
    let put =
        json!({"identifier": "web", "label": {"en": "Online shop"}, "type": "web", "position": 5});
    assert_eq!((status, json), (200, put.clone()));
    assert_eq!(app.get(&detail("web"), &token).await.json(), put);
}

async fn put_requires_fields_and_patch_is_partial(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let (_, created) = post(
        &app,
        &token,
        json!({"identifier": "api.box", "label": "Box", "position": 2}),
    )
    .await;
    let path = detail("api.box");
    for (body, errors) in [
        (
            json!({}),
            json!({"identifier": ["This field is required."], "label": ["This field is required."]}),
        ),
        (
            json!({"label": "X"}),
            json!({"identifier": ["This field is required."]}),
        ),
        (
            json!({"identifier": "api.box", "position": "many"}),
            json!({"label": ["This field is required."], "position": ["A valid integer is required."]}),
        ),
    ] {
        let (status, json) = app.send(Method::PUT, &path, &token, body.clone()).await;
        assert_eq!((status, json), (400, errors), "{body}");
    }
    for (body, errors) in [
        (
            json!({"label": null}),
            json!({"label": ["This field may not be null."]}),
        ),
        (
            json!({"label": {"en": 1}, "position": []}),
            json!({"label": ["Invalid data type."], "position": ["A valid integer is required."]}),
        ),
        (
            json!(["api.box"]),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
    ] {
        let (status, json) = app.send(Method::PATCH, &path, &token, body.clone()).await;
        assert_eq!((status, json), (400, errors), "{body}");
    }
    assert_eq!(app.get(&path, &token).await.json(), created);
    let (status, json) = app.send(Method::PATCH, &path, &token, json!({})).await;
    assert_eq!((status, json), (200, created.clone()));
    let (status, json) = app
        .send(
            Method::PATCH,
            &path,
            &token,
            json!({"label": {"en": "Box", "de": "Kasse"}}),
        )
        .await;
    assert_eq!(
        (status, json),
        (
            200,
            json!({"identifier": "api.box", "label": {"en": "Box", "de": "Kasse"}, "type": "api", "position": 2})
        )
    );
}

async fn web_cannot_be_deleted(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    let h = [("Authorization", auth.as_str())];
    let resp = app.request(Method::DELETE, &detail("web"), &h, None).await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            403,
            r#"{"detail":"Can only be deleted if unused."}"#.to_owned()
        )
    );
    assert_eq!(app.get(&detail("web"), &token).await.json(), web());
}

async fn list_is_paginated_by_position_then_identifier(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for (identifier, position) in [("api.b", 1), ("api.a", 1), ("api.z", 0), ("api.c", 9)] {
        let (status, json) = post(
            &app,
            &token,
            json!({"identifier": identifier, "label": identifier, "position": position}),
        )
        .await;
        assert_eq!(status, 201, "{json}");
    }
    assert_eq!(
        identifiers(&app, &token).await,
        ["api.z", "web", "api.a", "api.b", "api.c"]
    );
    let page = |json: &Value| -> Vec<String> {
        json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["identifier"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app.get(&format!("{LIST}?page_size=2"), &token).await.json();
    assert_eq!(first["count"], json!(5));
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(
        first["next"],
        json!(app.url(&format!("{LIST}?page=2&page_size=2")))
    );
    assert_eq!(page(&first), ["api.z", "web"]);
    let second = app
        .get(&format!("{LIST}?page=2&page_size=2"), &token)
        .await
        .json();
    assert_eq!(page(&second), ["api.a", "api.b"]);
    assert_eq!(
        second["previous"],
        json!(app.url(&format!("{LIST}?page_size=2")))
    );
    assert_eq!(
        second["next"],
        json!(app.url(&format!("{LIST}?page=3&page_size=2")))
    );
    let last = app
        .get(&format!("{LIST}?page=last&page_size=2"), &token)
        .await
        .json();
    assert_eq!(page(&last), ["api.c"]);
    assert_eq!(last["next"], Value::Null);
    let resp = app.get(&format!("{LIST}?page=4&page_size=2"), &token).await;
    assert_eq!(
        (resp.status, resp.text()),
        (404, r#"{"detail":"Invalid page."}"#.to_owned())
    );
}
