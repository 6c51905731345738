//! Contract tests of the repository ports as `presale-storage-diesel` implements them.
//!
//! Every suite is written once, as an async function taking a `&Database`, and runs against
//! both backends: SQLite always, PostgreSQL when `TEST_DATABASE_URL` names a server (skipped
//! otherwise, unless `REQUIRE_POSTGRES=1`, which turns a missing server into a failure).

// clippy's allow-*-in-tests covers #[test] functions only, not the suites and helpers they call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use presale_domain::team::{ApiToken, NewTeam, TeamRepository, TokenRepository};

use presale_domain::ids::EventId;

use presale_domain::access::{EventScope, Permission, PermissionSet, PlainToken, Team, TokenHash};
use presale_domain::ids::OrganizerId;
use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::pagination::{Page, Window};
use presale_domain::values::Slug;
use presale_domain::RepositoryError;
use presale_storage_diesel::{revert_all, run_pending, Database};
use support::{
    count, insert_event, migration_versions, query_bools, query_i64s, query_texts, raw_conn,
};

/// Every table the migrations create.
const TABLES: &[&str] = &[
    "organizers",
    "teams",
    "api_tokens",
    "meta_properties",
    "sales_channels",
    "events",
    "event_meta_values",
    "event_sales_channels",
    "item_meta_properties",
    "organizer_settings",
    "event_settings",
    "team_limit_events",
    "items",
    "item_variations",
    "subevents",
    "quotas",
    "quota_items",
    "quota_variations",
    "devices",
    "device_limit_events",
    "digital_contents",
    "digital_content_items",
    "idempotency_keys",
    "imported_secrets",
    "imported_secret_blocks",
];

on_both_backends! {
    migrations_up_down_up => migrations_sqlite, migrations_postgres;
    organizer_plugin_levels_migration => plugin_levels_migration_sqlite, plugin_levels_migration_postgres;
    organizers_create_and_find => organizers_sqlite, organizers_postgres;
    organizers_list => organizers_list_sqlite, organizers_list_postgres;
    organizers_event_ids => event_ids_sqlite, event_ids_postgres;
    organizers_ping => ping_sqlite, ping_postgres;
    teams_all_events => teams_all_events_sqlite, teams_all_events_postgres;
    teams_limited_events => teams_limited_events_sqlite, teams_limited_events_postgres;
    teams_foreign_event_is_conflict =>
        teams_foreign_event_conflict_sqlite, teams_foreign_event_conflict_postgres;
    teams_foreign_event_writes_nothing =>
        teams_foreign_event_writes_nothing_sqlite, teams_foreign_event_writes_nothing_postgres;
    teams_permissions_round_trip =>
        teams_permissions_sqlite, teams_permissions_postgres;
    tokens_create_and_find => tokens_sqlite, tokens_postgres;
    tokens_store_only_the_hash => tokens_hash_only_sqlite, tokens_hash_only_postgres;
}

// ---------------------------------------------------------------------------------------
// Helpers on top of the ports.

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("valid slug")
}

async fn organizer(db: &Database, s: &str) -> Organizer {
    OrganizerRepository::create(db, slug(s), &s.to_uppercase())
        .await
        .expect("organizer created")
}

fn permissions(ps: &[Permission]) -> PermissionSet {
    ps.iter().copied().collect()
}

fn new_team(
    organizer: OrganizerId,
    name: &str,
    permissions: PermissionSet,
    events: EventScope,
) -> NewTeam {
    NewTeam {
        organizer,
        name: name.to_owned(),
        permissions,
        events,
    }
}

/// The team `create` should return for `new`, given the id it was assigned.
fn team_from(new: &NewTeam, created: &Team) -> Team {
    Team {
        id: created.id,
        organizer: new.organizer,
        name: new.name.clone(),
        permissions: new.permissions,
        events: new.events.clone(),
    }
}

fn window(offset: u64, limit: u64) -> Window {
    Window { offset, limit }
}

// ---------------------------------------------------------------------------------------
// (1) Migrations.

