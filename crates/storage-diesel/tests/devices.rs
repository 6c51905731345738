//! Contract tests of the device port on both backends: per-organizer numbering (also under
//! concurrent creates), limit events, the conditional writes (initialize once, the RSA key
//! set once, last seen once a minute) and that only token hashes are stored.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::ids::EventId;

use presale_domain::access::{PlainToken, TokenHash};
use presale_domain::device::{
    Device, DeviceFields, DeviceRepository, Hardware, Initialization, LimitEvent, NewDevice,
};
use presale_domain::ids::OrganizerId;
use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::pagination::Window;
use presale_domain::values::{Slug, WireDateTime};
use presale_domain::RepositoryError;
use presale_storage_diesel::Database;
use serde_json::json;
use support::{count, execute, insert_event, query_texts, raw_conn};

on_both_backends! {
    devices_are_numbered_per_organizer => numbering_sqlite, numbering_postgres;
    concurrent_creates_get_distinct_numbers => concurrent_sqlite, concurrent_postgres;
    a_taken_serial_is_a_conflict => serial_conflict_sqlite, serial_conflict_postgres;
    update_replaces_fields_and_events => update_sqlite, update_postgres;
    initialize_happens_once_and_stores_only_the_hash => initialize_sqlite, initialize_postgres;
    the_key_is_set_once => key_sqlite, key_postgres;
    roll_and_revoke => roll_revoke_sqlite, roll_revoke_postgres;
    last_seen_is_written_once_per_interval => touch_sqlite, touch_postgres;
    deleting_an_event_drops_it_from_limit_events => event_delete_sqlite, event_delete_postgres;
}

async fn organizer(db: &Database, s: &str) -> Organizer {
    OrganizerRepository::create(db, Slug::parse(s).unwrap(), s)
        .await
        .unwrap()
}

/// The device port of the database (`Database` implements several `create`, `find`, ...).
fn dev(db: &Database) -> &dyn DeviceRepository {
    db
}

fn at(s: &str) -> WireDateTime {
    WireDateTime::parse(s).unwrap()
}

fn new_device(organizer: OrganizerId, name: &str, events: &[EventId]) -> NewDevice {
    NewDevice {
        organizer,
        device_id: None,
        fields: DeviceFields {
            name: name.into(),
            all_events: false,
            limit_events: events.to_vec(),
            security_profile: "full".into(),
        },
        unique_serial: presale_domain::device::generate_serial(),
        initialization_token: presale_domain::device::generate_initialization_token(),
        created: at("2020-09-18T14:17:40.971519Z"),
    }
}

fn hardware(brand: &str) -> Hardware {
    Hardware {
        hardware_brand: Some(brand.into()),
        hardware_model: Some("TC25".into()),
        os_name: Some("Android".into()),
        os_version: None,
        software_brand: Some("pretixSCAN".into()),
        software_version: Some("1.5.1".into()),
    }
}

fn init(token: &PlainToken) -> Initialization {
    Initialization {
        hardware: hardware("Zebra"),
        info: Some(json!({"battery": 80})),
        rsa_pubkey: None,
        api_token: token.hash(),
        at: at("2020-09-18T14:17:44.190021Z"),
    }
}

async fn initialized(db: &Database, device: &Device) -> (Device, PlainToken) {
    let token = PlainToken::generate();
    let d = dev(db)
        .initialize(device.id, init(&token))
        .await
        .unwrap()
        .unwrap();
    (d, token)
}

