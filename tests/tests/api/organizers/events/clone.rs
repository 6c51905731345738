//! Cloning (`/events/{e}/clone/` and `?clone_from=`) and going live, on both backends.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_tests::{both_backends, Backend, TestApp};
use serde_json::{json, Value};

both_backends!(
    clone_copies_catalog_settings_and_configuration,
    clone_body_overrides_the_copied_fields,
    clone_from_query_parameter,
    clone_of_an_event_with_payment_and_ticket_plugins,
    clone_needs_create_permission_and_post,
    failed_clone_leaves_nothing,
    going_live,
    availability_state_from_quotas,
);

const EVENTS: &str = "/api/v1/organizers/bigevents/events/";

fn new_event(slug: &str) -> Value {
    json!({"name": {"en": slug}, "slug": slug, "date_from": "2031-05-01T10:00:00Z"})
}

/// A source event `src` with settings, meta data, plugins, channels, item meta properties,
/// two products (one with two variations) and two quotas referring to them.
async fn source_event(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    app.meta_property(&token, "bigevents", "format", "", Value::Null, false)
        .await;
    app.sales_channel("bigevents", "pos", "POS", "pretixpos", 1)
        .await;
    let src = json!({
        "name": "Source", "slug": "src", "date_from": "2030-01-01T10:00:00Z",
        "date_admission": "2030-01-01T09:00:00Z", "is_public": false, "testmode": true,
        "timezone": "Europe/Berlin", "meta_data": {"format": "talk"},
        "plugins": ["pretix.plugins.badges", "pretix.plugins.statistics"],
        "all_sales_channels": false, "limit_sales_channels": ["pos"],
        "item_meta_properties": {"colour": "red"}
    });
    let resp = app.send_json(Method::POST, EVENTS, &token, &src).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let resp = app
        .send_json(
            Method::PATCH,
            &format!("{EVENTS}src/settings/"),
            &token,
            &json!({"imprint_url": "https://example.org/imprint"}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let items = format!("{EVENTS}src/items/");
    let ticket = json!({
        "name": {"en": "Ticket"}, "default_price": "23.40", "active": true, "admission": true,
        "position": 1, "variations": [
            {"value": {"en": "Regular"}, "default_price": null, "active": true, "position": 1},
            {"value": {"en": "Reduced"}, "default_price": "12.00", "active": true, "position": 2},
        ],
    });
    let ticket = app.create(&items, &token, ticket).await;
    let shirt = json!({
        "name": {"en": "Shirt"}, "default_price": "0.00", "active": true, "admission": false,
        "position": 2,
    });
    let shirt = app.create(&items, &token, shirt).await;
    let quotas = format!("{EVENTS}src/quotas/");
    let tickets = json!({
        "name": "Tickets", "size": 100, "items": [ticket["id"]],
        "variations": [ticket["variations"][1]["id"]],
    });
    app.create(&quotas, &token, tickets).await;
    let shirts = json!({"name": "Shirts", "size": null, "items": [shirt["id"]], "variations": []});
    app.create(&quotas, &token, shirts).await;
    token
}

/// The catalog of an event as text rows, ids replaced by names, for comparing copies.
fn catalog(app: &TestApp, slug: &str) -> Vec<Option<String>> {
    let event = format!("(SELECT id FROM events WHERE slug = '{slug}')");
    let mut rows = app.texts(&format!(
        "SELECT name || '|' || default_price || '|' || CAST(active AS TEXT) || '|' || CAST(admission AS TEXT) || '|' || CAST(position AS TEXT) AS v \
         FROM items WHERE event_id = {event} ORDER BY position"
    ));
    rows.extend(app.texts(&format!(
        "SELECT i.name || '>' || v.value || '|' || COALESCE(v.default_price, '-') || '|' || CAST(v.position AS TEXT) AS v \
         FROM item_variations v JOIN items i ON i.id = v.item_id WHERE i.event_id = {event} ORDER BY v.position"
    )));
    rows.extend(app.texts(&format!(
        "SELECT q.name || '|' || COALESCE(CAST(q.size AS TEXT), 'unlimited') || '|' || i.name AS v \
         FROM quotas q JOIN quota_items qi ON qi.quota_id = q.id JOIN items i ON i.id = qi.item_id \
         WHERE q.event_id = {event} ORDER BY q.name"
    )));
    rows.extend(app.texts(&format!(
        "SELECT q.name || '|' || v.value || '|' || CAST(i.event_id = q.event_id AS TEXT) AS v \
         FROM quotas q JOIN quota_variations qv ON qv.quota_id = q.id JOIN item_variations v ON v.id = qv.variation_id \
         JOIN items i ON i.id = v.item_id WHERE q.event_id = {event} ORDER BY q.name"
    )));
    rows
}

async fn clone_copies_catalog_settings_and_configuration(app: TestApp) {
    let token = source_event(&app).await;
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}src/clone/"),
            &token,
            &new_event("copy"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let copy = resp.json();
    let source = app.get(&format!("{EVENTS}src/"), &token).await.json();
    for (field, value) in [
        ("slug", json!("copy")),
        ("name", json!({"en": "copy"})),
        ("date_from", json!("2031-05-01T10:00:00Z")),
        ("date_admission", json!("2031-05-01T09:00:00Z")),
        ("live", json!(false)),
    ] {
        assert_eq!(copy[field], value, "{field}");
    }
    for field in [
        "is_public",
        "testmode",
        "has_subevents",
        "timezone",
        "meta_data",
        "plugins",
        "all_sales_channels",
        "limit_sales_channels",
        "sales_channels",
        "item_meta_properties",
    ] {
        assert_eq!(copy[field], source[field], "{field} copied");
    }
    let keys = copy["valid_keys"]["pretix_sig1"].clone();
    assert!(keys.is_array());
    assert_ne!(
        keys, source["valid_keys"]["pretix_sig1"],
        "a fresh signing key"
    );

    let settings = app
        .get(&format!("{EVENTS}copy/settings/"), &token)
        .await
        .json();
    assert_eq!(
        settings["imprint_url"],
        json!({"en": "https://example.org/imprint"})
    );

    let copied = catalog(&app, "copy");
    assert_eq!(copied, catalog(&app, "src"));
    assert_eq!(copied.len(), 2 + 2 + 2 + 1);
    // New ids: nothing of the copy points into the source event.
    let shared = app.texts(
        "SELECT CAST(COUNT(*) AS TEXT) AS v FROM quota_items qi JOIN quotas q ON q.id = qi.quota_id \
         JOIN items i ON i.id = qi.item_id WHERE q.event_id <> i.event_id",
    );
    assert_eq!(shared, [Some("0".to_owned())]);
}

async fn clone_body_overrides_the_copied_fields(app: TestApp) {
    let token = source_event(&app).await;
    let mut body = new_event("copy");
    body["plugins"] = json!(["pretix.plugins.sendmail"]);
    body["is_public"] = json!(true);
    body["testmode"] = json!(false);
    body["timezone"] = json!("UTC");
    body["meta_data"] = json!({});
    body["date_admission"] = json!("2031-05-01T08:00:00Z");
    let resp = app
        .send_json(Method::POST, &format!("{EVENTS}src/clone/"), &token, &body)
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let copy = resp.json();
    for (field, value) in [
        ("plugins", json!(["pretix.plugins.sendmail"])),
        ("is_public", json!(true)),
        ("testmode", json!(false)),
        ("timezone", json!("UTC")),
        ("meta_data", json!({})),
        ("date_admission", json!("2031-05-01T08:00:00Z")),
    ] {
        assert_eq!(copy[field], value, "{field}");
    }
    // Validation applies as for a new event.
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}src/clone/"),
            &token,
            &json!({"slug": "copy"}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()),
        (
            400,
            json!({"name": ["This field is required."], "slug": ["This slug has already been used for a different event."], "date_from": ["This field is required."]})
        )
    );
}

