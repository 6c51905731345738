//! `/api/v1/organizers/{o}/events/{e}/items/` (products) and `.../items/{id}/variations/`
//! (docs/api-compatibility.md): CRUD with exact bodies, money, every validation error, PUT vs PATCH,
//! ordering, pagination, 404s, the permission matrix and quota clean-up, on both backends.

use actix_web::http::Method;
use presale_tests::{both_backends, texts, Response, Round, TestApp};
use serde_json::{json, Value};

both_backends!(
    create_read_update_delete,
    create_fills_defaults,
    money_is_normalised_to_two_decimals,
    create_reports_every_field_error_in_order,
    inline_variations_are_created_with_the_item,
    inline_variation_errors_are_reported_per_variation,
    put_requires_fields_and_patch_is_partial,
    variations_cannot_be_changed_through_the_item,
    list_is_ordered_by_position_then_id_and_paginated,
    list_page_costs_fixed_queries,
    unknown_items_are_404,
    variations_crud,
    variation_rules,
    variation_errors,
    unknown_variations_are_404,
    deleting_takes_items_and_variations_out_of_quotas,
);

const ITEMS: &str = "/api/v1/organizers/bigevents/events/conf/items/";
const ITEM_NOT_FOUND: &str = r#"{"detail":"No Item matches the given query."}"#;
const VARIATION_NOT_FOUND: &str = r#"{"detail":"No ItemVariation matches the given query."}"#;
const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;
const REQUIRED: &str = "This field is required.";
const NOT_NULL: &str = "This field may not be null.";
const NEGATIVE: &str = "Ensure this value is greater than or equal to 0.";

fn item_path(id: &Value) -> String {
    format!("{ITEMS}{id}/")
}

fn variations_path(item: &Value) -> String {
    format!("{ITEMS}{item}/variations/")
}

fn variation_path(item: &Value, variation: &Value) -> String {
    format!("{ITEMS}{item}/variations/{variation}/")
}

/// An organizer `bigevents` with an all-permissions token and the event `conf`.
async fn setup(app: &TestApp) -> String {
    let token = app.organizer_with_token("bigevents").await;
    app.create_event(&token, "bigevents", "conf", false).await;
    token
}

async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> Response {
    app.send_json(Method::POST, path, token, body).await
}

/// Creates an item and returns its JSON.
async fn created(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = post(app, token, ITEMS, &body).await;
    assert_eq!(resp.status, 201, "{body}: {}", resp.text());
    resp.json()
}

/// Creates an item with the given variations and returns its JSON.
async fn with_variations(app: &TestApp, token: &str, name: &str, values: &[&str]) -> Value {
    let variations: Vec<Value> = values.iter().map(|v| json!({"value": v})).collect();
    created(
        app,
        token,
        json!({"name": name, "default_price": "10", "variations": variations}),
    )
    .await
}

async fn count(app: &TestApp, token: &str, path: &str) -> Value {
    app.get(path, token).await.json()["count"].clone()
}

/// Status and exact body text: key order matters.
fn exactly(resp: &Response) -> (u16, String) {
    (resp.status, resp.text())
}

async fn create_read_update_delete(app: TestApp) {
    let token = setup(&app).await;
    let after_put = json!({
        "name": {"en": "Reduced"}, "default_price": "12.00", "active": true,
        "description": {"en": "Entry to the event"}, "category": null, "admission": false,
        "position": 2, "has_variations": false, "variations": []
    });
    let mut after_patch = after_put.clone();
    after_patch["active"] = json!(false);
    after_patch["description"] = Value::Null;
    let round = Round {
        collection: ITEMS,
        key: "id",
        before: vec![],
        at: 0,
        elsewhere: &[],
        create: json!({
            "name": {"en": "Standard ticket", "de": "Standardticket"},
            "default_price": "23.4", "active": true, "description": {"en": "Entry to the event"},
            "category": null, "admission": true, "position": 2, "has_variations": false,
            "variations": []
        }),
        created: r#"{"id":{key},"name":{"en":"Standard ticket","de":"Standardticket"},"default_price":"23.40","active":true,"description":{"en":"Entry to the event"},"category":null,"admission":true,"position":2,"has_variations":false,"variations":[]}"#,
        put: json!({"name": "Reduced", "default_price": 12, "admission": false}),
        after_put,
        patch: json!({"active": false, "description": null}),
        after_patch,
        not_found: ITEM_NOT_FOUND,
    };
    app.round(&token, round).await;
}

