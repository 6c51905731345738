//! Unit tests of fixture validation, with mocked ports.

use super::*;
use crate::auth::{EventId, EventScope, PermissionSet, TeamId, TeamWithEvents, TokenId};
use crate::event::{EventData, EventKeys};
use crate::item::{ItemChanges, ItemErrors};
use crate::organizer::{Organizer, OrganizerId};
use crate::team::TeamFields;
use crate::values::{Currency, I18nString, Money, Slug, TimeZone, WireDateTime};
use serde_json::json;

fn text(v: &Value) -> Result<String, String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| "Not a valid string.".to_owned())
}

/// A reader for the few fields these tests send (the real one is the HTTP crate's).
fn reader() -> MockApiReader {
    let mut r = MockApiReader::new();
    r.expect_string().returning(|v, _| text(v));
    r.expect_integer().returning(|v| {
        v.as_i64()
            .ok_or_else(|| "A valid integer is required.".into())
    });
    r.expect_boolean()
        .returning(|v| v.as_bool().ok_or_else(|| "Must be a valid boolean.".into()));
    r.expect_event().returning(|body| {
        let changes = EventChanges {
            name: body.get("name").and_then(|v| I18nString::from_json(v).ok()),
            slug: body
                .get("slug")
                .and_then(Value::as_str)
                .and_then(|s| Slug::parse_event(s).ok()),
            date_from: body
                .get("date_from")
                .and_then(Value::as_str)
                .and_then(|s| WireDateTime::parse(s).ok()),
            ..EventChanges::default()
        };
        (changes, FieldErrors::new())
    });
    r.expect_item().returning(|body| {
        let changes = ItemChanges {
            name: body.get("name").and_then(|v| I18nString::from_json(v).ok()),
            default_price: body
                .get("default_price")
                .and_then(Value::as_str)
                .and_then(|s| Money::parse(s).ok()),
            ..ItemChanges::default()
        };
        (changes, ItemErrors::default())
    });
    r.expect_team().returning(|body| {
        let fields = TeamFields {
            name: body
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            all_events: true,
            limit_events: Vec::new(),
            permissions: PermissionSet::all(),
        };
        (fields, FieldErrors::new())
    });
    r
}

fn store(snapshot: Option<OrganizerSnapshot>, taken: Claims) -> MockFixtureStore {
    let mut s = MockFixtureStore::new();
    s.expect_export().returning(move |_| Ok(snapshot.clone()));
    s.expect_taken().returning(move |_| Ok(taken.clone()));
    s.expect_apply().never();
    s
}

fn stored_event(id: i64, slug: &str) -> EventSnapshot {
    EventSnapshot {
        event: Event {
            id: EventId(id),
            organizer: OrganizerId(3),
            data: EventData {
                slug: Slug::parse(slug).unwrap(),
                name: I18nString::english("Stored"),
                live: false,
                testmode: false,
                currency: Currency::EUR,
                date_from: WireDateTime::parse("2030-01-01T00:00:00Z").unwrap(),
                date_to: None,
                date_admission: None,
                is_public: true,
                presale_start: None,
                presale_end: None,
                location: None,
                geo_lat: None,
                geo_lon: None,
                has_subevents: false,
                meta_data: Vec::new(),
                plugins: Vec::new(),
                timezone: TimeZone::UTC,
                item_meta_properties: Vec::new(),
                all_sales_channels: true,
                limit_sales_channels: Vec::new(),
            },
            public_key: "key".into(),
        },
        settings: Vec::new(),
        items: Vec::new(),
        subevents: Vec::new(),
        quotas: Vec::new(),
        digital_contents: Vec::new(),
        imported_secrets: Vec::new(),
        keys: None,
    }
}

fn stored_organizer() -> OrganizerSnapshot {
    OrganizerSnapshot {
        organizer: Organizer {
            id: OrganizerId(3),
            slug: Slug::parse("bigevents").unwrap(),
            name: "Big Events".into(),
            plugins: Vec::new(),
        },
        settings: Vec::new(),
        meta_properties: Vec::new(),
        sales_channels: Vec::new(),
        events: vec![stored_event(5, "conf")],
        teams: vec![TeamSnapshot {
            team: TeamWithEvents {
                team: crate::auth::Team {
                    id: TeamId(9),
                    organizer: OrganizerId(3),
                    name: "API".into(),
                    permissions: PermissionSet::none(),
                    events: EventScope::All,
                },
                limit_events: Vec::new(),
            },
            tokens: vec![TokenSnapshot {
                token: ApiToken {
                    id: TokenId(4),
                    team: TeamId(9),
                    name: "old".into(),
                    active: true,
                },
                hash: TokenHash::of("ci-token-000000000001"),
            }],
        }],
        devices: Vec::new(),
    }
}

