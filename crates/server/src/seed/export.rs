//! Stored organizers as fixture entries: each resource as the API shows it, keeping the fields
//! a document gives (no read-only ones), with every catalog id, so that seeding the document
//! into an empty database gives the same organizers. API tokens are written as the SHA-256
//! that is stored (`token_sha256`): the tokens themselves are not kept.

use super::fields::{writable::*, Fields, EVENT_READ_ONLY, HARDWARE, META_PROPERTY, SALES_CHANNEL};
use super::walk::ALL;
use presale_domain::access::{EventScope, Permission};
use presale_domain::event::{Event, EventFilter};
use presale_domain::imported_secret::SecretFilter;
use presale_domain::store::Repositories;
use presale_domain::values::WireDateTime;
use presale_domain::RepositoryError;
use presale_http_actix::fixture as api;
use serde::Serialize;
use serde_json::{Map, Value};

/// The fields `keys` of a rendered resource, in that order.
fn only<'k>(rendered: impl Serialize, keys: impl Fields<'k>) -> Map<String, Value> {
    // A body is a struct of plain fields: it always serializes to an object.
    let Ok(Value::Object(mut map)) = serde_json::to_value(rendered) else {
        return Map::new();
    };
    let kept = keys
        .names()
        .filter_map(|k| map.remove(k).map(|v| (k.to_owned(), v)));
    kept.collect()
}

/// The body's fields but `keys`, in its order.
fn except<'k>(rendered: impl Serialize, keys: impl Fields<'k>) -> Map<String, Value> {
    // A body is a struct of plain fields: it always serializes to an object.
    let Ok(Value::Object(mut map)) = serde_json::to_value(rendered) else {
        return Map::new();
    };
    map.retain(|k, _| !keys.has(k));
    map
}

/// Adds `key` unless the list is empty.
fn put_list(map: &mut Map<String, Value>, key: &str, list: Vec<Value>) {
    if !list.is_empty() {
        map.insert(key.into(), Value::Array(list));
    }
}

fn put_settings(map: &mut Map<String, Value>, values: Vec<(String, Value)>) {
    if !values.is_empty() {
        map.insert(
            "settings".into(),
            Value::Object(values.into_iter().collect()),
        );
    }
}

/// The fixture entry of the organizer with this slug; `None` if there is none.
pub(super) async fn organizer(
    tx: &dyn Repositories,
    slug: &str,
) -> Result<Option<Value>, RepositoryError> {
    let Some(o) = tx.organizers().find_by_slug(slug).await? else {
        return Ok(None);
    };
    let mut map = Map::new();
    map.insert("slug".into(), o.slug.as_str().into());
    map.insert("name".into(), o.name.clone().into());
    map.insert("plugins".into(), o.plugins.clone().into());
    put_settings(&mut map, tx.settings().organizer_values(o.id).await?);
    let meta = tx.meta_properties().all(o.id).await?;
    let meta = meta
        .iter()
        .map(|p| only(api::render_meta_property(p), META_PROPERTY));
    put_list(
        &mut map,
        "meta_properties",
        meta.map(Value::Object).collect(),
    );
    let channels = tx.sales_channels().all(o.id).await?;
    let channels = channels
        .iter()
        .map(|c| only(api::render_sales_channel(c), SALES_CHANNEL));
    put_list(
        &mut map,
        "sales_channels",
        channels.map(Value::Object).collect(),
    );
    let filter = EventFilter::new(EventScope::All, WireDateTime::now());
    let mut events = Vec::new();
    for e in tx.events().list(o.id, filter, ALL).await?.items {
        events.push(event(tx, &e, slug).await?);
    }
    put_list(&mut map, "events", events);
    let mut teams = Vec::new();
    for t in tx.teams().list(o.id, ALL).await?.items {
        let mut keys = vec!["name", "all_events", "limit_events"];
        keys.extend(Permission::ALL.iter().map(|p| p.name()));
        let mut team = only(api::render_team(&t), keys.as_slice());
        let mut tokens = Vec::new();
        for k in tx.tokens().list(t.team.id, ALL).await?.items {
            let mut token = only(api::render_token(&k), "name");
            if let Some(hash) = tx.tokens().hash(k.id).await? {
                token.insert("token_sha256".into(), hash.to_hex().into());
            }
            token.insert("active".into(), k.active.into());
            tokens.push(Value::Object(token));
        }
        put_list(&mut team, "tokens", tokens);
        teams.push(Value::Object(team));
    }
    put_list(&mut map, "teams", teams);
    let mut devices = Vec::new();
    for d in tx.devices().list(o.id, ALL).await?.items {
        let rendered = api::render_device(&d);
        let mut device = only(&rendered, DEVICE);
        if d.revoked {
            device.insert("revoked".into(), true.into());
        }
        if let Some(hash) = tx.devices().api_token_hash(d.id).await? {
            device.insert("api_token_sha256".into(), hash.to_hex().into());
            let reported = only(&rendered, HARDWARE).into_iter();
            device.extend(reported.filter(|(_, v)| !v.is_null()));
        }
        devices.push(Value::Object(device));
    }
    put_list(&mut map, "devices", devices);
    Ok(Some(Value::Object(map)))
}

async fn event(
    tx: &dyn Repositories,
    e: &Event,
    organizer: &str,
) -> Result<Value, RepositoryError> {
    let mut map = except(api::render_event(e, organizer), EVENT_READ_ONLY);
    put_settings(&mut map, tx.settings().event_values(e.id).await?);
    let mut items = Vec::new();
    for i in tx.items().all(e.id).await? {
        let mut item = only(api::render_item(&i), ITEM);
        let variations = i
            .variations
            .iter()
            .map(|v| Value::Object(only(api::render_variation(v), VARIATION)));
        put_list(&mut item, "variations", variations.collect());
        items.push(Value::Object(item));
    }
    put_list(&mut map, "items", items);
    let subevents = tx.subevents().list(e.id, vec![], ALL).await?.items;
    let subevents = subevents
        .iter()
        .map(|s| only(api::render_subevent(s, e), SUBEVENT));
    put_list(
        &mut map,
        "subevents",
        subevents.map(Value::Object).collect(),
    );
    let quotas = tx.quotas().list(e.id, vec![], ALL).await?.items;
    let quotas = quotas.iter().map(|q| only(api::render_quota(q), QUOTA));
    put_list(&mut map, "quotas", quotas.map(Value::Object).collect());
    let contents = tx.digital_contents().list(e.id, None, ALL).await?.items;
    let contents = contents
        .iter()
        .map(|c| only(api::render_digital_content(c), CONTENT));
    put_list(
        &mut map,
        "digital_contents",
        contents.map(Value::Object).collect(),
    );
    let secrets = tx
        .imported_secrets()
        .list(e.id, SecretFilter::default(), ALL)
        .await?;
    let secrets = secrets
        .items
        .iter()
        .map(|s| only(api::render_imported_secret(s), SECRET));
    put_list(
        &mut map,
        "imported_secrets",
        secrets.map(Value::Object).collect(),
    );
    Ok(Value::Object(map))
}
