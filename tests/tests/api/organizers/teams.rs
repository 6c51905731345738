//! The teams API (docs/api-compatibility.md): teams with their permissions and event limits, their API
//! tokens (shown once, deactivated on DELETE), the 404s of nested routes, and
//! `can_change_teams` on every route.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet, TokenHash};
use presale_tests::{both_backends, TestApp, DENIED};
use serde_json::{json, Value};

both_backends!(
    team_life_cycle,
    team_field_errors,
    team_updates_check_the_merged_scope,
    team_names_need_not_be_unique,
    token_life_cycle,
    deactivated_token_is_refused,
    deleting_a_team_deletes_its_tokens,
    nested_routes_answer_404_for_missing_teams_and_tokens,
    every_team_route_needs_can_change_teams,
);

const ORG: &str = "/api/v1/organizers/bigevents";

/// The organizer `bigevents` with the events `a` and `b` and an all-permissions token.
async fn setup(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    for slug in ["b", "a"] {
        let resp = app
            .send_json(
                Method::POST,
                &format!("{ORG}/events/"),
                &token,
                &json!({"name": slug, "slug": slug, "date_from": "2030-01-01T10:00:00Z"}),
            )
            .await;
        assert_eq!(resp.status, 201, "{}", resp.text());
    }
    token
}

/// The JSON text of a team as the API writes it: the fields in their order, then the flags.
fn team_text(id: i64, name: &str, all_events: bool, limit: &[&str], on: &[Permission]) -> String {
    let mut fields = vec![
        format!("\"id\":{id}"),
        format!("\"name\":{}", json!(name)),
        format!("\"all_events\":{all_events}"),
        format!("\"limit_events\":{}", json!(limit)),
    ];
    for p in Permission::ALL {
        fields.push(format!("\"{}\":{}", p.name(), on.contains(&p)));
    }
    format!("{{{}}}", fields.join(","))
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, String) {
    let resp = app.send_json(method, path, token, &body).await;
    (resp.status, resp.text())
}

