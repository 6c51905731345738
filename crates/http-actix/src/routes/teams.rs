//! `/api/v1/organizers/{organizer}/teams/` (read; writing comes with the teams API).

use super::{organizer_context, organizer_resource, read, Needs};
use crate::error::{json_ok, ApiError};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::auth::{EventScope, Permission, TeamId, TeamWithEvents};
use serde_json::{Map, Value};

const TEAMS: Needs = Needs {
    read: Some(Permission::ChangeTeams),
    write: Some(Permission::ChangeTeams),
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource("/organizers/{organizer}/teams/", "GET, HEAD", TEAMS)
            .route(read().to(list)),
    )
    .service(
        organizer_resource("/organizers/{organizer}/teams/{team}/", "GET, HEAD", TEAMS)
            .route(read().to(detail)),
    );
}

/// `id, name, all_events, limit_events`, then every permission flag in pretix's order.
fn render(t: &TeamWithEvents) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), t.team.id.0.into());
    map.insert("name".into(), t.team.name.clone().into());
    map.insert(
        "all_events".into(),
        (t.team.events == EventScope::All).into(),
    );
    map.insert("limit_events".into(), t.limit_events.clone().into());
    for p in Permission::ALL {
        map.insert(p.name().into(), t.team.permissions.contains(p).into());
    }
    Value::Object(map)
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.ports.teams.list(organizer.id, window),
        |t| render(&t),
    )
    .await?;
    json_ok(&envelope)
}

/// A team id from the path: a non-number is `Not found.`, as in pretix.
pub(crate) fn team_id(req: &HttpRequest) -> Result<TeamId, ApiError> {
    req.match_info()
        .get("team")
        .and_then(|s| s.parse::<i64>().ok())
        .map(TeamId)
        .ok_or_else(ApiError::not_found)
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let id = team_id(&req)?;
    let team = state
        .ports
        .teams
        .find(organizer.id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No Team matches the given query.".into()))?;
    json_ok(&render(&team))
}
