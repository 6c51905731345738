//! `/api/v1/organizers/{o}/settings/` and `/api/v1/organizers/{o}/events/{e}/settings/`:
//! defaults, explain, PATCH, inheritance organizer → event, validation (nothing written on
//! a 400), 405 and permissions.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_tests::{both_backends, Response, TestApp, DENIED};
use serde_json::{json, Value};

both_backends!(
    organizer_defaults,
    event_defaults,
    explain_shows_value_label_help_text_and_readonly,
    patch_returns_the_full_object_and_stores_it,
    null_unsets_and_event_inherits_from_organizer,
    unknown_other_level_and_readonly_keys_are_ignored,
    each_invalid_value_is_a_field_error,
    field_errors_come_in_registry_order,
    cross_field_checks_use_effective_values,
    nothing_is_written_on_a_400,
    other_methods_are_405_after_access_checks,
    organizer_settings_need_permission_to_write_only,
    event_settings_need_event_settings_permission_and_event_access,
    form_bodies_and_non_objects,
);

const ORG: &str = "/api/v1/organizers/bigevents/settings/";
const EVENT: &str = "/api/v1/organizers/bigevents/events/ev/settings/";

/// `bigevents` with an all-permissions token and the event `ev`.
async fn setup(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    app.event("bigevents", "ev").await;
    token
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Response {
    app.send_json(Method::PATCH, path, token, &body).await
}

fn event_defaults_json() -> Value {
    json!({
        "imprint_url": null,
        "presale_has_ended_text": {"en": ""},
        "banner_text": {"en": ""},
        "show_dates_on_frontpage": true,
        "show_date_to": true,
        "show_times": true,
        "locales": ["en"],
        "locale": "en",
        "region": null,
        "last_order_modification_date": null,
        "show_quota_left": false,
        "waiting_list_enabled": false,
        "max_items_per_order": 10,
        "reservation_time": 30,
        "contact_mail": null,
        "contact_url": null,
        "hide_sold_out": false,
        "frontpage_text": {"en": ""},
        "attendee_names_asked": true,
        "attendee_names_required": false,
        "attendee_emails_asked": false,
        "attendee_emails_required": false,
        "payment_term_days": 14,
        "ticket_download": false,
        "mail_prefix": null,
        "invoice_address_asked": true,
        "invoice_address_required": false,
        "cancel_allow_user": true,
        "cancel_allow_user_until": null,
        "cancel_allow_user_paid_keep": "0.00",
        "cancel_allow_user_paid_keep_percentage": "0.00",
        "primary_color": "#8E44B3",
        "theme_color_success": "#408252",
        "theme_color_danger": "#c44f4f",
        "theme_color_background": "#f5f5f5",
        "name_scheme": "given_family",
        "reusable_media_active": false
    })
}

/// `base` with `changes` applied (new keys appended).
fn with(mut base: Value, changes: Value) -> Value {
    let map = base.as_object_mut().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        map.insert(k.clone(), v.clone());
    }
    base
}

async fn organizer_defaults(app: TestApp) {
    let token = setup(&app).await;
    let resp = app.get(ORG, &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/json")
    );
    // Exact text: key order is the registry's; organizer-only keys in their place.
    let expected = json!({
        "imprint_url": null,
        "presale_has_ended_text": {"en": ""},
        "banner_text": {"en": ""},
        "show_dates_on_frontpage": true,
        "show_date_to": true,
        "show_times": true,
        "locales": ["en"],
        "locale": "en",
        "region": null,
        "timezone": "UTC",
        "last_order_modification_date": null,
        "show_quota_left": false,
        "waiting_list_enabled": false,
        "max_items_per_order": 10,
        "reservation_time": 30,
        "contact_mail": null,
        "contact_url": null,
        "privacy_url": null,
        "accessibility_url": null,
        "hide_sold_out": false,
        "frontpage_text": {"en": ""},
        "attendee_names_asked": true,
        "attendee_names_required": false,
        "attendee_emails_asked": false,
        "attendee_emails_required": false,
        "payment_term_days": 14,
        "ticket_download": false,
        "mail_prefix": null,
        "invoice_address_asked": true,
        "invoice_address_required": false,
        "cancel_allow_user": true,
        "cancel_allow_user_until": null,
        "cancel_allow_user_paid_keep": "0.00",
        "cancel_allow_user_paid_keep_percentage": "0.00",
        "primary_color": "#8E44B3",
        "theme_color_success": "#408252",
        "theme_color_danger": "#c44f4f",
        "theme_color_background": "#f5f5f5",
        "name_scheme": "given_family",
        "reusable_media_active": false
    });
    assert_eq!(resp.text(), expected.to_string());
}

