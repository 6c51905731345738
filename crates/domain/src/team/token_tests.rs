//! Tests of credentials: token hashes and principals.

use super::*;
use crate::access::SecurityProfile;
use crate::ids::DeviceId;

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
