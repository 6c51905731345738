use super::{page, Database};
use crate::error::from_diesel;
use crate::schema::{api_tokens, events, team_limit_events, teams};
use async_trait::async_trait;
use diesel::prelude::*;
use presale_domain::access::{EventScope, Permission, PermissionSet, Team, TokenHash};
use presale_domain::ids::OrganizerId;
use presale_domain::ids::{EventId, TeamId, TokenId};
use presale_domain::pagination::{Page, Window};
use presale_domain::team::{ApiToken, NewTeam, TeamRepository, TeamWithEvents, TokenRepository};
use presale_domain::RepositoryError;

use crate::connection::DbConnection;
use crate::dialect::per_backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = teams)]
struct TeamRow {
    id: i64,
    organizer_id: i64,
    name: String,
    all_events: bool,
    can_create_events: bool,
    can_change_teams: bool,
    can_change_organizer_settings: bool,
    can_manage_gift_cards: bool,
    can_change_event_settings: bool,
    can_change_items: bool,
    can_view_orders: bool,
    can_change_orders: bool,
    can_view_vouchers: bool,
    can_change_vouchers: bool,
    can_checkin_orders: bool,
    can_manage_customers: bool,
    can_manage_reusable_media: bool,
}

impl TeamRow {
    /// The flags in [`Permission::ALL`] order.
    fn flags(&self) -> [bool; 13] {
        [
            self.can_create_events,
            self.can_change_teams,
            self.can_change_organizer_settings,
            self.can_manage_gift_cards,
            self.can_change_event_settings,
            self.can_change_items,
            self.can_view_orders,
            self.can_change_orders,
            self.can_view_vouchers,
            self.can_change_vouchers,
            self.can_checkin_orders,
            self.can_manage_customers,
            self.can_manage_reusable_media,
        ]
    }

    fn into_team(self, limit_events: Vec<EventId>) -> Team {
        let permissions = Permission::ALL
            .into_iter()
            .zip(self.flags())
            .filter_map(|(p, on)| on.then_some(p))
            .collect();
        Team {
            id: TeamId(self.id),
            organizer: OrganizerId(self.organizer_id),
            name: self.name,
            permissions,
            events: if self.all_events {
                EventScope::All
            } else {
                EventScope::Limited(limit_events)
            },
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = teams)]
pub(super) struct NewTeamRow<'a> {
    organizer_id: i64,
    name: &'a str,
    all_events: bool,
    can_create_events: bool,
    can_change_teams: bool,
    can_change_organizer_settings: bool,
    can_manage_gift_cards: bool,
    can_change_event_settings: bool,
    can_change_items: bool,
    can_view_orders: bool,
    can_change_orders: bool,
    can_view_vouchers: bool,
    can_change_vouchers: bool,
    can_checkin_orders: bool,
    can_manage_customers: bool,
    can_manage_reusable_media: bool,
}

impl<'a> NewTeamRow<'a> {
    pub(super) fn new(team: &'a NewTeam) -> Self {
        let p: &PermissionSet = &team.permissions;
        NewTeamRow {
            organizer_id: team.organizer.0,
            name: &team.name,
            all_events: team.events == EventScope::All,
            can_create_events: p.contains(Permission::CreateEvents),
            can_change_teams: p.contains(Permission::ChangeTeams),
            can_change_organizer_settings: p.contains(Permission::ChangeOrganizerSettings),
            can_manage_gift_cards: p.contains(Permission::ManageGiftCards),
            can_change_event_settings: p.contains(Permission::ChangeEventSettings),
            can_change_items: p.contains(Permission::ChangeItems),
            can_view_orders: p.contains(Permission::ViewOrders),
            can_change_orders: p.contains(Permission::ChangeOrders),
            can_view_vouchers: p.contains(Permission::ViewVouchers),
            can_change_vouchers: p.contains(Permission::ChangeVouchers),
            can_checkin_orders: p.contains(Permission::CheckinOrders),
            can_manage_customers: p.contains(Permission::ManageCustomers),
            can_manage_reusable_media: p.contains(Permission::ManageReusableMedia),
        }
    }
}

