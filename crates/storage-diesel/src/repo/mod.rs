//! The port implementations. One [`Database`] implements every repository trait, once: over
//! the pool (each call checks out a connection and runs as its own transaction) or over one
//! open transaction ([`Store::begin`]), where each call runs in a savepoint of it.

mod devices;
mod digital_contents;
mod events;
mod idempotency;
mod imported_secrets;
mod items;
mod meta_properties;
mod organizers;
mod quotas;
mod sales_channels;
mod settings;
mod subevents;
mod teams;
mod unit_of_work;

use crate::cache::CredentialCache;
use crate::changes::Changes;
use crate::connection::{DatabaseUrl, DbConnection, Manager, PoolOptions, IN_WORK};
use crate::error::from_pool;
use crate::migrations::{run_pending, MigrationError};
use diesel::r2d2::{Pool, PooledConnection, R2D2Connection};
use presale_domain::RepositoryError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The database behind every port: an r2d2 pool of connections to one backend, or (handed
/// out by [`Store::begin`](presale_domain::store::Store::begin)) one transaction on it.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    url: DatabaseUrl,
    queries: Arc<AtomicU64>,
    after_commit: Arc<AtomicU64>,
    pub(crate) cache: Arc<CredentialCache>,
    /// What this process knows of changes to the data, per organizer (see `changes`).
    pub(crate) changes: Arc<Changes>,
    /// Inside a unit of work: the connection every call runs on.
    tx: Option<Arc<unit_of_work::Held>>,
    /// One permit per connection of the pool: a call waits for its connection here, in the
    /// async runtime, never on a thread of the blocking pool. A unit of work holds its permit
    /// until it ends; were its next call to need a blocking thread that other calls hold
    /// while waiting for a connection, neither would move.
    slots: Arc<tokio::sync::Semaphore>,
    /// SQLite has one writer at a time: this process's writers take turns here, in the async
    /// runtime, instead of in `BEGIN IMMEDIATE` on a blocking thread (for the same reason).
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// How long a pooled connection may sit unused before it is tested before use.
const TRUSTED_IDLE: Duration = Duration::from_secs(1);

/// A connection from the pool that answered recently or answers a test query now; dead idle
/// connections (after a database restart) are discarded and the next one is tried.
fn checkout(pool: &Pool<Manager>) -> Result<PooledConnection<Manager>, RepositoryError> {
    checkout_tested(pool, false)
}

/// [`checkout`]; with `test_all`, even a connection that answered within [`TRUSTED_IDLE`] is
/// tested first (one just proved dead, so its neighbours may be too).
fn checkout_tested(
    pool: &Pool<Manager>,
    test_all: bool,
) -> Result<PooledConnection<Manager>, RepositoryError> {
    let attempts = pool.max_size() + 1;
    let mut last_error = None;
    for _ in 0..attempts {
        let mut pooled = pool.get().map_err(from_pool)?;
        pooled.phase.store(IN_WORK, Ordering::Relaxed);
        if !test_all && pooled.last_used.elapsed() < TRUSTED_IDLE {
            return Ok(pooled);
        }
        match pooled.conn.ping() {
            Ok(_) => {
                pooled.last_used = Instant::now();
                return Ok(pooled);
            }
            Err(e) => {
                pooled.failed = true;
                last_error = Some(e.to_string());
            }
        }
    }
    Err(RepositoryError::Unavailable(
        last_error.unwrap_or_else(|| "no usable database connection".into()),
    ))
}

/// Opening the database failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the directory for {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error(transparent)]
    Migration(#[from] MigrationError),
}

impl Database {
    /// Connects (creating the SQLite file and its directory if needed), applies pending
    /// migrations, and returns the pool. Fails if the database cannot be reached now.
    pub fn open(url: DatabaseUrl, options: PoolOptions) -> Result<Self, OpenError> {
        if let DatabaseUrl::Sqlite(path) = &url {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| OpenError::Directory(path.display().to_string(), e))?;
            }
        }
        let mut conn = url
            .connect()
            .map_err(|e| OpenError::Connect(url.to_string(), e.to_string()))?;
        run_pending(&mut conn)?;
        drop(conn);
        // Built unchecked: connections are made on demand, so an outage later on is a 503
        // per request, and the pool recovers by itself when the database is back.
        let pool = Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            // No test query on every checkout (a round trip per repository call): busy
            // connections are trusted, idle ones are tested in `checkout`, and one that failed
            // is discarded by the pool (see `PooledDb`).
            .test_on_check_out(false);
        let queries = Arc::new(AtomicU64::new(0));
        let after_commit = Arc::new(AtomicU64::new(0));
        // The request's connections only: migrations above may take as long as they need.
        // `random_page_cost`: the tables a request reads are in memory (or on SSD), where a
        // random page costs about what a sequential one does; with PostgreSQL's default (4,
        // spinning disks) it scanned a whole related table for the 50 events of a page and
        // compared each row with each of the 50 ids, instead of looking the 50 up in its index.
        let pg_session = format!(
            "SET lock_timeout = {}; SET statement_timeout = {}; SET random_page_cost = 1.1",
            options.lock_timeout.as_millis().max(1),
            options.statement_timeout.as_millis().max(1)
        );
        let pool = pool.build_unchecked(Manager {
            url: url.clone(),
            queries: queries.clone(),
            after_commit: after_commit.clone(),
            pg_session,
        });
        let changes = match (&url, options.watch_changes) {
            (_, false) => Changes::unwatched(),
            (DatabaseUrl::Postgres(u), true) => Changes::postgres(u.clone()),
            (DatabaseUrl::Sqlite(path), true) => Changes::sqlite(path.to_string_lossy().into()),
        };
        Ok(Database {
            pool,
            url,
            queries,
            after_commit,
            cache: Arc::new(CredentialCache::new(options.cache_ttl, changes.clone())),
            changes,
            tx: None,
            slots: Arc::new(tokio::sync::Semaphore::new(options.max_size as usize)),
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// A mark to take before a read whose result is kept in memory, or `None` when nothing
    /// may be kept or served from memory now (PostgreSQL: this process is not listening for
    /// changes; SQLite: the database could not be asked). Pair it with
    /// [`Database::unchanged_since`]; on SQLite this also learns what other connections and
    /// processes committed since the last call, so take it before judging kept entries.
    pub fn data_mark(&self) -> Option<u64> {
        self.changes.mark()
    }

    /// Whether nothing of `organizer` has changed since `mark` (from [`Database::data_mark`]),
    /// as far as this process knows: through any process, the CLI or plain SQL, learnt from
    /// the database's own change announcements. Does no I/O.
    pub fn unchanged_since(&self, organizer: presale_domain::ids::OrganizerId, mark: u64) -> bool {
        self.changes.unchanged_since(organizer.0, mark)
    }

    /// Why nothing is served from memory now (the connection that listens for changes is
    /// lost), if that is so.
    pub fn cache_suspended(&self) -> Option<String> {
        self.changes.suspended()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Counts everything as changed, so that no read kept in memory so far is served again.
    /// Writes need not call it (the database announces every change); it is for changes the
    /// database does not announce (a file restored under a running process).
    pub fn invalidate_cache(&self) {
        self.changes.changed_everything();
    }

    /// How long reads may be served from memory (`PoolOptions::cache_ttl`).
    pub fn cache_ttl(&self) -> Duration {
        self.cache.ttl()
    }

    /// The most connections the pool opens at once.
    pub fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    /// How many SQL statements this pool's connections have started so far.
    pub fn queries_run(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// How many statements ran after a COMMIT in the same piece of work, so far. A write that
    /// reads back after committing could be answered with an error although it was stored
    /// (a connection lost in between); every write reads back before, so this stays zero.
    pub fn statements_after_commit(&self) -> u64 {
        self.after_commit.load(Ordering::Relaxed)
    }

    /// Runs a write and, before it returns, learns which organizers it changed (whatever the
    /// outcome; inside a unit of work, when it commits), so that nothing kept from before is
    /// served afterwards. Every repository method runs through [`Database::read`] or this; a
    /// write that changes nothing the API shows says so by running through
    /// [`Database::write_untracked`].
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, RepositoryError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, RepositoryError> + Send + 'static,
        T: Send + 'static,
    {
        self.run_write(f, true).await
    }

    /// Runs a read, which may run twice: when the database is unavailable
    /// and the connection turns out dead (the database restarted since it last answered), the
    /// read is discarded with its connection and runs once more on a tested one. A refusal
    /// on a live connection (a lock timeout) is not retried.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, RepositoryError>
    where
        F: Fn(&mut DbConnection) -> Result<T, RepositoryError> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(held) = &self.tx {
            return held.run(f).await;
        }
        let _slot = self.slot().await?;
        let pool = self.pool.clone();
        blocking(move || {
            let mut pooled = checkout(&pool)?;
            let mut result = f(&mut pooled.conn);
            if matches!(result, Err(RepositoryError::Unavailable(_))) && pooled.conn.ping().is_err()
            {
                pooled.failed = true;
                drop(pooled);
                tracing::info!("a pooled connection was dead; the read runs again");
                pooled = checkout_tested(&pool, true)?;
                result = f(&mut pooled.conn);
            }
            settle(&mut pooled, &result);
            result
        })
        .await
    }

    /// Runs `f` once with a pooled connection on the blocking thread pool, inside the
    /// caller's tracing span, and moves no data version: for [`Database::write`], and for
    /// writes of records the API does not show (idempotency keys, a device's last-seen
    /// time, which moves the version only when it wrote). A panic inside `f` becomes an
    /// internal error instead of unwinding into the request.
    pub(crate) async fn write_untracked<T, F>(&self, f: F) -> Result<T, RepositoryError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, RepositoryError> + Send + 'static,
        T: Send + 'static,
    {
        self.run_write(f, false).await
    }

    async fn run_write<T, F>(&self, f: F, learn: bool) -> Result<T, RepositoryError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, RepositoryError> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(held) = &self.tx {
            return held.run(f).await;
        }
        let _slot = self.slot().await?;
        let _writer = self.sqlite_writer().await;
        let pool = self.pool.clone();
        let changes = self.changes.clone();
        blocking(move || {
            let mut pooled = checkout(&pool)?;
            let result = f(&mut pooled.conn);
            settle(&mut pooled, &result);
            if learn {
                learn_own(&changes, &mut pooled);
            }
            result
        })
        .await
    }
}

impl Database {
    /// A connection's permit (see `slots`).
    pub(crate) async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, RepositoryError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            crate::metrics::pool_wait(Duration::ZERO);
            return Ok(permit);
        }
        let waiting = Instant::now();
        let permit =
            self.slots.clone().acquire_owned().await.map_err(|_| {
                RepositoryError::Unavailable("the connection pool is closed".into())
            })?;
        crate::metrics::pool_wait(waiting.elapsed());
        Ok(permit)
    }

    /// The pool's size and how many of its connections are in use now (held by a call or a
    /// unit of work), for the metrics.
    pub fn pool_usage(&self) -> (u32, u32) {
        let size = self.pool.max_size();
        let free = u32::try_from(self.slots.available_permits()).unwrap_or(size);
        (size, size.saturating_sub(free))
    }

    /// On SQLite, this process's turn to write (see `writer`); nothing on PostgreSQL.
    pub(crate) async fn sqlite_writer(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.url {
            DatabaseUrl::Sqlite(_) => Some(self.writer.clone().lock_owned().await),
            DatabaseUrl::Postgres(_) => None,
        }
    }
}

