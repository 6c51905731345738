//! `/api/v1/organizers/{organizer}/teams/` and `/teams/{team}/tokens/` (docs/api-compatibility.md):
//! teams with their permissions and event limits, and their API tokens, which are shown once
//! and only ever deactivated. Everything needs `can_change_teams`, reading included.

use super::{organizer_context, organizer_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{self, REQUIRED};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::{EventScope, Permission, PermissionSet};
use presale_domain::ids::{TeamId, TokenId};
use presale_domain::organizer::Organizer;
use presale_domain::team::{
    create_api_token, create_team, update_team, TeamError, TeamFields, TEAM_NOT_FOUND,
    TOKEN_NOT_FOUND,
};
use presale_domain::team::{ApiToken, TeamWithEvents};
use presale_domain::validation::FieldErrors;
use serde_json::{json, Map, Value};

const TEAMS: Needs = Needs {
    read: Some(Permission::ChangeTeams),
    write: Some(Permission::ChangeTeams),
    device_read: false,
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource("/organizers/{organizer}/teams/", "GET, POST, HEAD", TEAMS)
            .route(read().to(list))
            .route(web::post().to(create)),
    )
    .service(
        organizer_resource(
            "/organizers/{organizer}/teams/{team}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            TEAMS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    )
    .service(
        organizer_resource(
            "/organizers/{organizer}/teams/{team}/tokens/",
            "GET, POST, HEAD",
            TEAMS,
        )
        .route(read().to(token_list))
        .route(web::post().to(token_create)),
    )
    .service(
        organizer_resource(
            "/organizers/{organizer}/teams/{team}/tokens/{token}/",
            "GET, DELETE, HEAD",
            TEAMS,
        )
        .route(read().to(token_detail))
        .route(web::delete().to(token_deactivate)),
    );
}

/// `id, name, all_events, limit_events`, then every permission flag in pretix's order.
pub fn render(t: &TeamWithEvents) -> Value {
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

/// `id, name, active`.
pub fn render_token(t: &ApiToken) -> Value {
    json!({"id": t.id.0, "name": t.name, "active": t.active})
}

impl From<TeamError> for ApiError {
    fn from(e: TeamError) -> Self {
        match e {
            TeamError::Invalid(errors) => errors.into(),
            TeamError::Repository(r) => r.into(),
        }
    }
}

/// The field's value if the body has it; an absent field the request must carry records
/// `This field is required.`.
fn sent<'a>(
    body: &'a Map<String, Value>,
    field: &str,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<&'a Value> {
    let value = body.get(field);
    if value.is_none() && required {
        errors.add(field, REQUIRED);
    }
    value
}

/// Applies the body's fields to `fields`. `full` (create, PUT) requires `name` and
/// `limit_events`, as pretix does; other fields left out keep their value (PATCH changes only
/// what is sent). `id` is read-only and ignored. The errors found here go to the use case,
/// which adds the name and event rules and reports them all in field order.
pub fn read_fields(
    body: &Map<String, Value>,
    mut fields: TeamFields,
    full: bool,
) -> (TeamFields, FieldErrors) {
    let mut errors = FieldErrors::new();
    if let Some(v) = sent(body, "name", full, &mut errors) {
        match fields::string(v, false) {
            Ok(name) => fields.name = name,
            Err(e) => errors.add("name", e),
        }
    }
    if let Some(v) = sent(body, "all_events", false, &mut errors) {
        match fields::boolean(v) {
            Ok(b) => fields.all_events = b,
            Err(e) => errors.add("all_events", e),
        }
    }
    if let Some(v) = sent(body, "limit_events", full, &mut errors) {
        match fields::slug_list(v) {
            Ok(slugs) => fields.limit_events = slugs,
            Err(e) => errors.add("limit_events", e),
        }
    }
    let mut permissions = PermissionSet::none();
    for p in Permission::ALL {
        let on = match sent(body, p.name(), false, &mut errors).map(fields::boolean) {
            Some(Ok(on)) => on,
            Some(Err(e)) => {
                errors.add(p.name(), e);
                fields.permissions.contains(p)
            }
            None => fields.permissions.contains(p),
        };
        if on {
            permissions.insert(p);
        }
    }
    fields.permissions = permissions;
    (fields, errors)
}

/// A team id from the path of the team itself: a non-number is `Not found.`, as in pretix.
fn team_id(req: &HttpRequest) -> Result<TeamId, ApiError> {
    req.match_info()
        .get("team")
        .and_then(|s| s.parse::<i64>().ok())
        .map(TeamId)
        .ok_or_else(ApiError::not_found)
}

fn team_not_found() -> ApiError {
    ApiError::NotFound(TEAM_NOT_FOUND.into())
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.store.teams().list(organizer.id, window),
        |t| render(&t),
    )
    .await?;
    json_ok(&envelope)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (fields, errors) = read_fields(&body, TeamFields::default(), true);
    let created = create_team(
        state.store.organizers(),
        state.store.teams(),
        organizer.id,
        fields,
        errors,
    )
    .await?;
    json_response(StatusCode::CREATED, &render(&created))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let id = team_id(&req)?;
    let team = state
        .store
        .teams()
        .find(organizer.id, id)
        .await?
        .ok_or_else(team_not_found)?;
    json_ok(&render(&team))
}

async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, true).await
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, false).await
}