/// Stripe and the PDF ticket output are event-level plugins: on a fresh organizer an event
/// enables them directly, and both ways of cloning copy them.
async fn clone_of_an_event_with_payment_and_ticket_plugins(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let mut source = new_event("src");
    source["plugins"] = json!(["pretix.plugins.ticketoutputpdf", "pretix.plugins.stripe"]);
    let resp = app.send_json(Method::POST, EVENTS, &token, &source).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let expected = |slug: &str| {
        json!({
            "name": {"en": slug}, "slug": slug, "live": false, "testmode": false,
            "currency": "EUR", "date_from": "2031-05-01T10:00:00Z", "date_to": null,
            "date_admission": null, "is_public": true, "presale_start": null,
            "presale_end": null, "location": null, "geo_lat": null, "geo_lon": null,
            "has_subevents": false, "meta_data": {}, "seating_plan": null,
            "plugins": ["pretix.plugins.stripe", "pretix.plugins.ticketoutputpdf"],
            "seat_category_mapping": {}, "timezone": "UTC", "item_meta_properties": {},
            "all_sales_channels": true, "limit_sales_channels": [],
            "public_url": app.url(&format!("/bigevents/{slug}/")), "sales_channels": ["web"]
        })
    };
    assert_eq!(resp.json(), expected("src"));

    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}src/clone/"),
            &token,
            &new_event("copy"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let mut copy = resp.json();
    let keys = copy
        .as_object_mut()
        .and_then(|o| o.shift_remove("valid_keys"))
        .expect("valid_keys");
    assert_eq!(keys["pretix_sig1"].as_array().map(Vec::len), Some(1));
    assert_eq!(copy, expected("copy"));

    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}?clone_from=src"),
            &token,
            &new_event("viaquery"),
        )
        .await;
    assert_eq!((resp.status, resp.json()), (201, expected("viaquery")));
}

