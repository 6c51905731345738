use diesel::result::{DatabaseErrorKind, Error};
use presale_domain::RepositoryError;

/// Maps a diesel error to the port error: unique violations are conflicts, lost connections
/// and a busy SQLite file are outages (503, retryable), the rest is internal.
pub(crate) fn from_diesel(e: Error) -> RepositoryError {
    match &e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepositoryError::Conflict(info.message().to_owned())
        }
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            RepositoryError::ReferenceGone(info.message().to_owned())
        }
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => RepositoryError::Unavailable(info.message().to_owned()),
        Error::DatabaseError(_, info) if is_outage(info.message()) => {
            RepositoryError::Unavailable(info.message().to_owned())
        }
        _ => RepositoryError::Internal(e.to_string()),
    }
}

pub(crate) fn from_pool(e: diesel::r2d2::PoolError) -> RepositoryError {
    RepositoryError::Unavailable(e.to_string())
}

/// Messages of a lost or refused server connection, and of a busy SQLite file.
fn is_outage(message: &str) -> bool {
    const OUTAGE: &[&str] = &[
        "database is locked",
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
        // PostgreSQL cancelled a statement that waited for a lock or ran for too long.
        "canceling statement due to lock timeout",
        "canceling statement due to statement timeout",
    ];
    OUTAGE.iter().any(|m| message.contains(m))
}

/// An error inside a transaction that also reads back what it wrote, so that nothing runs
/// after its COMMIT (a connection lost after COMMIT would turn a stored write into an error):
/// diesel's, or the port's (a stored row that does not convert). Either rolls it back.
#[derive(Debug)]
pub(crate) enum TxError {
    Db(Error),
    Port(RepositoryError),
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Db(e)
    }
}

impl From<RepositoryError> for TxError {
    fn from(e: RepositoryError) -> Self {
        TxError::Port(e)
    }
}

impl From<TxError> for RepositoryError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Db(e) => from_diesel(e),
            TxError::Port(e) => e,
        }
    }
}
