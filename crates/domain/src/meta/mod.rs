//! Organizer meta data properties: the keys events may carry in `meta_data`.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    check_name, create_meta_property, update_meta_property, MetaPropertyError, NameError,
};

use crate::error::RepositoryError;
use crate::ids::{MetaPropertyId, OrganizerId};
use crate::pagination::{Page, Window};
use crate::write::writable;
use async_trait::async_trait;

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

writable! {
    /// The writable fields of a meta property.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct MetaPropertyFields;

    /// The fields a request sent, parsed; `None` = not sent (`allowed_values: Some(None)` =
    /// sent as null). Applied to a property's fields by [`MetaPropertyChanges::apply_to`].
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct MetaPropertyChanges {}

    /// pretix's defaults for the fields a client may leave out (`name` is required: empty
    /// until the changes fill it).
    fields() {
        name: String = String::new(),
        default: String = String::new(),
        required: bool = false,
        allowed_values: Option<Vec<String>> = None,
        protected: bool = false,
        filter_allowed: bool = true,
    }
}

/// The fields in pretix's order, the order errors are reported in.
pub const META_PROPERTY_FIELDS: &[&str] = &[
    "name",
    "default",
    "required",
    "allowed_values",
    "protected",
    "filter_allowed",
];

/// Port: meta properties.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MetaPropertyRepository: Send + Sync {
    /// Every property of the organizer, ordered by name then id.
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<MetaProperty>, RepositoryError>;

    /// One page of the organizer's properties, ordered by id.
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<MetaProperty>, RepositoryError>;

    async fn find(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
    ) -> Result<Option<MetaProperty>, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the name is taken in the organizer.
    async fn create(
        &self,
        organizer: OrganizerId,
        fields: MetaPropertyFields,
    ) -> Result<MetaProperty, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the new name is taken in the organizer.
    async fn update(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
        fields: MetaPropertyFields,
    ) -> Result<Option<MetaProperty>, RepositoryError>;

    /// Deletes the property and every event value of it; `false` if there was none.
    async fn delete(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
    ) -> Result<bool, RepositoryError>;
}

/// The longest property name pretix accepts.
pub const NAME_MAX_LENGTH: usize = 50;

/// A second property with the same name in one organizer (pretix fails with an internal
/// error here; the wording follows its sales channel form).
pub const DUPLICATE_NAME: &str = "A meta property with the same name already exists.";

/// A default outside the allowed values (an object-level error, as in pretix).
pub const DEFAULT_NOT_ALLOWED: &str = "You cannot set a default value that is not a valid value.";

impl MetaProperty {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> MetaPropertyFields {
        MetaPropertyFields {
            name: self.name.clone(),
            default: self.default.clone(),
            required: self.required,
            allowed_values: self.allowed_values.clone(),
            protected: self.protected,
            filter_allowed: self.filter_allowed,
        }
    }
}
