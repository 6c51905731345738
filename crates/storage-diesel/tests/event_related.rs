//! An event row carries what its related rows show (meta data, sales channels, item meta
//! properties) in a column that triggers keep: every change to those rows, made by plain SQL
//! as an operator would, shows in the events read afterwards, on both backends.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::access::EventScope;
use presale_domain::event::{EventData, EventFilter, EventKeys, EventRepository};
use presale_domain::ids::{EventId, OrganizerId};
use presale_domain::organizer::OrganizerRepository;
use presale_domain::pagination::Window;
use presale_domain::values::{I18nString, Slug, TimeZone, WireDateTime};
use presale_storage_diesel::Database;
use presale_storage_diesel::DbConnection;
use support::{execute, insert_event, query_texts, raw_conn};

on_both_backends! {
    related_rows_follow_plain_sql => related_sql_sqlite, related_sql_postgres;
    related_rows_follow_renames_and_cascades => related_renames_sqlite, related_renames_postgres;
    presale_writes_the_document_the_database_builds => related_document_sqlite, related_document_postgres;
}

/// (meta data, sales channels it is limited to, item meta properties) as read by `find_by_slug`
/// and, for the same event, by `list`.
type Shown = (Vec<(String, String)>, Vec<String>, Vec<(String, String)>);

async fn shown(db: &Database, organizer: OrganizerId, slug: &str) -> Shown {
    let found = EventRepository::find_by_slug(db, organizer, slug)
        .await
        .expect("read")
        .expect("event exists");
    let page = EventRepository::list(
        db,
        organizer,
        EventFilter::new(EventScope::All, WireDateTime::now()),
        Window {
            offset: 0,
            limit: 50,
        },
    )
    .await
    .expect("list");
    let listed = page
        .items
        .into_iter()
        .find(|e| e.id == found.id)
        .expect("listed");
    assert_eq!(listed, found, "list and detail read the same event");
    let EventData {
        meta_data,
        limit_sales_channels,
        item_meta_properties,
        ..
    } = found.data;
    (meta_data, limit_sales_channels, item_meta_properties)
}

/// Runs each of the `;`-separated statements (none has a `;` of its own).
fn run(conn: &mut DbConnection, statements: &str) {
    for statement in statements.split(';') {
        execute(conn, statement);
    }
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|v| v.to_string()).collect()
}

/// An organizer with meta properties `size` and `colour`, sales channels `web` and `box`, and
/// the events `conf` (limited to channels) and `other`, inserted as rows.
async fn setup(db: &Database) -> (OrganizerId, EventId, EventId) {
    let org = OrganizerRepository::create(db, Slug::parse("acme").unwrap(), "Acme")
        .await
        .expect("organizer")
        .id;
    let mut conn = raw_conn(db);
    let o = org.0;
    execute(
        &mut conn,
        &format!(
            "INSERT INTO meta_properties (organizer_id, name, default_value, required, protected, filter_allowed) \
             VALUES ({o}, 'size', '', FALSE, FALSE, TRUE), ({o}, 'colour', '', FALSE, FALSE, TRUE)"
        ),
    );
    execute(
        &mut conn,
        &format!(
            "INSERT INTO sales_channels (organizer_id, identifier, label, kind, position) \
             SELECT {o}, 'box', '{{\"en\":\"Box office\"}}', 'pretix.sales_channel.box', 1 \
             WHERE NOT EXISTS (SELECT 1 FROM sales_channels WHERE organizer_id = {o} AND identifier = 'box')"
        ),
    );
    execute(
        &mut conn,
        &format!(
            "INSERT INTO sales_channels (organizer_id, identifier, label, kind, position) \
             SELECT {o}, 'web', '{{\"en\":\"Online shop\"}}', 'web', 0 \
             WHERE NOT EXISTS (SELECT 1 FROM sales_channels WHERE organizer_id = {o} AND identifier = 'web')"
        ),
    );
    let conf = insert_event(&mut conn, org, "conf");
    let other = insert_event(&mut conn, org, "other");
    execute(
        &mut conn,
        &format!(
            "UPDATE events SET all_sales_channels = FALSE WHERE id = {}",
            conf.0
        ),
    );
    (org, conf, other)
}

