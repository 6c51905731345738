//! Contract tests on both backends of the idempotency store (the claim protocol, concurrent
//! claims from separate pools, expiry) and of the team and token writes the teams API uses.

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_macros)]
#[macro_use]
mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use presale_domain::access::{EventScope, Permission, PermissionSet, PlainToken};
use presale_domain::idempotency::{
    Claim, ClaimId, IdempotencyKey, IdempotencyRepository, StoredResponse,
};
use presale_domain::ids::{EventId, TeamId, TokenId};
use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::pagination::Window;
use presale_domain::team::{NewTeam, TeamRepository, TokenRepository};
use presale_domain::values::Slug;
use presale_domain::RepositoryError;
use presale_storage_diesel::{Database, PoolOptions};
use support::{count, insert_event, query_texts, raw_conn};

on_both_backends! {
    idempotency_claim_complete_release => claim_sqlite, claim_postgres;
    idempotency_expired_keys_are_replaced_and_purged => expiry_sqlite, expiry_postgres;
    idempotency_concurrent_claims_have_one_winner => concurrent_sqlite, concurrent_postgres;
    teams_update_and_delete => teams_update_sqlite, teams_update_postgres;
    tokens_list_find_and_deactivate => tokens_sqlite, tokens_postgres;
}

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 2, hour, 0, 0).unwrap()
}

fn key(credential: &str, key: &str) -> IdempotencyKey {
    IdempotencyKey::new(credential.as_bytes(), key.as_bytes()).unwrap()
}

async fn claim_at(db: &Database, k: IdempotencyKey, now: DateTime<Utc>) -> Claim {
    IdempotencyRepository::claim(
        db,
        k,
        "POST".into(),
        "/api/v1/x/".into(),
        now,
        now - Duration::hours(24),
    )
    .await
    .expect("claim")
}

fn claimed(c: Claim) -> ClaimId {
    match c {
        Claim::Claimed(id) => id,
        other => panic!("expected a new claim, got {other:?}"),
    }
}

fn response() -> StoredResponse {
    StoredResponse {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("allow".into(), "GET, POST, HEAD".into()),
            ("x-multi".into(), "1".into()),
            ("x-multi".into(), "2".into()),
        ],
        // Not UTF-8: bodies are stored as bytes.
        body: vec![b'{', b'}', 0xff, 0x00],
    }
}

async fn idempotency_claim_complete_release(db: &Database) {
    let k = key("Token secret-token-value", "k1");
    let first = claimed(claim_at(db, k, at(10)).await);
    assert_eq!(claim_at(db, k, at(10)).await, Claim::InFlight);
    // Another credential with the same key is another key.
    let other = claimed(claim_at(db, key("Token other", "k1"), at(10)).await);
    assert_ne!(first, other);

    IdempotencyRepository::complete(db, first, response())
        .await
        .unwrap();
    assert_eq!(claim_at(db, k, at(11)).await, Claim::Completed(response()));
    // A completed key cannot be released, nor completed a second time.
    IdempotencyRepository::release(db, first).await.unwrap();
    let mut changed = response();
    changed.status = 200;
    IdempotencyRepository::complete(db, first, changed)
        .await
        .unwrap();
    assert_eq!(claim_at(db, k, at(11)).await, Claim::Completed(response()));

    // A released claim frees the key; completing the released claim later touches nothing.
    IdempotencyRepository::release(db, other).await.unwrap();
    let again = claimed(claim_at(db, key("Token other", "k1"), at(12)).await);
    assert_ne!(again, other);
    IdempotencyRepository::complete(db, other, response())
        .await
        .unwrap();
    assert_eq!(
        claim_at(db, key("Token other", "k1"), at(12)).await,
        Claim::InFlight
    );

    // Only hashes are stored.
    let mut conn = raw_conn(db);
    let stored = query_texts(
        &mut conn,
        "SELECT credential_hash || ' ' || key_hash AS v FROM idempotency_keys ORDER BY id",
    );
    assert_eq!(stored.len(), 2);
    assert!(stored
        .iter()
        .all(|s| !s.contains("secret") && s.len() == 129));
    assert_eq!(
        stored[0],
        format!("{} {}", k.credential.to_hex(), k.key.to_hex())
    );
}

