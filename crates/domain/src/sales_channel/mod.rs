//! Sales channels: where an organizer sells (`web` exists from the start).

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    changed_identifier_error, changed_type_error, create_sales_channel, delete_sales_channel,
    identifier_error, new_identifier_error, new_type_error, position_error, update_sales_channel,
    SalesChannelError,
};

use crate::error::RepositoryError;
use crate::ids::OrganizerId;
use crate::pagination::{Page, Window};
use crate::values::I18nString;
use crate::write::writable;
use async_trait::async_trait;

/// The channel every organizer starts with.
pub const WEB: &str = "web";

/// A sales channel of an organizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesChannel {
    pub organizer: OrganizerId,
    /// Unique within the organizer; the API addresses channels by it.
    pub identifier: String,
    pub label: I18nString,
    /// `web`, `api`, `pretixpos`, ... (free text in Presale).
    pub kind: String,
    pub position: i64,
}

writable! {
    /// The writable fields of a sales channel.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SalesChannelFields;

    /// The fields a request sent, parsed; `None` = not sent (`kind` is sent as `type`).
    /// Applied by [`SalesChannelChanges::apply_to`].
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct SalesChannelChanges {}

    /// A new channel: type `api`, position 0 (`identifier` and `label` are required: empty
    /// until the changes fill them).
    fields() {
        identifier: String = String::new(),
        label: I18nString = I18nString::default(),
        kind: String = API.to_owned(),
        position: i64 = 0,
    }
}

/// The fields in pretix's order (`kind` is sent as `type`), the order errors are reported in.
pub const SALES_CHANNEL_FIELDS: &[&str] = &["identifier", "label", "type", "position"];

/// Port: sales channels.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SalesChannelRepository: Send + Sync {
    /// Every channel of the organizer, ordered by position then identifier.
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<SalesChannel>, RepositoryError>;

    /// One page of the organizer's channels, ordered by position then identifier.
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<SalesChannel>, RepositoryError>;

    async fn find(
        &self,
        organizer: OrganizerId,
        identifier: &str,
    ) -> Result<Option<SalesChannel>, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the identifier is taken.
    async fn create(
        &self,
        organizer: OrganizerId,
        fields: SalesChannelFields,
    ) -> Result<SalesChannel, RepositoryError>;

    /// Updates label, type and position (the identifier is fixed); `None` if not found.
    async fn update(
        &self,
        organizer: OrganizerId,
        identifier: &str,
        fields: SalesChannelFields,
    ) -> Result<Option<SalesChannel>, RepositoryError>;

    /// Deletes the channel (and removes it from every event's limit list); `false` if
    /// there was none.
    async fn delete(
        &self,
        organizer: OrganizerId,
        identifier: &str,
    ) -> Result<bool, RepositoryError>;
}

/// The only type of channel a client may create, and the prefix its identifier must carry.
pub const API: &str = "api";

/// The longest identifier pretix accepts.
pub const IDENTIFIER_MAX_LENGTH: usize = 200;

/// The largest position pretix stores (a positive 32-bit integer column).
pub const POSITION_MAX: i64 = 2_147_483_647;

/// A second channel with the same identifier (pretix's control panel wording; its API
/// fails with an internal error here).
pub const DUPLICATE_IDENTIFIER: &str = "A sales channel with the same identifier already exists.";

/// Deleting a channel the organizer cannot do without (`web`) is refused; pretix's message.
pub const NOT_DELETABLE: &str = "Can only be deleted if unused.";

const BLANK: &str = "This field may not be blank.";

impl SalesChannel {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> SalesChannelFields {
        SalesChannelFields {
            identifier: self.identifier.clone(),
            label: self.label.clone(),
            kind: self.kind.clone(),
            position: self.position,
        }
    }

    /// Whether the organizer may delete the channel: never the `web` shop every organizer
    /// starts with (pretix also keeps channels that have orders, which Presale has not).
    pub fn deletable(&self) -> bool {
        self.kind != WEB
    }
}
