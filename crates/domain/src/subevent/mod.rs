//! Sub-events: the dates of an event series (events with `has_subevents: true`).

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{check_dates, create_subevent, delete_subevent, update_subevent, SubEventError};

use crate::error::RepositoryError;
use crate::ids::{EventId, SubEventId};
use crate::pagination::{Page, Window};
use crate::values::{I18nString, WireDateTime};
use crate::write::writable;
use async_trait::async_trait;

/// The sub-event resource's fields, in the order they are shown (and errors reported in).
pub const SUBEVENT_FIELDS: &[&str] = &[
    "id",
    "name",
    "event",
    "active",
    "date_from",
    "date_to",
    "presale_start",
    "presale_end",
    "location",
];

/// Creating a sub-event in an event that is not a series (pretix would store it; Presale
/// keeps sub-events to event series, docs/api-compatibility.md).
pub const NOT_A_SERIES: &str =
    "Sub-events can only be created in an event series (has_subevents: true).";
/// pretix's object-level date messages (the same as for events).
pub const ENDS_BEFORE_START: &str = "The event cannot end before it starts.";
pub const PRESALE_ENDS_BEFORE_START: &str = "The event's presale cannot end before it starts.";
use crate::validation::REQUIRED;

/// A stored sub-event.
#[derive(Debug, Clone, PartialEq)]
pub struct SubEvent {
    pub id: SubEventId,
    pub event: EventId,
    pub data: SubEventData,
}

writable! {
    /// Everything about a sub-event that the API can write.
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubEventData;

    /// The fields a request sent, parsed; `None` = not sent. Nullable fields are
    /// `Option<Option<T>>` (`Some(None)` = sent as null).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SubEventChanges {
        /// The id to store a new row under, where a fixture gives one; `None` takes the next
        /// free id. The API never sets it (`id` is read-only there).
        pub id: Option<SubEventId>,
    }

    /// A new sub-event from its required fields: inactive, open-ended, no presale window, no
    /// location.
    fields(name: I18nString, date_from: WireDateTime) {
        name: I18nString = name,
        active: bool = false,
        date_from: WireDateTime = date_from,
        date_to: Option<WireDateTime> = None,
        presale_start: Option<WireDateTime> = None,
        presale_end: Option<WireDateTime> = None,
        location: Option<I18nString> = None,
    }
}

/// A sort key of the sub-events list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubEventOrder {
    Id,
    DateFrom,
}

/// pretix's default order: `date_from`, ties broken by id descending.
pub const DEFAULT_ORDER: &[(SubEventOrder, bool)] = &[(SubEventOrder::DateFrom, false)];

/// Port: sub-events. Every method is scoped to one event: an id of another event's
/// sub-event behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SubEventRepository: Send + Sync {
    /// One page of the event's sub-events with the total count, sorted by `ordering`
    /// (`true` = descending) and then by id descending; a fixed number of queries whatever
    /// the page size.
    async fn list(
        &self,
        event: EventId,
        ordering: Vec<(SubEventOrder, bool)>,
        window: Window,
    ) -> Result<Page<SubEvent>, RepositoryError>;

    /// The event's sub-event with this id, `None` if the event has none such.
    async fn find(
        &self,
        event: EventId,
        id: SubEventId,
    ) -> Result<Option<SubEvent>, RepositoryError>;

    /// Stores a new sub-event of the event and returns it with its new id.
    async fn create(
        &self,
        event: EventId,
        id: Option<SubEventId>,
        data: SubEventData,
    ) -> Result<SubEvent, RepositoryError>;

    /// Replaces the writable fields; `None` if the event has no such sub-event.
    async fn update(
        &self,
        event: EventId,
        id: SubEventId,
        data: SubEventData,
    ) -> Result<Option<SubEvent>, RepositoryError>;

    /// Deletes the sub-event and, in the same transaction, its quotas; `false` if the event
    /// has no such sub-event.
    async fn delete(&self, event: EventId, id: SubEventId) -> Result<bool, RepositoryError>;
}

impl SubEvent {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> SubEventData {
        self.data.clone()
    }
}
