//! The walk on a real (SQLite) database: what a document writes, and how refused entries are
//! reported.

use super::walk::walk;
use super::{check_fixed_token, EntryError};
use presale_domain::access::TokenHash;
use presale_domain::ids::ItemId;
use presale_domain::store::{Repositories, Store};
use presale_storage_diesel::testdb::TestDatabase;
use presale_storage_diesel::{Database, PoolOptions};
use serde_json::{json, Value};

fn database() -> (TestDatabase, Database) {
    let test_db = TestDatabase::sqlite().expect("a SQLite test database");
    let db = Database::open(test_db.url().clone(), PoolOptions::default()).expect("opens");
    (test_db, db)
}

/// Walks `document` in a transaction, committed when nothing was refused.
async fn seed(db: &Database, document: Value) -> Vec<String> {
    let tx = db.begin().await.unwrap();
    let (_, errors) = walk(tx.as_ref(), &document).await.unwrap();
    if errors.is_empty() {
        tx.commit().await.unwrap();
    }
    errors.iter().map(EntryError::to_string).collect()
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
    assert_eq!(TokenHash::from_hex(&hash.to_hex()), Some(hash));
    assert_eq!(TokenHash::from_hex(&hash.to_hex().to_uppercase()), None);
    assert_eq!(TokenHash::from_hex("abc"), None);
}

#[tokio::test]
async fn a_new_organizer_gets_new_rows_and_the_given_ids() {
    let (_t, db) = database();
    let document = json!({"version": 1, "organizers": [{"slug": "bigevents", "name": "Big Events",
        "events": [{"name": "Conference", "slug": "conf", "date_from": "2030-01-01T00:00:00Z",
                    "items": [{"id": 7, "name": "Ticket", "default_price": "10.00"},
                              {"name": "Shirt", "default_price": "5.00"}]}],
        "teams": [{"name": "API", "limit_events": [], "tokens": [{"name": "ci", "token": "ci-token-000000000001"}]}]}]});
    assert_eq!(seed(&db, document).await, Vec::<String>::new());
    let org = db
        .organizers()
        .find_by_slug("bigevents")
        .await
        .unwrap()
        .unwrap();
    let event = db
        .events()
        .find_by_slug(org.id, "conf")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.data.plugins.len(), 4, "the API's default plugins");
    let channels = db.sales_channels().all(org.id).await.unwrap();
    let identifiers: Vec<&str> = channels.iter().map(|c| c.identifier.as_str()).collect();
    assert_eq!(identifiers, ["web"], "web is created with the organizer");
    let items = db.items().all(event.id).await.unwrap();
    let ids: Vec<ItemId> = items.iter().map(|i| i.id).collect();
    assert_eq!(ids, [ItemId(7), ItemId(8)], "no id given: the next one");
    let (token, team) = db
        .tokens()
        .find_by_hash(TokenHash::of("ci-token-000000000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((token.name.as_str(), token.active), ("ci", true));
    assert_eq!((team.organizer, team.name.as_str()), (org.id, "API"));
}

#[tokio::test]
async fn stored_rows_are_matched_by_natural_key_and_replaced() {
    let (_t, db) = database();
    let first = json!({"organizers": [{"slug": "bigevents", "name": "Big Events",
        "events": [{"name": "Conference", "slug": "conf", "date_from": "2030-01-01T00:00:00Z"}],
        "teams": [{"name": "API", "limit_events": [], "tokens": [{"name": "ci", "token": "ci-token-000000000001"}]}]}]});
    assert_eq!(seed(&db, first).await, Vec::<String>::new());
    let org = db
        .organizers()
        .find_by_slug("bigevents")
        .await
        .unwrap()
        .unwrap();
    let event = db
        .events()
        .find_by_slug(org.id, "conf")
        .await
        .unwrap()
        .unwrap();
    let hash = TokenHash::of("ci-token-000000000001");
    let (token, team) = db.tokens().find_by_hash(hash).await.unwrap().unwrap();

    let again = json!({"organizers": [{"slug": "bigevents", "name": "Renamed",
        "events": [{"name": "Conference 2031", "slug": "conf", "date_from": "2031-01-01T00:00:00Z"}],
        "teams": [{"name": "API", "limit_events": [], "tokens": [{"name": "renamed", "token": "ci-token-000000000001"}]}]}]});
    assert_eq!(seed(&db, again).await, Vec::<String>::new());
    let renamed = db
        .organizers()
        .find_by_slug("bigevents")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (org.id, "Renamed"));
    let replaced = db
        .events()
        .find_by_slug(org.id, "conf")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.id, event.id);
    assert_eq!(
        replaced.data.name.to_json(),
        json!({"en": "Conference 2031"})
    );
    let (moved, same_team) = db.tokens().find_by_hash(hash).await.unwrap().unwrap();
    assert_eq!((moved.id, moved.name.as_str()), (token.id, "renamed"));
    assert_eq!(same_team.id, team.id);
}

