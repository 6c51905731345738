//! What every collection-and-member resource shares, checked once over a table of all of them:
//! 405 with `Allow` (after the access checks), 404 for unknown and malformed ids, the
//! trailing-slash redirect, pagination errors, HEAD, and the permission matrix (readers, the
//! write permission alone, teams limited to some events, other organizers, unknown parents,
//! missing and invalid tokens, permission before method, id and body). What is particular to
//! a resource is tested in its own module.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_tests::{both_backends, TestApp, DENIED};
use serde_json::{json, Value};

const ORG: &str = "/api/v1/organizers/bigevents";
const MEMBER_WITH_DELETE: &str = "GET, PUT, PATCH, DELETE, HEAD";
const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;
const NUMERIC_MALFORMED: &[&str] = &["abc", "1.5", "99999999999999999999999"];

/// One resource: its collection below `/api/v1/organizers/bigevents/` (`{event}`, `{series}`
/// and `{item}` stand for an event, a series and a product of one [`Side`]), the detail of its
/// 404, and its permissions.
struct Row {
    collection: &'static str,
    not_found: &'static str,
    /// Path segments that are no id of this resource (the first one in the permission
    /// matrix).
    malformed_ids: &'static [&'static str],
    member_allow: &'static str,
    /// The permission reading needs (`None`: access to the parent is enough).
    read: Option<Permission>,
    write: Permission,
    /// A body that creates a member; `{n}` is replaced by a number of its own each time.
    create: &'static str,
    /// The field of a member that is its id in the path.
    id_field: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        collection: "events/{event}/quotas/",
        not_found: "No Quota matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"name": "Q"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/{series}/subevents/",
        not_found: "No SubEvent matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeEventSettings,
        create: r#"{"name": "Day", "date_from": "2030-01-01T10:00:00Z"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/{event}/digitalcontents/",
        not_found: "No DigitalContent matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"title": "T", "url": "https://example.org/stream"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/{event}/imported_secrets/",
        not_found: "No ImportedSecret matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"secret": "abcdefgh{n}"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/{event}/items/",
        not_found: "No Item matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"name": "Shirt", "default_price": "10.00"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/{event}/items/{item}/variations/",
        not_found: "No ItemVariation matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"value": "M"}"#,
        id_field: "id",
    },
    Row {
        collection: "meta_properties/",
        not_found: "No EventMetaProperty matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: Some(Permission::ChangeOrganizerSettings),
        write: Permission::ChangeOrganizerSettings,
        create: r#"{"name": "Color{n}", "allowed_values": null}"#,
        id_field: "id",
    },
    Row {
        collection: "saleschannels/",
        not_found: "No SalesChannel matches the given query.",
        // Identifiers are `[a-zA-Z0-9.\-_]+`.
        malformed_ids: &["a+b", "a%20b", "a%2Bb", "%C3%A4"],
        member_allow: MEMBER_WITH_DELETE,
        read: Some(Permission::ChangeOrganizerSettings),
        write: Permission::ChangeOrganizerSettings,
        create: r#"{"identifier": "api.x{n}", "label": "X"}"#,
        id_field: "identifier",
    },
    Row {
        collection: "teams/",
        not_found: "No Team matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        member_allow: MEMBER_WITH_DELETE,
        read: Some(Permission::ChangeTeams),
        write: Permission::ChangeTeams,
        create: r#"{"name": "Crew{n}", "limit_events": [], "all_events": true}"#,
        id_field: "id",
    },
    Row {
        collection: "devices/",
        not_found: "No Device matches the given query.",
        malformed_ids: NUMERIC_MALFORMED,
        // A device is revoked, never deleted.
        member_allow: "GET, PUT, PATCH, HEAD",
        read: Some(Permission::ChangeOrganizerSettings),
        write: Permission::ChangeOrganizerSettings,
        create: r#"{"name": "Scanner", "all_events": true, "limit_events": []}"#,
        id_field: "device_id",
    },
];

