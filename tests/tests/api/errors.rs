//! Error shapes, routing and the trailing-slash rule (docs/api-compatibility.md), over HTTP.

use actix_web::http::Method;
use presale_tests::{both_backends, TestApp};
use serde_json::json;

both_backends!(
    malformed_json_is_a_parse_error,
    wrong_content_type_is_415,
    body_must_be_an_object,
    form_and_multipart_bodies_are_accepted,
    unknown_routes_are_json_404,
    trailing_slash_redirects_reads_only,
    unknown_team_is_404_with_model_name,
    head_has_no_body,
    null_characters_never_reach_the_database,
);

const ORG: &str = "/api/v1/organizers/bigevents/";

async fn malformed_json_is_a_parse_error(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::PATCH,
            ORG,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{\"plugins\": [}"),
        )
        .await;
    assert_eq!(resp.status, 400);
    let detail = resp.json()["detail"].as_str().expect("detail").to_owned();
    assert!(detail.starts_with("JSON parse error - "), "{detail}");
    assert_eq!(resp.json().as_object().map(|o| o.len()), Some(1));
}

async fn wrong_content_type_is_415(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::PATCH,
            ORG,
            &[("Authorization", &auth), ("Content-Type", "text/plain")],
            Some(b"{}"),
        )
        .await;
    assert_eq!(resp.status, 415);
    assert_eq!(
        resp.text(),
        r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#
    );
    // An empty body needs no content type: it is `{}`.
    let resp = app
        .request(Method::PATCH, ORG, &[("Authorization", &auth)], None)
        .await;
    assert_eq!(resp.status, 200);
}

async fn body_must_be_an_object(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for (body, kind) in [(json!([1]), "list"), (json!("x"), "str"), (json!(3), "int")] {
        let resp = app.send_json(Method::PATCH, ORG, &token, &body).await;
        assert_eq!(resp.status, 400);
        assert_eq!(
            resp.json(),
            json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")]})
        );
    }
}

async fn form_and_multipart_bodies_are_accepted(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::PATCH,
            ORG,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(b"name=x"),
        )
        .await;
    assert_eq!(resp.status, 200);
    let multipart = b"--b1\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b1--\r\n";
    let resp = app
        .request(
            Method::PATCH,
            ORG,
            &[
                ("Authorization", &auth),
                ("Content-Type", "multipart/form-data; boundary=b1"),
            ],
            Some(multipart),
        )
        .await;
    assert_eq!(resp.status, 200);
}

async fn unknown_routes_are_json_404(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for path in [
        "/api/v1/nope/",
        "/nope",
        "/api/v2/organizers/",
        "/api/v1/organizers/bigevents/nope/",
    ] {
        let resp = app.get(path, &token).await;
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(resp.text(), r#"{"detail":"Not found."}"#, "{path}");
        assert_eq!(
            resp.header("content-type").as_deref(),
            Some("application/json")
        );
    }
}

async fn trailing_slash_redirects_reads_only(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    let h = [("Authorization", auth.as_str())];
    for method in [Method::GET, Method::HEAD, Method::DELETE] {
        let resp = app
            .request(
                method.clone(),
                "/api/v1/organizers/bigevents?x=1&y=2",
                &h,
                None,
            )
            .await;
        assert_eq!(resp.status, 301, "{method}");
        assert_eq!(
            resp.header("location").as_deref(),
            Some("/api/v1/organizers/bigevents/?x=1&y=2")
        );
    }
    let resp = app
        .request(Method::GET, "/api/v1/organizers", &h, None)
        .await;
    assert_eq!(
        resp.header("location").as_deref(),
        Some("/api/v1/organizers/")
    );
    for method in [Method::POST, Method::PUT, Method::PATCH] {
        let resp = app
            .request(method.clone(), "/api/v1/organizers/bigevents", &h, None)
            .await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Not found."}"#.to_owned()),
            "{method}"
        );
    }
    // No redirect towards a URL that does not exist either.
    let resp = app.request(Method::GET, "/api/v1/nothing", &h, None).await;
    assert_eq!(resp.status, 404);
    // The version route has no trailing slash.
    assert_eq!(app.get("/api/v1/version", &token).await.status, 200);
}

