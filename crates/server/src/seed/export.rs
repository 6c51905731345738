//! Stored organizers as a fixture document: the API's field names and shapes, only what a
//! seed writes (no read-only fields), with every catalog id, so that seeding the document
//! into an empty database gives the same organizers. API tokens are written as the SHA-256
//! that is stored (`token_sha256`): the tokens themselves are not kept.

use presale_domain::auth::{EventScope, Permission};
use presale_domain::seed::{EventSnapshot, OrganizerSnapshot, VERSION};
use serde_json::{json, Map, Value};

fn pairs(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn settings(values: &[(String, Value)]) -> Value {
    Value::Object(values.iter().cloned().collect())
}

/// Adds `key` unless the list is empty.
fn put_list(map: &mut Map<String, Value>, key: &str, list: Vec<Value>) {
    if !list.is_empty() {
        map.insert(key.into(), Value::Array(list));
    }
}

fn event(e: &EventSnapshot) -> Value {
    let d = &e.event.data;
    let mut map = match json!({
        "name": d.name,
        "slug": d.slug.as_str(),
        "live": d.live,
        "testmode": d.testmode,
        "currency": d.currency.code(),
        "date_from": d.date_from,
        "date_to": d.date_to,
        "date_admission": d.date_admission,
        "is_public": d.is_public,
        "presale_start": d.presale_start,
        "presale_end": d.presale_end,
        "location": d.location,
        "geo_lat": d.geo_lat,
        "geo_lon": d.geo_lon,
        "has_subevents": d.has_subevents,
        "meta_data": pairs(&d.meta_data),
        "plugins": d.plugins,
        "timezone": d.timezone.name(),
        "item_meta_properties": pairs(&d.item_meta_properties),
        "all_sales_channels": d.all_sales_channels,
        "limit_sales_channels": d.limit_sales_channels,
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if !e.settings.is_empty() {
        map.insert("settings".into(), settings(&e.settings));
    }
    let items = e
        .items
        .iter()
        .map(|i| {
            let mut item = json!({
                "id": i.id.0,
                "name": i.fields.name,
                "default_price": i.fields.default_price.to_string(),
                "active": i.fields.active,
                "description": i.fields.description,
                "admission": i.fields.admission,
                "position": i.fields.position,
            });
            let variations: Vec<Value> = i
                .variations
                .iter()
                .map(|v| {
                    json!({
                        "id": v.id.0,
                        "value": v.fields.value,
                        "default_price": v.fields.default_price.map(|p| p.to_string()),
                        "active": v.fields.active,
                        "position": v.fields.position,
                    })
                })
                .collect();
            if let Value::Object(m) = &mut item {
                put_list(m, "variations", variations);
            }
            item
        })
        .collect();
    put_list(&mut map, "items", items);
    let subevents = e
        .subevents
        .iter()
        .map(|s| {
            json!({
                "id": s.id.0,
                "name": s.data.name,
                "active": s.data.active,
                "date_from": s.data.date_from,
                "date_to": s.data.date_to,
                "presale_start": s.data.presale_start,
                "presale_end": s.data.presale_end,
                "location": s.data.location,
            })
        })
        .collect();
    put_list(&mut map, "subevents", subevents);
    let quotas = e
        .quotas
        .iter()
        .map(|q| {
            json!({
                "id": q.id.0,
                "name": q.data.name,
                "size": q.data.size,
                "items": q.data.items,
                "variations": q.data.variations,
                "subevent": q.data.subevent.map(|s| s.0),
            })
        })
        .collect();
    put_list(&mut map, "quotas", quotas);
    let contents = e
        .digital_contents
        .iter()
        .map(|c| {
            let d = &c.data;
            json!({
                "id": c.id.0,
                "subevent": d.subevent.map(|s| s.0),
                "title": d.title,
                "content_type": d.content_type.as_str(),
                "url": d.url,
                "description": d.description,
                "all_products": d.all_products,
                "limit_products": d.limit_products,
                "available_from": d.available_from,
                "available_until": d.available_until,
                "position": d.position,
            })
        })
        .collect();
    put_list(&mut map, "digital_contents", contents);
    let secrets = e
        .imported_secrets
        .iter()
        .map(|s| {
            json!({
                "secret": s.data.secret,
                "used": s.data.used,
                "item": s.data.item.map(|i| i.0),
                "variation": s.data.variation.map(|v| v.0),
                "subevent": s.data.subevent.map(|x| x.0),
            })
        })
        .collect();
    put_list(&mut map, "imported_secrets", secrets);
    Value::Object(map)
}

fn organizer(s: &OrganizerSnapshot) -> Value {
    let mut map = Map::new();
    map.insert("slug".into(), s.organizer.slug.as_str().into());
    map.insert("name".into(), s.organizer.name.clone().into());
    map.insert("plugins".into(), json!(s.organizer.plugins));
    if !s.settings.is_empty() {
        map.insert("settings".into(), settings(&s.settings));
    }
    let meta = s
        .meta_properties
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "default": p.default,
                "required": p.required,
                "allowed_values": p.allowed_values,
                "protected": p.protected,
                "filter_allowed": p.filter_allowed,
            })
        })
        .collect();
    put_list(&mut map, "meta_properties", meta);
    let channels = s
        .sales_channels
        .iter()
        .map(|c| {
            json!({
                "identifier": c.identifier,
                "label": c.label,
                "type": c.kind,
                "position": c.position,
            })
        })
        .collect();
    put_list(&mut map, "sales_channels", channels);
    put_list(&mut map, "events", s.events.iter().map(event).collect());
    let teams = s
        .teams
        .iter()
        .map(|t| {
            let mut team = Map::new();
            team.insert("name".into(), t.team.team.name.clone().into());
            team.insert(
                "all_events".into(),
                (t.team.team.events == EventScope::All).into(),
            );
            team.insert("limit_events".into(), json!(t.team.limit_events));
            for p in Permission::ALL {
                team.insert(p.name().into(), t.team.team.permissions.contains(p).into());
            }
            let tokens = t
                .tokens
                .iter()
                .map(|k| {
                    json!({
                        "name": k.token.name,
                        "token_sha256": k.hash.to_hex(),
                        "active": k.token.active,
                    })
                })
                .collect();
            put_list(&mut team, "tokens", tokens);
            Value::Object(team)
        })
        .collect();
    put_list(&mut map, "teams", teams);
    let devices = s
        .devices
        .iter()
        .map(|d| {
            let device = &d.device;
            let mut m = Map::new();
            m.insert("device_id".into(), device.device_id.into());
            m.insert("name".into(), device.name.clone().into());
            m.insert("all_events".into(), device.all_events.into());
            let limit: Vec<&str> = device
                .limit_events
                .iter()
                .map(|e| e.slug.as_str())
                .collect();
            m.insert("limit_events".into(), json!(limit));
            m.insert(
                "security_profile".into(),
                device.security_profile.clone().into(),
            );
            m.insert("unique_serial".into(), device.unique_serial.clone().into());
            m.insert(
                "initialization_token".into(),
                device.initialization_token.clone().into(),
            );
            if device.revoked {
                m.insert("revoked".into(), true.into());
            }
            if let Some(hash) = d.api_token {
                m.insert("api_token_sha256".into(), hash.to_hex().into());
                let h = &device.hardware;
                for (key, value) in [
                    ("hardware_brand", &h.hardware_brand),
                    ("hardware_model", &h.hardware_model),
                    ("os_name", &h.os_name),
                    ("os_version", &h.os_version),
                    ("software_brand", &h.software_brand),
                    ("software_version", &h.software_version),
                ] {
                    if let Some(v) = value {
                        m.insert(key.into(), v.clone().into());
                    }
                }
            }
            Value::Object(m)
        })
        .collect();
    put_list(&mut map, "devices", devices);
    Value::Object(map)
}

/// The fixture document of these organizers.
pub fn render(snapshots: &[OrganizerSnapshot]) -> Value {
    json!({
        "version": VERSION,
        "organizers": snapshots.iter().map(organizer).collect::<Vec<_>>(),
    })
}
