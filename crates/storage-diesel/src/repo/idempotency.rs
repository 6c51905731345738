//! The idempotency store: one `idempotency_keys` row per (credential hash, key hash), claimed
//! by an insert that the unique constraint decides, so that concurrent claims from any number
//! of processes sharing the database have exactly one winner.

use super::Database;
use crate::error::from_diesel;
use crate::schema::idempotency_keys as keys;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use presale_domain::idempotency::{
    Claim, ClaimId, IdempotencyKey, IdempotencyRepository, StoredResponse,
};
use presale_domain::RepositoryError;

/// How often a claim tries again when the row it collided with vanished meanwhile (released
/// or expired); beyond that the key is contended by live requests and counts as in flight.
const CLAIM_ATTEMPTS: usize = 3;

#[derive(Queryable)]
struct KeyRow {
    id: i64,
    created: NaiveDateTime,
    response_status: Option<i64>,
    response_headers: Option<String>,
    response_body: Option<Vec<u8>>,
}

impl KeyRow {
    fn into_response(self, status: i64) -> Result<StoredResponse, RepositoryError> {
        let corrupt = |what: &str| {
            RepositoryError::Internal(format!("idempotency key {}: bad {what}", self.id))
        };
        let status = u16::try_from(status).map_err(|_| corrupt("status"))?;
        let headers = match &self.response_headers {
            Some(text) => serde_json::from_str::<Vec<(String, String)>>(text)
                .map_err(|_| corrupt("headers"))?,
            None => Vec::new(),
        };
        Ok(StoredResponse {
            status,
            headers,
            body: self.response_body.unwrap_or_default(),
        })
    }
}

fn is_unique_violation(e: &Error) -> bool {
    matches!(
        e,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

#[async_trait]
impl IdempotencyRepository for Database {
    async fn claim(
        &self,
        key: IdempotencyKey,
        method: String,
        path: String,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<Claim, RepositoryError> {
        let credential = key.credential.to_hex();
        let key = key.key.to_hex();
        let now = now.naive_utc();
        let cutoff = expired_before.naive_utc();
        self.write_untracked(move |conn| {
            for _ in 0..CLAIM_ATTEMPTS {
                let inserted = diesel::insert_into(keys::table)
                    .values((
                        keys::credential_hash.eq(&credential),
                        keys::key_hash.eq(&key),
                        keys::request_method.eq(&method),
                        keys::request_path.eq(&path),
                        keys::created.eq(now),
                    ))
                    .returning(keys::id)
                    .get_result::<i64>(conn);
                match inserted {
                    Ok(id) => return Ok(Claim::Claimed(ClaimId(id))),
                    Err(e) if is_unique_violation(&e) => {}
                    Err(e) => return Err(from_diesel(e)),
                }
                let existing = keys::table
                    .filter(keys::credential_hash.eq(&credential))
                    .filter(keys::key_hash.eq(&key))
                    .select((
                        keys::id,
                        keys::created,
                        keys::response_status,
                        keys::response_headers,
                        keys::response_body,
                    ))
                    .first::<KeyRow>(conn)
                    .optional()
                    .map_err(from_diesel)?;
                match existing {
                    // Released in between: claim again.
                    None => continue,
                    // Expired: gone for good, whether it finished or not.
                    Some(row) if row.created < cutoff => {
                        diesel::delete(
                            keys::table
                                .filter(keys::id.eq(row.id))
                                .filter(keys::created.lt(cutoff)),
                        )
                        .execute(conn)
                        .map_err(from_diesel)?;
                        continue;
                    }
                    Some(row) => {
                        return match row.response_status {
                            None => Ok(Claim::InFlight),
                            Some(status) => row.into_response(status).map(Claim::Completed),
                        }
                    }
                }
            }
            Ok(Claim::InFlight)
        })
        .await
    }

    async fn complete(
        &self,
        claim: ClaimId,
        response: StoredResponse,
    ) -> Result<(), RepositoryError> {
        let headers = serde_json::to_string(&response.headers)
            .map_err(|e| RepositoryError::Internal(e.to_string()))?;
        self.write_untracked(move |conn| {
            diesel::update(
                keys::table
                    .filter(keys::id.eq(claim.0))
                    .filter(keys::response_status.is_null()),
            )
            .set((
                keys::response_status.eq(Some(i64::from(response.status))),
                keys::response_headers.eq(Some(headers)),
                keys::response_body.eq(Some(response.body)),
            ))
            .execute(conn)
            .map(drop)
            .map_err(from_diesel)
        })
        .await
    }

    async fn release(&self, claim: ClaimId) -> Result<(), RepositoryError> {
        self.write_untracked(move |conn| {
            diesel::delete(
                keys::table
                    .filter(keys::id.eq(claim.0))
                    .filter(keys::response_status.is_null()),
            )
            .execute(conn)
            .map(drop)
            .map_err(from_diesel)
        })
        .await
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError> {
        let before = before.naive_utc();
        self.write_untracked(move |conn| {
            diesel::delete(keys::table.filter(keys::created.lt(before)))
                .execute(conn)
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(from_diesel)
        })
        .await
    }
}
