//! Imported secrets (the "Secrets Import" plugin, docs/api-compatibility.md): ticket secrets (QR code
//! contents) loaded from third-party check-in systems, used instead of generated ones.
//!
//! The rules: `secret` is required, 1..255 characters and unique within the event; `used`
//! goes from false to true and never back; a used secret cannot be deleted; `item`,
//! `variation` and `subevent` name the event's own catalog, the variation one of the item's;
//! a bulk import holds at most [`BULK_MAX`] objects and is written whole or not at all.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    bulk_create_secrets, create_secret, delete_secret, import_secrets, update_secret,
    ImportOutcome, ImportedSecretError,
};

use crate::error::RepositoryError;
use crate::ids::EventId;
use crate::ids::ImportedSecretId;
use crate::ids::SubEventId;
use crate::ids::{ItemId, VariationId};
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::write::writable;
use async_trait::async_trait;

/// The resource's fields, in the order they are shown (and errors reported in).
pub const IMPORTED_SECRET_FIELDS: &[&str] =
    &["id", "secret", "used", "item", "variation", "subevent"];

/// The longest secret accepted, in characters.
pub const SECRET_MAX_LENGTH: usize = 255;
/// The most objects one `bulk_create` request may hold.
pub const BULK_MAX: usize = 500;

/// The plugin's own texts are not public; these are the contract (docs/api-compatibility.md).
pub const DUPLICATE: &str = "This secret has already been imported.";
pub const DUPLICATE_IN_REQUEST: &str = "This secret is contained in the request more than once.";
pub const USED_RESET: &str = "A secret that has been used cannot be marked as unused.";
pub const USED_NOT_DELETABLE: &str = "This secret has already been used and cannot be deleted.";
pub const VARIATION_OF_OTHER_ITEM: &str = "The variation does not belong to the selected product.";
/// DRF's message for a list that is too long.
pub const TOO_MANY: &str = "Ensure this field has no more than 500 elements.";
pub const TOO_LONG: &str = "Ensure this field has no more than 255 characters.";
pub const BLANK: &str = "This field may not be blank.";

/// A stored secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedSecret {
    pub id: ImportedSecretId,
    pub event: EventId,
    pub data: SecretData,
}

writable! {
    /// Everything about a secret that the API can write.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SecretData;

    /// The fields of one object as a client sent them, parsed at the edge; `None` = not sent,
    /// `Some(None)` = sent as null.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct SecretChanges {
        /// What the edge found while reading the fields (a field that failed is `None` above).
        pub errors: FieldErrors,
    }

    /// The defaults of the fields a client may leave out (`secret` is required: empty until
    /// the changes fill it).
    fields() {
        secret: String = String::new(),
        used: bool = false,
        item: Option<ItemId> = None,
        variation: Option<VariationId> = None,
        subevent: Option<SubEventId> = None,
    }
}

/// The list's filters (all exact); `None` = not filtered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretFilter {
    pub used: Option<bool>,
    pub item: Option<ItemId>,
    pub variation: Option<VariationId>,
    pub subevent: Option<SubEventId>,
    pub secret: Option<String>,
}

/// Those of the ids asked about that belong to the event's catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogMatches {
    pub items: Vec<ItemId>,
    /// Each variation with its product.
    pub variations: Vec<(VariationId, ItemId)>,
    pub subevents: Vec<SubEventId>,
}

/// Port: imported secrets. Every method is scoped to one event: an id of another event's
/// secret behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ImportedSecretRepository: Send + Sync {
    /// One page of the event's secrets matching `filter`, ordered by id, with the total.
    /// Must cost about the same for any page of any size of list (see docs/performance.md).
    async fn list(
        &self,
        event: EventId,
        filter: SecretFilter,
        window: Window,
    ) -> Result<Page<ImportedSecret>, RepositoryError>;

    async fn find(
        &self,
        event: EventId,
        id: ImportedSecretId,
    ) -> Result<Option<ImportedSecret>, RepositoryError>;

    /// Those of `secrets` that the event already has, with their ids.
    async fn existing(
        &self,
        event: EventId,
        secrets: Vec<String>,
    ) -> Result<Vec<(String, ImportedSecretId)>, RepositoryError>;

    /// Those of the ids that are the event's products, variations (of its products) and
    /// dates.
    async fn catalog(
        &self,
        event: EventId,
        items: Vec<ItemId>,
        variations: Vec<VariationId>,
        subevents: Vec<SubEventId>,
    ) -> Result<CatalogMatches, RepositoryError>;

    /// Stores the secrets in one transaction, in order (ids ascending in that order), and
    /// returns them. Must return `RepositoryError::Conflict` when a secret is taken in the
    /// event (then nothing is written).
    async fn create(
        &self,
        event: EventId,
        secrets: Vec<SecretData>,
    ) -> Result<Vec<ImportedSecret>, RepositoryError>;

    /// Replaces the secret's fields if its `used` is still `was_used`; `None` if the event
    /// has no such secret or its `used` changed meanwhile. Must return
    /// `RepositoryError::Conflict` when the new secret is taken in the event.
    async fn update(
        &self,
        event: EventId,
        id: ImportedSecretId,
        was_used: bool,
        data: SecretData,
    ) -> Result<Option<ImportedSecret>, RepositoryError>;

    /// Deletes the secret unless it is used; `false` if nothing was deleted (no such secret,
    /// or a used one).
    async fn delete_unused(
        &self,
        event: EventId,
        id: ImportedSecretId,
    ) -> Result<bool, RepositoryError>;
}

/// Why a secret text is refused: blank, or longer than [`SECRET_MAX_LENGTH`] characters.
pub fn check_secret(secret: &str) -> Result<(), &'static str> {
    if secret.is_empty() {
        Err(BLANK)
    } else if secret.chars().count() > SECRET_MAX_LENGTH {
        Err(TOO_LONG)
    } else {
        Ok(())
    }
}
