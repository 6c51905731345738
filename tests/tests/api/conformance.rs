//! What every collection-and-member resource shares, checked once over a table of all of them:
//! 405 with `Allow` (after the access checks), 404 for unknown and malformed ids, the
//! trailing-slash redirect, pagination errors, HEAD, and the permission matrix (a token
//! without the write permission, a token of another organizer). What is particular to a
//! resource is tested in its own module.

use actix_web::http::Method;
use presale::admin::EventSelection;
use presale_domain::access::{Permission, PermissionSet};
use presale_tests::{both_backends, TestApp, DENIED};
use serde_json::json;

const ORG: &str = "/api/v1/organizers/bigevents";
const MEMBER_WITH_DELETE: &str = "GET, PUT, PATCH, DELETE, HEAD";
const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;

/// One resource: its collection below `/api/v1/organizers/bigevents/` (`{item}` stands for
/// a product of the event `conf`), the detail of its 404, and its permissions.
struct Row {
    collection: &'static str,
    not_found: &'static str,
    /// A path segment that is no id of this resource.
    malformed_id: &'static str,
    member_allow: &'static str,
    /// The permission reading needs (`None`: access to the parent is enough).
    read: Option<Permission>,
    write: Permission,
    /// A body that creates a member.
    create: &'static str,
    /// The field of a member that is its id in the path.
    id_field: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        collection: "events/conf/quotas/",
        not_found: "No Quota matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"name": "Q"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/series/subevents/",
        not_found: "No SubEvent matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeEventSettings,
        create: r#"{"name": "Day", "date_from": "2030-01-01T10:00:00Z"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/conf/digitalcontents/",
        not_found: "No DigitalContent matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"title": "T", "url": "https://example.org/stream"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/conf/imported_secrets/",
        not_found: "No ImportedSecret matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"secret": "abcdefgh"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/conf/items/",
        not_found: "No Item matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"name": "Shirt", "default_price": "10.00"}"#,
        id_field: "id",
    },
    Row {
        collection: "events/conf/items/{item}/variations/",
        not_found: "No ItemVariation matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: None,
        write: Permission::ChangeItems,
        create: r#"{"value": "M"}"#,
        id_field: "id",
    },
    Row {
        collection: "meta_properties/",
        not_found: "No EventMetaProperty matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: Some(Permission::ChangeOrganizerSettings),
        write: Permission::ChangeOrganizerSettings,
        create: r#"{"name": "Color", "allowed_values": null}"#,
        id_field: "id",
    },
    Row {
        collection: "saleschannels/",
        not_found: "No SalesChannel matches the given query.",
        // Identifiers are `[a-zA-Z0-9.\-_]+`.
        malformed_id: "a+b",
        member_allow: MEMBER_WITH_DELETE,
        read: Some(Permission::ChangeOrganizerSettings),
        write: Permission::ChangeOrganizerSettings,
        create: r#"{"identifier": "api.x", "label": "X"}"#,
        id_field: "identifier",
    },
    Row {
        collection: "teams/",
        not_found: "No Team matches the given query.",
        malformed_id: "abc",
        member_allow: MEMBER_WITH_DELETE,
        read: Some(Permission::ChangeTeams),
        write: Permission::ChangeTeams,
        create: r#"{"name": "Crew", "limit_events": [], "all_events": true}"#,
        id_field: "id",
    },
    Row {
        collection: "devices/",
        not_found: "No Device matches the given query.",
        malformed_id: "abc",
        // A device is revoked, never deleted.
        member_allow: "GET, PUT, PATCH, HEAD",
        read: Some(Permission::ChangeOrganizerSettings),
        write: Permission::ChangeOrganizerSettings,
        create: r#"{"name": "Scanner", "all_events": true, "limit_events": []}"#,
        id_field: "device_id",
    },
];