/// An event, a series and a product (with one variation) of `bigevents`.
struct Side {
    event: &'static str,
    series: &'static str,
    item: String,
}

/// The organizer `bigevents` (with its all-permissions token) with two sides: `conf`,
/// `series` and a product of `conf` (where the tests work), and `other`, `series2` and a
/// product of `other` (for teams limited to those); the organizer `otherorg`.
struct Fixture {
    token: String,
    main: Side,
    other: Side,
    created: std::cell::Cell<u32>,
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let token = app.organizer_with_token("bigevents").await;
        app.organizer_with_token("otherorg").await;
        let mut sides = Vec::new();
        for (event, series) in [("conf", "series"), ("other", "series2")] {
            app.create_event(&token, "bigevents", event, false).await;
            app.create_event(&token, "bigevents", series, true).await;
            let item = app
                .create(
                    &format!("{ORG}/events/{event}/items/"),
                    &token,
                    json!({"name": "Ticket", "default_price": "10.00", "variations": [{"value": "S"}]}),
                )
                .await;
            sides.push(Side {
                event,
                series,
                item: item["id"].to_string(),
            });
        }
        let other = sides.pop().unwrap();
        let main = sides.pop().unwrap();
        Fixture {
            token,
            main,
            other,
            created: std::cell::Cell::new(0),
        }
    }

    fn collection_of(&self, row: &Row, side: &Side) -> String {
        let path = row
            .collection
            .replace("{event}", side.event)
            .replace("{series}", side.series)
            .replace("{item}", &side.item);
        format!("{ORG}/{path}")
    }

    fn collection(&self, row: &Row) -> String {
        self.collection_of(row, &self.main)
    }

    fn member(&self, row: &Row, id: &str) -> String {
        format!("{}{id}/", self.collection(row))
    }

    /// A body that creates a member of the row's resource, different each time.
    fn body(&self, row: &Row) -> Value {
        self.created.set(self.created.get() + 1);
        let body = row.create.replace("{n}", &self.created.get().to_string());
        serde_json::from_str(&body).unwrap()
    }

    /// Creates a member of the row's resource on `side` with `token` and returns its path.
    async fn created_on(&self, app: &TestApp, row: &Row, side: &Side, token: &str) -> String {
        let collection = self.collection_of(row, side);
        let created = app.create(&collection, token, self.body(row)).await;
        format!("{collection}{}/", id_of(row, &created))
    }

    async fn created(&self, app: &TestApp, row: &Row, token: &str) -> String {
        self.created_on(app, row, &self.main, token).await
    }
}

/// The id of a created member as its path shows it.
fn id_of(row: &Row, created: &Value) -> String {
    match &created[row.id_field] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Row {
    fn below_an_event(&self) -> bool {
        self.collection.starts_with("events/")
    }

    fn deletable(&self) -> bool {
        self.member_allow.contains("DELETE")
    }
}

both_backends!(
    members_answer_head_and_redirect_reads_without_slash,
    unsupported_methods_are_405_with_allow,
    unknown_and_malformed_ids_are_404,
    a_missing_trailing_slash_redirects_reads_only,
    pages_past_the_end_are_404_and_head_has_no_body,
    permission_matrix,
);

async fn members_answer_head_and_redirect_reads_without_slash(app: TestApp) {
    let f = Fixture::new(&app).await;
    let auth = format!("Token {}", f.token);
    let h = [("Authorization", auth.as_str())];
    for row in ROWS {
        let member = f.created(&app, row, &f.token).await;
        let shown = app.get(&member, &f.token).await;
        assert_eq!(shown.status, 200, "{member}: {}", shown.text());
        let resp = app.request(Method::HEAD, &member, &h, None).await;
        assert_eq!((resp.status, resp.body.len()), (200, 0), "HEAD {member}");
        let no_slash = member.trim_end_matches('/');
        for method in [Method::GET, Method::DELETE] {
            let resp = app.request(method.clone(), no_slash, &h, None).await;
            assert_eq!(
                (resp.status, resp.header("location")),
                (301, Some(member.clone())),
                "{method} {no_slash}"
            );
        }
        let resp = app
            .send_json(Method::PATCH, no_slash, &f.token, &json!({}))
            .await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, NOT_FOUND.to_owned()),
            "PATCH {no_slash}"
        );
        // Nothing above changed it.
        assert_eq!(
            app.get(&member, &f.token).await.json(),
            shown.json(),
            "{member}"
        );
    }
}

