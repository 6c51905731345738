//! Test helpers: opening the database under test, and raw SQL on a connection of its own,
//! for setting up rows no port writes yet and for checking what the ports stored.

use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};
use presale_domain::ids::EventId;
use presale_domain::ids::OrganizerId;
use presale_storage_diesel::testdb::TestDatabase;
use presale_storage_diesel::{Backend, Database, DbConnection, PoolOptions};

/// Runs `$body` with `$c` bound to the concrete connection, so that `sql_query(..).load`
/// type-checks for each backend.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            DbConnection::Pg($c) => $body,
            DbConnection::Sqlite($c) => $body,
        }
    };
}

/// A `#[tokio::test]` per backend for each `suite => sqlite_name, postgres_name;`: the suite
/// gets a freshly migrated database; without PostgreSQL its test says it was skipped.
macro_rules! on_both_backends {
    ($( $suite:ident => $sqlite:ident, $postgres:ident; )*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let test_db = presale_storage_diesel::testdb::TestDatabase::sqlite()
                .expect("cannot create a SQLite test database");
            let db = support::open(&test_db);
            $suite(&db).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            use presale_storage_diesel::testdb::{PostgresTestDatabase, TestDatabase};
            let test_db = match TestDatabase::postgres() {
                Ok(PostgresTestDatabase::Ready(test_db)) => test_db,
                Ok(PostgresTestDatabase::Skipped(msg)) => {
                    eprintln!("{msg}");
                    return;
                }
                Err(e) => panic!("{e}"),
            };
            let db = support::open(&test_db);
            $suite(&db).await;
        }
    )*};
}

/// Opens the test database the way the server does (which applies the migrations).
pub fn open(test_db: &TestDatabase) -> Database {
    Database::open(test_db.url().clone(), PoolOptions::default()).expect("database opens")
}

/// A connection outside the pool.
pub fn raw_conn(db: &Database) -> DbConnection {
    db.url().connect().expect("raw connection")
}

/// The migration versions of the backend, oldest first, as diesel names them: the part of
/// each directory name before the first `_`, without dashes.
pub fn migration_versions(backend: Backend) -> Vec<String> {
    let dir = match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(dir);
    let mut versions: Vec<String> = std::fs::read_dir(&path)
        .expect("migrations directory")
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = name.split('_').next().expect("version part");
            version.replace('-', "")
        })
        .collect();
    versions.sort();
    versions
}

pub fn try_execute(conn: &mut DbConnection, sql: &str) -> Result<usize, diesel::result::Error> {
    diesel::sql_query(sql).execute(conn)
}

pub fn execute(conn: &mut DbConnection, sql: &str) -> usize {
    try_execute(conn, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// [`execute`], then waits (up to 5 s) until `db` has learnt that the statement changed
/// `organizer`: plain SQL is announced by the database like any write, and the pool learns it
/// within milliseconds on PostgreSQL (a notification) and at its next look on SQLite.
pub async fn execute_seen(
    db: &Database,
    conn: &mut DbConnection,
    organizer: OrganizerId,
    sql: &str,
) -> usize {
    let mark = db.data_mark().expect("changes are watched");
    let rows = execute(conn, sql);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while db.data_mark().is_none() || db.unchanged_since(organizer, mark) {
        assert!(
            std::time::Instant::now() < deadline,
            "the change was not learnt: {sql}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    rows
}

#[derive(QueryableByName)]
struct I64Row {
    #[diesel(sql_type = BigInt)]
    v: i64,
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct BoolRow {
    #[diesel(sql_type = Bool)]
    v: bool,
}

/// The column `v` of every row the query returns.
pub fn query_i64s(conn: &mut DbConnection, sql: &str) -> Vec<i64> {
    let rows: Vec<I64Row> =
        on_conn!(conn, |c| diesel::sql_query(sql).load(c)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.v).collect()
}

/// The column `v` of every row the query returns.
pub fn query_texts(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    let rows: Vec<TextRow> =
        on_conn!(conn, |c| diesel::sql_query(sql).load(c)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.v).collect()
}

/// The column `v` of every row the query returns.
pub fn query_bools(conn: &mut DbConnection, sql: &str) -> Vec<bool> {
    let rows: Vec<BoolRow> =
        on_conn!(conn, |c| diesel::sql_query(sql).load(c)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.v).collect()
}

/// How many rows of `table` match the SQL condition `filter`.
pub fn count(conn: &mut DbConnection, table: &str, filter: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS v FROM {table} WHERE {filter}");
    match query_i64s(conn, &sql).as_slice() {
        [n] => *n,
        other => panic!("{sql}: expected one row, got {other:?}"),
    }
}

/// Inserts a minimal event row directly and returns its id.
pub fn insert_event(conn: &mut DbConnection, organizer: OrganizerId, slug: &str) -> EventId {
    let sql = format!(
        "INSERT INTO events (organizer_id, slug, name, currency, date_from, timezone, \
         signing_private_key, signing_public_key, created) \
         VALUES ({}, '{slug}', '{{\"en\":\"{slug}\"}}', 'EUR', '2030-01-01 10:00:00', 'UTC', \
         'k', 'k', '2030-01-01 00:00:00') RETURNING id AS v",
        organizer.0
    );
    match query_i64s(conn, &sql).as_slice() {
        [id] => EventId(*id),
        other => panic!("{sql}: expected one id, got {other:?}"),
    }
}
