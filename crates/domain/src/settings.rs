//! Organizer and event settings: a typed registry of keys, inherited event → organizer →
//! default.

use crate::auth::EventId;
use crate::error::RepositoryError;
use crate::organizer::OrganizerId;
use async_trait::async_trait;
use serde_json::Value;

/// A change to one stored setting: `Some` sets, `None` removes the own value.
pub type SettingChange = (String, Option<Value>);

/// Port: stored setting values (already validated), as JSON.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SettingsRepository: Send + Sync {
    /// The organizer's own values, by key.
    async fn organizer_values(&self, organizer: OrganizerId) -> Result<Vec<(String, Value)>, RepositoryError>;

    /// Applies the changes in one transaction.
    async fn change_organizer_values(&self, organizer: OrganizerId, changes: Vec<SettingChange>) -> Result<(), RepositoryError>;

    /// The event's own values, by key.
    async fn event_values(&self, event: EventId) -> Result<Vec<(String, Value)>, RepositoryError>;

    /// Applies the changes in one transaction.
    async fn change_event_values(&self, event: EventId, changes: Vec<SettingChange>) -> Result<(), RepositoryError>;
}
