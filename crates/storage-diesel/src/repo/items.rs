//! Products and their variations: `items` and `item_variations`. Deleting either takes it out
//! of every quota through the schema's `ON DELETE CASCADE`.

use super::{each, page, Database};
use crate::connection::DbConnection;
use crate::dialect::{claim_id, per_backend};
use crate::error::{from_diesel, TxError};
use crate::schema::{item_variations, items};
use async_trait::async_trait;
use diesel::prelude::*;
use presale_domain::ids::EventId;
use presale_domain::ids::{ItemId, VariationId};
use presale_domain::item::{Item, ItemFields, ItemRepository, ItemVariation, VariationFields};
use presale_domain::pagination::{Page, Window};
use presale_domain::values::{I18nString, Money};
use presale_domain::RepositoryError;
use std::collections::HashMap;

#[derive(Queryable, Selectable)]
#[diesel(table_name = items)]
struct ItemRow {
    id: i64,
    event_id: i64,
    name: String,
    default_price: String,
    active: bool,
    description: Option<String>,
    admission: bool,
    position: i64,
    has_variations: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = item_variations)]
struct VariationRow {
    id: i64,
    item_id: i64,
    value: String,
    default_price: Option<String>,
    active: bool,
    position: i64,
}

/// The columns an item write sets (`category` stays `NULL`: categories are not served).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = items, treat_none_as_null = true)]
pub(super) struct ItemChangeset {
    name: String,
    default_price: String,
    active: bool,
    description: Option<String>,
    admission: bool,
    position: i64,
}

impl From<ItemFields> for ItemChangeset {
    fn from(f: ItemFields) -> Self {
        ItemChangeset {
            name: f.name.to_json_string(),
            default_price: f.default_price.to_string(),
            active: f.active,
            description: f.description.as_ref().map(I18nString::to_json_string),
            admission: f.admission,
            position: f.position,
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = item_variations, treat_none_as_null = true)]
pub(super) struct VariationChangeset {
    value: String,
    default_price: Option<String>,
    active: bool,
    position: i64,
}

impl From<VariationFields> for VariationChangeset {
    fn from(f: VariationFields) -> Self {
        VariationChangeset {
            value: f.value.to_json_string(),
            default_price: f.default_price.as_ref().map(Money::to_string),
            active: f.active,
            position: f.position,
        }
    }
}

fn corrupt(what: &str, id: i64, field: &str, e: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::Internal(format!("{what} {id}: bad {field}: {e}"))
}

fn i18n(what: &str, id: i64, field: &str, text: &str) -> Result<I18nString, RepositoryError> {
    I18nString::from_json_str(text).map_err(|e| corrupt(what, id, field, e))
}

fn money(what: &str, id: i64, text: &str) -> Result<Money, RepositoryError> {
    Money::parse(text).map_err(|e| corrupt(what, id, "default_price", e))
}

impl TryFrom<VariationRow> for ItemVariation {
    type Error = RepositoryError;

    fn try_from(row: VariationRow) -> Result<Self, RepositoryError> {
        const WHAT: &str = "variation";
        Ok(ItemVariation {
            id: VariationId(row.id),
            item: ItemId(row.item_id),
            fields: VariationFields {
                value: i18n(WHAT, row.id, "value", &row.value)?,
                default_price: row
                    .default_price
                    .as_deref()
                    .map(|p| money(WHAT, row.id, p))
                    .transpose()?,
                active: row.active,
                position: row.position,
            },
        })
    }
}

fn item(row: ItemRow, variations: Vec<ItemVariation>) -> Result<Item, RepositoryError> {
    const WHAT: &str = "item";
    Ok(Item {
        id: ItemId(row.id),
        event: EventId(row.event_id),
        fields: ItemFields {
            name: i18n(WHAT, row.id, "name", &row.name)?,
            default_price: money(WHAT, row.id, &row.default_price)?,
            active: row.active,
            description: row
                .description
                .as_deref()
                .map(|d| i18n(WHAT, row.id, "description", d))
                .transpose()?,
            admission: row.admission,
            position: row.position,
        },
        has_variations: row.has_variations,
        variations,
    })
}

/// The items of `rows` with their variations, loaded in one query for all of them.
fn with_variations(
    conn: &mut DbConnection,
    rows: Vec<ItemRow>,
) -> Result<Vec<Item>, RepositoryError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_item: HashMap<i64, Vec<ItemVariation>> = HashMap::new();
    if !ids.is_empty() {
        let loaded = item_variations::table
            .filter(item_variations::item_id.eq_any(&ids))
            .order((item_variations::position, item_variations::id))
            .select(VariationRow::as_select())
            .load(conn)
            .map_err(from_diesel)?;
        for row in loaded {
            let v = ItemVariation::try_from(row)?;
            by_item.entry(v.item.0).or_default().push(v);
        }
    }
    rows.into_iter()
        .map(|row| {
            let mine = by_item.remove(&row.id).unwrap_or_default();
            item(row, mine)
        })
        .collect()
}

