//! Products ("items") of an event and their variations (docs/api-compatibility.md): the resource, its
//! rules, and the use cases behind `/events/{e}/items/` and `/items/{id}/variations/`.

use crate::error::RepositoryError;
use crate::ids::EventId;
use crate::ids::{ItemId, VariationId};
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::values::{I18nString, Money};
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

/// The writable fields of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFields {
    pub name: I18nString,
    pub default_price: Money,
    pub active: bool,
    pub description: Option<I18nString>,
    pub admission: bool,
    /// Sort key of the list (ties broken by id).
    pub position: i64,
}

/// The writable fields of a variation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariationFields {
    pub value: I18nString,
    /// `None`: the product's price applies.
    pub default_price: Option<Money>,
    pub active: bool,
    pub position: i64,
}

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

/// The fields a request sent, parsed; `None` = not sent (or sent but invalid, with the error
/// in [`ItemErrors`]). Nullable fields are `Option<Option<T>>` (`Some(None)` = sent as null).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemChanges {
    /// The id to store a new row under, where a fixture gives one; `None` takes the next
    /// free id. The API never sets it (`id` is read-only there).
    pub id: Option<ItemId>,
    pub name: Option<I18nString>,
    pub default_price: Option<Money>,
    pub active: Option<bool>,
    pub description: Option<Option<I18nString>>,
    pub admission: Option<bool>,
    pub position: Option<i64>,
    /// Inline variations, one entry per element sent.
    pub variations: Option<Vec<VariationChanges>>,
}

/// The variation fields a request sent, parsed, as [`ItemChanges`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariationChanges {
    /// The id to store a new row under, where a fixture gives one; `None` takes the next
    /// free id. The API never sets it (`id` is read-only there).
    pub id: Option<VariationId>,
    pub value: Option<I18nString>,
    pub default_price: Option<Option<Money>>,
    pub active: Option<bool>,
    pub position: Option<i64>,
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

/// Whether a write replaces the resource (PUT: the required fields must be sent) or changes
/// part of it (PATCH). Either way, optional fields left out keep their values, as in pretix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Full,
    Partial,
}

