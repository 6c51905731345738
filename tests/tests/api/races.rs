//! Rules that must hold when requests collide: two requests are sent at once, many times, and
//! every pair of answers must be one a sequential order of the two could give. A fixed number
//! of rounds, no timing.

use actix_web::http::Method;
use futures_util::future::join;
use presale_tests::{both_backends, Response, TestApp, DENIED};
use serde_json::{json, Value};

both_backends!(
    a_used_secret_keeps_its_event,
    a_write_naming_a_product_being_deleted_is_refused_as_unknown,
);

const ROUNDS: usize = 25;
const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const NOT_DELETABLE: &str = r#"{"detail":"The event can not be deleted as it already contains orders. Please set 'live' to false to hide the event and take the shop offline instead."}"#;

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let resp = app.send_json(Method::POST, path, token, &body).await;
    assert_eq!(resp.status, 201, "{path}: {}", resp.text());
    resp.json()
}

fn answer(resp: &Response) -> (u16, String) {
    (resp.status, resp.text())
}

/// Marking a secret used while its event is deleted: either the secret is used and the event
/// stays (403), or the event is gone and the secret with it (the PATCH finds nothing).
async fn a_used_secret_keeps_its_event(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for round in 0..ROUNDS {
        let slug = format!("e{round}");
        created(
            &app,
            &token,
            EVENTS,
            json!({"name": "E", "slug": slug, "date_from": "2030-01-01T10:00:00Z"}),
        )
        .await;
        let secrets = format!("{EVENTS}{slug}/imported_secrets/");
        let secret = created(&app, &token, &secrets, json!({"secret": "S"})).await;
        let id = secret["id"].as_i64().unwrap();
        let (patched, deleted) = join(
            app.send_json(
                Method::PATCH,
                &format!("{secrets}{id}/"),
                &token,
                &json!({"used": true}),
            ),
            app.delete(&format!("{EVENTS}{slug}/"), &token),
        )
        .await;
        let used = json!({"id": id, "secret": "S", "used": true, "item": null, "variation": null, "subevent": null}).to_string();
        match (answer(&patched), answer(&deleted)) {
            ((200, body), (403, refused)) => {
                assert_eq!(
                    (body, refused),
                    (used, NOT_DELETABLE.to_owned()),
                    "round {round}"
                );
                let kept = app.get(&format!("{secrets}{id}/"), &token).await;
                assert_eq!(kept.json()["used"], json!(true), "round {round}");
            }
            ((status, body), (204, _)) => {
                let gone = [
                    (403, DENIED.to_owned()),
                    (
                        404,
                        r#"{"detail":"No ImportedSecret matches the given query."}"#.to_owned(),
                    ),
                ];
                assert!(
                    gone.contains(&(status, body.clone())),
                    "round {round}: {status} {body}"
                );
                assert_eq!(
                    app.get(&format!("{EVENTS}{slug}/"), &token).await.status,
                    403
                );
            }
            other => panic!("round {round}: not a sequential outcome: {other:?}"),
        }
    }
}

/// A quota, a secret or a digital content naming a product while the product is deleted:
/// either the write comes first (and the product's deletion takes it out), or it is refused
/// as a sequential request naming an unknown product is.
async fn a_write_naming_a_product_being_deleted_is_refused_as_unknown(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    created(
        &app,
        &token,
        EVENTS,
        json!({"name": "E", "slug": "conf", "date_from": "2030-01-01T10:00:00Z"}),
    )
    .await;
    let event = format!("{EVENTS}conf/");
    for round in 0..ROUNDS {
        let item = created(
            &app,
            &token,
            &format!("{event}items/"),
            json!({"name": "T", "default_price": "1.00"}),
        )
        .await;
        let id = item["id"].as_i64().unwrap();
        let unknown = |field: &str| {
            format!(r#"{{"{field}":["Invalid pk \"{id}\" - object does not exist."]}}"#)
        };
        let (path, body, field) = match round % 3 {
            0 => (
                "quotas/",
                json!({"name": "Q", "size": 1, "items": [id]}),
                "items",
            ),
            1 => (
                "imported_secrets/",
                json!({"secret": format!("S{round}"), "item": id}),
                "item",
            ),
            _ => (
                "digitalcontents/",
                json!({"title": "C", "url": "https://x.example", "all_products": false, "limit_products": [id]}),
                "limit_products",
            ),
        };
        let (written, deleted) = join(
            app.send_json(Method::POST, &format!("{event}{path}"), &token, &body),
            app.delete(&format!("{event}items/{id}/"), &token),
        )
        .await;
        assert_eq!(answer(&deleted), (204, String::new()), "round {round}");
        match written.status {
            201 => {}
            400 => assert_eq!(written.text(), unknown(field), "round {round}"),
            other => panic!("round {round}: {other} {}", written.text()),
        }
    }
}
