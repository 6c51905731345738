use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One connection to either backend; queries are written once against both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL whose scheme was recognised: `postgres://`, `postgresql://` or `sqlite://`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// The path after `sqlite://` (relative to the working directory unless absolute).
    Sqlite(PathBuf),
}

/// The URL's scheme is none of the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported database URL '{0}': use postgres://..., postgresql://... or sqlite://<path>")]
pub struct UrlError(pub String);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        match url.strip_prefix("sqlite://") {
            Some(path) if !path.is_empty() => Ok(DatabaseUrl::Sqlite(PathBuf::from(path))),
            _ => Err(UrlError(redact(url))),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens one connection, with the SQLite PRAGMAs applied, or PostgreSQL's JIT compilation
    /// off: Presale's statements are short, and PostgreSQL decides to compile one from its
    /// cost estimate, which is at its highest exactly when the estimate is wrong (a table not
    /// analysed yet, in the middle of its first big import, was estimated 100 times too big,
    /// and compiling the import's duplicate check cost 40 ms per batch of 500).
    pub fn connect(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match self {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute("SET jit = off")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Pg(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path)?;
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..s + 3 + colon], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Postgres(url) => write!(f, "{}", redact(url)),
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An r2d2 manager that opens connections of the URL's backend and counts the statements
/// they run (for tests that bound the queries of a request).
#[derive(Debug, Clone)]
pub(crate) struct Manager {
    pub url: DatabaseUrl,
    pub queries: Arc<AtomicU64>,
    /// Statements a connection ran after a COMMIT, before it went back to the pool (work
    /// that could fail after a write was stored; tests keep it at zero).
    pub after_commit: Arc<AtomicU64>,
    /// Session settings run on every new PostgreSQL connection of the pool (the timeouts).
    pub pg_session: String,
}

/// A pooled connection, and whether a failure showed it to be unusable (a lost server
/// connection); such a connection is dropped by the pool instead of being handed out again,
/// which is what lets the pool skip a test query on every checkout.
pub(crate) struct PooledDb {
    pub conn: DbConnection,
    pub failed: bool,
    /// When the connection last answered; one idle for longer is tested before use.
    pub last_used: std::time::Instant,
    /// Where the work of the current checkout stands: [`IN_WORK`], [`COMMITTING`] (the
    /// outermost COMMIT was sent), [`COMMITTED`].
    pub phase: Arc<AtomicU8>,
}

pub(crate) const IN_WORK: u8 = 0;
const COMMITTING: u8 = 1;
const COMMITTED: u8 = 2;

impl ManageConnection for Manager {
    type Connection = PooledDb;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PooledDb, r2d2::Error> {
        let mut conn = self.url.connect().map_err(r2d2::Error::ConnectionError)?;
        if let DbConnection::Pg(pg) = &mut conn {
            pg.batch_execute(&self.pg_session)
                .map_err(r2d2::Error::QueryError)?;
        }
        let queries = self.queries.clone();
        let after_commit = self.after_commit.clone();
        let phase = Arc::new(AtomicU8::new(IN_WORK));
        let seen = phase.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
            InstrumentationEvent::CommitTransaction { depth, .. } if depth.get() == 1 => {
                seen.store(COMMITTING, Ordering::Relaxed);
            }
            InstrumentationEvent::StartQuery { query, .. } => {
                queries.fetch_add(1, Ordering::Relaxed);
                match seen.load(Ordering::Relaxed) {
                    COMMITTING => seen.store(COMMITTED, Ordering::Relaxed),
                    COMMITTED => {
                        after_commit.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(statement = %query, "a statement ran after COMMIT");
                    }
                    _ => {}
                }
            }
            _ => {}
        });
        Ok(PooledDb {
            conn,
            failed: false,
            last_used: std::time::Instant::now(),
            phase,
        })
    }

    fn is_valid(&self, pooled: &mut PooledDb) -> Result<(), r2d2::Error> {
        pooled.conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut PooledDb) -> bool {
        pooled.failed || pooled.conn.is_broken()
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub connection_timeout: Duration,
    /// How long credentials, organizers and sales channels read from the database may be
    /// served from memory, while nothing of their organizer changed; zero turns this cache
    /// off.
    pub cache_ttl: Duration,
    /// Whether to learn what other processes change (a thread listening on a connection of
    /// its own on PostgreSQL, a look at SQLite's data version before each use of kept
    /// reads): needed by every cache of reads, here and at the HTTP edge. Off, nothing but
    /// nothing is kept in memory, whatever the TTLs.
    pub watch_changes: bool,
    /// PostgreSQL: how long a statement of a request may wait for a lock (`lock_timeout`)
    /// before it is cancelled and the request answered 503. SQLite waits as long for the
    /// write lock (`busy_timeout`).
    pub lock_timeout: Duration,
    /// PostgreSQL: how long a statement may run at all (`statement_timeout`) before it is
    /// cancelled and the request answered 503.
    pub statement_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            connection_timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(1),
            watch_changes: true,
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}