async fn event_defaults(app: TestApp) {
    let token = setup(&app).await;
    let resp = app.get(EVENT, &token).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), event_defaults_json().to_string());
    // HEAD answers like GET, without a body.
    let auth = format!("Token {token}");
    let head = app
        .request(Method::HEAD, EVENT, &[("Authorization", &auth)], None)
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

async fn explain_shows_value_label_help_text_and_readonly(app: TestApp) {
    let token = setup(&app).await;
    patch(&app, ORG, &token, json!({"reusable_media_active": true})).await;
    let resp = app.get(&format!("{EVENT}?explain=true"), &token).await;
    assert_eq!(resp.status, 200);
    let body = resp.json();
    let plain = event_defaults_json();
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    let plain_keys: Vec<_> = plain.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, plain_keys);
    // pretix's key order inside each entry.
    assert!(resp.text().starts_with(
        r#"{"imprint_url":{"value":null,"label":"Imprint URL","help_text":"This should point e.g. to a part of your website that has your contact details and legal information.","readonly":false},"#
    ));
    assert_eq!(
        body["locales"],
        json!({"value": ["en"], "label": "Available languages", "help_text": "None", "readonly": false})
    );
    assert_eq!(
        body["max_items_per_order"],
        json!({
            "value": 10,
            "label": "Maximum number of items per order",
            "help_text": "Add-on products will not be counted.",
            "readonly": false
        })
    );
    assert_eq!(
        body["frontpage_text"],
        json!({"value": {"en": ""}, "label": "Frontpage text", "help_text": "None", "readonly": false})
    );
    assert_eq!(
        body["name_scheme"],
        json!({"value": "given_family", "label": "name_scheme", "help_text": "None", "readonly": false})
    );
    // Read-only on events, and inherited from the organizer.
    assert_eq!(
        body["reusable_media_active"],
        json!({
            "value": true,
            "label": "Activate reusable media",
            "help_text": "The reusable media feature allows you to connect tickets and gift cards with physical media such as wristbands or chip cards that may be reused for different tickets or gift cards later.",
            "readonly": true
        })
    );
    // On the organizer level nothing is read-only; any `explain` value explains.
    let org = app.get(&format!("{ORG}?explain"), &token).await.json();
    assert_eq!(org["reusable_media_active"]["readonly"], json!(false));
    assert_eq!(
        org["timezone"],
        json!({"value": "UTC", "label": "Default timezone", "help_text": "None", "readonly": false})
    );
    // Without `explain`, plain values.
    let resp = app.get(&format!("{EVENT}?other=1"), &token).await;
    assert_eq!(resp.json()["locales"], json!(["en"]));
}