async fn unsupported_methods_are_405_with_allow(app: TestApp) {
    let f = Fixture::new(&app).await;
    let auth = format!("Token {}", f.token);
    let h = [("Authorization", auth.as_str())];
    for row in ROWS {
        let member = f.member(row, "999999");
        let mut cases = vec![
            (Method::DELETE, f.collection(row), "GET, POST, HEAD"),
            (Method::PUT, f.collection(row), "GET, POST, HEAD"),
            (Method::POST, member.clone(), row.member_allow),
        ];
        if !row.member_allow.contains("DELETE") {
            cases.push((Method::DELETE, member, row.member_allow));
        }
        for (method, path, allow) in cases {
            let resp = app.request(method.clone(), &path, &h, None).await;
            assert_eq!(
                (resp.status, resp.text()),
                (
                    405,
                    format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#)
                ),
                "{method} {path}"
            );
            assert_eq!(resp.header("allow").as_deref(), Some(allow), "{path}");
        }
    }
}

async fn unknown_and_malformed_ids_are_404(app: TestApp) {
    let f = Fixture::new(&app).await;
    let auth = format!("Token {}", f.token);
    let foreign = app.token("otherorg", "Admins").await;
    for row in ROWS {
        let not_found = format!(r#"{{"detail":"{}"}}"#, row.not_found);
        // A member of another event (below an event) or of another organizer is unknown
        // here too.
        let (theirs, owner) = if row.below_an_event() {
            (f.created_on(&app, row, &f.other, &f.token).await, &f.token)
        } else {
            let collection = f.collection(row).replace("/bigevents/", "/otherorg/");
            let created = app.create(&collection, &foreign, f.body(row)).await;
            (format!("{collection}{}/", id_of(row, &created)), &foreign)
        };
        let theirs_here = f.member(
            row,
            theirs.trim_end_matches('/').rsplit('/').next().unwrap(),
        );
        let before = app.get(&theirs, owner).await.json();
        for unknown in [f.member(row, "999999"), f.member(row, "-1"), theirs_here] {
            let resp = app.get(&unknown, &f.token).await;
            assert_eq!(
                (resp.status, resp.text()),
                (404, not_found.clone()),
                "{unknown}"
            );
            for method in [Method::PUT, Method::PATCH] {
                let resp = app
                    .send_json(method.clone(), &unknown, &f.token, &f.body(row))
                    .await;
                assert_eq!(
                    (resp.status, resp.text()),
                    (404, not_found.clone()),
                    "{method} {unknown}"
                );
            }
            if row.deletable() {
                let resp = app
                    .request(Method::DELETE, &unknown, &[("Authorization", &auth)], None)
                    .await;
                assert_eq!(
                    (resp.status, resp.text()),
                    (404, not_found.clone()),
                    "{unknown}"
                );
            }
        }
        // The member is looked up before the body is read.
        for method in [Method::PUT, Method::PATCH] {
            let unknown = f.member(row, "999999");
            let resp = app
                .request(
                    method.clone(),
                    &unknown,
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/json"),
                    ],
                    Some(b"{bad"),
                )
                .await;
            assert_eq!(
                (resp.status, resp.text()),
                (404, not_found.clone()),
                "{method} {unknown}"
            );
        }
        for malformed in row.malformed_ids {
            let malformed = f.member(row, malformed);
            let resp = app.get(&malformed, &f.token).await;
            assert_eq!(
                (resp.status, resp.text()),
                (404, NOT_FOUND.to_owned()),
                "{malformed}"
            );
            if row.deletable() {
                let resp = app
                    .request(
                        Method::DELETE,
                        &malformed,
                        &[("Authorization", &auth)],
                        None,
                    )
                    .await;
                assert_eq!(
                    (resp.status, resp.text()),
                    (404, NOT_FOUND.to_owned()),
                    "DELETE {malformed}"
                );
            }
        }
        // Theirs is untouched.
        assert_eq!(app.get(&theirs, owner).await.json(), before, "{theirs}");
    }
}