#[tokio::test]
async fn every_refused_entry_is_reported_with_its_path_and_nothing_is_written() {
    let (_t, db) = database();
    let other = json!({"organizers": [{"slug": "other", "name": "Other",
        "events": [{"name": "O", "slug": "o", "date_from": "2030-01-01T00:00:00Z",
                    "items": [{"id": 7, "name": "Taken", "default_price": "1.00"}]}]}]});
    assert_eq!(seed(&db, other).await, Vec::<String>::new());
    let document = json!({"organizers": [
        {"slug": "bigevents", "name": "Big Events", "colour": "red",
         "events": [{"name": "A", "slug": "other", "date_from": "2030-01-01T00:00:00Z",
                     "items": [{"id": 7, "name": "Ticket", "default_price": "1.00"}]},
                    {"name": "B", "slug": "other", "date_from": "2030-01-01T00:00:00Z"},
                    "not an object"]},
        {"slug": "bigevents", "name": "Again"},
        {"name": "No slug"}]});
    assert_eq!(
        seed(&db, document).await,
        [
            "organizers[0] (bigevents): colour: Unknown field.",
            "organizers[0].events[2]: Invalid data. Expected a dictionary, but got str.",
            "organizers[0].events[0].items[0] (Ticket): id: Product 7 belongs to another event.",
            "organizers[0].events[1] (other): slug: This slug has already been used for a different event.",
            "organizers[1] (bigevents): slug: An earlier entry of the document has this slug.",
            "organizers[2]: slug: This field is required.",
        ]
    );
    assert_eq!(
        db.organizers().find_by_slug("bigevents").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_document_that_is_not_an_object_or_of_another_version_is_refused() {
    let (_t, db) = database();
    assert_eq!(
        seed(&db, json!([])).await,
        ["document: Invalid data. Expected a dictionary, but got list."]
    );
    assert_eq!(
        seed(&db, json!({"version": 2, "organizers": []})).await,
        ["document: version: Unsupported version: this Presale reads version 1."]
    );
}

#[tokio::test]
async fn ids_and_device_credentials_are_checked_against_what_the_transaction_holds() {
    let (_t, db) = database();
    let event = |slug: &str, items: Value| json!({"name": "E", "slug": slug, "date_from": "2030-01-01T00:00:00Z", "items": items});
    let shirt = json!([{"id": 10, "name": "Shirt", "default_price": "5.00",
        "variations": [{"id": 20, "value": "S"}]}]);
    let first = json!({"organizers": [{"slug": "o", "name": "O", "events": [event("a", shirt)],
        "devices": [{"device_id": 1, "name": "Scanner", "limit_events": [],
                     "unique_serial": "SERIAL0000000001", "initialization_token": "init-token-000000001"}]}]});
    assert_eq!(seed(&db, first).await, Vec::<String>::new());
    let document = json!({"organizers": [{"slug": "o", "name": "O",
        "events": [event("b", json!([
            {"id": 11, "name": "Cap", "default_price": "1.00",
             "variations": [{"id": 20, "value": "M"}]},
            {"id": 11, "name": "Again", "default_price": "1.00"}]))],
        "devices": [
            {"device_id": 1, "name": "Scanner", "limit_events": [], "unique_serial": "SERIAL0000000002"},
            {"device_id": 2, "name": "Box", "limit_events": [], "initialization_token": "init-token-000000001"},
            {"device_id": 3, "name": "Gate", "limit_events": [], "api_token": "device-token-00000001"},
            {"device_id": 4, "name": "Door", "limit_events": [], "api_token": "device-token-00000001"}]}]});
    assert_eq!(
        seed(&db, document).await,
        [
            "organizers[0].events[0].items[0].variations[0] (M): id: Variation 20 belongs to another product.",
            "organizers[0].events[0].items[1] (Again): id: This id is used by an earlier entry of the document.",
            "organizers[0].devices[0] (Scanner): unique_serial: A device's serial cannot be changed.",
            "organizers[0].devices[1] (Box): initialization_token: This token is used by another device.",
            "organizers[0].devices[3] (Door): api_token: This token is used by another device.",
        ]
    );
    let org = db.organizers().find_by_slug("o").await.unwrap().unwrap();
    assert_eq!(
        db.events().find_by_slug(org.id, "b").await.unwrap(),
        None,
        "nothing written"
    );
}
