//! Every write port marks the organizer it wrote to as changed before it returns, and no
//! other organizer, on both backends: the kept answers and cached credentials of this process
//! never outlive a write made through it, and one organizer's writes keep another's. A
//! device's last-seen time, which the API does not show, changes nothing.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::access::{EventScope, PermissionSet, PlainToken, TokenHash};
use presale_domain::device::{DeviceFields, Hardware, Initialization, NewDevice};
use presale_domain::digital_content::{ContentType, DigitalContentData};
use presale_domain::event::{EventData, EventKeys};
use presale_domain::imported_secret::SecretData;
use presale_domain::item::{ItemFields, VariationFields};
use presale_domain::meta::MetaPropertyFields;
use presale_domain::quota::QuotaData;
use presale_domain::sales_channel::SalesChannelFields;
use presale_domain::store::Repositories;
use presale_domain::subevent::SubEventData;
use presale_domain::team::NewTeam;
use presale_domain::values::{I18nString, Money, Slug, TimeZone, WireDateTime};
use presale_storage_diesel::Database;
use serde_json::json;

on_both_backends! {
    every_write_changes_its_organizer_only => sqlite, postgres;
}

/// Awaits the write and checks that it marked `$org` changed, and `$bystander` not.
macro_rules! moves {
    ($db:expr, $org:expr, $bystander:expr, $write:expr) => {{
        let mark = $db.data_mark().expect("changes are watched");
        let result = $write.await.expect(stringify!($write));
        assert!(
            !$db.unchanged_since($org, mark),
            "its organizer is not changed: {}",
            stringify!($write)
        );
        assert!(
            $db.unchanged_since($bystander, mark),
            "another organizer is changed: {}",
            stringify!($write)
        );
        result
    }};
}

/// Waits for the announcements of earlier writes, learnt already, that may still arrive
/// from the database (PostgreSQL's notifications) and would count as later changes.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

fn at(s: &str) -> WireDateTime {
    WireDateTime::parse(s).unwrap()
}

fn event_data(slug: &str) -> EventData {
    EventData {
        has_subevents: true,
        plugins: vec![],
        ..EventData::defaults(
            Slug::parse(slug).unwrap(),
            I18nString::english(slug),
            at("2030-01-01T10:00:00Z"),
            TimeZone::UTC,
        )
    }
}

fn item_fields(name: &str) -> ItemFields {
    ItemFields {
        name: I18nString::english(name),
        default_price: Money::parse("10").unwrap(),
        active: true,
        description: None,
        admission: true,
        position: 0,
    }
}

fn variation(value: &str) -> VariationFields {
    VariationFields {
        value: I18nString::english(value),
        default_price: None,
        active: true,
        position: 0,
    }
}

