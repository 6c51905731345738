//! Digital contents: `digital_contents` and their `limit_products` in
//! `digital_content_items`. Deleting a product takes it out of every content, deleting a
//! sub-event deletes its contents, both through the schema's `ON DELETE CASCADE`.

use super::{page, Database};
use crate::connection::DbConnection;
use crate::dialect::{claim_id, per_backend};
use crate::error::{from_diesel, TxError};
use crate::schema::{digital_content_items, digital_contents, items, subevents};
use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone as _, Utc};
use diesel::prelude::*;
use presale_domain::digital_content::{
    ContentReferences, ContentType, DigitalContent, DigitalContentData, DigitalContentRepository,
};
use presale_domain::ids::DigitalContentId;
use presale_domain::ids::EventId;
use presale_domain::ids::SubEventId;
use presale_domain::pagination::{Page, Window};
use presale_domain::values::{I18nString, WireDateTime};
use presale_domain::RepositoryError;

type Db = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = digital_contents)]
struct ContentRow {
    id: i64,
    event_id: i64,
    subevent_id: Option<i64>,
    title: String,
    content_type: String,
    url: String,
    description: Option<String>,
    all_products: bool,
    available_from: Option<NaiveDateTime>,
    available_until: Option<NaiveDateTime>,
    position: i64,
}

/// The writable columns of a content row.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = digital_contents, treat_none_as_null = true)]
pub(super) struct ContentChangeset {
    subevent_id: Option<i64>,
    title: String,
    content_type: &'static str,
    url: String,
    description: Option<String>,
    all_products: bool,
    available_from: Option<NaiveDateTime>,
    available_until: Option<NaiveDateTime>,
    position: i64,
}

fn wire(t: NaiveDateTime) -> WireDateTime {
    WireDateTime::from_utc(Utc.from_utc_datetime(&t))
}

fn naive(t: WireDateTime) -> NaiveDateTime {
    t.utc().naive_utc()
}

impl From<&DigitalContentData> for ContentChangeset {
    fn from(d: &DigitalContentData) -> Self {
        ContentChangeset {
            subevent_id: d.subevent.map(|s| s.0),
            title: d.title.to_json_string(),
            content_type: d.content_type.as_str(),
            url: d.url.clone(),
            description: d.description.as_ref().map(I18nString::to_json_string),
            all_products: d.all_products,
            available_from: d.available_from.map(naive),
            available_until: d.available_until.map(naive),
            position: d.position,
        }
    }
}

/// A row with its products (ascending) as the domain's content.
fn content(row: ContentRow, limit_products: Vec<i64>) -> Result<DigitalContent, RepositoryError> {
    let id = row.id;
    let corrupt = |what: &str, e: String| {
        RepositoryError::Internal(format!("digital content {id}: bad {what}: {e}"))
    };
    Ok(DigitalContent {
        id: DigitalContentId(id),
        event: EventId(row.event_id),
        data: DigitalContentData {
            subevent: row.subevent_id.map(SubEventId),
            title: I18nString::from_json_str(&row.title)
                .map_err(|e| corrupt("title", e.to_string()))?,
            content_type: ContentType::parse(&row.content_type)
                .map_err(|e| corrupt("content_type", e.to_string()))?,
            url: row.url,
            description: row
                .description
                .as_deref()
                .map(I18nString::from_json_str)
                .transpose()
                .map_err(|e| corrupt("description", e.to_string()))?,
            all_products: row.all_products,
            limit_products,
            available_from: row.available_from.map(wire),
            available_until: row.available_until.map(wire),
            position: row.position,
        },
    })
}

/// The rows with their products, loaded with one query for all of them.
fn with_products(
    conn: &mut DbConnection,
    rows: Vec<ContentRow>,
) -> Result<Vec<DigitalContent>, RepositoryError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let links: Vec<(i64, i64)> = if ids.is_empty() {
        Vec::new()
    } else {
        digital_content_items::table
            .filter(digital_content_items::content_id.eq_any(&ids))
            .order((
                digital_content_items::content_id,
                digital_content_items::item_id,
            ))
            .select((
                digital_content_items::content_id,
                digital_content_items::item_id,
            ))
            .load(conn)
            .map_err(from_diesel)?
    };
    rows.into_iter()
        .map(|row| {
            let products = links
                .iter()
                .filter(|(c, _)| *c == row.id)
                .map(|(_, i)| *i)
                .collect();
            content(row, products)
        })
        .collect()
}

