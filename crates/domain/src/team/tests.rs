//! Tests of the team rules, and of credentials: token hashes, principals and token
//! authentication.

use super::*;
use crate::access::{PlainToken, Principal, SecurityProfile, Team, TokenHash};
use crate::ids::{DeviceId, EventId, TokenId};
use crate::organizer::MockOrganizerRepository;
use crate::team::{MockTeamRepository, MockTokenRepository};
use crate::validation::FieldErrors;

const ORG: OrganizerId = OrganizerId(1);

/// An organizer with the events `a` (id 10) and `b` (id 11).
fn organizers() -> MockOrganizerRepository {
    let mut repo = MockOrganizerRepository::new();
    repo.expect_event_ids().returning(|o, slugs| {
        assert_eq!(o, ORG);
        Ok(slugs
            .into_iter()
            .filter_map(|s| match s.as_str() {
                "a" => Some((s, EventId(10))),
                "b" => Some((s, EventId(11))),
                _ => None,
            })
            .collect())
    });
    repo
}

fn stored(id: i64, new: NewTeam) -> Team {
    Team {
        id: TeamId(id),
        organizer: new.organizer,
        name: new.name,
        permissions: new.permissions,
        events: new.events,
    }
}

fn fields(name: &str) -> TeamFields {
    TeamFields {
        name: name.into(),
        ..TeamFields::default()
    }
}

#[test]
fn names_are_not_blank_and_at_most_190_characters() {
    assert_eq!(check_name("API"), Ok(()));
    assert_eq!(check_name(&"ä".repeat(190)), Ok(()));
    assert_eq!(check_name(" "), Err(NameError::Blank));
    assert_eq!(check_name(&"a".repeat(191)), Err(NameError::TooLong));
    assert_eq!(
        NameError::TooLong.to_string(),
        "Ensure this field has no more than 190 characters."
    );
}

#[test]
fn fields_are_ordered_as_the_api_shows_them() {
    let order = field_order();
    assert_eq!(
        order[..4],
        ["name", "all_events", "limit_events", "can_create_events"]
    );
    assert_eq!(order.len(), 16);
}

#[pollster::test]
async fn create_resolves_slugs_dedups_and_sorts_them() {
    let mut teams = MockTeamRepository::new();
    teams
        .expect_create()
        .withf(|t| {
            t.events == EventScope::Limited(vec![EventId(10), EventId(11)])
                && t.permissions.contains(Permission::ChangeItems)
        })
        .times(1)
        .returning(|t| Ok(stored(5, t)));
    let mut f = fields("Staff");
    f.limit_events = vec!["b".into(), "a".into(), "b".into()];
    f.permissions = [Permission::ChangeItems].into_iter().collect();
    let created = create_team(&organizers(), &teams, ORG, f, FieldErrors::new())
        .await
        .unwrap();
    assert_eq!(created.team.id, TeamId(5));
    assert_eq!(created.limit_events, ["a", "b"]);
}

#[pollster::test]
async fn unknown_slug_is_a_field_error_reported_with_the_callers_errors_in_order() {
    let teams = MockTeamRepository::new();
    let mut f = fields("");
    f.limit_events = vec!["a".into(), "nope".into(), "zzz".into()];
    let mut errors = FieldErrors::new();
    errors.add("can_change_items", "Must be a valid boolean.");
    let got = create_team(&organizers(), &teams, ORG, f, errors).await;
    let Err(TeamError::Invalid(errors)) = got else {
        panic!("{got:?}")
    };
    let errors: Vec<_> = errors.iter().collect();
    assert_eq!(
        errors,
        [
            ("name", "This field may not be blank."),
            ("limit_events", "Object with slug=nope does not exist."),
            ("can_change_items", "Must be a valid boolean."),
        ]
    );
}

#[pollster::test]
async fn both_scopes_are_an_object_error_after_the_fields_passed() {
    let teams = MockTeamRepository::new();
    let mut f = fields("x");
    f.all_events = true;
    f.limit_events = vec!["a".into()];
    assert_eq!(
        create_team(&organizers(), &teams, ORG, f.clone(), FieldErrors::new()).await,
        Err(TeamError::Invalid(FieldErrors::non_field(
            BOTH_EVENT_SCOPES
        )))
    );
    f.name = String::new();
    assert_eq!(
        create_team(&organizers(), &teams, ORG, f, FieldErrors::new()).await,
        Err(TeamError::Invalid(FieldErrors::single(
            "name",
            "This field may not be blank."
        )))
    );
}

