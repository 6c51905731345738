//! Units of work: a [`Database`] holding one pooled connection inside an open transaction.
//!
//! Every repository method runs through [`Database::write`] or [`Database::read`]; inside a unit
//! of work those hand the held connection to the method, in a savepoint, so a refused write
//! (a unique violation, a row that is gone) undoes only itself and the transaction stays
//! usable on PostgreSQL too. The credential cache is bypassed inside (what the transaction
//! wrote is read back, not what the cache holds) and dropped when the transaction commits.

use super::{blocking, checkout, learn_own, Database};
use crate::cache::CredentialCache;
use crate::changes::Changes;
use crate::connection::{DbConnection, Manager};
use crate::error::{from_diesel, TxError};
use async_trait::async_trait;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::r2d2::PooledConnection;
use presale_domain::store::{Repositories, Store, Transaction};
use presale_domain::RepositoryError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The connection of an open transaction; `None` once committed or rolled back.
pub(crate) struct Held {
    conn: Arc<Mutex<Option<PooledConnection<Manager>>>>,
    /// Where what the transaction changed is learnt, on commit.
    changes: Arc<Changes>,
    /// The connection's permit and (SQLite) this process's turn to write, for as long as the
    /// transaction lasts.
    _slot: tokio::sync::OwnedSemaphorePermit,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

fn closed() -> RepositoryError {
    RepositoryError::Internal("the transaction is already closed".into())
}

impl Held {
    /// Runs `f` on the held connection, in a savepoint, on the blocking thread pool. Calls
    /// of one transaction run one after the other.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, RepositoryError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, RepositoryError> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.conn.clone();
        blocking(move || {
            let mut slot = conn.lock().map_err(|_| closed())?;
            let pooled = slot.as_mut().ok_or_else(closed)?;
            pooled
                .conn
                .transaction::<T, TxError, _>(|c| f(c).map_err(TxError::Port))
                .map_err(RepositoryError::from)
        })
        .await
    }

    async fn commit(&self) -> Result<(), RepositoryError> {
        let conn = self.conn.clone();
        let changes = self.changes.clone();
        let result = blocking(move || {
            let mut slot = conn.lock().map_err(|_| closed())?;
            let mut pooled = slot.take().ok_or_else(closed)?;
            let done = <DbConnection as Connection>::TransactionManager::commit_transaction(
                &mut pooled.conn,
            );
            learn_own(&changes, &mut pooled);
            if done.is_err() {
                // Whatever the connection's state, it goes.
                pooled.failed = true;
            }
            done.map_err(from_diesel)
        })
        .await;
        result
    }
}

impl Drop for Held {
    /// Not committed: rolled back on the blocking pool, or, without a runtime to do that, the
    /// connection is closed (which rolls back too).
    fn drop(&mut self) {
        let Ok(mut slot) = self.conn.lock() else {
            return;
        };
        let Some(mut pooled) = slot.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || {
                    let undone =
                        <DbConnection as Connection>::TransactionManager::rollback_transaction(
                            &mut pooled.conn,
                        );
                    if undone.is_err() {
                        pooled.failed = true;
                    }
                });
            }
            Err(_) => pooled.failed = true,
        }
    }
}

#[async_trait]
impl Store for Database {
    /// Checks out a connection and begins: `BEGIN IMMEDIATE` on SQLite, which takes the write
    /// lock at once and holds it to the end (other writers wait for it, up to their busy
    /// timeout), so that what the use case read stays true until it commits.
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepositoryError> {
        if self.tx.is_some() {
            return Err(RepositoryError::Internal(
                "a transaction cannot begin inside another".into(),
            ));
        }
        let slot = self.slot().await?;
        let writer = self.sqlite_writer().await;
        let pool = self.pool.clone();
        let pooled = blocking(move || {
            let mut pooled = checkout(&pool)?;
            let begun = match &mut pooled.conn {
                DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
                DbConnection::Sqlite(c) => {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                }
            };
            match begun {
                Ok(()) => Ok(pooled),
                Err(e) => {
                    pooled.failed = true;
                    Err(from_diesel(e))
                }
            }
        })
        .await?;
        let mut tx = self.clone();
        tx.cache = Arc::new(CredentialCache::new(Duration::ZERO, Changes::unwatched()));
        tx.tx = Some(Arc::new(Held {
            conn: Arc::new(Mutex::new(Some(pooled))),
            changes: self.changes.clone(),
            _slot: slot,
            _writer: writer,
        }));
        Ok(Box::new(tx))
    }
}

#[async_trait]
impl Transaction for Database {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        match &self.tx {
            Some(held) => held.commit().await,
            None => Err(RepositoryError::Internal(
                "commit outside of a transaction".into(),
            )),
        }
    }
}

/// `Database` implements every port itself: each accessor hands out the same value.
macro_rules! every_port_is_the_database {
    ($( $name:ident: $port:path, $mock:path; )+) => {
        impl Repositories for Database {
            $( fn $name(&self) -> &dyn $port { self } )+
        }
    };
}

presale_domain::for_each_port!(every_port_is_the_database);
