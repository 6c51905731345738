//! Organizers, and the use cases that reach them through a credential.

use crate::ids::{EventId, OrganizerId};

use crate::access::{Permission, Principal};

use crate::error::RepositoryError;
use crate::pagination::{Page, Window};
use crate::plugins::PluginError;
use crate::values::Slug;
use async_trait::async_trait;

/// An organizer: the account that runs events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organizer {
    pub id: OrganizerId,
    pub slug: Slug,
    pub name: String,
    /// Plugin module names enabled on organizer level, sorted.
    pub plugins: Vec<String>,
}

/// Port: organizers.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OrganizerRepository: Send + Sync {
    async fn find_by_slug(&self, slug: &str) -> Result<Option<Organizer>, RepositoryError>;

    /// The organizers with these ids, ordered by slug then id, with the total count.
    async fn list(
        &self,
        ids: Vec<OrganizerId>,
        window: Window,
    ) -> Result<Page<Organizer>, RepositoryError>;

    /// Creates an organizer. Must return `RepositoryError::Conflict` when the slug is taken.
    async fn create(&self, slug: Slug, name: &str) -> Result<Organizer, RepositoryError>;

    /// Gives the organizer a new name.
    async fn rename(&self, id: OrganizerId, name: &str) -> Result<Organizer, RepositoryError>;

    /// Replaces the organizer's plugin set (already validated and sorted) and, in the same
    /// transaction, removes the plugins in `withdraw` from every event of the organizer.
    async fn set_plugins(
        &self,
        id: OrganizerId,
        plugins: Vec<String>,
        withdraw: Vec<String>,
    ) -> Result<Organizer, RepositoryError>;

    /// The ids of the organizer's events with these slugs; slugs that name no event of
    /// this organizer are left out.
    async fn event_ids(
        &self,
        organizer: OrganizerId,
        slugs: Vec<String>,
    ) -> Result<Vec<(String, EventId)>, RepositoryError>;

    /// Whether the database answers at all (for readiness checks).
    async fn ping(&self) -> Result<(), RepositoryError>;
}

/// Why a credential may not act on an organizer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Unknown organizer, another organizer's, or a missing permission: pretix answers all
    /// of them alike so that probing does not reveal which organizers exist.
    #[error("You do not have permission to perform this action.")]
    Denied,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The organizer named by `slug`, if `principal` may act on it and holds `required`.
pub async fn organizer_access(
    organizers: &dyn OrganizerRepository,
    principal: &Principal,
    slug: &str,
    required: Option<Permission>,
) -> Result<Organizer, AccessError> {
    let organizer = organizers
        .find_by_slug(slug)
        .await?
        .filter(|o| o.id == principal.organizer())
        .ok_or(AccessError::Denied)?;
    match required {
        Some(p) if !principal.has_permission(p) => Err(AccessError::Denied),
        _ => Ok(organizer),
    }
}

/// Why an organizer's plugins were not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangePluginsError {
    #[error(transparent)]
    Invalid(#[from] PluginError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Replaces the organizer-level plugins (`PATCH /organizers/{o}/ {"plugins": [...]}`); every
/// name must be a known plugin that can be enabled on organizers (organizer-level or
/// hybrid). A hybrid plugin the organizer disables is also removed from its events, as
/// pretix does. The caller has checked `can_change_organizer_settings`.
pub async fn change_plugins(
    organizers: &dyn OrganizerRepository,
    organizer: &Organizer,
    plugins: &[String],
) -> Result<Organizer, ChangePluginsError> {
    let plugins = crate::plugins::CORE.for_organizer(plugins)?;
    let withdraw = crate::plugins::CORE.withdrawn_from_events(&organizer.plugins, &plugins);
    Ok(organizers
        .set_plugins(organizer.id, plugins, withdraw)
        .await?)
}

/// The organizers a credential can see (a team token: its own), one page of them.
pub async fn visible_organizers(
    organizers: &dyn OrganizerRepository,
    principal: &Principal,
    window: Window,
) -> Result<Page<Organizer>, RepositoryError> {
    organizers.list(vec![principal.organizer()], window).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{EventScope, PermissionSet, Team};
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
}