async fn unknown_team_is_404_with_model_name(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let resp = app
        .get("/api/v1/organizers/bigevents/teams/999999/", &token)
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            404,
            r#"{"detail":"No Team matches the given query."}"#.to_owned()
        )
    );
    let resp = app
        .get("/api/v1/organizers/bigevents/teams/abc/", &token)
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (404, r#"{"detail":"Not found."}"#.to_owned())
    );
}

async fn head_has_no_body(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::HEAD,
            "/api/v1/organizers/",
            &[("Authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(resp.status, 200);
    assert!(resp.body.is_empty());
}

/// PostgreSQL cannot store or even compare a NUL character: such input is refused up front.
async fn null_characters_never_reach_the_database(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for path in [
        "/api/v1/organizers/a%00b/",
        "/api/v1/organizers/bigevents/events/a%00/",
        "/api/v1/organizers/bigevents/saleschannels/w%00/",
    ] {
        let resp = app.get(path, &token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Not found."}"#.to_owned()),
            "{path}"
        );
    }
    for query in [
        "search=a%00",
        "sales_channel=a%00",
        "with_availability_for=%00",
    ] {
        let resp = app
            .get(
                &format!("/api/v1/organizers/bigevents/events/?{query}"),
                &token,
            )
            .await;
        assert_eq!(
            (resp.status, resp.text()),
            (
                400,
                r#"{"detail":"Null characters are not allowed."}"#.to_owned()
            ),
            "{query}"
        );
    }
    let resp = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/bigevents/devices/",
            &token,
            &json!({"name": "Scanner", "limit_events": ["a\u{0}"]}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()),
        (
            400,
            json!({"limit_events": ["Null characters are not allowed."]})
        )
    );
    // Everywhere else a string can hide: multilingual values, settings, lists, free objects.
    let event = json!({"name": "Conf", "slug": "conf", "date_from": "2030-01-01T10:00:00Z"});
    let resp = app
        .send_json(Method::POST, &format!("{ORG}events/"), &token, &event)
        .await;
    assert_eq!(resp.status, 201);
    let nul = "a\u{0}b";
    for (method, path, body, field) in [
        (
            Method::POST,
            "events/",
            json!({"name": {"en": nul}, "slug": "x", "date_from": "2030-01-01T10:00:00Z", "location": {"de": nul}}),
            "name,location",
        ),
        (
            Method::PATCH,
            "events/conf/",
            json!({"location": {"en": nul}}),
            "location",
        ),
        (
            Method::POST,
            "events/conf/items/",
            json!({"name": {"en": "T"}, "default_price": "1.00", "description": {"en": nul}}),
            "description",
        ),
        (
            Method::PATCH,
            "events/conf/settings/",
            json!({"mail_prefix": nul, "imprint_url": format!("https://x.example/{nul}")}),
            "mail_prefix,imprint_url",
        ),
        (
            Method::PATCH,
            "settings/",
            json!({"privacy_url": format!("https://x.example/{nul}")}),
            "privacy_url",
        ),
        (
            Method::POST,
            "meta_properties/",
            json!({"name": "kind", "allowed_values": ["a", nul]}),
            "allowed_values",
        ),
        (
            Method::POST,
            "saleschannels/",
            json!({"identifier": "api.x", "label": {"en": nul}, "type": "api"}),
            "label",
        ),
        (
            Method::POST,
            "events/conf/digitalcontents/",
            json!({"title": {"en": nul}, "url": "https://x.example", "content_type": "link"}),
            "title",
        ),
    ] {
        let resp = app
            .send_json(method, &format!("{ORG}{path}"), &token, &body)
            .await;
        let expected: serde_json::Map<String, serde_json::Value> = field
            .split(',')
            .map(|f| (f.to_owned(), json!(["Null characters are not allowed."])))
            .collect();
        assert_eq!((resp.status, resp.json()), (400, json!(expected)), "{path}");
    }
    let resp = app
        .request(
            Method::POST,
            "/api/v1/device/initialize",
            &[("Content-Type", "application/json")],
            Some(json!({"token": "x", "hardware_brand": "a", "hardware_model": "b", "software_brand": "c", "software_version": "d", "info": {"note": nul}}).to_string().as_bytes()),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, json!({"info": ["Null characters are not allowed."]}))
    );
    // Nothing of it was stored.
    let stored = app.texts("SELECT location AS v FROM events WHERE slug = 'conf'");
    assert_eq!(stored, [None]);
}