async fn patch_returns_the_full_object_and_stores_it(app: TestApp) {
    let token = setup(&app).await;
    let changes = json!({
        "imprint_url": "https://example.org/imprint/",
        "contact_mail": "info@example.org",
        "locales": ["de", "en", "de"],
        "locale": "de",
        "region": "DE",
        "show_quota_left": "yes",
        "max_items_per_order": "12",
        "reservation_time": 15.0,
        "attendee_emails_asked": 1,
        "attendee_emails_required": "on",
        "payment_term_days": 0,
        "mail_prefix": "  BE  ",
        "primary_color": "#00ff00",
        "name_scheme": "full",
        "frontpage_text": {"de": "Hallo", "en": "Hello"},
        "banner_text": "Important",
        "last_order_modification_date": "RELDATE/3/-/date_from/",
        "cancel_allow_user_until": "2030-01-01T10:00:00Z",
        "cancel_allow_user_paid_keep": 12.5,
    });
    let resp = patch(&app, EVENT, &token, changes).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let expected = with(
        event_defaults_json(),
        json!({
            "imprint_url": {"en": "https://example.org/imprint/"},
            "contact_mail": "info@example.org",
            "locales": ["de", "en"],
            "locale": "de",
            "region": "DE",
            "show_quota_left": true,
            "max_items_per_order": 12,
            "reservation_time": 15,
            "attendee_emails_asked": true,
            "attendee_emails_required": true,
            "payment_term_days": 0,
            "mail_prefix": "BE",
            "primary_color": "#00ff00",
            "name_scheme": "full",
            "frontpage_text": {"de": "Hallo", "en": "Hello"},
            "banner_text": {"en": "Important"},
            "last_order_modification_date": "RELDATE/3/-/event__date_from/",
            "cancel_allow_user_until": "2030-01-01T10:00:00+00:00",
            "cancel_allow_user_paid_keep": "12.50",
        }),
    );
    assert_eq!(resp.text(), expected.to_string());
    assert_eq!(app.get(EVENT, &token).await.json(), expected);
    // The organizer is untouched.
    assert_eq!(app.get(ORG, &token).await.json()["locale"], json!("en"));
    // An empty PATCH changes nothing and answers the full object.
    let resp = patch(&app, EVENT, &token, json!({})).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json(), expected);
}

async fn null_unsets_and_event_inherits_from_organizer(app: TestApp) {
    let token = setup(&app).await;
    let resp = patch(
        &app,
        ORG,
        &token,
        json!({"contact_mail": "org@example.org", "mail_prefix": "ORG", "locales": ["en", "de"]}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["contact_mail"], json!("org@example.org"));
    let ev = app.get(EVENT, &token).await.json();
    assert_eq!(ev["contact_mail"], json!("org@example.org"));
    assert_eq!(ev["mail_prefix"], json!("ORG"));
    assert_eq!(ev["locales"], json!(["en", "de"]));

    // The event's own value wins, and stays when the organizer changes.
    let resp = patch(&app, EVENT, &token, json!({"mail_prefix": "EV"})).await;
    assert_eq!(resp.json()["mail_prefix"], json!("EV"));
    patch(&app, ORG, &token, json!({"mail_prefix": "ORG2"})).await;
    let ev = app.get(EVENT, &token).await.json();
    assert_eq!(ev["mail_prefix"], json!("EV"));
    assert_eq!(ev["contact_mail"], json!("org@example.org"));

    // null removes the event's own value: the organizer's shows again.
    let resp = patch(&app, EVENT, &token, json!({"mail_prefix": null})).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["mail_prefix"], json!("ORG2"));
    // null on the organizer: the default shows on both levels.
    let resp = patch(
        &app,
        ORG,
        &token,
        json!({"mail_prefix": null, "contact_mail": null}),
    )
    .await;
    assert_eq!(resp.json()["mail_prefix"], Value::Null);
    let ev = app.get(EVENT, &token).await.json();
    assert_eq!(ev["mail_prefix"], Value::Null);
    assert_eq!(ev["contact_mail"], Value::Null);
    // null for a value that was never set is fine.
    let resp = patch(&app, EVENT, &token, json!({"frontpage_text": null})).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["frontpage_text"], json!({"en": ""}));

    // A second event of the same organizer inherits the same way and has its own values.
    app.event("bigevents", "ev2").await;
    let path2 = "/api/v1/organizers/bigevents/events/ev2/settings/";
    patch(&app, EVENT, &token, json!({"show_quota_left": true})).await;
    let ev2 = app.get(path2, &token).await.json();
    assert_eq!(ev2["show_quota_left"], json!(false));
    assert_eq!(ev2["locales"], json!(["en", "de"]));
}

