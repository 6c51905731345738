//! Events: the resource, its rules, and the use cases behind the events API.

mod rules;
mod signing;

#[cfg(test)]
mod tests;

pub use rules::{
    best_availability, clone_event, create_event, delete_event, update_event, EventError,
    EventPorts, SEATING_UNSUPPORTED,
};
pub use signing::{EventKeys, KeyError};

use crate::ids::EventId;

use crate::access::EventScope;
use crate::error::RepositoryError;
use crate::ids::OrganizerId;
use crate::pagination::{Page, Window};
use crate::values::{Currency, I18nString, Slug, TimeZone, WireDateTime};
use async_trait::async_trait;

/// The event resource's fields, in the order pretix shows them (and reports errors in).
pub const EVENT_FIELDS: &[&str] = &[
    "name",
    "slug",
    "live",
    "testmode",
    "currency",
    "date_from",
    "date_to",
    "date_admission",
    "is_public",
    "presale_start",
    "presale_end",
    "location",
    "geo_lat",
    "geo_lon",
    "has_subevents",
    "meta_data",
    "seating_plan",
    "plugins",
    "seat_category_mapping",
    "timezone",
    "item_meta_properties",
    "valid_keys",
    "all_sales_channels",
    "limit_sales_channels",
    "best_availability_state",
    "public_url",
    "sales_channels",
];

/// Everything about an event that the API can write.
#[derive(Debug, Clone, PartialEq)]
pub struct EventData {
    pub slug: Slug,
    pub name: I18nString,
    pub live: bool,
    pub testmode: bool,
    pub currency: Currency,
    pub date_from: WireDateTime,
    pub date_to: Option<WireDateTime>,
    pub date_admission: Option<WireDateTime>,
    pub is_public: bool,
    pub presale_start: Option<WireDateTime>,
    pub presale_end: Option<WireDateTime>,
    pub location: Option<I18nString>,
    pub geo_lat: Option<f64>,
    pub geo_lon: Option<f64>,
    pub has_subevents: bool,
    /// Meta property name → value, only values stored on the event, sorted by name.
    pub meta_data: Vec<(String, String)>,
    /// Plugin module names, sorted.
    pub plugins: Vec<String>,
    pub timezone: TimeZone,
    /// Item meta property name → default value, sorted by name.
    pub item_meta_properties: Vec<(String, String)>,
    pub all_sales_channels: bool,
    /// Sales channel identifiers, sorted; empty when `all_sales_channels`.
    pub limit_sales_channels: Vec<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub organizer: OrganizerId,
    pub data: EventData,
    /// `valid_keys.pretix_sig1`: base64 of the PEM public key.
    pub public_key: String,
}

/// The fields a request sent, parsed; `None` = not sent. Nullable fields are
/// `Option<Option<T>>` (`Some(None)` = sent as null).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventChanges {
    pub name: Option<I18nString>,
    pub slug: Option<Slug>,
    pub live: Option<bool>,
    pub testmode: Option<bool>,
    pub currency: Option<Currency>,
    pub date_from: Option<WireDateTime>,
    pub date_to: Option<Option<WireDateTime>>,
    pub date_admission: Option<Option<WireDateTime>>,
    pub is_public: Option<bool>,
    pub presale_start: Option<Option<WireDateTime>>,
    pub presale_end: Option<Option<WireDateTime>>,
    pub location: Option<Option<I18nString>>,
    pub geo_lat: Option<Option<f64>>,
    pub geo_lon: Option<Option<f64>>,
    pub has_subevents: Option<bool>,
    pub meta_data: Option<Vec<(String, String)>>,
    pub plugins: Option<Vec<String>>,
    /// Seat category → product id, as sent. Reserved seating is out of scope: only an empty
    /// mapping is accepted.
    pub seat_category_mapping: Option<Vec<(String, i64)>>,
    pub timezone: Option<TimeZone>,
    pub item_meta_properties: Option<Vec<(String, String)>>,
    pub all_sales_channels: Option<bool>,
    pub limit_sales_channels: Option<Vec<String>>,
    /// The legacy `sales_channels` input (`Some(None)`: sent as null, which is refused).
    pub sales_channels: Option<Option<Vec<String>>>,
}

