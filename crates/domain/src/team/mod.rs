//! Teams and their API tokens as the REST API manages them (docs/api-compatibility.md): the field rules,
//! the event limits by slug, and tokens that are shown once and only ever deactivated.
//!
//! Team names need not be unique (pretix does not require it).

use crate::access::{
    EventScope, Permission, PermissionSet, PlainToken, Principal, Team, TokenHash,
};
use crate::error::RepositoryError;
use crate::ids::{EventId, OrganizerId, TeamId, TokenId};
use crate::organizer::OrganizerRepository;
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use async_trait::async_trait;

/// The longest team or token name pretix accepts.
pub const NAME_MAX_LENGTH: usize = 190;

/// A team with `all_events` and a non-empty `limit_events` (an object-level error).
pub const BOTH_EVENT_SCOPES: &str = "Do not set both limit_events and all_events.";

/// A team id in the path that names no team of the organizer.
pub const TEAM_NOT_FOUND: &str = "No Team matches the given query.";

/// A token id in the path that names no token of the team.
pub const TOKEN_NOT_FOUND: &str = "No TeamAPIToken matches the given query.";

/// The message for an event slug that names no event of the organizer.
pub fn unknown_event(slug: &str) -> String {
    format!("Object with slug={slug} does not exist.")
}

/// The team fields in the order of the API's field table: errors are reported in it.
pub fn field_order() -> Vec<&'static str> {
    let mut order = vec!["name", "all_events", "limit_events"];
    order.extend(Permission::ALL.iter().map(|p| p.name()));
    order
}

/// The writable fields of a team as the API takes them: the event limits by slug.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TeamFields {
    pub name: String,
    pub all_events: bool,
    /// Event slugs, as sent (duplicates allowed).
    pub limit_events: Vec<String>,
    pub permissions: PermissionSet,
}

impl TeamWithEvents {
    /// The writable fields as stored, the base that PUT and PATCH apply their changes to.
    pub fn fields(&self) -> TeamFields {
        TeamFields {
            name: self.team.name.clone(),
            all_events: self.team.events == EventScope::All,
            limit_events: self.limit_events.clone(),
            permissions: self.team.permissions,
        }
    }
}

/// Why a team or token name is refused; the messages are pretix's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("This field may not be blank.")]
    Blank,
    #[error("Ensure this field has no more than 190 characters.")]
    TooLong,
}

/// A team or token name: not blank, at most [`NAME_MAX_LENGTH`] characters.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.trim().is_empty() {
        Err(NameError::Blank)
    } else if name.chars().count() > NAME_MAX_LENGTH {
        Err(NameError::TooLong)
    } else {
        Ok(())
    }
}

/// Why a team or token was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    /// Field or object errors, in field order.
    #[error("invalid team: {0:?}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The team to write, from `fields` and the errors the caller found while reading them
/// (`errors`): the name rule, then the event slugs (the first unknown one is the error of
/// `limit_events`), all in field order; once they pass, the rule that `all_events` and
/// `limit_events` exclude each other. Also returns the limited events' slugs, sorted.
async fn checked(
    organizers: &dyn OrganizerRepository,
    organizer: OrganizerId,
    fields: TeamFields,
    mut errors: FieldErrors,
) -> Result<(NewTeam, Vec<String>), TeamError> {
    if !errors.has("name") {
        if let Err(e) = check_name(&fields.name) {
            errors.add("name", e.to_string());
        }
    }
    let mut ids: Vec<EventId> = Vec::new();
    let mut slugs: Vec<String> = Vec::new();
    if !errors.has("limit_events") && !fields.limit_events.is_empty() {
        let found = organizers
            .event_ids(organizer, fields.limit_events.clone())
            .await?;
        for slug in &fields.limit_events {
            match found.iter().find(|(s, _)| s == slug) {
                Some((s, id)) => {
                    if !ids.contains(id) {
                        ids.push(*id);
                        slugs.push(s.clone());
                    }
                }
                None => {
                    errors.add("limit_events", unknown_event(slug));
                    break;
                }
            }
        }
    }
    errors.sort_by_order(&field_order());
    errors.into_result().map_err(TeamError::Invalid)?;
    if fields.all_events && !fields.limit_events.is_empty() {
        return Err(TeamError::Invalid(FieldErrors::non_field(
            BOTH_EVENT_SCOPES,
        )));
    }
    ids.sort();
    slugs.sort();
    let events = if fields.all_events {
        slugs.clear();
        EventScope::All
    } else {
        EventScope::Limited(ids)
    };
    let team = NewTeam {
        organizer,
        name: fields.name,
        permissions: fields.permissions,
        events,
    };
    Ok((team, slugs))
}

/// Creates a team in `organizer` (`POST /teams/`). `errors` are those the caller found while
/// reading the fields; they are reported together with the ones found here. The caller has
/// checked `can_change_teams`.
pub async fn create_team(
    organizers: &dyn OrganizerRepository,
    teams: &dyn TeamRepository,
    organizer: OrganizerId,
    fields: TeamFields,
    errors: FieldErrors,
) -> Result<TeamWithEvents, TeamError> {
    let (new, limit_events) = checked(organizers, organizer, fields, errors).await?;
    let team = teams.create(new).await?;
    Ok(TeamWithEvents { team, limit_events })
}