async fn migrations_up_down_up(db: &Database) {
    let expected = migration_versions(db.url().backend());
    assert!(!expected.is_empty(), "no migrations found");
    let mut conn = raw_conn(db);

    // Database::open applied every migration: they are recorded, and none is pending.
    assert_eq!(
        query_texts(
            &mut conn,
            "SELECT version AS v FROM __diesel_schema_migrations ORDER BY version"
        ),
        expected
    );
    assert_eq!(
        run_pending(&mut conn).expect("run_pending"),
        Vec::<String>::new()
    );
    for table in TABLES {
        assert_eq!(count(&mut conn, table, "1 = 1"), 0, "table {table}");
    }

    // Down: every migration is reverted, newest first, and the tables are gone.
    let mut newest_first = expected.clone();
    newest_first.reverse();
    assert_eq!(revert_all(&mut conn).expect("revert_all"), newest_first);
    assert_eq!(
        query_i64s(
            &mut conn,
            "SELECT COUNT(*) AS v FROM __diesel_schema_migrations"
        ),
        vec![0]
    );
    for table in TABLES {
        let result = support::try_execute(&mut conn, &format!("SELECT 1 FROM {table}"));
        assert!(
            result.is_err(),
            "table {table} still exists after revert_all"
        );
    }

    // Up again: every migration is applied, oldest first, and nothing is left pending.
    assert_eq!(run_pending(&mut conn).expect("run_pending"), expected);
    assert_eq!(
        run_pending(&mut conn).expect("run_pending"),
        Vec::<String>::new()
    );
    drop(conn);

    // The tables work afterwards, through every port.
    let org = organizer(db, "bigevents").await;
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "bigevents").await,
        Ok(Some(org.clone()))
    );
    let mut conn = raw_conn(db);
    let event = insert_event(&mut conn, org.id, "conf");
    let new = new_team(
        org.id,
        "API",
        permissions(&[Permission::ViewOrders]),
        EventScope::Limited(vec![event]),
    );
    let team = TeamRepository::create(db, new.clone())
        .await
        .expect("team created");
    assert_eq!(team, team_from(&new, &team));
    let plain = PlainToken::generate();
    let token = TokenRepository::create(db, team.id, "ci", plain.hash())
        .await
        .expect("token created");
    assert_eq!(
        TokenRepository::find_by_hash(db, plain.hash()).await,
        Ok(Some((token, team)))
    );
}

// ---------------------------------------------------------------------------------------
// (2) OrganizerRepository.

async fn organizers_create_and_find(db: &Database) {
    let created = OrganizerRepository::create(db, slug("bigevents"), "Big Events")
        .await
        .expect("organizer created");
    assert_eq!(
        created,
        Organizer {
            id: created.id,
            slug: slug("bigevents"),
            name: "Big Events".into(),
            plugins: vec![],
        }
    );
    let mut conn = raw_conn(db);
    assert_eq!(
        query_i64s(
            &mut conn,
            "SELECT id AS v FROM organizers WHERE slug = 'bigevents'"
        ),
        vec![created.id.0]
    );

    let other = OrganizerRepository::create(db, slug("other-org.2"), "Other")
        .await
        .expect("organizer created");
    assert_eq!(
        other,
        Organizer {
            id: other.id,
            slug: slug("other-org.2"),
            name: "Other".into(),
            plugins: vec![],
        }
    );
    assert_ne!(other.id, created.id);

    // Hit and miss.
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "bigevents").await,
        Ok(Some(created.clone()))
    );
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "other-org.2").await,
        Ok(Some(other.clone()))
    );
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "nope").await,
        Ok(None)
    );
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "bigevent").await,
        Ok(None)
    );

    // A taken slug is a conflict, and the first organizer is left as it was.
    let duplicate = OrganizerRepository::create(db, slug("bigevents"), "Someone Else").await;
    assert!(
        matches!(duplicate, Err(RepositoryError::Conflict(_))),
        "expected Conflict, got {duplicate:?}"
    );
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "bigevents").await,
        Ok(Some(created))
    );
    assert_eq!(count(&mut conn, "organizers", "1 = 1"), 2);

    // Plugins are stored as a JSON list and read back sorted.
    support::execute_seen(
        db,
        &mut conn,
        other.id,
        &format!(
            "UPDATE organizers SET plugins = '[\"pretix.plugins.stripe\", \"pretix.plugins.banktransfer\"]' \
             WHERE id = {}",
            other.id.0
        ),
    )
    .await;
    assert_eq!(
        OrganizerRepository::find_by_slug(db, "other-org.2").await,
        Ok(Some(Organizer {
            plugins: vec![
                "pretix.plugins.banktransfer".into(),
                "pretix.plugins.stripe".into()
            ],
            ..other
        }))
    );
}

