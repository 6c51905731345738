//! Devices (docs/api-compatibility.md) on both backends: the organizer API with its
//! validation, the whole life of a device (create, initialize, read, update, roll, revoke),
//! device authentication on the read endpoints, security profiles, and last-seen records.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_domain::settings::{keys_for, Level};
use presale_tests::{both_backends, Response, TestApp, DENIED};
use serde_json::{json, Value};
use std::time::Duration;

both_backends!(
    document_examples,
    read_only_fields_are_ignored_and_ids_count_per_organizer,
    put_patch_and_unsupported_methods,
    organizer_api_validation_errors,
    organizer_api_permissions,
    initialize_and_each_of_its_errors,
    device_reads_only_its_events,
    device_may_not_write_or_read_organizer_resources,
    update_roll_and_revoke,
    concurrent_rolls_hand_out_one_working_token,
    device_authentication_errors,
    security_profiles,
    last_seen_is_recorded_off_the_request,
);

const DEVICES: &str = "/api/v1/organizers/bigevents/devices/";
const EVENTS: &str = "/api/v1/organizers/bigevents/events/";
const INITIALIZE: &str = "/api/v1/device/initialize";
const PROFILE_DENIED: &str = r#"{"detail":"Request denied by device security profile."}"#;
const REVOKED: &str = r#"{"detail":"Device access has been revoked."}"#;
const INVALID: &str = r#"{"detail":"Invalid token."}"#;

/// A 2048-bit RSA key (SubjectPublicKeyInfo) and the same key in PKCS#1.
const RSA_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAznuOA/k3sP9Wb4eplXXO
bYq4OdaxvpyXfTEvXb5OXkN1HInjxCvF8dhS6Ar+7TMP5YGKohHWFPg6fzr+X6tT
AoP8pDlNYDfB61yoxrjti3h5z52octLlfAgpGGlxITCDR/0tRXPZj6t11AKGUShx
p/D0rHfJ2luHPQ94uJpYV0nCygpdhk7uTPgQifU/bGNMd64/IszOTIN2Zmq+/qOC
5Cx30kTRDw22+lrTK/ocEJtm9T5emW5uXorPjuqYdPfL2bJNHwxTdhf7RW10AflQ
NtJ84yUBxsgwKXsoZEafjFqun2RFl/VJkhX2Nf0ZxfenJk7akmv7RKoN05dnXVCZ
IQIDAQAB
-----END PUBLIC KEY-----";
const OTHER_RSA_KEY: &str = "-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBAMhaB9zEucYVfWJxpAJ5hgIPQ1o6x1sm1JWJ4JgOkTsgGlX3eua+gzC/
R+ZDGYslS5IClgV1jBkCnboGUHrPv1jC9HwH0Oy+ea7w1GCl2q3F8EDRQ53reROi
J4uw1rOBptnfhpSOGHspldp+P7rdnFabSJwHQwElCorOiOa34/ztAgMBAAE=
-----END RSA PUBLIC KEY-----";
const EC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEjHkzW4UM0eDQ7ZuOh7GL4F1ZykF/
/B3j9VUjKdr6VwXJizzVv9YDwx/FRp4NZUF82dE4uJ7b03NFBvI9y3ABuQ==
-----END PUBLIC KEY-----";

/// The organizer `bigevents` with an admin token and the events `museum` and `zoo`.
async fn setup(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    for (slug, date) in [
        ("zoo", "2031-01-01T10:00:00Z"),
        ("museum", "2030-01-01T10:00:00Z"),
    ] {
        let resp = app
            .send_json(
                Method::POST,
                EVENTS,
                &token,
                &json!({"name": slug, "slug": slug, "date_from": date}),
            )
            .await;
        assert_eq!(resp.status, 201, "{}", resp.text());
    }
    token
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let resp = app.send_json(Method::POST, DEVICES, token, body).await;
    assert_eq!(resp.status, 201, "{body}: {}", resp.text());
    resp.json()
}

fn device_path(id: &Value) -> String {
    format!("{DEVICES}{id}/")
}

fn report(init_token: &str) -> Value {
    json!({
        "token": init_token,
        "hardware_brand": "Zebra",
        "hardware_model": "TC25",
        "os_name": "Android",
        "os_version": "8.1.0",
        "software_brand": "pretixSCAN",
        "software_version": "1.5.1",
    })
}

async fn post_json(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &Value) -> Response {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    app.request(Method::POST, path, &all, Some(body.to_string().as_bytes()))
        .await
}

