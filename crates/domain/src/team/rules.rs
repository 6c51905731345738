//! The team and API token use cases and their rules: team fields and event limits, token
//! names, and token authentication.

use super::{
    field_order, unknown_event, ApiToken, NewTeam, TeamFields, TeamRepository, TeamWithEvents,
    TokenRepository, BOTH_EVENT_SCOPES, NAME_MAX_LENGTH,
};
use crate::access::{EventScope, PlainToken, Principal, TokenHash};
use crate::error::RepositoryError;
use crate::ids::{EventId, OrganizerId, TeamId};
use crate::organizer::OrganizerRepository;
use crate::validation::FieldErrors;

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

/// Creates a team in `organizer`. `errors` are those the caller found while
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

/// Replaces the fields of the organizer's team `id` (a replacing and a changing update both
/// pass the stored fields with the sent changes applied, see [`TeamWithEvents::fields`]);
/// `None` if the organizer has no such team.
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

/// Creates an active API token for `team`: the plain token is returned to be shown this
/// once; only its hash is stored.
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