async fn idempotency_expired_keys_are_replaced_and_purged(db: &Database) {
    let done = key("Token a", "done");
    let stuck = key("Token a", "stuck");
    let id = claimed(claim_at(db, done, at(1)).await);
    IdempotencyRepository::complete(db, id, response())
        .await
        .unwrap();
    claimed(claim_at(db, stuck, at(1)).await);
    let later = at(1) + Duration::hours(24);
    // Exactly 24 hours later both still count.
    assert_eq!(
        claim_at(db, done, later).await,
        Claim::Completed(response())
    );
    assert_eq!(claim_at(db, stuck, later).await, Claim::InFlight);
    // After that, finished or not, the key is free again.
    let later = later + Duration::seconds(1);
    claimed(claim_at(db, done, later).await);
    claimed(claim_at(db, stuck, later).await);
    let mut conn = raw_conn(db);
    assert_eq!(count(&mut conn, "idempotency_keys", "1 = 1"), 2);

    // Purging deletes what was created before the cutoff, nothing else.
    claimed(claim_at(db, key("Token b", "old"), at(0)).await);
    assert_eq!(IdempotencyRepository::purge_expired(db, at(1)).await, Ok(1));
    assert_eq!(count(&mut conn, "idempotency_keys", "1 = 1"), 2);
    assert_eq!(
        IdempotencyRepository::purge_expired(db, later + Duration::hours(1)).await,
        Ok(2)
    );
    assert_eq!(count(&mut conn, "idempotency_keys", "1 = 1"), 0);
}

/// Many claims of one key at once, from two pools (as two server processes would have):
/// exactly one wins, every other one sees it in flight.
async fn idempotency_concurrent_claims_have_one_winner(db: &Database) {
    let second = Database::open(db.url().clone(), PoolOptions::default()).expect("second pool");
    let k = key("Token racer", "same");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let pool = if i % 2 == 0 {
            db.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            IdempotencyRepository::claim(
                &pool,
                k,
                "POST".into(),
                "/p".into(),
                at(5),
                at(5) - Duration::hours(24),
            )
            .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(Claim::Claimed(_)) => winners += 1,
            Ok(Claim::InFlight) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    let mut conn = raw_conn(db);
    assert_eq!(count(&mut conn, "idempotency_keys", "1 = 1"), 1);
}

async fn organizer(db: &Database, s: &str) -> Organizer {
    OrganizerRepository::create(db, Slug::parse(s).unwrap(), s)
        .await
        .expect("organizer")
}

fn new_team(org: &Organizer, name: &str, events: EventScope) -> NewTeam {
    NewTeam {
        organizer: org.id,
        name: name.into(),
        permissions: [Permission::ChangeTeams].into_iter().collect(),
        events,
    }
}

async fn teams_update_and_delete(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let other = organizer(db, "other").await;
    let mut conn = raw_conn(db);
    let a = insert_event(&mut conn, org.id, "a");
    let b = insert_event(&mut conn, org.id, "b");
    let foreign = insert_event(&mut conn, other.id, "f");
    let team = TeamRepository::create(db, new_team(&org, "Staff", EventScope::Limited(vec![a])))
        .await
        .unwrap();

    let mut change = new_team(&org, "Crew", EventScope::Limited(vec![b, a, b]));
    change.permissions = PermissionSet::all();
    let updated = TeamRepository::update(db, team.id, change.clone())
        .await
        .unwrap()
        .expect("team exists");
    assert_eq!(updated.name, "Crew");
    assert_eq!(updated.permissions, PermissionSet::all());
    assert_eq!(updated.events, EventScope::Limited(vec![a, b]));
    let found = TeamRepository::find(db, org.id, team.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.team, updated);
    assert_eq!(found.limit_events, ["a", "b"]);

    // All events drops the limits.
    let all = TeamRepository::update(db, team.id, new_team(&org, "Crew", EventScope::All))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.events, EventScope::All);
    assert_eq!(
        count(
            &mut conn,
            "team_limit_events",
            &format!("team_id = {}", team.id.0)
        ),
        0
    );

    // A foreign event is a conflict and changes nothing; so does a team of another organizer.
    assert!(matches!(
        TeamRepository::update(
            db,
            team.id,
            new_team(&org, "Evil", EventScope::Limited(vec![foreign]))
        )
        .await,
        Err(RepositoryError::Conflict(_))
    ));
    assert_eq!(
        TeamRepository::update(db, team.id, new_team(&other, "Evil", EventScope::All)).await,
        Ok(None)
    );
    assert_eq!(
        TeamRepository::update(db, TeamId(999_999), new_team(&org, "x", EventScope::All)).await,
        Ok(None)
    );
    let unchanged = TeamRepository::find(db, org.id, team.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unchanged.team.name.as_str(), unchanged.team.events),
        ("Crew", EventScope::All)
    );

    // Delete takes tokens and limits along, only in the team's organizer.
    TeamRepository::update(
        db,
        team.id,
        new_team(&org, "Crew", EventScope::Limited(vec![a])),
    )
    .await
    .unwrap();
    TokenRepository::create(db, team.id, "t", PlainToken::generate().hash())
        .await
        .unwrap();
    assert_eq!(
        TeamRepository::delete(db, other.id, team.id).await,
        Ok(false)
    );
    assert_eq!(TeamRepository::delete(db, org.id, team.id).await, Ok(true));
    assert_eq!(TeamRepository::delete(db, org.id, team.id).await, Ok(false));
    assert_eq!(TeamRepository::find(db, org.id, team.id).await, Ok(None));
    for table in ["api_tokens", "team_limit_events"] {
        assert_eq!(
            count(&mut conn, table, &format!("team_id = {}", team.id.0)),
            0,
            "{table}"
        );
    }
    assert_eq!(count(&mut conn, "events", "1 = 1"), 3);
    let _: EventId = foreign;
}

