//! Sales channels: where an organizer sells (`web` exists from the start).

use crate::error::RepositoryError;
use crate::organizer::OrganizerId;
use crate::pagination::{Page, Window};
use crate::values::I18nString;
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

/// The writable fields of a sales channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesChannelFields {
    pub identifier: String,
    pub label: I18nString,
    pub kind: String,
    pub position: i64,
}

/// Port: sales channels.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SalesChannelRepository: Send + Sync {
    /// Every channel of the organizer, ordered by position then identifier.
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<SalesChannel>, RepositoryError>;

    /// One page of the organizer's channels, ordered by position then identifier.
    async fn list(&self, organizer: OrganizerId, window: Window) -> Result<Page<SalesChannel>, RepositoryError>;

    async fn find(&self, organizer: OrganizerId, identifier: &str) -> Result<Option<SalesChannel>, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the identifier is taken.
    async fn create(&self, organizer: OrganizerId, fields: SalesChannelFields) -> Result<SalesChannel, RepositoryError>;

    /// Updates label, type and position (the identifier is fixed); `None` if not found.
    async fn update(&self, organizer: OrganizerId, identifier: &str, fields: SalesChannelFields) -> Result<Option<SalesChannel>, RepositoryError>;

    /// Deletes the channel (and removes it from every event's limit list); `false` if
    /// there was none.
    async fn delete(&self, organizer: OrganizerId, identifier: &str) -> Result<bool, RepositoryError>;
}
