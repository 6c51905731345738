//! Imported secrets. The list never counts or skips secrets one by one: the triggers of the
//! migration keep per-block counts in `imported_secret_blocks`, from which a page's count
//! and the block it starts in are read; only the rows of that block before the page are
//! skipped (docs/performance.md).

use super::Database;
use crate::connection::DbConnection;
use crate::dialect::{keep_event, lock_event, per_backend, write_transaction, EventLock};
use crate::error::from_diesel;
use crate::error::TxError;
use crate::schema::{imported_secret_blocks, imported_secrets, item_variations, items, subevents};
use crate::to_i64;
use async_trait::async_trait;
use diesel::connection::TransactionManager;
use diesel::dsl::not;
use diesel::prelude::*;
use presale_domain::ids::EventId;
use presale_domain::ids::ImportedSecretId;
use presale_domain::ids::SubEventId;
use presale_domain::ids::{ItemId, VariationId};
use presale_domain::imported_secret::{
    CatalogMatches, ImportedSecret, ImportedSecretRepository, SecretData, SecretFilter,
};
use presale_domain::pagination::{Page, Window};
use presale_domain::RepositoryError;

type Db = <DbConnection as Connection>::Backend;

/// Ids per row of `imported_secret_blocks`: the migration's triggers count by `id / 1024`.
pub(crate) const IMPORTED_SECRET_BLOCK: i64 = 1024;

/// Rows per multi-row `INSERT` (6 parameters each, well within both backends' limits).
const INSERT_CHUNK: usize = 500;

#[derive(Queryable, Selectable)]
#[diesel(table_name = imported_secrets)]
struct ImportedSecretRow {
    id: i64,
    event_id: i64,
    secret: String,
    used: bool,
    item_id: Option<i64>,
    variation_id: Option<i64>,
    subevent_id: Option<i64>,
}

impl From<ImportedSecretRow> for ImportedSecret {
    fn from(row: ImportedSecretRow) -> Self {
        ImportedSecret {
            id: ImportedSecretId(row.id),
            event: EventId(row.event_id),
            data: SecretData {
                secret: row.secret,
                used: row.used,
                item: row.item_id.map(ItemId),
                variation: row.variation_id.map(VariationId),
                subevent: row.subevent_id.map(SubEventId),
            },
        }
    }
}

/// A row to insert; `None` is NULL, never the column default, so that SQLite takes a whole
/// chunk in one statement.
#[derive(Insertable)]
#[diesel(table_name = imported_secrets, treat_none_as_default_value = false)]
struct NewImportedSecretRow<'a> {
    event_id: i64,
    secret: &'a str,
    used: bool,
    item_id: Option<i64>,
    variation_id: Option<i64>,
    subevent_id: Option<i64>,
}

/// A lost race of two writers: a unique violation, or (PostgreSQL) a deadlock between two
/// imports that hold each other's secrets. Either way nothing was written.
fn write_error(e: diesel::result::Error) -> RepositoryError {
    match &e {
        diesel::result::Error::DatabaseError(_, info)
            if info.message().contains("deadlock detected") =>
        {
            RepositoryError::Conflict(info.message().to_owned())
        }
        _ => from_diesel(e),
    }
}

/// The event's secrets matching `filter` (no order).
fn filtered(event: EventId, filter: &SecretFilter) -> imported_secrets::BoxedQuery<'_, Db> {
    let mut q = imported_secrets::table
        .filter(imported_secrets::event_id.eq(event.0))
        .into_boxed::<Db>();
    // A literal predicate (not a bound value), so that PostgreSQL can use the partial index.
    match filter.used {
        Some(true) => q = q.filter(imported_secrets::used),
        Some(false) => q = q.filter(not(imported_secrets::used)),
        None => {}
    }
    if let Some(item) = filter.item {
        q = q.filter(imported_secrets::item_id.eq(item.0));
    }
    if let Some(variation) = filter.variation {
        q = q.filter(imported_secrets::variation_id.eq(variation.0));
    }
    if let Some(subevent) = filter.subevent {
        q = q.filter(imported_secrets::subevent_id.eq(subevent.0));
    }
    if let Some(secret) = &filter.secret {
        q = q.filter(imported_secrets::secret.eq(secret.as_str()));
    }
    q
}