async fn unknown_other_level_and_readonly_keys_are_ignored(app: TestApp) {
    let token = setup(&app).await;
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({
            "no_such_setting": "x",
            "privacy_url": "https://example.org/privacy/",
            "timezone": "Europe/Berlin",
            "reusable_media_active": true,
        }),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.text(), event_defaults_json().to_string());
    // Read-only values are ignored even when invalid.
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"reusable_media_active": "maybe"}),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(app.get(EVENT, &token).await.json(), event_defaults_json());

    // The organizer level has them.
    let resp = patch(
        &app,
        ORG,
        &token,
        json!({
            "privacy_url": "https://example.org/privacy/",
            "timezone": "Europe/Berlin",
            "reusable_media_active": true,
            "no_such_setting": "x",
        }),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let org = resp.json();
    assert_eq!(
        org["privacy_url"],
        json!({"en": "https://example.org/privacy/"})
    );
    assert_eq!(org["timezone"], json!("Europe/Berlin"));
    assert_eq!(org["reusable_media_active"], json!(true));
    assert!(org.get("no_such_setting").is_none());
    let ev = app.get(EVENT, &token).await.json();
    assert_eq!(ev["reusable_media_active"], json!(true));
    assert!(ev.get("privacy_url").is_none() && ev.get("timezone").is_none());
}

