//! One resource of the API, declared once: a [`Resource`] names its parent ([`Scope`]), id,
//! entity, changes, permissions, not-found message, body reader and typed body ([`Delete`]
//! adds deleting a member); [`register`] mounts its collection and member paths with the
//! generic handlers below.
//!
//! The handlers keep pretix's order of checks: authentication and access to the parent first
//! (so an unsupported method is a 405 only after them), then the page and filters of a list,
//! the id of a member (a malformed one is `Not found.`), the stored member before a body is
//! read, and the body last.

use super::{event_context, event_resource, organizer_context, organizer_resource};
use super::{read, Endpoint, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_response, ApiError};
use crate::openapi::{integer_schema, Auth, Doc, Op};
use crate::pagination::{paginate, PageRequest};
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Resource as Route};
use presale_domain::event::Event;
use presale_domain::organizer::Organizer;
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::ToSchema;

/// The parent a resource lives under, taken from the request path and checked against the
/// credential (unknown or inaccessible parents are a 403, as in pretix).
pub(crate) trait Scope: Sized + 'static {
    /// The parent's path below `/api/v1`, with its placeholders, without a trailing slash.
    const PATH: &'static str;

    /// Authenticates the request and resolves the parent with the permission `needs` asks for
    /// the request's method.
    async fn resolve(req: &HttpRequest, needs: Needs) -> Result<Self, ApiError>;

    /// The schemas of the placeholders of [`Scope::PATH`] that are not slugs.
    fn path_params(op: Op<'_>) -> Op<'_> {
        op
    }

    /// A route at `path` whose unsupported methods answer 405 after the access checks.
    fn route(path: String, allow: &'static str, needs: Needs) -> Route<impl Endpoint>;
}

/// `/organizers/{organizer}`: the credential's access to one organizer.
pub(crate) struct InOrganizer {
    pub organizer: Organizer,
}

impl Scope for InOrganizer {
    const PATH: &'static str = "/organizers/{organizer}";

    async fn resolve(req: &HttpRequest, needs: Needs) -> Result<Self, ApiError> {
        let (_, organizer) = organizer_context(req, needs).await?;
        Ok(InOrganizer { organizer })
    }

    fn route(path: String, allow: &'static str, needs: Needs) -> Route<impl Endpoint> {
        organizer_resource(&path, allow, needs)
    }
}

/// `/organizers/{organizer}/events/{event}`: one event the credential may see.
pub(crate) struct InEvent {
    pub event: Event,
}

impl Scope for InEvent {
    const PATH: &'static str = "/organizers/{organizer}/events/{event}";

    async fn resolve(req: &HttpRequest, needs: Needs) -> Result<Self, ApiError> {
        let (_, _, event) = event_context(req, needs).await?;
        Ok(InEvent { event })
    }

    fn route(path: String, allow: &'static str, needs: Needs) -> Route<impl Endpoint> {
        event_resource(&path, allow, needs)
    }
}

/// A collection `{Scope::PATH}/{SEGMENT}/` and its members `.../{id}/`, with list, create,
/// detail, replace (PUT), partial update (PATCH) and delete.
pub(crate) trait Resource: Sized + 'static {
    type Scope: Scope;
    type Id: PathId;
    type Entity;
    /// What a body asks to change and the errors of the fields that could not be read, as
    /// [`Resource::read`] finds them; the use case reports those errors together with its own.
    type Changes;
    /// The list's filters and ordering, read from the query string.
    type Filter: Clone + Default;
    /// The JSON body of one entity, fields in pretix's order; its schema is the resource's
    /// in the API's document (read-only fields marked), for answers and request bodies alike.
    type Body<'a>: Serialize + ToSchema
    where
        Self: 'a;

    /// The collection's path segment: `quotas`.
    const SEGMENT: &'static str;
    /// The field of [`Resource::Body`] that holds the member's path id.
    const ID_FIELD: &'static str = "id";
    /// What one member and several are called in the document: `["quota", "quotas"]`.
    const NOUNS: [&'static str; 2];
    /// The permissions of reading and writing.
    const NEEDS: Needs;
    /// The detail of the 404 for an id that does not exist: `No Quota matches the given query.`
    const NOT_FOUND: &'static str;

    /// The id from its path segment; `None` (a malformed id) is a plain `Not found.`.
    fn id(segment: &str) -> Option<Self::Id> {
        Self::Id::from_segment(segment)
    }

    /// The list's filters; a bad value is a 400. None by default. The document lists what
    /// this asks of a recording query.
    fn filter(_query: &Query) -> Result<Self::Filter, ApiError> {
        Ok(Self::Filter::default())
    }

    /// Every writable field the body sent, and the errors of those that are malformed.
    fn read(body: &Map<String, Value>) -> Self::Changes;

    fn render<'a>(entity: &'a Self::Entity, scope: &'a Self::Scope) -> Self::Body<'a>;

    async fn list(
        store: &dyn Store,
        scope: &Self::Scope,
        filter: Self::Filter,
        window: Window,
    ) -> Result<Page<Self::Entity>, RepositoryError>;

    async fn find(
        store: &dyn Store,
        scope: &Self::Scope,
        id: Self::Id,
    ) -> Result<Option<Self::Entity>, RepositoryError>;

    async fn create(
        store: &dyn Store,
        scope: &Self::Scope,
        changes: Self::Changes,
    ) -> Result<Self::Entity, ApiError>;

    async fn update(
        store: &dyn Store,
        scope: &Self::Scope,
        current: &Self::Entity,
        changes: Self::Changes,
        mode: WriteMode,
    ) -> Result<Self::Entity, ApiError>;

    /// Further routes below the collection (`bulk_create/`), mounted before the member path
    /// so that `{id}` does not take them.
    fn more_routes(_cfg: &mut web::ServiceConfig) {}

    /// The operations of [`Resource::more_routes`], for the document.
    fn describe_more(_doc: &mut Doc) {}
}

/// A resource whose members can be deleted (`DELETE .../{id}/`, 204). A device is revoked
/// instead: it implements [`Resource`] alone and is mounted with [`register_without_delete`].
pub(crate) trait Delete: Resource {
    async fn delete(store: &dyn Store, scope: &Self::Scope, id: Self::Id) -> Result<(), ApiError>;
}

/// The 404 of a resource's unknown id.
pub(crate) fn not_found<R: Resource>() -> ApiError {
    ApiError::NotFound(R::NOT_FOUND.into())
}

/// An id as a member's path segment names it.
pub(crate) trait PathId: Sized {
    /// `None` (a malformed id) is a plain `Not found.`.
    fn from_segment(segment: &str) -> Option<Self>;

    /// The id's schema in the document.
    fn schema() -> Schema;
}

/// Numeric ids: what `i64` parses (pretix's routers match any digits, and a negative or
/// unknown id is then not found).
impl<T: presale_domain::ids::NumericId> PathId for T {
    fn from_segment(segment: &str) -> Option<Self> {
        segment.parse::<i64>().ok().map(T::from_number)
    }

    fn schema() -> Schema {
        integer_schema()
    }
}

/// A sales channel's identifier in a path: one pretix's router would match
/// (`[a-zA-Z0-9.\-_]+`).
pub(crate) struct Identifier(pub String);

impl PathId for Identifier {
    fn from_segment(segment: &str) -> Option<Self> {
        let valid = !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        valid.then(|| Identifier(segment.to_owned()))
    }

    fn schema() -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[a-zA-Z0-9.\-_]+$"))
            .into()
    }
}

