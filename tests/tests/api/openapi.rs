//! The API's OpenAPI document: served without credentials, the same text as
//! `docs/openapi.json`, and true to the routes: every operation it lists is routed and answers
//! one of the statuses it documents for that operation, with the documented content type.
//! The browser docs are served from the binary.

use actix_web::http::Method;
use presale_http_actix::openapi::document_json;
use presale_tests::{both_backends, TestApp};
use serde_json::{json, Value};

both_backends!(
    the_document_is_served_without_credentials,
    every_documented_operation_is_routed_and_answers_a_documented_status,
    the_browser_docs_are_served_from_the_binary,
);

async fn the_document_is_served_without_credentials(app: TestApp) {
    let resp = app
        .request(Method::GET, "/api/v1/openapi.json", &[], None)
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(resp.text(), document_json());
    let doc = resp.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({
            "Token": {"type": "apiKey", "name": "Authorization", "in": "header",
                      "description": "A team's API token: `Authorization: Token <token>`."},
            "Device": {"type": "apiKey", "name": "Authorization", "in": "header",
                       "description": "A device's API token: `Authorization: Device <token>`."},
        })
    );
}

/// Every (method, path) of the document, the event's DELETE last (it removes the event the
/// other paths name).
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            ops.push((method, path.clone(), op.clone()));
        }
    }
    ops.sort_by_key(|(m, p, _)| *m == Method::DELETE && p.ends_with("/events/{event}/"));
    ops
}

async fn every_documented_operation_is_routed_and_answers_a_documented_status(app: TestApp) {
    let token = app.organizer_with_token("docs").await;
    app.create_event(&token, "docs", "fest", false).await;
    let doc: Value = serde_json::from_str(document_json()).expect("the document is JSON");
    let ops = operations(&doc);
    assert_eq!(ops.len(), 88, "operations in the document");
    let auth = format!("Token {token}");
    for (method, template, op) in ops {
        // Real organizer and event, unknown ids: each route is reached and answers.
        let path = template
            .replace("{organizer}", "docs")
            .replace("{event}", "fest")
            .replace("{id}", "987654")
            .replace("{item}", "987654")
            .replace("{team}", "987654")
            .replace("{token}", "987654");
        let body = op.get("requestBody").map(|_| b"{}".as_slice());
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let resp = app.request(method.clone(), &path, &headers, body).await;
        let status = resp.status.to_string();
        let mut answer = &op["responses"][&status];
        if let Some(Value::String(shared)) = answer.get("$ref") {
            let name = shared.trim_start_matches("#/components/responses/");
            answer = &doc["components"]["responses"][name];
        }
        assert!(
            answer.is_object(),
            "{method} {template}: {status} is not documented: {}",
            resp.text()
        );
        // A route that is not mounted answers the fallback's plain 404.
        assert_ne!(resp.text(), r#"{"detail":"Not found."}"#, "{method} {path}");
        match answer.get("content") {
            Some(content) => {
                let media = resp.header("content-type").unwrap_or_default();
                assert!(
                    content.get(&media).is_some(),
                    "{method} {template}: {status} as {media}"
                );
            }
            None => assert_eq!(resp.text(), "", "{method} {template}: {status} has no body"),
        }
    }
}

async fn the_browser_docs_are_served_from_the_binary(app: TestApp) {
    let resp = app.request(Method::GET, "/api/docs", &[], None).await;
    assert_eq!(resp.status, 307);
    assert_eq!(resp.header("location").as_deref(), Some("/api/docs/"));
    let page = app.request(Method::GET, "/api/docs/", &[], None).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type").as_deref(), Some("text/html"));
    assert!(page.text().contains("swagger-ui"), "{}", page.text());
    let init = app
        .request(Method::GET, "/api/docs/swagger-initializer.js", &[], None)
        .await;
    assert_eq!(init.status, 200);
    assert!(
        init.text().contains(r#""url": "/api/v1/openapi.json""#),
        "{}",
        init.text()
    );
    let bundle = app
        .request(Method::GET, "/api/docs/swagger-ui-bundle.js", &[], None)
        .await;
    assert_eq!(bundle.status, 200);
    assert!(bundle.body.len() > 100_000, "the bundle is compiled in");
}
