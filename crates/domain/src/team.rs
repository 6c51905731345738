//! Teams and their API tokens as the REST API manages them (docs/api-compatibility.md): the field rules,
//! the event limits by slug, and tokens that are shown once and only ever deactivated.
//!
//! Team names need not be unique here (pretix does not require it); the command line's
//! [`crate::organizer::create_team`] keeps them unique so that tokens can be made by name.

use crate::auth::{
    ApiToken, EventId, EventScope, NewTeam, Permission, PermissionSet, PlainToken, TeamId,
    TeamRepository, TeamWithEvents, TokenRepository,
};
use crate::error::RepositoryError;
use crate::organizer::{OrganizerId, OrganizerRepository};
use crate::validation::FieldErrors;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{MockTeamRepository, MockTokenRepository, Team, TokenHash, TokenId};
    use crate::organizer::MockOrganizerRepository;

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
}
