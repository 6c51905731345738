//! `/api/v1/organizers/`: what a token sees, 403 for unknown and foreign organizers, and the
//! organizer-level plugin list.

mod devices;
mod events;
mod meta_properties;
mod sales_channels;
mod teams;

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_tests::{both_backends, Backend, Options, TestApp, DENIED};
use serde_json::json;

both_backends!(
    list_shows_only_the_tokens_organizer,
    detail_of_own_organizer,
    unknown_and_foreign_organizers_are_403,
    unsupported_method_is_405_after_access_checks,
    plugins_are_set_validated_and_sorted,
    plugins_need_organizer_settings_permission,
);

async fn list_shows_only_the_tokens_organizer(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    app.organizer_with_token("other").await;
    let resp = app.get("/api/v1/organizers/", &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json(),
        json!({
            "count": 1,
            "next": null,
            "previous": null,
            "results": [{
                "name": "bigevents name",
                "slug": "bigevents",
                "public_url": app.url("/bigevents/"),
                "plugins": []
            }]
        })
    );
}

async fn detail_of_own_organizer(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let resp = app.get("/api/v1/organizers/bigevents/", &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.text(),
        format!(
            r#"{{"name":"bigevents name","slug":"bigevents","public_url":"{}","plugins":[]}}"#,
            app.url("/bigevents/")
        )
    );
}

async fn unknown_and_foreign_organizers_are_403(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    app.organizer_with_token("other").await;
    for path in [
        "/api/v1/organizers/other/",
        "/api/v1/organizers/nope/",
        "/api/v1/organizers/other/teams/",
        "/api/v1/organizers/nope/teams/1/",
    ] {
        let resp = app.get(path, &token).await;
        assert_eq!(resp.status, 403, "{path}");
        assert_eq!(resp.text(), DENIED, "{path}");
    }
    let resp = app
        .send_json(
            Method::PATCH,
            "/api/v1/organizers/other/",
            &token,
            &json!({"plugins": []}),
        )
        .await;
    assert_eq!(resp.status, 403);
}

async fn unsupported_method_is_405_after_access_checks(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    app.organizer_with_token("other").await;
    let auth = format!("Token {token}");
    let h = [("Authorization", auth.as_str())];

    let resp = app
        .request(Method::DELETE, "/api/v1/organizers/bigevents/", &h, None)
        .await;
    assert_eq!(resp.status, 405);
    assert_eq!(
        resp.text(),
        r#"{"detail":"Method \"DELETE\" not allowed."}"#
    );
    assert_eq!(
        resp.header("allow").as_deref(),
        Some("GET, PUT, PATCH, HEAD")
    );

    let resp = app
        .request(Method::POST, "/api/v1/organizers/", &h, None)
        .await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.text(), r#"{"detail":"Method \"POST\" not allowed."}"#);
    assert_eq!(resp.header("allow").as_deref(), Some("GET, HEAD"));

    // A foreign organizer is refused before the method is looked at.
    let resp = app
        .request(Method::DELETE, "/api/v1/organizers/other/", &h, None)
        .await;
    assert_eq!((resp.status, resp.text()), (403, DENIED.to_owned()));

    // So is a token lacking the write permission.
    app.team(
        "bigevents",
        "Readers",
        PermissionSet::none(),
        EventSelection::All,
    )
    .await;
    let reader = format!("Token {}", app.token("bigevents", "Readers").await);
    let resp = app
        .request(
            Method::DELETE,
            "/api/v1/organizers/bigevents/",
            &[("Authorization", &reader)],
            None,
        )
        .await;
    assert_eq!((resp.status, resp.text()), (403, DENIED.to_owned()));
}

async fn plugins_are_set_validated_and_sorted(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let path = "/api/v1/organizers/bigevents/";
    let resp = app
        .send_json(
            Method::PATCH,
            path,
            &token,
            &json!({"plugins": ["pretix.plugins.banktransfer", "pretix.plugins.banktransfer"], "name": "ignored", "slug": "ignored"}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.json(),
        json!({
            "name": "bigevents name",
            "slug": "bigevents",
            "public_url": app.url("/bigevents/"),
            "plugins": ["pretix.plugins.banktransfer"]
        })
    );
    assert_eq!(
        app.get(path, &token).await.json()["plugins"],
        json!(["pretix.plugins.banktransfer"])
    );

    for (body, error) in [
        (
            json!({"plugins": ["pretix.plugins.paypal3"]}),
            json!({"plugins": ["Unknown plugin: 'pretix.plugins.paypal3'."]}),
        ),
        // Event-level plugins (every payment provider but bank transfer among them) are
        // enabled on events, never on the organizer.
        (
            json!({"plugins": ["pretix.plugins.banktransfer", "pretix.plugins.stripe"]}),
            json!({"plugins": ["Plugin cannot be enabled on this level: 'pretix.plugins.stripe'."]}),
        ),
        (
            json!({"plugins": ["pretix.plugins.statistics"]}),
            json!({"plugins": ["Plugin cannot be enabled on this level: 'pretix.plugins.statistics'."]}),
        ),
        (
            json!({"plugins": "pretix.plugins.stripe"}),
            json!({"plugins": ["Expected a list of items but got type \"str\"."]}),
        ),
        (
            json!({"plugins": null}),
            json!({"plugins": ["This field may not be null."]}),
        ),
    ] {
        let resp = app.send_json(Method::PATCH, path, &token, &body).await;
        assert_eq!((resp.status, resp.json()), (400, error), "{body}");
    }
    // Nothing was half written by the refused requests.
    assert_eq!(
        app.get(path, &token).await.json()["plugins"],
        json!(["pretix.plugins.banktransfer"])
    );

    let resp = app
        .send_json(Method::PUT, path, &token, &json!({"plugins": []}))
        .await;
    assert_eq!(
        (resp.status, resp.json()["plugins"].clone()),
        (200, json!([]))
    );
}

async fn plugins_need_organizer_settings_permission(app: TestApp) {
    app.organizer_with_token("bigevents").await;
    let perms: PermissionSet = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::ChangeOrganizerSettings)
        .collect();
    app.team("bigevents", "Almost", perms, EventSelection::All)
        .await;
    let token = app.token("bigevents", "Almost").await;
    let resp = app
        .send_json(
            Method::PATCH,
            "/api/v1/organizers/bigevents/",
            &token,
            &json!({"plugins": []}),
        )
        .await;
    assert_eq!((resp.status, resp.text()), (403, DENIED.to_owned()));
    // Reading needs no permission beyond access.
    assert_eq!(
        app.get("/api/v1/organizers/bigevents/", &token)
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn base_url_setting_is_used_for_public_urls() {
    let options = Options {
        http: presale_http_actix::HttpOptions {
            base_url: Some("https://tickets.example.org/".into()),
            ..Default::default()
        },
        ..Options::default()
    };
    let app = TestApp::start_with(Backend::Sqlite, options)
        .await
        .expect("sqlite");
    let token = app.organizer_with_token("bigevents").await;
    let resp = app.get("/api/v1/organizers/", &token).await;
    assert_eq!(
        resp.json()["results"][0]["public_url"],
        json!("https://tickets.example.org/bigevents/")
    );
}