fn of_event(event: EventId) -> digital_contents::BoxedQuery<'static, Db> {
    digital_contents::table
        .filter(digital_contents::event_id.eq(event.0))
        .into_boxed::<Db>()
}

fn find_one(
    conn: &mut DbConnection,
    event: EventId,
    id: i64,
) -> Result<Option<DigitalContent>, RepositoryError> {
    let rows = of_event(event)
        .filter(digital_contents::id.eq(id))
        .select(ContentRow::as_select())
        .load(conn)
        .map_err(from_diesel)?;
    Ok(with_products(conn, rows)?.pop())
}

/// Replaces the content's product links with those of `products` that are (still) products
/// of the event.
pub(super) fn write_products(
    conn: &mut DbConnection,
    event: EventId,
    content: i64,
    products: &[i64],
) -> Result<(), diesel::result::Error> {
    diesel::delete(
        digital_content_items::table.filter(digital_content_items::content_id.eq(content)),
    )
    .execute(conn)?;
    if products.is_empty() {
        return Ok(());
    }
    let existing: Vec<i64> = items::table
        .filter(items::event_id.eq(event.0))
        .filter(items::id.eq_any(products))
        .order(items::id)
        .select(items::id)
        .load(conn)?;
    if existing.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = existing
        .into_iter()
        .map(|i| {
            (
                digital_content_items::content_id.eq(content),
                digital_content_items::item_id.eq(i),
            )
        })
        .collect();
    let insert = diesel::insert_into(digital_content_items::table).values(rows);
    per_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// Part of cloning an event (inside its transaction): copies the source's contents without
/// sub-event (sub-events are not copied) to the target, with `limit_products` remapped
/// through `item_map` (source product id → copy's id).
pub(super) fn copy_contents(
    conn: &mut DbConnection,
    source: i64,
    target: i64,
    item_map: &[(i64, i64)],
) -> Result<(), diesel::result::Error> {
    let rows: Vec<ContentRow> = digital_contents::table
        .filter(digital_contents::event_id.eq(source))
        .filter(digital_contents::subevent_id.is_null())
        .order(digital_contents::id)
        .select(ContentRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let links: Vec<(i64, i64)> = digital_content_items::table
        .filter(digital_content_items::content_id.eq_any(&ids))
        .select((
            digital_content_items::content_id,
            digital_content_items::item_id,
        ))
        .load(conn)?;
    for row in rows {
        let new: i64 = diesel::insert_into(digital_contents::table)
            .values((
                digital_contents::event_id.eq(target),
                digital_contents::subevent_id.eq(None::<i64>),
                digital_contents::title.eq(&row.title),
                digital_contents::content_type.eq(&row.content_type),
                digital_contents::url.eq(&row.url),
                digital_contents::description.eq(&row.description),
                digital_contents::all_products.eq(row.all_products),
                digital_contents::available_from.eq(row.available_from),
                digital_contents::available_until.eq(row.available_until),
                digital_contents::position.eq(row.position),
            ))
            .returning(digital_contents::id)
            .get_result(conn)?;
        let products: Vec<_> = links
            .iter()
            .filter(|(c, _)| *c == row.id)
            .filter_map(|(_, old)| item_map.iter().find(|(o, _)| o == old).map(|(_, n)| *n))
            .map(|i| {
                (
                    digital_content_items::content_id.eq(new),
                    digital_content_items::item_id.eq(i),
                )
            })
            .collect();
        if !products.is_empty() {
            let insert = diesel::insert_into(digital_content_items::table).values(products);
            per_backend!(conn, |c| insert.execute(c))?;
        }
    }
    Ok(())
}

#[async_trait]
impl DigitalContentRepository for Database {
    async fn list(
        &self,
        event: EventId,
        subevent: Option<SubEventId>,
        window: Window,
    ) -> Result<Page<DigitalContent>, RepositoryError> {
        self.read(move |conn| {
            let filtered = || {
                let mut q = of_event(event);
                if let Some(s) = subevent {
                    q = q.filter(digital_contents::subevent_id.eq(s.0));
                }
                q
            };
            let rows = filtered()
                .order((digital_contents::position.asc(), digital_contents::id.asc()))
                .select(ContentRow::as_select());
            page(conn, filtered().count(), rows, window, with_products)
        })
        .await
    }

    async fn find(
        &self,
        event: EventId,
        id: DigitalContentId,
    ) -> Result<Option<DigitalContent>, RepositoryError> {
        self.read(move |conn| find_one(conn, event, id.0)).await
    }

    async fn references(
        &self,
        event: EventId,
        item_ids: Vec<i64>,
        subevent_ids: Vec<SubEventId>,
    ) -> Result<ContentReferences, RepositoryError> {
        self.read(move |conn| {
            let mut refs = ContentReferences::default();
            if !item_ids.is_empty() {
                refs.items = items::table
                    .filter(items::event_id.eq(event.0))
                    .filter(items::id.eq_any(&item_ids))
                    .select(items::id)
                    .load(conn)
                    .map_err(from_diesel)?;
            }
            if !subevent_ids.is_empty() {
                let ids: Vec<i64> = subevent_ids.iter().map(|s| s.0).collect();
                refs.subevents = subevents::table
                    .filter(subevents::event_id.eq(event.0))
                    .filter(subevents::id.eq_any(&ids))
                    .select(subevents::id)
                    .load::<i64>(conn)
                    .map_err(from_diesel)?
                    .into_iter()
                    .map(SubEventId)
                    .collect();
            }
            Ok(refs)
        })
        .await
    }

    async fn create(
        &self,
        event: EventId,
        id: Option<DigitalContentId>,
        data: DigitalContentData,
    ) -> Result<DigitalContent, RepositoryError> {
        self.write(move |conn| {
            let id = conn
                .transaction(|conn| {
                    if let Some(given) = id {
                        claim_id(conn, "digital_contents", given.0)?;
                    }
                    let id: i64 = diesel::insert_into(digital_contents::table)
                        .values((
                            id.map(|given| digital_contents::id.eq(given.0)),
                            digital_contents::event_id.eq(event.0),
                            ContentChangeset::from(&data),
                        ))
                        .returning(digital_contents::id)
                        .get_result(conn)?;
                    write_products(conn, event, id, &data.limit_products)?;
                    Ok::<_, TxError>(id)
                })
                .map_err(RepositoryError::from)?;
            find_one(conn, event, id)?
                .ok_or_else(|| RepositoryError::Internal("created digital content vanished".into()))
        })
        .await
    }

    async fn update(
        &self,
        event: EventId,
        id: DigitalContentId,
        data: DigitalContentData,
    ) -> Result<Option<DigitalContent>, RepositoryError> {
        self.write(move |conn| {
            let updated = conn
                .transaction(|conn| {
                    let updated = diesel::update(
                        digital_contents::table
                            .filter(digital_contents::event_id.eq(event.0))
                            .filter(digital_contents::id.eq(id.0)),
                    )
                    .set(ContentChangeset::from(&data))
                    .execute(conn)?;
                    if updated > 0 {
                        write_products(conn, event, id.0, &data.limit_products)?;
                    }
                    Ok::<_, diesel::result::Error>(updated > 0)
                })
                .map_err(from_diesel)?;
            if updated {
                find_one(conn, event, id.0)
            } else {
                Ok(None)
            }
        })
        .await
    }

    async fn delete(&self, event: EventId, id: DigitalContentId) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                let owned = digital_contents::table
                    .filter(digital_contents::event_id.eq(event.0))
                    .filter(digital_contents::id.eq(id.0));
                diesel::delete(digital_content_items::table.filter(
                    digital_content_items::content_id.eq_any(owned.select(digital_contents::id)),
                ))
                .execute(conn)?;
                diesel::delete(owned).execute(conn).map(|n| n > 0)
            })
            .map_err(from_diesel)
        })
        .await
    }
}