async fn every_write_changes_its_organizer_only(db: &Database) {
    let r: &dyn Repositories = db;
    let slug = |s: &str| Slug::parse(s).unwrap();
    let bystander = r.organizers().create(slug("b"), "B").await.unwrap().id;
    settle().await;

    // Organizers, settings, meta properties, sales channels.
    let mark = db.data_mark().expect("changes are watched");
    let org = r.organizers().create(slug("o"), "O").await.unwrap();
    assert!(!db.unchanged_since(org.id, mark));
    assert!(db.unchanged_since(bystander, mark));
    moves!(
        db,
        org.id,
        bystander,
        r.organizers().rename(org.id, "Renamed")
    );
    let plugins = vec!["pretix.plugins.banktransfer".to_owned()];
    moves!(
        db,
        org.id,
        bystander,
        r.organizers().set_plugins(org.id, plugins, vec![])
    );
    let change = vec![("locale".to_owned(), Some(json!("de")))];
    moves!(
        db,
        org.id,
        bystander,
        r.settings().change_organizer_values(org.id, change)
    );
    let property = MetaPropertyFields {
        name: "type".into(),
        default: String::new(),
        required: false,
        allowed_values: None,
        protected: false,
        filter_allowed: true,
    };
    let meta = r.meta_properties();
    let p = moves!(db, org.id, bystander, meta.create(org.id, property.clone()));
    moves!(db, org.id, bystander, meta.update(org.id, p.id, property));
    moves!(db, org.id, bystander, meta.delete(org.id, p.id));
    let channel = SalesChannelFields {
        identifier: "api.kiosk".into(),
        label: I18nString::english("Kiosk"),
        kind: "api".into(),
        position: 1,
    };
    let channels = r.sales_channels();
    moves!(
        db,
        org.id,
        bystander,
        channels.create(org.id, channel.clone())
    );
    moves!(
        db,
        org.id,
        bystander,
        channels.update(org.id, "api.kiosk", channel)
    );
    moves!(db, org.id, bystander, channels.delete(org.id, "api.kiosk"));

    // Events and everything below one.
    let events = r.events();
    let keys = || EventKeys::generate().unwrap();
    let event = moves!(
        db,
        org.id,
        bystander,
        events.create(org.id, event_data("e"), keys())
    );
    moves!(
        db,
        org.id,
        bystander,
        events.update(event.id, event_data("e"))
    );
    let change = vec![("locale".to_owned(), Some(json!("de")))];
    moves!(
        db,
        org.id,
        bystander,
        r.settings().change_event_values(event.id, change)
    );
    let items = r.items();
    let item = moves!(
        db,
        org.id,
        bystander,
        items.create(
            event.id,
            None,
            item_fields("Shirt"),
            vec![(None, variation("S"))]
        )
    );
    moves!(
        db,
        org.id,
        bystander,
        items.update(event.id, item.id, item_fields("Shirt"))
    );
    let v = moves!(
        db,
        org.id,
        bystander,
        items.create_variation(item.id, None, variation("M"))
    );
    moves!(
        db,
        org.id,
        bystander,
        items.update_variation(item.id, v.id, variation("L"))
    );
    moves!(db, org.id, bystander, items.delete_variation(item.id, v.id));
    let subevent = SubEventData {
        name: I18nString::english("Day 1"),
        active: true,
        date_from: at("2030-01-01T10:00:00Z"),
        date_to: None,
        presale_start: None,
        presale_end: None,
        location: None,
    };
    let subevents = r.subevents();
    let s = moves!(
        db,
        org.id,
        bystander,
        subevents.create(event.id, None, subevent.clone())
    );
    moves!(
        db,
        org.id,
        bystander,
        subevents.update(event.id, s.id, subevent)
    );
    let quota = QuotaData {
        name: "Q".into(),
        size: Some(10),
        items: vec![item.id.0],
        variations: vec![],
        subevent: None,
    };
    let quotas = r.quotas();
    let q = moves!(
        db,
        org.id,
        bystander,
        quotas.create(event.id, None, quota.clone())
    );
    moves!(db, org.id, bystander, quotas.update(event.id, q.id, quota));
    moves!(db, org.id, bystander, quotas.delete(event.id, q.id));
    let content = DigitalContentData {
        subevent: None,
        title: I18nString::english("Stream"),
        content_type: ContentType::Link,
        url: "https://stream.example/".into(),
        description: None,
        all_products: true,
        limit_products: vec![],
        available_from: None,
        available_until: None,
        position: 0,
    };
    let contents = r.digital_contents();
    let c = moves!(
        db,
        org.id,
        bystander,
        contents.create(event.id, None, content.clone())
    );
    moves!(
        db,
        org.id,
        bystander,
        contents.update(event.id, c.id, content)
    );
    moves!(db, org.id, bystander, contents.delete(event.id, c.id));
    let data = |secret: &str| SecretData {
        secret: secret.into(),
        used: false,
        item: None,
        variation: None,
        subevent: None,
    };
    let secrets = r.imported_secrets();
    let created = moves!(
        db,
        org.id,
        bystander,
        secrets.create(event.id, vec![data("A")])
    );
    moves!(
        db,
        org.id,
        bystander,
        secrets.update(event.id, created[0].id, false, data("B"))
    );
    moves!(
        db,
        org.id,
        bystander,
        secrets.delete_unused(event.id, created[0].id)
    );
    moves!(db, org.id, bystander, subevents.delete(event.id, s.id));
    moves!(db, org.id, bystander, items.delete(event.id, item.id));
    let copy = moves!(
        db,
        org.id,
        bystander,
        events.clone_from(event.id, org.id, event_data("copy"), keys())
    );
    moves!(db, org.id, bystander, events.delete(copy.id));

    // Teams and tokens.
    let new_team = |name: &str| NewTeam {
        organizer: org.id,
        name: name.into(),
        permissions: PermissionSet::all(),
        events: EventScope::All,
    };
    let teams = r.teams();
    let team = moves!(db, org.id, bystander, teams.create(new_team("T")));
    moves!(db, org.id, bystander, teams.update(team.id, new_team("T2")));
    let tokens = r.tokens();
    let token = moves!(
        db,
        org.id,
        bystander,
        tokens.create(team.id, "ci", PlainToken::generate().hash())
    );
    moves!(
        db,
        org.id,
        bystander,
        tokens.update(token.id, team.id, "renamed", true)
    );
    moves!(db, org.id, bystander, tokens.deactivate(team.id, token.id));
    moves!(db, org.id, bystander, teams.delete(org.id, team.id));

    // Devices; a last-seen time within the interval writes nothing and moves nothing.
    let fields = DeviceFields {
        name: "Scanner".into(),
        all_events: true,
        limit_events: vec![],
        security_profile: "full".into(),
    };
    let devices = r.devices();
    let new_device = NewDevice {
        organizer: org.id,
        device_id: None,
        fields: fields.clone(),
        unique_serial: "SERIAL0000000001".into(),
        initialization_token: "init-token-000000001".into(),
        created: at("2030-01-01T10:00:00Z"),
    };
    let device = moves!(db, org.id, bystander, devices.create(new_device));
    let renamed = DeviceFields {
        name: "Renamed".into(),
        ..fields
    };
    moves!(db, org.id, bystander, devices.update(device.id, renamed));
    let first = TokenHash::of("device-token-00000001");
    let init = Initialization {
        hardware: Hardware::default(),
        info: None,
        rsa_pubkey: None,
        api_token: first,
        at: at("2030-01-01T10:00:00Z"),
    };
    moves!(db, org.id, bystander, devices.initialize(device.id, init));
    let reported = Hardware {
        software_version: Some("2.0".into()),
        ..Hardware::default()
    };
    moves!(
        db,
        org.id,
        bystander,
        devices.update_report(device.id, reported, None, None)
    );
    let second = TokenHash::of("device-token-00000002");
    moves!(
        db,
        org.id,
        bystander,
        devices.set_api_token(device.id, first, second)
    );
    settle().await;
    let mark = db.data_mark().unwrap();
    let seen = at("2030-01-01T10:05:00Z");
    let wrote = devices.touch(device.id, seen, at("2030-01-01T10:04:00Z"));
    assert!(wrote.await.unwrap(), "written");
    let again = at("2030-01-01T10:05:30Z");
    let wrote = devices.touch(device.id, again, at("2030-01-01T10:04:30Z"));
    assert!(!wrote.await.unwrap(), "seen within the interval: no write");
    assert!(db.data_mark().is_some());
    assert!(db.unchanged_since(org.id, mark), "last_seen is not shown");
    moves!(db, org.id, bystander, devices.revoke(device.id));
}
