//! `/api/v1/organizers/{organizer}/teams/` and `/teams/{team}/tokens/` (docs/api-compatibility.md):
//! teams with their permissions and event limits, and their API tokens, which are shown once
//! and only ever deactivated. Everything needs `can_change_teams`, reading included.

use super::resource::{not_found, Delete, InOrganizer, Resource};
use super::{organizer_context, organizer_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{self, FieldReader, REQUIRED};
use crate::openapi::{integer_schema, paged, Auth, Doc};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::{EventScope, Permission};
use presale_domain::ids::{TeamId, TokenId};
use presale_domain::organizer::Organizer;
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::team::{
    create_api_token, create_team, update_team, TeamError, TeamFields, TEAM_NOT_FOUND,
    TOKEN_NOT_FOUND,
};
use presale_domain::team::{ApiToken, TeamChanges, TeamWithEvents};
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

const TEAMS: Needs = Needs {
    read: Some(Permission::ChangeTeams),
    write: Some(Permission::ChangeTeams),
    device_read: false,
};

pub(super) struct Teams;

impl Resource for Teams {
    type Scope = InOrganizer;
    type Id = TeamId;
    type Entity = TeamWithEvents;
    type Changes = (TeamChanges, FieldErrors);
    type Filter = ();
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "teams";
    const NOUNS: [&'static str; 2] = ["team", "teams"];
    const NEEDS: Needs = TEAMS;
    const NOT_FOUND: &'static str = TEAM_NOT_FOUND;

    fn read(body: &Map<String, Value>) -> (TeamChanges, FieldErrors) {
        read_changes(body)
    }

    fn render<'a>(team: &'a TeamWithEvents, _: &'a InOrganizer) -> Body<'a> {
        render(team)
    }

    async fn list(
        store: &dyn Store,
        scope: &InOrganizer,
        _: (),
        window: Window,
    ) -> Result<Page<TeamWithEvents>, RepositoryError> {
        store.teams().list(scope.organizer.id, window).await
    }

    async fn find(
        store: &dyn Store,
        scope: &InOrganizer,
        id: TeamId,
    ) -> Result<Option<TeamWithEvents>, RepositoryError> {
        store.teams().find(scope.organizer.id, id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InOrganizer,
        (changes, errors): (TeamChanges, FieldErrors),
    ) -> Result<TeamWithEvents, ApiError> {
        let (fields, errors) = changes.apply_to(TeamFields::default(), WriteMode::Create, errors);
        let (organizers, teams) = (store.organizers(), store.teams());
        Ok(create_team(organizers, teams, scope.organizer.id, fields, errors).await?)
    }

    /// The rule on `all_events`/`limit_events` applies to the result of the change.
    async fn update(
        store: &dyn Store,
        scope: &InOrganizer,
        current: &TeamWithEvents,
        (changes, errors): (TeamChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<TeamWithEvents, ApiError> {
        let (fields, errors) = changes.apply_to(current.fields(), mode, errors);
        let (organizers, teams) = (store.organizers(), store.teams());
        let id = current.team.id;
        update_team(organizers, teams, scope.organizer.id, id, fields, errors)
            .await?
            .ok_or_else(not_found::<Self>)
    }

    /// The team's tokens, which keep their own handlers: they are only ever created, shown
    /// and deactivated (a DELETE that answers 200 with the token).
    fn more_routes(cfg: &mut web::ServiceConfig) {
        cfg.service(
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

    fn describe_more(doc: &mut Doc) {
        describe_tokens(doc);
    }
}

/// The team's tokens, as [`Teams::more_routes`] mounts them.
fn describe_tokens(doc: &mut Doc) {
    let token = doc.schema::<TokenBody<'static>>();
    let page = doc.page_of::<TokenBody<'static>>();
    let tokens = "/organizers/{organizer}/teams/{team}/tokens/";
    let one = "/organizers/{organizer}/teams/{team}/tokens/{token}/";
    let team = integer_schema;
    doc.op(
        HttpMethod::Get,
        tokens,
        "team_tokens_list",
        "teams",
        "List a team's API tokens",
        Auth::Token,
    )
    .path_param("team", team())
    .query(paged())
    .answer(200, "A page of tokens (without their secret).", Some(page))
    .add();
    doc.op(
        HttpMethod::Post,
        tokens,
        "team_tokens_create",
        "teams",
        "Create an API token for a team",
        Auth::Token,
    )
    .path_param("team", team())
    .body(token.clone())
    .answer(
        201,
        "The new token, with its secret `token` (shown only here).",
        Some(token.clone()),
    )
    .add();
    doc.op(
        HttpMethod::Get,
        one,
        "team_tokens_read",
        "teams",
        "Show a team's API token",
        Auth::Token,
    )
    .path_param("team", team())
    .path_param("token", team())
    .answer(200, "The token (without its secret).", Some(token.clone()))
    .add();
    doc.op(
        HttpMethod::Delete,
        one,
        "team_tokens_deactivate",
        "teams",
        "Deactivate a team's API token",
        Auth::Token,
    )
    .path_param("team", team())
    .path_param("token", team())
    .answer(200, "The token, deactivated.", Some(token))
    .add();
}

impl Delete for Teams {
    /// The team's tokens go with it.
    async fn delete(store: &dyn Store, scope: &InOrganizer, id: TeamId) -> Result<(), ApiError> {
        if store.teams().delete(scope.organizer.id, id).await? {
            Ok(())
        } else {
            Err(not_found::<Self>())
        }
    }
}

/// A team as JSON: `id, name, all_events, limit_events`, then every permission flag in
/// pretix's order.
pub struct Body<'a>(&'a TeamWithEvents);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut map = serializer.serialize_map(Some(4 + Permission::ALL.len()))?;
        map.serialize_entry("id", &t.team.id.0)?;
        map.serialize_entry("name", &t.team.name)?;
        map.serialize_entry("all_events", &(t.team.events == EventScope::All))?;
        map.serialize_entry("limit_events", &t.limit_events)?;
        for p in Permission::ALL {
            map.serialize_entry(p.name(), &t.team.permissions.contains(p))?;
        }
        map.end()
    }
}

/// `id, name, all_events, limit_events` and a boolean per permission, as [`Body`] writes them.
impl PartialSchema for Body<'_> {
    fn schema() -> RefOr<Schema> {
        let boolean = || ObjectBuilder::new().schema_type(Type::Boolean);
        let mut team = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "id",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .read_only(Some(true)),
            )
            .property("name", ObjectBuilder::new().schema_type(Type::String))
            .property("all_events", boolean())
            .property(
                "limit_events",
                ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
            )
            .required("id")
            .required("name");
        for p in Permission::ALL {
            team = team.property(p.name(), boolean());
        }
        RefOr::T(team.into())
    }
}

impl ToSchema for Body<'_> {
    fn name() -> Cow<'static, str> {
        "Team".into()
    }
}