/// The event's blocks (ascending) with how many secrets matching `used` each holds.
fn blocks(
    conn: &mut DbConnection,
    event: EventId,
    used: Option<bool>,
) -> QueryResult<Vec<(i64, i64)>> {
    let mut q = imported_secret_blocks::table
        .filter(imported_secret_blocks::event_id.eq(event.0))
        .into_boxed::<Db>();
    if let Some(used) = used {
        q = q.filter(imported_secret_blocks::used.eq(used));
    }
    let rows: Vec<(i64, i64)> = q
        .order(imported_secret_blocks::block.asc())
        .select((
            imported_secret_blocks::block,
            imported_secret_blocks::secrets,
        ))
        .load(conn)?;
    // Without a `used` filter a block has up to two rows (unused, used): add them up.
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(rows.len());
    for (block, n) in rows {
        match merged.last_mut() {
            Some((last, total)) if *last == block => *total += n,
            _ => merged.push((block, n)),
        }
    }
    Ok(merged)
}

/// One page in id order. With no filter but `used`, the count and the block the page starts
/// in come from the block counts, and only the secrets of that block before the page are
/// skipped. Other filters count and skip through the index that serves them, ids only.
fn list_page(
    conn: &mut DbConnection,
    event: EventId,
    filter: &SecretFilter,
    window: Window,
) -> QueryResult<Page<ImportedSecret>> {
    let by_blocks = filter.item.is_none()
        && filter.variation.is_none()
        && filter.subevent.is_none()
        && filter.secret.is_none();
    let offset = to_i64(window.offset);
    let limit = to_i64(window.limit);
    let (total, start, skip) = if by_blocks {
        let counts = blocks(conn, event, filter.used)?;
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        let mut before = 0;
        let mut start = None;
        for (block, n) in counts {
            if before + n > offset {
                start = Some(block * IMPORTED_SECRET_BLOCK);
                break;
            }
            before += n;
        }
        (total, start, offset - before)
    } else {
        let total: i64 = filtered(event, filter).count().get_result(conn)?;
        let start = if offset >= total {
            None
        } else if offset == 0 {
            Some(0)
        } else {
            filtered(event, filter)
                .order(imported_secrets::id.asc())
                .select(imported_secrets::id)
                .offset(offset)
                .limit(1)
                .first::<i64>(conn)
                .optional()?
        };
        (total, start, 0)
    };
    let items = match start {
        None => Vec::new(),
        Some(first_id) => filtered(event, filter)
            .filter(imported_secrets::id.ge(first_id))
            .order(imported_secrets::id.asc())
            .offset(skip)
            .limit(limit)
            .select(ImportedSecretRow::as_select())
            .load(conn)?
            .into_iter()
            .map(ImportedSecret::from)
            .collect(),
    };
    Ok(Page {
        total: u64::try_from(total).unwrap_or(0),
        items,
    })
}

fn list(
    conn: &mut DbConnection,
    event: EventId,
    filter: SecretFilter,
    window: Window,
) -> Result<Page<ImportedSecret>, RepositoryError> {
    let nested =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .map_err(from_diesel)?
            .is_some();
    // The counts and the rows from one snapshot.
    conn.transaction(|conn| {
        if !nested && matches!(conn, DbConnection::Pg(_)) {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(conn)?;
        }
        list_page(conn, event, &filter, window)
    })
    .map_err(from_diesel)
}

fn find(
    conn: &mut DbConnection,
    event: EventId,
    id: ImportedSecretId,
) -> Result<Option<ImportedSecret>, RepositoryError> {
    let row = imported_secrets::table
        .filter(imported_secrets::event_id.eq(event.0))
        .filter(imported_secrets::id.eq(id.0))
        .select(ImportedSecretRow::as_select())
        .first(conn)
        .optional()
        .map_err(from_diesel)?;
    Ok(row.map(ImportedSecret::from))
}

