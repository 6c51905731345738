//! # presale-storage-diesel
//!
//! Implements the repository ports of `presale-domain` with diesel, on PostgreSQL and SQLite
//! from one binary: [`DatabaseUrl`] picks the backend from the URL scheme, [`Database`] owns
//! the r2d2 pool and implements every port, and every call runs on tokio's blocking pool so
//! the async workers never wait on the database.

mod cache;
mod changes;
mod connection;
mod dialect;
mod error;
pub mod metrics;
mod migrations;
mod repo;
mod schema;
pub mod testdb;

pub use changes::LISTENER_NAME;
pub use connection::{Backend, DatabaseUrl, DbConnection, PoolOptions, UrlError};
pub use migrations::{revert_all, run_pending, MigrationError};
pub use repo::Database;

/// How many blocking threads a runtime needs to run repository calls of a [`Database`] whose
/// pool has `pool_size` connections: the whole pool plus one. A unit of work holds its
/// connection across calls, and each call takes a blocking thread while it runs; while other
/// units of work's calls wait in the database for rows it holds, they hold threads too, so
/// with fewer threads than connections it could wait for a thread for its COMMIT while every
/// thread waits for it (until `lock_timeout`).
pub fn blocking_threads_for(pool_size: u32) -> usize {
    usize::try_from(pool_size)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// A count or offset for SQL, saturating at `i64::MAX`.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