/// PUT (`full`) and PATCH: the team is looked up before the body is read, as in pretix, and
/// the rule on `all_events`/`limit_events` applies to the result of the change.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    full: bool,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let id = team_id(&req)?;
    let existing = state
        .store
        .teams()
        .find(organizer.id, id)
        .await?
        .ok_or_else(team_not_found)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (fields, errors) = read_fields(&body, existing.fields(), full);
    let updated = update_team(
        state.store.organizers(),
        state.store.teams(),
        organizer.id,
        id,
        fields,
        errors,
    )
    .await?
    .ok_or_else(team_not_found)?;
    json_ok(&render(&updated))
}

/// 204; the team's tokens go with it.
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let id = team_id(&req)?;
    if state.store.teams().delete(organizer.id, id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(team_not_found())
    }
}

/// The team a token route is nested in: unknown, of another organizer or not a number, it is
/// `No Team matches the given query.` (pretix fails with a 500 on a non-number).
async fn parent_team(
    req: &HttpRequest,
    state: &AppState,
    organizer: &Organizer,
) -> Result<TeamId, ApiError> {
    let id = req
        .match_info()
        .get("team")
        .and_then(|s| s.parse::<i64>().ok())
        .map(TeamId)
        .ok_or_else(team_not_found)?;
    state
        .store
        .teams()
        .find(organizer.id, id)
        .await?
        .map(|t| t.team.id)
        .ok_or_else(team_not_found)
}

/// The token id from the path: a non-number is `Not found.`, as in pretix.
fn token_id(req: &HttpRequest) -> Result<TokenId, ApiError> {
    req.match_info()
        .get("token")
        .and_then(|s| s.parse::<i64>().ok())
        .map(TokenId)
        .ok_or_else(ApiError::not_found)
}

fn token_not_found() -> ApiError {
    ApiError::NotFound(TOKEN_NOT_FOUND.into())
}

/// The team's tokens, active or not, ordered by name.
async fn token_list(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let team = parent_team(&req, &state, &organizer).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.store.tokens().list(team, window),
        |t| render_token(&t),
    )
    .await?;
    json_ok(&envelope)
}

/// 201 with the extra field `token`: the only time the token is shown.
async fn token_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let team = parent_team(&req, &state, &organizer).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let name = match body.get("name") {
        None => return Err(ApiError::field("name", REQUIRED)),
        Some(v) => fields::string(v, false).map_err(|e| ApiError::field("name", e))?,
    };
    let (token, plain) = create_api_token(state.store.tokens(), team, &name).await?;
    let mut shown = render_token(&token);
    if let Value::Object(map) = &mut shown {
        map.insert("token".into(), plain.as_str().into());
    }
    json_response(StatusCode::CREATED, &shown)
}

async fn token_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let team = parent_team(&req, &state, &organizer).await?;
    let id = token_id(&req)?;
    let token = state
        .store
        .tokens()
        .find(team, id)
        .await?
        .ok_or_else(token_not_found)?;
    json_ok(&render_token(&token))
}

/// DELETE deactivates (the token is kept, and refused from now on) and answers 200 with it.
async fn token_deactivate(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, TEAMS).await?;
    let team = parent_team(&req, &state, &organizer).await?;
    let id = token_id(&req)?;
    let token = state
        .store
        .tokens()
        .deactivate(team, id)
        .await?
        .ok_or_else(token_not_found)?;
    json_ok(&render_token(&token))
}
