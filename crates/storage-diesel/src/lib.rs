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
mod migrations;
mod repo;
mod schema;
pub mod testdb;

pub use changes::LISTENER_NAME;
pub use connection::{Backend, DatabaseUrl, DbConnection, PoolOptions, UrlError};
pub use migrations::{revert_all, run_pending, MigrationError};
pub use repo::Database;

/// A count or offset for SQL, saturating at `i64::MAX`.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