/// The limit events (id, slug) of these teams, in one query, ordered by slug then id.
fn limit_events_of(
    conn: &mut DbConnection,
    team_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>, RepositoryError> {
    if team_ids.is_empty() {
        return Ok(Vec::new());
    }
    team_limit_events::table
        .inner_join(events::table)
        .filter(team_limit_events::team_id.eq_any(team_ids))
        .order((events::slug.asc(), events::id.asc()))
        .select((team_limit_events::team_id, events::id, events::slug))
        .load(conn)
        .map_err(from_diesel)
}

/// Teams from their rows, with their event limits loaded for all of them at once.
fn load_teams(
    conn: &mut DbConnection,
    rows: Vec<TeamRow>,
) -> Result<Vec<TeamWithEvents>, RepositoryError> {
    let limited: Vec<i64> = rows
        .iter()
        .filter(|r| !r.all_events)
        .map(|r| r.id)
        .collect();
    let limits = limit_events_of(conn, &limited)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine: Vec<_> = limits.iter().filter(|(t, _, _)| *t == row.id).collect();
            let mut ids: Vec<EventId> = mine.iter().map(|(_, e, _)| EventId(*e)).collect();
            ids.sort();
            let slugs = mine.iter().map(|(_, _, s)| s.clone()).collect();
            TeamWithEvents {
                team: row.into_team(ids),
                limit_events: slugs,
            }
        })
        .collect())
}

/// Loads the event limits of a team whose row is already read.
fn load_team(conn: &mut DbConnection, row: TeamRow) -> Result<Team, RepositoryError> {
    let mut teams = load_teams(conn, vec![row])?;
    teams
        .pop()
        .map(|t| t.team)
        .ok_or_else(|| RepositoryError::Internal("team vanished while loading".into()))
}

#[async_trait]
impl TeamRepository for Database {
    async fn create(&self, team: NewTeam) -> Result<Team, RepositoryError> {
        self.write(move |conn| {
            let mut limit: Vec<i64> = match &team.events {
                EventScope::All => Vec::new(),
                EventScope::Limited(ids) => ids.iter().map(|e| e.0).collect(),
            };
            limit.sort_unstable();
            limit.dedup();
            // Checked before anything is written, so a refused team leaves no row behind;
            // an event deleted meanwhile fails the foreign key and rolls everything back.
            let own: i64 = events::table
                .filter(events::organizer_id.eq(team.organizer.0))
                .filter(events::id.eq_any(&limit))
                .count()
                .get_result(conn)
                .map_err(from_diesel)?;
            if usize::try_from(own).ok() != Some(limit.len()) {
                return Err(RepositoryError::Conflict(
                    "limit_events names an event of another organizer".into(),
                ));
            }
            let row = conn
                .transaction(|conn| {
                    let row = diesel::insert_into(teams::table)
                        .values(NewTeamRow::new(&team))
                        .returning(teams::all_columns)
                        .get_result::<TeamRow>(conn)?;
                    if !limit.is_empty() {
                        let links: Vec<_> = limit
                            .iter()
                            .map(|e| {
                                (
                                    team_limit_events::team_id.eq(row.id),
                                    team_limit_events::event_id.eq(*e),
                                )
                            })
                            .collect();
                        let insert = diesel::insert_into(team_limit_events::table).values(links);
                        per_backend!(conn, |c| insert.execute(c))?;
                    }
                    Ok(row)
                })
                .map_err(from_diesel)?;
            Ok(row.into_team(limit.into_iter().map(EventId).collect()))
        })
        .await
    }

    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<TeamWithEvents>, RepositoryError> {
        self.read(move |conn| {
            let of_organizer = teams::table.filter(teams::organizer_id.eq(organizer.0));
            let rows = of_organizer
                .order(teams::id.asc())
                .select(TeamRow::as_select());
            page(conn, of_organizer.count(), rows, window, load_teams)
        })
        .await
    }

