use super::{each, page, Database};
use crate::connection::DbConnection;
use crate::dialect::claim_id;
use crate::error::{from_diesel, TxError};
use crate::schema::{quota_items, quota_variations, quotas, subevents};
use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone as _, Utc};
use diesel::prelude::*;
use presale_domain::ids::EventId;
use presale_domain::ids::SubEventId;
use presale_domain::pagination::{Page, Window};
use presale_domain::subevent::{SubEvent, SubEventData, SubEventOrder, SubEventRepository};
use presale_domain::values::{I18nString, WireDateTime};
use presale_domain::RepositoryError;

type Db = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = subevents)]
struct SubEventRow {
    id: i64,
    event_id: i64,
    name: String,
    active: bool,
    date_from: NaiveDateTime,
    date_to: Option<NaiveDateTime>,
    presale_start: Option<NaiveDateTime>,
    presale_end: Option<NaiveDateTime>,
    location: Option<String>,
}

fn wire(t: NaiveDateTime) -> WireDateTime {
    WireDateTime::from_utc(Utc.from_utc_datetime(&t))
}

fn naive(t: WireDateTime) -> NaiveDateTime {
    t.utc().naive_utc()
}

impl TryFrom<SubEventRow> for SubEvent {
    type Error = RepositoryError;

    fn try_from(row: SubEventRow) -> Result<Self, RepositoryError> {
        let corrupt = |what: &str, e| {
            RepositoryError::Internal(format!("sub-event {}: bad {what}: {e}", row.id))
        };
        Ok(SubEvent {
            id: SubEventId(row.id),
            event: EventId(row.event_id),
            data: SubEventData {
                name: I18nString::from_json_str(&row.name).map_err(|e| corrupt("name", e))?,
                active: row.active,
                date_from: wire(row.date_from),
                date_to: row.date_to.map(wire),
                presale_start: row.presale_start.map(wire),
                presale_end: row.presale_end.map(wire),
                location: row
                    .location
                    .as_deref()
                    .map(I18nString::from_json_str)
                    .transpose()
                    .map_err(|e| corrupt("location", e))?,
            },
        })
    }
}

/// The writable columns of a sub-event row.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = subevents, treat_none_as_null = true)]
pub(super) struct SubEventChangeset {
    name: String,
    active: bool,
    date_from: NaiveDateTime,
    date_to: Option<NaiveDateTime>,
    presale_start: Option<NaiveDateTime>,
    presale_end: Option<NaiveDateTime>,
    location: Option<String>,
}

impl From<SubEventData> for SubEventChangeset {
    fn from(d: SubEventData) -> Self {
        SubEventChangeset {
            name: d.name.to_json_string(),
            active: d.active,
            date_from: naive(d.date_from),
            date_to: d.date_to.map(naive),
            presale_start: d.presale_start.map(naive),
            presale_end: d.presale_end.map(naive),
            location: d.location.as_ref().map(I18nString::to_json_string),
        }
    }
}

fn of_event(event: EventId) -> subevents::BoxedQuery<'static, Db> {
    subevents::table
        .filter(subevents::event_id.eq(event.0))
        .into_boxed::<Db>()
}

#[async_trait]
impl SubEventRepository for Database {
    async fn list(
        &self,
        event: EventId,
        ordering: Vec<(SubEventOrder, bool)>,
        window: Window,
    ) -> Result<Page<SubEvent>, RepositoryError> {
        self.read(move |conn| {
            let mut q = of_event(event);
            for (key, descending) in &ordering {
                q = match (key, descending) {
                    (SubEventOrder::DateFrom, false) => q.then_order_by(subevents::date_from.asc()),
                    (SubEventOrder::DateFrom, true) => q.then_order_by(subevents::date_from.desc()),
                    (SubEventOrder::Id, false) => q.then_order_by(subevents::id.asc()),
                    (SubEventOrder::Id, true) => q.then_order_by(subevents::id.desc()),
                };
            }
            let rows = q
                .then_order_by(subevents::id.desc())
                .select(SubEventRow::as_select());
            page(conn, of_event(event).count(), rows, window, each)
        })
        .await
    }

    async fn find(
        &self,
        event: EventId,
        id: SubEventId,
    ) -> Result<Option<SubEvent>, RepositoryError> {
        self.read(move |conn| {
            of_event(event)
                .filter(subevents::id.eq(id.0))
                .select(SubEventRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .map(SubEvent::try_from)
                .transpose()
        })
        .await
    }

    async fn create(
        &self,
        event: EventId,
        id: Option<SubEventId>,
        data: SubEventData,
    ) -> Result<SubEvent, RepositoryError> {
        let values = SubEventChangeset::from(data);
        self.write(move |conn| {
            conn.transaction::<_, TxError, _>(|conn| {
                if let Some(given) = id {
                    claim_id(conn, "subevents", given.0)?;
                }
                Ok(diesel::insert_into(subevents::table)
                    .values((
                        id.map(|given| subevents::id.eq(given.0)),
                        subevents::event_id.eq(event.0),
                        values,
                    ))
                    .returning(subevents::all_columns)
                    .get_result::<SubEventRow>(conn)?)
            })
            .map_err(RepositoryError::from)?
            .try_into()
        })
        .await
    }

    async fn update(
        &self,
        event: EventId,
        id: SubEventId,
        data: SubEventData,
    ) -> Result<Option<SubEvent>, RepositoryError> {
        let changes = SubEventChangeset::from(data);
        self.write(move |conn| {
            diesel::update(
                subevents::table
                    .filter(subevents::event_id.eq(event.0))
                    .filter(subevents::id.eq(id.0)),
            )
            .set(changes)
            .returning(subevents::all_columns)
            .get_result::<SubEventRow>(conn)
            .optional()
            .map_err(from_diesel)?
            .map(SubEvent::try_from)
            .transpose()
        })
        .await
    }

    async fn delete(&self, event: EventId, id: SubEventId) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                let owned = subevents::table
                    .filter(subevents::event_id.eq(event.0))
                    .filter(subevents::id.eq(id.0));
                // The sub-event's quotas go explicitly in the same transaction, not only
                // through the foreign keys' cascade.
                let its_quotas = quotas::table
                    .filter(quotas::event_id.eq(event.0))
                    .filter(quotas::subevent_id.eq(id.0))
                    .select(quotas::id);
                diesel::delete(quota_items::table.filter(quota_items::quota_id.eq_any(its_quotas)))
                    .execute(conn)?;
                diesel::delete(
                    quota_variations::table.filter(quota_variations::quota_id.eq_any(its_quotas)),
                )
                .execute(conn)?;
                diesel::delete(
                    quotas::table
                        .filter(quotas::event_id.eq(event.0))
                        .filter(quotas::subevent_id.eq(id.0)),
                )
                .execute(conn)?;
                diesel::delete(owned).execute(conn).map(|n| n > 0)
            })
            .map_err(from_diesel)
        })
        .await
    }
}
