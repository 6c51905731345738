//! Teams and their API tokens as the REST API manages them (docs/api-compatibility.md): the field rules,
//! the event limits by slug, and tokens that are shown once and only ever deactivated.
//!
//! Team names need not be unique (pretix does not require it).

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    authenticate_token, check_name, create_api_token, create_team, update_team, AuthError,
    NameError, TeamError,
};

use crate::access::{EventScope, Permission, PermissionSet, Team, TokenHash};
use crate::error::RepositoryError;
use crate::ids::{OrganizerId, TeamId, TokenId};
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::write::WriteMode;
use async_trait::async_trait;

/// The longest team or token name pretix accepts.
pub const NAME_MAX_LENGTH: usize = 190;

/// A team with `all_events` and a non-empty `limit_events` (an object-level error).
pub const BOTH_EVENT_SCOPES: &str = "Do not set both limit_events and all_events.";

/// A team id that names no team of the organizer.
pub const TEAM_NOT_FOUND: &str = "No Team matches the given query.";

/// A token id that names no token of the team.
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

/// The fields a request sent, parsed; `None` (or a permission left out) = not sent. Applied
/// by [`TeamChanges::apply_to`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub all_events: Option<bool>,
    /// Event slugs, as sent.
    pub limit_events: Option<Vec<String>>,
    /// The permission flags sent, each with its value.
    pub permissions: Vec<(Permission, bool)>,
}

impl TeamChanges {
    /// The changes applied to `base` (the defaults on create, the stored fields on update);
    /// a full write (create, PUT) must send `name` and `limit_events`, as pretix requires.
    /// `errors` holds what reading the request found; what comes back goes to
    /// [`create_team`] or [`update_team`], which add the name and event rules and report
    /// every error in field order.
    pub fn apply_to(
        self,
        mut base: TeamFields,
        mode: WriteMode,
        mut errors: FieldErrors,
    ) -> (TeamFields, FieldErrors) {
        if mode.is_full() {
            errors.require(&[
                ("name", self.name.is_some()),
                ("limit_events", self.limit_events.is_some()),
            ]);
        }
        if let Some(name) = self.name {
            base.name = name;
        }
        if let Some(all_events) = self.all_events {
            base.all_events = all_events;
        }
        if let Some(limit_events) = self.limit_events {
            base.limit_events = limit_events;
        }
        for (permission, on) in self.permissions {
            if on {
                base.permissions.insert(permission);
            } else {
                base.permissions.remove(permission);
            }
        }
        (base, errors)
    }
}

/// A team with the slugs of the events it is limited to (sorted), as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamWithEvents {
    pub team: Team,
    pub limit_events: Vec<String>,
}

impl TeamWithEvents {
    /// The writable fields as stored, the base that a replacing or changing update applies
    /// its changes to.
    pub fn fields(&self) -> TeamFields {
        TeamFields {
            name: self.team.name.clone(),
            all_events: self.team.events == EventScope::All,
            limit_events: self.limit_events.clone(),
            permissions: self.team.permissions,
        }
    }
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
