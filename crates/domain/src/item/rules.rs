//! The product and variation use cases and their rules.

use super::{
    Item, ItemChanges, ItemErrors, ItemFields, ItemRepository, ItemVariation, VariationChanges,
    VariationFields, FIRST_VARIATION, LAST_VARIATION, NESTED_UPDATE, POSITION_MAX, POSITION_MIN,
    REQUIRED, VARIATION_FIELDS,
};
use crate::error::RepositoryError;
use crate::ids::{EventId, VariationId};
use crate::validation::FieldErrors;
use crate::values::Money;
use crate::write::WriteMode;

/// Why a product or variation was not written or deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// The fields refused, with their messages (the product's and its variations').
    #[error("invalid product: {0:?}")]
    Invalid(ItemErrors),
    /// Refused as a whole, with this message.
    #[error("{0}")]
    Refused(&'static str),
    /// The product or variation is gone (deleted concurrently).
    #[error("no such product or variation")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Prices are never negative (Presale refuses them; pretix accepts them).
pub fn price_error(price: &Money) -> Option<&'static str> {
    price
        .is_negative()
        .then_some("Ensure this value is greater than or equal to 0.")
}

/// Positions are 32-bit signed integers.
pub fn position_error(position: i64) -> Option<&'static str> {
    if position < POSITION_MIN {
        Some("Ensure this value is greater than or equal to -2147483648.")
    } else if position > POSITION_MAX {
        Some("Ensure this value is less than or equal to 2147483647.")
    } else {
        None
    }
}

/// The value rules of a variation's fields; a variation that is not an object
/// (`non_field_errors`) is reported as such only.
fn check_variation(changes: &VariationChanges, write: WriteMode, errors: &mut FieldErrors) {
    if errors.has("non_field_errors") {
        return;
    }
    if write.is_full() {
        errors.require(&[("value", changes.value.is_some())]);
    }
    if let Some(message) = changes
        .default_price
        .flatten()
        .as_ref()
        .and_then(price_error)
    {
        errors.add("default_price", message);
    }
    if let Some(message) = changes.position.and_then(position_error) {
        errors.add("position", message);
    }
}

/// The value rules of a product's fields and of its inline variations (which a partial
/// write, as in pretix, checks as partial too).
fn check_item(changes: &ItemChanges, write: WriteMode, all: &mut ItemErrors) {
    if let Some(variations) = &changes.variations {
        all.variations
            .resize_with(variations.len(), FieldErrors::new);
        for (v, e) in variations.iter().zip(all.variations.iter_mut()) {
            check_variation(v, write, e);
        }
    }
    let errors = &mut all.fields;
    if write.is_full() {
        errors.require(&[
            ("name", changes.name.is_some()),
            ("default_price", changes.default_price.is_some()),
        ]);
    }
    if let Some(message) = changes.default_price.as_ref().and_then(price_error) {
        errors.add("default_price", message);
    }
    if let Some(message) = changes.position.and_then(position_error) {
        errors.add("position", message);
    }
}

/// Creates a product: `name` and `default_price` are required, prices are not negative,
/// positions fit 32 bits; inline `variations` (each needs a `value`) are created with the
/// product, which then has variations for good. `errors` holds what the edge found while
/// parsing; every error is reported at once. The caller has checked `can_change_items`.
pub async fn create_item(
    items: &dyn ItemRepository,
    event: EventId,
    mut changes: ItemChanges,
    mut errors: ItemErrors,
) -> Result<Item, ItemError> {
    check_item(&changes, WriteMode::Create, &mut errors);
    errors.into_result()?;
    let (Some(name), Some(default_price)) = (changes.name.clone(), changes.default_price) else {
        return Err(ItemError::Invalid(ItemErrors::single(
            "non_field_errors",
            REQUIRED,
        )));
    };
    let id = changes.id;
    let variation_changes = changes.variations.take().unwrap_or_default();
    let fields = changes.overlay(ItemFields::defaults(name, default_price));
    let mut variations = Vec::new();
    for v in variation_changes {
        let Some(value) = v.value.clone() else {
            return Err(ItemError::Invalid(ItemErrors::single(
                "non_field_errors",
                REQUIRED,
            )));
        };
        variations.push((v.id, v.overlay(VariationFields::defaults(value))));
    }
    Ok(items.create(event, id, fields, variations).await?)
}