impl EventData {
    /// An event as a create (or a full replace, PUT) makes it from the required fields alone:
    /// every optional field at pretix's default (not live, not in test mode, EUR, public, not
    /// a series, no meta data, the default plugins, every sales channel).
    pub fn defaults(
        slug: Slug,
        name: I18nString,
        date_from: WireDateTime,
        timezone: TimeZone,
    ) -> EventData {
        EventData {
            slug,
            name,
            live: false,
            testmode: false,
            currency: Currency::EUR,
            date_from,
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
            plugins: crate::plugins::event_defaults(),
            timezone,
            item_meta_properties: Vec::new(),
            all_sales_channels: true,
            limit_sales_channels: Vec::new(),
        }
    }
}

impl EventChanges {
    /// The one place where changes meet an event: every field sent replaces `base`'s (lists
    /// of pairs sorted by key, plugins sorted without duplicates), every field left out keeps
    /// `base`'s. `channels` is the sales channel selection the changes resolve to, if they
    /// name one. Create and full replace pass [`EventData::defaults`], a partial update the
    /// stored event; clone passes the defaults after taking the source's values into the
    /// changes.
    pub fn apply_to(self, base: EventData, channels: Option<(bool, Vec<String>)>) -> EventData {
        // Sorted by key, one value a key.
        let sorted = |mut pairs: Vec<(String, String)>| {
            pairs.sort();
            pairs.dedup_by(|a, b| a.0 == b.0);
            pairs
        };
        let (all_sales_channels, limit_sales_channels) =
            channels.unwrap_or((base.all_sales_channels, base.limit_sales_channels));
        EventData {
            slug: self.slug.unwrap_or(base.slug),
            name: self.name.unwrap_or(base.name),
            live: self.live.unwrap_or(base.live),
            testmode: self.testmode.unwrap_or(base.testmode),
            currency: self.currency.unwrap_or(base.currency),
            date_from: self.date_from.unwrap_or(base.date_from),
            date_to: self.date_to.unwrap_or(base.date_to),
            date_admission: self.date_admission.unwrap_or(base.date_admission),
            is_public: self.is_public.unwrap_or(base.is_public),
            presale_start: self.presale_start.unwrap_or(base.presale_start),
            presale_end: self.presale_end.unwrap_or(base.presale_end),
            location: self.location.unwrap_or(base.location),
            geo_lat: self.geo_lat.unwrap_or(base.geo_lat),
            geo_lon: self.geo_lon.unwrap_or(base.geo_lon),
            has_subevents: self.has_subevents.unwrap_or(base.has_subevents),
            meta_data: self.meta_data.map_or(base.meta_data, sorted),
            plugins: match self.plugins {
                Some(mut list) => {
                    list.sort();
                    list.dedup();
                    list
                }
                None => base.plugins,
            },
            timezone: self.timezone.unwrap_or(base.timezone),
            item_meta_properties: self
                .item_meta_properties
                .map_or(base.item_meta_properties, sorted),
            all_sales_channels,
            limit_sales_channels,
        }
    }
}

/// A sort key of the events list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOrder {
    DateFrom,
    Slug,
}

/// A meta data condition of the list (`attr[name]=value`), resolved against the organizer's
/// properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaCondition {
    pub property: crate::ids::MetaPropertyId,
    pub value: String,
    /// Whether events without their own value match (the value is the property's default).
    pub matches_default: bool,
}

/// The events list's filters; `None` = not filtered.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFilter {
    pub scope: EventScope,
    pub is_public: Option<bool>,
    pub live: Option<bool>,
    pub testmode: Option<bool>,
    pub has_subevents: Option<bool>,
    pub is_future: Option<bool>,
    pub is_past: Option<bool>,
    /// The "now" of `is_future`/`is_past`.
    pub now: WireDateTime,
    pub ends_after: Option<WireDateTime>,
    pub date_from_after: Option<WireDateTime>,
    pub date_from_before: Option<WireDateTime>,
    pub date_to_after: Option<WireDateTime>,
    pub date_to_before: Option<WireDateTime>,
    pub sales_channel: Option<String>,
    pub search: Option<String>,
    pub meta: Vec<MetaCondition>,
    /// Sort keys, `true` = descending; ties are broken by id descending.
    pub ordering: Vec<(EventOrder, bool)>,
}