async fn related_rows_follow_plain_sql(db: &Database) {
    let (org, conf, other) = setup(db).await;
    let none: Shown = (vec![], vec![], vec![]);
    assert_eq!(
        shown(db, org, "conf").await,
        none,
        "a new row carries nothing"
    );
    let mut conn = raw_conn(db);
    let (c, x) = (conf.0, other.0);
    run(
        &mut conn,
        &format!(
            "INSERT INTO event_meta_values (event_id, property_id, value) \
             SELECT {c}, id, 'v-' || name FROM meta_properties WHERE organizer_id = {o}; \
             INSERT INTO event_meta_values (event_id, property_id, value) \
             SELECT {x}, id, 'x' FROM meta_properties WHERE organizer_id = {o} AND name = 'size'; \
             INSERT INTO event_sales_channels (event_id, channel_id) \
             SELECT {c}, id FROM sales_channels WHERE organizer_id = {o}; \
             INSERT INTO item_meta_properties (event_id, name, default_value) \
             VALUES ({c}, 'b', '2'), ({c}, 'a', '1'), ({x}, 'z', '0')",
            o = org.0
        ),
    );
    assert_eq!(
        shown(db, org, "conf").await,
        (
            pairs(&[("colour", "v-colour"), ("size", "v-size")]),
            strings(&["box", "web"]),
            pairs(&[("a", "1"), ("b", "2")]),
        ),
        "inserted rows, sorted by name"
    );
    assert_eq!(
        shown(db, org, "other").await,
        (pairs(&[("size", "x")]), vec![], pairs(&[("z", "0")])),
        "each event carries its own rows; all channels shows no limit list"
    );
    run(
        &mut conn,
        &format!(
            "UPDATE event_meta_values SET value = 'XL' WHERE event_id = {c} AND property_id = \
             (SELECT id FROM meta_properties WHERE organizer_id = {o} AND name = 'size'); \
             UPDATE item_meta_properties SET default_value = '3', name = 'c' WHERE event_id = {c} AND name = 'b'; \
             DELETE FROM event_sales_channels WHERE event_id = {c} AND channel_id = \
             (SELECT id FROM sales_channels WHERE organizer_id = {o} AND identifier = 'web')",
            o = org.0
        ),
    );
    assert_eq!(
        shown(db, org, "conf").await,
        (
            pairs(&[("colour", "v-colour"), ("size", "XL")]),
            strings(&["box"]),
            pairs(&[("a", "1"), ("c", "3")]),
        ),
        "updated and deleted rows"
    );
    // A row moved to another event leaves the first and shows in the second.
    execute(
        &mut conn,
        &format!(
            "UPDATE item_meta_properties SET event_id = {x} WHERE event_id = {c} AND name = 'a'"
        ),
    );
    assert_eq!(shown(db, org, "conf").await.2, pairs(&[("c", "3")]));
    assert_eq!(
        shown(db, org, "other").await.2,
        pairs(&[("a", "1"), ("z", "0")])
    );
}

