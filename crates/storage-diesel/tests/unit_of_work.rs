//! Units of work on both backends: several repositories in one transaction, committed whole or
//! not at all, usable after a refused call, and the credential cache dropped on commit.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::organizer::OrganizerRepository;
use presale_domain::store::Store;
use presale_domain::values::Slug;
use presale_domain::RepositoryError;
use presale_storage_diesel::testdb::{PostgresTestDatabase, TestDatabase};
use presale_storage_diesel::{Database, DatabaseUrl, PoolOptions};

on_both_backends! {
    commits_whole_or_not_at_all => sqlite, postgres;
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn plugins(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

async fn plugins_of(db: &Database, organizer: &str) -> Option<Vec<String>> {
    OrganizerRepository::find_by_slug(db, organizer)
        .await
        .unwrap()
        .map(|o| o.plugins)
}

async fn commits_whole_or_not_at_all(db: &Database) {
    let acme = OrganizerRepository::create(db, slug("acme"), "ACME")
        .await
        .unwrap();
    // Read through the pool, so that the credential cache holds it.
    assert_eq!(plugins_of(db, "acme").await, Some(vec![]));

    // What a transaction writes, it reads back; nobody else sees it before the commit.
    let tx = db.begin().await.unwrap();
    tx.organizers()
        .set_plugins(acme.id, plugins(&["pretix.plugins.banktransfer"]), vec![])
        .await
        .unwrap();
    let new = tx.organizers().create(slug("beta"), "Beta").await.unwrap();
    let inside = tx.organizers().find_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(inside.plugins, ["pretix.plugins.banktransfer"]);
    assert_eq!(
        tx.organizers().find_by_slug("beta").await.unwrap(),
        Some(new)
    );
    assert_eq!(plugins_of(db, "acme").await, Some(vec![]));
    assert_eq!(plugins_of(db, "beta").await, None);
    tx.commit().await.unwrap();
    // Both writes at once, and the cached organizer is dropped at the commit.
    assert_eq!(
        plugins_of(db, "acme").await,
        Some(plugins(&["pretix.plugins.banktransfer"]))
    );
    assert_eq!(plugins_of(db, "beta").await, Some(vec![]));

    // A refused call undoes only itself; the transaction goes on.
    let tx = db.begin().await.unwrap();
    assert!(matches!(
        tx.organizers().create(slug("acme"), "Again").await,
        Err(RepositoryError::Conflict(_))
    ));
    tx.organizers()
        .create(slug("gamma"), "Gamma")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(plugins_of(db, "gamma").await, Some(vec![]));

    // Dropped without commit: nothing is written, and the pool goes on working.
    let tx = db.begin().await.unwrap();
    tx.organizers()
        .create(slug("delta"), "Delta")
        .await
        .unwrap();
    tx.organizers()
        .set_plugins(acme.id, vec![], vec![])
        .await
        .unwrap();
    drop(tx);
    for _ in 0..db.max_connections() + 1 {
        assert_eq!(plugins_of(db, "delta").await, None);
    }
    assert_eq!(
        plugins_of(db, "acme").await,
        Some(plugins(&["pretix.plugins.banktransfer"]))
    );
    OrganizerRepository::create(db, slug("delta"), "Delta")
        .await
        .unwrap();
}

/// More units of work at once than the pool has connections, on a runtime with fewer blocking
/// threads than that: each waits for its connection (and, on SQLite, its turn to write) in
/// the runtime, so a unit of work that holds a connection always gets a thread for its next
/// call, and every one of them commits.
fn units_of_work_outnumbering_connections_and_threads_all_commit(url: DatabaseUrl) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = PoolOptions {
            max_size: 3,
            ..PoolOptions::default()
        };
        let db = Database::open(url, options).unwrap();
        OrganizerRepository::create(&db, slug("acme"), "ACME")
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..12 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let tx = db.begin().await?;
                tx.organizers().find_by_slug("acme").await?;
                // Rows of its own: this is about connections and threads, not row locks.
                let own = tx.organizers().create(slug(&format!("o{i}")), "O").await?;
                tx.organizers().set_plugins(own.id, vec![], vec![]).await?;
                tx.commit().await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        for i in 0..12 {
            assert_eq!(plugins_of(&db, &format!("o{i}")).await, Some(vec![]));
        }
    });
}

#[test]
fn many_units_of_work_sqlite() {
    let test_db = TestDatabase::sqlite().unwrap();
    units_of_work_outnumbering_connections_and_threads_all_commit(test_db.url().clone());
}

#[test]
fn many_units_of_work_postgres() {
    match TestDatabase::postgres() {
        Ok(PostgresTestDatabase::Ready(test_db)) => {
            units_of_work_outnumbering_connections_and_threads_all_commit(test_db.url().clone())
        }
        Ok(PostgresTestDatabase::Skipped(msg)) => eprintln!("{msg}"),
        Err(e) => panic!("{e}"),
    }
}

/// Units of work that all change the same row, more of them than the pool has connections,
/// on a runtime with as many blocking threads as the server gives a worker (the whole pool
/// plus one): the calls that wait in PostgreSQL for the row hold threads, and the unit of work
/// that holds the row still finds one for its COMMIT, so every one commits without reaching
/// `lock_timeout`. (With fewer threads than connections, the holder can wait for a thread
/// while every thread waits for its row, until `lock_timeout` answers 503.)
#[test]
fn units_of_work_contending_for_one_row_all_commit_postgres() {
    let test_db = match TestDatabase::postgres() {
        Ok(PostgresTestDatabase::Ready(test_db)) => test_db,
        Ok(PostgresTestDatabase::Skipped(msg)) => return eprintln!("{msg}"),
        Err(e) => panic!("{e}"),
    };
    let pool_size = 4;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(presale_storage_diesel::blocking_threads_for(pool_size))
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = PoolOptions {
            max_size: pool_size,
            lock_timeout: std::time::Duration::from_secs(3),
            ..PoolOptions::default()
        };
        let db = Database::open(test_db.url().clone(), options).unwrap();
        let acme = OrganizerRepository::create(&db, slug("acme"), "ACME")
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let tx = db.begin().await?;
                let plugin = format!("pretix.plugins.p{i}");
                tx.organizers()
                    .set_plugins(acme.id, vec![plugin], vec![])
                    .await?;
                // Another call while the row is held: it needs a thread too.
                tx.organizers().find_by_slug("acme").await?;
                tx.commit().await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        assert_eq!(outcomes, vec![Ok(()); 16]);
    });
}