impl EventFilter {
    /// No filters, ordered by slug.
    pub fn new(scope: EventScope, now: WireDateTime) -> Self {
        EventFilter {
            scope,
            is_public: None,
            live: None,
            testmode: None,
            has_subevents: None,
            is_future: None,
            is_past: None,
            now,
            ends_after: None,
            date_from_after: None,
            date_from_before: None,
            date_to_after: None,
            date_to_before: None,
            sales_channel: None,
            search: None,
            meta: Vec::new(),
            ordering: vec![(EventOrder::Slug, false)],
        }
    }
}

/// What the go-live and delete rules need to know about an event's other data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventFacts {
    pub quotas: u64,
    /// Active products with a price above zero.
    pub paid_items: u64,
    /// Orders, or imported secrets marked used.
    pub used_tickets: u64,
}

/// Port: events.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventRepository: Send + Sync {
    async fn find_by_slug(
        &self,
        organizer: OrganizerId,
        slug: &str,
    ) -> Result<Option<Event>, RepositoryError>;

    /// One page of the organizer's events matching `filter`, with the total, in a fixed
    /// number of queries whatever the page size.
    async fn list(
        &self,
        organizer: OrganizerId,
        filter: EventFilter,
        window: Window,
    ) -> Result<Page<Event>, RepositoryError>;

    /// Stores a new event (meta data by property name, sales channels by identifier, both
    /// already validated). Must return `RepositoryError::Conflict` when the slug is taken.
    async fn create(
        &self,
        organizer: OrganizerId,
        data: EventData,
        keys: EventKeys,
    ) -> Result<Event, RepositoryError>;

    /// Replaces the event's writable state in one transaction.
    async fn update(&self, event: EventId, data: EventData) -> Result<Event, RepositoryError>;

    /// Deletes the event with everything below it, unless it holds a used ticket (a used
    /// imported secret): the check and the delete are one decision, so a secret marked used
    /// concurrently either keeps the event or finds it gone.
    async fn delete(&self, event: EventId) -> Result<EventDeletion, RepositoryError>;

    /// Creates an event like `create`, and copies the source event's settings, products,
    /// variations, and quotas and digital contents without sub-event (with new ids,
    /// references remapped), all in one transaction: on any failure nothing is left behind.
    async fn clone_from(
        &self,
        source: EventId,
        organizer: OrganizerId,
        data: EventData,
        keys: EventKeys,
    ) -> Result<Event, RepositoryError>;

    /// Counts for the go-live and delete rules.
    async fn facts(&self, event: EventId) -> Result<EventFacts, RepositoryError>;

    /// The sizes of each event's quotas (`None` = unlimited), for the availability state.
    async fn quota_sizes(
        &self,
        events: Vec<EventId>,
    ) -> Result<Vec<(EventId, Option<i64>)>, RepositoryError>;
}

/// What [`EventRepository::delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventDeletion {
    Deleted,
    /// Refused: the event holds a used ticket.
    HasUsedTickets,
    /// A concurrent request deleted it first.
    Gone,
}

/// An event with the defaults of a new one, for unit tests: `slug`, starting 2030-01-01
/// 10:00 UTC, in EUR.
#[cfg(test)]
pub(crate) fn sample_event(id: EventId, slug: &str, has_subevents: bool) -> Event {
    Event {
        id,
        organizer: crate::ids::OrganizerId(1),
        data: EventData {
            has_subevents,
            plugins: vec![],
            ..EventData::defaults(
                Slug::parse(slug).expect("a valid slug"),
                I18nString::english(slug),
                WireDateTime::parse("2030-01-01T10:00:00Z").expect("a date"),
                TimeZone::UTC,
            )
        },
        public_key: String::new(),
    }
}