async fn create_fills_defaults(app: TestApp) {
    let token = setup(&app).await;
    let resp = post(
        &app,
        &token,
        ITEMS,
        &json!({"name": "T", "default_price": "23.4"}),
    )
    .await;
    let id = resp.json()["id"].clone();
    assert_eq!(
        exactly(&resp),
        (
            201,
            format!(
                r#"{{"id":{id},"name":{{"en":"T"}},"default_price":"23.40","active":true,"description":null,"category":null,"admission":false,"position":0,"has_variations":false,"variations":[]}}"#
            )
        )
    );
    // Read-only fields are ignored, pretix's boolean and integer spellings are taken,
    // multilingual text is kept as sent (blank included, as pretix does).
    let item = created(
        &app,
        &token,
        json!({
            "id": 999_999, "has_variations": true, "name": "", "default_price": "0",
            "active": "no", "description": "", "admission": "yes", "position": "-3"
        }),
    )
    .await;
    assert_ne!(item["id"], json!(999_999));
    assert_eq!(
        item,
        json!({
            "id": item["id"], "name": {"en": ""}, "default_price": "0.00", "active": false,
            "description": {"en": ""}, "category": null, "admission": true, "position": -3,
            "has_variations": false, "variations": []
        })
    );
    let item = created(
        &app,
        &token,
        json!({"name": {}, "default_price": 1, "description": {"de": " Text ", "en": "text"}}),
    )
    .await;
    assert_eq!(
        (item["name"].clone(), item["description"].to_string()),
        (json!({}), r#"{"de":" Text ","en":"text"}"#.to_owned())
    );
    assert_eq!(count(&app, &token, ITEMS).await, json!(3));
}

async fn money_is_normalised_to_two_decimals(app: TestApp) {
    let token = setup(&app).await;
    for (sent, shown) in [
        (json!("23.4"), "23.40"),
        (json!("23.40"), "23.40"),
        (json!(" 5 "), "5.00"),
        (json!(12.5), "12.50"),
        (json!(7), "7.00"),
        (json!("0"), "0.00"),
        (json!("-0"), "0.00"),
        (json!(".5"), "0.50"),
        (json!("1e3"), "1000.00"),
        (json!("007.10"), "7.10"),
        (json!("99999999999.99"), "99999999999.99"),
    ] {
        let item = created(
            &app,
            &token,
            json!({"name": "x", "default_price": sent.clone()}),
        )
        .await;
        assert_eq!(item["default_price"], json!(shown), "{sent}");
        assert_eq!(
            app.get(&item_path(&item["id"]), &token).await.json()["default_price"],
            json!(shown),
            "{sent}"
        );
    }
    // Updates and variations normalise too.
    let item = with_variations(&app, &token, "Shirt", &["S"]).await;
    let resp = app
        .send_json(
            Method::PATCH,
            &item_path(&item["id"]),
            &token,
            &json!({"default_price": "0.5"}),
        )
        .await;
    assert_eq!(resp.json()["default_price"], json!("0.50"));
    let v = item["variations"][0]["id"].clone();
    let resp = app
        .send_json(
            Method::PATCH,
            &variation_path(&item["id"], &v),
            &token,
            &json!({"default_price": 3.1}),
        )
        .await;
    assert_eq!(resp.json()["default_price"], json!("3.10"));
}

async fn create_reports_every_field_error_in_order(app: TestApp) {
    let token = setup(&app).await;
    let cases = [
        (
            json!({}),
            json!({"name": [REQUIRED], "default_price": [REQUIRED]}),
        ),
        (
            json!({
                "variations": null, "position": null, "admission": null, "category": null,
                "description": null, "active": null, "default_price": null, "name": null
            }),
            json!({
                "name": [NOT_NULL], "default_price": [NOT_NULL], "active": [NOT_NULL],
                "admission": [NOT_NULL], "position": [NOT_NULL], "variations": [NOT_NULL]
            }),
        ),
        (
            json!({
                "name": 5, "default_price": true, "active": "maybe", "description": 5,
                "category": "x", "admission": [], "position": "abc", "variations": "x"
            }),
            json!({
                "name": ["Invalid data type."],
                "default_price": ["A valid number is required."],
                "active": ["Must be a valid boolean."],
                "description": ["Invalid data type."],
                "category": ["Incorrect type. Expected pk value, received str."],
                "admission": ["Must be a valid boolean."],
                "position": ["A valid integer is required."],
                "variations": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}
            }),
        ),
        (
            json!({
                "name": {"xx": "a"}, "default_price": "-0.01", "category": 5,
                "position": 2_147_483_648_i64, "variations": {}
            }),
            json!({
                "name": ["Invalid languages included."],
                "default_price": [NEGATIVE],
                "category": ["Invalid pk \"5\" - object does not exist."],
                "position": ["Ensure this value is less than or equal to 2147483647."],
                "variations": {"non_field_errors": ["Expected a list of items but got type \"dict\"."]}
            }),
        ),
        (
            json!({"name": "x", "default_price": "1.234", "position": -2_147_483_649_i64, "category": true}),
            json!({
                "default_price": ["Ensure that there are no more than 2 decimal places."],
                "category": ["Incorrect type. Expected pk value, received bool."],
                "position": ["Ensure this value is greater than or equal to -2147483648."]
            }),
        ),
        (
            json!({"name": "x", "default_price": "100000000000"}),
            json!({"default_price": ["Ensure that there are no more than 11 digits before the decimal point."]}),
        ),
        (
            json!({"name": "x", "default_price": "100000000000.00"}),
            json!({"default_price": ["Ensure that there are no more than 13 digits in total."]}),
        ),
        (
            json!({"name": "x", "default_price": "1.230"}),
            json!({"default_price": ["Ensure that there are no more than 2 decimal places."]}),
        ),
        (
            json!({"name": "x", "default_price": ""}),
            json!({"default_price": ["A valid number is required."]}),
        ),
        (
            json!({"name": "x", "default_price": "-5"}),
            json!({"default_price": [NEGATIVE]}),
        ),
        (
            json!({"name": "x", "default_price": "1", "category": " 7 "}),
            json!({"category": ["Invalid pk \" 7 \" - object does not exist."]}),
        ),
        (
            json!([{"name": "x"}]),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
    ];
    for (body, errors) in cases {
        let resp = post(&app, &token, ITEMS, &body).await;
        assert_eq!(exactly(&resp), (400, errors.to_string()), "{body}");
    }
    let auth = format!("Token {token}");
    let resp = app
        .request(
            Method::POST,
            ITEMS,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{\"name\":"),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("JSON parse error - ")),
        "{}",
        resp.text()
    );
    assert_eq!(count(&app, &token, ITEMS).await, json!(0));
}

