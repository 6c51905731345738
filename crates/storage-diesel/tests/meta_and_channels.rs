//! Contract tests of the meta property and sales channel ports on both backends: ordering,
//! conflicts on duplicates, organizer isolation, and what a delete takes with it.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::meta::{MetaProperty, MetaPropertyFields, MetaPropertyRepository};

use presale_domain::ids::MetaPropertyId;
use presale_domain::ids::OrganizerId;
use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::pagination::Window;
use presale_domain::sales_channel::{SalesChannel, SalesChannelFields, SalesChannelRepository};
use presale_domain::values::{I18nString, Slug};
use presale_domain::RepositoryError;
use presale_storage_diesel::Database;
use serde_json::json;
use support::{count, execute, insert_event, query_texts, raw_conn};

on_both_backends! {
    meta_properties_create_find_and_list => meta_list_sqlite, meta_list_postgres;
    meta_properties_conflicts_and_updates => meta_update_sqlite, meta_update_postgres;
    meta_properties_delete_takes_event_values => meta_delete_sqlite, meta_delete_postgres;
    sales_channels_start_with_web_and_order => channels_list_sqlite, channels_list_postgres;
    sales_channels_conflicts_and_updates => channels_update_sqlite, channels_update_postgres;
    sales_channels_delete_leaves_limit_lists => channels_delete_sqlite, channels_delete_postgres;
}

async fn organizer(db: &Database, s: &str) -> Organizer {
    OrganizerRepository::create(db, Slug::parse(s).unwrap(), s)
        .await
        .expect("organizer created")
}

fn window(offset: u64, limit: u64) -> Window {
    Window { offset, limit }
}

fn property(name: &str, allowed: Option<&[&str]>) -> MetaPropertyFields {
    MetaPropertyFields {
        name: name.into(),
        default: String::new(),
        required: false,
        allowed_values: allowed.map(|a| a.iter().map(|s| s.to_string()).collect()),
        protected: false,
        filter_allowed: true,
    }
}

async fn create_property(db: &Database, o: OrganizerId, f: MetaPropertyFields) -> MetaProperty {
    MetaPropertyRepository::create(db, o, f)
        .await
        .expect("property created")
}

fn names(items: &[MetaProperty]) -> Vec<&str> {
    items.iter().map(|p| p.name.as_str()).collect()
}

