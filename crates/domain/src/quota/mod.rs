//! Quotas: how many tickets of a set of products (and variations) may be sold, per event or,
//! in an event series, per date.
//!
//! pretix reports the reference rules (variations of the quota's items, items of this event,
//! sub-event of this event) as `non_field_errors`; Presale reports each under the field it
//! is about (docs/api-compatibility.md), with pretix's messages.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{create_quota, delete_quota, name_error, size_error, update_quota, QuotaError};

use crate::error::RepositoryError;
use crate::ids::{EventId, OrganizerId, QuotaId, SubEventId};
use crate::pagination::{Page, Window};
use crate::write::writable;
use async_trait::async_trait;

/// The quota resource's fields, in the order they are shown (and errors reported in).
pub const QUOTA_FIELDS: &[&str] = &["id", "name", "size", "items", "variations", "subevent"];

/// The longest name pretix accepts.
pub const NAME_MAX_LENGTH: usize = 200;
/// The largest size pretix accepts (a PostgreSQL `integer`).
pub const SIZE_MAX: i64 = 2_147_483_647;

use crate::validation::REQUIRED;
pub const VARIATION_NOT_IN_ITEMS: &str =
    "All variations must belong to an item contained in the items list.";
pub const ITEM_OF_OTHER_EVENT: &str = "One or more items do not belong to this event.";
pub const VARIATIONS_MISSING: &str =
    "One or more items has variations but none of these are in the variations list.";
pub const SUBEVENT_REQUIRED: &str = "Subevent cannot be null for event series.";
pub const SUBEVENT_OF_OTHER_EVENT: &str = "The subevent does not belong to this event.";

/// DRF's message for a primary key that names no object.
pub fn unknown_pk(pk: impl std::fmt::Display) -> String {
    format!("Invalid pk \"{pk}\" - object does not exist.")
}

/// A stored quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub id: QuotaId,
    pub event: EventId,
    pub data: QuotaData,
}

writable! {
    /// Everything about a quota that the API can write. `items` and `variations` are sorted
    /// ascending without duplicates.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QuotaData;

    /// The fields a request sent, parsed; `None` = not sent. Nullable fields are
    /// `Option<Option<T>>` (`Some(None)` = sent as null). Ids are as sent (order, duplicates).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct QuotaChanges {
        /// The id to store a new row under, where a fixture gives one; `None` takes the next
        /// free id. The API never sets it (`id` is read-only there).
        pub id: Option<QuotaId>,
    }

    /// A new quota: `name` is required (empty until the changes fill it); `size` defaults to
    /// null (unlimited), `items` and `variations` to none, `subevent` to null.
    fields() {
        name: String = String::new(),
        /// `None` = unlimited.
        size: Option<i64> = None,
        items: Vec<i64> = Vec::new(),
        variations: Vec<i64> = Vec::new(),
        subevent: Option<SubEventId> = None,
    }
}

/// A sort key of the quotas list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaOrder {
    Id,
    /// Unlimited (null) sizes sort after every number, as on PostgreSQL.
    Size,
}

/// A product as the quota rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef {
    pub id: i64,
    pub event: EventId,
    pub has_variations: bool,
}

/// A product variation as the quota rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariationRef {
    pub id: i64,
    pub item: i64,
}

/// A sub-event as the quota rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubEventRef {
    pub id: SubEventId,
    pub event: EventId,
}

/// The objects a quota refers to, as far as they exist in the organizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    pub items: Vec<ItemRef>,
    pub variations: Vec<VariationRef>,
    pub subevents: Vec<SubEventRef>,
}

/// Port: quotas. Every method but `references` is scoped to one event: an id of another
/// event's quota behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait QuotaRepository: Send + Sync {
    /// One page of the event's quotas with the total count, sorted by `ordering` (`true` =
    /// descending) and then by id descending (an empty `ordering` means by id ascending);
    /// items and variations of the whole page are loaded at once, so a page costs a fixed
    /// number of queries.
    async fn list(
        &self,
        event: EventId,
        ordering: Vec<(QuotaOrder, bool)>,
        window: Window,
    ) -> Result<Page<Quota>, RepositoryError>;

    /// The event's quota with this id, `None` if the event has none such.
    async fn find(&self, event: EventId, id: QuotaId) -> Result<Option<Quota>, RepositoryError>;

    /// Those of the given products, variations and sub-events that exist in any event of
    /// the organizer (ids of other organizers are left out, as if they did not exist).
    async fn references(
        &self,
        organizer: OrganizerId,
        items: Vec<i64>,
        variations: Vec<i64>,
        subevents: Vec<SubEventId>,
    ) -> Result<References, RepositoryError>;

    /// Stores a new quota of the event with its items and variations in one transaction.
    async fn create(
        &self,
        event: EventId,
        id: Option<QuotaId>,
        data: QuotaData,
    ) -> Result<Quota, RepositoryError>;

    /// Replaces the quota's fields, items and variations in one transaction; `None` if the
    /// event has no such quota.
    async fn update(
        &self,
        event: EventId,
        id: QuotaId,
        data: QuotaData,
    ) -> Result<Option<Quota>, RepositoryError>;

    /// Deletes the quota (with its item and variation links); `false` if the event has no
    /// such quota.
    async fn delete(&self, event: EventId, id: QuotaId) -> Result<bool, RepositoryError>;
}

impl Quota {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> QuotaData {
        self.data.clone()
    }
}