/// Describes the operations [`register`] mounts.
pub(crate) fn describe<R: Delete>(doc: &mut Doc) {
    describe_operations::<R>(doc, true);
    let [noun, _] = R::NOUNS;
    R::Scope::path_params(doc.op(
        HttpMethod::Delete,
        &member_path::<R>(),
        &format!("{}_delete", R::SEGMENT),
        R::SEGMENT,
        &format!("Delete a {noun}"),
        Auth::Token,
    ))
    .path_param("id", R::Id::schema())
    .answer(204, "Deleted.", None)
    .add();
}

/// Describes the operations [`register_without_delete`] mounts: list, create, detail, PUT,
/// PATCH, and those of [`Resource::describe_more`].
pub(crate) fn describe_without_delete<R: Resource>(doc: &mut Doc) {
    describe_operations::<R>(doc, false);
}

/// List, create (linked to the operations on the member it made), detail, PUT, PATCH, and
/// those of [`Resource::describe_more`].
fn describe_operations<R: Resource>(doc: &mut Doc, deletable: bool) {
    let [noun, nouns] = R::NOUNS;
    let segment = R::SEGMENT;
    let (collection, member) = (collection_path::<R>(), member_path::<R>());
    let body = doc.schema::<R::Body<'static>>();
    let patched = doc.partial::<R::Body<'static>>();
    let page = doc.page_of::<R::Body<'static>>();
    let read = if R::NEEDS.device_read {
        Auth::TokenOrDevice
    } else {
        Auth::Token
    };
    let query = Query::recording();
    // What the handler reads, in its order; neither can fail on an empty query.
    let _ = R::filter(&query);
    let _ = PageRequest::from_query(&query);
    let id = || R::Id::schema();
    R::Scope::path_params(doc.op(
        HttpMethod::Get,
        &collection,
        &format!("{segment}_list"),
        segment,
        &format!("List the {nouns}"),
        read,
    ))
    .query(query.asked())
    .answer(200, &format!("A page of {nouns}."), Some(page))
    .add();
    R::Scope::path_params(doc.op(
        HttpMethod::Post,
        &collection,
        &format!("{segment}_create"),
        segment,
        &format!("Create a {noun}"),
        Auth::Token,
    ))
    .body(body.clone())
    .answer(201, &format!("The new {noun}."), Some(body.clone()))
    .link(201, &format!("{segment}_read"), R::ID_FIELD)
    .link(201, &format!("{segment}_update"), R::ID_FIELD)
    .link(201, &format!("{segment}_partial_update"), R::ID_FIELD)
    .link_if(deletable, 201, &format!("{segment}_delete"), R::ID_FIELD)
    .add();
    R::Scope::path_params(doc.op(
        HttpMethod::Get,
        &member,
        &format!("{segment}_read"),
        segment,
        &format!("Show a {noun}"),
        read,
    ))
    .path_param("id", id())
    .answer(200, &format!("The {noun}."), Some(body.clone()))
    .add();
    R::Scope::path_params(doc.op(
        HttpMethod::Put,
        &member,
        &format!("{segment}_update"),
        segment,
        &format!("Replace a {noun}'s fields"),
        Auth::Token,
    ))
    .path_param("id", id())
    .body(body.clone())
    .answer(200, &format!("The {noun}, changed."), Some(body.clone()))
    .add();
    R::Scope::path_params(doc.op(
        HttpMethod::Patch,
        &member,
        &format!("{segment}_partial_update"),
        segment,
        &format!("Change some of a {noun}'s fields"),
        Auth::Token,
    ))
    .path_param("id", id())
    .body(patched)
    .answer(200, &format!("The {noun}, changed."), Some(body))
    .add();
    R::describe_more(doc);
}

