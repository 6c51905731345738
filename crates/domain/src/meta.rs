//! Organizer meta data properties: the keys events may carry in `meta_data`.

use crate::error::RepositoryError;
use crate::organizer::OrganizerId;
use crate::pagination::{Page, Window};
use async_trait::async_trait;

/// Database id of a meta property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetaPropertyId(pub i64);

/// A meta data property of an organizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperty {
    pub id: MetaPropertyId,
    pub organizer: OrganizerId,
    pub name: String,
    /// Shown for events that have no value of their own (`""` = none).
    pub default: String,
    pub required: bool,
    /// When set, event values must be one of these.
    pub allowed_values: Option<Vec<String>>,
    /// Only writable on events with `can_change_organizer_settings`.
    pub protected: bool,
    pub filter_allowed: bool,
}

/// The writable fields of a meta property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaPropertyFields {
    pub name: String,
    pub default: String,
    pub required: bool,
    pub allowed_values: Option<Vec<String>>,
    pub protected: bool,
    pub filter_allowed: bool,
}

/// Port: meta properties.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MetaPropertyRepository: Send + Sync {
    /// Every property of the organizer, ordered by name then id.
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<MetaProperty>, RepositoryError>;

    /// One page of the organizer's properties, ordered by id.
    async fn list(&self, organizer: OrganizerId, window: Window) -> Result<Page<MetaProperty>, RepositoryError>;

    async fn find(&self, organizer: OrganizerId, id: MetaPropertyId) -> Result<Option<MetaProperty>, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the name is taken in the organizer.
    async fn create(&self, organizer: OrganizerId, fields: MetaPropertyFields) -> Result<MetaProperty, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the new name is taken in the organizer.
    async fn update(&self, organizer: OrganizerId, id: MetaPropertyId, fields: MetaPropertyFields) -> Result<Option<MetaProperty>, RepositoryError>;

    /// Deletes the property and every event value of it; `false` if there was none.
    async fn delete(&self, organizer: OrganizerId, id: MetaPropertyId) -> Result<bool, RepositoryError>;
}