async fn each_invalid_value_is_a_field_error(app: TestApp) {
    let token = setup(&app).await;
    let cases = [
        (
            json!({"imprint_url": "nope"}),
            r#"{"imprint_url":["Enter a valid URL."]}"#,
        ),
        (
            json!({"imprint_url": "http://foo"}),
            r#"{"imprint_url":["Enter a valid URL."]}"#,
        ),
        (
            json!({"imprint_url": {"de": "nope", "en": "https://a.com"}}),
            r#"{"imprint_url":["Enter a valid URL."]}"#,
        ),
        (
            json!({"imprint_url": {"xx": "https://a.com"}}),
            r#"{"imprint_url":["Invalid languages included."]}"#,
        ),
        (
            json!({"contact_url": 5}),
            r#"{"contact_url":["Invalid data type."]}"#,
        ),
        (
            json!({"contact_mail": "nope"}),
            r#"{"contact_mail":["Enter a valid email address."]}"#,
        ),
        (
            json!({"contact_mail": "a@b.c"}),
            r#"{"contact_mail":["Enter a valid email address."]}"#,
        ),
        (
            json!({"contact_mail": ""}),
            r#"{"contact_mail":["This field may not be blank."]}"#,
        ),
        (
            json!({"locales": ["xx"]}),
            r#"{"locales":["\"xx\" is not a valid choice."]}"#,
        ),
        (
            json!({"locales": "en"}),
            r#"{"locales":["Expected a list of items but got type \"str\"."]}"#,
        ),
        (
            json!({"locale": "xx"}),
            r#"{"locale":["\"xx\" is not a valid choice."]}"#,
        ),
        (
            json!({"locale": ""}),
            r#"{"locale":["\"\" is not a valid choice."]}"#,
        ),
        (
            json!({"region": "de"}),
            r#"{"region":["\"de\" is not a valid choice."]}"#,
        ),
        (
            json!({"name_scheme": "xx"}),
            r#"{"name_scheme":["\"xx\" is not a valid choice."]}"#,
        ),
        (
            json!({"show_quota_left": "maybe"}),
            r#"{"show_quota_left":["Must be a valid boolean."]}"#,
        ),
        (
            json!({"waiting_list_enabled": 2}),
            r#"{"waiting_list_enabled":["Must be a valid boolean."]}"#,
        ),
        (
            json!({"max_items_per_order": "abc"}),
            r#"{"max_items_per_order":["A valid integer is required."]}"#,
        ),
        (
            json!({"max_items_per_order": 1.5}),
            r#"{"max_items_per_order":["A valid integer is required."]}"#,
        ),
        (
            json!({"max_items_per_order": 0}),
            r#"{"max_items_per_order":["Ensure this value is greater than or equal to 1."]}"#,
        ),
        (
            json!({"max_items_per_order": 501}),
            r#"{"max_items_per_order":["Ensure this value is less than or equal to 500."]}"#,
        ),
        (
            json!({"reservation_time": -1}),
            r#"{"reservation_time":["Ensure this value is greater than or equal to 0."]}"#,
        ),
        (
            json!({"payment_term_days": true}),
            r#"{"payment_term_days":["A valid integer is required."]}"#,
        ),
        (
            json!({"mail_prefix": "   "}),
            r#"{"mail_prefix":["This field may not be blank."]}"#,
        ),
        (
            json!({"mail_prefix": ["a"]}),
            r#"{"mail_prefix":["Not a valid string."]}"#,
        ),
        (
            json!({"primary_color": "red"}),
            r#"{"primary_color":["Please enter the hexadecimal code of a color, e.g. #990000."]}"#,
        ),
        (
            json!({"frontpage_text": 5}),
            r#"{"frontpage_text":["Invalid data type."]}"#,
        ),
        (
            json!({"banner_text": {"xx": "a"}}),
            r#"{"banner_text":["Invalid languages included."]}"#,
        ),
        (
            json!({"cancel_allow_user_until": "garbage"}),
            r#"{"cancel_allow_user_until":["Invalid relative date"]}"#,
        ),
        (
            json!({"cancel_allow_user_paid_keep": "abc"}),
            r#"{"cancel_allow_user_paid_keep":["A valid number is required."]}"#,
        ),
        (
            json!({"cancel_allow_user_paid_keep": "1.234"}),
            r#"{"cancel_allow_user_paid_keep":["Ensure that there are no more than 2 decimal places."]}"#,
        ),
    ];
    for (body, expected) in cases {
        let resp = patch(&app, EVENT, &token, body.clone()).await;
        assert_eq!(resp.status, 400, "{body}");
        assert_eq!(resp.text(), expected, "{body}");
    }
    let resp = patch(&app, ORG, &token, json!({"timezone": "Foo/Bar"})).await;
    assert_eq!(
        resp.text(),
        r#"{"timezone":["\"Foo/Bar\" is not a valid choice."]}"#
    );
    let resp = patch(&app, ORG, &token, json!({"privacy_url": "nope"})).await;
    assert_eq!(resp.text(), r#"{"privacy_url":["Enter a valid URL."]}"#);
}

async fn field_errors_come_in_registry_order(app: TestApp) {
    let token = setup(&app).await;
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({
            "mail_prefix": "",
            "contact_mail": "nope",
            "locale": "",
            "imprint_url": "nope",
            "attendee_names_required": true,
            "attendee_names_asked": false,
        }),
    )
    .await;
    assert_eq!(resp.status, 400);
    // Every failing field, in registry order; the cross-field check only once all passed.
    assert_eq!(
        resp.text(),
        r#"{"imprint_url":["Enter a valid URL."],"locale":["\"\" is not a valid choice."],"contact_mail":["Enter a valid email address."],"mail_prefix":["This field may not be blank."]}"#
    );
}

