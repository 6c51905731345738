//! An event on the wire, field by field: response bodies (events → JSON, fields in pretix's
//! order, serialized straight into the body) and request bodies (→ `EventChanges`, with
//! pretix's messages). A new event field is written here twice, once each way.

use crate::fields::{
    boolean, datetime, float_in, i18n, required_datetime, required_i18n, string, string_list,
    string_map, FieldReader,
};
use presale_domain::event::{Event, EventChanges, SEATING_UNSUPPORTED};
use presale_domain::validation::FieldErrors;
use presale_domain::values::{Currency, I18nString, Slug, TimeZone, WireDateTime};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Where an event is shown, which decides the optional fields.
pub(super) struct View<'a> {
    pub base_url: &'a str,
    pub organizer_slug: &'a str,
    /// Every sales channel identifier of the organizer, sorted (for the legacy field).
    pub organizer_channels: &'a [String],
    /// Detail, update and clone responses show `valid_keys`.
    pub with_keys: bool,
    /// `?with_availability_for=` was given.
    pub with_availability: bool,
}

/// Key/value pairs written as a JSON object, in their order.
struct Pairs<'a>(&'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `{"pretix_sig1": ["<key>"]}`.
#[derive(Serialize, ToSchema)]
#[schema(as = ValidKeys)]
struct ValidKeys<'a> {
    pretix_sig1: [&'a str; 1],
}

// Borrows from the event and the view: serialized straight into the response body, with no
// intermediate JSON tree.
/// An event, fields in pretix's order: `valid_keys` only in the answer of a detail, update
/// or clone, `best_availability_state` only in a list asked `with_availability_for`.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub(super) struct Body<'a> {
    #[schema(value_type = crate::openapi::I18n)]
    name: &'a I18nString,
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$"
    )]
    slug: &'a str,
    live: bool,
    testmode: bool,
    currency: &'a str,
    #[schema(value_type = String, format = DateTime)]
    date_from: WireDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    date_to: Option<WireDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    date_admission: Option<WireDateTime>,
    is_public: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    presale_start: Option<WireDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    presale_end: Option<WireDateTime>,
    #[schema(value_type = Option<crate::openapi::I18n>)]
    location: Option<&'a I18nString>,
    geo_lat: Option<f64>,
    geo_lon: Option<f64>,
    has_subevents: bool,
    #[schema(value_type = std::collections::HashMap<String, String>)]
    meta_data: Pairs<'a>,
    seating_plan: Option<u8>,
    plugins: &'a [String],
    #[schema(value_type = std::collections::HashMap<String, String>)]
    seat_category_mapping: Pairs<'static>,
    timezone: &'a str,
    #[schema(value_type = std::collections::HashMap<String, String>)]
    item_meta_properties: Pairs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(read_only, required = false)]
    valid_keys: Option<ValidKeys<'a>>,
    all_sales_channels: bool,
    limit_sales_channels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(read_only, required = false, value_type = Option<i32>)]
    best_availability_state: Option<Option<u8>>,
    #[schema(read_only)]
    public_url: String,
    sales_channels: &'a [String],
}

pub(super) fn render<'a>(
    event: &'a Event,
    view: &'a View<'_>,
    availability: Option<u8>,
) -> Body<'a> {
    let d = &event.data;
    Body {
        name: &d.name,
        slug: d.slug.as_str(),
        live: d.live,
        testmode: d.testmode,
        currency: d.currency.code(),
        date_from: d.date_from,
        date_to: d.date_to,
        date_admission: d.date_admission,
        is_public: d.is_public,
        presale_start: d.presale_start,
        presale_end: d.presale_end,
        location: d.location.as_ref(),
        geo_lat: d.geo_lat,
        geo_lon: d.geo_lon,
        has_subevents: d.has_subevents,
        meta_data: Pairs(&d.meta_data),
        seating_plan: None,
        plugins: &d.plugins,
        seat_category_mapping: Pairs(&[]),
        timezone: d.timezone.name(),
        item_meta_properties: Pairs(&d.item_meta_properties),
        valid_keys: view.with_keys.then_some(ValidKeys {
            pretix_sig1: [event.public_key.as_str()],
        }),
        all_sales_channels: d.all_sales_channels,
        limit_sales_channels: &d.limit_sales_channels,
        best_availability_state: view.with_availability.then_some(availability),
        public_url: format!("{}/{}/{}/", view.base_url, view.organizer_slug, d.slug),
        sales_channels: if d.all_sales_channels {
            view.organizer_channels
        } else {
            &d.limit_sales_channels
        },
    }
}

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

/// Reserved seating is out of scope: no seating plan exists, so only `null` is accepted.
fn no_seating_plan(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        _ => Err(SEATING_UNSUPPORTED.into()),
    }
}

/// An object of seat category → product id; `null` is read as no mapping. Whether a non-empty
/// one is accepted is the use case's decision.
fn seat_category_mapping(value: &Value) -> Result<Vec<(String, i64)>, String> {
    const SHAPE: &str = "seat_category_mapping needs to be an object (str -> int).";
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| v.as_i64().map(|id| (k.clone(), id)).ok_or(SHAPE.to_owned()))
            .collect(),
        _ => Err(SHAPE.into()),
    }
}

/// The legacy `sales_channels` list; `null` is kept as such for the use case to refuse.
fn legacy_channels(value: &Value) -> Result<Option<Vec<String>>, String> {
    match value {
        Value::Null => Ok(None),
        v => string_list(v).map(Some),
    }
}

/// Parses every writable field that was sent; read-only fields are ignored.
pub fn event_changes(body: &Map<String, Value>) -> (EventChanges, FieldErrors) {
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
            r.read("seating_plan", no_seating_plan);
            r.read("plugins", string_list)
        },
        seat_category_mapping: r.read("seat_category_mapping", seat_category_mapping),
        timezone: r.read("timezone", timezone),
        item_meta_properties: r.read("item_meta_properties", string_map),
        all_sales_channels: r.read("all_sales_channels", boolean),
        limit_sales_channels: r.read("limit_sales_channels", string_list),
        sales_channels: r.read("sales_channels", legacy_channels),
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
        assert_eq!(got[8].1, SEATING_UNSUPPORTED);
    }

    #[test]
    fn seating_reads_null_plans_and_mappings_of_ids() {
        assert!(errors(json!({"seating_plan": null, "seat_category_mapping": {}})).is_empty());
        let Value::Object(map) = json!({"seat_category_mapping": {"a": 1}, "sales_channels": null})
        else {
            panic!("object")
        };
        let (changes, refused) = event_changes(&map);
        assert!(refused.is_empty());
        assert_eq!(
            changes.seat_category_mapping,
            Some(vec![("a".to_owned(), 1)])
        );
        assert_eq!(changes.sales_channels, Some(None));
        for bad in [json!([]), json!({"a": "1"}), json!("x")] {
            assert_eq!(
                errors(json!({"seat_category_mapping": bad})),
                [(
                    "seat_category_mapping".to_owned(),
                    "seat_category_mapping needs to be an object (str -> int).".to_owned()
                )]
            );
        }
    }
}