    async fn find(
        &self,
        organizer: OrganizerId,
        id: TeamId,
    ) -> Result<Option<TeamWithEvents>, RepositoryError> {
        self.read(move |conn| {
            let rows = teams::table
                .filter(teams::organizer_id.eq(organizer.0))
                .filter(teams::id.eq(id.0))
                .select(TeamRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            Ok(load_teams(conn, rows)?.pop())
        })
        .await
    }

    async fn find_by_name(
        &self,
        organizer: OrganizerId,
        name: &str,
    ) -> Result<Vec<Team>, RepositoryError> {
        let name = name.to_owned();
        self.read(move |conn| {
            let rows = teams::table
                .filter(teams::organizer_id.eq(organizer.0))
                .filter(teams::name.eq(&name))
                .order(teams::id.asc())
                .select(TeamRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            rows.into_iter().map(|r| load_team(conn, r)).collect()
        })
        .await
    }

    async fn update(&self, id: TeamId, team: NewTeam) -> Result<Option<Team>, RepositoryError> {
        self.write(move |conn| {
            let limit = limit_ids(&team.events);
            check_own_events(conn, team.organizer, &limit)?;
            let row = conn
                .transaction(|conn| {
                    let row = diesel::update(
                        teams::table
                            .filter(teams::organizer_id.eq(team.organizer.0))
                            .filter(teams::id.eq(id.0)),
                    )
                    .set(NewTeamRow::new(&team))
                    .returning(teams::all_columns)
                    .get_result::<TeamRow>(conn)
                    .optional()?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    diesel::delete(
                        team_limit_events::table.filter(team_limit_events::team_id.eq(row.id)),
                    )
                    .execute(conn)?;
                    insert_limits(conn, row.id, &limit)?;
                    Ok::<_, diesel::result::Error>(Some(row))
                })
                .map_err(from_diesel)?;
            Ok(row.map(|row| row.into_team(limit.into_iter().map(EventId).collect())))
        })
        .await
    }

    async fn delete(&self, organizer: OrganizerId, id: TeamId) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                let owned = teams::table
                    .filter(teams::organizer_id.eq(organizer.0))
                    .filter(teams::id.eq(id.0));
                // Tokens and event limits go explicitly, not only through the foreign keys'
                // cascade, so that no token ever outlives its team.
                diesel::delete(
                    api_tokens::table.filter(api_tokens::team_id.eq_any(owned.select(teams::id))),
                )
                .execute(conn)?;
                diesel::delete(
                    team_limit_events::table
                        .filter(team_limit_events::team_id.eq_any(owned.select(teams::id))),
                )
                .execute(conn)?;
                diesel::delete(owned).execute(conn).map(|n| n > 0)
            })
            .map_err(from_diesel)
        })
        .await
    }
}

/// The distinct event ids of a scope, sorted (none for all events).
fn limit_ids(events: &EventScope) -> Vec<i64> {
    let mut limit: Vec<i64> = match events {
        EventScope::All => Vec::new(),
        EventScope::Limited(ids) => ids.iter().map(|e| e.0).collect(),
    };
    limit.sort_unstable();
    limit.dedup();
    limit
}

/// `Conflict` unless every event in `limit` belongs to `organizer`.
fn check_own_events(
    conn: &mut DbConnection,
    organizer: OrganizerId,
    limit: &[i64],
) -> Result<(), RepositoryError> {
    if limit.is_empty() {
        return Ok(());
    }
    let own: i64 = events::table
        .filter(events::organizer_id.eq(organizer.0))
        .filter(events::id.eq_any(limit))
        .count()
        .get_result(conn)
        .map_err(from_diesel)?;
    if usize::try_from(own).ok() == Some(limit.len()) {
        Ok(())
    } else {
        Err(RepositoryError::Conflict(
            "limit_events names an event of another organizer".into(),
        ))
    }
}

/// Links the team to the events in `limit`, in one statement.
pub(super) fn insert_limits(
    conn: &mut DbConnection,
    team: i64,
    limit: &[i64],
) -> Result<(), diesel::result::Error> {
    if limit.is_empty() {
        return Ok(());
    }
    let links: Vec<_> = limit
        .iter()
        .map(|e| {
            (
                team_limit_events::team_id.eq(team),
                team_limit_events::event_id.eq(*e),
            )
        })
        .collect();
    let insert = diesel::insert_into(team_limit_events::table).values(links);
    per_backend!(conn, |c| insert.execute(c)).map(drop)
}

type TokenColumns = (
    api_tokens::id,
    api_tokens::team_id,
    api_tokens::name,
    api_tokens::active,
);

const TOKEN_COLUMNS: TokenColumns = (
    api_tokens::id,
    api_tokens::team_id,
    api_tokens::name,
    api_tokens::active,
);

fn api_token((id, team, name, active): (i64, i64, String, bool)) -> ApiToken {
    ApiToken {
        id: TokenId(id),
        team: TeamId(team),
        name,
        active,
    }
}