async fn cross_field_checks_use_effective_values(app: TestApp) {
    let token = setup(&app).await;
    let cases = [
        (
            json!({"invoice_address_required": true, "invoice_address_asked": false}),
            r#"{"invoice_address_required":["You have to ask for invoice addresses if you want to make them required."]}"#,
        ),
        (
            json!({"attendee_names_required": true, "attendee_names_asked": false}),
            r#"{"attendee_names_required":["You cannot require specifying attendee names if you do not ask for them."]}"#,
        ),
        // Asking for e-mails is off by default: requiring them alone fails.
        (
            json!({"attendee_emails_required": true}),
            r#"{"attendee_emails_required":["You have to ask for attendee emails if you want to make them required."]}"#,
        ),
        (
            json!({"locales": ["de"]}),
            r#"{"locale":["Your default locale must also be enabled for your event (see box above)."]}"#,
        ),
        // Only the first failing check is reported.
        (
            json!({"attendee_names_asked": false, "attendee_names_required": true, "invoice_address_asked": false, "invoice_address_required": true}),
            r#"{"attendee_names_required":["You cannot require specifying attendee names if you do not ask for them."]}"#,
        ),
    ];
    for path in [EVENT, ORG] {
        for (body, expected) in &cases {
            let resp = patch(&app, path, &token, body.clone()).await;
            assert_eq!(resp.status, 400, "{path} {body}");
            assert_eq!(resp.text(), *expected, "{path} {body}");
        }
    }
    // Both at once pass.
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"attendee_emails_required": true, "attendee_emails_asked": true, "locales": ["de"], "locale": "de"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    // Inherited values count: the organizer stops asking for invoice addresses, the event
    // cannot require them.
    patch(&app, ORG, &token, json!({"invoice_address_asked": false})).await;
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"invoice_address_required": true}),
    )
    .await;
    assert_eq!(resp.status, 400);
    // An event value that removes the conflict passes, and so does removing the own value
    // of a pair the organizer keeps consistent.
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"invoice_address_required": true, "invoice_address_asked": true}),
    )
    .await;
    assert_eq!(resp.status, 200);
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"locales": null, "locale": null}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["locale"], json!("en"));
}