async fn meta_properties_create_find_and_list(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    let mut full = property("Type", Some(&["x", "y"]));
    full.default = "x".into();
    full.required = true;
    full.protected = true;
    full.filter_allowed = false;
    let t = create_property(db, a.id, full.clone()).await;
    assert_eq!(
        t,
        MetaProperty {
            id: t.id,
            organizer: a.id,
            name: "Type".into(),
            default: "x".into(),
            required: true,
            allowed_values: Some(vec!["x".into(), "y".into()]),
            protected: true,
            filter_allowed: false,
        }
    );
    let c = create_property(db, a.id, property("Color", None)).await;
    let z = create_property(db, a.id, property("Area", None)).await;
    create_property(db, b.id, property("Type", None)).await;

    // Stored as a JSON list, NULL for none.
    let mut conn = raw_conn(db);
    assert_eq!(
        query_texts(
            &mut conn,
            &format!(
                "SELECT allowed_values AS v FROM meta_properties WHERE id = {}",
                t.id.0
            )
        ),
        vec![r#"["x","y"]"#.to_owned()]
    );
    assert_eq!(
        count(
            &mut conn,
            "meta_properties",
            &format!("id = {} AND allowed_values IS NULL", c.id.0)
        ),
        1
    );

    let page = MetaPropertyRepository::list(db, a.id, window(0, 50))
        .await
        .unwrap();
    assert_eq!(
        (page.total, names(&page.items)),
        (3, vec!["Type", "Color", "Area"])
    );
    let page = MetaPropertyRepository::list(db, a.id, window(1, 1))
        .await
        .unwrap();
    assert_eq!((page.total, names(&page.items)), (3, vec!["Color"]));
    let all = MetaPropertyRepository::all(db, a.id).await.unwrap();
    assert_eq!(names(&all), vec!["Area", "Color", "Type"]);

    assert_eq!(
        MetaPropertyRepository::find(db, a.id, z.id).await,
        Ok(Some(z.clone()))
    );
    assert_eq!(MetaPropertyRepository::find(db, b.id, z.id).await, Ok(None));
    assert_eq!(
        MetaPropertyRepository::find(db, a.id, MetaPropertyId(9999)).await,
        Ok(None)
    );
}

async fn meta_properties_conflicts_and_updates(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    let color = create_property(db, a.id, property("Color", Some(&["red"]))).await;
    let size = create_property(db, a.id, property("Size", None)).await;
    assert!(matches!(
        MetaPropertyRepository::create(db, a.id, property("Color", None)).await,
        Err(RepositoryError::Conflict(_))
    ));
    // The same name in another organizer is fine.
    create_property(db, b.id, property("Color", None)).await;

    let mut changed = property("Colour", None);
    changed.default = "blue".into();
    changed.required = true;
    let updated = MetaPropertyRepository::update(db, a.id, color.id, changed)
        .await
        .unwrap();
    assert_eq!(
        updated,
        Some(MetaProperty {
            id: color.id,
            organizer: a.id,
            name: "Colour".into(),
            default: "blue".into(),
            required: true,
            allowed_values: None,
            protected: false,
            filter_allowed: true,
        })
    );
    assert_eq!(
        MetaPropertyRepository::find(db, a.id, color.id).await,
        Ok(updated)
    );
    assert!(matches!(
        MetaPropertyRepository::update(db, a.id, size.id, property("Colour", None)).await,
        Err(RepositoryError::Conflict(_))
    ));
    assert_eq!(
        MetaPropertyRepository::find(db, a.id, size.id)
            .await
            .map(|p| p.map(|p| p.name)),
        Ok(Some("Size".to_owned()))
    );
    // Another organizer's id is not found, and nothing changes.
    assert_eq!(
        MetaPropertyRepository::update(db, b.id, size.id, property("Stolen", None)).await,
        Ok(None)
    );
    assert_eq!(
        MetaPropertyRepository::update(db, a.id, MetaPropertyId(9999), property("X", None)).await,
        Ok(None)
    );
}

async fn meta_properties_delete_takes_event_values(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    let color = create_property(db, a.id, property("Color", None)).await;
    let size = create_property(db, a.id, property("Size", None)).await;
    let mut conn = raw_conn(db);
    let event = insert_event(&mut conn, a.id, "conf");
    execute(
        &mut conn,
        &format!(
            "INSERT INTO event_meta_values (event_id, property_id, value) VALUES ({e}, {c}, 'red'), ({e}, {s}, 'L')",
            e = event.0,
            c = color.id.0,
            s = size.id.0
        ),
    );
    assert_eq!(
        MetaPropertyRepository::delete(db, b.id, color.id).await,
        Ok(false)
    );
    assert_eq!(
        MetaPropertyRepository::delete(db, a.id, color.id).await,
        Ok(true)
    );
    assert_eq!(
        MetaPropertyRepository::delete(db, a.id, color.id).await,
        Ok(false)
    );
    assert_eq!(
        count(
            &mut conn,
            "event_meta_values",
            &format!("property_id = {}", color.id.0)
        ),
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "event_meta_values",
            &format!("property_id = {}", size.id.0)
        ),
        1
    );
    assert_eq!(
        MetaPropertyRepository::find(db, a.id, color.id).await,
        Ok(None)
    );
}

fn channel(identifier: &str, label: &str, position: i64) -> SalesChannelFields {
    SalesChannelFields {
        identifier: identifier.into(),
        label: I18nString::english(label),
        kind: "api".into(),
        position,
    }
}

fn identifiers(items: &[SalesChannel]) -> Vec<&str> {
    items.iter().map(|c| c.identifier.as_str()).collect()
}

async fn sales_channels_start_with_web_and_order(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    let web = SalesChannelRepository::find(db, a.id, "web").await.unwrap();
    assert_eq!(
        web,
        Some(SalesChannel {
            organizer: a.id,
            identifier: "web".into(),
            label: I18nString::english("Online shop"),
            kind: "web".into(),
            position: 0,
        })
    );
    for (identifier, position) in [("api.b", 2), ("api.a", 2), ("api.c", 0), ("api.z", 1)] {
        SalesChannelRepository::create(db, a.id, channel(identifier, "L", position))
            .await
            .unwrap();
    }
    SalesChannelRepository::create(db, b.id, channel("api.other", "L", 0))
        .await
        .unwrap();

    let page = SalesChannelRepository::list(db, a.id, window(0, 50))
        .await
        .unwrap();
    assert_eq!(
        (page.total, identifiers(&page.items)),
        (5, vec!["api.c", "web", "api.z", "api.a", "api.b"])
    );
    let page = SalesChannelRepository::list(db, a.id, window(2, 2))
        .await
        .unwrap();
    assert_eq!(
        (page.total, identifiers(&page.items)),
        (5, vec!["api.z", "api.a"])
    );
    let all = SalesChannelRepository::all(db, a.id).await.unwrap();
    assert_eq!(
        identifiers(&all),
        vec!["api.c", "web", "api.z", "api.a", "api.b"]
    );
    assert_eq!(
        SalesChannelRepository::find(db, a.id, "api.other").await,
        Ok(None)
    );
    assert_eq!(
        SalesChannelRepository::find(db, a.id, "nope").await,
        Ok(None)
    );
}