/// After a connection's work: one that failed for the database's sake is discarded by the
/// pool, one that answered is trusted for [`TRUSTED_IDLE`].
fn settle<T>(pooled: &mut PooledConnection<Manager>, result: &Result<T, RepositoryError>) {
    if matches!(
        result,
        Err(RepositoryError::Unavailable(_) | RepositoryError::Internal(_))
    ) {
        pooled.failed = true;
    } else {
        pooled.last_used = Instant::now();
    }
}

/// After a write on `pooled`: what it changed (a piece of work of its own, which no answer
/// waits on: when it fails, everything counts as changed).
fn learn_own(changes: &Changes, pooled: &mut PooledConnection<Manager>) {
    pooled.phase.store(IN_WORK, Ordering::Relaxed);
    changes.learn_own(&mut pooled.conn);
}

/// Runs `f` on the blocking thread pool, inside the caller's tracing span; a panic is an
/// internal error.
async fn blocking<T, F>(f: F) -> Result<T, RepositoryError>
where
    F: FnOnce() -> Result<T, RepositoryError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        f()
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "database task failed");
        RepositoryError::Internal(format!("database task failed: {e}"))
    })?
}

/// One page of a list: the total `count` counts, and the rows of `rows` (ordered) in the
/// window, made entities by `into` (which may read related rows on the same connection).
fn page<'q, C, Q, R, T>(
    conn: &mut DbConnection,
    count: C,
    rows: Q,
    window: presale_domain::pagination::Window,
    into: impl FnOnce(&mut DbConnection, Vec<R>) -> Result<Vec<T>, RepositoryError>,
) -> Result<presale_domain::pagination::Page<T>, RepositoryError>
where
    C: diesel::query_dsl::LoadQuery<'q, DbConnection, i64>,
    Q: diesel::query_dsl::methods::OffsetDsl,
    Q::Output: diesel::query_dsl::methods::LimitDsl,
    <Q::Output as diesel::query_dsl::methods::LimitDsl>::Output:
        diesel::query_dsl::LoadQuery<'q, DbConnection, R>,
{
    use diesel::query_dsl::methods::LimitDsl;
    use diesel::RunQueryDsl;
    let total: i64 = count.get_result(conn).map_err(crate::error::from_diesel)?;
    let rows = rows
        .offset(crate::to_i64(window.offset))
        .limit(crate::to_i64(window.limit))
        .load(conn)
        .map_err(crate::error::from_diesel)?;
    Ok(presale_domain::pagination::Page {
        total: u64::try_from(total).unwrap_or(0),
        items: into(conn, rows)?,
    })
}

/// `into` for [`page`] where each row converts on its own (`TryFrom`).
fn each<R, T>(_: &mut DbConnection, rows: Vec<R>) -> Result<Vec<T>, RepositoryError>
where
    T: TryFrom<R, Error = RepositoryError>,
{
    rows.into_iter().map(T::try_from).collect()
}
