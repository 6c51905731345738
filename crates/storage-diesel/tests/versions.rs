//! Every write port moves the data version, on both backends: the kept answers and cached
//! credentials of this process never outlive a write made through it. A write that changes
//! nothing the API shows (a device's last-seen time within its interval) moves nothing.

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
use presale_domain::values::{Currency, I18nString, Money, Slug, TimeZone, WireDateTime};
use presale_storage_diesel::Database;
use serde_json::json;

on_both_backends! {
    every_write_moves_the_version => sqlite, postgres;
}

/// Awaits the write and checks that the data version moved.
macro_rules! moves {
    ($db:expr, $write:expr) => {{
        let before = $db.data_version();
        let result = $write.await.expect(stringify!($write));
        assert!(
            $db.data_version() > before,
            "no version move: {}",
            stringify!($write)
        );
        result
    }};
}

fn at(s: &str) -> WireDateTime {
    WireDateTime::parse(s).unwrap()
}

fn event_data(slug: &str) -> EventData {
    EventData {
        slug: Slug::parse(slug).unwrap(),
        name: I18nString::english(slug),
        live: false,
        testmode: false,
        currency: Currency::EUR,
        date_from: at("2030-01-01T10:00:00Z"),
        date_to: None,
        date_admission: None,
        is_public: true,
        presale_start: None,
        presale_end: None,
        location: None,
        geo_lat: None,
        geo_lon: None,
        has_subevents: true,
        meta_data: vec![],
        plugins: vec![],
        timezone: TimeZone::UTC,
        item_meta_properties: vec![],
        all_sales_channels: true,
        limit_sales_channels: vec![],
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

async fn every_write_moves_the_version(db: &Database) {
    let r: &dyn Repositories = db;
    let slug = |s: &str| Slug::parse(s).unwrap();

    // Organizers, settings, meta properties, sales channels.
    let org = moves!(db, r.organizers().create(slug("o"), "O"));
    moves!(db, r.organizers().rename(org.id, "Renamed"));
    let plugins = vec!["pretix.plugins.banktransfer".to_owned()];
    moves!(db, r.organizers().set_plugins(org.id, plugins, vec![]));
    let change = vec![("locale".to_owned(), Some(json!("de")))];
    moves!(db, r.settings().change_organizer_values(org.id, change));
    let property = MetaPropertyFields {
        name: "type".into(),
        default: String::new(),
        required: false,
        allowed_values: None,
        protected: false,
        filter_allowed: true,
    };
    let meta = r.meta_properties();
    let p = moves!(db, meta.create(org.id, property.clone()));
    moves!(db, meta.update(org.id, p.id, property));
    moves!(db, meta.delete(org.id, p.id));
    let channel = SalesChannelFields {
        identifier: "api.kiosk".into(),
        label: I18nString::english("Kiosk"),
        kind: "api".into(),
        position: 1,
    };
    let channels = r.sales_channels();
    moves!(db, channels.create(org.id, channel.clone()));
    moves!(db, channels.update(org.id, "api.kiosk", channel));
    moves!(db, channels.delete(org.id, "api.kiosk"));

    // Events and everything below one.
    let events = r.events();
    let keys = || EventKeys::generate().unwrap();
    let event = moves!(db, events.create(org.id, event_data("e"), keys()));
    moves!(db, events.update(event.id, event_data("e")));
    let change = vec![("locale".to_owned(), Some(json!("de")))];
    moves!(db, r.settings().change_event_values(event.id, change));
    let items = r.items();
    let item = moves!(
        db,
        items.create(
            event.id,
            None,
            item_fields("Shirt"),
            vec![(None, variation("S"))]
        )
    );
    moves!(db, items.update(event.id, item.id, item_fields("Shirt")));
    let v = moves!(db, items.create_variation(item.id, None, variation("M")));
    moves!(db, items.update_variation(item.id, v.id, variation("L")));
    moves!(db, items.delete_variation(item.id, v.id));
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
    let s = moves!(db, subevents.create(event.id, None, subevent.clone()));
    moves!(db, subevents.update(event.id, s.id, subevent));
    let quota = QuotaData {
        name: "Q".into(),
        size: Some(10),
        items: vec![item.id.0],
        variations: vec![],
        subevent: None,
    };
    let quotas = r.quotas();
    let q = moves!(db, quotas.create(event.id, None, quota.clone()));
    moves!(db, quotas.update(event.id, q.id, quota));
    moves!(db, quotas.delete(event.id, q.id));
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
    let c = moves!(db, contents.create(event.id, None, content.clone()));
    moves!(db, contents.update(event.id, c.id, content));
    moves!(db, contents.delete(event.id, c.id));
    let data = |secret: &str| SecretData {
        secret: secret.into(),
        used: false,
        item: None,
        variation: None,
        subevent: None,
    };
    let secrets = r.imported_secrets();
    let created = moves!(db, secrets.create(event.id, vec![data("A")]));
    moves!(
        db,
        secrets.update(event.id, created[0].id, false, data("B"))
    );
    moves!(db, secrets.delete_unused(event.id, created[0].id));
    moves!(db, subevents.delete(event.id, s.id));
    moves!(db, items.delete(event.id, item.id));
    let copy = moves!(
        db,
        events.clone_from(event.id, org.id, event_data("copy"), keys())
    );
    moves!(db, events.delete(copy.id));

    // Teams and tokens.
    let new_team = |name: &str| NewTeam {
        organizer: org.id,
        name: name.into(),
        permissions: PermissionSet::all(),
        events: EventScope::All,
    };
    let teams = r.teams();
    let team = moves!(db, teams.create(new_team("T")));
    moves!(db, teams.update(team.id, new_team("T2")));
    let tokens = r.tokens();
    let token = moves!(
        db,
        tokens.create(team.id, "ci", PlainToken::generate().hash())
    );
    moves!(db, tokens.update(token.id, team.id, "renamed", true));
    moves!(db, tokens.deactivate(team.id, token.id));
    moves!(db, teams.delete(org.id, team.id));

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
    let device = moves!(db, devices.create(new_device));
    moves!(db, devices.update(device.id, fields));
    let first = TokenHash::of("device-token-00000001");
    let init = Initialization {
        hardware: Hardware::default(),
        info: None,
        rsa_pubkey: None,
        api_token: first,
        at: at("2030-01-01T10:00:00Z"),
    };
    moves!(db, devices.initialize(device.id, init));
    moves!(
        db,
        devices.update_report(device.id, Hardware::default(), None, None)
    );
    let second = TokenHash::of("device-token-00000002");
    moves!(db, devices.set_api_token(device.id, first, second));
    let seen = at("2030-01-01T10:05:00Z");
    moves!(
        db,
        devices.touch(device.id, seen, at("2030-01-01T10:04:00Z"))
    );
    let before = db.data_version();
    let again = at("2030-01-01T10:05:30Z");
    let wrote = devices.touch(device.id, again, at("2030-01-01T10:04:30Z"));
    assert!(!wrote.await.unwrap(), "seen within the interval: no write");
    assert_eq!(db.data_version(), before);
    moves!(db, devices.revoke(device.id));
}
