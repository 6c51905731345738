use super::{page, Database};
use crate::connection::DbConnection;
use crate::dialect::{claim_id, per_backend};
use crate::error::{from_diesel, TxError};
use crate::schema::{
    events, item_variations, items, quota_items, quota_variations, quotas, subevents,
};
use async_trait::async_trait;
use diesel::prelude::*;
use presale_domain::ids::EventId;
use presale_domain::ids::OrganizerId;
use presale_domain::ids::QuotaId;
use presale_domain::ids::SubEventId;
use presale_domain::pagination::{Page, Window};
use presale_domain::quota::{
    ItemRef, Quota, QuotaData, QuotaOrder, QuotaRepository, References, SubEventRef, VariationRef,
};
use presale_domain::RepositoryError;

type Db = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = quotas)]
struct QuotaRow {
    id: i64,
    event_id: i64,
    name: String,
    size: Option<i64>,
    subevent_id: Option<i64>,
}

/// The item and variation links of a set of quotas, loaded with one query each.
struct Links {
    items: Vec<(i64, i64)>,
    variations: Vec<(i64, i64)>,
}

impl Links {
    fn load(conn: &mut DbConnection, ids: &[i64]) -> Result<Self, diesel::result::Error> {
        if ids.is_empty() {
            return Ok(Links {
                items: Vec::new(),
                variations: Vec::new(),
            });
        }
        let items = quota_items::table
            .filter(quota_items::quota_id.eq_any(ids))
            .order((quota_items::quota_id, quota_items::item_id))
            .select((quota_items::quota_id, quota_items::item_id))
            .load(conn)?;
        let variations = quota_variations::table
            .filter(quota_variations::quota_id.eq_any(ids))
            .order((quota_variations::quota_id, quota_variations::variation_id))
            .select((quota_variations::quota_id, quota_variations::variation_id))
            .load(conn)?;
        Ok(Links { items, variations })
    }

    fn quota(&self, row: QuotaRow) -> Quota {
        let of = |links: &[(i64, i64)]| -> Vec<i64> {
            links
                .iter()
                .filter(|(q, _)| *q == row.id)
                .map(|(_, id)| *id)
                .collect()
        };
        Quota {
            id: QuotaId(row.id),
            event: EventId(row.event_id),
            data: QuotaData {
                items: of(&self.items),
                variations: of(&self.variations),
                name: row.name,
                size: row.size,
                subevent: row.subevent_id.map(SubEventId),
            },
        }
    }
}

fn with_links(
    conn: &mut DbConnection,
    rows: Vec<QuotaRow>,
) -> Result<Vec<Quota>, diesel::result::Error> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let links = Links::load(conn, &ids)?;
    Ok(rows.into_iter().map(|r| links.quota(r)).collect())
}

fn of_event(event: EventId) -> quotas::BoxedQuery<'static, Db> {
    quotas::table
        .filter(quotas::event_id.eq(event.0))
        .into_boxed::<Db>()
}

fn find_one(
    conn: &mut DbConnection,
    event: EventId,
    id: i64,
) -> Result<Option<Quota>, diesel::result::Error> {
    let rows = of_event(event)
        .filter(quotas::id.eq(id))
        .select(QuotaRow::as_select())
        .load(conn)?;
    Ok(with_links(conn, rows)?.pop())
}