async fn team_life_cycle(app: TestApp) {
    let token = setup(&app).await;
    let teams = format!("{ORG}/teams/");
    let (status, text) = send(
        &app,
        Method::POST,
        &teams,
        &token,
        json!({"name": " Staff ", "limit_events": ["b", "a", "b"], "can_change_items": true,
               "can_view_orders": "yes", "id": 999}),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_ne!(id, 999);
    let staff = [Permission::ChangeItems, Permission::ViewOrders];
    assert_eq!(text, team_text(id, "Staff", false, &["a", "b"], &staff));

    let detail = format!("{teams}{id}/");
    let resp = app.get(&detail, &token).await;
    assert_eq!(
        (resp.status, resp.text()),
        (200, team_text(id, "Staff", false, &["a", "b"], &staff))
    );
    let list = app.get(&teams, &token).await.json();
    assert_eq!(list["count"], 2);
    assert_eq!(
        list["results"][1].to_string(),
        team_text(id, "Staff", false, &["a", "b"], &staff)
    );

    // PATCH changes what is sent.
    let (status, text) = send(
        &app,
        Method::PATCH,
        &detail,
        &token,
        json!({"limit_events": ["a"], "can_change_items": false, "can_create_events": 1}),
    )
    .await;
    let patched = [Permission::CreateEvents, Permission::ViewOrders];
    assert_eq!(
        (status, text),
        (200, team_text(id, "Staff", false, &["a"], &patched))
    );

    // PUT needs name and limit_events; flags left out keep their value, as in pretix.
    let (status, text) = send(&app, Method::PUT, &detail, &token, json!({"name": "Crew"})).await;
    assert_eq!(
        (status, text.as_str()),
        (400, r#"{"limit_events":["This field is required."]}"#)
    );
    let (status, text) = send(
        &app,
        Method::PUT,
        &detail,
        &token,
        json!({"name": "Crew", "limit_events": [], "all_events": true}),
    )
    .await;
    assert_eq!(
        (status, text),
        (200, team_text(id, "Crew", true, &[], &patched))
    );

    // DELETE: 204, then gone.
    let auth = format!("Token {token}");
    let resp = app.delete(&detail, &token).await;
    assert_eq!((resp.status, resp.body.len()), (204, 0));
    let resp = app.get(&detail, &token).await;
    assert_eq!(
        (resp.status, resp.text().as_str()),
        (404, r#"{"detail":"No Team matches the given query."}"#)
    );
    let resp = app.delete(&detail, &token).await;
    assert_eq!(resp.status, 404);
    assert_eq!(app.get(&teams, &token).await.json()["count"], 1);

    // Unsupported methods.
    let resp = app.delete(&teams, &token).await;
    assert_eq!(
        (resp.status, resp.header("allow").as_deref()),
        (405, Some("GET, POST, HEAD"))
    );
    let resp = app
        .request(
            Method::POST,
            &format!("{teams}1/"),
            &[("Authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(
        (resp.status, resp.header("allow").as_deref()),
        (405, Some("GET, PUT, PATCH, DELETE, HEAD"))
    );
}

async fn team_field_errors(app: TestApp) {
    let token = setup(&app).await;
    let teams = format!("{ORG}/teams/");
    let cases = [
        (
            json!({}),
            r#"{"name":["This field is required."],"limit_events":["This field is required."]}"#,
        ),
        (
            json!({"name": "", "limit_events": []}),
            r#"{"name":["This field may not be blank."]}"#,
        ),
        (
            json!({"name": "x".repeat(191), "limit_events": []}),
            r#"{"name":["Ensure this field has no more than 190 characters."]}"#,
        ),
        (
            json!({"name": null, "all_events": "x", "limit_events": "a", "can_change_teams": null}),
            concat!(
                r#"{"name":["This field may not be null."],"all_events":["Must be a valid boolean."],"#,
                r#""limit_events":["Expected a list of items but got type \"str\"."],"#,
                r#""can_change_teams":["This field may not be null."]}"#
            ),
        ),
        (
            json!({"name": "x", "limit_events": ["a", "nope", "zzz"]}),
            r#"{"limit_events":["Object with slug=nope does not exist."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": [1]}),
            r#"{"limit_events":["Object with slug=1 does not exist."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": [null]}),
            r#"{"limit_events":["Object with slug=None does not exist."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": null}),
            r#"{"limit_events":["This field may not be null."]}"#,
        ),
        // The object rule comes only once every field passed.
        (
            json!({"name": "x", "all_events": true, "limit_events": ["a"]}),
            r#"{"non_field_errors":["Do not set both limit_events and all_events."]}"#,
        ),
        (
            json!({"name": "", "all_events": true, "limit_events": ["a"]}),
            r#"{"name":["This field may not be blank."]}"#,
        ),
        (
            json!([]),
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        ),
    ];
    for (body, expected) in cases {
        let (status, text) = send(&app, Method::POST, &teams, &token, body.clone()).await;
        assert_eq!((status, text.as_str()), (400, expected), "{body}");
    }
    // An event of another organizer is unknown here.
    let other = app.organizer_with_token("other").await;
    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/organizers/other/events/",
        &other,
        json!({"name": "f", "slug": "foreign", "date_from": "2030-01-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, text) = send(
        &app,
        Method::POST,
        &teams,
        &token,
        json!({"name": "x", "limit_events": ["foreign"]}),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            r#"{"limit_events":["Object with slug=foreign does not exist."]}"#
        )
    );
    // Nothing was written.
    assert_eq!(app.get(&teams, &token).await.json()["count"], 1);
}

async fn team_updates_check_the_merged_scope(app: TestApp) {
    let token = setup(&app).await;
    let (_, text) = send(
        &app,
        Method::POST,
        &format!("{ORG}/teams/"),
        &token,
        json!({"name": "Limited", "limit_events": ["a"]}),
    )
    .await;
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    let detail = format!("{ORG}/teams/{id}/");
    // all_events with the stored limit_events is both.
    let (status, text) = send(
        &app,
        Method::PATCH,
        &detail,
        &token,
        json!({"all_events": true}),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            r#"{"non_field_errors":["Do not set both limit_events and all_events."]}"#
        )
    );
    let (status, text) = send(
        &app,
        Method::PATCH,
        &detail,
        &token,
        json!({"all_events": true, "limit_events": []}),
    )
    .await;
    assert_eq!(
        (status, text),
        (200, team_text(id, "Limited", true, &[], &[]))
    );
    // And back: with all_events set, new limits are refused until it is unset.
    let (status, _) = send(
        &app,
        Method::PATCH,
        &detail,
        &token,
        json!({"limit_events": ["b"]}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, text) = send(
        &app,
        Method::PATCH,
        &detail,
        &token,
        json!({"all_events": "false", "limit_events": ["b"]}),
    )
    .await;
    assert_eq!(
        (status, text),
        (200, team_text(id, "Limited", false, &["b"], &[]))
    );
    // A body error on a missing team is a 404 (the team is looked up first).
    let (status, text) = send(
        &app,
        Method::PATCH,
        &format!("{ORG}/teams/999999/"),
        &token,
        json!([]),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (404, r#"{"detail":"No Team matches the given query."}"#)
    );
}

async fn team_names_need_not_be_unique(app: TestApp) {
    let token = setup(&app).await;
    for _ in 0..2 {
        let (status, _) = send(
            &app,
            Method::POST,
            &format!("{ORG}/teams/"),
            &token,
            json!({"name": "Admins", "limit_events": []}),
        )
        .await;
        assert_eq!(status, 201);
    }
    let list = app.get(&format!("{ORG}/teams/"), &token).await.json();
    let names: Vec<_> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("Admins"), json!("Admins"), json!("Admins")]);
}

/// Creates a team with `permissions` over the API; returns its id.
async fn team_with(app: &TestApp, token: &str, name: &str, flags: Value) -> i64 {
    let mut body = json!({"name": name, "all_events": true, "limit_events": []});
    if let (Value::Object(b), Value::Object(f)) = (&mut body, flags) {
        b.extend(f);
    }
    let (status, text) = send(app, Method::POST, &format!("{ORG}/teams/"), token, body).await;
    assert_eq!(status, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn token_life_cycle(app: TestApp) {
    let token = setup(&app).await;
    let team = team_with(&app, &token, "Robots", json!({"can_view_orders": true})).await;
    let tokens = format!("{ORG}/teams/{team}/tokens/");
    let (status, text) = send(
        &app,
        Method::POST,
        &tokens,
        &token,
        json!({"name": "zeta", "active": false, "token": "mine"}),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let id = created["id"].as_i64().unwrap();
    let plain = created["token"].as_str().unwrap().to_owned();
    assert_eq!(plain.len(), 64);
    assert!(plain
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(
        text,
        format!(r#"{{"id":{id},"name":"zeta","active":true,"token":"{plain}"}}"#)
    );
    // Only the hash is stored.
    assert_eq!(
        app.texts(&format!(
            "SELECT token_hash AS v FROM api_tokens WHERE id = {id}"
        )),
        [Some(TokenHash::of(&plain).to_hex())]
    );
    // The new token works, with its team's permissions.
    assert_eq!(app.get(&format!("{ORG}/"), &plain).await.status, 200);
    assert_eq!(app.get(&format!("{ORG}/teams/"), &plain).await.status, 403);

    let (_, text) = send(
        &app,
        Method::POST,
        &tokens,
        &token,
        json!({"name": "alpha"}),
    )
    .await;
    let alpha = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();

    // The list and the detail never show the token; the list is ordered by name.
    let resp = app.get(&tokens, &token).await;
    assert_eq!(
        resp.text(),
        format!(
            r#"{{"count":2,"next":null,"previous":null,"results":[{{"id":{alpha},"name":"alpha","active":true}},{{"id":{id},"name":"zeta","active":true}}]}}"#
        )
    );
    let detail = format!("{tokens}{id}/");
    let resp = app.get(&detail, &token).await;
    assert_eq!(
        resp.text(),
        format!(r#"{{"id":{id},"name":"zeta","active":true}}"#)
    );

    // DELETE deactivates and answers 200; again the same; the token stays listed.
    let auth = format!("Token {token}");
    let h = [("Authorization", auth.as_str())];
    for _ in 0..2 {
        let resp = app.request(Method::DELETE, &detail, &h, None).await;
        assert_eq!(
            (resp.status, resp.text()),
            (
                200,
                format!(r#"{{"id":{id},"name":"zeta","active":false}}"#)
            )
        );
    }
    assert_eq!(app.get(&tokens, &token).await.json()["count"], 2);
    assert_eq!(
        app.texts(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM api_tokens WHERE id = {id}"
        )),
        [Some("1".to_owned())]
    );

    // PUT and PATCH are not allowed, after the access checks.
    for method in [Method::PUT, Method::PATCH] {
        let resp = app
            .request(method.clone(), &detail, &h, Some(b"{bad"))
            .await;
        assert_eq!(resp.status, 405, "{method}");
        assert_eq!(
            resp.text(),
            format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#)
        );
        assert_eq!(resp.header("allow").as_deref(), Some("GET, DELETE, HEAD"));
    }
    let resp = app.request(Method::DELETE, &tokens, &h, None).await;
    assert_eq!(
        (resp.status, resp.header("allow").as_deref()),
        (405, Some("GET, POST, HEAD"))
    );

    // Name errors.
    for (body, expected) in [
        (json!({}), r#"{"name":["This field is required."]}"#),
        (
            json!({"name": " "}),
            r#"{"name":["This field may not be blank."]}"#,
        ),
        (
            json!({"name": null}),
            r#"{"name":["This field may not be null."]}"#,
        ),
        (
            json!({"name": "x".repeat(191)}),
            r#"{"name":["Ensure this field has no more than 190 characters."]}"#,
        ),
    ] {
        let (status, text) = send(&app, Method::POST, &tokens, &token, body.clone()).await;
        assert_eq!((status, text.as_str()), (400, expected), "{body}");
    }
}

async fn deactivated_token_is_refused(app: TestApp) {
    let token = setup(&app).await;
    let team = team_with(&app, &token, "Robots", json!({"can_change_teams": true})).await;
    let tokens = format!("{ORG}/teams/{team}/tokens/");
    let (_, text) = send(&app, Method::POST, &tokens, &token, json!({"name": "ci"})).await;
    let created: Value = serde_json::from_str(&text).unwrap();
    let plain = created["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&tokens, &plain).await.status, 200);

    // A token may even deactivate itself.
    let resp = app
        .delete(&format!("{tokens}{}/", created["id"]), &plain)
        .await;
    assert_eq!(resp.status, 200);
    for path in ["/api/v1/organizers/", &tokens] {
        let resp = app.get(path, &plain).await;
        assert_eq!(
            (resp.status, resp.text().as_str()),
            (401, r#"{"detail":"Token inactive or deleted."}"#),
            "{path}"
        );
        assert_eq!(resp.header("www-authenticate").as_deref(), Some("Token"));
    }
    // Other tokens are untouched.
    assert_eq!(app.get(&tokens, &token).await.status, 200);
}

async fn deleting_a_team_deletes_its_tokens(app: TestApp) {
    let token = setup(&app).await;
    let team = team_with(&app, &token, "Robots", json!({})).await;
    let (_, text) = send(
        &app,
        Method::POST,
        &format!("{ORG}/teams/{team}/tokens/"),
        &token,
        json!({"name": "ci"}),
    )
    .await;
    let plain = serde_json::from_str::<Value>(&text).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/api/v1/organizers/", &plain).await.status, 200);
    let resp = app.delete(&format!("{ORG}/teams/{team}/"), &token).await;
    assert_eq!(resp.status, 204);
    let resp = app.get("/api/v1/organizers/", &plain).await;
    assert_eq!(
        (resp.status, resp.text().as_str()),
        (401, r#"{"detail":"Invalid token."}"#)
    );
}

async fn nested_routes_answer_404_for_missing_teams_and_tokens(app: TestApp) {
    let token = setup(&app).await;
    let other = app.organizer_with_token("other").await;
    let foreign_team = app
        .get("/api/v1/organizers/other/teams/", &other)
        .await
        .json()["results"][0]["id"]
        .as_i64()
        .unwrap();
    let team = team_with(&app, &token, "Robots", json!({})).await;
    let second = team_with(&app, &token, "Others", json!({})).await;
    let (_, text) = send(
        &app,
        Method::POST,
        &format!("{ORG}/teams/{second}/tokens/"),
        &token,
        json!({"name": "x"}),
    )
    .await;
    let second_token = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();

    const NO_TEAM: &str = r#"{"detail":"No Team matches the given query."}"#;
    const NO_TOKEN: &str = r#"{"detail":"No TeamAPIToken matches the given query."}"#;
    const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;
    let auth = format!("Token {token}");
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    for (method, path, expected) in [
        (Method::GET, "/teams/999999/tokens/".to_owned(), NO_TEAM),
        (Method::GET, "/teams/abc/tokens/".to_owned(), NO_TEAM),
        (Method::POST, "/teams/abc/tokens/".to_owned(), NO_TEAM),
        (
            Method::GET,
            format!("/teams/{foreign_team}/tokens/"),
            NO_TEAM,
        ),
        (
            Method::POST,
            format!("/teams/{foreign_team}/tokens/"),
            NO_TEAM,
        ),
        (Method::GET, "/teams/999999/tokens/1/".to_owned(), NO_TEAM),
        (Method::DELETE, "/teams/abc/tokens/1/".to_owned(), NO_TEAM),
        (
            Method::GET,
            format!("/teams/{team}/tokens/999999/"),
            NO_TOKEN,
        ),
        (
            Method::DELETE,
            format!("/teams/{team}/tokens/999999/"),
            NO_TOKEN,
        ),
        (
            Method::GET,
            format!("/teams/{team}/tokens/{second_token}/"),
            NO_TOKEN,
        ),
        (
            Method::DELETE,
            format!("/teams/{team}/tokens/{second_token}/"),
            NO_TOKEN,
        ),
        (Method::GET, format!("/teams/{team}/tokens/abc/"), NOT_FOUND),
        (Method::GET, "/teams/abc/".to_owned(), NOT_FOUND),
        (Method::GET, format!("/teams/{foreign_team}/"), NO_TEAM),
        (Method::PUT, format!("/teams/{foreign_team}/"), NO_TEAM),
        (Method::DELETE, format!("/teams/{foreign_team}/"), NO_TEAM),
    ] {
        let resp = app
            .request(method.clone(), &format!("{ORG}{path}"), &h, Some(b"{}"))
            .await;
        assert_eq!(
            (resp.status, resp.text().as_str()),
            (404, expected),
            "{method} {path}"
        );
    }
    // The foreign team's token survived the attempts.
    assert_eq!(
        app.get(
            &format!("{ORG}/teams/{second}/tokens/{second_token}/"),
            &token
        )
        .await
        .json()["active"],
        true
    );
}

async fn every_team_route_needs_can_change_teams(app: TestApp) {
    let token = setup(&app).await;
    let team = team_with(&app, &token, "Robots", json!({})).await;
    let (_, text) = send(
        &app,
        Method::POST,
        &format!("{ORG}/teams/{team}/tokens/"),
        &token,
        json!({"name": "x"}),
    )
    .await;
    let token_id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    // Every other permission, all events.
    let all_but: PermissionSet = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::ChangeTeams)
        .collect();
    app.team("bigevents", "Almost", all_but, EventSelection::All)
        .await;
    let almost = format!("Token {}", app.token("bigevents", "Almost").await);
    // A foreign organizer's teams are refused even with the permission.
    app.organizer_with_token("other").await;
    let full = format!("Token {token}");

    let routes = [
        "/api/v1/organizers/bigevents/teams/".to_owned(),
        format!("/api/v1/organizers/bigevents/teams/{team}/"),
        "/api/v1/organizers/bigevents/teams/999999/".to_owned(),
        "/api/v1/organizers/bigevents/teams/abc/".to_owned(),
        format!("/api/v1/organizers/bigevents/teams/{team}/tokens/"),
        "/api/v1/organizers/bigevents/teams/999999/tokens/".to_owned(),
        format!("/api/v1/organizers/bigevents/teams/{team}/tokens/{token_id}/"),
        format!("/api/v1/organizers/bigevents/teams/{team}/tokens/999999/"),
    ];
    let methods = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut checked = 0;
    for path in &routes {
        for method in &methods {
            let h = [
                ("Authorization", almost.as_str()),
                ("Content-Type", "application/json"),
            ];
            let resp = app
                .request(method.clone(), path, &h, Some(br#"{"name":"x"}"#))
                .await;
            assert_eq!(resp.status, 403, "{method} {path}");
            if *method != Method::HEAD {
                assert_eq!(resp.text(), DENIED, "{method} {path}");
            }
            let foreign = path.replace("/bigevents/", "/other/");
            let h = [
                ("Authorization", full.as_str()),
                ("Content-Type", "application/json"),
            ];
            let resp = app
                .request(method.clone(), &foreign, &h, Some(br#"{"name":"x"}"#))
                .await;
            assert_eq!(resp.status, 403, "{method} {foreign}");
            checked += 1;
        }
    }
    assert_eq!(checked, 48);
    // Nothing was changed by the refused requests.
    let resp = app
        .get(&format!("{ORG}/teams/{team}/tokens/{token_id}/"), &token)
        .await;
    assert_eq!(resp.json()["active"], true);
    assert_eq!(
        app.get(&format!("{ORG}/teams/"), &token).await.json()["count"],
        3
    );
}
