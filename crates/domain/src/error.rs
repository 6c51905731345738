//! Errors shared by every port.

/// What a repository call can fail with, whatever the backend.
///
/// Every port method returns this for infrastructure failures; use-case specific outcomes
/// ("not found", "slug taken") are part of the method's `Ok` value or its own error enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    /// The database cannot be reached right now (down, restarting, pool exhausted). Callers
    /// answer 503 and may retry later; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write (for example two concurrent inserts of the same
    /// slug). Nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else: a bug or a corrupt row. Nothing was written.
    #[error("storage error: {0}")]
    Internal(String),
}