fn errors(result: Result<ValidatedFixture, SeedError>) -> Vec<String> {
    match result {
        Err(SeedError::Invalid(errors)) => errors.iter().map(ToString::to_string).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fixed_tokens_and_exported_hashes() {
    assert!(check_fixed_token("ci-admin_TOKEN-01").is_ok());
    assert!(check_fixed_token(&"a".repeat(128)).is_ok());
    for bad in ["short", "has space in it ok?", "ümlaut-token-000000"] {
        assert!(check_fixed_token(bad).is_err(), "{bad}");
    }
    assert!(check_fixed_token(&"a".repeat(129)).is_err());
    let hash = TokenHash::of("ci-admin-token-0000000000000001");
    assert_eq!(parse_token_hash(&hash.to_hex()), Some(hash));
    assert_eq!(parse_token_hash(&hash.to_hex().to_uppercase()), None);
    assert_eq!(parse_token_hash("abc"), None);
}

#[pollster::test]
async fn a_new_organizer_is_staged_with_new_rows_and_given_ids() {
    let document = json!({"version": 1, "organizers": [{"slug": "bigevents", "name": "Big Events",
        "events": [{"name": "Conference", "slug": "conf", "date_from": "2030-01-01T00:00:00Z",
                    "items": [{"id": 7, "name": "Ticket", "default_price": "10.00"},
                              {"name": "Shirt", "default_price": "5.00"}]}],
        "teams": [{"name": "API", "tokens": [{"name": "ci", "token": "ci-token-000000000001"}]}]}]});
    let mut s = MockFixtureStore::new();
    s.expect_export().returning(|_| Ok(None));
    s.expect_taken()
        .withf(|c| c.items == [7] && c.api_tokens == [TokenHash::of("ci-token-000000000001")])
        .times(1)
        .returning(|_| Ok(Claims::default()));
    let fixture = validate(&s, &reader(), &document).await.unwrap();
    let org = &fixture.organizers[0].snapshot;
    assert!(org.organizer.id.0 < 0, "a new organizer");
    assert_eq!(org.sales_channels, [], "web is created with the organizer");
    let event = &org.events[0];
    assert!(event.event.id.0 < 0 && event.keys.is_some());
    assert_eq!(
        event.event.data.plugins.len(),
        4,
        "the API's default plugins"
    );
    let ids: Vec<i64> = event.items.iter().map(|i| i.id.0).collect();
    assert_eq!(ids[0], 7);
    assert!(ids[1] < 0, "no id given: the database chooses");
    let token = &org.teams[0].tokens[0];
    assert_eq!(token.hash, TokenHash::of("ci-token-000000000001"));
    assert!(token.token.id.0 < 0 && token.token.active);
}

#[pollster::test]
async fn stored_rows_are_matched_by_natural_key_and_replaced() {
    let document = json!({"organizers": [{"slug": "bigevents", "name": "Renamed",
        "events": [{"name": "Conference", "slug": "conf", "date_from": "2031-01-01T00:00:00Z"}],
        "teams": [{"name": "API", "tokens": [{"name": "renamed", "token": "ci-token-000000000001"}]}]}]});
    let s = store(Some(stored_organizer()), Claims::default());
    let fixture = validate(&s, &reader(), &document).await.unwrap();
    let org = &fixture.organizers[0].snapshot;
    assert_eq!(
        (org.organizer.id, org.organizer.name.as_str()),
        (OrganizerId(3), "Renamed")
    );
    assert_eq!(org.events[0].event.id, EventId(5));
    assert_eq!(org.events[0].keys, None::<EventKeys>);
    assert_eq!(
        org.events[0].event.data.name,
        I18nString::english("Conference")
    );
    assert_eq!(org.teams[0].team.team.id, TeamId(9));
    assert_eq!(org.teams[0].tokens[0].token.id, TokenId(4));
    assert_eq!(org.teams[0].tokens[0].token.name, "renamed");
}

#[pollster::test]
async fn every_refused_entry_is_reported_with_its_path() {
    let document = json!({"organizers": [
        {"slug": "bigevents", "name": "Big Events", "colour": "red",
         "events": [{"name": "A", "slug": "other", "date_from": "2030-01-01T00:00:00Z",
                     "items": [{"id": 7, "name": "Ticket", "default_price": "1.00"}]},
                    {"name": "B", "slug": "other", "date_from": "2030-01-01T00:00:00Z"},
                    "not an object"]},
        {"slug": "bigevents", "name": "Again"},
        {"name": "No slug"}]});
    let taken = Claims {
        items: vec![7],
        ..Claims::default()
    };
    let s = store(Some(stored_organizer()), taken);
    assert_eq!(
        errors(validate(&s, &reader(), &document).await),
        [
            "organizers[0] (bigevents): colour: Unknown field.",
            "organizers[0].events[2]: Invalid data. Expected a dictionary, but got str.",
            "organizers[0].events[0].items[0] (Ticket): id: Product 7 belongs to another event.",
            "organizers[0].events[1] (other): slug: This slug has already been used for a different event.",
            "organizers[1] (bigevents): slug: An earlier entry of the document has this slug.",
            "organizers[2]: slug: This field is required.",
        ]
    );
}

#[pollster::test]
async fn a_document_that_is_not_an_object_or_of_another_version_is_refused() {
    let s = store(None, Claims::default());
    assert_eq!(
        errors(validate(&s, &reader(), &json!([])).await),
        ["document: Invalid data. Expected a dictionary, but got list."]
    );
    assert_eq!(
        errors(validate(&s, &reader(), &json!({"version": 2, "organizers": []})).await),
        ["document: version: Unsupported version: this Presale reads version 1."]
    );
}
