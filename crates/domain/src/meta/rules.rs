//! The meta property use cases and their rules.

use super::{
    MetaProperty, MetaPropertyChanges, MetaPropertyFields, MetaPropertyRepository,
    DEFAULT_NOT_ALLOWED, DUPLICATE_NAME, META_PROPERTY_FIELDS, NAME_MAX_LENGTH,
};
use crate::error::RepositoryError;
use crate::ids::{MetaPropertyId, OrganizerId};
use crate::validation::FieldErrors;
use crate::write::WriteMode;

/// Why a property name is refused; the messages are pretix's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("This field may not be blank.")]
    Blank,
    #[error("The property name may only contain letters, numbers and underscores.")]
    InvalidCharacters,
    #[error("Ensure this field has no more than 50 characters.")]
    TooLong,
}

/// Checks a property name: not blank, `^[a-zA-Z0-9_]+$`, at most [`NAME_MAX_LENGTH`]
/// characters (pretix checks the pattern before the length).
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.trim().is_empty() {
        Err(NameError::Blank)
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Err(NameError::InvalidCharacters)
    } else if name.chars().count() > NAME_MAX_LENGTH {
        Err(NameError::TooLong)
    } else {
        Ok(())
    }
}

impl MetaPropertyChanges {
    /// The changes applied to `base` (pretix's defaults on create, the stored fields on
    /// update). A full write (create, PUT) must send `name` and `allowed_values`, as pretix
    /// requires; a sent name must pass [`check_name`]. `errors` holds what reading the
    /// request found; all of them come back together, in field order.
    pub fn apply_to(
        self,
        base: MetaPropertyFields,
        mode: WriteMode,
        mut errors: FieldErrors,
    ) -> Result<MetaPropertyFields, FieldErrors> {
        if mode.is_full() {
            errors.require(&[
                ("name", self.name.is_some()),
                ("allowed_values", self.allowed_values.is_some()),
            ]);
        }
        if let Some(Err(e)) = self.name.as_deref().map(check_name) {
            errors.add("name", e.to_string());
        }
        let fields = self.overlay(base);
        errors.sort_by_order(META_PROPERTY_FIELDS);
        errors.into_result().map(|()| fields)
    }
}

impl MetaPropertyFields {
    /// The field rules (the name), then, once they pass, the object rule: a non-empty
    /// default must be one of the allowed values.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        if let Err(e) = check_name(&self.name) {
            return Err(FieldErrors::single("name", e.to_string()));
        }
        match &self.allowed_values {
            Some(values) if !self.default.is_empty() && !values.contains(&self.default) => {
                Err(FieldErrors::non_field(DEFAULT_NOT_ALLOWED))
            }
            _ => Ok(()),
        }
    }

    /// An empty list of allowed values restricts nothing: it is stored as none.
    fn normalized(mut self) -> Self {
        if self.allowed_values.as_ref().is_some_and(Vec::is_empty) {
            self.allowed_values = None;
        }
        self
    }
}

/// Why a meta property was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaPropertyError {
    /// Field or object errors, in field order.
    #[error("invalid meta property: {0:?}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

fn name_conflict(e: RepositoryError) -> MetaPropertyError {
    match e {
        RepositoryError::Conflict(_) => {
            MetaPropertyError::Invalid(FieldErrors::single("name", DUPLICATE_NAME))
        }
        other => other.into(),
    }
}

/// Creates a property after checking the rules; a name already used in the organizer is a
/// field error on `name`. The caller has checked `can_change_organizer_settings`.
pub async fn create_meta_property(
    properties: &dyn MetaPropertyRepository,
    organizer: OrganizerId,
    fields: MetaPropertyFields,
) -> Result<MetaProperty, MetaPropertyError> {
    let fields = fields.normalized();
    fields.validate().map_err(MetaPropertyError::Invalid)?;
    properties
        .create(organizer, fields)
        .await
        .map_err(name_conflict)
}

/// Replaces a property's fields (a partial update passes the stored fields with its changes
/// applied); `None` if the organizer has no such property.
pub async fn update_meta_property(
    properties: &dyn MetaPropertyRepository,
    organizer: OrganizerId,
    id: MetaPropertyId,
    fields: MetaPropertyFields,
) -> Result<Option<MetaProperty>, MetaPropertyError> {
    let fields = fields.normalized();
    fields.validate().map_err(MetaPropertyError::Invalid)?;
    properties
        .update(organizer, id, fields)
        .await
        .map_err(name_conflict)
}