/// Why a product or variation was not written or deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// 400 with these errors.
    #[error("invalid product: {0:?}")]
    Invalid(ItemErrors),
    /// 403 with this detail.
    #[error("{0}")]
    Refused(&'static str),
    /// The product or variation is gone (deleted concurrently).
    #[error("no such product or variation")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

const REQUIRED: &str = "This field is required.";

/// A product sent `variations` on PUT/PATCH (pretix's message).
pub const NESTED_UPDATE: &str = "Updating add-ons, bundles, program times or variations via PATCH/PUT is not supported. Please use the dedicated nested endpoint.";

/// A variation added to a product created without variations (pretix's 403 detail).
pub const FIRST_VARIATION: &str = "This variation cannot be created because the item does not have variations. Changing a product without variations to a product with variations is not allowed.";

/// The last variation of a product deleted (pretix's 403 detail).
pub const LAST_VARIATION: &str = "This variation cannot be deleted because it is the only variation. Changing a product with variations to a product without variations is not allowed.";

/// The smallest and largest positions pretix stores (a signed 32-bit integer column).
pub const POSITION_MIN: i64 = -2_147_483_648;
pub const POSITION_MAX: i64 = 2_147_483_647;

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

/// Records `REQUIRED` for each field that was not sent and has no error yet.
fn require(errors: &mut FieldErrors, fields: &[(&str, bool)]) {
    for (field, sent) in fields {
        if !sent && !errors.has(field) {
            errors.add(field, REQUIRED);
        }
    }
}

/// The value rules of a variation's fields; a variation that is not an object
/// (`non_field_errors`) is reported as such only.
fn check_variation(changes: &VariationChanges, write: Write, errors: &mut FieldErrors) {
    if errors.has("non_field_errors") {
        return;
    }
    if write == Write::Full {
        require(errors, &[("value", changes.value.is_some())]);
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

/// The value rules of a product's fields and of its inline variations (which PATCH, as in
/// pretix, checks as partial too).
fn check_item(changes: &ItemChanges, write: Write, all: &mut ItemErrors) {
    if let Some(variations) = &changes.variations {
        all.variations
            .resize_with(variations.len(), FieldErrors::new);
        for (v, e) in variations.iter().zip(all.variations.iter_mut()) {
            check_variation(v, write, e);
        }
    }
    let errors = &mut all.fields;
    if write == Write::Full {
        require(
            errors,
            &[
                ("name", changes.name.is_some()),
                ("default_price", changes.default_price.is_some()),
            ],
        );
    }
    if let Some(message) = changes.default_price.as_ref().and_then(price_error) {
        errors.add("default_price", message);
    }
    if let Some(message) = changes.position.and_then(position_error) {
        errors.add("position", message);
    }
}

impl VariationFields {
    /// A new variation's fields: pretix's defaults for what was not sent.
    fn new(value: I18nString, changes: VariationChanges) -> Self {
        VariationFields {
            value,
            default_price: changes.default_price.flatten(),
            active: changes.active.unwrap_or(true),
            position: changes.position.unwrap_or(0),
        }
    }

    /// These fields with the sent changes applied.
    fn apply(&self, changes: VariationChanges) -> Self {
        VariationFields {
            value: changes.value.unwrap_or_else(|| self.value.clone()),
            default_price: changes.default_price.unwrap_or(self.default_price),
            active: changes.active.unwrap_or(self.active),
            position: changes.position.unwrap_or(self.position),
        }
    }
}

impl ItemFields {
    /// These fields with the sent changes applied.
    fn apply(&self, changes: ItemChanges) -> Self {
        ItemFields {
            name: changes.name.unwrap_or_else(|| self.name.clone()),
            default_price: changes.default_price.unwrap_or(self.default_price),
            active: changes.active.unwrap_or(self.active),
            description: changes
                .description
                .unwrap_or_else(|| self.description.clone()),
            admission: changes.admission.unwrap_or(self.admission),
            position: changes.position.unwrap_or(self.position),
        }
    }
}

impl Item {
    /// The variation `id` if it belongs to this product.
    pub fn variation(&self, id: VariationId) -> Option<&ItemVariation> {
        self.variations.iter().find(|v| v.id == id)
    }
}

/// `POST /items/`: `name` and `default_price` are required, prices are not negative,
/// positions fit 32 bits; inline `variations` (each needs a `value`) are created with the
/// product, which then has variations for good. `errors` holds what the edge found while
/// parsing; every error is reported at once. The caller has checked `can_change_items`.
pub async fn create_item(
    items: &dyn ItemRepository,
    event: EventId,
    changes: ItemChanges,
    mut errors: ItemErrors,
) -> Result<Item, ItemError> {
    check_item(&changes, Write::Full, &mut errors);
    errors.into_result()?;
    let (Some(name), Some(default_price)) = (changes.name, changes.default_price) else {
        return Err(ItemError::Invalid(ItemErrors::single(
            "non_field_errors",
            REQUIRED,
        )));
    };
    let fields = ItemFields {
        name,
        default_price,
        active: changes.active.unwrap_or(true),
        description: changes.description.flatten(),
        admission: changes.admission.unwrap_or(false),
        position: changes.position.unwrap_or(0),
    };
    let mut variations = Vec::new();
    for v in changes.variations.unwrap_or_default() {
        let Some(value) = v.value.clone() else {
            return Err(ItemError::Invalid(ItemErrors::single(
                "non_field_errors",
                REQUIRED,
            )));
        };
        variations.push((v.id, VariationFields::new(value, v)));
    }
    Ok(items.create(event, changes.id, fields, variations).await?)
}

/// `PUT`/`PATCH /items/{id}/`: the product's own fields; variations are changed through
/// their own endpoint only (sending `variations` is an object-level error once every field
/// passed). PUT requires `name` and `default_price`; fields left out keep their values.
pub async fn update_item(
    items: &dyn ItemRepository,
    item: &Item,
    changes: ItemChanges,
    write: Write,
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
    let fields = item.fields.apply(changes);
    items
        .update(item.event, item.id, fields)
        .await?
        .ok_or(ItemError::NotFound)
}

/// `DELETE /items/{id}/`: the product goes with its variations and out of every quota.
pub async fn delete_item(items: &dyn ItemRepository, item: &Item) -> Result<(), ItemError> {
    if items.delete(item.event, item.id).await? {
        Ok(())
    } else {
        Err(ItemError::NotFound)
    }
}

/// `POST /items/{id}/variations/`: `value` is required; once the body is valid, only a
/// product created with variations may get more (403 otherwise, as in pretix). `errors`
/// holds the edge's parse errors.
pub async fn create_variation(
    items: &dyn ItemRepository,
    item: &Item,
    changes: VariationChanges,
    mut errors: FieldErrors,
) -> Result<ItemVariation, ItemError> {
    check_variation(&changes, Write::Full, &mut errors);
    errors.sort_by_order(VARIATION_FIELDS);
    errors.into_result().map_err(variation_errors)?;
    if !item.has_variations {
        return Err(ItemError::Refused(FIRST_VARIATION));
    }
    let Some(value) = changes.value.clone() else {
        return Err(variation_errors(FieldErrors::single("value", REQUIRED)));
    };
    Ok(items
        .create_variation(item.id, changes.id, VariationFields::new(value, changes))
        .await?)
}

/// `PUT`/`PATCH /items/{id}/variations/{vid}/`: PUT requires `value`; fields left out keep
/// their values.
pub async fn update_variation(
    items: &dyn ItemRepository,
    variation: &ItemVariation,
    changes: VariationChanges,
    write: Write,
    mut errors: FieldErrors,
) -> Result<ItemVariation, ItemError> {
    check_variation(&changes, write, &mut errors);
    errors.sort_by_order(VARIATION_FIELDS);
    errors.into_result().map_err(variation_errors)?;
    let fields = variation.fields.apply(changes);
    items
        .update_variation(variation.item, variation.id, fields)
        .await?
        .ok_or(ItemError::NotFound)
}

/// `DELETE /items/{id}/variations/{vid}/`: never the product's only variation (403).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap_or_default()
    }

    fn item_fields() -> ItemFields {
        ItemFields {
            name: I18nString::english("Ticket"),
            default_price: money("23.40"),
            active: true,
            description: None,
            admission: false,
            position: 0,
        }
    }

    fn variation_fields(value: &str) -> VariationFields {
        VariationFields {
            value: I18nString::english(value),
            default_price: None,
            active: true,
            position: 0,
        }
    }

    fn stored(
        id: i64,
        fields: ItemFields,
        variations: Vec<(Option<VariationId>, VariationFields)>,
    ) -> Item {
        Item {
            id: ItemId(id),
            event: EventId(1),
            fields,
            has_variations: !variations.is_empty(),
            variations: variations
                .into_iter()
                .enumerate()
                .map(|(i, (_, f))| ItemVariation {
                    id: VariationId(100 + i64::try_from(i).unwrap_or(0)),
                    item: ItemId(id),
                    fields: f,
                })
                .collect(),
        }
    }

    fn named(name: &str, price: &str) -> ItemChanges {
        ItemChanges {
            name: Some(I18nString::english(name)),
            default_price: Some(money(price)),
            ..ItemChanges::default()
        }
    }

    fn value(v: &str) -> VariationChanges {
        VariationChanges {
            value: Some(I18nString::english(v)),
            ..VariationChanges::default()
        }
    }

    fn invalid(fields: &[(&str, &str)], variations: &[&[(&str, &str)]]) -> ItemError {
        let collect = |pairs: &[(&str, &str)]| {
            let mut e = FieldErrors::new();
            for (f, m) in pairs {
                e.add(f, *m);
            }
            e
        };
        ItemError::Invalid(ItemErrors {
            fields: collect(fields),
            variations_not_a_list: None,
            variations: variations.iter().map(|v| collect(v)).collect(),
        })
    }

    const NEGATIVE: &str = "Ensure this value is greater than or equal to 0.";

    #[test]
    fn prices_and_positions_have_bounds() {
        assert_eq!(price_error(&money("0")), None);
        assert_eq!(price_error(&money("-0")), None);
        assert_eq!(price_error(&money("-0.01")), Some(NEGATIVE));
        assert_eq!(position_error(POSITION_MIN), None);
        assert_eq!(position_error(POSITION_MAX), None);
        assert_eq!(
            position_error(POSITION_MAX + 1),
            Some("Ensure this value is less than or equal to 2147483647.")
        );
        assert_eq!(
            position_error(POSITION_MIN - 1),
            Some("Ensure this value is greater than or equal to -2147483648.")
        );
    }

    #[pollster::test]
    async fn create_applies_defaults_and_creates_inline_variations() {
        let mut repo = MockItemRepository::new();
        repo.expect_create()
            .withf(|event, id, f, v| {
                *event == EventId(1)
                    && id.is_none()
                    && *f == item_fields()
                    && *v
                        == vec![
                            (None, variation_fields("S")),
                            (
                                None,
                                VariationFields {
                                    default_price: Some(money("2.5")),
                                    active: false,
                                    position: 3,
                                    ..variation_fields("M")
                                },
                            ),
                        ]
            })
            .times(1)
            .returning(|_, _, f, v| Ok(stored(7, f, v)));
        let mut changes = named("Ticket", "23.4");
        changes.variations = Some(vec![
            value("S"),
            VariationChanges {
                default_price: Some(Some(money("2.5"))),
                active: Some(false),
                position: Some(3),
                ..value("M")
            },
        ]);
        let created = create_item(&repo, EventId(1), changes, ItemErrors::default()).await;
        assert_eq!(
            created.map(|i| (i.id, i.has_variations, i.variations.len())),
            Ok((ItemId(7), true, 2))
        );
    }

    #[pollster::test]
    async fn create_without_variations_has_none() {
        let mut repo = MockItemRepository::new();
        repo.expect_create()
            .withf(|_, _, _, v| v.is_empty())
            .times(1)
            .returning(|_, _, f, v| Ok(stored(1, f, v)));
        let mut changes = named("Ticket", "0");
        changes.variations = Some(vec![]);
        let created = create_item(&repo, EventId(1), changes, ItemErrors::default()).await;
        assert_eq!(created.map(|i| i.has_variations), Ok(false));
    }

    #[pollster::test]
    async fn create_reports_every_error_at_once_and_writes_nothing() {
        let repo = MockItemRepository::new();
        let mut parse = ItemErrors::default();
        parse.fields.add("active", "Must be a valid boolean.");
        parse.variations = vec![
            FieldErrors::new(),
            FieldErrors::single(
                "non_field_errors",
                "Invalid data. Expected a dictionary, but got int.",
            ),
            FieldErrors::new(),
        ];
        let changes = ItemChanges {
            position: Some(POSITION_MAX + 1),
            variations: Some(vec![
                value("S"),
                VariationChanges::default(),
                VariationChanges {
                    default_price: Some(Some(money("-1"))),
                    ..VariationChanges::default()
                },
            ]),
            ..ItemChanges::default()
        };
        assert_eq!(
            create_item(&repo, EventId(1), changes, parse).await,
            Err(invalid(
                &[
                    ("name", REQUIRED),
                    ("default_price", REQUIRED),
                    ("active", "Must be a valid boolean."),
                    (
                        "position",
                        "Ensure this value is less than or equal to 2147483647."
                    ),
                ],
                &[
                    &[],
                    &[(
                        "non_field_errors",
                        "Invalid data. Expected a dictionary, but got int."
                    )],
                    &[("value", REQUIRED), ("default_price", NEGATIVE)],
                ],
            ))
        );
        assert_eq!(
            create_item(&repo, EventId(1), named("x", "-5"), ItemErrors::default()).await,
            Err(invalid(&[("default_price", NEGATIVE)], &[]))
        );
    }

    #[pollster::test]
    async fn update_keeps_what_was_not_sent_and_refuses_variations() {
        let mut current = item_fields();
        current.description = Some(I18nString::english("d"));
        current.active = false;
        let item = stored(3, current.clone(), vec![]);
        let mut repo = MockItemRepository::new();
        repo.expect_update()
            .withf(|e, id, f| {
                *e == EventId(1)
                    && *id == ItemId(3)
                    && f.name == I18nString::english("New")
                    && f.default_price == money("5")
                    && !f.active
                    && f.description == Some(I18nString::english("d"))
            })
            .times(1)
            .returning(|_, _, f| Ok(Some(stored(3, f, vec![]))));
        let updated = update_item(
            &repo,
            &item,
            named("New", "5"),
            Write::Full,
            ItemErrors::default(),
        )
        .await;
        assert_eq!(updated.map(|i| i.fields.position), Ok(0));

        // PUT needs the required fields; PATCH does not.
        assert_eq!(
            update_item(
                &repo,
                &item,
                ItemChanges::default(),
                Write::Full,
                ItemErrors::default()
            )
            .await,
            Err(invalid(
                &[("name", REQUIRED), ("default_price", REQUIRED)],
                &[]
            ))
        );
        let nested = ItemChanges {
            variations: Some(vec![]),
            ..ItemChanges::default()
        };
        assert_eq!(
            update_item(
                &repo,
                &item,
                nested.clone(),
                Write::Partial,
                ItemErrors::default()
            )
            .await,
            Err(invalid(&[("non_field_errors", NESTED_UPDATE)], &[]))
        );
        // Field errors come before the object-level rule.
        let mut bad_position = nested;
        bad_position.position = Some(POSITION_MIN - 1);
        assert_eq!(
            update_item(
                &repo,
                &item,
                bad_position,
                Write::Partial,
                ItemErrors::default()
            )
            .await,
            Err(invalid(
                &[(
                    "position",
                    "Ensure this value is greater than or equal to -2147483648."
                )],
                &[]
            ))
        );
    }

    #[pollster::test]
    async fn inline_variations_on_update_follow_the_write_mode() {
        let item = stored(3, item_fields(), vec![]);
        let repo = MockItemRepository::new();
        let changes = || ItemChanges {
            variations: Some(vec![VariationChanges::default()]),
            ..named("x", "1")
        };
        assert_eq!(
            update_item(&repo, &item, changes(), Write::Full, ItemErrors::default()).await,
            Err(invalid(&[], &[&[("value", REQUIRED)]]))
        );
        assert_eq!(
            update_item(
                &repo,
                &item,
                changes(),
                Write::Partial,
                ItemErrors::default()
            )
            .await,
            Err(invalid(&[("non_field_errors", NESTED_UPDATE)], &[]))
        );
    }

    #[pollster::test]
    async fn update_of_a_vanished_item_is_not_found_and_outages_pass_through() {
        let item = stored(3, item_fields(), vec![]);
        let mut repo = MockItemRepository::new();
        repo.expect_update().times(1).returning(|_, _, _| Ok(None));
        repo.expect_update()
            .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
        let patch = || ItemChanges {
            admission: Some(true),
            ..ItemChanges::default()
        };
        assert_eq!(
            update_item(&repo, &item, patch(), Write::Partial, ItemErrors::default()).await,
            Err(ItemError::NotFound)
        );
        assert_eq!(
            update_item(&repo, &item, patch(), Write::Partial, ItemErrors::default()).await,
            Err(ItemError::Repository(RepositoryError::Unavailable(
                "down".into()
            )))
        );
    }

    #[pollster::test]
    async fn delete_item_reports_a_missing_item() {
        let item = stored(3, item_fields(), vec![]);
        let mut repo = MockItemRepository::new();
        repo.expect_delete()
            .withf(|e, id| *e == EventId(1) && *id == ItemId(3))
            .times(1)
            .returning(|_, _| Ok(true));
        repo.expect_delete().returning(|_, _| Ok(false));
        assert_eq!(delete_item(&repo, &item).await, Ok(()));
        assert_eq!(delete_item(&repo, &item).await, Err(ItemError::NotFound));
    }

    #[pollster::test]
    async fn variations_only_for_products_with_variations() {
        let plain = stored(1, item_fields(), vec![]);
        let with = stored(2, item_fields(), vec![(None, variation_fields("S"))]);
        let mut repo = MockItemRepository::new();
        repo.expect_create_variation()
            .withf(|item, id, f| {
                *item == ItemId(2) && id.is_none() && f.value == I18nString::english("M")
            })
            .times(1)
            .returning(|item, _, fields| {
                Ok(ItemVariation {
                    id: VariationId(9),
                    item,
                    fields,
                })
            });
        assert_eq!(
            create_variation(&repo, &plain, value("M"), FieldErrors::new()).await,
            Err(ItemError::Refused(FIRST_VARIATION))
        );
        // The body is checked first.
        assert_eq!(
            create_variation(
                &repo,
                &plain,
                VariationChanges::default(),
                FieldErrors::new()
            )
            .await,
            Err(invalid(&[("value", REQUIRED)], &[]))
        );
        assert_eq!(
            create_variation(&repo, &with, value("M"), FieldErrors::new())
                .await
                .map(|v| (v.id, v.fields)),
            Ok((VariationId(9), variation_fields("M")))
        );
        let mut parse = FieldErrors::new();
        parse.add("active", "Must be a valid boolean.");
        let changes = VariationChanges {
            default_price: Some(Some(money("-0.5"))),
            ..VariationChanges::default()
        };
        assert_eq!(
            create_variation(&repo, &with, changes, parse).await,
            Err(invalid(
                &[
                    ("value", REQUIRED),
                    ("default_price", NEGATIVE),
                    ("active", "Must be a valid boolean.")
                ],
                &[]
            ))
        );
    }

    #[pollster::test]
    async fn variation_updates_keep_what_was_not_sent() {
        let item = stored(2, item_fields(), vec![(None, variation_fields("S"))]);
        let variation = item.variations[0].clone();
        let mut repo = MockItemRepository::new();
        repo.expect_update_variation()
            .withf(|item, id, f| {
                *item == ItemId(2)
                    && *id == VariationId(100)
                    && f.value == I18nString::english("S")
                    && f.default_price == Some(money("4"))
            })
            .times(1)
            .returning(|item, id, fields| Ok(Some(ItemVariation { id, item, fields })));
        let changes = VariationChanges {
            default_price: Some(Some(money("4"))),
            ..VariationChanges::default()
        };
        assert!(update_variation(
            &repo,
            &variation,
            changes.clone(),
            Write::Partial,
            FieldErrors::new()
        )
        .await
        .is_ok());
        assert_eq!(
            update_variation(&repo, &variation, changes, Write::Full, FieldErrors::new()).await,
            Err(invalid(&[("value", REQUIRED)], &[]))
        );
    }

    #[pollster::test]
    async fn the_only_variation_cannot_be_deleted() {
        let one = stored(2, item_fields(), vec![(None, variation_fields("S"))]);
        let two = stored(
            3,
            item_fields(),
            vec![(None, variation_fields("S")), (None, variation_fields("M"))],
        );
        let mut repo = MockItemRepository::new();
        repo.expect_delete_variation()
            .withf(|item, id| *item == ItemId(3) && *id == VariationId(101))
            .times(1)
            .returning(|_, _| Ok(true));
        assert_eq!(
            delete_variation(&repo, &one, VariationId(100)).await,
            Err(ItemError::Refused(LAST_VARIATION))
        );
        assert_eq!(
            delete_variation(&repo, &two, VariationId(555)).await,
            Err(ItemError::NotFound)
        );
        assert_eq!(
            delete_variation(&repo, &two, VariationId(101)).await,
            Ok(())
        );
    }

    #[test]
    fn errors_sort_in_field_order_and_drop_all_valid_variations() {
        let mut e = ItemErrors::default();
        e.fields.add("position", "p");
        e.fields.add("name", "n");
        e.variations = vec![FieldErrors::new()];
        let Err(ItemError::Invalid(sorted)) = e.into_result() else {
            panic!("invalid expected");
        };
        let fields: Vec<_> = sorted.fields.iter().map(|(f, _)| f).collect();
        assert_eq!(
            (fields, sorted.variations.len()),
            (vec!["name", "position"], 0)
        );
        assert_eq!(ItemErrors::default().into_result(), Ok(()));
    }
}