/// Changes the product's own fields; variations are changed through the variation use cases
/// only (sending `variations` is an object-level error once every field passed). A full
/// write (`WriteMode::Replace`) requires `name` and `default_price`; fields left out keep their
/// values.
pub async fn update_item(
    items: &dyn ItemRepository,
    item: &Item,
    changes: ItemChanges,
    write: WriteMode,
    mut errors: ItemErrors,
) -> Result<Item, ItemError> {
    check_item(&changes, write, &mut errors);
    errors.into_result()?;
    if changes.variations.is_some() {
        return Err(ItemError::Invalid(ItemErrors::single(
            "non_field_errors",
            NESTED_UPDATE,
        )));
    }
    let fields = changes.overlay(item.fields.clone());
    items
        .update(item.event, item.id, fields)
        .await?
        .ok_or(ItemError::NotFound)
}

/// Deletes a product: it goes with its variations and out of every quota.
pub async fn delete_item(items: &dyn ItemRepository, item: &Item) -> Result<(), ItemError> {
    if items.delete(item.event, item.id).await? {
        Ok(())
    } else {
        Err(ItemError::NotFound)
    }
}

/// Adds a variation to a product: `value` is required; once the fields are valid, only a
/// product created with variations may get more (refused otherwise, as in pretix). `errors`
/// holds the edge's parse errors.
pub async fn create_variation(
    items: &dyn ItemRepository,
    item: &Item,
    changes: VariationChanges,
    mut errors: FieldErrors,
) -> Result<ItemVariation, ItemError> {
    check_variation(&changes, WriteMode::Create, &mut errors);
    errors.sort_by_order(VARIATION_FIELDS);
    errors.into_result().map_err(variation_errors)?;
    if !item.has_variations {
        return Err(ItemError::Refused(FIRST_VARIATION));
    }
    let Some(value) = changes.value.clone() else {
        return Err(variation_errors(FieldErrors::single("value", REQUIRED)));
    };
    Ok(items
        .create_variation(
            item.id,
            changes.id,
            changes.overlay(VariationFields::defaults(value)),
        )
        .await?)
}

/// Changes a variation: a full write (`WriteMode::Replace`) requires `value`; fields left out keep
/// their values.
pub async fn update_variation(
    items: &dyn ItemRepository,
    variation: &ItemVariation,
    changes: VariationChanges,
    write: WriteMode,
    mut errors: FieldErrors,
) -> Result<ItemVariation, ItemError> {
    check_variation(&changes, write, &mut errors);
    errors.sort_by_order(VARIATION_FIELDS);
    errors.into_result().map_err(variation_errors)?;
    let fields = changes.overlay(variation.fields.clone());
    items
        .update_variation(variation.item, variation.id, fields)
        .await?
        .ok_or(ItemError::NotFound)
}

/// Deletes a variation: never the product's only variation (refused).
pub async fn delete_variation(
    items: &dyn ItemRepository,
    item: &Item,
    variation: VariationId,
) -> Result<(), ItemError> {
    if item.variation(variation).is_none() {
        return Err(ItemError::NotFound);
    }
    if item.variations.len() <= 1 {
        return Err(ItemError::Refused(LAST_VARIATION));
    }
    if items.delete_variation(item.id, variation).await? {
        Ok(())
    } else {
        Err(ItemError::NotFound)
    }
}

fn variation_errors(fields: FieldErrors) -> ItemError {
    ItemError::Invalid(ItemErrors {
        fields,
        ..ItemErrors::default()
    })
}
