//! Products ("items") of an event and their variations (docs/api-compatibility.md): the
//! resource, its rules, and the use cases that create, change and delete products and their
//! variations.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    create_item, create_variation, delete_item, delete_variation, position_error, price_error,
    update_item, update_variation, ItemError,
};

use crate::error::RepositoryError;
use crate::ids::{EventId, ItemId, VariationId};
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::values::{I18nString, Money};
use crate::write::writable;
use async_trait::async_trait;

/// The product resource's fields, in the order they are shown (and errors reported in).
pub const ITEM_FIELDS: &[&str] = &[
    "id",
    "name",
    "default_price",
    "active",
    "description",
    "category",
    "admission",
    "position",
    "has_variations",
    "variations",
];

/// The variation resource's fields, in the order they are shown.
pub const VARIATION_FIELDS: &[&str] = &["id", "value", "default_price", "active", "position"];

/// A stored variation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVariation {
    pub id: VariationId,
    pub item: ItemId,
    pub fields: VariationFields,
}

/// A stored product with its variations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    pub event: EventId,
    pub fields: ItemFields,
    /// Fixed at creation: whether the product was created with variations. A product cannot
    /// gain its first variation or lose its last one.
    pub has_variations: bool,
    /// Ordered by position, then id.
    pub variations: Vec<ItemVariation>,
}

/// Port: products and their variations.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ItemRepository: Send + Sync {
    /// One page of the event's products ordered by position then id, each with all its
    /// variations (ordered by position then id), and the total number of products. Must
    /// cost a fixed number of queries whatever the page size.
    async fn list(&self, event: EventId, window: Window) -> Result<Page<Item>, RepositoryError>;

    /// Every product of the event with its variations, in the order of [`Self::list`].
    async fn all(&self, event: EventId) -> Result<Vec<Item>, RepositoryError>;

    /// The product `id` with its variations; `None` when the event has no such product
    /// (a product of another event included).
    async fn find(&self, event: EventId, id: ItemId) -> Result<Option<Item>, RepositoryError>;

    /// Stores a product and its variations in one transaction and returns it as stored;
    /// `has_variations` is stored as `!variations.is_empty()`. Rows are stored under the
    /// ids given, if any; [`RepositoryError::IdTaken`] when a row has one already.
    async fn create(
        &self,
        event: EventId,
        id: Option<ItemId>,
        fields: ItemFields,
        variations: Vec<(Option<VariationId>, VariationFields)>,
    ) -> Result<Item, RepositoryError>;

    /// Replaces the product's writable fields (not its variations) and returns it as
    /// stored; `None` when the event has no such product.
    async fn update(
        &self,
        event: EventId,
        id: ItemId,
        fields: ItemFields,
    ) -> Result<Option<Item>, RepositoryError>;

    /// Deletes the product with its variations and takes both out of every quota that
    /// lists them; `false` when the event had no such product.
    async fn delete(&self, event: EventId, id: ItemId) -> Result<bool, RepositoryError>;

    /// One page of the product's variations ordered by position then id, with their total.
    async fn list_variations(
        &self,
        item: ItemId,
        window: Window,
    ) -> Result<Page<ItemVariation>, RepositoryError>;

    /// The variation `id` of the product; `None` when the product has no such variation (a
    /// variation of another product included).
    async fn find_variation(
        &self,
        item: ItemId,
        id: VariationId,
    ) -> Result<Option<ItemVariation>, RepositoryError>;

    /// Stores a new variation of the product (under `id`, if given) and returns it as
    /// stored.
    async fn create_variation(
        &self,
        item: ItemId,
        id: Option<VariationId>,
        fields: VariationFields,
    ) -> Result<ItemVariation, RepositoryError>;

    /// Replaces the variation's writable fields and returns it as stored; `None` when the
    /// product has no such variation.
    async fn update_variation(
        &self,
        item: ItemId,
        id: VariationId,
        fields: VariationFields,
    ) -> Result<Option<ItemVariation>, RepositoryError>;

    /// Deletes the variation and takes it out of every quota that lists it; `false` when
    /// the product had no such variation.
    async fn delete_variation(
        &self,
        item: ItemId,
        id: VariationId,
    ) -> Result<bool, RepositoryError>;
}

