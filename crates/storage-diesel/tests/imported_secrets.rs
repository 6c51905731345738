//! Contract tests of the imported secrets port on both backends: the list (count and pages
//! read from the block counts the triggers keep) against a model of what was written, the
//! unique secret, the used-only delete, references cleared with the catalog, cascades, and
//! the all-or-nothing import transaction.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use presale_domain::event::EventRepository;
use presale_domain::ids::EventId;
use presale_domain::ids::SubEventId;
use presale_domain::ids::{ItemId, VariationId};
use presale_domain::imported_secret::{
    ImportedSecret, ImportedSecretRepository, SecretData, SecretFilter,
};
use presale_domain::organizer::OrganizerRepository;
use presale_domain::pagination::Window;
use presale_domain::store::Store;
use presale_domain::values::Slug;
use presale_domain::RepositoryError;
use presale_storage_diesel::{Database, DbConnection};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{count, execute, insert_event, query_i64s, raw_conn};

on_both_backends! {
    list_matches_a_model_of_every_write => list_model_sqlite, list_model_postgres;
    secrets_are_unique_per_event_and_used_ones_stay => rules_sqlite, rules_postgres;
    catalog_and_event_deletes => cascades_sqlite, cascades_postgres;
    import_transaction_is_all_or_nothing => transaction_sqlite, transaction_postgres;
}

struct Fixture {
    conn: DbConnection,
    event: EventId,
    other: EventId,
    item: ItemId,
    variation: VariationId,
    subevent: SubEventId,
}

async fn fixture(db: &Database) -> Fixture {
    let org = OrganizerRepository::create(db, Slug::parse("bigevents").unwrap(), "Big")
        .await
        .unwrap();
    let mut conn = raw_conn(db);
    let event = insert_event(&mut conn, org.id, "conf");
    let other = insert_event(&mut conn, org.id, "expo");
    let item = query_i64s(
        &mut conn,
        &format!(
            "INSERT INTO items (event_id, name) VALUES ({}, '{{\"en\":\"T\"}}') RETURNING id AS v",
            event.0
        ),
    )[0];
    let variation = query_i64s(
        &mut conn,
        &format!(
            "INSERT INTO item_variations (item_id, value) VALUES ({item}, '{{\"en\":\"V\"}}') \
             RETURNING id AS v"
        ),
    )[0];
    let subevent = query_i64s(
        &mut conn,
        &format!(
            "INSERT INTO subevents (event_id, name, date_from) \
             VALUES ({}, '{{\"en\":\"D\"}}', '2030-01-01 10:00:00') RETURNING id AS v",
            event.0
        ),
    )[0];
    Fixture {
        conn,
        event,
        other,
        item: ItemId(item),
        variation: VariationId(variation),
        subevent: SubEventId(subevent),
    }
}

fn data(secret: &str) -> SecretData {
    SecretData {
        secret: secret.into(),
        ..SecretData::defaults()
    }
}

fn window(offset: u64, limit: u64) -> Window {
    Window { offset, limit }
}

fn matches(s: &ImportedSecret, f: &SecretFilter) -> bool {
    f.used.is_none_or(|u| s.data.used == u)
        && f.item.is_none_or(|i| s.data.item == Some(i))
        && f.variation.is_none_or(|v| s.data.variation == Some(v))
        && f.subevent.is_none_or(|e| s.data.subevent == Some(e))
        && f.secret.as_ref().is_none_or(|t| &s.data.secret == t)
}