/// Replaces the quota's item and variation links.
pub(super) fn write_links(
    conn: &mut DbConnection,
    quota: i64,
    data: &QuotaData,
) -> Result<(), diesel::result::Error> {
    diesel::delete(quota_items::table.filter(quota_items::quota_id.eq(quota))).execute(conn)?;
    diesel::delete(quota_variations::table.filter(quota_variations::quota_id.eq(quota)))
        .execute(conn)?;
    if !data.items.is_empty() {
        let rows: Vec<_> = data
            .items
            .iter()
            .map(|i| (quota_items::quota_id.eq(quota), quota_items::item_id.eq(*i)))
            .collect();
        let insert = diesel::insert_into(quota_items::table).values(rows);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    if !data.variations.is_empty() {
        let rows: Vec<_> = data
            .variations
            .iter()
            .map(|v| {
                (
                    quota_variations::quota_id.eq(quota),
                    quota_variations::variation_id.eq(*v),
                )
            })
            .collect();
        let insert = diesel::insert_into(quota_variations::table).values(rows);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

#[async_trait]
impl QuotaRepository for Database {
    async fn list(
        &self,
        event: EventId,
        ordering: Vec<(QuotaOrder, bool)>,
        window: Window,
    ) -> Result<Page<Quota>, RepositoryError> {
        self.read(move |conn| {
            let mut q = of_event(event);
            for (key, descending) in &ordering {
                // Unlimited sizes sort as the largest, as PostgreSQL sorts NULL.
                q = match (key, descending) {
                    (QuotaOrder::Size, false) => q
                        .then_order_by(quotas::size.is_null().asc())
                        .then_order_by(quotas::size.asc()),
                    (QuotaOrder::Size, true) => q
                        .then_order_by(quotas::size.is_null().desc())
                        .then_order_by(quotas::size.desc()),
                    (QuotaOrder::Id, false) => q.then_order_by(quotas::id.asc()),
                    (QuotaOrder::Id, true) => q.then_order_by(quotas::id.desc()),
                };
            }
            q = if ordering.is_empty() {
                q.then_order_by(quotas::id.asc())
            } else {
                q.then_order_by(quotas::id.desc())
            };
            let rows = q.select(QuotaRow::as_select());
            page(conn, of_event(event).count(), rows, window, |conn, rows| {
                with_links(conn, rows).map_err(from_diesel)
            })
        })
        .await
    }

    async fn find(&self, event: EventId, id: QuotaId) -> Result<Option<Quota>, RepositoryError> {
        self.read(move |conn| find_one(conn, event, id.0).map_err(from_diesel))
            .await
    }

    async fn references(
        &self,
        organizer: OrganizerId,
        item_ids: Vec<i64>,
        variation_ids: Vec<i64>,
        subevent_ids: Vec<SubEventId>,
    ) -> Result<References, RepositoryError> {
        self.read(move |conn| {
            let mut refs = References::default();
            if !item_ids.is_empty() {
                let rows: Vec<(i64, i64, bool)> = items::table
                    .inner_join(events::table)
                    .filter(events::organizer_id.eq(organizer.0))
                    .filter(items::id.eq_any(&item_ids))
                    .select((items::id, items::event_id, items::has_variations))
                    .load(conn)
                    .map_err(from_diesel)?;
                refs.items = rows
                    .into_iter()
                    .map(|(id, event, has_variations)| ItemRef {
                        id,
                        event: EventId(event),
                        has_variations,
                    })
                    .collect();
            }
            if !variation_ids.is_empty() {
                let rows: Vec<(i64, i64)> = item_variations::table
                    .inner_join(items::table.inner_join(events::table))
                    .filter(events::organizer_id.eq(organizer.0))
                    .filter(item_variations::id.eq_any(&variation_ids))
                    .select((item_variations::id, item_variations::item_id))
                    .load(conn)
                    .map_err(from_diesel)?;
                refs.variations = rows
                    .into_iter()
                    .map(|(id, item)| VariationRef { id, item })
                    .collect();
            }
            if !subevent_ids.is_empty() {
                let ids: Vec<i64> = subevent_ids.iter().map(|s| s.0).collect();
                let rows: Vec<(i64, i64)> = subevents::table
                    .inner_join(events::table)
                    .filter(events::organizer_id.eq(organizer.0))
                    .filter(subevents::id.eq_any(&ids))
                    .select((subevents::id, subevents::event_id))
                    .load(conn)
                    .map_err(from_diesel)?;
                refs.subevents = rows
                    .into_iter()
                    .map(|(id, event)| SubEventRef {
                        id: SubEventId(id),
                        event: EventId(event),
                    })
                    .collect();
            }
            Ok(refs)
        })
        .await
    }

    async fn create(
        &self,
        event: EventId,
        id: Option<QuotaId>,
        data: QuotaData,
    ) -> Result<Quota, RepositoryError> {
        self.write(move |conn| {
            conn.transaction::<_, TxError, _>(|conn| {
                if let Some(given) = id {
                    claim_id(conn, "quotas", given.0)?;
                }
                let id: i64 = diesel::insert_into(quotas::table)
                    .values((
                        id.map(|given| quotas::id.eq(given.0)),
                        quotas::event_id.eq(event.0),
                        quotas::name.eq(&data.name),
                        quotas::size.eq(data.size),
                        quotas::subevent_id.eq(data.subevent.map(|s| s.0)),
                    ))
                    .returning(quotas::id)
                    .get_result(conn)?;
                write_links(conn, id, &data)?;
                Ok(find_one(conn, event, id)?)
            })
            .map_err(RepositoryError::from)?
            .ok_or_else(|| RepositoryError::Internal("created quota vanished".into()))
        })
        .await
    }

    async fn update(
        &self,
        event: EventId,
        id: QuotaId,
        data: QuotaData,
    ) -> Result<Option<Quota>, RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                let updated = diesel::update(
                    quotas::table
                        .filter(quotas::event_id.eq(event.0))
                        .filter(quotas::id.eq(id.0)),
                )
                .set((
                    quotas::name.eq(&data.name),
                    quotas::size.eq(data.size),
                    quotas::subevent_id.eq(data.subevent.map(|s| s.0)),
                ))
                .execute(conn)?;
                if updated == 0 {
                    return Ok(None);
                }
                write_links(conn, id.0, &data)?;
                find_one(conn, event, id.0)
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn delete(&self, event: EventId, id: QuotaId) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                let owned = quotas::table
                    .filter(quotas::event_id.eq(event.0))
                    .filter(quotas::id.eq(id.0));
                diesel::delete(
                    quota_items::table
                        .filter(quota_items::quota_id.eq_any(owned.select(quotas::id))),
                )
                .execute(conn)?;
                diesel::delete(
                    quota_variations::table
                        .filter(quota_variations::quota_id.eq_any(owned.select(quotas::id))),
                )
                .execute(conn)?;
                diesel::delete(owned).execute(conn).map(|n| n > 0)
            })
            .map_err(from_diesel)
        })
        .await
    }
}
