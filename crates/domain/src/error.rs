//! Errors shared by every port.

/// What a repository call can fail with, whatever the backend.
///
/// Every port method returns this for infrastructure failures; use-case specific outcomes
/// ("not found", "slug taken") are part of the method's `Ok` value or its own error enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    /// The database cannot be reached right now (down, restarting, pool exhausted). Nothing
    /// was written; the same call may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write (for example two concurrent inserts of the same
    /// slug). Nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A row the write refers to (an event, a product, a date) was deleted by a concurrent
    /// request between the use case's checks and the write: the database refused the write.
    /// Nothing was written; checking again answers what a sequential request would.
    #[error("a referenced row is gone: {0}")]
    ReferenceGone(String),
    /// A row was to be stored under a given id (a fixture's), which another row has.
    /// Nothing was written.
    #[error("id {0} is taken")]
    IdTaken(i64),
    /// Anything else: a bug or a corrupt row. Nothing was written.
    #[error("storage error: {0}")]
    Internal(String),
}

/// Runs a use case's check-then-write `attempt` once more when the write meets a row that a
/// concurrent request deleted after the checks ([`RepositoryError::ReferenceGone`]): the
/// second run checks against what is stored now, so it answers what a sequential request
/// would (`Invalid pk "7" - object does not exist.`). Left after that, the event (or
/// organizer) the request names is gone itself. `attempt` gives its checks' refusal as the
/// outer error and the write's result inside.
pub(crate) async fn write_checked<T, E, Fut>(mut attempt: impl FnMut() -> Fut) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<Result<T, RepositoryError>, E>>,
    E: From<RepositoryError>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await? {
            Err(RepositoryError::ReferenceGone(_)) if tries < 2 => continue,
            written => return written.map_err(E::from),
        }
    }
}