async fn inline_variations_are_created_with_the_item(app: TestApp) {
    let token = setup(&app).await;
    let resp = post(
        &app,
        &token,
        ITEMS,
        &json!({
            "name": "Shirt",
            "default_price": "20",
            "has_variations": false,
            "variations": [
                {"value": {"en": "L", "de": "Groß"}, "default_price": "25.5", "position": 2, "active": false},
                {"value": "S", "position": 1, "id": 4242},
                {"value": "M", "default_price": null, "position": 1},
                {"value": " XL ", "default_price": " "}
            ]
        }),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let item = resp.json();
    let vid = |i: usize| item["variations"][i]["id"].clone();
    assert_eq!(item["has_variations"], json!(true));
    // Ordered by position, then id (creation order).
    let expected = json!([
        {"id": vid(0), "value": {"en": " XL "}, "default_price": null, "active": true, "position": 0},
        {"id": vid(1), "value": {"en": "S"}, "default_price": null, "active": true, "position": 1},
        {"id": vid(2), "value": {"en": "M"}, "default_price": null, "active": true, "position": 1},
        {"id": vid(3), "value": {"en": "L", "de": "Groß"}, "default_price": "25.50", "active": false, "position": 2}
    ]);
    assert_eq!(item["variations"].to_string(), expected.to_string());
    assert_ne!(vid(1), json!(4242));
    assert!(vid(1).as_i64() < vid(2).as_i64());
    assert_eq!(
        exactly(&app.get(&item_path(&item["id"]), &token).await),
        (200, item.to_string())
    );
    let list = app.get(&variations_path(&item["id"]), &token).await;
    assert_eq!(
        exactly(&list),
        (
            200,
            json!({"count": 4, "next": null, "previous": null, "results": expected}).to_string()
        )
    );
    // No variations sent, or none in the list: the product has none.
    let plain = created(
        &app,
        &token,
        json!({"name": "A", "default_price": "1", "variations": []}),
    )
    .await;
    assert_eq!(
        (plain["has_variations"].clone(), plain["variations"].clone()),
        (json!(false), json!([]))
    );
}

async fn inline_variation_errors_are_reported_per_variation(app: TestApp) {
    let token = setup(&app).await;
    let cases = [
        (
            json!({"name": "a", "default_price": "1", "variations": [{}]}),
            json!({"variations": [{"value": [REQUIRED]}]}),
        ),
        (
            json!({"name": null, "default_price": "1", "variations": [{"value": "S"}, {"value": null}]}),
            json!({"name": [NOT_NULL], "variations": [{}, {"value": [NOT_NULL]}]}),
        ),
        (
            json!({"name": "a", "default_price": "1", "variations": [
                {"value": "S"},
                {"position": "x", "active": null, "default_price": "-1", "value": 3},
                5,
                {"value": "L", "default_price": "1.001"}
            ]}),
            json!({"variations": [
                {},
                {
                    "value": ["Invalid data type."],
                    "default_price": [NEGATIVE],
                    "active": [NOT_NULL],
                    "position": ["A valid integer is required."]
                },
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]},
                {"default_price": ["Ensure that there are no more than 2 decimal places."]}
            ]}),
        ),
    ];
    for (body, errors) in cases {
        let resp = post(&app, &token, ITEMS, &body).await;
        assert_eq!(exactly(&resp), (400, errors.to_string()), "{body}");
    }
    // Nothing was written: neither the items nor any of their valid variations.
    assert_eq!(count(&app, &token, ITEMS).await, json!(0));
    assert_eq!(
        app.texts("SELECT CAST(COUNT(*) AS TEXT) AS v FROM item_variations"),
        [Some("0".to_owned())]
    );
}

