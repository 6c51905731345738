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
use presale_storage_diesel::Database;

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
