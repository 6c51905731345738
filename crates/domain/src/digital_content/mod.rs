//! Digital contents (pretix's digital content plugin): live streams, videos, links or files
//! shown to the buyers of an event's tickets, all of them or those of some products, and in
//! an event series to those of one date.
//!
//! The plugin's own error texts are not public; the wording of the rules below is ours
//! (docs/api-compatibility.md). References follow DRF's related fields scoped to the event: a product
//! or date of another event is reported like an unknown one.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    create_digital_content, delete_digital_content, update_digital_content, url_error,
    DigitalContentError,
};

use crate::error::RepositoryError;
use crate::ids::{DigitalContentId, EventId, SubEventId};
use crate::pagination::{Page, Window};
use crate::values::{I18nString, WireDateTime};
use crate::write::writable;
use async_trait::async_trait;

/// The resource's fields in the order pretix shows them (the document's examples; its field
/// table lists them in another order) and reports errors in.
pub const DIGITAL_CONTENT_FIELDS: &[&str] = &[
    "id",
    "subevent",
    "title",
    "content_type",
    "url",
    "description",
    "all_products",
    "limit_products",
    "available_from",
    "available_until",
    "position",
];

const BLANK: &str = "This field may not be blank.";
/// Django's message for a value its `URLValidator` refuses.
pub const INVALID_URL: &str = "Enter a valid URL.";
/// `available_until` before `available_from` (an object-level error; our wording).
pub const UNTIL_BEFORE_FROM: &str = "available_until cannot be before available_from.";

/// DRF's message for a primary key that names no object (of this event).
pub fn unknown_pk(pk: impl std::fmt::Display) -> String {
    format!("Invalid pk \"{pk}\" - object does not exist.")
}

/// What kind of content it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    Webinar,
    Video,
    Livestream,
    Link,
    File,
}

/// A `content_type` outside the choices (DRF's message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a valid choice.")]
pub struct InvalidChoice(pub String);

impl ContentType {
    pub const ALL: [ContentType; 5] = [
        ContentType::Webinar,
        ContentType::Video,
        ContentType::Livestream,
        ContentType::Link,
        ContentType::File,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Webinar => "webinar",
            ContentType::Video => "video",
            ContentType::Livestream => "livestream",
            ContentType::Link => "link",
            ContentType::File => "file",
        }
    }

    /// One of the names exactly (case-sensitive, as DRF's `ChoiceField`).
    pub fn parse(name: &str) -> Result<Self, InvalidChoice> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| InvalidChoice(name.to_owned()))
    }
}

writable! {
    /// Everything about a digital content that the API can write. `limit_products` is sorted
    /// ascending without duplicates.
    #[derive(Debug, Clone, PartialEq)]
    pub struct DigitalContentData;

    /// The fields a request sent, parsed; `None` = not sent. Nullable fields are
    /// `Option<Option<T>>` (`Some(None)` = sent as null). Ids are as sent (order, duplicates);
    /// `url` is checked by the use cases ([`url_error`]).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct DigitalContentChanges {
        /// The id to store a new row under, where a fixture gives one; `None` takes the next
        /// free id. The API never sets it (`id` is read-only there).
        pub id: Option<DigitalContentId>,
    }

    /// The defaults of the fields a create (or a replacing update) may leave out, with the
    /// required ones (`title`, `url`) empty until the changes fill them.
    fields() {
        /// `None` = every date of the series (or not a series).
        subevent: Option<SubEventId> = None,
        title: I18nString = I18nString::default(),
        content_type: ContentType = ContentType::Link,
        url: String = String::new(),
        /// Markdown, stored as given.
        description: Option<I18nString> = None,
        /// When true, `limit_products` is ignored (but kept).
        all_products: bool = true,
        /// Product ids of the event.
        limit_products: Vec<i64> = Vec::new(),
        available_from: Option<WireDateTime> = None,
        available_until: Option<WireDateTime> = None,
        position: i64 = 0,
    }
}

/// A stored digital content.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitalContent {
    pub id: DigitalContentId,
    pub event: EventId,
    pub data: DigitalContentData,
}

impl DigitalContent {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> DigitalContentData {
        self.data.clone()
    }
}

/// Those of the asked-for products and sub-events that belong to the event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentReferences {
    pub items: Vec<i64>,
    pub subevents: Vec<SubEventId>,
}

/// Port: digital contents. Every method is scoped to one event: an id of another event's
/// content, product or sub-event behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DigitalContentRepository: Send + Sync {
    /// One page of the event's contents (only those of `subevent` when given) with the
    /// total count, ordered by position, then id; the products of the whole page are loaded
    /// at once, so a page costs a fixed number of queries.
    async fn list(
        &self,
        event: EventId,
        subevent: Option<SubEventId>,
        window: Window,
    ) -> Result<Page<DigitalContent>, RepositoryError>;

    /// The event's content with this id, `None` if the event has none such.
    async fn find(
        &self,
        event: EventId,
        id: DigitalContentId,
    ) -> Result<Option<DigitalContent>, RepositoryError>;

    /// Those of the given products and sub-events that belong to the event.
    async fn references(
        &self,
        event: EventId,
        items: Vec<i64>,
        subevents: Vec<SubEventId>,
    ) -> Result<ContentReferences, RepositoryError>;

    /// Stores a new content of the event with its products in one transaction (a product
    /// deleted meanwhile is left out).
    async fn create(
        &self,
        event: EventId,
        id: Option<DigitalContentId>,
        data: DigitalContentData,
    ) -> Result<DigitalContent, RepositoryError>;

    /// Replaces the content's fields and products in one transaction; `None` if the event
    /// has no such content.
    async fn update(
        &self,
        event: EventId,
        id: DigitalContentId,
        data: DigitalContentData,
    ) -> Result<Option<DigitalContent>, RepositoryError>;

    /// Deletes the content with its product links; `false` if the event has no such
    /// content.
    async fn delete(&self, event: EventId, id: DigitalContentId) -> Result<bool, RepositoryError>;
}
