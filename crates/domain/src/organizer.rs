//! Organizers, and the use cases that reach them through a credential.

use crate::auth::{
    EventId, EventScope, NewTeam, Permission, PermissionSet, PlainToken, Principal, Team,
    TeamRepository, TokenRepository,
};
use crate::error::RepositoryError;
use crate::pagination::{Page, Window};
use crate::plugins::PluginError;
use crate::values::Slug;
use async_trait::async_trait;

/// Database id of an organizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganizerId(pub i64);

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

/// Why an administrative command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("organizer '{0}' does not exist")]
    UnknownOrganizer(String),
    #[error("organizer '{0}' already exists")]
    OrganizerExists(String),
    #[error("team '{0}' does not exist in this organizer")]
    UnknownTeam(String),
    #[error("team '{0}' already exists in this organizer")]
    TeamExists(String),
    #[error("several teams are named '{0}' in this organizer")]
    AmbiguousTeam(String),
    #[error("invalid slug '{slug}': {reason}")]
    InvalidSlug { slug: String, reason: String },
    #[error("team name may not be blank")]
    BlankName,
    #[error("unknown event '{0}' in this organizer")]
    UnknownEvent(String),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Creates an organizer (for the command line).
pub async fn create_organizer(
    organizers: &dyn OrganizerRepository,
    slug: &str,
    name: &str,
) -> Result<Organizer, AdminError> {
    let parsed = Slug::parse(slug).map_err(|e| AdminError::InvalidSlug {
        slug: slug.to_owned(),
        reason: e.to_string(),
    })?;
    if name.trim().is_empty() {
        return Err(AdminError::BlankName);
    }
    organizers.create(parsed, name).await.map_err(|e| match e {
        RepositoryError::Conflict(_) => AdminError::OrganizerExists(slug.to_owned()),
        other => other.into(),
    })
}

async fn existing_organizer(
    organizers: &dyn OrganizerRepository,
    slug: &str,
) -> Result<Organizer, AdminError> {
    organizers
        .find_by_slug(slug)
        .await?
        .ok_or_else(|| AdminError::UnknownOrganizer(slug.to_owned()))
}

/// The events a new team may see, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelection {
    All,
    /// Event slugs of the organizer.
    Slugs(Vec<String>),
}

/// Creates a team in an organizer (for the command line). Team names are unique per
/// organizer here so that tokens can be created by team name.
pub async fn create_team(
    organizers: &dyn OrganizerRepository,
    teams: &dyn TeamRepository,
    organizer: &str,
    name: &str,
    permissions: PermissionSet,
    events: EventSelection,
) -> Result<Team, AdminError> {
    let org = existing_organizer(organizers, organizer).await?;
    if name.trim().is_empty() {
        return Err(AdminError::BlankName);
    }
    let events = match events {
        EventSelection::All => EventScope::All,
        EventSelection::Slugs(slugs) => {
            let found = organizers.event_ids(org.id, slugs.clone()).await?;
            let mut ids = Vec::with_capacity(slugs.len());
            for slug in slugs {
                match found.iter().find(|(s, _)| *s == slug) {
                    Some((_, id)) => ids.push(*id),
                    None => return Err(AdminError::UnknownEvent(slug)),
                }
            }
            ids.sort();
            ids.dedup();
            EventScope::Limited(ids)
        }
    };
    if !teams.find_by_name(org.id, name).await?.is_empty() {
        return Err(AdminError::TeamExists(name.to_owned()));
    }
    Ok(teams
        .create(NewTeam {
            organizer: org.id,
            name: name.to_owned(),
            permissions,
            events,
        })
        .await?)
}

/// Creates an API token for a team named by organizer slug and team name; the plain token
/// is returned once and only its hash is stored.
pub async fn create_token(
    organizers: &dyn OrganizerRepository,
    teams: &dyn TeamRepository,
    tokens: &dyn TokenRepository,
    organizer: &str,
    team: &str,
    token_name: &str,
) -> Result<PlainToken, AdminError> {
    let org = existing_organizer(organizers, organizer).await?;
    let found = teams.find_by_name(org.id, team).await?;
    let team = match found.as_slice() {
        [] => return Err(AdminError::UnknownTeam(team.to_owned())),
        [one] => one,
        _ => return Err(AdminError::AmbiguousTeam(team.to_owned())),
    };
    let plain = PlainToken::generate();
    tokens.create(team.id, token_name, plain.hash()).await?;
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{
        ApiToken, MockTeamRepository, MockTokenRepository, TeamId, TokenHash, TokenId,
    };

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

    #[pollster::test]
    async fn duplicate_organizer_slug_is_reported() {
        let mut repo = MockOrganizerRepository::new();
        repo.expect_create()
            .returning(|_, _| Err(RepositoryError::Conflict("slug".into())));
        assert_eq!(
            create_organizer(&repo, "bigevents", "Big Events").await,
            Err(AdminError::OrganizerExists("bigevents".into()))
        );
        assert_eq!(
            create_organizer(&repo, "-bad", "x")
                .await
                .map_err(|e| e.to_string()),
            Err(
                "invalid slug '-bad': The slug may only contain letters, numbers, dots and dashes."
                    .into()
            )
        );
    }

    #[pollster::test]
    async fn token_for_missing_team_is_refused_and_found_team_gets_hashed_token() {
        let orgs = repo_with(vec![org(1, "bigevents")]);
        let mut teams = MockTeamRepository::new();
        teams.expect_find_by_name().returning(|o, name| {
            Ok(if name == "API" {
                vec![Team {
                    id: TeamId(4),
                    organizer: o,
                    name: name.into(),
                    permissions: PermissionSet::all(),
                    events: EventScope::All,
                }]
            } else {
                vec![]
            })
        });
        let mut tokens = MockTokenRepository::new();
        tokens
            .expect_create()
            .withf(|team, name, _| *team == TeamId(4) && name == "cli")
            .times(1)
            .returning(|team, name, _hash: TokenHash| {
                Ok(ApiToken {
                    id: TokenId(1),
                    team,
                    name: name.into(),
                    active: true,
                })
            });
        assert_eq!(
            create_token(&orgs, &teams, &tokens, "bigevents", "Nope", "cli").await,
            Err(AdminError::UnknownTeam("Nope".into()))
        );
        assert_eq!(
            create_token(&orgs, &teams, &tokens, "missing", "API", "cli").await,
            Err(AdminError::UnknownOrganizer("missing".into()))
        );
        let token = create_token(&orgs, &teams, &tokens, "bigevents", "API", "cli").await;
        assert_eq!(token.map(|t| t.as_str().len()), Ok(64));
    }
}