async fn put_requires_fields_and_patch_is_partial(app: TestApp) {
    let token = setup(&app).await;
    let item = created(
        &app,
        &token,
        json!({
            "name": "Ticket", "default_price": "10", "active": false, "description": "d",
            "admission": true, "position": 4
        }),
    )
    .await;
    let path = item_path(&item["id"]);
    for (body, errors) in [
        (
            json!({}),
            json!({"name": [REQUIRED], "default_price": [REQUIRED]}),
        ),
        (json!({"name": "x"}), json!({"default_price": [REQUIRED]})),
        (
            json!({"default_price": "-1", "position": "p"}),
            json!({"name": [REQUIRED], "default_price": [NEGATIVE], "position": ["A valid integer is required."]}),
        ),
    ] {
        let resp = app.send_json(Method::PUT, &path, &token, &body).await;
        assert_eq!(exactly(&resp), (400, errors.to_string()), "{body}");
    }
    for (body, errors) in [
        (json!({"name": null}), json!({"name": [NOT_NULL]})),
        (
            json!({"admission": "sometimes", "default_price": "x"}),
            json!({"default_price": ["A valid number is required."], "admission": ["Must be a valid boolean."]}),
        ),
        (
            json!("Ticket"),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ),
    ] {
        let resp = app.send_json(Method::PATCH, &path, &token, &body).await;
        assert_eq!(exactly(&resp), (400, errors.to_string()), "{body}");
    }
    // Nothing was written by the refused requests.
    assert_eq!(app.get(&path, &token).await.json(), item);

    // PUT with the required fields only: the optional fields keep their values, as in pretix.
    let resp = app
        .send_json(
            Method::PUT,
            &path,
            &token,
            &json!({"name": "New", "default_price": "11"}),
        )
        .await;
    let mut expected = item.clone();
    expected["name"] = json!({"en": "New"});
    expected["default_price"] = json!("11.00");
    assert_eq!(exactly(&resp), (200, expected.to_string()));

    // PATCH {} changes nothing; read-only fields are ignored.
    let resp = app
        .send_json(Method::PATCH, &path, &token, &json!({}))
        .await;
    assert_eq!(exactly(&resp), (200, expected.to_string()));
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            &json!({"id": 5, "has_variations": true, "category": null, "position": 0}),
        )
        .await;
    expected["position"] = json!(0);
    assert_eq!(exactly(&resp), (200, expected.to_string()));
    assert_eq!(app.get(&path, &token).await.json(), expected);
}

