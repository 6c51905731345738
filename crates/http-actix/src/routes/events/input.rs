//! Event request bodies → `EventChanges`, field by field, with pretix's messages.

use crate::fields::{
    boolean, datetime, float_in, i18n, string, string_list, string_map, FieldReader, NOT_NULL,
};
use presale_domain::event::EventChanges;
use presale_domain::validation::FieldErrors;
use presale_domain::values::{Currency, Slug, TimeZone};
use serde_json::{Map, Value};

const NO_SEATING: &str = "Reserved seating is not supported by this server.";

fn slug(value: &Value) -> Result<Slug, String> {
    let s = string(value, false)?;
    Slug::parse_event(&s).map_err(|e| e.to_string())
}

fn currency(value: &Value) -> Result<Currency, String> {
    Currency::parse(&string(value, true)?).map_err(|e| e.to_string())
}

fn timezone(value: &Value) -> Result<TimeZone, String> {
    TimeZone::parse(&string(value, true)?).map_err(|e| e.to_string())
}

/// Reserved seating is out of scope: only "no seating" is accepted.
fn no_seating(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Object(m) if m.is_empty() => Ok(()),
        _ => Err(NO_SEATING.into()),
    }
}

fn required_datetime(v: &Value) -> Result<presale_domain::values::WireDateTime, String> {
    datetime(v, false)?.ok_or_else(|| NOT_NULL.to_owned())
}

fn required_i18n(v: &Value) -> Result<presale_domain::values::I18nString, String> {
    i18n(v, false)?.ok_or_else(|| NOT_NULL.to_owned())
}

/// Parses every writable field that was sent; read-only fields are ignored.
pub(crate) fn event_changes(body: &Map<String, Value>) -> (EventChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = EventChanges {
        name: r.read("name", required_i18n),
        slug: r.read("slug", slug),
        live: r.read("live", boolean),
        testmode: r.read("testmode", boolean),
        currency: r.read("currency", currency),
        date_from: r.read("date_from", required_datetime),
        date_to: r.read("date_to", |v| datetime(v, true)),
        date_admission: r.read("date_admission", |v| datetime(v, true)),
        is_public: r.read("is_public", boolean),
        presale_start: r.read("presale_start", |v| datetime(v, true)),
        presale_end: r.read("presale_end", |v| datetime(v, true)),
        location: r.read("location", |v| i18n(v, true)),
        geo_lat: r.read("geo_lat", |v| float_in(v, -90.0, 90.0)),
        geo_lon: r.read("geo_lon", |v| float_in(v, -180.0, 180.0)),
        has_subevents: r.read("has_subevents", boolean),
        meta_data: r.read("meta_data", string_map),
        plugins: {
            r.read("seating_plan", no_seating);
            r.read("plugins", string_list)
        },
        timezone: {
            r.read("seat_category_mapping", no_seating);
            r.read("timezone", timezone)
        },
        item_meta_properties: r.read("item_meta_properties", string_map),
        all_sales_channels: r.read("all_sales_channels", boolean),
        limit_sales_channels: r.read("limit_sales_channels", string_list),
        sales_channels: r.read("sales_channels", string_list),
    };
    (changes, r.errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(body: Value) -> Vec<(String, String)> {
        let Value::Object(map) = body else {
            panic!("object")
        };
        let (_, errors) = event_changes(&map);
        errors
            .iter()
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
            .collect()
    }

    #[test]
    fn each_field_reports_its_own_error() {
        let got = errors(json!({
            "name": 5, "slug": "-x", "live": "maybe", "currency": "XYZ", "date_from": "2017",
            "geo_lat": 100, "geo_lon": "a", "has_subevents": null, "timezone": "Foo/Bar",
            "seating_plan": 3, "plugins": "x"
        }));
        let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "slug",
                "live",
                "currency",
                "date_from",
                "geo_lat",
                "geo_lon",
                "has_subevents",
                "seating_plan",
                "plugins",
                "timezone"
            ]
        );
        assert_eq!(got[8].1, NO_SEATING);
    }

    #[test]
    fn seating_accepts_null_and_empty_object() {
        assert!(errors(json!({"seating_plan": null, "seat_category_mapping": {}})).is_empty());
        assert_eq!(
            errors(json!({"seat_category_mapping": {"a": 1}}))[0].0,
            "seat_category_mapping"
        );
    }
}