async fn nothing_is_written_on_a_400(app: TestApp) {
    let token = setup(&app).await;
    patch(&app, EVENT, &token, json!({"mail_prefix": "KEEP"})).await;
    let before = app.get(EVENT, &token).await.text();
    // A field error next to valid changes and a removal.
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"show_quota_left": true, "mail_prefix": null, "imprint_url": "nope"}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(app.get(EVENT, &token).await.text(), before);
    // A cross-field error.
    let resp = patch(
        &app,
        EVENT,
        &token,
        json!({"show_quota_left": true, "mail_prefix": "NEW", "attendee_emails_required": true}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(app.get(EVENT, &token).await.text(), before);
    let org_before = app.get(ORG, &token).await.text();
    let resp = patch(
        &app,
        ORG,
        &token,
        json!({"mail_prefix": "X", "locale": "xx"}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(app.get(ORG, &token).await.text(), org_before);
}

async fn other_methods_are_405_after_access_checks(app: TestApp) {
    let token = setup(&app).await;
    app.team(
        "bigevents",
        "Nobody",
        PermissionSet::none(),
        EventSelection::All,
    )
    .await;
    let nobody = app.token("bigevents", "Nobody").await;
    for path in [ORG, EVENT] {
        for method in [Method::PUT, Method::POST, Method::DELETE] {
            let resp = app
                .send_json(method.clone(), path, &token, &json!({"mail_prefix": "x"}))
                .await;
            assert_eq!(resp.status, 405, "{method} {path}");
            assert_eq!(
                resp.text(),
                format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#)
            );
            assert_eq!(resp.header("allow").as_deref(), Some("GET, PATCH, HEAD"));
            // Without the permission: 403 first.
            let resp = app
                .send_json(method.clone(), path, &nobody, &json!({}))
                .await;
            assert_eq!(resp.status, 403, "{method} {path}");
            assert_eq!(resp.text(), DENIED);
            // Without credentials: 401 first.
            let resp = app.request(method.clone(), path, &[], None).await;
            assert_eq!(resp.status, 401, "{method} {path}");
        }
    }
    // Nothing was written by the refused PUTs.
    assert_eq!(
        app.get(EVENT, &token).await.json()["mail_prefix"],
        Value::Null
    );
}

async fn organizer_settings_need_permission_to_write_only(app: TestApp) {
    let token = setup(&app).await;
    app.organizer_with_token("other").await;
    let perms: PermissionSet = [Permission::ChangeEventSettings, Permission::ChangeItems]
        .into_iter()
        .collect();
    app.team("bigevents", "Events", perms, EventSelection::All)
        .await;
    let limited = app.token("bigevents", "Events").await;
    // Reading needs access to the organizer only, as in pretix.
    let resp = app.get(ORG, &limited).await;
    assert_eq!(resp.status, 200);
    // Writing needs can_change_organizer_settings.
    let resp = patch(&app, ORG, &limited, json!({"mail_prefix": "x"})).await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.text(), DENIED);
    assert_eq!(
        app.get(ORG, &token).await.json()["mail_prefix"],
        Value::Null
    );
    // A foreign or unknown organizer is 403 whatever the permissions.
    for path in [
        "/api/v1/organizers/other/settings/",
        "/api/v1/organizers/nope/settings/",
    ] {
        let resp = app.get(path, &token).await;
        assert_eq!(resp.status, 403, "{path}");
        assert_eq!(resp.text(), DENIED);
        let resp = patch(&app, path, &token, json!({"mail_prefix": "x"})).await;
        assert_eq!(resp.status, 403, "{path}");
    }
    // Bad token: 401; no trailing slash on GET: redirect.
    let resp = app.get(ORG, "not-a-token").await;
    assert_eq!(resp.status, 401);
    let resp = app.get(ORG.trim_end_matches('/'), &token).await;
    assert_eq!(resp.status, 301);
}

async fn event_settings_need_event_settings_permission_and_event_access(app: TestApp) {
    let token = setup(&app).await;
    app.event("bigevents", "other-ev").await;
    let other_token = app.organizer_with_token("other").await;
    app.event("other", "ev").await;
    let all_but: PermissionSet = presale_domain::access::Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::ChangeEventSettings)
        .collect();
    app.team("bigevents", "NoSettings", all_but, EventSelection::All)
        .await;
    let no_settings = app.token("bigevents", "NoSettings").await;
    let settings_only: PermissionSet = [Permission::ChangeEventSettings].into_iter().collect();
    app.team(
        "bigevents",
        "OtherEvent",
        settings_only,
        EventSelection::Slugs(vec!["other-ev".into()]),
    )
    .await;
    let other_event = app.token("bigevents", "OtherEvent").await;

    // Read and write need can_change_event_settings.
    for t in [&no_settings, &other_event] {
        let resp = app.get(EVENT, t).await;
        assert_eq!(resp.status, 403);
        assert_eq!(resp.text(), DENIED);
        let resp = patch(&app, EVENT, t, json!({"mail_prefix": "x"})).await;
        assert_eq!(resp.status, 403);
    }
    // The limited team reaches its own event.
    let path = "/api/v1/organizers/bigevents/events/other-ev/settings/";
    let resp = patch(&app, path, &other_event, json!({"mail_prefix": "mine"})).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["mail_prefix"], json!("mine"));
    // Unknown event, and another organizer's event of the same slug: 403.
    for (path, t) in [
        ("/api/v1/organizers/bigevents/events/nope/settings/", &token),
        ("/api/v1/organizers/other/events/ev/settings/", &token),
        (
            "/api/v1/organizers/bigevents/events/ev/settings/",
            &other_token,
        ),
    ] {
        let resp = app.get(path, t).await;
        assert_eq!(resp.status, 403, "{path}");
        assert_eq!(resp.text(), DENIED);
    }
    // Settings of one organizer's event do not leak to another organizer's event.
    patch(&app, EVENT, &token, json!({"mail_prefix": "BIG"})).await;
    let resp = app
        .get("/api/v1/organizers/other/events/ev/settings/", &other_token)
        .await;
    assert_eq!(resp.json()["mail_prefix"], Value::Null);
}

async fn form_bodies_and_non_objects(app: TestApp) {
    let token = setup(&app).await;
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::PATCH,
            EVENT,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(b"show_quota_left=true&max_items_per_order=7&mail_prefix=FORM"),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["show_quota_left"], json!(true));
    assert_eq!(body["max_items_per_order"], json!(7));
    assert_eq!(body["mail_prefix"], json!("FORM"));
    let resp = patch(&app, EVENT, &token, json!(["mail_prefix"])).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.text(),
        r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#
    );
    let resp = app
        .request(
            Method::PATCH,
            EVENT,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{bad"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(resp.text().starts_with(r#"{"detail":"JSON parse error - "#));
}