/// Thousands of secrets in two events with interleaved ids (so blocks are shared and
/// partly filled), some deleted, some marked used, some restricted: every page of every
/// filter is what filtering, ordering and slicing the model gives.
async fn list_matches_a_model_of_every_write(db: &Database) {
    let mut fx = fixture(db).await;
    let secrets: &dyn ImportedSecretRepository = db;
    let mut rng = StdRng::seed_from_u64(5);
    let mut model: Vec<ImportedSecret> = Vec::new();
    let mut n = 0;
    while n < 3000 {
        let size = rng.gen_range(1..=400);
        let batch: Vec<SecretData> = (n..n + size)
            .map(|i| SecretData {
                used: i % 17 == 0,
                item: (i % 5 == 0).then_some(fx.item),
                variation: (i % 10 == 0).then_some(fx.variation),
                subevent: (i % 3 == 0).then_some(fx.subevent),
                ..data(&format!("s{i}"))
            })
            .collect();
        model.extend(secrets.create(fx.event, batch).await.unwrap());
        n += size;
        let noise: Vec<SecretData> = (0..rng.gen_range(0..900))
            .map(|i| data(&format!("o{n}-{i}")))
            .collect();
        secrets.create(fx.other, noise).await.unwrap();
    }
    assert!(model.windows(2).all(|w| w[0].id < w[1].id), "ids ascend");
    for _ in 0..400 {
        let i = rng.gen_range(0..model.len());
        let s = model[i].clone();
        if rng.gen_bool(0.5) {
            assert_eq!(
                secrets.delete_unused(fx.event, s.id).await,
                Ok(!s.data.used)
            );
            if !s.data.used {
                model.remove(i);
            }
        } else {
            let mut changed = s.data.clone();
            changed.used = true;
            let got = secrets
                .update(fx.event, s.id, s.data.used, changed)
                .await
                .unwrap();
            model[i] = got.expect("still there");
        }
    }

    let filters = [
        SecretFilter::default(),
        SecretFilter {
            used: Some(true),
            ..SecretFilter::default()
        },
        SecretFilter {
            used: Some(false),
            ..SecretFilter::default()
        },
        SecretFilter {
            item: Some(fx.item),
            ..SecretFilter::default()
        },
        SecretFilter {
            item: Some(fx.item),
            used: Some(false),
            ..SecretFilter::default()
        },
        SecretFilter {
            variation: Some(fx.variation),
            ..SecretFilter::default()
        },
        SecretFilter {
            subevent: Some(fx.subevent),
            ..SecretFilter::default()
        },
        SecretFilter {
            secret: Some(model[1234].data.secret.clone()),
            ..SecretFilter::default()
        },
        SecretFilter {
            secret: Some("o10-1".into()),
            ..SecretFilter::default()
        },
    ];
    for f in &filters {
        let expected: Vec<&ImportedSecret> = model.iter().filter(|s| matches(s, f)).collect();
        let total = expected.len() as u64;
        let mut offsets = vec![0, 1, 49, 50, 777, 1023, 1024, 1500, 2049];
        offsets.extend([
            total.saturating_sub(1),
            total.saturating_sub(50),
            total,
            total + 5,
        ]);
        for offset in offsets {
            for limit in [1, 50] {
                let page = secrets
                    .list(fx.event, f.clone(), window(offset, limit))
                    .await
                    .unwrap();
                let want: Vec<ImportedSecret> = expected
                    .iter()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .map(|s| (*s).clone())
                    .collect();
                assert_eq!(page.total, total, "{f:?}");
                assert_eq!(page.items, want, "{f:?} offset {offset} limit {limit}");
            }
        }
    }
    // The block counts are the real counts.
    let blocks = |conn: &mut DbConnection, event: EventId| {
        query_i64s(
            conn,
            &format!(
                "SELECT CAST(COALESCE(SUM(secrets), 0) AS BIGINT) AS v \
                 FROM imported_secret_blocks WHERE event_id = {}",
                event.0
            ),
        )[0]
    };
    for event in [fx.event, fx.other] {
        let real = count(
            &mut fx.conn,
            "imported_secrets",
            &format!("event_id = {}", event.0),
        );
        assert_eq!(blocks(&mut fx.conn, event), real);
    }
    let used = model.iter().filter(|s| s.data.used).count() as u64;
    assert_eq!(db.facts(fx.event).await.unwrap().used_tickets, used);
    assert_eq!(db.facts(fx.other).await.unwrap().used_tickets, 0);
}

async fn secrets_are_unique_per_event_and_used_ones_stay(db: &Database) {
    let fx = fixture(db).await;
    let secrets: &dyn ImportedSecretRepository = db;
    let a = secrets
        .create(fx.event, vec![data("a")])
        .await
        .unwrap()
        .remove(0);
    // The same text in another event is fine; twice in one event is a conflict.
    secrets.create(fx.other, vec![data("a")]).await.unwrap();
    assert!(matches!(
        secrets.create(fx.event, vec![data("b"), data("a")]).await,
        Err(RepositoryError::Conflict(_))
    ));
    assert!(matches!(
        secrets.create(fx.event, vec![data("c"), data("c")]).await,
        Err(RepositoryError::Conflict(_))
    ));
    let page = secrets
        .list(fx.event, SecretFilter::default(), window(0, 50))
        .await
        .unwrap();
    assert_eq!(
        page.items,
        vec![a.clone()],
        "a refused batch writes nothing"
    );
    assert_eq!(
        secrets
            .existing(fx.event, vec!["a".into(), "b".into()])
            .await,
        Ok(vec![("a".into(), a.id)])
    );

    // `update` is conditional on the `used` it was read with.
    let b = secrets
        .create(fx.event, vec![data("b")])
        .await
        .unwrap()
        .remove(0);
    assert!(matches!(
        secrets.update(fx.event, b.id, false, data("a")).await,
        Err(RepositoryError::Conflict(_))
    ));
    let mut used = data("a");
    used.used = true;
    assert_eq!(
        secrets.update(fx.event, a.id, true, used.clone()).await,
        Ok(None)
    );
    let a = secrets
        .update(fx.event, a.id, false, used)
        .await
        .unwrap()
        .unwrap();
    assert!(a.data.used);
    assert_eq!(secrets.delete_unused(fx.event, a.id).await, Ok(false));
    assert_eq!(secrets.find(fx.event, a.id).await, Ok(Some(a.clone())));
    assert_eq!(secrets.find(fx.other, a.id).await, Ok(None));
    assert_eq!(secrets.delete_unused(fx.other, b.id).await, Ok(false));
    assert_eq!(secrets.delete_unused(fx.event, b.id).await, Ok(true));
    assert_eq!(secrets.find(fx.event, b.id).await, Ok(None));
}