async fn a_missing_trailing_slash_redirects_reads_only(app: TestApp) {
    let f = Fixture::new(&app).await;
    let auth = format!("Token {}", f.token);
    let h = [("Authorization", auth.as_str())];
    for row in ROWS {
        let collection = f.collection(row);
        let no_slash = collection.trim_end_matches('/');
        let resp = app
            .request(Method::GET, &format!("{no_slash}?page=1"), &h, None)
            .await;
        assert_eq!(resp.status, 301, "{no_slash}");
        assert_eq!(
            resp.header("location"),
            Some(format!("{collection}?page=1"))
        );
        let resp = app
            .send_json(Method::POST, no_slash, &f.token, &json!({"name": "x"}))
            .await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, NOT_FOUND.to_owned()),
            "POST {no_slash}"
        );
    }
}

async fn pages_past_the_end_are_404_and_head_has_no_body(app: TestApp) {
    let f = Fixture::new(&app).await;
    let auth = format!("Token {}", f.token);
    let h = [("Authorization", auth.as_str())];
    for row in ROWS {
        let collection = f.collection(row);
        let resp = app.get(&format!("{collection}?page=999"), &f.token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Invalid page."}"#.to_owned()),
            "{collection}"
        );
        let resp = app.request(Method::HEAD, &collection, &h, None).await;
        assert_eq!((resp.status, resp.body.len()), (200, 0), "{collection}");
    }
}

/// A token with `permissions` for `events` of `bigevents`, from a team of its own.
async fn token_of(
    app: &TestApp,
    team: &str,
    permissions: PermissionSet,
    events: EventSelection,
) -> String {
    app.team("bigevents", team, permissions, events).await;
    app.token("bigevents", team).await
}

