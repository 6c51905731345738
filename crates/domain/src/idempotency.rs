//! The store of idempotency keys: the records a replayed request is found by, and the port
//! that keeps them. Only hashes are stored: the SHA-256 of the credential and of the key.
//! The replay protocol that uses them (which requests are stored, for how long, what a
//! repeat is answered) belongs to the web edge.

use crate::error::RepositoryError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Hash([u8; 32]);

impl Sha256Hash {
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Hash(Sha256::digest(bytes).into())
    }

    /// Lower-case hex, as stored.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hash({})", self.to_hex())
    }
}

/// What a request is deduplicated by: its credential and its key, both hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    pub credential: Sha256Hash,
    pub key: Sha256Hash,
}

impl IdempotencyKey {
    /// The key of a request with this `Authorization` header value and this
    /// `X-Idempotency-Key`; `None` (the request is not tracked) when either is empty.
    pub fn new(authorization: &[u8], key: &[u8]) -> Option<Self> {
        if authorization.is_empty() || key.is_empty() {
            return None;
        }
        Some(IdempotencyKey {
            credential: Sha256Hash::of(authorization),
            key: Sha256Hash::of(key),
        })
    }
}

/// The database id of a claimed key: completing or releasing it touches this row only, never
/// a later claim of the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimId(pub i64);

/// A response as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// Header names (lower case) and values, in the order sent; repeated names kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The bytes a response counts against the limit of what is stored: every header name and
/// value plus the body.
pub fn stored_size(headers: &[(String, String)], body_len: u64) -> u64 {
    let headers: usize = headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    u64::try_from(headers)
        .unwrap_or(u64::MAX)
        .saturating_add(body_len)
}

impl StoredResponse {
    pub fn size(&self) -> u64 {
        stored_size(
            &self.headers,
            u64::try_from(self.body.len()).unwrap_or(u64::MAX),
        )
    }
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or expired): this request owns it now and executes.
    Claimed(ClaimId),
    /// Another request with this key has claimed it and not finished yet.
    InFlight,
    /// A request with this key finished within the retention period.
    Completed(StoredResponse),
}

/// Port: the idempotency store.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// Claims `key` for a request (`method` and `path` are kept for diagnostics): inserts an
    /// in-flight row created at `now`, unless one exists that was created at or after
    /// `expired_before`. Must be decided by the database's unique constraint on (credential,
    /// key), so that exactly one of any number of concurrent claims, from any process, wins.
    /// An expired row for the key is replaced.
    async fn claim(
        &self,
        key: IdempotencyKey,
        method: String,
        path: String,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<Claim, RepositoryError>;

    /// Stores the response of the claim; later claims of the key find it.
    async fn complete(
        &self,
        claim: ClaimId,
        response: StoredResponse,
    ) -> Result<(), RepositoryError>;

    /// Gives the claim up (deletes its row while it is in flight): the next request with the
    /// key executes.
    async fn release(&self, claim: ClaimId) -> Result<(), RepositoryError>;

    /// Deletes every key created before `before`; returns how many.
    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_credential_and_key_and_need_both() {
        let k = IdempotencyKey::new(b"Token abc", b"k1").unwrap();
        assert_eq!(k.credential, Sha256Hash::of(b"Token abc"));
        assert_eq!(k.key, Sha256Hash::of(b"k1"));
        assert_eq!(k.credential.to_hex().len(), 64);
        assert!(!format!("{k:?}").contains("abc"));
        assert_ne!(
            IdempotencyKey::new(b"Token abc", b"k1"),
            IdempotencyKey::new(b"Token abd", b"k1")
        );
        assert_eq!(IdempotencyKey::new(b"", b"k1"), None);
        assert_eq!(IdempotencyKey::new(b"Token abc", b""), None);
    }
}
