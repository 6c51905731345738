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
use crate::write::writable;
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

writable! {
    /// Everything about an event that the API can write.
    #[derive(Debug, Clone, PartialEq)]
    pub struct EventData;

    /// The fields a request sent, parsed; `None` = not sent. Nullable fields are
    /// `Option<Option<T>>` (`Some(None)` = sent as null).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct EventChanges {
        /// Seat category → product id, as sent. Reserved seating is out of scope: only an empty
        /// mapping is accepted.
        pub seat_category_mapping: Option<Vec<(String, i64)>>,
        /// The legacy `sales_channels` input (`Some(None)`: sent as null, which is refused).
        pub sales_channels: Option<Option<Vec<String>>>,
    }

    /// An event as a create (or a full replace, PUT) makes it from the required fields alone:
    /// every optional field at pretix's default (not live, not in test mode, EUR, public, not
    /// a series, no meta data, the default plugins, every sales channel).
    fields(slug: Slug, name: I18nString, date_from: WireDateTime, timezone: TimeZone) {
        slug: Slug = slug,
        name: I18nString = name,
        live: bool = false,
        testmode: bool = false,
        currency: Currency = Currency::EUR,
        date_from: WireDateTime = date_from,
        date_to: Option<WireDateTime> = None,
        date_admission: Option<WireDateTime> = None,
        is_public: bool = true,
        presale_start: Option<WireDateTime> = None,
        presale_end: Option<WireDateTime> = None,
        location: Option<I18nString> = None,
        geo_lat: Option<f64> = None,
        geo_lon: Option<f64> = None,
        has_subevents: bool = false,
        /// Meta property name → value, only values stored on the event, sorted by name.
        meta_data: Vec<(String, String)> = Vec::new(),
        /// Plugin module names, sorted.
        plugins: Vec<String> = crate::plugins::event_defaults(),
        timezone: TimeZone = timezone,
        /// Item meta property name → default value, sorted by name.
        item_meta_properties: Vec<(String, String)> = Vec::new(),
        all_sales_channels: bool = true,
        /// Sales channel identifiers, sorted; empty when `all_sales_channels`.
        limit_sales_channels: Vec<String> = Vec::new(),
    }
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

impl EventChanges {
    /// The one place where changes meet an event: every field sent replaces `base`'s (lists
    /// of pairs sorted by key, plugins sorted without duplicates), every field left out keeps
    /// `base`'s. `channels` is the sales channel selection the changes resolve to, if they
    /// name one. Create and full replace pass [`EventData::defaults`], a partial update the
    /// stored event; clone passes the defaults after taking the source's values into the
    /// changes.
    pub fn apply_to(self, base: EventData, channels: Option<(bool, Vec<String>)>) -> EventData {
        let mut data = self.overlay(base);
        // Sorted by key, one value a key.
        for pairs in [&mut data.meta_data, &mut data.item_meta_properties] {
            pairs.sort();
            pairs.dedup_by(|a, b| a.0 == b.0);
        }
        data.plugins.sort();
        data.plugins.dedup();
        if let Some((all, limit)) = channels {
            data.all_sales_channels = all;
            data.limit_sales_channels = limit;
        }
        data
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