async fn variations_cannot_be_changed_through_the_item(app: TestApp) {
    let token = setup(&app).await;
    let nested = json!({"non_field_errors": ["Updating add-ons, bundles, program times or variations via PATCH/PUT is not supported. Please use the dedicated nested endpoint."]});
    let shirt = with_variations(&app, &token, "Shirt", &["S"]).await;
    let plain = created(&app, &token, json!({"name": "A", "default_price": "1"})).await;
    for item in [&shirt, &plain] {
        let path = item_path(&item["id"]);
        for (method, body) in [
            (Method::PATCH, json!({"variations": []})),
            (Method::PATCH, json!({"variations": [{"value": "M"}]})),
            (
                Method::PUT,
                json!({"name": "x", "default_price": "1", "variations": []}),
            ),
        ] {
            let resp = app.send_json(method.clone(), &path, &token, &body).await;
            assert_eq!(exactly(&resp), (400, nested.to_string()), "{method} {body}");
        }
        // Field errors come before the object-level rule.
        let resp = app
            .send_json(
                Method::PATCH,
                &path,
                &token,
                &json!({"active": "x", "variations": []}),
            )
            .await;
        assert_eq!(
            exactly(&resp),
            (
                400,
                json!({"active": ["Must be a valid boolean."]}).to_string()
            )
        );
        // Inline variations are checked like the rest of the request: PUT requires `value`.
        let resp = app
            .send_json(
                Method::PUT,
                &path,
                &token,
                &json!({"name": "x", "default_price": "1", "variations": [{}]}),
            )
            .await;
        assert_eq!(
            exactly(&resp),
            (
                400,
                json!({"variations": [{"value": [REQUIRED]}]}).to_string()
            )
        );
        let resp = app
            .send_json(Method::PATCH, &path, &token, &json!({"variations": [{}]}))
            .await;
        assert_eq!(exactly(&resp), (400, nested.to_string()));
        let resp = app
            .send_json(Method::PATCH, &path, &token, &json!({"variations": "x"}))
            .await;
        assert_eq!(
            exactly(&resp),
            (
                400,
                json!({"variations": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}})
                    .to_string()
            )
        );
        let resp = app
            .send_json(Method::PATCH, &path, &token, &json!({"variations": null}))
            .await;
        assert_eq!(
            exactly(&resp),
            (400, json!({"variations": [NOT_NULL]}).to_string())
        );
        assert_eq!(app.get(&path, &token).await.json(), *item);
    }
}

async fn list_is_ordered_by_position_then_id_and_paginated(app: TestApp) {
    let token = setup(&app).await;
    app.create_event(&token, "bigevents", "other", false).await;
    let mut ids = Vec::new();
    for (name, position) in [("c", 2), ("a", 1), ("b", 2), ("d", -1), ("e", 1)] {
        let item = created(
            &app,
            &token,
            json!({"name": name, "default_price": "1", "position": position}),
        )
        .await;
        ids.push(item["id"].clone());
    }
    // Another event's items are not listed.
    let resp = post(
        &app,
        &token,
        "/api/v1/organizers/bigevents/events/other/items/",
        &json!({"name": "z", "default_price": "1"}),
    )
    .await;
    assert_eq!(resp.status, 201);
    let names = |page: &Value| -> Vec<String> { texts(page, "/name/en") };
    let all = app.get(ITEMS, &token).await.json();
    assert_eq!(all["count"], json!(5));
    assert_eq!(names(&all), ["d", "a", "e", "c", "b"]);

    let first = app
        .get(&format!("{ITEMS}?page_size=2"), &token)
        .await
        .json();
    assert_eq!(
        (
            first["count"].clone(),
            first["previous"].clone(),
            first["next"].clone()
        ),
        (
            json!(5),
            Value::Null,
            json!(app.url(&format!("{ITEMS}?page=2&page_size=2")))
        )
    );
    assert_eq!(names(&first), ["d", "a"]);
    let second = app
        .get(&format!("{ITEMS}?page=2&page_size=2"), &token)
        .await
        .json();
    assert_eq!(names(&second), ["e", "c"]);
    assert_eq!(
        second["previous"],
        json!(app.url(&format!("{ITEMS}?page_size=2")))
    );
    let last = app
        .get(&format!("{ITEMS}?page=last&page_size=2"), &token)
        .await
        .json();
    assert_eq!(names(&last), ["b"]);
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["results"][0]["id"], ids[2]);
    for bad in ["?page=4&page_size=2", "?page=0", "?page=x", "?page=2"] {
        let resp = app.get(&format!("{ITEMS}{bad}"), &token).await;
        assert_eq!(
            exactly(&resp),
            (404, r#"{"detail":"Invalid page."}"#.to_owned()),
            "{bad}"
        );
    }

    // Variations list: same envelope and order.
    let shirt = with_variations(&app, &token, "Shirt", &["S", "M", "L"]).await;
    let path = variations_path(&shirt["id"]);
    let page = app.get(&format!("{path}?page_size=2"), &token).await.json();
    assert_eq!(
        (page["count"].clone(), page["next"].clone()),
        (
            json!(3),
            json!(app.url(&format!("{path}?page=2&page_size=2")))
        )
    );
    let page = app
        .get(&format!("{path}?page=2&page_size=2"), &token)
        .await
        .json();
    assert_eq!(page["results"], json!([shirt["variations"][2]]));
    let resp = app.get(&format!("{path}?page=3&page_size=2"), &token).await;
    assert_eq!(resp.status, 404);
}

async fn list_page_costs_fixed_queries(app: TestApp) {
    let token = setup(&app).await;
    for i in 0..50 {
        with_variations(&app, &token, &format!("item {i:02}"), &["S", "M"]).await;
    }
    let results = app.assert_fixed_page_cost(ITEMS, &token).await;
    assert!(results
        .iter()
        .all(|i| i["variations"].as_array().map(Vec::len) == Some(2)));
}

