use diesel::result::{DatabaseErrorKind, Error};
use presale_domain::RepositoryError;

/// Maps a diesel error to the port error: unique violations are conflicts, lost connections
/// and a busy SQLite file are outages (503, retryable), the rest is internal.
pub(crate) fn from_diesel(e: Error) -> RepositoryError {
    match &e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepositoryError::Conflict(info.message().to_owned())
        }
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => RepositoryError::Unavailable(info.message().to_owned()),
        Error::DatabaseError(_, info)
            if info.message().contains("database is locked")
                || info.message().contains("terminating connection") =>
        {
            RepositoryError::Unavailable(info.message().to_owned())
        }
        _ => RepositoryError::Internal(e.to_string()),
    }
}

pub(crate) fn from_pool(e: diesel::r2d2::PoolError) -> RepositoryError {
    RepositoryError::Unavailable(e.to_string())
}