writable! {
    /// The writable fields of a product.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ItemFields;

    /// The fields a request sent, parsed; `None` = not sent (or sent but invalid, with the
    /// error in [`ItemErrors`]). Nullable fields are `Option<Option<T>>` (`Some(None)` = sent
    /// as null).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct ItemChanges {
        /// The id to store a new row under, where a fixture gives one; `None` takes the next
        /// free id. The API never sets it (`id` is read-only there).
        pub id: Option<ItemId>,
        /// Inline variations, one entry per element sent.
        pub variations: Option<Vec<VariationChanges>>,
    }

    /// A new product from its required fields: active, no description, no admission, first.
    fields(name: I18nString, default_price: Money) {
        name: I18nString = name,
        default_price: Money = default_price,
        active: bool = true,
        description: Option<I18nString> = None,
        admission: bool = false,
        /// Sort key of the list (ties broken by id).
        position: i64 = 0,
    }
}

writable! {
    /// The writable fields of a variation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct VariationFields;

    /// The variation fields a request sent, parsed, as [`ItemChanges`].
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct VariationChanges {
        /// The id to store a new row under, where a fixture gives one; `None` takes the next
        /// free id. The API never sets it (`id` is read-only there).
        pub id: Option<VariationId>,
    }

    /// A new variation from its required value: pretix's defaults for the rest.
    fields(value: I18nString) {
        value: I18nString = value,
        /// `None`: the product's price applies.
        default_price: Option<Money> = None,
        active: bool = true,
        position: i64 = 0,
    }
}

/// What is wrong with a product request: its own fields, and its inline variations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemErrors {
    /// Errors of the product's fields in [`ITEM_FIELDS`] order, or `non_field_errors`.
    pub fields: FieldErrors,
    /// `variations` was not a list: the message, which pretix nests under
    /// `{"variations": {"non_field_errors": [...]}}`.
    pub variations_not_a_list: Option<String>,
    /// Errors of the inline variations, one entry per element sent (empty for a valid one);
    /// empty when every variation is valid.
    pub variations: Vec<FieldErrors>,
}

impl ItemErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
            && self.variations_not_a_list.is_none()
            && self.variations.iter().all(FieldErrors::is_empty)
    }

    /// A single product field error (or `non_field_errors`).
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        ItemErrors {
            fields: FieldErrors::single(field, message),
            ..ItemErrors::default()
        }
    }

    fn into_result(mut self) -> Result<(), ItemError> {
        if self.is_empty() {
            return Ok(());
        }
        self.fields.sort_by_order(ITEM_FIELDS);
        if self.variations.iter().all(FieldErrors::is_empty) {
            self.variations.clear();
        }
        for v in &mut self.variations {
            v.sort_by_order(VARIATION_FIELDS);
        }
        Err(ItemError::Invalid(self))
    }
}

use crate::validation::REQUIRED;

/// A product update sent `variations` (pretix's message).
pub const NESTED_UPDATE: &str = "Updating add-ons, bundles, program times or variations via PATCH/PUT is not supported. Please use the dedicated nested endpoint.";

/// A variation added to a product created without variations is refused (pretix's message).
pub const FIRST_VARIATION: &str = "This variation cannot be created because the item does not have variations. Changing a product without variations to a product with variations is not allowed.";

/// The last variation of a product is not deleted (pretix's message).
pub const LAST_VARIATION: &str = "This variation cannot be deleted because it is the only variation. Changing a product with variations to a product without variations is not allowed.";

/// The smallest and largest positions pretix stores (a signed 32-bit integer column).
pub const POSITION_MIN: i64 = -2_147_483_648;
pub const POSITION_MAX: i64 = 2_147_483_647;

impl Item {
    /// The variation `id` if it belongs to this product.
    pub fn variation(&self, id: VariationId) -> Option<&ItemVariation> {
        self.variations.iter().find(|v| v.id == id)
    }
}