async fn clone_from_query_parameter(app: TestApp) {
    let token = source_event(&app).await;
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}?clone_from=src"),
            &token,
            &new_event("viaquery"),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let copy = resp.json();
    assert_eq!(
        copy["plugins"],
        json!(["pretix.plugins.badges", "pretix.plugins.statistics"])
    );
    assert!(copy.get("valid_keys").is_none());
    assert_eq!(catalog(&app, "viaquery"), catalog(&app, "src"));
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}?clone_from=bigevents/src"),
            &token,
            &new_event("viaorg"),
        )
        .await;
    assert_eq!(resp.status, 201);
    app.organizer_with_token("other").await;
    for reference in ["nope", "other/src", "bigevents/nope"] {
        let resp = app
            .send_json(
                Method::POST,
                &format!("{EVENTS}?clone_from={reference}"),
                &token,
                &new_event("x"),
            )
            .await;
        assert_eq!(
            (resp.status, resp.text()),
            (
                400,
                r#"{"clone_from":["Event to copy from was not found"]}"#.to_owned()
            ),
            "{reference}"
        );
    }
    // A token limited to other events cannot copy this one.
    app.create_event(&token, "bigevents", "mine", false).await;
    app.team(
        "bigevents",
        "Mine",
        PermissionSet::all(),
        EventSelection::Slugs(vec!["mine".into()]),
    )
    .await;
    let limited = app.token("bigevents", "Mine").await;
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}?clone_from=src"),
            &limited,
            &new_event("y"),
        )
        .await;
    assert_eq!(resp.status, 400);
}

async fn clone_needs_create_permission_and_post(app: TestApp) {
    let token = source_event(&app).await;
    let perms: PermissionSet = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::CreateEvents)
        .collect();
    app.team("bigevents", "NoCreate", perms, EventSelection::All)
        .await;
    let no_create = app.token("bigevents", "NoCreate").await;
    let path = format!("{EVENTS}src/clone/");
    let resp = app
        .send_json(Method::POST, &path, &no_create, &new_event("copy"))
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (
            403,
            r#"{"detail":"You do not have permission to perform this action."}"#.to_owned()
        )
    );
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let resp = app
            .send_json(method.clone(), &path, &token, &json!({}))
            .await;
        assert_eq!(resp.status, 405, "{method}");
        assert_eq!(
            resp.text(),
            format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#)
        );
        assert_eq!(resp.header("allow").as_deref(), Some("POST"));
    }
}

