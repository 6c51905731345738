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