impl Database {
    async fn token_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<(ApiToken, Team)>, RepositoryError> {
        self.read(move |conn| {
            let found = api_tokens::table
                .inner_join(teams::table)
                .filter(api_tokens::token_hash.eq(hash.to_hex()))
                .select((
                    (
                        api_tokens::id,
                        api_tokens::team_id,
                        api_tokens::name,
                        api_tokens::active,
                    ),
                    TeamRow::as_select(),
                ))
                .first::<((i64, i64, String, bool), TeamRow)>(conn)
                .optional()
                .map_err(from_diesel)?;
            let Some(((id, team_id, name, active), row)) = found else {
                return Ok(None);
            };
            let token = ApiToken {
                id: TokenId(id),
                team: TeamId(team_id),
                name,
                active,
            };
            Ok(Some((token, load_team(conn, row)?)))
        })
        .await
    }
}

#[async_trait]
impl TokenRepository for Database {
    async fn find_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<(ApiToken, Team)>, RepositoryError> {
        let cache = self.cache.clone();
        let key = hash.to_hex();
        cache
            .read_through(&cache.tokens, key, || self.token_by_hash(hash))
            .await
    }

    async fn create(
        &self,
        team: TeamId,
        name: &str,
        hash: TokenHash,
    ) -> Result<ApiToken, RepositoryError> {
        let name = name.to_owned();
        self.write(move |conn| {
            let (id, active) = diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::team_id.eq(team.0),
                    api_tokens::name.eq(&name),
                    api_tokens::token_hash.eq(hash.to_hex()),
                    api_tokens::active.eq(true),
                ))
                .returning((api_tokens::id, api_tokens::active))
                .get_result::<(i64, bool)>(conn)
                .map_err(from_diesel)?;
            Ok(ApiToken {
                id: TokenId(id),
                team,
                name,
                active,
            })
        })
        .await
    }

    async fn list(&self, team: TeamId, window: Window) -> Result<Page<ApiToken>, RepositoryError> {
        self.read(move |conn| {
            let of_team = api_tokens::table.filter(api_tokens::team_id.eq(team.0));
            let rows = of_team
                .order((api_tokens::name.asc(), api_tokens::id.asc()))
                .select(TOKEN_COLUMNS);
            page(conn, of_team.count(), rows, window, |_, rows| {
                Ok(rows.into_iter().map(api_token).collect())
            })
        })
        .await
    }

    async fn find(&self, team: TeamId, id: TokenId) -> Result<Option<ApiToken>, RepositoryError> {
        self.read(move |conn| {
            api_tokens::table
                .filter(api_tokens::team_id.eq(team.0))
                .filter(api_tokens::id.eq(id.0))
                .select(TOKEN_COLUMNS)
                .first::<(i64, i64, String, bool)>(conn)
                .optional()
                .map(|row| row.map(api_token))
                .map_err(from_diesel)
        })
        .await
    }

    async fn hash(&self, id: TokenId) -> Result<Option<TokenHash>, RepositoryError> {
        self.read(move |conn| {
            let hex: Option<String> = api_tokens::table
                .find(id.0)
                .select(api_tokens::token_hash)
                .first(conn)
                .optional()
                .map_err(from_diesel)?;
            Ok(hex.as_deref().and_then(TokenHash::from_hex))
        })
        .await
    }

    async fn update(
        &self,
        id: TokenId,
        team: TeamId,
        name: &str,
        active: bool,
    ) -> Result<Option<ApiToken>, RepositoryError> {
        let name = name.to_owned();
        self.write(move |conn| {
            diesel::update(api_tokens::table.find(id.0))
                .set((
                    api_tokens::team_id.eq(team.0),
                    api_tokens::name.eq(name),
                    api_tokens::active.eq(active),
                ))
                .returning(TOKEN_COLUMNS)
                .get_result::<(i64, i64, String, bool)>(conn)
                .optional()
                .map(|row| row.map(api_token))
                .map_err(from_diesel)
        })
        .await
    }

    async fn deactivate(
        &self,
        team: TeamId,
        id: TokenId,
    ) -> Result<Option<ApiToken>, RepositoryError> {
        self.write(move |conn| {
            diesel::update(
                api_tokens::table
                    .filter(api_tokens::team_id.eq(team.0))
                    .filter(api_tokens::id.eq(id.0)),
            )
            .set(api_tokens::active.eq(false))
            .returning(TOKEN_COLUMNS)
            .get_result::<(i64, i64, String, bool)>(conn)
            .optional()
            .map(|row| row.map(api_token))
            .map_err(from_diesel)
        })
        .await
    }
}