async fn unknown_items_are_404(app: TestApp) {
    let token = setup(&app).await;
    app.create_event(&token, "bigevents", "other", false).await;
    let resp = post(
        &app,
        &token,
        "/api/v1/organizers/bigevents/events/other/items/",
        &json!({"name": "Theirs", "default_price": "1", "variations": [{"value": "S"}]}),
    )
    .await;
    let theirs = resp.json()["id"].clone();
    let body = json!({"name": "x", "default_price": "1"});
    for id in [json!(999_999), theirs.clone(), json!(-1), json!(0)] {
        let path = item_path(&id);
        let mut responses = vec![
            app.get(&path, &token).await,
            app.send_json(Method::PUT, &path, &token, &body).await,
            app.send_json(Method::PATCH, &path, &token, &body).await,
            app.delete(&path, &token).await,
            app.get(&variations_path(&id), &token).await,
            post(&app, &token, &variations_path(&id), &json!({"value": "M"})).await,
        ];
        // Looked up before the body is read.
        let auth = format!("Token {token}");
        responses.push(
            app.request(
                Method::PATCH,
                &path,
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                Some(b"{bad"),
            )
            .await,
        );
        for resp in responses {
            assert_eq!(exactly(&resp), (404, ITEM_NOT_FOUND.to_owned()), "{path}");
        }
    }
    for path in [
        format!("{ITEMS}abc/"),
        format!("{ITEMS}1.5/"),
        format!("{ITEMS}99999999999999999999999/"),
        format!("{ITEMS}abc/variations/"),
        format!("{ITEMS}abc/variations/1/"),
    ] {
        let resp = app.get(&path, &token).await;
        assert_eq!(exactly(&resp), (404, NOT_FOUND.to_owned()), "{path}");
    }
    // Still there in its own event.
    let resp = app
        .get(
            &format!("/api/v1/organizers/bigevents/events/other/items/{theirs}/"),
            &token,
        )
        .await;
    assert_eq!(resp.status, 200);
}

