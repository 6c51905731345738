//! The port implementations. One [`Database`] implements every repository trait.

mod events;
mod meta_properties;
mod organizers;
mod sales_channels;
mod settings;
mod teams;

use crate::connection::{DatabaseUrl, DbConnection, Manager, PoolOptions};
use crate::error::from_pool;
use crate::migrations::{run_pending, MigrationError};
use diesel::r2d2::Pool;
use presale_domain::RepositoryError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The database behind every port: an r2d2 pool of connections to one backend.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    url: DatabaseUrl,
    queries: Arc<AtomicU64>,
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
            .test_on_check_out(true);
        let queries = Arc::new(AtomicU64::new(0));
        let pool = pool.build_unchecked(Manager {
            url: url.clone(),
            queries: queries.clone(),
        });
        Ok(Database { pool, url, queries })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// How many SQL statements this pool's connections have started so far.
    pub fn queries_run(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, inside the caller's
    /// tracing span. A panic inside `f` becomes an internal error instead of unwinding into
    /// the request.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, RepositoryError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, RepositoryError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(from_pool)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "database task failed");
            RepositoryError::Internal(format!("database task failed: {e}"))
        })?
    }
}