async fn catalog_and_event_deletes(db: &Database) {
    let mut fx = fixture(db).await;
    let secrets: &dyn ImportedSecretRepository = db;
    let refs = SecretData {
        item: Some(fx.item),
        variation: Some(fx.variation),
        subevent: Some(fx.subevent),
        ..data("r")
    };
    let s = secrets
        .create(fx.event, vec![refs])
        .await
        .unwrap()
        .remove(0);
    let found = secrets
        .catalog(
            fx.event,
            vec![fx.item, ItemId(fx.item.0 + 100)],
            vec![fx.variation],
            vec![fx.subevent],
        )
        .await
        .unwrap();
    assert_eq!(found.items, vec![fx.item]);
    assert_eq!(found.variations, vec![(fx.variation, fx.item)]);
    assert_eq!(found.subevents, vec![fx.subevent]);
    let foreign = secrets
        .catalog(
            fx.other,
            vec![fx.item],
            vec![fx.variation],
            vec![fx.subevent],
        )
        .await
        .unwrap();
    assert_eq!(foreign, Default::default());

    // Deleting the product (and with it its variation) and the date clears the references.
    execute(
        &mut fx.conn,
        &format!("DELETE FROM items WHERE id = {}", fx.item.0),
    );
    execute(
        &mut fx.conn,
        &format!("DELETE FROM subevents WHERE id = {}", fx.subevent.0),
    );
    let after = secrets.find(fx.event, s.id).await.unwrap().unwrap();
    assert_eq!(after.data, data("r"));

    // Deleting the event takes its secrets and their counts with it.
    secrets
        .create(fx.other, vec![data("x"), data("y")])
        .await
        .unwrap();
    execute(
        &mut fx.conn,
        &format!("DELETE FROM events WHERE id = {}", fx.other.0),
    );
    for table in ["imported_secrets", "imported_secret_blocks"] {
        let n = count(&mut fx.conn, table, &format!("event_id = {}", fx.other.0));
        assert_eq!(n, 0, "{table}");
    }
    let page = secrets
        .list(fx.event, SecretFilter::default(), window(0, 50))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

async fn import_transaction_is_all_or_nothing(db: &Database) {
    let fx = fixture(db).await;
    let secrets: &dyn ImportedSecretRepository = db;
    let all = SecretFilter::default;

    let tx = db.begin().await.unwrap();
    tx.imported_secrets()
        .create(fx.event, vec![data("t1")])
        .await
        .unwrap();
    assert_eq!(
        tx.imported_secrets()
            .existing(fx.event, vec!["t1".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    // A refused write inside leaves the transaction usable.
    assert!(matches!(
        tx.imported_secrets()
            .create(fx.event, vec![data("t2"), data("t1")])
            .await,
        Err(RepositoryError::Conflict(_))
    ));
    tx.imported_secrets()
        .create(fx.event, vec![data("t2")])
        .await
        .unwrap();
    let inside = tx
        .imported_secrets()
        .list(fx.event, all(), window(0, 50))
        .await
        .unwrap();
    assert_eq!(inside.total, 2);
    tx.commit().await.unwrap();
    let page = secrets.list(fx.event, all(), window(0, 50)).await.unwrap();
    let texts: Vec<_> = page.items.iter().map(|s| s.data.secret.as_str()).collect();
    assert_eq!(texts, ["t1", "t2"]);

    // Dropped without commit: nothing stays, and the pool goes on working.
    let tx = db.begin().await.unwrap();
    tx.imported_secrets()
        .create(fx.event, vec![data("t3")])
        .await
        .unwrap();
    drop(tx);
    let page = secrets.list(fx.event, all(), window(0, 50)).await.unwrap();
    assert_eq!(page.total, 2);
    secrets.create(fx.event, vec![data("t3")]).await.unwrap();
}
