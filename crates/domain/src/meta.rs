//! Organizer meta data properties: the keys events may carry in `meta_data`.

use crate::error::RepositoryError;
use crate::ids::MetaPropertyId;
use crate::ids::OrganizerId;
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
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

/// A second property with the same name in one organizer (pretix answers 500 here; the
/// wording follows its sales channel form).
pub const DUPLICATE_NAME: &str = "A meta property with the same name already exists.";

/// A default outside the allowed values (an object-level error, as in pretix).
pub const DEFAULT_NOT_ALLOWED: &str = "You cannot set a default value that is not a valid value.";

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

impl Default for MetaPropertyFields {
    /// pretix's defaults for the fields a client may leave out.
    fn default() -> Self {
        MetaPropertyFields {
            name: String::new(),
            default: String::new(),
            required: false,
            allowed_values: None,
            protected: false,
            filter_allowed: true,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str) -> MetaPropertyFields {
        MetaPropertyFields {
            name: name.into(),
            ..MetaPropertyFields::default()
        }
    }

    fn stored(id: i64, organizer: OrganizerId, f: MetaPropertyFields) -> MetaProperty {
        MetaProperty {
            id: MetaPropertyId(id),
            organizer,
            name: f.name,
            default: f.default,
            required: f.required,
            allowed_values: f.allowed_values,
            protected: f.protected,
            filter_allowed: f.filter_allowed,
        }
    }

    #[test]
    fn names_follow_pretix_rules_pattern_before_length() {
        assert_eq!(check_name("Color_2"), Ok(()));
        assert_eq!(check_name(&"a".repeat(50)), Ok(()));
        assert_eq!(check_name(""), Err(NameError::Blank));
        assert_eq!(check_name("  "), Err(NameError::Blank));
        assert_eq!(check_name("a b"), Err(NameError::InvalidCharacters));
        assert_eq!(check_name("fü"), Err(NameError::InvalidCharacters));
        assert_eq!(check_name(&"a".repeat(51)), Err(NameError::TooLong));
        assert_eq!(
            check_name(&"a ".repeat(30)),
            Err(NameError::InvalidCharacters)
        );
        assert_eq!(
            NameError::TooLong.to_string(),
            "Ensure this field has no more than 50 characters."
        );
    }

    #[test]
    fn default_must_be_an_allowed_value_unless_empty() {
        let mut f = fields("type");
        f.allowed_values = Some(vec!["a".into(), "b".into()]);
        assert_eq!(f.validate(), Ok(()));
        f.default = "b".into();
        assert_eq!(f.validate(), Ok(()));
        f.default = "c".into();
        assert_eq!(
            f.validate(),
            Err(FieldErrors::non_field(DEFAULT_NOT_ALLOWED))
        );
        f.allowed_values = None;
        assert_eq!(f.validate(), Ok(()));
    }

    #[test]
    fn field_errors_come_before_the_object_rule() {
        let mut f = fields("bad name");
        f.allowed_values = Some(vec!["a".into()]);
        f.default = "c".into();
        assert_eq!(
            f.validate(),
            Err(FieldErrors::single(
                "name",
                "The property name may only contain letters, numbers and underscores."
            ))
        );
    }

    #[pollster::test]
    async fn create_stores_valid_fields_with_empty_allowed_values_as_none() {
        let mut repo = MockMetaPropertyRepository::new();
        repo.expect_create()
            .withf(|o, f| *o == OrganizerId(1) && f.name == "Color" && f.allowed_values.is_none())
            .times(1)
            .returning(|o, f| Ok(stored(7, o, f)));
        let mut f = fields("Color");
        f.allowed_values = Some(vec![]);
        let created = create_meta_property(&repo, OrganizerId(1), f).await;
        assert_eq!(
            created.map(|p| (p.id, p.allowed_values)),
            Ok((MetaPropertyId(7), None))
        );
    }

    #[pollster::test]
    async fn invalid_fields_are_never_written() {
        let repo = MockMetaPropertyRepository::new();
        assert_eq!(
            create_meta_property(&repo, OrganizerId(1), fields("")).await,
            Err(MetaPropertyError::Invalid(FieldErrors::single(
                "name",
                "This field may not be blank."
            )))
        );
        let mut f = fields("x");
        f.allowed_values = Some(vec!["a".into()]);
        f.default = "b".into();
        assert_eq!(
            update_meta_property(&repo, OrganizerId(1), MetaPropertyId(1), f).await,
            Err(MetaPropertyError::Invalid(FieldErrors::non_field(
                DEFAULT_NOT_ALLOWED
            )))
        );
    }

    #[pollster::test]
    async fn a_taken_name_is_a_field_error_on_name() {
        let mut repo = MockMetaPropertyRepository::new();
        repo.expect_create()
            .returning(|_, _| Err(RepositoryError::Conflict("unique".into())));
        repo.expect_update()
            .returning(|_, _, _| Err(RepositoryError::Conflict("unique".into())));
        let dup = MetaPropertyError::Invalid(FieldErrors::single("name", DUPLICATE_NAME));
        assert_eq!(
            create_meta_property(&repo, OrganizerId(1), fields("a")).await,
            Err(dup.clone())
        );
        assert_eq!(
            update_meta_property(&repo, OrganizerId(1), MetaPropertyId(2), fields("a")).await,
            Err(dup)
        );
    }

    #[pollster::test]
    async fn update_of_a_missing_property_is_none_and_outages_pass_through() {
        let mut repo = MockMetaPropertyRepository::new();
        repo.expect_update()
            .withf(|_, id, _| *id == MetaPropertyId(9))
            .returning(|_, _, _| Ok(None));
        repo.expect_update()
            .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
        assert_eq!(
            update_meta_property(&repo, OrganizerId(1), MetaPropertyId(9), fields("a")).await,
            Ok(None)
        );
        assert_eq!(
            update_meta_property(&repo, OrganizerId(1), MetaPropertyId(3), fields("a")).await,
            Err(MetaPropertyError::Repository(RepositoryError::Unavailable(
                "down".into()
            )))
        );
    }

    #[test]
    fn stored_fields_round_trip() {
        let mut f = fields("Color");
        f.default = "red".into();
        f.required = true;
        f.allowed_values = Some(vec!["red".into()]);
        f.protected = true;
        f.filter_allowed = false;
        assert_eq!(stored(1, OrganizerId(2), f.clone()).fields(), f);
    }
}