/// The migration that gave plugins their levels keeps only organizer-capable plugins (bank
/// transfer) on organizers: it runs again here over rows an earlier version could write.
async fn organizer_plugin_levels_migration(db: &Database) {
    let mut conn = raw_conn(db);
    support::execute(
        &mut conn,
        "INSERT INTO organizers (slug, name, plugins) VALUES \
         ('a', 'A', '[\"pretix.plugins.banktransfer\", \"pretix.plugins.stripe\"]'), \
         ('b', 'B', '[\"pretix.plugins.paypal2\"]'), ('c', 'C', '[]')",
    );
    support::execute(
        &mut conn,
        "DELETE FROM __diesel_schema_migrations WHERE version = '20261202000009'",
    );
    assert_eq!(
        run_pending(&mut conn).expect("run_pending"),
        ["20261202000009".to_owned()]
    );
    assert_eq!(
        query_texts(
            &mut conn,
            "SELECT slug || ' ' || plugins AS v FROM organizers ORDER BY slug"
        ),
        ["a [\"pretix.plugins.banktransfer\"]", "b []", "c []"]
    );
}

async fn organizers_list(db: &Database) {
    // Created out of slug order, so that id order and slug order differ; two more
    // organizers are never asked for.
    let mut listed = Vec::new();
    let mut others = Vec::new();
    for s in [
        "golf", "alpha", "zulu", "foxtrot", "charlie", "echo", "dingo", "bravo", "delta",
    ] {
        let org = organizer(db, s).await;
        if s == "zulu" || s == "dingo" {
            others.push(org);
        } else {
            listed.push(org);
        }
    }
    let ids: Vec<OrganizerId> = listed.iter().map(|o| o.id).collect();
    let mut by_slug = listed.clone();
    by_slug.sort_by(|a, b| a.slug.cmp(&b.slug));
    let slugs: Vec<&str> = by_slug.iter().map(|o| o.slug.as_str()).collect();
    assert_eq!(
        slugs,
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
    );

    let page = |offset: usize, len: usize| Page {
        total: 7,
        items: by_slug[offset..offset + len].to_vec(),
    };
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(0, 50)).await,
        Ok(page(0, 7))
    );
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(0, 5)).await,
        Ok(page(0, 5))
    );
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(5, 5)).await,
        Ok(page(5, 2))
    );
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(2, 3)).await,
        Ok(page(2, 3))
    );
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(6, 1)).await,
        Ok(page(6, 1))
    );
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(7, 5)).await,
        Ok(page(7, 0))
    );
    assert_eq!(
        OrganizerRepository::list(db, ids.clone(), window(100, 50)).await,
        Ok(page(7, 0))
    );

    // The ids filter: a subset, one id, unknown ids, duplicates, none at all.
    let golf = listed[0].clone();
    let alpha = listed[1].clone();
    assert_eq!(
        OrganizerRepository::list(db, vec![golf.id, alpha.id], window(0, 50)).await,
        Ok(Page {
            total: 2,
            items: vec![alpha.clone(), golf.clone()],
        })
    );
    assert_eq!(
        OrganizerRepository::list(db, vec![others[0].id], window(0, 50)).await,
        Ok(Page {
            total: 1,
            items: vec![others[0].clone()],
        })
    );
    assert_eq!(
        OrganizerRepository::list(
            db,
            vec![golf.id, OrganizerId(999_999), golf.id],
            window(0, 50)
        )
        .await,
        Ok(Page {
            total: 1,
            items: vec![golf],
        })
    );
    assert_eq!(
        OrganizerRepository::list(db, vec![OrganizerId(999_999)], window(0, 50)).await,
        Ok(Page {
            total: 0,
            items: vec![],
        })
    );
    assert_eq!(
        OrganizerRepository::list(db, vec![], window(0, 50)).await,
        Ok(Page {
            total: 0,
            items: vec![],
        })
    );
}

