//! The command line's administration: organizers, teams and tokens addressed by slug and
//! name. Teams are addressed by name here, so a team name is unique per organizer when made
//! through the command line; the API does not require it (pretix does not).

use presale_domain::access::{EventScope, PermissionSet, PlainToken, Team};
use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::team::{NewTeam, TeamRepository, TokenRepository};
use presale_domain::values::Slug;
use presale_domain::RepositoryError;

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
    use presale_domain::access::TokenHash;
    use presale_domain::ids::{OrganizerId, TeamId, TokenId};
    use presale_domain::organizer::MockOrganizerRepository;
    use presale_domain::team::{ApiToken, MockTeamRepository, MockTokenRepository};

    fn org(id: i64, slug: &str) -> Organizer {
        Organizer {
            id: OrganizerId(id),
            slug: Slug::parse(slug).unwrap(),
            name: slug.to_uppercase(),
            plugins: vec![],
        }
    }

    fn repo_with(orgs: Vec<Organizer>) -> MockOrganizerRepository {
        let mut repo = MockOrganizerRepository::new();
        repo.expect_find_by_slug()
            .returning(move |s| Ok(orgs.iter().find(|o| o.slug.as_str() == s).cloned()));
        repo
    }

    #[tokio::test]
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

    #[tokio::test]
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