async fn related_rows_follow_renames_and_cascades(db: &Database) {
    let (org, conf, _) = setup(db).await;
    let mut conn = raw_conn(db);
    let (c, o) = (conf.0, org.0);
    run(
        &mut conn,
        &format!(
            "INSERT INTO event_meta_values (event_id, property_id, value) \
             SELECT {c}, id, 'v-' || name FROM meta_properties WHERE organizer_id = {o}; \
             INSERT INTO event_sales_channels (event_id, channel_id) \
             SELECT {c}, id FROM sales_channels WHERE organizer_id = {o}"
        ),
    );
    run(
        &mut conn,
        &format!(
            "UPDATE meta_properties SET name = 'shade' WHERE organizer_id = {o} AND name = 'colour'; \
             UPDATE sales_channels SET identifier = 'counter' WHERE organizer_id = {o} AND identifier = 'box'"
        ),
    );
    assert_eq!(
        shown(db, org, "conf").await,
        (
            pairs(&[("shade", "v-colour"), ("size", "v-size")]),
            strings(&["counter", "web"]),
            vec![],
        ),
        "renamed property and channel"
    );
    run(
        &mut conn,
        &format!(
            "DELETE FROM meta_properties WHERE organizer_id = {o} AND name = 'size'; \
             DELETE FROM sales_channels WHERE organizer_id = {o} AND identifier = 'web'"
        ),
    );
    assert_eq!(
        shown(db, org, "conf").await,
        (
            pairs(&[("shade", "v-colour")]),
            strings(&["counter"]),
            vec![]
        ),
        "deleted property and channel take their rows with them"
    );
}

/// The document Presale writes with the event row (create and update) is the one the database
/// builds from the rows, byte for byte after normalising, so the check at COMMIT (PostgreSQL)
/// leaves the row alone; and reading it back gives what was written.
async fn presale_writes_the_document_the_database_builds(db: &Database) {
    let (org, _, _) = setup(db).await;
    let mut data = EventData::defaults(
        Slug::parse("written").unwrap(),
        I18nString::english("Written"),
        WireDateTime::now(),
        TimeZone::parse("UTC").unwrap(),
    );
    data.meta_data = pairs(&[("size", "L \"quoted\" ü"), ("colour", "red")]);
    data.all_sales_channels = false;
    data.limit_sales_channels = strings(&["web", "box"]);
    data.item_meta_properties = pairs(&[("b", "2"), ("a", "1")]);
    let created = EventRepository::create(db, org, data.clone(), EventKeys::generate().unwrap())
        .await
        .expect("created");
    let sorted = (
        pairs(&[("colour", "red"), ("size", "L \"quoted\" ü")]),
        strings(&["box", "web"]),
        pairs(&[("a", "1"), ("b", "2")]),
    );
    assert_eq!(shown(db, org, "written").await, sorted);
    let mut conn = raw_conn(db);
    // (stored, built), as JSON values (equal whatever the order of keys).
    let rebuilt = |conn: &mut DbConnection| -> (serde_json::Value, serde_json::Value) {
        let id = created.id.0;
        let stored = query_texts(
            conn,
            &format!("SELECT related AS v FROM events WHERE id = {id}"),
        );
        let built = match conn {
            DbConnection::Pg(_) => query_texts(
                conn,
                &format!("SELECT presale_event_related({id})::jsonb::text AS v"),
            ),
            DbConnection::Sqlite(_) => {
                execute(
                    conn,
                    &format!("INSERT INTO presale_refresh_related SELECT {id}"),
                );
                query_texts(
                    conn,
                    &format!("SELECT related AS v FROM events WHERE id = {id}"),
                )
            }
        };
        let value = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
        (value(&stored[0]), value(&built[0]))
    };
    let (stored, built) = rebuilt(&mut conn);
    assert_eq!(stored, built, "after create");
    assert_eq!(
        stored.to_string(),
        r#"{"m":[["colour","red"],["size","L \"quoted\" ü"]],"c":["box","web"],"i":[["a","1"],["b","2"]]}"#
    );
    data.meta_data = pairs(&[("size", "S")]);
    data.limit_sales_channels = strings(&["web"]);
    data.item_meta_properties = pairs(&[("c", "3"), ("a", "0")]);
    EventRepository::update(db, created.id, data)
        .await
        .expect("updated");
    let (stored, built) = rebuilt(&mut conn);
    assert_eq!(stored, built, "after update");
    assert_eq!(
        stored.to_string(),
        r#"{"m":[["size","S"]],"c":["web"],"i":[["a","0"],["c","3"]]}"#
    );
}