/// A stored secret found by [`existing`].
#[derive(diesel::QueryableByName)]
struct StoredSecret {
    #[diesel(sql_type = diesel::sql_types::Text)]
    secret: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Which of the asked secrets (`$2`) an event (`$1`) holds, on PostgreSQL: one probe of the
/// unique index `(secret, event_id)` per asked secret, whatever the statistics say.
/// - `secret = ANY(<500 values>)` on a table PostgreSQL has not analysed yet (during a first
///   big import) is estimated to match everything and planned as a full scan.
/// - A lateral lookup that the planner may pull up into a join was planned as a hash of all the
///   event's secrets, for every batch, while the event held fewer than about 100,000.
/// - With the event's condition in the lookup, an event the statistics believe empty (its first
///   import under way) was read through `(event_id, id)`, all of its secrets per asked secret.
///
/// So the lookup is by secret alone (`OFFSET 0` keeps it a subquery, which the event's
/// condition outside cannot be pushed into), and the event's rows are kept after it.
const EXISTING_PG: &str = "SELECT s.secret, s.id FROM unnest($2) AS asked(secret) \
     CROSS JOIN LATERAL (SELECT secret, id, event_id FROM imported_secrets \
     WHERE secret = asked.secret OFFSET 0) AS s \
     WHERE s.event_id = $1";

fn existing(
    conn: &mut DbConnection,
    event: EventId,
    secrets: Vec<String>,
) -> Result<Vec<(String, ImportedSecretId)>, RepositoryError> {
    use diesel::sql_types::{Array, BigInt, Text};
    let mut found = Vec::new();
    for chunk in secrets.chunks(INSERT_CHUNK) {
        let rows: Vec<(String, i64)> = match conn {
            DbConnection::Pg(c) => diesel::sql_query(EXISTING_PG)
                .bind::<BigInt, _>(event.0)
                .bind::<Array<Text>, _>(chunk)
                .load::<StoredSecret>(c)
                .map_err(from_diesel)?
                .into_iter()
                .map(|r| (r.secret, r.id))
                .collect(),
            DbConnection::Sqlite(_) => imported_secrets::table
                .filter(imported_secrets::event_id.eq(event.0))
                .filter(imported_secrets::secret.eq_any(chunk))
                .select((imported_secrets::secret, imported_secrets::id))
                .load(conn)
                .map_err(from_diesel)?,
        };
        found.extend(rows.into_iter().map(|(s, id)| (s, ImportedSecretId(id))));
    }
    Ok(found)
}

fn catalog(
    conn: &mut DbConnection,
    event: EventId,
    items_asked: Vec<ItemId>,
    variations_asked: Vec<VariationId>,
    subevents_asked: Vec<SubEventId>,
) -> Result<CatalogMatches, RepositoryError> {
    let mut found = CatalogMatches::default();
    if !items_asked.is_empty() {
        let ids: Vec<i64> = items_asked.iter().map(|i| i.0).collect();
        found.items = items::table
            .filter(items::event_id.eq(event.0))
            .filter(items::id.eq_any(ids))
            .select(items::id)
            .load::<i64>(conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(ItemId)
            .collect();
    }
    if !variations_asked.is_empty() {
        let ids: Vec<i64> = variations_asked.iter().map(|v| v.0).collect();
        found.variations = item_variations::table
            .inner_join(items::table)
            .filter(items::event_id.eq(event.0))
            .filter(item_variations::id.eq_any(ids))
            .select((item_variations::id, item_variations::item_id))
            .load::<(i64, i64)>(conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(|(v, i)| (VariationId(v), ItemId(i)))
            .collect();
    }
    if !subevents_asked.is_empty() {
        let ids: Vec<i64> = subevents_asked.iter().map(|s| s.0).collect();
        found.subevents = subevents::table
            .filter(subevents::event_id.eq(event.0))
            .filter(subevents::id.eq_any(ids))
            .select(subevents::id)
            .load::<i64>(conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(SubEventId)
            .collect();
    }
    Ok(found)
}

/// Multi-row inserts of up to [`INSERT_CHUNK`] rows, all in one transaction, below the
/// locked event.
fn create(
    conn: &mut DbConnection,
    event: EventId,
    secrets: Vec<SecretData>,
) -> Result<Vec<ImportedSecret>, RepositoryError> {
    write_transaction::<_, TxError>(conn, |conn| {
        keep_event(conn, event.0)?;
        let mut created = Vec::with_capacity(secrets.len());
        for chunk in secrets.chunks(INSERT_CHUNK) {
            let rows: Vec<NewImportedSecretRow<'_>> = chunk
                .iter()
                .map(|d| NewImportedSecretRow {
                    event_id: event.0,
                    secret: &d.secret,
                    used: d.used,
                    item_id: d.item.map(|i| i.0),
                    variation_id: d.variation.map(|v| v.0),
                    subevent_id: d.subevent.map(|s| s.0),
                })
                .collect();
            let insert = diesel::insert_into(imported_secrets::table)
                .values(rows)
                .returning(imported_secrets::all_columns);
            let mut stored: Vec<ImportedSecretRow> =
                per_backend!(conn, |c| insert.get_results(c)).map_err(write_error)?;
            // Ids ascend in the order of the rows; RETURNING does not promise that order.
            stored.sort_by_key(|r| r.id);
            created.extend(stored.into_iter().map(ImportedSecret::from));
        }
        Ok(created)
    })
    .map_err(RepositoryError::from)
}

fn update(
    conn: &mut DbConnection,
    event: EventId,
    id: ImportedSecretId,
    was_used: bool,
    data: SecretData,
) -> Result<Option<ImportedSecret>, RepositoryError> {
    let row = write_transaction(conn, |conn| {
        // A secret marked used while its event is being deleted: one of the two waits.
        if !lock_event(conn, event.0, EventLock::Keep)? {
            return Ok(None);
        }
        diesel::update(
            imported_secrets::table
                .filter(imported_secrets::event_id.eq(event.0))
                .filter(imported_secrets::id.eq(id.0))
                .filter(imported_secrets::used.eq(was_used)),
        )
        .set((
            imported_secrets::secret.eq(data.secret),
            imported_secrets::used.eq(data.used),
            imported_secrets::item_id.eq(data.item.map(|i| i.0)),
            imported_secrets::variation_id.eq(data.variation.map(|v| v.0)),
            imported_secrets::subevent_id.eq(data.subevent.map(|s| s.0)),
        ))
        .returning(imported_secrets::all_columns)
        .get_result::<ImportedSecretRow>(conn)
        .optional()
    })
    .map_err(write_error)?;
    Ok(row.map(ImportedSecret::from))
}

fn delete_unused(
    conn: &mut DbConnection,
    event: EventId,
    id: ImportedSecretId,
) -> Result<bool, RepositoryError> {
    diesel::delete(
        imported_secrets::table
            .filter(imported_secrets::event_id.eq(event.0))
            .filter(imported_secrets::id.eq(id.0))
            .filter(not(imported_secrets::used)),
    )
    .execute(conn)
    .map(|n| n > 0)
    .map_err(from_diesel)
}

#[async_trait]
impl ImportedSecretRepository for Database {
    async fn list(
        &self,
        event: EventId,
        filter: SecretFilter,
        window: Window,
    ) -> Result<Page<ImportedSecret>, RepositoryError> {
        self.read(move |conn| list(conn, event, filter.clone(), window))
            .await
    }

    async fn find(
        &self,
        event: EventId,
        id: ImportedSecretId,
    ) -> Result<Option<ImportedSecret>, RepositoryError> {
        self.read(move |conn| find(conn, event, id)).await
    }

    async fn existing(
        &self,
        event: EventId,
        secrets: Vec<String>,
    ) -> Result<Vec<(String, ImportedSecretId)>, RepositoryError> {
        self.read(move |conn| existing(conn, event, secrets.clone()))
            .await
    }

    async fn catalog(
        &self,
        event: EventId,
        items: Vec<ItemId>,
        variations: Vec<VariationId>,
        subevents: Vec<SubEventId>,
    ) -> Result<CatalogMatches, RepositoryError> {
        self.read(move |conn| {
            catalog(
                conn,
                event,
                items.clone(),
                variations.clone(),
                subevents.clone(),
            )
        })
        .await
    }

    async fn create(
        &self,
        event: EventId,
        secrets: Vec<SecretData>,
    ) -> Result<Vec<ImportedSecret>, RepositoryError> {
        let created = self.write(move |conn| create(conn, event, secrets)).await?;
        crate::metrics::secrets_written(created.len());
        Ok(created)
    }

    async fn update(
        &self,
        event: EventId,
        id: ImportedSecretId,
        was_used: bool,
        data: SecretData,
    ) -> Result<Option<ImportedSecret>, RepositoryError> {
        self.write(move |conn| update(conn, event, id, was_used, data))
            .await
    }

    async fn delete_unused(
        &self,
        event: EventId,
        id: ImportedSecretId,
    ) -> Result<bool, RepositoryError> {
        self.write(move |conn| delete_unused(conn, event, id)).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::testdb::{PostgresTestDatabase, TestDatabase};
    use crate::PoolOptions;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }

    fn lines(conn: &mut PgConnection, sql: &str) -> Vec<String> {
        let rows = diesel::sql_query(sql).load::<Line>(conn).unwrap();
        rows.into_iter().map(|l| l.line).collect()
    }

    /// The plans PostgreSQL picks for the duplicate check of 500 secrets: in an event of
    /// 20,000 (where the cost model finds hashing them all cheaper than 500 probes), and in an
    /// event whose 5,000 secrets came after the statistics (which say it has none).
    #[test]
    fn the_duplicate_check_probes_the_index_per_secret_at_any_event_size() {
        let test_db = match TestDatabase::postgres() {
            Ok(PostgresTestDatabase::Ready(test_db)) => test_db,
            Ok(PostgresTestDatabase::Skipped(msg)) => return eprintln!("{msg}"),
            Err(e) => panic!("{e}"),
        };
        let db = Database::open(test_db.url().clone(), PoolOptions::default()).unwrap();
        let DbConnection::Pg(mut conn) = db.url().connect().unwrap() else {
            panic!("a PostgreSQL connection");
        };
        let setup = "ALTER TABLE imported_secrets SET (autovacuum_enabled = false); \
            INSERT INTO organizers (slug, name) VALUES ('o', 'O'); \
            INSERT INTO events (organizer_id, slug, name, currency, date_from, timezone, \
              signing_private_key, signing_public_key, created) \
            SELECT id, e, '{}', 'EUR', now(), 'UTC', 'k', 'k', now() \
            FROM organizers, (VALUES ('big'), ('new')) AS slugs(e); \
            INSERT INTO imported_secrets (event_id, secret) \
            SELECT e.id, 's' || g FROM events e, generate_series(1, 20000) g WHERE e.slug = 'big'; \
            ANALYZE imported_secrets; \
            INSERT INTO imported_secrets (event_id, secret) \
            SELECT e.id, 'n' || g FROM events e, generate_series(1, 5000) g WHERE e.slug = 'new'; \
            CREATE FUNCTION pg_temp.plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$ \
            DECLARE l text; BEGIN FOR l IN EXECUTE q LOOP RETURN NEXT l; END LOOP; END $$;";
        diesel::connection::SimpleConnection::batch_execute(&mut conn, setup).unwrap();
        diesel::sql_query(format!("PREPARE existing(bigint, text[]) AS {EXISTING_PG}"))
            .execute(&mut conn)
            .unwrap();
        let asked: Vec<String> = (1..=500).map(|i| format!("n{i}")).collect();
        for slug in ["big", "new"] {
            let event = lines(
                &mut conn,
                &format!("SELECT id::text AS line FROM events WHERE slug = '{slug}'"),
            )
            .join("");
            let plan = lines(
                &mut conn,
                &format!(
                    "SELECT pg_temp.plan('EXPLAIN EXECUTE existing({event}, ''{{{}}}'')') \
                     AS line",
                    asked.join(",")
                ),
            )
            .join("\n");
            assert!(
                plan.contains("Index Scan using imported_secrets_secret_event")
                    && !plan.contains("Hash")
                    && !plan.contains("imported_secrets_event_id"),
                "{slug}: {plan}"
            );
        }
        // And it finds what it is asked for, in the asked event only.
        let new: i64 = lines(
            &mut conn,
            "SELECT id::text AS line FROM events WHERE slug = 'new'",
        )
        .join("")
        .parse()
        .unwrap();
        let asked = ["n1", "n5000", "n5001", "s1"].map(String::from).to_vec();
        let mut found: Vec<String> =
            existing(&mut db.url().connect().unwrap(), EventId(new), asked)
                .unwrap()
                .into_iter()
                .map(|(secret, _)| secret)
                .collect();
        found.sort();
        assert_eq!(found, ["n1", "n5000"]);
    }
}
