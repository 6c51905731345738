//! Unit tests of the organizer rules with mocked ports.

use super::*;
use crate::access::{EventScope, Permission, PermissionSet, Principal, Team};
use crate::ids::{TeamId, TokenId};

fn org(id: i64, slug: &str) -> Organizer {
    Organizer {
        id: OrganizerId(id),
        slug: Slug::parse(slug).unwrap(),
        name: slug.to_uppercase(),
        plugins: vec![],
    }
}

fn principal(organizer: i64, permissions: PermissionSet) -> Principal {
    Principal::TeamToken {
        token: TokenId(1),
        team: Team {
            id: TeamId(1),
            organizer: OrganizerId(organizer),
            name: "t".into(),
            permissions,
            events: EventScope::All,
        },
    }
}

fn repo_with(orgs: Vec<Organizer>) -> MockOrganizerRepository {
    let mut repo = MockOrganizerRepository::new();
    repo.expect_find_by_slug()
        .returning(move |s| Ok(orgs.iter().find(|o| o.slug.as_str() == s).cloned()));
    repo
}

#[pollster::test]
async fn own_organizer_is_accessible() {
    let repo = repo_with(vec![org(1, "bigevents"), org(2, "other")]);
    let p = principal(1, PermissionSet::none());
    assert_eq!(
        organizer_access(&repo, &p, "bigevents", None).await,
        Ok(org(1, "bigevents"))
    );
}

#[pollster::test]
async fn unknown_and_foreign_organizers_are_denied_alike() {
    let repo = repo_with(vec![org(1, "bigevents"), org(2, "other")]);
    let p = principal(1, PermissionSet::all());
    assert_eq!(
        organizer_access(&repo, &p, "other", None).await,
        Err(AccessError::Denied)
    );
    assert_eq!(
        organizer_access(&repo, &p, "nope", None).await,
        Err(AccessError::Denied)
    );
}

#[pollster::test]
async fn missing_permission_is_denied() {
    let repo = repo_with(vec![org(1, "bigevents")]);
    let p = principal(1, [Permission::ChangeItems].into_iter().collect());
    assert_eq!(
        organizer_access(&repo, &p, "bigevents", Some(Permission::ChangeTeams)).await,
        Err(AccessError::Denied)
    );
    assert!(
        organizer_access(&repo, &p, "bigevents", Some(Permission::ChangeItems))
            .await
            .is_ok()
    );
}

#[pollster::test]
async fn disabled_hybrid_plugins_are_withdrawn_from_events() {
    let mut current = org(1, "bigevents");
    current.plugins = vec!["pretix.plugins.banktransfer".into()];
    let mut repo = MockOrganizerRepository::new();
    repo.expect_set_plugins()
        .withf(|_, plugins, withdraw| {
            plugins.is_empty() && withdraw == &["pretix.plugins.banktransfer".to_owned()]
        })
        .times(1)
        .returning(|_, plugins, _| {
            let mut o = org(1, "bigevents");
            o.plugins = plugins;
            Ok(o)
        });
    let changed = change_plugins(&repo, &current, &[]).await;
    assert_eq!(changed.map(|o| o.plugins), Ok(vec![]));
}

#[pollster::test]
async fn event_level_plugins_are_refused_on_the_organizer() {
    let repo = MockOrganizerRepository::new();
    let changed = change_plugins(
        &repo,
        &org(1, "bigevents"),
        &["pretix.plugins.stripe".into()],
    )
    .await;
    assert_eq!(
        changed.map_err(|e| e.to_string()),
        Err("Plugin cannot be enabled on this level: 'pretix.plugins.stripe'.".to_owned())
    );
}