pub fn render(t: &TeamWithEvents) -> Body<'_> {
    Body(t)
}

/// An API token as JSON; `token` is shown once, in the answer to its creation.
#[derive(Serialize, ToSchema)]
#[schema(as = ApiToken)]
pub struct TokenBody<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(min_length = 1)]
    name: &'a str,
    #[schema(read_only)]
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(read_only, required = false)]
    token: Option<&'a str>,
}

/// `id, name, active`.
pub fn render_token(t: &ApiToken) -> TokenBody<'_> {
    TokenBody {
        id: t.id.0,
        name: &t.name,
        active: t.active,
        token: None,
    }
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
/// The fields the body sends, and what was wrong with them (`id` is read-only and ignored).
pub fn read_changes(body: &Map<String, Value>) -> (TeamChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let mut changes = TeamChanges {
        name: r.read("name", |v| fields::string(v, false)),
        all_events: r.read("all_events", fields::boolean),
        limit_events: r.read("limit_events", fields::slug_list),
        permissions: Vec::new(),
    };
    for p in Permission::ALL {
        if let Some(on) = r.read(p.name(), fields::boolean) {
            changes.permissions.push((p, on));
        }
    }
    (changes, r.errors)
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
        .ok_or_else(not_found::<Teams>)?;
    state
        .store
        .teams()
        .find(organizer.id, id)
        .await?
        .map(|t| t.team.id)
        .ok_or_else(not_found::<Teams>)
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
        |t| t,
    )
    .await?;
    json_ok(&envelope.map_results(render_token))
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
    let shown = TokenBody {
        token: Some(plain.as_str()),
        ..render_token(&token)
    };
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
