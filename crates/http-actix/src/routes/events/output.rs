//! Events → JSON, fields in pretix's order.

use presale_domain::event::Event;
use presale_domain::values::{I18nString, WireDateTime};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

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
#[derive(Serialize)]
struct ValidKeys<'a> {
    pretix_sig1: [&'a str; 1],
}

/// An event as JSON, borrowing from the event and the view: serialized straight into the
/// response body, with no intermediate JSON tree.
#[derive(Serialize)]
pub(super) struct Body<'a> {
    name: &'a I18nString,
    slug: &'a str,
    live: bool,
    testmode: bool,
    currency: &'a str,
    date_from: WireDateTime,
    date_to: Option<WireDateTime>,
    date_admission: Option<WireDateTime>,
    is_public: bool,
    presale_start: Option<WireDateTime>,
    presale_end: Option<WireDateTime>,
    location: Option<&'a I18nString>,
    geo_lat: Option<f64>,
    geo_lon: Option<f64>,
    has_subevents: bool,
    meta_data: Pairs<'a>,
    seating_plan: Option<u8>,
    plugins: &'a [String],
    seat_category_mapping: Pairs<'static>,
    timezone: &'a str,
    item_meta_properties: Pairs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_keys: Option<ValidKeys<'a>>,
    all_sales_channels: bool,
    limit_sales_channels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    best_availability_state: Option<Option<u8>>,
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