/// Replaces the fields of the organizer's team `id` (PUT and PATCH pass the stored fields
/// with the body's changes applied, see [`TeamWithEvents::fields`]); `None` if the organizer
/// has no such team.
pub async fn update_team(
    organizers: &dyn OrganizerRepository,
    teams: &dyn TeamRepository,
    organizer: OrganizerId,
    id: TeamId,
    fields: TeamFields,
    errors: FieldErrors,
) -> Result<Option<TeamWithEvents>, TeamError> {
    let (new, limit_events) = checked(organizers, organizer, fields, errors).await?;
    Ok(teams
        .update(id, new)
        .await?
        .map(|team| TeamWithEvents { team, limit_events }))
}

/// Creates an active API token for `team` (`POST /teams/{id}/tokens/`): the plain token is
/// returned to be shown this once; only its hash is stored.
pub async fn create_api_token(
    tokens: &dyn TokenRepository,
    team: TeamId,
    name: &str,
) -> Result<(ApiToken, PlainToken), TeamError> {
    check_name(name).map_err(|e| TeamError::Invalid(FieldErrors::single("name", e.to_string())))?;
    let plain = PlainToken::generate();
    let token = tokens.create(team, name, plain.hash()).await?;
    Ok((token, plain))
}

/// A team with the slugs of the events it is limited to (sorted), as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamWithEvents {
    pub team: Team,
    pub limit_events: Vec<String>,
}

/// A team to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    pub organizer: OrganizerId,
    pub name: String,
    pub permissions: PermissionSet,
    pub events: EventScope,
}

/// A team's API token as stored: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub team: TeamId,
    pub name: String,
    pub active: bool,
}

/// Why a token was refused. The messages are pretix's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Invalid token.")]
    InvalidToken,
    #[error("Token inactive or deleted.")]
    Inactive,
    /// A device token of a device that has not been initialized.
    #[error("Device has not been initialized.")]
    NotInitialized,
    /// A device token of a revoked device.
    #[error("Device access has been revoked.")]
    Revoked,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Port: API tokens and the teams they belong to.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TokenRepository: Send + Sync {
    /// The token with this hash and its team, active or not; `Ok(None)` when no token has
    /// this hash.
    async fn find_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<(ApiToken, Team)>, RepositoryError>;

    /// Stores a new active token for `team` under `hash`.
    async fn create(
        &self,
        team: TeamId,
        name: &str,
        hash: TokenHash,
    ) -> Result<ApiToken, RepositoryError>;

    /// One page of the team's tokens, active or not, ordered by name then id.
    async fn list(&self, team: TeamId, window: Window) -> Result<Page<ApiToken>, RepositoryError>;

    /// The team's token with this id; `Ok(None)` if the team has none.
    async fn find(&self, team: TeamId, id: TokenId) -> Result<Option<ApiToken>, RepositoryError>;

    /// The hash a token is stored under (tokens themselves are never stored).
    async fn hash(&self, id: TokenId) -> Result<Option<TokenHash>, RepositoryError>;

    /// Moves the token to `team` (of the same organizer) under `name`; `active` may only
    /// turn false, never back (the caller checks). `Ok(None)` if there is no such token.
    async fn update(
        &self,
        id: TokenId,
        team: TeamId,
        name: &str,
        active: bool,
    ) -> Result<Option<ApiToken>, RepositoryError>;

    /// Deactivates the team's token (it is kept, never deleted); `Ok(None)` if the team has
    /// no such token.
    async fn deactivate(
        &self,
        team: TeamId,
        id: TokenId,
    ) -> Result<Option<ApiToken>, RepositoryError>;
}

/// Port: organizer teams.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TeamRepository: Send + Sync {
    /// Creates the team with its event limits. Must return `RepositoryError::Conflict` when an
    /// event in `EventScope::Limited` does not belong to the team's organizer.
    async fn create(&self, team: NewTeam) -> Result<Team, RepositoryError>;

    /// One page of the organizer's teams, ordered by id, each with the slugs of its
    /// `limit_events`.
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<TeamWithEvents>, RepositoryError>;

    /// The organizer's team with this id; `Ok(None)` if there is none in this organizer.
    async fn find(
        &self,
        organizer: OrganizerId,
        id: TeamId,
    ) -> Result<Option<TeamWithEvents>, RepositoryError>;

    /// The organizer's teams with exactly this name, ordered by id.
    async fn find_by_name(
        &self,
        organizer: OrganizerId,
        name: &str,
    ) -> Result<Vec<Team>, RepositoryError>;

    /// Replaces the name, permissions and event scope of the organizer's team `id` (the
    /// organizer of `team` scopes the lookup); `Ok(None)` if there is no such team. Must
    /// return `RepositoryError::Conflict`, writing nothing, when an event in
    /// `EventScope::Limited` does not belong to the organizer.
    async fn update(&self, id: TeamId, team: NewTeam) -> Result<Option<Team>, RepositoryError>;

    /// Deletes the organizer's team with its tokens and event limits; `false` if there was
    /// none.
    async fn delete(&self, organizer: OrganizerId, id: TeamId) -> Result<bool, RepositoryError>;
}

/// Checks a presented API token: unknown gives [`AuthError::InvalidToken`], deactivated
/// gives [`AuthError::Inactive`].
pub async fn authenticate_token(
    tokens: &dyn TokenRepository,
    presented: &str,
) -> Result<Principal, AuthError> {
    match tokens.find_by_hash(TokenHash::of(presented)).await? {
        None => Err(AuthError::InvalidToken),
        Some((token, _)) if !token.active => Err(AuthError::Inactive),
        Some((token, team)) => Ok(Principal::TeamToken {
            token: token.id,
            team,
        }),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod token_tests;