async fn variations_crud(app: TestApp) {
    let token = setup(&app).await;
    let shirt = with_variations(&app, &token, "Shirt", &["S"]).await;
    let item = shirt["id"].clone();
    let list = variations_path(&item);

    let resp = post(
        &app,
        &token,
        &list,
        &json!({"value": {"en": "M", "de": "M"}, "default_price": "12.5", "active": false, "position": 3, "id": 7}),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let id = resp.json()["id"].clone();
    assert_ne!(id, json!(7));
    let medium = json!({
        "id": id, "value": {"en": "M", "de": "M"}, "default_price": "12.50", "active": false,
        "position": 3
    });
    assert_eq!(resp.text(), medium.to_string());
    let path = variation_path(&item, &id);
    assert_eq!(
        exactly(&app.get(&path, &token).await),
        (200, medium.to_string())
    );
    // The item shows it too.
    let shown = app.get(&item_path(&item), &token).await.json();
    assert_eq!(shown["variations"], json!([shirt["variations"][0], medium]));
    // Defaults.
    let resp = post(&app, &token, &list, &json!({"value": "L"})).await;
    let large = resp.json();
    assert_eq!(
        exactly(&resp),
        (
            201,
            json!({"id": large["id"], "value": {"en": "L"}, "default_price": null, "active": true, "position": 0}).to_string()
        )
    );

    // PUT needs `value`; fields left out keep their values.
    let resp = app
        .send_json(Method::PUT, &path, &token, &json!({"value": "Medium"}))
        .await;
    let mut expected = medium.clone();
    expected["value"] = json!({"en": "Medium"});
    assert_eq!(exactly(&resp), (200, expected.to_string()));
    let resp = app
        .send_json(Method::PUT, &path, &token, &json!({"active": true}))
        .await;
    assert_eq!(
        exactly(&resp),
        (400, json!({"value": [REQUIRED]}).to_string())
    );
    // PATCH: only what is sent; a null or blank price means the item's price.
    let resp = app
        .send_json(
            Method::PATCH,
            &path,
            &token,
            &json!({"default_price": null, "active": "yes"}),
        )
        .await;
    expected["default_price"] = Value::Null;
    expected["active"] = json!(true);
    assert_eq!(exactly(&resp), (200, expected.to_string()));
    let resp = app
        .send_json(Method::PATCH, &path, &token, &json!({"default_price": "3"}))
        .await;
    assert_eq!(resp.json()["default_price"], json!("3.00"));
    let resp = app
        .send_json(Method::PATCH, &path, &token, &json!({"default_price": ""}))
        .await;
    assert_eq!(exactly(&resp), (200, expected.to_string()));
    assert_eq!(app.get(&path, &token).await.json(), expected);

    let resp = app.delete(&path, &token).await;
    assert_eq!((resp.status, resp.body.len()), (204, 0));
    assert_eq!(
        exactly(&app.get(&path, &token).await),
        (404, VARIATION_NOT_FOUND.to_owned())
    );
    assert_eq!(
        exactly(&app.delete(&path, &token).await),
        (404, VARIATION_NOT_FOUND.to_owned())
    );
    assert_eq!(count(&app, &token, &list).await, json!(2));
    // The item's own fields did not change.
    let now = app.get(&item_path(&item), &token).await.json();
    assert_eq!(
        (now["name"].clone(), now["has_variations"].clone()),
        (json!({"en": "Shirt"}), json!(true))
    );
}

async fn variation_rules(app: TestApp) {
    let token = setup(&app).await;
    // A product created without variations cannot get one.
    let plain = created(&app, &token, json!({"name": "A", "default_price": "1"})).await;
    let resp = post(
        &app,
        &token,
        &variations_path(&plain["id"]),
        &json!({"value": "X"}),
    )
    .await;
    assert_eq!(
        exactly(&resp),
        (
            403,
            r#"{"detail":"This variation cannot be created because the item does not have variations. Changing a product without variations to a product with variations is not allowed."}"#.to_owned()
        )
    );
    // The body is checked before that rule.
    let resp = post(
        &app,
        &token,
        &variations_path(&plain["id"]),
        &json!({"position": "x"}),
    )
    .await;
    assert_eq!(
        exactly(&resp),
        (
            400,
            json!({"value": [REQUIRED], "position": ["A valid integer is required."]}).to_string()
        )
    );
    assert_eq!(
        app.get(&item_path(&plain["id"]), &token).await.json(),
        plain
    );
    let resp = app.get(&variations_path(&plain["id"]), &token).await;
    assert_eq!(
        exactly(&resp),
        (
            200,
            r#"{"count":0,"next":null,"previous":null,"results":[]}"#.to_owned()
        )
    );

    // The only variation cannot be deleted; once there are two, one can.
    let shirt = with_variations(&app, &token, "Shirt", &["S"]).await;
    let only = variation_path(&shirt["id"], &shirt["variations"][0]["id"]);
    let last = r#"{"detail":"This variation cannot be deleted because it is the only variation. Changing a product with variations to a product without variations is not allowed."}"#;
    assert_eq!(
        exactly(&app.delete(&only, &token).await),
        (403, last.to_owned())
    );
    let resp = post(
        &app,
        &token,
        &variations_path(&shirt["id"]),
        &json!({"value": "M"}),
    )
    .await;
    assert_eq!(resp.status, 201);
    assert_eq!(app.delete(&only, &token).await.status, 204);
    let remaining = variation_path(&shirt["id"], &resp.json()["id"]);
    assert_eq!(
        exactly(&app.delete(&remaining, &token).await),
        (403, last.to_owned())
    );
    let now = app.get(&item_path(&shirt["id"]), &token).await.json();
    assert_eq!(
        (
            now["has_variations"].clone(),
            now["variations"].as_array().map(Vec::len)
        ),
        (json!(true), Some(1))
    );
}

async fn variation_errors(app: TestApp) {
    let token = setup(&app).await;
    let shirt = with_variations(&app, &token, "Shirt", &["S"]).await;
    let list = variations_path(&shirt["id"]);
    let path = variation_path(&shirt["id"], &shirt["variations"][0]["id"]);
    for (body, errors) in [
        (json!({}), json!({"value": [REQUIRED]})),
        (
            json!({"position": null, "active": null, "default_price": null, "value": null}),
            json!({"value": [NOT_NULL], "active": [NOT_NULL], "position": [NOT_NULL]}),
        ),
        (
            json!({"value": {"en": "Q", "xx": "?"}, "default_price": "-0.5", "active": "maybe", "position": "abc"}),
            json!({
                "value": ["Invalid languages included."],
                "default_price": [NEGATIVE],
                "active": ["Must be a valid boolean."],
                "position": ["A valid integer is required."]
            }),
        ),
        (
            json!({"value": "Q", "default_price": "1.999", "position": 2_147_483_648_i64}),
            json!({
                "default_price": ["Ensure that there are no more than 2 decimal places."],
                "position": ["Ensure this value is less than or equal to 2147483647."]
            }),
        ),
        (
            json!({"value": "Q", "default_price": [], "position": -2_147_483_649_i64}),
            json!({
                "default_price": ["A valid number is required."],
                "position": ["Ensure this value is greater than or equal to -2147483648."]
            }),
        ),
        (
            json!(["Q"]),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
    ] {
        let resp = post(&app, &token, &list, &body).await;
        assert_eq!(exactly(&resp), (400, errors.to_string()), "POST {body}");
        if body.is_object() && body.get("value").is_some() {
            let resp = app.send_json(Method::PATCH, &path, &token, &body).await;
            assert_eq!(exactly(&resp), (400, errors.to_string()), "PATCH {body}");
        }
    }
    assert_eq!(count(&app, &token, &list).await, json!(1));
    assert_eq!(app.get(&path, &token).await.json(), shirt["variations"][0]);
}

async fn unknown_variations_are_404(app: TestApp) {
    let token = setup(&app).await;
    let shirt = with_variations(&app, &token, "Shirt", &["S", "M"]).await;
    let hat = with_variations(&app, &token, "Hat", &["Red", "Blue"]).await;
    let hat_variation = hat["variations"][0]["id"].clone();
    app.create_event(&token, "bigevents", "other", false).await;
    let resp = post(
        &app,
        &token,
        "/api/v1/organizers/bigevents/events/other/items/",
        &json!({"name": "Theirs", "default_price": "1", "variations": [{"value": "S"}, {"value": "M"}]}),
    )
    .await;
    let theirs = resp.json();
    let body = json!({"value": "x"});
    // A variation of another item (of this event or another) is not found under this one.
    for id in [
        hat_variation.clone(),
        theirs["variations"][0]["id"].clone(),
        json!(999_999),
    ] {
        let path = variation_path(&shirt["id"], &id);
        for resp in [
            app.get(&path, &token).await,
            app.send_json(Method::PUT, &path, &token, &body).await,
            app.send_json(Method::PATCH, &path, &token, &body).await,
            app.delete(&path, &token).await,
        ] {
            assert_eq!(
                exactly(&resp),
                (404, VARIATION_NOT_FOUND.to_owned()),
                "{path}"
            );
        }
    }
    // Another event's item is not found in this event, variation or not.
    let path = variation_path(&theirs["id"], &theirs["variations"][0]["id"]);
    assert_eq!(
        exactly(&app.get(&path, &token).await),
        (404, ITEM_NOT_FOUND.to_owned())
    );
    assert_eq!(
        exactly(&app.delete(&path, &token).await),
        (404, ITEM_NOT_FOUND.to_owned())
    );
    for path in [
        format!("{}abc/", variations_path(&shirt["id"])),
        format!("{}1.0/", variations_path(&shirt["id"])),
    ] {
        assert_eq!(
            exactly(&app.get(&path, &token).await),
            (404, NOT_FOUND.to_owned()),
            "{path}"
        );
    }
    // Nothing was deleted.
    assert_eq!(app.get(&item_path(&hat["id"]), &token).await.json(), hat);
    assert_eq!(
        app.get(
            &format!(
                "/api/v1/organizers/bigevents/events/other/items/{}/",
                theirs["id"]
            ),
            &token
        )
        .await
        .json(),
        theirs
    );
}

async fn deleting_takes_items_and_variations_out_of_quotas(app: TestApp) {
    let token = setup(&app).await;
    let shirt = with_variations(&app, &token, "Shirt", &["S", "M", "L"]).await;
    let ticket = created(
        &app,
        &token,
        json!({"name": "Ticket", "default_price": "5"}),
    )
    .await;
    let quotas = "/api/v1/organizers/bigevents/events/conf/quotas/";
    let variation = |i: usize| shirt["variations"][i]["id"].clone();
    for (name, size) in [("Q1", json!(10)), ("Q2", Value::Null)] {
        let quota = json!({
            "name": name, "size": size, "items": [shirt["id"], ticket["id"]],
            "variations": [variation(0), variation(1), variation(2)],
        });
        app.create(quotas, &token, quota).await;
    }
    // What each quota counts: (items, variations).
    let counted = || async {
        let page = app.get(quotas, &token).await.json();
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (q["items"].clone(), q["variations"].clone()))
            .collect::<Vec<_>>()
    };
    let both = json!([shirt["id"], ticket["id"]]);
    let small = variation_path(&shirt["id"], &variation(0));
    assert_eq!(app.delete(&small, &token).await.status, 204);
    assert_eq!(
        counted().await,
        vec![(both.clone(), json!([variation(1), variation(2)])); 2]
    );
    assert_eq!(
        app.delete(&item_path(&shirt["id"]), &token).await.status,
        204
    );
    assert_eq!(counted().await, vec![(json!([ticket["id"]]), json!([])); 2]);
}