async fn permission_matrix(app: TestApp) {
    let f = Fixture::new(&app).await;
    let foreign = app.token("otherorg", "Admins").await;
    let nothing = token_of(&app, "Nothing", PermissionSet::none(), EventSelection::All).await;
    let nothing_here = token_of(
        &app,
        "Nothing here",
        PermissionSet::none(),
        EventSelection::Slugs(vec!["conf".into(), "series".into()]),
    )
    .await;
    let elsewhere = token_of(
        &app,
        "Elsewhere",
        PermissionSet::all(),
        EventSelection::Slugs(vec!["other".into(), "series2".into()]),
    )
    .await;
    for (i, row) in ROWS.iter().enumerate() {
        let collection = f.collection(row);
        // The write permission alone writes, also in a team limited to the events it writes in.
        let only: PermissionSet = [row.write].into_iter().collect();
        let writer = token_of(&app, &format!("Writer {i}"), only, EventSelection::All).await;
        let limited_writer = token_of(
            &app,
            &format!("Limited writer {i}"),
            only,
            EventSelection::Slugs(vec!["conf".into(), "series".into()]),
        )
        .await;
        let member = f.created(&app, row, &writer).await;
        f.created(&app, row, &limited_writer).await;
        let shown = app.get(&member, &f.token).await.json();
        let body = f.body(row);
        let writes = |member: &str| {
            let mut writes = vec![
                (Method::POST, collection.clone(), body.clone()),
                (Method::PUT, member.to_owned(), body.clone()),
                (Method::PATCH, member.to_owned(), json!({})),
            ];
            if row.deletable() {
                writes.push((Method::DELETE, member.to_owned(), json!({})));
            }
            writes
        };
        // Every permission but the one writing needs, and no permission at all (everywhere,
        // or in these events only): reading where reading needs no permission, else nothing.
        let all_but: PermissionSet = Permission::ALL
            .into_iter()
            .filter(|p| *p != row.write)
            .collect();
        let almost = token_of(&app, &format!("Almost {i}"), all_but, EventSelection::All).await;
        for reader in [&almost, &nothing, &nothing_here] {
            let reads = [
                app.get(&collection, reader).await,
                app.get(&member, reader).await,
            ];
            if row.read.is_none() {
                assert_eq!(reads[0].status, 200, "{collection}");
                assert_eq!(
                    (reads[1].status, reads[1].json()),
                    (200, shown.clone()),
                    "{member}"
                );
            } else {
                for resp in reads {
                    assert_eq!(
                        (resp.status, resp.text()),
                        (403, DENIED.to_owned()),
                        "{member}"
                    );
                }
            }
            app.assert_denied(reader, &writes(&member)).await;
            // Permission comes before the method, the body and the id.
            let mut refused = writes(&f.member(row, "999999"));
            refused.push((Method::POST, collection.clone(), json!([])));
            refused.push((Method::POST, member.clone(), json!({})));
            refused.push((Method::PATCH, collection.clone(), json!({})));
            refused.push((
                Method::PATCH,
                f.member(row, row.malformed_ids[0]),
                json!({}),
            ));
            app.assert_denied(reader, &refused).await;
            let auth = format!("Token {reader}");
            let resp = app
                .request(
                    Method::POST,
                    &collection,
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/json"),
                    ],
                    Some(b"{bad"),
                )
                .await;
            assert_eq!(
                (resp.status, resp.text()),
                (403, DENIED.to_owned()),
                "{collection}"
            );
        }
        // Another organizer's token sees nothing of this one; nor does a team limited to
        // other events see anything below these (a permission of the organizer is enough
        // for the organizer's own resources, whatever the team's events).
        let mut outsiders = vec![&foreign];
        if row.below_an_event() {
            outsiders.push(&elsewhere);
        }
        for outsider in outsiders {
            let mut all = writes(&member);
            all.push((Method::GET, collection.clone(), json!({})));
            all.push((Method::GET, member.clone(), json!({})));
            app.assert_denied(outsider, &all).await;
        }
        if row.below_an_event() {
            f.created_on(&app, row, &f.other, &elsewhere).await;
            let unknown = collection
                .replace("/events/conf/", "/events/nope/")
                .replace("/events/series/", "/events/nope/");
            let resp = app.get(&unknown, &f.token).await;
            assert_eq!(
                (resp.status, resp.text()),
                (403, DENIED.to_owned()),
                "{unknown}"
            );
        } else {
            let resp = app.get(&member, &elsewhere).await;
            assert_eq!((resp.status, resp.json()), (200, shown.clone()), "{member}");
        }
        let unknown = collection.replace("/organizers/bigevents/", "/organizers/nope/");
        let resp = app.get(&unknown, &f.token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (403, DENIED.to_owned()),
            "{unknown}"
        );
        // No token, or one that does not exist.
        let resp = app.request(Method::GET, &collection, &[], None).await;
        assert_eq!(
            (resp.status, resp.text()),
            (
                401,
                r#"{"detail":"Authentication credentials were not provided."}"#.to_owned()
            ),
            "{collection}"
        );
        let resp = app.get(&collection, "nosuchtoken").await;
        assert_eq!(
            (resp.status, resp.text()),
            (401, r#"{"detail":"Invalid token."}"#.to_owned()),
            "{collection}"
        );
        // Nothing was changed by the refused requests; the writer changes and deletes.
        assert_eq!(app.get(&member, &f.token).await.json(), shown, "{member}");
        let (status, _) = app.send(Method::PATCH, &member, &writer, json!({})).await;
        assert_eq!(status, 200, "PATCH {member}");
        if row.deletable() {
            let (status, _) = app.send(Method::DELETE, &member, &writer, json!({})).await;
            assert_eq!(status, 204, "DELETE {member}");
        }
    }
}