async fn devices_are_numbered_per_organizer(db: &Database) {
    let a = organizer(db, "bigevents").await;
    let b = organizer(db, "other").await;
    let mut conn = raw_conn(db);
    let late = insert_event(&mut conn, a.id, "zoo");
    let early = insert_event(&mut conn, a.id, "museum");
    execute(
        &mut conn,
        "UPDATE events SET date_from = '2020-01-01 10:00:00' WHERE slug = 'museum'",
    );

    let first = dev(db)
        .create(new_device(a.id, "Scanner", &[late, early]))
        .await
        .unwrap();
    let second = dev(db).create(new_device(a.id, "POS", &[])).await.unwrap();
    let other = dev(db).create(new_device(b.id, "B", &[])).await.unwrap();
    assert_eq!(
        (first.device_id, second.device_id, other.device_id),
        (1, 2, 1)
    );
    assert_eq!(first.organizer_slug, "bigevents");
    assert_eq!(first.name, "Scanner");
    assert_eq!(first.created.to_string(), "2020-09-18T14:17:40.971519Z");
    assert_eq!(first.initialized, None);
    assert!(!first.revoked && !first.all_events);
    assert_eq!(first.security_profile, "full");
    assert_eq!(first.hardware, Hardware::default());
    // Limit events in pretix's event order: by start first.
    assert_eq!(
        first.limit_events,
        vec![
            LimitEvent {
                id: early,
                slug: "museum".into()
            },
            LimitEvent {
                id: late,
                slug: "zoo".into()
            }
        ]
    );

    assert_eq!(dev(db).find(a.id, 1).await, Ok(Some(first.clone())));
    assert_eq!(dev(db).find(b.id, 2).await, Ok(None));
    assert_eq!(dev(db).find(a.id, 3).await, Ok(None));
    let page = dev(db)
        .list(
            a.id,
            Window {
                offset: 0,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items, vec![first.clone(), second.clone()]);
    let page = dev(db)
        .list(
            a.id,
            Window {
                offset: 1,
                limit: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!((page.total, page.items), (2, vec![second]));
    assert_eq!(
        dev(db)
            .find_by_initialization_token(&first.initialization_token)
            .await,
        Ok(Some(first))
    );
    assert_eq!(dev(db).find_by_initialization_token("nope").await, Ok(None));
}

async fn concurrent_creates_get_distinct_numbers(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                dev(&db)
                    .create(new_device(org.id, &format!("d{i}"), &[]))
                    .await
                    .map(|d| d.device_id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().expect("every concurrent create succeeds"));
    }
    ids.sort();
    assert_eq!(ids, (1..=8).collect::<Vec<i64>>());
}

async fn a_taken_serial_is_a_conflict(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let first = dev(db).create(new_device(org.id, "a", &[])).await.unwrap();
    let mut again = new_device(org.id, "b", &[]);
    again.unique_serial = first.unique_serial.clone();
    assert!(matches!(
        dev(db).create(again).await,
        Err(RepositoryError::Conflict(_))
    ));
    let mut again = new_device(org.id, "c", &[]);
    again.initialization_token = first.initialization_token.clone();
    assert!(matches!(
        dev(db).create(again).await,
        Err(RepositoryError::Conflict(_))
    ));
    let mut conn = raw_conn(db);
    assert_eq!(count(&mut conn, "devices", "1 = 1"), 1);
}

async fn update_replaces_fields_and_events(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let mut conn = raw_conn(db);
    let museum = insert_event(&mut conn, org.id, "museum");
    let zoo = insert_event(&mut conn, org.id, "zoo");
    let d = dev(db)
        .create(new_device(org.id, "Scanner", &[museum]))
        .await
        .unwrap();
    let updated = dev(db)
        .update(
            d.id,
            DeviceFields {
                name: "Gate 2".into(),
                all_events: true,
                limit_events: vec![zoo],
                security_profile: "pretixscan".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Gate 2");
    assert!(updated.all_events);
    assert_eq!(updated.security_profile, "pretixscan");
    assert_eq!(
        updated.limit_events,
        vec![LimitEvent {
            id: zoo,
            slug: "zoo".into()
        }]
    );
    assert_eq!(
        (updated.device_id, &updated.unique_serial),
        (d.device_id, &d.unique_serial)
    );
    let cleared = dev(db)
        .update(
            d.id,
            DeviceFields {
                limit_events: vec![],
                ..updated.fields()
            },
        )
        .await
        .unwrap();
    assert!(cleared.limit_events.is_empty());
    assert_eq!(count(&mut conn, "device_limit_events", "1 = 1"), 0);
}

async fn initialize_happens_once_and_stores_only_the_hash(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let d = dev(db)
        .create(new_device(org.id, "Scanner", &[]))
        .await
        .unwrap();
    let token = PlainToken::generate();
    let done = dev(db)
        .initialize(d.id, init(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        done.initialized.map(|t| t.to_string()).as_deref(),
        Some("2020-09-18T14:17:44.190021Z")
    );
    assert_eq!(done.hardware, hardware("Zebra"));
    assert_eq!(done.info, Some(json!({"battery": 80})));
    assert_eq!(
        dev(db).find_by_api_token(token.hash()).await,
        Ok(Some(done))
    );
    assert_eq!(
        dev(db).find_by_api_token(TokenHash::of("nope")).await,
        Ok(None)
    );

    // A second initialize writes nothing.
    let other = PlainToken::generate();
    assert_eq!(dev(db).initialize(d.id, init(&other)).await, Ok(None));
    assert_eq!(dev(db).find_by_api_token(other.hash()).await, Ok(None));

    // A revoked device is not initialized either.
    let r = dev(db).create(new_device(org.id, "R", &[])).await.unwrap();
    dev(db).revoke(r.id).await.unwrap();
    assert_eq!(dev(db).initialize(r.id, init(&other)).await, Ok(None));

    let mut conn = raw_conn(db);
    assert_eq!(
        query_texts(
            &mut conn,
            &format!(
                "SELECT api_token_hash AS v FROM devices WHERE id = {}",
                d.id.0
            )
        ),
        vec![token.hash().to_hex()]
    );
    assert_eq!(
        count(
            &mut conn,
            "devices",
            &format!("api_token_hash = '{}'", token.as_str())
        ),
        0
    );
}

async fn the_key_is_set_once(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let d = dev(db)
        .create(new_device(org.id, "Scanner", &[]))
        .await
        .unwrap();
    let (d, _) = initialized(db, &d).await;
    let updated = dev(db)
        .update_report(d.id, hardware("Honeywell"), None, Some("KEY-A".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.rsa_pubkey.as_deref(), Some("KEY-A"));
    assert_eq!(updated.info, None);
    assert_eq!(updated.hardware, hardware("Honeywell"));
    // The same key again is fine; without a key the stored one stays.
    let same = dev(db)
        .update_report(d.id, hardware("Same"), None, Some("KEY-A".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.hardware, hardware("Same"));
    let kept = dev(db)
        .update_report(d.id, hardware("Kept"), None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.rsa_pubkey.as_deref(), Some("KEY-A"));
    // Another key: nothing is written.
    assert_eq!(
        dev(db)
            .update_report(d.id, hardware("Other"), None, Some("KEY-B".into()))
            .await,
        Ok(None)
    );
    let now = dev(db).find(org.id, d.device_id).await.unwrap().unwrap();
    assert_eq!(now.rsa_pubkey.as_deref(), Some("KEY-A"));
    assert_eq!(now.hardware, hardware("Kept"));
}

async fn roll_and_revoke(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let d = dev(db)
        .create(new_device(org.id, "Scanner", &[]))
        .await
        .unwrap();
    let (d, old) = initialized(db, &d).await;
    let new = PlainToken::generate();
    let rolled = dev(db)
        .set_api_token(d.id, old.hash(), new.hash())
        .await
        .unwrap()
        .unwrap();
    // The old token is no longer current: a second roll with it changes nothing.
    assert_eq!(
        dev(db)
            .set_api_token(d.id, old.hash(), PlainToken::generate().hash())
            .await,
        Ok(None)
    );
    assert_eq!(dev(db).find_by_api_token(old.hash()).await, Ok(None));
    assert_eq!(
        dev(db).find_by_api_token(new.hash()).await,
        Ok(Some(rolled.clone()))
    );
    let revoked = dev(db).revoke(d.id).await.unwrap();
    assert!(revoked.revoked);
    assert_eq!(
        dev(db)
            .find_by_api_token(new.hash())
            .await
            .map(|d| d.map(|d| d.revoked)),
        Ok(Some(true))
    );
}

async fn last_seen_is_written_once_per_interval(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let d = dev(db)
        .create(new_device(org.id, "Scanner", &[]))
        .await
        .unwrap();
    let t0 = at("2030-01-01T10:00:00Z");
    assert_eq!(
        dev(db).touch(d.id, t0, at("2030-01-01T09:59:00Z")).await,
        Ok(true)
    );
    // Ten seconds later, a concurrent request that still saw no last_seen: no write.
    assert_eq!(
        dev(db)
            .touch(d.id, at("2030-01-01T10:00:10Z"), at("2030-01-01T09:59:10Z"))
            .await,
        Ok(false)
    );
    let seen = dev(db).find(org.id, d.device_id).await.unwrap().unwrap();
    assert_eq!(seen.last_seen, Some(t0));
    assert_eq!(
        dev(db)
            .touch(
                d.id,
                at("2030-01-01T10:01:00.5Z"),
                at("2030-01-01T10:00:00.5Z")
            )
            .await,
        Ok(true)
    );
    let seen = dev(db).find(org.id, d.device_id).await.unwrap().unwrap();
    assert_eq!(
        seen.last_seen.map(|t| t.to_string()).as_deref(),
        Some("2030-01-01T10:01:00.500000Z")
    );
}

async fn deleting_an_event_drops_it_from_limit_events(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let mut conn = raw_conn(db);
    let museum = insert_event(&mut conn, org.id, "museum");
    let zoo = insert_event(&mut conn, org.id, "zoo");
    let d = dev(db)
        .create(new_device(org.id, "Scanner", &[museum, zoo]))
        .await
        .unwrap();
    presale_domain::event::EventRepository::delete(db, museum)
        .await
        .unwrap();
    let after = dev(db).find(org.id, d.device_id).await.unwrap().unwrap();
    assert_eq!(
        after.limit_events,
        vec![LimitEvent {
            id: zoo,
            slug: "zoo".into()
        }]
    );
}