#[pollster::test]
async fn all_events_without_limits_needs_no_event_lookup() {
    let mut teams = MockTeamRepository::new();
    teams
        .expect_create()
        .withf(|t| t.events == EventScope::All)
        .returning(|t| Ok(stored(1, t)));
    let mut f = fields("x");
    f.all_events = true;
    let created = create_team(
        &MockOrganizerRepository::new(),
        &teams,
        ORG,
        f,
        FieldErrors::new(),
    )
    .await
    .unwrap();
    assert_eq!(created.limit_events, Vec::<String>::new());
}

#[pollster::test]
async fn update_of_a_missing_team_is_none_and_stored_fields_round_trip() {
    let mut teams = MockTeamRepository::new();
    teams
        .expect_update()
        .withf(|id, t| *id == TeamId(9) && t.organizer == ORG)
        .returning(|_, _| Ok(None));
    teams
        .expect_update()
        .returning(|id, t| Ok(Some(stored(id.0, t))));
    let mut f = fields("x");
    f.limit_events = vec!["a".into()];
    assert_eq!(
        update_team(
            &organizers(),
            &teams,
            ORG,
            TeamId(9),
            f.clone(),
            FieldErrors::new()
        )
        .await,
        Ok(None)
    );
    let updated = update_team(
        &organizers(),
        &teams,
        ORG,
        TeamId(3),
        f.clone(),
        FieldErrors::new(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(updated.fields(), f);
}

#[pollster::test]
async fn outages_pass_through() {
    let mut orgs = MockOrganizerRepository::new();
    orgs.expect_event_ids()
        .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
    let mut f = fields("x");
    f.limit_events = vec!["a".into()];
    assert_eq!(
        create_team(
            &orgs,
            &MockTeamRepository::new(),
            ORG,
            f,
            FieldErrors::new()
        )
        .await,
        Err(TeamError::Repository(RepositoryError::Unavailable(
            "down".into()
        )))
    );
}

#[pollster::test]
async fn a_new_token_is_stored_by_hash_and_shown_once() {
    let mut tokens = MockTokenRepository::new();
    tokens
        .expect_create()
        .withf(|team, name, _| *team == TeamId(2) && name == "ci")
        .times(1)
        .returning(|team, name, hash: TokenHash| {
            assert_eq!(hash.to_hex().len(), 64);
            Ok(ApiToken {
                id: TokenId(8),
                team,
                name: name.into(),
                active: true,
            })
        });
    let (token, plain) = create_api_token(&tokens, TeamId(2), "ci").await.unwrap();
    assert_eq!((token.id, token.active), (TokenId(8), true));
    assert_eq!(plain.as_str().len(), 64);
    assert_eq!(
        create_api_token(&tokens, TeamId(2), " ").await.map(|_| ()),
        Err(TeamError::Invalid(FieldErrors::single(
            "name",
            "This field may not be blank."
        )))
    );
}

// Credentials: token hashes, principals and token authentication.

fn team(permissions: PermissionSet, events: EventScope) -> Team {
    Team {
        id: TeamId(3),
        organizer: OrganizerId(1),
        name: "API".into(),
        permissions,
        events,
    }
}

fn token(active: bool) -> ApiToken {
    ApiToken {
        id: TokenId(9),
        team: TeamId(3),
        name: "ci".into(),
        active,
    }
}

#[test]
fn generated_tokens_are_64_lowercase_alphanumerics() {
    let t = PlainToken::generate();
    assert_eq!(t.as_str().len(), 64);
    assert!(t
        .as_str()
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_ne!(t, PlainToken::generate());
    assert_eq!(t.hash(), TokenHash::of(t.as_str()));
    assert_eq!(t.hash().to_hex().len(), 64);
}

#[test]
fn permission_names_round_trip_in_order() {
    let names: Vec<_> = Permission::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(names[0], "can_create_events");
    assert_eq!(names[12], "can_manage_reusable_media");
    for p in Permission::ALL {
        assert_eq!(Permission::from_name(p.name()), Some(p));
    }
    assert_eq!(Permission::from_name("can_fly"), None);
}

#[test]
fn principal_has_exactly_its_teams_permissions_and_events() {
    let perms: PermissionSet = [Permission::ChangeItems].into_iter().collect();
    let p = Principal::TeamToken {
        token: TokenId(9),
        team: team(perms, EventScope::Limited(vec![EventId(5)])),
    };
    assert!(p.has_permission(Permission::ChangeItems));
    assert!(!p.has_permission(Permission::CreateEvents));
    assert!(p.can_access_event(EventId(5)));
    assert!(!p.can_access_event(EventId(6)));
    assert_eq!(p.organizer(), OrganizerId(1));

    let all = Principal::TeamToken {
        token: TokenId(9),
        team: team(PermissionSet::all(), EventScope::All),
    };
    assert!(Permission::ALL.iter().all(|x| all.has_permission(*x)));
    assert!(all.can_access_event(EventId(123)));
}

#[test]
fn a_device_has_no_permission_and_only_its_events() {
    let p = Principal::Device {
        device: DeviceId(4),
        organizer: OrganizerId(2),
        events: EventScope::Limited(vec![EventId(5)]),
        profile: SecurityProfile::PretixScan,
    };
    assert!(Permission::ALL.iter().all(|x| !p.has_permission(*x)));
    assert!(p.can_access_event(EventId(5)));
    assert!(!p.can_access_event(EventId(6)));
    assert_eq!(p.organizer(), OrganizerId(2));
    assert!(p.is_device());
    assert_eq!(p.device_profile(), Some(SecurityProfile::PretixScan));
    let all = Principal::Device {
        device: DeviceId(4),
        organizer: OrganizerId(2),
        events: EventScope::All,
        profile: SecurityProfile::Full,
    };
    assert!(all.can_access_event(EventId(123)));
    assert!(!all.has_permission(Permission::ChangeOrganizerSettings));
}

#[pollster::test]
async fn unknown_token_is_invalid() {
    let mut repo = MockTokenRepository::new();
    repo.expect_find_by_hash()
        .withf(|h| *h == TokenHash::of("nope"))
        .returning(|_| Ok(None));
    assert_eq!(
        authenticate_token(&repo, "nope").await,
        Err(AuthError::InvalidToken)
    );
}

#[pollster::test]
async fn inactive_token_is_refused() {
    let mut repo = MockTokenRepository::new();
    repo.expect_find_by_hash().returning(|_| {
        Ok(Some((
            token(false),
            team(PermissionSet::all(), EventScope::All),
        )))
    });
    assert_eq!(
        authenticate_token(&repo, "t").await,
        Err(AuthError::Inactive)
    );
    assert_eq!(
        AuthError::Inactive.to_string(),
        "Token inactive or deleted."
    );
}

#[pollster::test]
async fn active_token_yields_its_team() {
    let mut repo = MockTokenRepository::new();
    repo.expect_find_by_hash().returning(|_| {
        Ok(Some((
            token(true),
            team(PermissionSet::none(), EventScope::All),
        )))
    });
    let p = authenticate_token(&repo, "t").await;
    assert_eq!(
        p,
        Ok(Principal::TeamToken {
            token: TokenId(9),
            team: team(PermissionSet::none(), EventScope::All)
        })
    );
}

#[pollster::test]
async fn storage_outage_is_passed_on() {
    let mut repo = MockTokenRepository::new();
    repo.expect_find_by_hash()
        .returning(|_| Err(RepositoryError::Unavailable("down".into())));
    assert_eq!(
        authenticate_token(&repo, "t").await,
        Err(AuthError::Repository(RepositoryError::Unavailable(
            "down".into()
        )))
    );
}

#[test]
fn changes_apply_to_defaults_or_to_the_stored_fields() {
    use crate::validation::REQUIRED;
    use crate::write::WriteMode;
    // A full write must send name and limit_events; reading errors stay with them.
    let mut reading = FieldErrors::new();
    reading.add("can_view_orders", "Must be a valid boolean.");
    let (fields, errors) = TeamChanges {
        all_events: Some(true),
        ..TeamChanges::default()
    }
    .apply_to(TeamFields::default(), WriteMode::Create, reading);
    assert!(fields.all_events);
    assert_eq!(
        errors.iter().collect::<Vec<_>>(),
        [
            ("can_view_orders", "Must be a valid boolean."),
            ("name", REQUIRED),
            ("limit_events", REQUIRED),
        ]
    );
    // A partial write sets and clears the permissions sent and keeps the others.
    let mut stored = TeamFields {
        name: "Admins".into(),
        ..TeamFields::default()
    };
    stored.permissions.insert(Permission::ViewOrders);
    stored.permissions.insert(Permission::ChangeItems);
    let (fields, errors) = TeamChanges {
        permissions: vec![
            (Permission::ViewOrders, false),
            (Permission::ChangeTeams, true),
        ],
        ..TeamChanges::default()
    }
    .apply_to(stored.clone(), WriteMode::Partial, FieldErrors::new());
    assert!(errors.is_empty());
    let mut expected = stored;
    expected.permissions = [Permission::ChangeItems, Permission::ChangeTeams]
        .into_iter()
        .collect();
    assert_eq!(fields, expected);
}
