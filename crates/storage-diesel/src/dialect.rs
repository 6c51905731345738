//! Statements diesel cannot run through the backend-neutral connection (multi-row inserts,
//! upserts): each runs on the concrete connection of the variant at hand.

/// Runs `$body` with `$c` bound to the concrete `PgConnection` or `SqliteConnection`, so that
/// backend-specific statements (multi-row `INSERT`, ...) type-check for each backend.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Pg($c) => $body,
            $crate::connection::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub(crate) use per_backend;

use crate::connection::DbConnection;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::Error;
use diesel::RunQueryDsl;

/// Runs `f` in a transaction in which a check and the write that depends on it are one
/// decision. On SQLite the transaction takes the database's write lock before its first read
/// (`BEGIN IMMEDIATE`), so no other writer can slip between them (a deferred transaction
/// would read an old snapshot and then fail to write). On PostgreSQL the rows a rule depends
/// on are locked explicitly ([`lock_event`]). Inside a transaction already, a savepoint.
pub(crate) fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<Error>,
{
    let nested =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_some();
    if nested || matches!(conn, DbConnection::Pg(_)) {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// How an event row is locked for the rest of the transaction.
#[derive(Clone, Copy)]
pub(crate) enum EventLock {
    /// The event must stay while something is written below it (`FOR KEY SHARE`: writers
    /// below one event do not wait for each other).
    Keep,
    /// The event itself is changed or deleted by a rule over what is below it (`FOR UPDATE`:
    /// waits for every writer holding `Keep`, and they for it).
    Change,
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[allow(dead_code)] // read only to learn that the row exists
    id: i64,
}

/// Locks the event's row for a write below it ([`EventLock::Keep`]); `ReferenceGone` when
/// a concurrent request deleted the event.
pub(crate) fn keep_event(conn: &mut DbConnection, event: i64) -> Result<(), crate::error::TxError> {
    if lock_event(conn, event, EventLock::Keep)? {
        Ok(())
    } else {
        Err(presale_domain::RepositoryError::ReferenceGone("event".into()).into())
    }
}

/// Locks the event's row in the transaction `conn` is in (PostgreSQL; SQLite holds the whole
/// database's write lock in a [`write_transaction`]); `false` when the event is gone. Every
/// writer locks the event first, so a rule about an event's rows and a write below it cannot
/// interleave, and two of them cannot deadlock.
pub(crate) fn lock_event(
    conn: &mut DbConnection,
    event: i64,
    lock: EventLock,
) -> Result<bool, Error> {
    let sql = match (&*conn, lock) {
        (DbConnection::Pg(_), EventLock::Keep) => {
            "SELECT id FROM events WHERE id = $1 FOR KEY SHARE"
        }
        (DbConnection::Pg(_), EventLock::Change) => {
            "SELECT id FROM events WHERE id = $1 FOR UPDATE"
        }
        (DbConnection::Sqlite(_), _) => "SELECT id FROM events WHERE id = ?",
    };
    let found: Vec<Found> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(event)
        .load(conn)?;
    Ok(!found.is_empty())
}

/// A row of `table` (one of Presale's tables with an `id` sequence) is to be stored under a
/// given id (a fixture's): [`RepositoryError::IdTaken`] when a row has it already; otherwise
/// the id sequence is moved past it on PostgreSQL, so that rows stored later without an id
/// continue after it (SQLite's `AUTOINCREMENT` does so by itself).
pub(crate) fn claim_id(
    conn: &mut DbConnection,
    table: &'static str,
    id: i64,
) -> Result<(), crate::error::TxError> {
    use diesel::sql_types::BigInt;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    // Numbers only, so written into the statement: one text for both backends.
    let found: Found =
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table} WHERE id = {id}"))
            .get_result(conn)?;
    if found.n > 0 {
        return Err(presale_domain::RepositoryError::IdTaken(id).into());
    }
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!(
            "SELECT setval('{table}_id_seq', GREATEST({id}, \
             (SELECT last_value FROM {table}_id_seq)))"
        ))
        .execute(c)?;
    }
    Ok(())
}
