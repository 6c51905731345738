//! Every authentication case of docs/api-compatibility.md, over HTTP, on both backends.

use actix_web::http::Method;
use presale_tests::{both_backends, TestApp};
use serde_json::json;

both_backends!(
    no_credentials_is_401_with_challenge,
    other_schemes_count_as_no_credentials,
    malformed_token_headers,
    unknown_token_is_invalid,
    deactivated_token_is_refused,
    scheme_is_case_insensitive,
    authentication_comes_before_method_and_access,
    version_needs_a_credential,
);

async fn assert_401(app: &TestApp, headers: &[(&str, &str)], detail: &str) {
    let resp = app
        .request(Method::GET, "/api/v1/organizers/", headers, None)
        .await;
    assert_eq!(resp.status, 401, "{headers:?}");
    assert_eq!(resp.json(), json!({ "detail": detail }), "{headers:?}");
    assert_eq!(resp.header("www-authenticate").as_deref(), Some("Token"));
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/json")
    );
}

async fn no_credentials_is_401_with_challenge(app: TestApp) {
    assert_401(&app, &[], "Authentication credentials were not provided.").await;
    let resp = app
        .request(Method::GET, "/api/v1/organizers/", &[], None)
        .await;
    assert_eq!(
        resp.text(),
        r#"{"detail":"Authentication credentials were not provided."}"#
    );
}

async fn other_schemes_count_as_no_credentials(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let bearer = format!("Bearer {token}");
    assert_401(
        &app,
        &[("Authorization", &bearer)],
        "Authentication credentials were not provided.",
    )
    .await;
    assert_401(
        &app,
        &[("Authorization", "Basic dXNlcjpwYXNz")],
        "Authentication credentials were not provided.",
    )
    .await;
}

async fn malformed_token_headers(app: TestApp) {
    assert_401(
        &app,
        &[("Authorization", "Token")],
        "Invalid token header. No credentials provided.",
    )
    .await;
    assert_401(
        &app,
        &[("Authorization", "Token abc def")],
        "Invalid token header. Token string should not contain spaces.",
    )
    .await;
}

async fn unknown_token_is_invalid(app: TestApp) {
    app.organizer_with_token("bigevents").await;
    assert_401(&app, &[("Authorization", "Token 1234")], "Invalid token.").await;
    let unknown = format!("Token {}", "a".repeat(64));
    assert_401(&app, &[("Authorization", &unknown)], "Invalid token.").await;
}

async fn deactivated_token_is_refused(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    assert_eq!(app.get("/api/v1/organizers/", &token).await.status, 200);
    // Deactivated through the API, with itself.
    let auth = format!("Token {token}");
    let teams = app.get("/api/v1/organizers/bigevents/teams/", &token).await;
    let tokens = format!(
        "/api/v1/organizers/bigevents/teams/{}/tokens/",
        teams.json()["results"][0]["id"]
    );
    let id = app.get(&tokens, &token).await.json()["results"][0]["id"].clone();
    let deactivated = app.delete(&format!("{tokens}{id}/"), &token).await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.text());
    assert_401(
        &app,
        &[("Authorization", &auth)],
        "Token inactive or deleted.",
    )
    .await;
}

async fn scheme_is_case_insensitive(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for scheme in ["token", "TOKEN", "Token"] {
        let auth = format!("{scheme} {token}");
        let resp = app
            .request(
                Method::GET,
                "/api/v1/organizers/",
                &[("Authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(resp.status, 200, "{scheme}");
    }
}

async fn authentication_comes_before_method_and_access(app: TestApp) {
    app.organizer_with_token("bigevents").await;
    let bad = [
        ("Authorization", "Token nope"),
        ("Content-Type", "application/json"),
    ];
    for (method, path) in [
        (Method::POST, "/api/v1/organizers/"),
        (Method::DELETE, "/api/v1/organizers/bigevents/"),
        (Method::PATCH, "/api/v1/organizers/unknown/"),
        (Method::GET, "/api/v1/organizers/bigevents/teams/"),
    ] {
        let resp = app
            .request(method.clone(), path, &bad, Some(b"{not json"))
            .await;
        assert_eq!(resp.status, 401, "{method} {path}");
        assert_eq!(resp.json(), json!({"detail": "Invalid token."}));
    }
}

async fn version_needs_a_credential(app: TestApp) {
    let resp = app.request(Method::GET, "/api/v1/version", &[], None).await;
    assert_eq!(resp.status, 401);
    let token = app.organizer_with_token("bigevents").await;
    let resp = app.get("/api/v1/version", &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.text(),
        r#"{"pretix":"2026.8.0","pretix_numeric":20260080005000}"#
    );
}