async fn tokens_list_find_and_deactivate(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let team = TeamRepository::create(db, new_team(&org, "A", EventScope::All))
        .await
        .unwrap();
    let other = TeamRepository::create(db, new_team(&org, "B", EventScope::All))
        .await
        .unwrap();
    let mut made = Vec::new();
    for name in ["zeta", "alpha", "mid", "alpha"] {
        let plain = PlainToken::generate();
        let t = TokenRepository::create(db, team.id, name, plain.hash())
            .await
            .unwrap();
        made.push((t, plain));
    }
    TokenRepository::create(db, other.id, "foreign", PlainToken::generate().hash())
        .await
        .unwrap();

    let page = TokenRepository::list(
        db,
        team.id,
        Window {
            offset: 0,
            limit: 50,
        },
    )
    .await
    .unwrap();
    assert_eq!(page.total, 4);
    let order: Vec<_> = page.items.iter().map(|t| (t.name.as_str(), t.id)).collect();
    assert_eq!(
        order,
        [
            ("alpha", made[1].0.id),
            ("alpha", made[3].0.id),
            ("mid", made[2].0.id),
            ("zeta", made[0].0.id),
        ]
    );
    let second = TokenRepository::list(
        db,
        team.id,
        Window {
            offset: 1,
            limit: 2,
        },
    )
    .await
    .unwrap();
    assert_eq!((second.total, second.items.len()), (4, 2));
    assert_eq!(second.items[0].id, made[3].0.id);

    let (zeta, plain) = &made[0];
    assert_eq!(
        TokenRepository::find(db, team.id, zeta.id).await,
        Ok(Some(zeta.clone()))
    );
    assert_eq!(TokenRepository::find(db, other.id, zeta.id).await, Ok(None));
    assert_eq!(
        TokenRepository::deactivate(db, other.id, zeta.id).await,
        Ok(None)
    );
    assert_eq!(
        TokenRepository::deactivate(db, team.id, TokenId(999_999)).await,
        Ok(None)
    );
    let off = TokenRepository::deactivate(db, team.id, zeta.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!off.active);
    assert_eq!(off.name, "zeta");
    // Deactivated, not deleted: still found by hash, inactive; twice is the same.
    let (found, _) = TokenRepository::find_by_hash(db, plain.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, off);
    assert_eq!(
        TokenRepository::deactivate(db, team.id, zeta.id).await,
        Ok(Some(off))
    );
    let mut conn = raw_conn(db);
    assert_eq!(count(&mut conn, "api_tokens", "1 = 1"), 5);
}