async fn sales_channels_conflicts_and_updates(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    let label = I18nString::from_json(&json!({"de": "Kasse", "en": "Box office"})).unwrap();
    let created = SalesChannelRepository::create(
        db,
        a.id,
        SalesChannelFields {
            label: label.clone(),
            ..channel("api.box", "", 3)
        },
    )
    .await
    .unwrap();
    assert_eq!(created.label, label);
    let mut conn = raw_conn(db);
    assert_eq!(
        query_texts(
            &mut conn,
            "SELECT label AS v FROM sales_channels WHERE identifier = 'api.box'"
        ),
        vec![r#"{"de":"Kasse","en":"Box office"}"#.to_owned()]
    );
    assert!(matches!(
        SalesChannelRepository::create(db, a.id, channel("api.box", "again", 0)).await,
        Err(RepositoryError::Conflict(_))
    ));
    assert!(matches!(
        SalesChannelRepository::create(db, a.id, channel("web", "again", 0)).await,
        Err(RepositoryError::Conflict(_))
    ));
    SalesChannelRepository::create(db, b.id, channel("api.box", "other", 0))
        .await
        .unwrap();

    // The identifier in the fields is ignored: channels are addressed by the stored one.
    let updated = SalesChannelRepository::update(
        db,
        a.id,
        "web",
        SalesChannelFields {
            kind: "web".into(),
            ..channel("ignored", "Shop", 7)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        updated,
        Some(SalesChannel {
            organizer: a.id,
            identifier: "web".into(),
            label: I18nString::english("Shop"),
            kind: "web".into(),
            position: 7,
        })
    );
    assert_eq!(
        SalesChannelRepository::find(db, a.id, "web").await,
        Ok(updated)
    );
    assert_eq!(
        SalesChannelRepository::find(db, a.id, "ignored").await,
        Ok(None)
    );
    assert_eq!(
        SalesChannelRepository::update(db, a.id, "nope", channel("nope", "x", 0)).await,
        Ok(None)
    );
    // The other organizer's channel of the same identifier is untouched.
    assert_eq!(
        SalesChannelRepository::find(db, b.id, "api.box")
            .await
            .map(|c| c.map(|c| c.label)),
        Ok(Some(I18nString::english("other")))
    );
}

async fn sales_channels_delete_leaves_limit_lists(db: &Database) {
    let a = organizer(db, "a").await;
    let b = organizer(db, "b").await;
    SalesChannelRepository::create(db, a.id, channel("api.box", "Box", 0))
        .await
        .unwrap();
    SalesChannelRepository::create(db, b.id, channel("api.box", "Box", 0))
        .await
        .unwrap();
    let mut conn = raw_conn(db);
    let event = insert_event(&mut conn, a.id, "conf");
    execute(
        &mut conn,
        &format!(
            "INSERT INTO event_sales_channels (event_id, channel_id) \
             SELECT {}, id FROM sales_channels WHERE organizer_id = {}",
            event.0, a.id.0
        ),
    );
    assert_eq!(
        count(
            &mut conn,
            "event_sales_channels",
            &format!("event_id = {}", event.0)
        ),
        2
    );
    assert_eq!(
        SalesChannelRepository::delete(db, a.id, "api.box").await,
        Ok(true)
    );
    assert_eq!(
        SalesChannelRepository::delete(db, a.id, "api.box").await,
        Ok(false)
    );
    assert_eq!(
        SalesChannelRepository::delete(db, a.id, "nope").await,
        Ok(false)
    );
    assert_eq!(
        count(
            &mut conn,
            "event_sales_channels",
            &format!("event_id = {}", event.0)
        ),
        1
    );
    assert_eq!(
        SalesChannelRepository::find(db, a.id, "api.box").await,
        Ok(None)
    );
    assert!(SalesChannelRepository::find(db, b.id, "api.box")
        .await
        .unwrap()
        .is_some());
}