/// Mounts the collection and member paths of `R`, DELETE included.
pub(crate) fn register<R: Delete>(cfg: &mut web::ServiceConfig) {
    mount_collection::<R>(cfg);
    cfg.service(member::<R>("GET, PUT, PATCH, DELETE, HEAD").route(web::delete().to(delete::<R>)));
}

/// Mounts the collection and member paths of `R`, whose members are never deleted (a 405).
pub(crate) fn register_without_delete<R: Resource>(cfg: &mut web::ServiceConfig) {
    mount_collection::<R>(cfg);
    cfg.service(member::<R>("GET, PUT, PATCH, HEAD"));
}

fn collection_path<R: Resource>() -> String {
    format!("{}/{}/", <R::Scope as Scope>::PATH, R::SEGMENT)
}

/// The collection, then the further routes below it (before the member path, which would
/// take them for an id).
fn mount_collection<R: Resource>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        R::Scope::route(collection_path::<R>(), "GET, POST, HEAD", R::NEEDS)
            .route(read().to(list::<R>))
            .route(web::post().to(create::<R>)),
    );
    R::more_routes(cfg);
}

fn member_path<R: Resource>() -> String {
    format!("{}{{id}}/", collection_path::<R>())
}

fn member<R: Resource>(allow: &'static str) -> Route<impl Endpoint> {
    R::Scope::route(member_path::<R>(), allow, R::NEEDS)
        .route(read().to(detail::<R>))
        .route(web::put().to(replace::<R>))
        .route(web::patch().to(patch::<R>))
}

/// A response with `body`, which is taken by value so that it may borrow from the caller's
/// locals.
fn answer(status: StatusCode, body: impl Serialize) -> Result<HttpResponse, ApiError> {
    json_response(status, &body)
}

fn member_id<R: Resource>(req: &HttpRequest) -> Result<R::Id, ApiError> {
    req.match_info()
        .get("id")
        .and_then(R::id)
        .ok_or_else(ApiError::not_found)
}

async fn list<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let scope = R::Scope::resolve(&req, R::NEEDS).await?;
    // Filters before the page, as Django REST framework filters the rows it then pages.
    let query = Query::of(&req);
    let filter = R::filter(&query)?;
    let page = PageRequest::from_query(&query)?;
    let store = state.store.as_ref();
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| R::list(store, &scope, filter.clone(), window),
        |entity| entity,
    )
    .await?;
    answer(
        StatusCode::OK,
        envelope.map_results(|entity| R::render(entity, &scope)),
    )
}

async fn detail<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let scope = R::Scope::resolve(&req, R::NEEDS).await?;
    let id = member_id::<R>(&req)?;
    let entity = R::find(state.store.as_ref(), &scope, id)
        .await?
        .ok_or_else(not_found::<R>)?;
    answer(StatusCode::OK, R::render(&entity, &scope))
}

async fn create<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let scope = R::Scope::resolve(&req, R::NEEDS).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let created = R::create(state.store.as_ref(), &scope, R::read(&body)).await?;
    answer(StatusCode::CREATED, R::render(&created, &scope))
}

/// PUT and PATCH: the member is looked up before the body is read, as in pretix.
async fn update<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: WriteMode,
) -> Result<HttpResponse, ApiError> {
    let scope = R::Scope::resolve(&req, R::NEEDS).await?;
    let id = member_id::<R>(&req)?;
    let store = state.store.as_ref();
    let current = R::find(store, &scope, id)
        .await?
        .ok_or_else(not_found::<R>)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let updated = R::update(store, &scope, &current, R::read(&body), mode).await?;
    answer(StatusCode::OK, R::render(&updated, &scope))
}

async fn replace<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update::<R>(req, state, body, WriteMode::Replace).await
}

async fn patch<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update::<R>(req, state, body, WriteMode::Partial).await
}

/// 204.
async fn delete<R: Delete>(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let scope = R::Scope::resolve(&req, R::NEEDS).await?;
    let id = member_id::<R>(&req)?;
    R::delete(state.store.as_ref(), &scope, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