async fn organizers_event_ids(db: &Database) {
    let a = organizer(db, "org-a").await;
    let b = organizer(db, "org-b").await;
    let mut conn = raw_conn(db);
    let a_conf = insert_event(&mut conn, a.id, "conf");
    let b_conf = insert_event(&mut conn, b.id, "conf");
    let a_meetup = insert_event(&mut conn, a.id, "meetup");
    let b_other = insert_event(&mut conn, b.id, "other");
    assert_eq!(
        count(&mut conn, "events", "1 = 1"),
        4,
        "events were not inserted"
    );

    let sorted = |mut v: Vec<(String, EventId)>| {
        v.sort();
        v
    };
    let slugs = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    assert_eq!(
        OrganizerRepository::event_ids(db, a.id, slugs(&["meetup", "missing", "other", "conf"]))
            .await
            .map(sorted),
        Ok(vec![("conf".into(), a_conf), ("meetup".into(), a_meetup)])
    );
    assert_eq!(
        OrganizerRepository::event_ids(db, b.id, slugs(&["conf", "other"]))
            .await
            .map(sorted),
        Ok(vec![("conf".into(), b_conf), ("other".into(), b_other)])
    );
    assert_eq!(
        OrganizerRepository::event_ids(db, b.id, slugs(&["meetup"])).await,
        Ok(vec![])
    );
    assert_eq!(
        OrganizerRepository::event_ids(db, a.id, vec![]).await,
        Ok(vec![])
    );
    assert_eq!(
        OrganizerRepository::event_ids(db, OrganizerId(999_999), slugs(&["conf"])).await,
        Ok(vec![])
    );
}

async fn organizers_ping(db: &Database) {
    assert_eq!(OrganizerRepository::ping(db).await, Ok(()));
    // Pinging twice reuses the pool.
    assert_eq!(OrganizerRepository::ping(db).await, Ok(()));
}

// ---------------------------------------------------------------------------------------
// (3) TeamRepository.

async fn teams_all_events(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let other_org = organizer(db, "other").await;
    let new = new_team(
        org.id,
        "Admins",
        permissions(&[Permission::CreateEvents, Permission::ChangeTeams]),
        EventScope::All,
    );
    let team = TeamRepository::create(db, new.clone())
        .await
        .expect("team created");
    assert_eq!(team, team_from(&new, &team));
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Admins").await,
        Ok(vec![team.clone()])
    );
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Nope").await,
        Ok(vec![])
    );
    assert_eq!(
        TeamRepository::find_by_name(db, other_org.id, "Admins").await,
        Ok(vec![])
    );

    // Several teams of one name are all found, ordered by id; another organizer's team of
    // that name is not.
    let theirs = new_team(
        other_org.id,
        "Admins",
        PermissionSet::all(),
        EventScope::All,
    );
    let their_team = TeamRepository::create(db, theirs.clone())
        .await
        .expect("team created");
    assert_eq!(their_team, team_from(&theirs, &their_team));
    let second = new_team(org.id, "Admins", PermissionSet::none(), EventScope::All);
    let second_team = TeamRepository::create(db, second.clone())
        .await
        .expect("team created");
    assert_eq!(second_team, team_from(&second, &second_team));
    assert!(second_team.id > team.id);
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Admins").await,
        Ok(vec![team, second_team])
    );
    assert_eq!(
        TeamRepository::find_by_name(db, other_org.id, "Admins").await,
        Ok(vec![their_team])
    );
}