/// Ten rolls with the same token at once, five times: exactly one gets a new token, which
/// works; the others are told the token is dead.
async fn concurrent_rolls_hand_out_one_working_token(app: TestApp) {
    let admin = app.organizer_with_token("bigevents").await;
    let (_, mut token) = initialized_device(
        &app,
        &admin,
        &json!({"name": "Scanner", "all_events": true, "limit_events": []}),
    )
    .await;
    for round in 0..5 {
        let rolls =
            (0..10).map(|_| as_device(&app, Method::POST, "/api/v1/device/roll", &token, None));
        let answers = futures_util::future::join_all(rolls).await;
        let rolled: Vec<String> = answers
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| r.json()["api_token"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(rolled.len(), 1, "round {round}");
        for refused in answers.iter().filter(|r| r.status != 200) {
            assert_eq!(
                (refused.status, refused.text()),
                (401, INVALID.to_owned()),
                "round {round}"
            );
        }
        assert_eq!(
            device_get(&app, "/api/v1/device/info", &rolled[0])
                .await
                .status,
            200
        );
        assert_eq!(
            device_get(&app, "/api/v1/device/info", &token).await.status,
            401
        );
        token = rolled[0].clone();
    }
}

async fn initialize(app: &TestApp, body: &Value) -> Response {
    post_json(app, INITIALIZE, &[], body).await
}

/// Creates a device with `body` and initializes it: the device resource and its API token.
async fn initialized_device(app: &TestApp, admin: &str, body: &Value) -> (Value, String) {
    let device = create(app, admin, body).await;
    let resp = initialize(
        app,
        &report(device["initialization_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let token = resp.json()["api_token"].as_str().unwrap().to_owned();
    (device, token)
}

/// A request with `Authorization: Device <token>`.
async fn as_device(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Response {
    let auth = format!("Device {token}");
    match body {
        Some(b) => {
            let bytes = b.to_string();
            app.request(
                method,
                path,
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                Some(bytes.as_bytes()),
            )
            .await
        }
        None => {
            app.request(method, path, &[("Authorization", &auth)], None)
                .await
        }
    }
}

async fn device_get(app: &TestApp, path: &str, token: &str) -> Response {
    as_device(app, Method::GET, path, token, None).await
}

fn assert_status(resp: &Response, status: u16, body: &str, what: &str) {
    assert_eq!(
        (resp.status, resp.text().as_str()),
        (status, body),
        "{what}"
    );
}

async fn document_examples(app: TestApp) {
    let admin = setup(&app).await;
    // The document's POST example.
    let created = create(
        &app,
        &admin,
        &json!({"name": "Scanner", "all_events": true, "limit_events": []}),
    )
    .await;
    let serial = created["unique_serial"].as_str().unwrap().to_owned();
    let init = created["initialization_token"].as_str().unwrap().to_owned();
    assert_eq!(serial.len(), 16);
    assert!(serial
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    assert_eq!(init.len(), 16);
    assert!(init
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let created_at = created["created"].as_str().unwrap().to_owned();
    assert!(created_at.ends_with('Z') && created_at.starts_with("20"));
    let expected = json!({
        "device_id": 1, "unique_serial": serial, "initialization_token": init,
        "all_events": true, "limit_events": [], "revoked": false, "name": "Scanner",
        "created": created_at, "initialized": null, "hardware_brand": null,
        "hardware_model": null, "os_name": null, "os_version": null, "software_brand": null,
        "software_version": null, "security_profile": "full"
    });
    assert_eq!(created.to_string(), expected.to_string());

    // The document's PATCH example.
    let resp = app
        .send_json(
            Method::PATCH,
            &device_path(&json!(1)),
            &admin,
            &json!({"name": "Foo"}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let mut patched = expected.clone();
    patched["name"] = json!("Foo");
    assert_eq!(resp.text(), patched.to_string());

    // Detail and list, after the device initialized itself as in the document.
    let resp = initialize(
        &app,
        &json!({
            "token": init, "hardware_brand": "Zebra", "hardware_model": "TC25",
            "os_name": "Android", "os_version": "8.1.0", "software_brand": "pretixSCAN",
            "software_version": "1.5.1"
        }),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let detail = app.get(&device_path(&json!(1)), &admin).await;
    assert_eq!(detail.status, 200);
    let detail = detail.json();
    let initialized = detail["initialized"].as_str().unwrap().to_owned();
    let expected = json!({
        "device_id": 1, "unique_serial": serial, "initialization_token": init,
        "all_events": true, "limit_events": [], "revoked": false, "name": "Foo",
        "created": created_at, "initialized": initialized, "hardware_brand": "Zebra",
        "hardware_model": "TC25", "os_name": "Android", "os_version": "8.1.0",
        "software_brand": "pretixSCAN", "software_version": "1.5.1", "security_profile": "full"
    });
    assert_eq!(detail.to_string(), expected.to_string());
    let list = app.get(DEVICES, &admin).await;
    assert_eq!(
        list.text(),
        json!({"count": 1, "next": null, "previous": null, "results": [expected]}).to_string()
    );

    // limit_events by slug, shown in event order (by start), duplicates once.
    let limited = create(
        &app,
        &admin,
        &json!({"name": "Gate", "limit_events": ["zoo", "museum", "zoo"], "security_profile": "pretixscan"}),
    )
    .await;
    assert_eq!(limited["device_id"], json!(2));
    assert_eq!(limited["all_events"], json!(false));
    assert_eq!(limited["limit_events"], json!(["museum", "zoo"]));
    assert_eq!(limited["security_profile"], json!("pretixscan"));
}

async fn read_only_fields_are_ignored_and_ids_count_per_organizer(app: TestApp) {
    let admin = setup(&app).await;
    let created = create(
        &app,
        &admin,
        &json!({
            "name": "  Scanner ", "limit_events": ["museum"], "device_id": 77,
            "unique_serial": "X", "initialization_token": "abc", "revoked": true,
            "created": "2020-01-01T00:00:00Z", "initialized": "2020-01-01T00:00:00Z",
            "hardware_brand": "hb", "software_version": "9"
        }),
    )
    .await;
    assert_eq!(created["device_id"], json!(1));
    assert_eq!(created["name"], json!("Scanner"));
    assert_ne!(created["unique_serial"], json!("X"));
    assert_ne!(created["initialization_token"], json!("abc"));
    assert_eq!(created["revoked"], json!(false));
    assert_eq!(created["initialized"], json!(null));
    assert_eq!(created["hardware_brand"], json!(null));
    assert_eq!(created["software_version"], json!(null));
    assert_ne!(created["created"], json!("2020-01-01T00:00:00Z"));
    let second = create(&app, &admin, &json!({"name": "2", "limit_events": []})).await;
    assert_eq!(second["device_id"], json!(2));
    assert_ne!(second["unique_serial"], created["unique_serial"]);

    // Another organizer counts from 1 again.
    let other = app.organizer_with_token("other").await;
    let resp = app
        .send_json(
            Method::POST,
            "/api/v1/organizers/other/devices/",
            &other,
            &json!({"name": "B", "limit_events": []}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.json()["device_id"], json!(1));
    // ... and its devices are not this organizer's.
    let resp = app.get("/api/v1/organizers/other/devices/", &other).await;
    assert_eq!(resp.json()["count"], json!(1));
    let resp = app.get(DEVICES, &admin).await;
    assert_eq!(resp.json()["count"], json!(2));

    // Concurrent creates get distinct numbers.
    let bodies: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("c{i}"), "limit_events": []}))
        .collect();
    let responses = futures_join(&app, &admin, &bodies).await;
    let mut ids: Vec<i64> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["device_id"].as_i64().unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, vec![3, 4, 5, 6, 7, 8]);
}

/// POSTs every body to the devices collection at the same time.
async fn futures_join(app: &TestApp, token: &str, bodies: &[Value]) -> Vec<Response> {
    let pending = bodies
        .iter()
        .map(|b| Box::pin(app.send_json(Method::POST, DEVICES, token, b)))
        .collect();
    join_all(pending).await
}

/// A minimal `join_all`: polls every future until all are done.
async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    use std::future::poll_fn;
    use std::task::Poll;
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut done = true;
        for (f, slot) in futures.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => done = false,
                }
            }
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

async fn put_patch_and_unsupported_methods(app: TestApp) {
    let admin = setup(&app).await;
    let created = create(
        &app,
        &admin,
        &json!({"name": "Scanner", "all_events": true, "limit_events": ["museum"], "security_profile": "pretixscan"}),
    )
    .await;
    let path = device_path(&created["device_id"]);

    // PATCH changes what is sent.
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &admin,
            &json!({"limit_events": ["zoo"]}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let patched = resp.json();
    assert_eq!(patched["limit_events"], json!(["zoo"]));
    assert_eq!(patched["name"], json!("Scanner"));
    assert_eq!(patched["all_events"], json!(true));
    assert_eq!(patched["security_profile"], json!("pretixscan"));

    // PUT needs name and limit_events; it keeps all_events and resets the profile to full.
    let resp = app.send_json(Method::PUT, &path, &admin, &json!({})).await;
    assert_status(
        &resp,
        400,
        r#"{"limit_events":["This field is required."],"name":["This field is required."]}"#,
        "PUT {}",
    );
    let resp = app
        .send_json(
            Method::PUT,
            &path,
            &admin,
            &json!({"name": "Gate", "limit_events": []}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let put = resp.json();
    assert_eq!(
        (
            &put["name"],
            &put["limit_events"],
            &put["all_events"],
            &put["security_profile"]
        ),
        (&json!("Gate"), &json!([]), &json!(true), &json!("full"))
    );
    assert_eq!(
        (&put["unique_serial"], &put["created"]),
        (&created["unique_serial"], &created["created"])
    );

    // DELETE is not allowed, on the collection neither; after the permission check.
    let resp = app.delete(&path, &admin).await;
    assert_status(
        &resp,
        405,
        r#"{"detail":"Method \"DELETE\" not allowed."}"#,
        "DELETE",
    );
    assert_eq!(
        resp.header("allow").as_deref(),
        Some("GET, PUT, PATCH, HEAD")
    );
    let resp = app.delete(DEVICES, &admin).await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow").as_deref(), Some("GET, POST, HEAD"));

    // Unknown and malformed ids; a missing slash redirects.
    for id in ["99", "0", "-1"] {
        let resp = app.get(&format!("{DEVICES}{id}/"), &admin).await;
        assert_status(
            &resp,
            404,
            r#"{"detail":"No Device matches the given query."}"#,
            id,
        );
    }
    let resp = app
        .send_json(Method::PATCH, &format!("{DEVICES}99/"), &admin, &json!([]))
        .await;
    assert_status(
        &resp,
        404,
        r#"{"detail":"No Device matches the given query."}"#,
        "PATCH 99 with a bad body",
    );
    let resp = app.get(&format!("{DEVICES}abc/"), &admin).await;
    assert_status(&resp, 404, r#"{"detail":"Not found."}"#, "abc");
    let resp = app.get(&format!("{DEVICES}1"), &admin).await;
    assert_eq!(resp.status, 301);
    assert_eq!(resp.header("location").as_deref(), Some(path.as_str()));
}

async fn organizer_api_validation_errors(app: TestApp) {
    let admin = setup(&app).await;
    let cases = [
        (
            json!({}),
            r#"{"limit_events":["This field is required."],"name":["This field is required."]}"#,
        ),
        (
            json!({"name": "", "limit_events": "x"}),
            r#"{"limit_events":["Expected a list of items but got type \"str\"."],"name":["This field may not be blank."]}"#,
        ),
        (
            json!({"name": "   ", "limit_events": [1]}),
            r#"{"limit_events":["Object with slug=1 does not exist."],"name":["This field may not be blank."]}"#,
        ),
        (
            json!({"name": null, "limit_events": null}),
            r#"{"limit_events":["This field may not be null."],"name":["This field may not be null."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": ["museum", "nope"], "security_profile": "bad"}),
            r#"{"limit_events":["Object with slug=nope does not exist."],"security_profile":["\"bad\" is not a valid choice."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": [], "security_profile": ""}),
            r#"{"security_profile":["\"\" is not a valid choice."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": [], "security_profile": null}),
            r#"{"security_profile":["This field may not be null."]}"#,
        ),
        (
            json!({"name": "x", "limit_events": [], "all_events": "maybe"}),
            r#"{"all_events":["Must be a valid boolean."]}"#,
        ),
        (
            json!({"name": "a".repeat(191), "limit_events": [true]}),
            r#"{"limit_events":["Object with slug=True does not exist."],"name":["Ensure this field has no more than 190 characters."]}"#,
        ),
        (
            json!([]),
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        ),
    ];
    for (body, expected) in &cases {
        let resp = app.send_json(Method::POST, DEVICES, &admin, body).await;
        assert_status(&resp, 400, expected, &body.to_string());
    }
    // Another organizer's event is unknown here.
    let other = app.organizer_with_token("other").await;
    let resp = app
        .send_json(
            Method::POST,
            EVENTS.replace("bigevents", "other").as_str(),
            &other,
            &json!({"name": "o", "slug": "theirs", "date_from": "2030-01-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let resp = app
        .send_json(
            Method::POST,
            DEVICES,
            &admin,
            &json!({"name": "x", "limit_events": ["theirs"]}),
        )
        .await;
    assert_status(
        &resp,
        400,
        r#"{"limit_events":["Object with slug=theirs does not exist."]}"#,
        "foreign event",
    );
    // Nothing was created by any of these; pretixpos is a valid profile here.
    assert_eq!(app.get(DEVICES, &admin).await.json()["count"], json!(0));
    let pos = create(
        &app,
        &admin,
        &json!({"name": "POS", "limit_events": [], "security_profile": "pretixpos"}),
    )
    .await;
    assert_eq!(pos["security_profile"], json!("pretixpos"));

    // The same rules on PATCH, field by field.
    let path = device_path(&pos["device_id"]);
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &admin,
            &json!({"limit_events": ["museum", "nope"], "all_events": null, "name": ""}),
        )
        .await;
    assert_status(
        &resp,
        400,
        r#"{"all_events":["This field may not be null."],"limit_events":["Object with slug=nope does not exist."],"name":["This field may not be blank."]}"#,
        "PATCH",
    );
    let resp = app
        .request(
            Method::POST,
            DEVICES,
            &[
                ("Authorization", &format!("Token {admin}")),
                ("Content-Type", "application/json"),
            ],
            Some(b"{bad"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(resp.text().starts_with(r#"{"detail":"JSON parse error - "#));
}

async fn organizer_api_permissions(app: TestApp) {
    let admin = setup(&app).await;
    let all_but: PermissionSet = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::ChangeOrganizerSettings)
        .collect();
    app.team("bigevents", "NoSettings", all_but, EventSelection::All)
        .await;
    let limited = app.token("bigevents", "NoSettings").await;
    let created = create(&app, &admin, &json!({"name": "x", "limit_events": []})).await;
    let path = device_path(&created["device_id"]);
    for (method, p) in [
        (Method::GET, DEVICES),
        (Method::POST, DEVICES),
        (Method::GET, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::PUT, path.as_str()),
        (Method::DELETE, path.as_str()),
    ] {
        let resp = app.send_json(method.clone(), p, &limited, &json!([])).await;
        assert_status(&resp, 403, DENIED, &format!("{method} {p}"));
    }
    // A foreign or unknown organizer is a 403 like a missing permission.
    let _ = app.organizer_with_token("other").await;
    for org in ["other", "nope"] {
        let resp = app
            .get(&format!("/api/v1/organizers/{org}/devices/"), &admin)
            .await;
        assert_status(&resp, 403, DENIED, org);
    }
    let resp = app
        .request(
            Method::GET,
            DEVICES,
            &[("Authorization", "Token nope")],
            None,
        )
        .await;
    assert_status(&resp, 401, INVALID, "unknown token");
}

async fn initialize_and_each_of_its_errors(app: TestApp) {
    let admin = setup(&app).await;
    let device = create(
        &app,
        &admin,
        &json!({"name": "Scanner", "limit_events": ["museum"]}),
    )
    .await;
    let init = device["initialization_token"].as_str().unwrap().to_owned();

    // Required fields, in field order; a bad Authorization header is ignored here.
    let resp = post_json(
        &app,
        INITIALIZE,
        &[("Authorization", "Token nope")],
        &json!({}),
    )
    .await;
    assert_status(
        &resp,
        400,
        r#"{"token":["This field is required."],"hardware_brand":["This field is required."],"hardware_model":["This field is required."],"software_brand":["This field is required."],"software_version":["This field is required."]}"#,
        "empty",
    );
    let resp = initialize(
        &app,
        &json!({"token": "", "hardware_brand": null, "hardware_model": 5, "software_brand": true,
                "software_version": [], "os_name": null, "info": {"a": 1}, "rsa_pubkey": "bad"}),
    )
    .await;
    assert_status(
        &resp,
        400,
        r#"{"token":["This field may not be blank."],"hardware_brand":["This field may not be null."],"software_brand":["Not a valid string."],"software_version":["Not a valid string."]}"#,
        "types",
    );
    let mut long = report(&init);
    long["os_version"] = json!("v".repeat(191));
    let resp = initialize(&app, &long).await;
    assert_status(
        &resp,
        400,
        r#"{"os_version":["Ensure this field has no more than 190 characters."]}"#,
        "long",
    );
    // Then the key, before the token is looked at.
    for key in [json!("bad"), json!(EC_KEY)] {
        let mut body = report("nope");
        body["rsa_pubkey"] = key;
        let resp = initialize(&app, &body).await;
        assert_status(
            &resp,
            400,
            r#"{"rsa_pubkey":["Not a valid public key."]}"#,
            "key",
        );
    }
    let mut body = report("nope");
    body["rsa_pubkey"] = json!("");
    let resp = initialize(&app, &body).await;
    assert_status(
        &resp,
        400,
        r#"{"rsa_pubkey":["This field may not be blank."]}"#,
        "blank key",
    );
    let resp = initialize(&app, &report("nope")).await;
    assert_status(
        &resp,
        400,
        r#"{"token":["Unknown initialization token."]}"#,
        "unknown",
    );
    let resp = initialize(&app, &json!([])).await;
    assert_status(
        &resp,
        400,
        r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        "list",
    );

    // Success: the document's shape, a 64-character token.
    let mut body = report(&init);
    body["rsa_pubkey"] = json!(RSA_KEY);
    body["info"] = json!({"battery": 80});
    let resp = initialize(&app, &body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    let api_token = answer["api_token"].as_str().unwrap().to_owned();
    assert_eq!(api_token.len(), 64);
    assert!(api_token
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(
        answer.to_string(),
        json!({
            "organizer": "bigevents", "device_id": 1, "unique_serial": device["unique_serial"],
            "api_token": api_token, "name": "Scanner", "security_profile": "full", "gate": null
        })
        .to_string()
    );
    // Only the hash is stored.
    let stored = app.texts("SELECT api_token_hash AS v FROM devices");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].as_deref(), Some(api_token.as_str()));
    assert_eq!(stored[0].as_deref().map(str::len), Some(64));
    let detail = app.get(&device_path(&json!(1)), &admin).await.json();
    assert_eq!(detail["hardware_brand"], json!("Zebra"));
    assert_eq!(detail["os_version"], json!("8.1.0"));
    assert!(detail["initialized"].is_string());

    // The token is used up; a revoked device's token is refused after that check.
    let resp = initialize(&app, &report(&init)).await;
    assert_status(
        &resp,
        400,
        r#"{"token":["This initialization token has already been used."]}"#,
        "used",
    );
    let second = create(&app, &admin, &json!({"name": "Spare", "limit_events": []})).await;
    app.sql("UPDATE devices SET revoked = TRUE WHERE device_id = 2");
    let resp = initialize(
        &app,
        &report(second["initialization_token"].as_str().unwrap()),
    )
    .await;
    assert_status(
        &resp,
        400,
        r#"{"token":["This initialization token has been revoked."]}"#,
        "revoked",
    );

    // Only POST, no trailing slash; a PKCS#1 key works too.
    let resp = app.request(Method::GET, INITIALIZE, &[], None).await;
    assert_status(
        &resp,
        405,
        r#"{"detail":"Method \"GET\" not allowed."}"#,
        "GET",
    );
    assert_eq!(resp.header("allow").as_deref(), Some("POST"));
    let resp = post_json(&app, &format!("{INITIALIZE}/"), &[], &json!({})).await;
    assert_eq!(resp.status, 404);
    let third = create(&app, &admin, &json!({"name": "Third", "limit_events": []})).await;
    let mut body = report(third["initialization_token"].as_str().unwrap());
    body["rsa_pubkey"] = json!(OTHER_RSA_KEY);
    assert_eq!(initialize(&app, &body).await.status, 200);
}

async fn device_reads_only_its_events(app: TestApp) {
    let admin = setup(&app).await;
    let (_, limited) = initialized_device(
        &app,
        &admin,
        &json!({"name": "Gate", "limit_events": ["museum"]}),
    )
    .await;
    let (_, all) = initialized_device(
        &app,
        &admin,
        &json!({"name": "All", "all_events": true, "limit_events": []}),
    )
    .await;

    // Its organizer, and only it.
    let _ = app.organizer_with_token("other").await;
    let resp = device_get(&app, "/api/v1/organizers/", &limited).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.text(),
        json!({"count": 1, "next": null, "previous": null, "results": [
            {"name": "bigevents name", "slug": "bigevents", "public_url": app.url("/bigevents/"), "plugins": []}
        ]})
        .to_string()
    );

    // Events: the limited device sees museum only, the other both; like a team token would.
    let slugs = |r: Response| -> Vec<String> {
        r.json()["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(slugs(device_get(&app, EVENTS, &limited).await), ["museum"]);
    assert_eq!(
        slugs(device_get(&app, EVENTS, &all).await),
        ["museum", "zoo"]
    );
    let museum = format!("{EVENTS}museum/");
    let zoo = format!("{EVENTS}zoo/");
    let resp = device_get(&app, &museum, &limited).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json(), app.get(&museum, &admin).await.json());
    assert_status(&device_get(&app, &zoo, &limited).await, 403, DENIED, "zoo");
    assert_eq!(device_get(&app, &zoo, &all).await.status, 200);
    assert_status(
        &device_get(&app, "/api/v1/organizers/other/events/", &all).await,
        403,
        DENIED,
        "other organizer",
    );

    // Event settings: the reduced device set, in registry order.
    let resp = device_get(&app, &format!("{museum}settings/"), &limited).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let keys: Vec<String> = resp.json().as_object().unwrap().keys().cloned().collect();
    let expected: Vec<String> = keys_for(Level::Event)
        .filter(|k| k.device)
        .map(|k| k.name.to_owned())
        .collect();
    assert_eq!(keys, expected);
    assert!(
        keys.len()
            < app
                .get(&format!("{museum}settings/"), &admin)
                .await
                .json()
                .as_object()
                .unwrap()
                .len()
    );
    assert_status(
        &device_get(&app, &format!("{zoo}settings/"), &limited).await,
        403,
        DENIED,
        "zoo settings",
    );

    // Products, quotas and sub-events of its events.
    let resp = app
        .send_json(
            Method::POST,
            &format!("{museum}items/"),
            &admin,
            &json!({"name": "Ticket", "default_price": "10"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let item = resp.json();
    let resp = device_get(&app, &format!("{museum}items/"), &limited).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["results"], json!([item]));
    let resp = device_get(&app, &format!("{museum}items/{}/", item["id"]), &limited).await;
    assert_eq!(resp.json(), item);
    for path in [
        "quotas/",
        "subevents/",
        "imported_secrets/",
        "digitalcontents/",
    ] {
        let resp = device_get(&app, &format!("{museum}{path}"), &limited).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        let resp = device_get(&app, &format!("{zoo}{path}"), &limited).await;
        assert_status(&resp, 403, DENIED, path);
    }
    assert_status(
        &device_get(&app, &format!("{zoo}items/"), &limited).await,
        403,
        DENIED,
        "zoo items",
    );

    // A limit changed by the organizer applies to the very next request.
    let resp = app
        .send_json(
            Method::PATCH,
            &device_path(&json!(1)),
            &admin,
            &json!({"limit_events": ["zoo"]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(slugs(device_get(&app, EVENTS, &limited).await), ["zoo"]);
    assert_eq!(device_get(&app, &museum, &limited).await.status, 403);

    // The version, for any credential.
    let resp = device_get(&app, "/api/v1/version", &limited).await;
    assert_eq!(resp.status, 200);
}

async fn device_may_not_write_or_read_organizer_resources(app: TestApp) {
    let admin = setup(&app).await;
    let (_, token) = initialized_device(
        &app,
        &admin,
        &json!({"name": "All", "all_events": true, "limit_events": []}),
    )
    .await;
    let museum = format!("{EVENTS}museum/");
    let forbidden = [
        (Method::GET, DEVICES.to_owned()),
        (Method::POST, DEVICES.to_owned()),
        (Method::GET, format!("{DEVICES}1/")),
        (Method::PATCH, format!("{DEVICES}1/")),
        (Method::GET, "/api/v1/organizers/bigevents/".to_owned()),
        (Method::PATCH, "/api/v1/organizers/bigevents/".to_owned()),
        (
            Method::GET,
            "/api/v1/organizers/bigevents/teams/".to_owned(),
        ),
        (
            Method::GET,
            "/api/v1/organizers/bigevents/settings/".to_owned(),
        ),
        (
            Method::GET,
            "/api/v1/organizers/bigevents/meta_properties/".to_owned(),
        ),
        (
            Method::GET,
            "/api/v1/organizers/bigevents/saleschannels/".to_owned(),
        ),
        (Method::POST, EVENTS.to_owned()),
        (Method::PATCH, museum.clone()),
        (Method::PUT, museum.clone()),
        (Method::DELETE, museum.clone()),
        (Method::POST, format!("{museum}clone/")),
        (Method::PATCH, format!("{museum}settings/")),
        (Method::PUT, format!("{museum}settings/")),
        (Method::POST, format!("{museum}items/")),
        (Method::POST, format!("{museum}quotas/")),
        (Method::POST, format!("{museum}subevents/")),
        (Method::POST, format!("{museum}imported_secrets/")),
        (
            Method::POST,
            format!("{museum}imported_secrets/bulk_create/"),
        ),
        (Method::POST, format!("{museum}digitalcontents/")),
    ];
    for (method, path) in forbidden {
        let resp = as_device(&app, method.clone(), &path, &token, Some(&json!({}))).await;
        assert_status(&resp, 403, DENIED, &format!("{method} {path}"));
    }
    // Nothing changed.
    assert_eq!(app.get(&museum, &admin).await.status, 200);
}

async fn update_roll_and_revoke(app: TestApp) {
    let admin = setup(&app).await;
    let (device, token) = initialized_device(
        &app,
        &admin,
        &json!({"name": "Scanner", "limit_events": ["museum"]}),
    )
    .await;
    let serial = device["unique_serial"].clone();
    let shown = |api_token: &str| {
        json!({
            "organizer": "bigevents", "device_id": 1, "unique_serial": serial,
            "api_token": api_token, "name": "Scanner", "security_profile": "full", "gate": null
        })
        .to_string()
    };

    // Info.
    let resp = device_get(&app, "/api/v1/device/info", &token).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.text(),
        format!(
            r#"{{"device":{},"server":{{"version":{{"pretix":"2026.8.0","pretix_numeric":20260080005000}}}},"medium_key_sets":[]}}"#,
            shown(&token)
        )
    );

    // Update: the same fields as initialize without the token; what is left out is cleared.
    let update = "/api/v1/device/update";
    let resp = as_device(&app, Method::POST, update, &token, Some(&json!({}))).await;
    assert_status(
        &resp,
        400,
        r#"{"hardware_brand":["This field is required."],"hardware_model":["This field is required."],"software_brand":["This field is required."],"software_version":["This field is required."]}"#,
        "update {}",
    );
    let resp = as_device(
        &app,
        Method::POST,
        update,
        &token,
        Some(&json!({"hardware_brand": "", "rsa_pubkey": "x"})),
    )
    .await;
    assert_status(
        &resp,
        400,
        r#"{"hardware_brand":["This field may not be blank."],"hardware_model":["This field is required."],"software_brand":["This field is required."],"software_version":["This field is required."]}"#,
        "update blank",
    );
    let body = json!({"hardware_brand": "Honeywell", "hardware_model": "EDA52",
                      "software_brand": "pretixSCAN", "software_version": "2.0", "rsa_pubkey": RSA_KEY,
                      "token": "ignored"});
    let resp = as_device(&app, Method::POST, update, &token, Some(&body)).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.text(), shown(&token));
    let detail = app.get(&device_path(&json!(1)), &admin).await.json();
    assert_eq!(
        (
            &detail["hardware_brand"],
            &detail["os_name"],
            &detail["software_version"]
        ),
        (&json!("Honeywell"), &json!(null), &json!("2.0"))
    );
    // The key stays: sending it again is fine, another one is refused and changes nothing.
    let mut same = body.clone();
    same["rsa_pubkey"] = json!(format!("{RSA_KEY}\n"));
    same["software_version"] = json!("2.1");
    let resp = as_device(&app, Method::POST, update, &token, Some(&same)).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let mut other = body.clone();
    other["rsa_pubkey"] = json!(OTHER_RSA_KEY);
    other["software_version"] = json!("3.0");
    let resp = as_device(&app, Method::POST, update, &token, Some(&other)).await;
    assert_status(
        &resp,
        400,
        r#"{"rsa_pubkey":["You cannot change the rsa_pubkey of the device once it is set."]}"#,
        "other key",
    );
    let detail = app.get(&device_path(&json!(1)), &admin).await.json();
    assert_eq!(detail["software_version"], json!("2.1"));
    other["rsa_pubkey"] = json!("garbage");
    let resp = as_device(&app, Method::POST, update, &token, Some(&other)).await;
    assert_status(
        &resp,
        400,
        r#"{"rsa_pubkey":["Not a valid public key."]}"#,
        "bad key",
    );
    let resp = as_device(&app, Method::GET, update, &token, None).await;
    assert_status(
        &resp,
        405,
        r#"{"detail":"Method \"GET\" not allowed."}"#,
        "GET update",
    );
    assert_eq!(resp.header("allow").as_deref(), Some("POST"));

    // Roll: a new token, the old one is dead at once.
    let resp = as_device(&app, Method::POST, "/api/v1/device/roll", &token, None).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let rolled = resp.json()["api_token"].as_str().unwrap().to_owned();
    assert_ne!(rolled, token);
    assert_eq!(rolled.len(), 64);
    assert_eq!(resp.text(), shown(&rolled));
    for path in ["/api/v1/device/info", EVENTS] {
        assert_status(&device_get(&app, path, &token).await, 401, INVALID, path);
        assert_eq!(device_get(&app, path, &rolled).await.status, 200, "{path}");
    }

    // Revoke: refused everywhere, for good.
    let resp = as_device(&app, Method::POST, "/api/v1/device/revoke", &rolled, None).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.text(), shown(&rolled));
    let everywhere = [
        (Method::GET, "/api/v1/device/info", "Device"),
        (Method::POST, "/api/v1/device/roll", "Device"),
        (Method::POST, "/api/v1/device/revoke", "Device"),
        (Method::POST, "/api/v1/device/update", "Device"),
        (Method::GET, "/api/v1/organizers/", "Token"),
        (Method::GET, EVENTS, "Token"),
        (
            Method::GET,
            "/api/v1/organizers/bigevents/events/museum/",
            "Token",
        ),
        (
            Method::DELETE,
            "/api/v1/organizers/bigevents/events/museum/",
            "Token",
        ),
        (Method::GET, "/api/v1/version", "Token"),
    ];
    for (method, path, challenge) in everywhere {
        let resp = as_device(&app, method.clone(), path, &rolled, Some(&json!({}))).await;
        assert_status(&resp, 401, REVOKED, &format!("{method} {path}"));
        assert_eq!(
            resp.header("www-authenticate").as_deref(),
            Some(challenge),
            "{path}"
        );
    }
    let detail = app.get(&device_path(&json!(1)), &admin).await.json();
    assert_eq!(detail["revoked"], json!(true));
    // The organizer cannot un-revoke it (read-only), and re-initializing is refused.
    let resp = app
        .send_json(
            Method::PATCH,
            &device_path(&json!(1)),
            &admin,
            &json!({"revoked": false}),
        )
        .await;
    assert_eq!(resp.json()["revoked"], json!(true));
    assert_eq!(device_get(&app, EVENTS, &rolled).await.status, 401);
    let resp = initialize(
        &app,
        &report(device["initialization_token"].as_str().unwrap()),
    )
    .await;
    assert_status(
        &resp,
        400,
        r#"{"token":["This initialization token has already been used."]}"#,
        "re-initialize",
    );
}

/// A path, request headers, the expected 401 detail and `WWW-Authenticate`.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);

async fn device_authentication_errors(app: TestApp) {
    let admin = setup(&app).await;
    let (_, token) = initialized_device(
        &app,
        &admin,
        &json!({"name": "Scanner", "limit_events": ["museum"]}),
    )
    .await;
    let info = "/api/v1/device/info";
    let cases: [Case; 8] = [
        (
            info,
            &[],
            "Authentication credentials were not provided.",
            "Device",
        ),
        (
            info,
            &[("Authorization", &format!("Token {admin}"))],
            "Authentication credentials were not provided.",
            "Device",
        ),
        (
            info,
            &[("Authorization", "Device nope")],
            "Invalid token.",
            "Device",
        ),
        (
            info,
            &[("Authorization", "Device")],
            "Invalid token header. No credentials provided.",
            "Device",
        ),
        (
            info,
            &[("Authorization", "Device a b")],
            "Invalid token header. Token string should not contain spaces.",
            "Device",
        ),
        (
            EVENTS,
            &[("Authorization", "Device nope")],
            "Invalid token.",
            "Token",
        ),
        (
            EVENTS,
            &[("Authorization", "Device")],
            "Invalid token header. No credentials provided.",
            "Token",
        ),
        (
            EVENTS,
            &[("Authorization", "Bearer x")],
            "Authentication credentials were not provided.",
            "Token",
        ),
    ];
    for (path, headers, detail, challenge) in cases {
        let resp = app.request(Method::GET, path, headers, None).await;
        assert_eq!(resp.status, 401, "{path} {headers:?}");
        assert_eq!(
            resp.json(),
            json!({ "detail": detail }),
            "{path} {headers:?}"
        );
        assert_eq!(
            resp.header("www-authenticate").as_deref(),
            Some(challenge),
            "{path} {headers:?}"
        );
    }
    // The scheme word is case-insensitive; authentication comes before the method check.
    let lower = format!("device {token}");
    let resp = app
        .request(Method::GET, info, &[("Authorization", &lower)], None)
        .await;
    assert_eq!(resp.status, 200);
    let resp = app
        .request(
            Method::GET,
            "/api/v1/device/roll",
            &[("Authorization", "Device nope")],
            None,
        )
        .await;
    assert_status(&resp, 401, INVALID, "GET roll, bad token");
    let resp = device_get(&app, "/api/v1/device/roll", &token).await;
    assert_eq!(resp.status, 405);
    let resp = as_device(&app, Method::POST, info, &token, None).await;
    assert_status(
        &resp,
        405,
        r#"{"detail":"Method \"POST\" not allowed."}"#,
        "POST info",
    );
    assert_eq!(resp.header("allow").as_deref(), Some("GET, HEAD"));

    // A device whose initialization was undone is not initialized.
    app.sql("UPDATE devices SET initialized = NULL");
    for path in [info, EVENTS] {
        let resp = device_get(&app, path, &token).await;
        assert_status(
            &resp,
            401,
            r#"{"detail":"Device has not been initialized."}"#,
            path,
        );
    }
}

async fn security_profiles(app: TestApp) {
    let admin = setup(&app).await;
    let museum = format!("{EVENTS}museum/");
    let mut devices = Vec::new();
    for profile in [
        "full",
        "pretixscan",
        "pretixscan_online_noorders",
        "pretixscan_online_kiosk",
        "pretixpos",
    ] {
        let (_, token) = initialized_device(
            &app,
            &admin,
            &json!({"name": profile, "all_events": true, "limit_events": [], "security_profile": profile}),
        )
        .await;
        devices.push((profile, token));
    }
    let resp = app
        .send_json(
            Method::POST,
            &format!("{museum}items/"),
            &admin,
            &json!({"name": "Ticket", "default_price": "10"}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let item = resp.json()["id"].clone();

    let ok = 200;
    // (method, path, full, pretixscan*, pretixpos)
    let table: Vec<(Method, String, u16, u16, u16)> = vec![
        (Method::GET, "/api/v1/version".into(), ok, ok, ok),
        (Method::GET, "/api/v1/device/info".into(), ok, ok, ok),
        (Method::GET, EVENTS.into(), ok, ok, ok),
        (Method::GET, museum.clone(), ok, ok, ok),
        (Method::GET, format!("{museum}settings/"), ok, ok, ok),
        (Method::GET, format!("{museum}items/"), ok, ok, ok),
        (Method::GET, format!("{museum}subevents/"), ok, ok, ok),
        (Method::GET, format!("{museum}items/{item}/"), ok, 403, ok),
        (
            Method::GET,
            format!("{museum}items/{item}/variations/"),
            ok,
            403,
            ok,
        ),
        (Method::GET, format!("{museum}quotas/"), ok, 403, ok),
        (
            Method::GET,
            format!("{museum}imported_secrets/"),
            ok,
            403,
            403,
        ),
        (
            Method::GET,
            format!("{museum}digitalcontents/"),
            ok,
            403,
            403,
        ),
        (Method::GET, "/api/v1/organizers/".into(), ok, 403, 403),
        (Method::GET, DEVICES.into(), 403, 403, 403),
        (Method::DELETE, museum.clone(), 403, 403, 403),
        (Method::POST, format!("{museum}items/"), 403, 403, 403),
    ];
    for (profile, token) in &devices {
        for (method, path, full, scan, pos) in &table {
            let expected = match *profile {
                "full" => *full,
                "pretixpos" => *pos,
                _ => *scan,
            };
            let resp = as_device(&app, method.clone(), path, token, None).await;
            assert_eq!(
                resp.status,
                expected,
                "{profile} {method} {path}: {}",
                resp.text()
            );
            if expected == 403 {
                // Every route of an allow-list is readable by a device: a restricted profile's
                // 403s are its own, before the access checks; a full device lacks permission.
                let body = if *profile == "full" {
                    DENIED
                } else {
                    PROFILE_DENIED
                };
                assert_eq!(resp.text(), body, "{profile} {method} {path}");
            }
        }
    }
    // The profile is checked before the organizer: a foreign organizer's list is a
    // profile denial for a scanner, a permission denial for a full device.
    let _ = app.organizer_with_token("other").await;
    let foreign = "/api/v1/organizers/other/devices/";
    assert_status(
        &device_get(&app, foreign, &devices[1].1).await,
        403,
        PROFILE_DENIED,
        "scanner, foreign devices",
    );
    assert_status(
        &device_get(&app, foreign, &devices[0].1).await,
        403,
        DENIED,
        "full, foreign devices",
    );
    // The device routes are in every profile; a changed profile applies at once; an unknown
    // stored profile counts as full.
    let scanner = &devices[1].1;
    let resp = as_device(&app, Method::POST, "/api/v1/device/roll", scanner, None).await;
    assert_eq!(resp.status, 200);
    let scanner = resp.json()["api_token"].as_str().unwrap().to_owned();
    assert_eq!(
        device_get(&app, &format!("{museum}quotas/"), &scanner)
            .await
            .status,
        403
    );
    app.sql("UPDATE devices SET security_profile = 'someplugin' WHERE name = 'pretixscan'");
    assert_eq!(
        device_get(&app, &format!("{museum}quotas/"), &scanner)
            .await
            .status,
        200
    );
    assert_eq!(
        device_get(&app, "/api/v1/organizers/", &scanner)
            .await
            .status,
        200
    );
}

async fn last_seen_is_recorded_off_the_request(app: TestApp) {
    let admin = setup(&app).await;
    let (_, token) = initialized_device(
        &app,
        &admin,
        &json!({"name": "Scanner", "limit_events": ["museum"]}),
    )
    .await;
    let last_seen = || app.texts("SELECT CAST(last_seen AS TEXT) AS v FROM devices");
    assert_eq!(last_seen(), vec![None]);
    assert_eq!(device_get(&app, EVENTS, &token).await.status, 200);
    let mut first = None;
    for _ in 0..100 {
        if let Some(seen) = last_seen().pop().flatten() {
            first = Some(seen);
            break;
        }
        tokio_sleep(Duration::from_millis(50)).await;
    }
    let first = first.expect("last_seen recorded");
    // Within the minute, more requests do not write again.
    for _ in 0..3 {
        assert_eq!(device_get(&app, EVENTS, &token).await.status, 200);
    }
    tokio_sleep(Duration::from_millis(300)).await;
    assert_eq!(last_seen(), vec![Some(first.clone())]);
    // A minute later (moved back in the database), the next request writes.
    app.sql("UPDATE devices SET last_seen = '2020-01-01 00:00:00'");
    let old = last_seen();
    assert_eq!(
        device_get(&app, "/api/v1/device/info", &token).await.status,
        200
    );
    let mut moved = false;
    for _ in 0..100 {
        if last_seen() != old {
            moved = true;
            break;
        }
        tokio_sleep(Duration::from_millis(50)).await;
    }
    assert!(moved, "last_seen written again after a minute");
}

async fn tokio_sleep(d: Duration) {
    actix_web::rt::time::sleep(d).await;
}