/// The organizer `bigevents` (its all-permissions token is returned) with the events `conf`
/// and `series` (a series) and a product of `conf`; the organizer `otherorg`.
struct Fixture {
    token: String,
    item: String,
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let token = app.organizer_with_token("bigevents").await;
        app.organizer_with_token("otherorg").await;
        app.create_event(&token, "bigevents", "conf", false).await;
        app.create_event(&token, "bigevents", "series", true).await;
        let item = app
            .create(
                &format!("{ORG}/events/conf/items/"),
                &token,
                json!({"name": "Ticket", "default_price": "10.00", "variations": [{"value": "S"}]}),
            )
            .await;
        Fixture {
            token,
            item: item["id"].to_string(),
        }
    }

    fn collection(&self, row: &Row) -> String {
        format!("{ORG}/{}", row.collection.replace("{item}", &self.item))
    }

    fn member(&self, row: &Row, id: &str) -> String {
        format!("{}{id}/", self.collection(row))
    }

    /// Creates a member of the row's resource with `token` and returns its path.
    async fn created(&self, app: &TestApp, row: &Row, token: &str) -> String {
        let body = serde_json::from_str(row.create).unwrap();
        let created = app.create(&self.collection(row), token, body).await;
        let id = match &created[row.id_field] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.member(row, &id)
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
    for row in ROWS {
        let unknown = f.member(row, "999999");
        let not_found = format!(r#"{{"detail":"{}"}}"#, row.not_found);
        let resp = app.get(&unknown, &f.token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, not_found.clone()),
            "{unknown}"
        );
        for method in [Method::PUT, Method::PATCH] {
            let resp = app
                .send_json(method.clone(), &unknown, &f.token, &json!({"name": "x"}))
                .await;
            assert_eq!(
                (resp.status, resp.text()),
                (404, not_found.clone()),
                "{method} {unknown}"
            );
        }
        // The member is looked up before the body is read.
        let resp = app
            .request(
                Method::PATCH,
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
            "{unknown}"
        );
        if row.member_allow.contains("DELETE") {
            let resp = app
                .request(Method::DELETE, &unknown, &[("Authorization", &auth)], None)
                .await;
            assert_eq!((resp.status, resp.text()), (404, not_found), "{unknown}");
        }
        let malformed = f.member(row, row.malformed_id);
        let resp = app.get(&malformed, &f.token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, NOT_FOUND.to_owned()),
            "{malformed}"
        );
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

async fn permission_matrix(app: TestApp) {
    let f = Fixture::new(&app).await;
    let foreign = app.token("otherorg", "Admins").await;
    for (i, row) in ROWS.iter().enumerate() {
        // Every permission but the one writing needs.
        let team = format!("Limited {i}");
        let all_but: PermissionSet = Permission::ALL
            .into_iter()
            .filter(|p| *p != row.write)
            .collect();
        app.team("bigevents", &team, all_but, EventSelection::All)
            .await;
        let limited = app.token("bigevents", &team).await;
        let collection = f.collection(row);
        let member = f.member(row, "999999");
        let mut writes = vec![
            (Method::POST, collection.clone(), json!({"name": "x"})),
            (Method::PUT, member.clone(), json!({"name": "x"})),
            (Method::PATCH, member.clone(), json!({"name": "x"})),
        ];
        if row.member_allow.contains("DELETE") {
            writes.push((Method::DELETE, member, json!({})));
        }
        app.assert_denied(&limited, &writes).await;
        let read = app.get(&collection, &limited).await;
        if row.read == Some(row.write) {
            assert_eq!(
                (read.status, read.text()),
                (403, DENIED.to_owned()),
                "{collection}"
            );
        } else {
            assert_eq!(read.status, 200, "{collection}: {}", read.text());
        }
        // The write permission alone (with access to every event) writes.
        let team = format!("Writer {i}");
        let only: PermissionSet = [row.write].into_iter().collect();
        app.team("bigevents", &team, only, EventSelection::All)
            .await;
        let writer = app.token("bigevents", &team).await;
        f.created(&app, row, &writer).await;
        // Another organizer's token sees nothing of this one.
        let resp = app.get(&collection, &foreign).await;
        assert_eq!(
            (resp.status, resp.text()),
            (403, DENIED.to_owned()),
            "{collection}"
        );
    }
}