async fn teams_limited_events(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let mut conn = raw_conn(db);
    let e1 = insert_event(&mut conn, org.id, "one");
    let e2 = insert_event(&mut conn, org.id, "two");
    let e3 = insert_event(&mut conn, org.id, "three");
    assert!(e1 < e2 && e2 < e3);

    // Given sorted: create returns exactly the team, and it reads back the same.
    let sorted = new_team(
        org.id,
        "Sorted",
        permissions(&[Permission::ViewOrders]),
        EventScope::Limited(vec![e1, e2]),
    );
    let team = TeamRepository::create(db, sorted.clone())
        .await
        .expect("team created");
    assert_eq!(team, team_from(&sorted, &team));
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Sorted").await,
        Ok(vec![team])
    );

    // Given unsorted: the same ids, read back sorted.
    let unsorted = new_team(
        org.id,
        "Unsorted",
        permissions(&[Permission::CheckinOrders, Permission::ViewOrders]),
        EventScope::Limited(vec![e3, e1]),
    );
    let team = TeamRepository::create(db, unsorted.clone())
        .await
        .expect("team created");
    let EventScope::Limited(mut returned) = team.events.clone() else {
        panic!("expected limited events, got {:?}", team.events);
    };
    returned.sort();
    assert_eq!(returned, vec![e1, e3]);
    let expected = Team {
        events: EventScope::Limited(vec![e1, e3]),
        ..team_from(&unsorted, &team)
    };
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Unsorted").await,
        Ok(vec![expected.clone()])
    );
    assert_eq!(
        query_i64s(
            &mut conn,
            &format!(
                "SELECT event_id AS v FROM team_limit_events WHERE team_id = {} ORDER BY event_id",
                expected.id.0
            )
        ),
        vec![e1.0, e3.0]
    );

    // Limited to no event at all is not "all events".
    let nothing = new_team(
        org.id,
        "Nothing",
        PermissionSet::none(),
        EventScope::Limited(vec![]),
    );
    let team = TeamRepository::create(db, nothing.clone())
        .await
        .expect("team created");
    assert_eq!(team, team_from(&nothing, &team));
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Nothing").await,
        Ok(vec![team])
    );
}

/// Sets up an organizer with one event, and another organizer with one event.
async fn two_organizers_with_events(db: &Database) -> (Organizer, EventId, EventId) {
    let org = organizer(db, "bigevents").await;
    let other = organizer(db, "other").await;
    let mut conn = raw_conn(db);
    let own = insert_event(&mut conn, org.id, "own");
    let foreign = insert_event(&mut conn, other.id, "foreign");
    (org, own, foreign)
}

async fn teams_foreign_event_is_conflict(db: &Database) {
    let (org, own, foreign) = two_organizers_with_events(db).await;
    for events in [
        vec![own, foreign],
        vec![foreign],
        vec![own, EventId(999_999)],
    ] {
        let result = TeamRepository::create(
            db,
            new_team(
                org.id,
                "Limited",
                PermissionSet::all(),
                EventScope::Limited(events.clone()),
            ),
        )
        .await;
        assert!(
            matches!(result, Err(RepositoryError::Conflict(_))),
            "events {events:?}: expected Conflict, got {result:?}"
        );
    }
    // The own event alone is fine.
    let new = new_team(
        org.id,
        "Own",
        PermissionSet::all(),
        EventScope::Limited(vec![own]),
    );
    let team = TeamRepository::create(db, new.clone())
        .await
        .expect("team created");
    assert_eq!(team, team_from(&new, &team));
}

async fn teams_foreign_event_writes_nothing(db: &Database) {
    let (org, own, foreign) = two_organizers_with_events(db).await;
    let result = TeamRepository::create(
        db,
        new_team(
            org.id,
            "Limited",
            PermissionSet::all(),
            EventScope::Limited(vec![own, foreign]),
        ),
    )
    .await;
    assert!(
        matches!(result, Err(RepositoryError::Conflict(_))),
        "expected Conflict, got {result:?}"
    );
    assert_eq!(
        TeamRepository::find_by_name(db, org.id, "Limited").await,
        Ok(vec![])
    );
    let mut conn = raw_conn(db);
    assert_eq!(count(&mut conn, "teams", "1 = 1"), 0);
    assert_eq!(count(&mut conn, "team_limit_events", "1 = 1"), 0);
}