async fn failed_clone_leaves_nothing(app: TestApp) {
    let token = source_event(&app).await;
    let before = app.texts("SELECT CAST(COUNT(*) AS TEXT) AS v FROM items");
    // Make the copy fail half way: after the event, settings and products, at the quotas.
    match app.backend {
        Backend::Sqlite => app.sql("CREATE TRIGGER fail_quotas BEFORE INSERT ON quotas BEGIN SELECT RAISE(ABORT, 'quota copy failed'); END;"),
        Backend::Postgres => app.sql(
            "CREATE FUNCTION fail_quotas() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'quota copy failed'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER fail_quotas BEFORE INSERT ON quotas FOR EACH ROW EXECUTE FUNCTION fail_quotas();",
        ),
    }
    let resp = app
        .send_json(
            Method::POST,
            &format!("{EVENTS}src/clone/"),
            &token,
            &new_event("copy"),
        )
        .await;
    assert_eq!(
        (resp.status, resp.text()),
        (500, r#"{"detail":"Internal server error."}"#.to_owned())
    );
    assert_eq!(
        app.texts("SELECT slug AS v FROM events ORDER BY slug"),
        [Some("src".to_owned())]
    );
    assert_eq!(
        app.texts("SELECT CAST(COUNT(*) AS TEXT) AS v FROM items"),
        before
    );
    assert_eq!(app.texts("SELECT CAST(COUNT(*) AS TEXT) AS v FROM event_settings WHERE event_id NOT IN (SELECT id FROM events)"), [Some("0".to_owned())]);
    let resp = app.get(&format!("{EVENTS}copy/"), &token).await;
    assert_eq!(resp.status, 403);
}

async fn going_live(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    let resp = app
        .send_json(Method::POST, EVENTS, &token, &new_event("conf"))
        .await;
    assert_eq!(resp.status, 201);
    let path = format!("{EVENTS}conf/");
    let live = json!({"live": true});
    let refused = |msg: &str| json!({"live": [msg]});
    let resp = app.send_json(Method::PATCH, &path, &token, &live).await;
    assert_eq!(
        (resp.status, resp.json()),
        (
            400,
            refused("You need to configure at least one quota to sell anything.")
        )
    );

    let (items, quotas) = (format!("{path}items/"), format!("{path}quotas/"));
    let free = json!({"name": {"en": "Free"}, "default_price": "0.00", "admission": true});
    app.create(&items, &token, free).await;
    let all = json!({"name": "All", "size": 10, "items": [], "variations": []});
    app.create(&quotas, &token, all).await;
    // A free product and a quota: the event goes live, and back.
    let resp = app.send_json(Method::PATCH, &path, &token, &live).await;
    assert_eq!(
        (resp.status, resp.json()["live"].clone()),
        (200, json!(true)),
        "{}",
        resp.text()
    );
    let resp = app
        .send_json(Method::PATCH, &path, &token, &json!({"live": false}))
        .await;
    assert_eq!(resp.json()["live"], json!(false));

    // A paid product needs a payment plugin on the event.
    let paid =
        json!({"name": {"en": "Paid"}, "default_price": "5.00", "admission": true, "position": 1});
    app.create(&items, &token, paid).await;
    let resp = app.send_json(Method::PATCH, &path, &token, &live).await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, refused("You have configured at least one paid product but have not enabled any payment methods."))
    );
    app.send_json(
        Method::PATCH,
        "/api/v1/organizers/bigevents/",
        &token,
        &json!({"plugins": ["pretix.plugins.banktransfer"]}),
    )
    .await;
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            &json!({"live": true, "plugins": ["pretix.plugins.banktransfer"]}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()["live"].clone()),
        (200, json!(true)),
        "{}",
        resp.text()
    );
}

async fn availability_state_from_quotas(app: TestApp) {
    let token = app.organizer_with_token("bigevents").await;
    for slug in ["none", "open", "gone"] {
        app.send_json(Method::POST, EVENTS, &token, &new_event(slug))
            .await;
    }
    for (slug, size) in [("open", Value::Null), ("gone", json!(0))] {
        let quota = json!({"name": "q", "size": size, "items": [], "variations": []});
        app.create(&format!("{EVENTS}{slug}/quotas/"), &token, quota)
            .await;
    }
    let page = app
        .get(&format!("{EVENTS}?with_availability_for=web"), &token)
        .await
        .json();
    let states: Vec<(Value, Value)> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["slug"].clone(), e["best_availability_state"].clone()))
        .collect();
    assert_eq!(
        states,
        [
            (json!("gone"), json!(0)),
            (json!("none"), Value::Null),
            (json!("open"), json!(100))
        ]
    );
}