/// The item `id` of `event` with its variations.
fn load_item(
    conn: &mut DbConnection,
    event: i64,
    id: i64,
) -> Result<Option<Item>, RepositoryError> {
    let rows = items::table
        .filter(items::event_id.eq(event))
        .filter(items::id.eq(id))
        .select(ItemRow::as_select())
        .load(conn)
        .map_err(from_diesel)?;
    Ok(with_variations(conn, rows)?.pop())
}

fn event_items(event: i64) -> items::BoxedQuery<'static, <DbConnection as Connection>::Backend> {
    items::table
        .filter(items::event_id.eq(event))
        .order((items::position.asc(), items::id.asc()))
        .into_boxed()
}

#[async_trait]
impl ItemRepository for Database {
    async fn list(&self, event: EventId, window: Window) -> Result<Page<Item>, RepositoryError> {
        self.read(move |conn| {
            let total = items::table.filter(items::event_id.eq(event.0)).count();
            let rows = event_items(event.0).select(ItemRow::as_select());
            page(conn, total, rows, window, with_variations)
        })
        .await
    }

    async fn all(&self, event: EventId) -> Result<Vec<Item>, RepositoryError> {
        self.read(move |conn| {
            let rows = event_items(event.0)
                .select(ItemRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            with_variations(conn, rows)
        })
        .await
    }

    async fn find(&self, event: EventId, id: ItemId) -> Result<Option<Item>, RepositoryError> {
        self.read(move |conn| load_item(conn, event.0, id.0)).await
    }

    async fn create(
        &self,
        event: EventId,
        id: Option<ItemId>,
        fields: ItemFields,
        variations: Vec<(Option<VariationId>, VariationFields)>,
    ) -> Result<Item, RepositoryError> {
        let values = ItemChangeset::from(fields);
        let has_variations = !variations.is_empty();
        self.write(move |conn| {
            let id = conn
                .transaction::<_, TxError, _>(|conn| {
                    if let Some(given) = id {
                        claim_id(conn, "items", given.0)?;
                    }
                    let id: i64 = diesel::insert_into(items::table)
                        .values((
                            id.map(|given| items::id.eq(given.0)),
                            items::event_id.eq(event.0),
                            items::has_variations.eq(has_variations),
                            values,
                        ))
                        .returning(items::id)
                        .get_result(conn)?;
                    if variations.iter().all(|(given, _)| given.is_none()) {
                        if has_variations {
                            let rows: Vec<_> = variations
                                .into_iter()
                                .map(|(_, v)| {
                                    (item_variations::item_id.eq(id), VariationChangeset::from(v))
                                })
                                .collect();
                            let insert = diesel::insert_into(item_variations::table).values(rows);
                            per_backend!(conn, |c| insert.execute(c))?;
                        }
                    } else {
                        for (given, v) in variations {
                            insert_variation(conn, ItemId(id), given, v)?;
                        }
                    }
                    Ok(id)
                })
                .map_err(RepositoryError::from)?;
            load_item(conn, event.0, id)?
                .ok_or_else(|| RepositoryError::Internal(format!("item {id} vanished")))
        })
        .await
    }

    async fn update(
        &self,
        event: EventId,
        id: ItemId,
        fields: ItemFields,
    ) -> Result<Option<Item>, RepositoryError> {
        let changes = ItemChangeset::from(fields);
        self.write(move |conn| {
            let updated = diesel::update(
                items::table
                    .filter(items::event_id.eq(event.0))
                    .filter(items::id.eq(id.0)),
            )
            .set(changes)
            .execute(conn)
            .map_err(from_diesel)?;
            if updated == 0 {
                return Ok(None);
            }
            load_item(conn, event.0, id.0)
        })
        .await
    }

    async fn delete(&self, event: EventId, id: ItemId) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            diesel::delete(
                items::table
                    .filter(items::event_id.eq(event.0))
                    .filter(items::id.eq(id.0)),
            )
            .execute(conn)
            .map(|n| n > 0)
            .map_err(from_diesel)
        })
        .await
    }

    async fn list_variations(
        &self,
        item: ItemId,
        window: Window,
    ) -> Result<Page<ItemVariation>, RepositoryError> {
        self.read(move |conn| {
            let mine = item_variations::table.filter(item_variations::item_id.eq(item.0));
            let rows = mine
                .order((item_variations::position.asc(), item_variations::id.asc()))
                .select(VariationRow::as_select());
            page(conn, mine.count(), rows, window, each)
        })
        .await
    }

    async fn find_variation(
        &self,
        item: ItemId,
        id: VariationId,
    ) -> Result<Option<ItemVariation>, RepositoryError> {
        self.read(move |conn| {
            item_variations::table
                .filter(item_variations::item_id.eq(item.0))
                .filter(item_variations::id.eq(id.0))
                .select(VariationRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .map(ItemVariation::try_from)
                .transpose()
        })
        .await
    }

    async fn create_variation(
        &self,
        item: ItemId,
        id: Option<VariationId>,
        fields: VariationFields,
    ) -> Result<ItemVariation, RepositoryError> {
        self.write(move |conn| {
            conn.transaction::<_, TxError, _>(|conn| insert_variation(conn, item, id, fields))
                .map_err(RepositoryError::from)?
                .try_into()
        })
        .await
    }

    async fn update_variation(
        &self,
        item: ItemId,
        id: VariationId,
        fields: VariationFields,
    ) -> Result<Option<ItemVariation>, RepositoryError> {
        let changes = VariationChangeset::from(fields);
        self.write(move |conn| {
            diesel::update(
                item_variations::table
                    .filter(item_variations::item_id.eq(item.0))
                    .filter(item_variations::id.eq(id.0)),
            )
            .set(changes)
            .returning(item_variations::all_columns)
            .get_result::<VariationRow>(conn)
            .optional()
            .map_err(from_diesel)?
            .map(ItemVariation::try_from)
            .transpose()
        })
        .await
    }

    async fn delete_variation(
        &self,
        item: ItemId,
        id: VariationId,
    ) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            diesel::delete(
                item_variations::table
                    .filter(item_variations::item_id.eq(item.0))
                    .filter(item_variations::id.eq(id.0)),
            )
            .execute(conn)
            .map(|n| n > 0)
            .map_err(from_diesel)
        })
        .await
    }
}

/// One variation, under its given id if there is one.
fn insert_variation(
    conn: &mut DbConnection,
    item: ItemId,
    id: Option<VariationId>,
    fields: VariationFields,
) -> Result<VariationRow, TxError> {
    if let Some(given) = id {
        claim_id(conn, "item_variations", given.0)?;
    }
    Ok(diesel::insert_into(item_variations::table)
        .values((
            id.map(|given| item_variations::id.eq(given.0)),
            item_variations::item_id.eq(item.0),
            VariationChangeset::from(fields),
        ))
        .returning(item_variations::all_columns)
        .get_result::<VariationRow>(conn)?)
}
