use super::{page, Database};
use crate::connection::DbConnection;
use crate::dialect::{lock_event, per_backend, write_transaction, EventLock};
use crate::error::{from_diesel, TxError};
use crate::schema::{
    event_meta_values, event_sales_channels, event_settings, events, imported_secrets,
    item_meta_properties, item_variations, items, meta_properties, quota_items, quota_variations,
    quotas, sales_channels,
};
use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone as _, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use presale_domain::access::EventScope;
use presale_domain::event::{
    Event, EventData, EventDeletion, EventFacts, EventFilter, EventKeys, EventOrder,
    EventRepository,
};
use presale_domain::ids::EventId;
use presale_domain::ids::OrganizerId;
use presale_domain::pagination::{Page, Window};
use presale_domain::values::{Currency, I18nString, Slug, TimeZone, WireDateTime};
use presale_domain::RepositoryError;

type Db = <DbConnection as Connection>::Backend;

diesel::define_sql_function!(fn lower(x: Text) -> Text);
diesel::define_sql_function!(#[sql_name = "lower"] fn lower_nullable(x: Nullable<Text>) -> Nullable<Text>);

#[derive(Queryable, Selectable)]
#[diesel(table_name = events)]
struct EventRow {
    id: i64,
    organizer_id: i64,
    slug: String,
    name: String,
    live: bool,
    testmode: bool,
    currency: String,
    date_from: NaiveDateTime,
    date_to: Option<NaiveDateTime>,
    date_admission: Option<NaiveDateTime>,
    is_public: bool,
    presale_start: Option<NaiveDateTime>,
    presale_end: Option<NaiveDateTime>,
    location: Option<String>,
    geo_lat: Option<f64>,
    geo_lon: Option<f64>,
    has_subevents: bool,
    timezone: String,
    plugins: String,
    all_sales_channels: bool,
    signing_public_key: String,
    related: String,
}

fn wire(t: NaiveDateTime) -> WireDateTime {
    WireDateTime::from_utc(Utc.from_utc_datetime(&t))
}

fn naive(t: WireDateTime) -> NaiveDateTime {
    t.utc().naive_utc()
}

fn corrupt(id: i64, what: &str, e: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::Internal(format!("event {id}: bad {what}: {e}"))
}

/// What an event row carries of its related rows (the `related` column: written with the row
/// by [`RelatedWrite`], rebuilt by triggers after any other change to the meta values, sales
/// channels and item meta properties). Written sorted by bytes, and sorted again on reading,
/// so that a document written otherwise reads the same.
#[derive(serde::Serialize, serde::Deserialize)]
struct RelatedRows {
    /// Meta data: (property name, value).
    m: Vec<(String, String)>,
    /// The identifiers of the sales channels the event is limited to.
    c: Vec<String>,
    /// Item meta properties: (name, default).
    i: Vec<(String, String)>,
}

impl RelatedRows {
    /// Sorted by bytes (as the database's own refresh sorts), the same on both backends
    /// whatever the collation.
    fn sort(&mut self) {
        self.m.sort_unstable();
        self.c.sort_unstable();
        self.i.sort_unstable();
    }

    fn document(mut self) -> String {
        self.sort();
        serde_json::to_string(&self).unwrap_or_else(|_| r#"{"m":[],"c":[],"i":[]}"#.to_owned())
    }
}

impl EventRow {
    fn into_event(row: EventRow) -> Result<Event, RepositoryError> {
        let id = row.id;
        let mut related: RelatedRows =
            serde_json::from_str(&row.related).map_err(|e| corrupt(id, "related rows", e))?;
        related.sort();
        let RelatedRows {
            m: meta_data,
            c: channels,
            i: item_meta_properties,
        } = related;
        let limit_sales_channels = if row.all_sales_channels {
            Vec::new()
        } else {
            channels
        };
        let mut plugins: Vec<String> =
            serde_json::from_str(&row.plugins).map_err(|e| corrupt(id, "plugins", e))?;
        plugins.sort();
        let data = EventData {
            slug: Slug::parse(&row.slug).map_err(|e| corrupt(id, "slug", e))?,
            name: I18nString::from_json_str(&row.name).map_err(|e| corrupt(id, "name", e))?,
            live: row.live,
            testmode: row.testmode,
            currency: Currency::parse(&row.currency).map_err(|e| corrupt(id, "currency", e))?,
            date_from: wire(row.date_from),
            date_to: row.date_to.map(wire),
            date_admission: row.date_admission.map(wire),
            is_public: row.is_public,
            presale_start: row.presale_start.map(wire),
            presale_end: row.presale_end.map(wire),
            location: row
                .location
                .as_deref()
                .map(I18nString::from_json_str)
                .transpose()
                .map_err(|e| corrupt(id, "location", e))?,
            geo_lat: row.geo_lat,
            geo_lon: row.geo_lon,
            has_subevents: row.has_subevents,
            meta_data,
            plugins,
            timezone: TimeZone::parse(&row.timezone).map_err(|e| corrupt(id, "timezone", e))?,
            item_meta_properties,
            all_sales_channels: row.all_sales_channels,
            limit_sales_channels,
        };
        Ok(Event {
            id: EventId(id),
            organizer: OrganizerId(row.organizer_id),
            data,
            public_key: row.signing_public_key,
        })
    }
}

fn load_one(conn: &mut DbConnection, id: i64) -> Result<Event, RepositoryError> {
    let row = events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .map_err(from_diesel)?;
    EventRow::into_event(row)
}

/// `%text%` for LIKE, with the wildcard characters of `text` escaped.
fn contains_pattern(text: &str) -> String {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// The organizer's events matching every condition of `filter` (no ordering).
fn filtered<'a>(organizer: OrganizerId, filter: &'a EventFilter) -> events::BoxedQuery<'a, Db> {
    let mut q = events::table
        .filter(events::organizer_id.eq(organizer.0))
        .into_boxed::<Db>();
    if let EventScope::Limited(ids) = &filter.scope {
        q = q.filter(events::id.eq_any(ids.iter().map(|e| e.0).collect::<Vec<_>>()));
    }
    if let Some(v) = filter.is_public {
        q = q.filter(events::is_public.eq(v));
    }
    if let Some(v) = filter.live {
        q = q.filter(events::live.eq(v));
    }
    if let Some(v) = filter.testmode {
        q = q.filter(events::testmode.eq(v));
    }
    if let Some(v) = filter.has_subevents {
        q = q.filter(events::has_subevents.eq(v));
    }
    let now = naive(filter.now);
    // "Ends at or after t": the end, or the start when there is no end.
    let ends_at_or_after = |t: NaiveDateTime| {
        events::date_to
            .ge(t)
            .or(events::date_to.is_null().and(events::date_from.ge(t)))
    };
    let ends_before = |t: NaiveDateTime| {
        events::date_to
            .lt(t)
            .or(events::date_to.is_null().and(events::date_from.lt(t)))
    };
    match filter.is_future {
        Some(true) => q = q.filter(events::has_subevents.eq(false).and(ends_at_or_after(now))),
        Some(false) => q = q.filter(events::has_subevents.eq(true).or(ends_before(now))),
        None => {}
    }
    match filter.is_past {
        Some(true) => q = q.filter(events::has_subevents.eq(false).and(ends_before(now))),
        Some(false) => q = q.filter(events::has_subevents.eq(true).or(ends_at_or_after(now))),
        None => {}
    }
    if let Some(t) = filter.ends_after {
        q = q.filter(
            events::has_subevents
                .eq(false)
                .and(ends_at_or_after(naive(t))),
        );
    }
    if let Some(t) = filter.date_from_after {
        q = q.filter(events::date_from.ge(naive(t)));
    }
    if let Some(t) = filter.date_from_before {
        q = q.filter(events::date_from.le(naive(t)));
    }
    if let Some(t) = filter.date_to_after {
        q = q.filter(events::date_to.ge(naive(t)));
    }
    if let Some(t) = filter.date_to_before {
        q = q.filter(events::date_to.le(naive(t)));
    }
    if let Some(channel) = &filter.sales_channel {
        let listed = exists(
            event_sales_channels::table
                .inner_join(sales_channels::table)
                .filter(event_sales_channels::event_id.eq(events::id))
                .filter(sales_channels::identifier.eq(channel.clone())),
        );
        q = q.filter(events::all_sales_channels.eq(true).or(listed));
    }
    if let Some(text) = &filter.search {
        let pattern = contains_pattern(text);
        q = q.filter(
            lower(events::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(events::slug).like(pattern.clone()).escape('\\'))
                .or(lower_nullable(events::location).like(pattern).escape('\\')),
        );
    }
    for condition in &filter.meta {
        let has_value = exists(
            event_meta_values::table
                .filter(event_meta_values::event_id.eq(events::id))
                .filter(event_meta_values::property_id.eq(condition.property.0))
                .filter(event_meta_values::value.eq(condition.value.clone())),
        );
        if condition.matches_default {
            let has_any = exists(
                event_meta_values::table
                    .filter(event_meta_values::event_id.eq(events::id))
                    .filter(event_meta_values::property_id.eq(condition.property.0)),
            );
            q = q.filter(has_value.or(not(has_any)));
        } else {
            q = q.filter(has_value);
        }
    }
    q
}

/// An event's meta values and sales channels as they will be stored: resolved to the
/// organizer's properties and channels (names it does not have are left out), with the document
/// the event row carries of them and of the item meta properties (`related`, in the same
/// statement as the row's other columns, so that the database's check at COMMIT finds it right
/// and leaves the row alone).
struct RelatedWrite {
    /// (property id, value).
    meta: Vec<(i64, String)>,
    /// Channel ids.
    channels: Vec<i64>,
    document: String,
}

impl RelatedWrite {
    fn resolve(
        conn: &mut DbConnection,
        organizer: i64,
        data: &EventData,
    ) -> Result<Self, diesel::result::Error> {
        let mut shown = RelatedRows {
            m: Vec::new(),
            c: Vec::new(),
            i: data.item_meta_properties.clone(),
        };
        let mut meta = Vec::new();
        if !data.meta_data.is_empty() {
            let names: Vec<&str> = data.meta_data.iter().map(|(k, _)| k.as_str()).collect();
            let ids: Vec<(i64, String)> = meta_properties::table
                .filter(meta_properties::organizer_id.eq(organizer))
                .filter(meta_properties::name.eq_any(&names))
                .select((meta_properties::id, meta_properties::name))
                .load(conn)?;
            for (name, value) in &data.meta_data {
                if let Some((id, _)) = ids.iter().find(|(_, n)| n == name) {
                    meta.push((*id, value.clone()));
                    shown.m.push((name.clone(), value.clone()));
                }
            }
        }
        let mut channels = Vec::new();
        if !data.all_sales_channels && !data.limit_sales_channels.is_empty() {
            let found: Vec<(i64, String)> = sales_channels::table
                .filter(sales_channels::organizer_id.eq(organizer))
                .filter(sales_channels::identifier.eq_any(&data.limit_sales_channels))
                .select((sales_channels::id, sales_channels::identifier))
                .load(conn)?;
            for (id, identifier) in found {
                channels.push(id);
                shown.c.push(identifier);
            }
        }
        Ok(RelatedWrite {
            meta,
            channels,
            document: shown.document(),
        })
    }

    /// Inserts the meta values and sales channel rows of `event` (which has none).
    fn insert(&self, conn: &mut DbConnection, event: i64) -> Result<(), diesel::result::Error> {
        if !self.meta.is_empty() {
            let rows: Vec<_> = self
                .meta
                .iter()
                .map(|(id, value)| {
                    (
                        event_meta_values::event_id.eq(event),
                        event_meta_values::property_id.eq(*id),
                        event_meta_values::value.eq(value),
                    )
                })
                .collect();
            let insert = diesel::insert_into(event_meta_values::table).values(rows);
            per_backend!(conn, |c| insert.execute(c))?;
        }
        if !self.channels.is_empty() {
            let rows: Vec<_> = self
                .channels
                .iter()
                .map(|c| {
                    (
                        event_sales_channels::event_id.eq(event),
                        event_sales_channels::channel_id.eq(*c),
                    )
                })
                .collect();
            let insert = diesel::insert_into(event_sales_channels::table).values(rows);
            per_backend!(conn, |c| insert.execute(c))?;
        }
        Ok(())
    }
}

/// Item meta properties keep their ids: sent names are updated or inserted, the rest deleted.
pub(super) fn write_item_meta(
    conn: &mut DbConnection,
    event: i64,
    wanted: &[(String, String)],
) -> Result<(), diesel::result::Error> {
    let names: Vec<&str> = wanted.iter().map(|(k, _)| k.as_str()).collect();
    diesel::delete(
        item_meta_properties::table
            .filter(item_meta_properties::event_id.eq(event))
            .filter(item_meta_properties::name.ne_all(&names)),
    )
    .execute(conn)?;
    let existing: Vec<String> = item_meta_properties::table
        .filter(item_meta_properties::event_id.eq(event))
        .select(item_meta_properties::name)
        .load(conn)?;
    for (name, default) in wanted {
        if existing.contains(name) {
            diesel::update(
                item_meta_properties::table
                    .filter(item_meta_properties::event_id.eq(event))
                    .filter(item_meta_properties::name.eq(name)),
            )
            .set(item_meta_properties::default_value.eq(default))
            .execute(conn)?;
        } else {
            diesel::insert_into(item_meta_properties::table)
                .values((
                    item_meta_properties::event_id.eq(event),
                    item_meta_properties::name.eq(name),
                    item_meta_properties::default_value.eq(default),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn plugins_json(plugins: &[String]) -> String {
    serde_json::to_string(plugins).unwrap_or_else(|_| "[]".to_owned())
}

#[async_trait]
impl EventRepository for Database {
    async fn find_by_slug(
        &self,
        organizer: OrganizerId,
        slug: &str,
    ) -> Result<Option<Event>, RepositoryError> {
        let slug = slug.to_owned();
        self.read(move |conn| {
            events::table
                .filter(events::organizer_id.eq(organizer.0))
                .filter(events::slug.eq(&slug))
                .select(EventRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .map(EventRow::into_event)
                .transpose()
        })
        .await
    }

    async fn list(
        &self,
        organizer: OrganizerId,
        filter: EventFilter,
        window: Window,
    ) -> Result<Page<Event>, RepositoryError> {
        self.read(move |conn| {
            let mut q = filtered(organizer, &filter);
            for (key, descending) in &filter.ordering {
                q = match (key, descending) {
                    (EventOrder::DateFrom, false) => q.then_order_by(events::date_from.asc()),
                    (EventOrder::DateFrom, true) => q.then_order_by(events::date_from.desc()),
                    (EventOrder::Slug, false) => q.then_order_by(events::slug.asc()),
                    (EventOrder::Slug, true) => q.then_order_by(events::slug.desc()),
                };
            }
            let rows = q
                .then_order_by(events::id.desc())
                .select(EventRow::as_select());
            let total = filtered(organizer, &filter).count();
            page(conn, total, rows, window, |_, rows| {
                rows.into_iter().map(EventRow::into_event).collect()
            })
        })
        .await
    }

    async fn create(
        &self,
        organizer: OrganizerId,
        data: EventData,
        keys: EventKeys,
    ) -> Result<Event, RepositoryError> {
        self.write(move |conn| {
            Ok(conn.transaction::<_, TxError, _>(|conn| {
                let id = insert_event(conn, organizer.0, &data, &keys)?;
                Ok(load_one(conn, id)?)
            })?)
        })
        .await
    }

    async fn update(&self, event: EventId, data: EventData) -> Result<Event, RepositoryError> {
        self.write(move |conn| {
            Ok(conn.transaction::<_, TxError, _>(|conn| {
                let organizer: i64 = events::table
                    .find(event.0)
                    .select(events::organizer_id)
                    .first(conn)?;
                let related = RelatedWrite::resolve(conn, organizer, &data)?;
                diesel::update(events::table.find(event.0))
                    .set((columns(&data), events::related.eq(&related.document)))
                    .execute(conn)?;
                diesel::delete(
                    event_meta_values::table.filter(event_meta_values::event_id.eq(event.0)),
                )
                .execute(conn)?;
                diesel::delete(
                    event_sales_channels::table.filter(event_sales_channels::event_id.eq(event.0)),
                )
                .execute(conn)?;
                related.insert(conn, event.0)?;
                write_item_meta(conn, event.0, &data.item_meta_properties)?;
                Ok(load_one(conn, event.0)?)
            })?)
        })
        .await
    }

    async fn delete(&self, event: EventId) -> Result<EventDeletion, RepositoryError> {
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                // Locked first, as every writer of the event's secrets does: a secret marked
                // used meanwhile is seen below, or waits and then finds the event gone.
                if !lock_event(conn, event.0, EventLock::Change)? {
                    return Ok(EventDeletion::Gone);
                }
                let used = diesel::select(exists(
                    imported_secrets::table
                        .filter(imported_secrets::event_id.eq(event.0))
                        .filter(imported_secrets::used),
                ))
                .get_result::<bool>(conn)?;
                if used {
                    return Ok(EventDeletion::HasUsedTickets);
                }
                diesel::delete(events::table.find(event.0)).execute(conn)?;
                Ok(EventDeletion::Deleted)
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn clone_from(
        &self,
        source: EventId,
        organizer: OrganizerId,
        data: EventData,
        keys: EventKeys,
    ) -> Result<Event, RepositoryError> {
        self.write(move |conn| {
            Ok(conn.transaction::<_, TxError, _>(|conn| {
                let id = insert_event(conn, organizer.0, &data, &keys)?;
                copy_catalog(conn, source.0, id)?;
                Ok(load_one(conn, id)?)
            })?)
        })
        .await
    }

    async fn facts(&self, event: EventId) -> Result<EventFacts, RepositoryError> {
        self.read(move |conn| {
            let quotas: i64 = quotas::table
                .filter(quotas::event_id.eq(event.0))
                .count()
                .get_result(conn)
                .map_err(from_diesel)?;
            // Prices are stored normalised with two decimals, so zero is always "0.00".
            let paid_variation = exists(
                item_variations::table
                    .filter(item_variations::item_id.eq(items::id))
                    .filter(item_variations::active.eq(true))
                    .filter(item_variations::default_price.ne("0.00")),
            );
            let paid_items: i64 = items::table
                .filter(items::event_id.eq(event.0))
                .filter(items::active.eq(true))
                .filter(items::default_price.ne("0.00").or(paid_variation))
                .count()
                .get_result(conn)
                .map_err(from_diesel)?;
            // Orders have no table yet: used imported secrets are the tickets used so far.
            let used_tickets: i64 = imported_secrets::table
                .filter(imported_secrets::event_id.eq(event.0))
                .filter(imported_secrets::used)
                .count()
                .get_result(conn)
                .map_err(from_diesel)?;
            Ok(EventFacts {
                quotas: u64::try_from(quotas).unwrap_or(0),
                paid_items: u64::try_from(paid_items).unwrap_or(0),
                used_tickets: u64::try_from(used_tickets).unwrap_or(0),
            })
        })
        .await
    }

    async fn quota_sizes(
        &self,
        events: Vec<EventId>,
    ) -> Result<Vec<(EventId, Option<i64>)>, RepositoryError> {
        let ids: Vec<i64> = events.iter().map(|e| e.0).collect();
        self.read(move |conn| {
            let rows: Vec<(i64, Option<i64>)> = quotas::table
                .filter(quotas::event_id.eq_any(&ids))
                .select((quotas::event_id, quotas::size))
                .load(conn)
                .map_err(from_diesel)?;
            Ok(rows.into_iter().map(|(e, s)| (EventId(e), s)).collect())
        })
        .await
    }
}

/// Inserts the event row and its meta values, sales channels and item meta properties.
pub(super) fn insert_event(
    conn: &mut DbConnection,
    organizer: i64,
    data: &EventData,
    keys: &EventKeys,
) -> Result<i64, diesel::result::Error> {
    let related = RelatedWrite::resolve(conn, organizer, data)?;
    let id: i64 = diesel::insert_into(events::table)
        .values((
            events::organizer_id.eq(organizer),
            events::slug.eq(data.slug.as_str()),
            events::signing_private_key.eq(&keys.private_pem),
            events::signing_public_key.eq(&keys.public_b64),
            events::created.eq(Utc::now().naive_utc()),
            columns(data),
            events::related.eq(&related.document),
        ))
        .returning(events::id)
        .get_result(conn)?;
    related.insert(conn, id)?;
    write_item_meta(conn, id, &data.item_meta_properties)?;
    Ok(id)
}

/// Copies the source event's settings, products with variations, and quotas and digital
/// contents without sub-event to the target, with new ids and references remapped.
fn copy_catalog(
    conn: &mut DbConnection,
    source: i64,
    target: i64,
) -> Result<(), diesel::result::Error> {
    let settings: Vec<(String, String)> = event_settings::table
        .filter(event_settings::event_id.eq(source))
        .select((event_settings::key, event_settings::value))
        .load(conn)?;
    if !settings.is_empty() {
        let rows: Vec<_> = settings
            .into_iter()
            .map(|(k, v)| {
                (
                    event_settings::event_id.eq(target),
                    event_settings::key.eq(k),
                    event_settings::value.eq(v),
                )
            })
            .collect();
        let insert = diesel::insert_into(event_settings::table).values(rows);
        per_backend!(conn, |c| insert.execute(c))?;
    }

    type ItemCopy = (
        i64,
        String,
        String,
        bool,
        Option<String>,
        Option<i64>,
        bool,
        i64,
        bool,
    );
    let source_items: Vec<ItemCopy> = items::table
        .filter(items::event_id.eq(source))
        .order(items::id)
        .select((
            items::id,
            items::name,
            items::default_price,
            items::active,
            items::description,
            items::category,
            items::admission,
            items::position,
            items::has_variations,
        ))
        .load(conn)?;
    let mut item_map = Vec::with_capacity(source_items.len());
    for (old, name, price, active, description, category, admission, position, has_variations) in
        source_items
    {
        let new: i64 = diesel::insert_into(items::table)
            .values((
                items::event_id.eq(target),
                items::name.eq(name),
                items::default_price.eq(price),
                items::active.eq(active),
                items::description.eq(description),
                items::category.eq(category),
                items::admission.eq(admission),
                items::position.eq(position),
                items::has_variations.eq(has_variations),
            ))
            .returning(items::id)
            .get_result(conn)?;
        item_map.push((old, new));
    }
    let old_items: Vec<i64> = item_map.iter().map(|(o, _)| *o).collect();
    let source_variations: Vec<(i64, i64, String, Option<String>, bool, i64)> =
        item_variations::table
            .filter(item_variations::item_id.eq_any(&old_items))
            .order(item_variations::id)
            .select((
                item_variations::id,
                item_variations::item_id,
                item_variations::value,
                item_variations::default_price,
                item_variations::active,
                item_variations::position,
            ))
            .load(conn)?;
    let mut variation_map = Vec::with_capacity(source_variations.len());
    for (old, item, value, price, active, position) in source_variations {
        let Some((_, new_item)) = item_map.iter().find(|(o, _)| *o == item) else {
            continue;
        };
        let new: i64 = diesel::insert_into(item_variations::table)
            .values((
                item_variations::item_id.eq(*new_item),
                item_variations::value.eq(value),
                item_variations::default_price.eq(price),
                item_variations::active.eq(active),
                item_variations::position.eq(position),
            ))
            .returning(item_variations::id)
            .get_result(conn)?;
        variation_map.push((old, new));
    }

    let source_quotas: Vec<(i64, String, Option<i64>)> = quotas::table
        .filter(quotas::event_id.eq(source))
        .filter(quotas::subevent_id.is_null())
        .order(quotas::id)
        .select((quotas::id, quotas::name, quotas::size))
        .load(conn)?;
    let remap = |map: &[(i64, i64)], old: i64| map.iter().find(|(o, _)| *o == old).map(|(_, n)| *n);
    for (old, name, size) in source_quotas {
        let new: i64 = diesel::insert_into(quotas::table)
            .values((
                quotas::event_id.eq(target),
                quotas::name.eq(name),
                quotas::size.eq(size),
            ))
            .returning(quotas::id)
            .get_result(conn)?;
        let item_rows: Vec<_> = quota_items::table
            .filter(quota_items::quota_id.eq(old))
            .select(quota_items::item_id)
            .load::<i64>(conn)?
            .into_iter()
            .filter_map(|i| remap(&item_map, i))
            .map(|i| (quota_items::quota_id.eq(new), quota_items::item_id.eq(i)))
            .collect();
        if !item_rows.is_empty() {
            let insert = diesel::insert_into(quota_items::table).values(item_rows);
            per_backend!(conn, |c| insert.execute(c))?;
        }
        let variation_rows: Vec<_> = quota_variations::table
            .filter(quota_variations::quota_id.eq(old))
            .select(quota_variations::variation_id)
            .load::<i64>(conn)?
            .into_iter()
            .filter_map(|v| remap(&variation_map, v))
            .map(|v| {
                (
                    quota_variations::quota_id.eq(new),
                    quota_variations::variation_id.eq(v),
                )
            })
            .collect();
        if !variation_rows.is_empty() {
            let insert = diesel::insert_into(quota_variations::table).values(variation_rows);
            per_backend!(conn, |c| insert.execute(c))?;
        }
    }
    super::digital_contents::copy_contents(conn, source, target, &item_map)?;
    Ok(())
}

/// The writable columns of an event row.
#[allow(clippy::type_complexity)]
pub(super) fn columns(
    data: &EventData,
) -> (
    (
        diesel::dsl::Eq<events::name, String>,
        diesel::dsl::Eq<events::live, bool>,
        diesel::dsl::Eq<events::testmode, bool>,
        diesel::dsl::Eq<events::currency, &'static str>,
        diesel::dsl::Eq<events::date_from, NaiveDateTime>,
        diesel::dsl::Eq<events::date_to, Option<NaiveDateTime>>,
        diesel::dsl::Eq<events::date_admission, Option<NaiveDateTime>>,
        diesel::dsl::Eq<events::is_public, bool>,
    ),
    (
        diesel::dsl::Eq<events::presale_start, Option<NaiveDateTime>>,
        diesel::dsl::Eq<events::presale_end, Option<NaiveDateTime>>,
        diesel::dsl::Eq<events::location, Option<String>>,
        diesel::dsl::Eq<events::geo_lat, Option<f64>>,
        diesel::dsl::Eq<events::geo_lon, Option<f64>>,
        diesel::dsl::Eq<events::has_subevents, bool>,
        diesel::dsl::Eq<events::timezone, &'static str>,
        diesel::dsl::Eq<events::plugins, String>,
        diesel::dsl::Eq<events::all_sales_channels, bool>,
    ),
) {
    (
        (
            events::name.eq(data.name.to_json_string()),
            events::live.eq(data.live),
            events::testmode.eq(data.testmode),
            events::currency.eq(data.currency.code()),
            events::date_from.eq(naive(data.date_from)),
            events::date_to.eq(data.date_to.map(naive)),
            events::date_admission.eq(data.date_admission.map(naive)),
            events::is_public.eq(data.is_public),
        ),
        (
            events::presale_start.eq(data.presale_start.map(naive)),
            events::presale_end.eq(data.presale_end.map(naive)),
            events::location.eq(data.location.as_ref().map(I18nString::to_json_string)),
            events::geo_lat.eq(data.geo_lat),
            events::geo_lon.eq(data.geo_lon),
            events::has_subevents.eq(data.has_subevents),
            events::timezone.eq(data.timezone.name()),
            events::plugins.eq(plugins_json(&data.plugins)),
            events::all_sales_channels.eq(data.all_sales_channels),
        ),
    )
}