async fn teams_permissions_round_trip(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let mut conn = raw_conn(db);

    let mut cases: Vec<(String, PermissionSet)> = vec![
        ("none".into(), PermissionSet::none()),
        ("all".into(), PermissionSet::all()),
        (
            "some".into(),
            permissions(&[
                Permission::CreateEvents,
                Permission::ChangeItems,
                Permission::ViewVouchers,
                Permission::ManageReusableMedia,
            ]),
        ),
        (
            "all-but-one".into(),
            Permission::ALL
                .into_iter()
                .filter(|p| *p != Permission::ChangeOrders)
                .collect(),
        ),
    ];
    // Each permission alone, so that no two flags can be swapped unnoticed.
    cases.extend(
        Permission::ALL
            .into_iter()
            .map(|p| (format!("only {}", p.name()), permissions(&[p]))),
    );

    for (name, set) in cases {
        let new = new_team(org.id, &name, set, EventScope::All);
        let team = TeamRepository::create(db, new.clone())
            .await
            .expect("team created");
        assert_eq!(team, team_from(&new, &team), "created {name}");
        assert_eq!(
            TeamRepository::find_by_name(db, org.id, &name).await,
            Ok(vec![team.clone()]),
            "read back {name}"
        );
        // Each flag sits in the column of its wire name.
        for p in Permission::ALL {
            assert_eq!(
                query_bools(
                    &mut conn,
                    &format!(
                        "SELECT {} AS v FROM teams WHERE id = {}",
                        p.name(),
                        team.id.0
                    )
                ),
                vec![set.contains(p)],
                "team {name}, column {}",
                p.name()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// (4) TokenRepository.

async fn tokens_create_and_find(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let mut conn = raw_conn(db);
    let e1 = insert_event(&mut conn, org.id, "one");
    let e2 = insert_event(&mut conn, org.id, "two");
    let limited_new = new_team(
        org.id,
        "Limited",
        permissions(&[Permission::ViewOrders, Permission::ChangeOrders]),
        EventScope::Limited(vec![e1, e2]),
    );
    let limited = TeamRepository::create(db, limited_new.clone())
        .await
        .expect("team created");
    assert_eq!(limited, team_from(&limited_new, &limited));
    let all_new = new_team(org.id, "All", PermissionSet::all(), EventScope::All);
    let all = TeamRepository::create(db, all_new.clone())
        .await
        .expect("team created");
    assert_eq!(all, team_from(&all_new, &all));

    let plain = PlainToken::generate();
    let token = TokenRepository::create(db, limited.id, "ci", plain.hash())
        .await
        .expect("token created");
    assert_eq!(
        token,
        ApiToken {
            id: token.id,
            team: limited.id,
            name: "ci".into(),
            active: true,
        }
    );
    let other_plain = PlainToken::generate();
    let other_token = TokenRepository::create(db, all.id, "admin", other_plain.hash())
        .await
        .expect("token created");
    assert_eq!(
        other_token,
        ApiToken {
            id: other_token.id,
            team: all.id,
            name: "admin".into(),
            active: true,
        }
    );
    assert_ne!(token.id, other_token.id);

    // Each token is found with its own team, permissions and event limits.
    assert_eq!(
        TokenRepository::find_by_hash(db, plain.hash()).await,
        Ok(Some((token.clone(), limited.clone())))
    );
    assert_eq!(
        TokenRepository::find_by_hash(db, other_plain.hash()).await,
        Ok(Some((other_token, all)))
    );
    assert_eq!(
        TokenRepository::find_by_hash(db, TokenHash::of("unknown")).await,
        Ok(None)
    );
    assert_eq!(
        TokenRepository::find_by_hash(db, TokenHash::from_bytes([0; 32])).await,
        Ok(None)
    );

    // A deactivated token is still found, as inactive.
    support::execute(
        &mut conn,
        &format!(
            "UPDATE api_tokens SET active = FALSE WHERE id = {}",
            token.id.0
        ),
    );
    // Written behind the pool's back: drop what it keeps in memory.
    db.invalidate_cache();
    assert_eq!(
        TokenRepository::find_by_hash(db, plain.hash()).await,
        Ok(Some((
            ApiToken {
                active: false,
                ..token
            },
            limited
        )))
    );
}

async fn tokens_store_only_the_hash(db: &Database) {
    let org = organizer(db, "bigevents").await;
    let new = new_team(org.id, "API", PermissionSet::all(), EventScope::All);
    let team = TeamRepository::create(db, new).await.expect("team created");
    let plain = PlainToken::generate();
    let token = TokenRepository::create(db, team.id, "ci", plain.hash())
        .await
        .expect("token created");

    let mut conn = raw_conn(db);
    let stored = query_texts(
        &mut conn,
        &format!(
            "SELECT token_hash AS v FROM api_tokens WHERE id = {}",
            token.id.0
        ),
    );
    assert_eq!(stored, vec![plain.hash().to_hex()]);
    assert_eq!(stored[0].len(), 64);
    assert!(stored[0]
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_ne!(stored[0], plain.as_str());
    // The plain token is nowhere in the row.
    assert_eq!(
        count(
            &mut conn,
            "api_tokens",
            &format!("token_hash = '{0}' OR name = '{0}'", plain.as_str())
        ),
        0
    );
}
