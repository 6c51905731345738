//! Contract tests of the settings port on both backends: upsert, removal, isolation between
//! owners, JSON round trip, all-or-nothing changes and cascading deletes.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::settings::SettingsRepository;
use presale_domain::values::Slug;
use presale_storage_diesel::{Backend, Database};
use serde_json::{json, Value};
use support::{count, execute, insert_event, raw_conn};

on_both_backends! {
    organizer_values_upsert_and_remove => organizer_values_upsert_and_remove_sqlite, organizer_values_upsert_and_remove_postgres;
    event_values_are_per_event_and_cascade => event_values_are_per_event_and_cascade_sqlite, event_values_are_per_event_and_cascade_postgres;
    failed_change_writes_nothing => failed_change_writes_nothing_sqlite, failed_change_writes_nothing_postgres;
}

async fn organizer(db: &Database, slug: &str) -> Organizer {
    db.create(Slug::parse(slug).unwrap(), slug).await.unwrap()
}

fn pairs(items: &[(&str, Value)]) -> Vec<(String, Value)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

async fn organizer_values_upsert_and_remove(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    assert_eq!(db.organizer_values(a.id).await, Ok(vec![]));
    db.change_organizer_values(
        a.id,
        vec![
            ("mail_prefix".into(), Some(json!("A"))),
            ("locales".into(), Some(json!(["de", "en"]))),
            (
                "frontpage_text".into(),
                Some(json!({"de": "Hallo", "en": "Hi"})),
            ),
            ("show_quota_left".into(), Some(json!(true))),
            ("max_items_per_order".into(), Some(json!(12))),
            ("nothing_stored".into(), None),
        ],
    )
    .await
    .unwrap();
    db.change_organizer_values(b.id, vec![("mail_prefix".into(), Some(json!("B")))])
        .await
        .unwrap();
    // Ordered by key; object keys keep their order.
    assert_eq!(
        db.organizer_values(a.id).await,
        Ok(pairs(&[
            ("frontpage_text", json!({"de": "Hallo", "en": "Hi"})),
            ("locales", json!(["de", "en"])),
            ("mail_prefix", json!("A")),
            ("max_items_per_order", json!(12)),
            ("show_quota_left", json!(true)),
        ]))
    );
    // Overwrite one, remove one, in one call.
    db.change_organizer_values(
        a.id,
        vec![
            ("mail_prefix".into(), Some(json!("A2"))),
            ("locales".into(), None),
        ],
    )
    .await
    .unwrap();
    let values = db.organizer_values(a.id).await.unwrap();
    assert_eq!(
        values.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        [
            "frontpage_text",
            "mail_prefix",
            "max_items_per_order",
            "show_quota_left"
        ]
    );
    assert!(values.contains(&("mail_prefix".into(), json!("A2"))));
    assert_eq!(
        db.organizer_values(b.id).await,
        Ok(pairs(&[("mail_prefix", json!("B"))]))
    );
    let mut conn = raw_conn(db);
    assert_eq!(
        count(&mut conn, "organizer_settings", "key = 'mail_prefix'"),
        2
    );
}

async fn event_values_are_per_event_and_cascade(db: &Database) {
    let org = organizer(db, "org").await;
    let mut conn = raw_conn(db);
    let one = insert_event(&mut conn, org.id, "one");
    let two = insert_event(&mut conn, org.id, "two");
    db.change_event_values(one, vec![("mail_prefix".into(), Some(json!("ONE")))])
        .await
        .unwrap();
    db.change_event_values(one, vec![("mail_prefix".into(), Some(json!("ONE!")))])
        .await
        .unwrap();
    db.change_event_values(two, vec![("locale".into(), Some(json!("de")))])
        .await
        .unwrap();
    assert_eq!(
        db.event_values(one).await,
        Ok(pairs(&[("mail_prefix", json!("ONE!"))]))
    );
    assert_eq!(
        db.event_values(two).await,
        Ok(pairs(&[("locale", json!("de"))]))
    );
    assert_eq!(db.organizer_values(org.id).await, Ok(vec![]));
    db.change_event_values(one, vec![("mail_prefix".into(), None)])
        .await
        .unwrap();
    assert_eq!(db.event_values(one).await, Ok(vec![]));
    execute(
        &mut conn,
        &format!("DELETE FROM events WHERE id = {}", two.0),
    );
    assert_eq!(count(&mut conn, "event_settings", "1 = 1"), 0);
}

async fn failed_change_writes_nothing(db: &Database) {
    let org = organizer(db, "org").await;
    db.change_organizer_values(
        org.id,
        vec![
            ("mail_prefix".into(), Some(json!("OLD"))),
            ("locales".into(), Some(json!(["en"]))),
        ],
    )
    .await
    .unwrap();
    // A trigger refuses the key `boom`: the change fails after it already wrote and removed
    // other rows in the same call.
    let mut conn = raw_conn(db);
    match db.url().backend() {
        Backend::Sqlite => {
            execute(
                &mut conn,
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON organizer_settings \
                 WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END",
            );
        }
        Backend::Postgres => {
            execute(
                &mut conn,
                "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN \
                 IF NEW.key = 'boom' THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN NEW; END; $$ LANGUAGE plpgsql",
            );
            execute(
                &mut conn,
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON organizer_settings \
                 FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
            );
        }
    }
    let result = db
        .change_organizer_values(
            org.id,
            vec![
                ("mail_prefix".into(), Some(json!("NEW"))),
                ("locales".into(), None),
                ("boom".into(), Some(json!(1))),
            ],
        )
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(
        db.organizer_values(org.id).await,
        Ok(pairs(&[
            ("locales", json!(["en"])),
            ("mail_prefix", json!("OLD"))
        ]))
    );
    // A value for an event that does not exist violates the foreign key.
    let missing = insert_event(&mut conn, org.id, "gone");
    execute(
        &mut conn,
        &format!("DELETE FROM events WHERE id = {}", missing.0),
    );
    let result = db
        .change_event_values(missing, vec![("mail_prefix".into(), Some(json!("X")))])
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(count(&mut conn, "event_settings", "1 = 1"), 0);
}
