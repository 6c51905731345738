//! `/api/v1/organizers/{organizer}/events/` and `.../events/{event}/`.

mod query;
pub(crate) mod wire;

use super::{
    event_context, event_resource, organizer_context, organizer_resource, read, Mount, Needs,
};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::openapi::{Auth, Doc};
use crate::pagination::{paginate, PageRequest};
use crate::query::Param;
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::EventScope;
use presale_domain::access::Permission;
use presale_domain::event::{self, EventError, EventPorts};
use presale_domain::organizer::Organizer;
use presale_domain::pagination::Page;
use presale_domain::write::WriteMode;
use utoipa::openapi::path::HttpMethod;
use wire::{render, View};

const COLLECTION: Needs = Needs {
    read: None,
    write: Some(Permission::CreateEvents),
    device_read: true,
};
const DETAIL: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeEventSettings),
    device_read: true,
};

pub(super) const MOUNT: Mount = Mount {
    configure,
    describe,
};

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource(
            "/organizers/{organizer}/events/",
            "GET, POST, HEAD",
            COLLECTION,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            DETAIL,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/clone/",
            "POST",
            CLONE,
        )
        .route(web::post().to(clone)),
    );
}

/// The list's parameters, as its readers ask for them.
fn list_parameters() -> Vec<Param> {
    let query = Query::recording();
    let _ = PageRequest::from_query(&query);
    let _ = availability_channel(&query);
    let _ = query::event_filter(&query, EventScope::All, &[]);
    query.asked()
}

fn describe(doc: &mut Doc) {
    let event = doc.schema::<wire::Body<'static>>();
    let patched = doc.partial::<wire::Body<'static>>();
    let page = doc.page_of::<wire::Body<'static>>();
    let (events, one) = (
        "/organizers/{organizer}/events/",
        "/organizers/{organizer}/events/{event}/",
    );
    let tag = "events";
    doc.op(
        HttpMethod::Get,
        events,
        "events_list",
        tag,
        "List the events the credential may see",
        Auth::TokenOrDevice,
    )
    .query(list_parameters())
    .answer(
        200,
        "A page of events. `attr[<meta property>]=<value>` filters by meta data.",
        Some(page),
    )
    .add();
    let clone_from = Query::recording();
    let _ = clone_from.get(CLONE_FROM);
    doc.op(
        HttpMethod::Post,
        events,
        "events_create",
        tag,
        "Create an event (never live), or copy one with `clone_from`",
        Auth::Token,
    )
    .query(clone_from.asked())
    .body(event.clone())
    .answer(201, "The new event.", Some(event.clone()))
    .add();
    doc.op(
        HttpMethod::Get,
        one,
        "events_read",
        tag,
        "Show an event",
        Auth::TokenOrDevice,
    )
    .answer(
        200,
        "The event, with its `valid_keys`.",
        Some(event.clone()),
    )
    .add();
    doc.op(
        HttpMethod::Put,
        one,
        "events_update",
        tag,
        "Replace an event's fields",
        Auth::Token,
    )
    .body(event.clone())
    .answer(200, "The event, changed.", Some(event.clone()))
    .add();
    doc.op(
        HttpMethod::Patch,
        one,
        "events_partial_update",
        tag,
        "Change some of an event's fields",
        Auth::Token,
    )
    .body(patched)
    .answer(200, "The event, changed.", Some(event.clone()))
    .add();
    doc.op(
        HttpMethod::Delete,
        one,
        "events_delete",
        tag,
        "Delete an event that has no orders",
        Auth::Token,
    )
    .answer(204, "Deleted.", None)
    .add();
    doc.op(
        HttpMethod::Post,
        &format!("{one}clone/"),
        "events_clone",
        tag,
        "Copy an event, with its products, quotas and settings, into a new one",
        Auth::Token,
    )
    .body(event.clone())
    .answer(201, "The new event.", Some(event))
    .add();
}

/// The query parameter of a create that copies an event.
const CLONE_FROM: &str = "clone_from";

/// `with_availability_for`, when given.
fn availability_channel(query: &Query) -> Option<&str> {
    query.get("with_availability_for").filter(|c| !c.is_empty())
}

const CLONE: Needs = Needs {
    read: None,
    write: Some(Permission::CreateEvents),
    device_read: false,
};

pub(crate) fn ports(state: &AppState) -> EventPorts<'_> {
    EventPorts::of(state.store.as_ref())
}

/// The organizer's sales channel identifiers, sorted, for the legacy `sales_channels` field.
async fn channel_identifiers(
    state: &AppState,
    organizer: &Organizer,
) -> Result<Vec<String>, ApiError> {
    let mut ids: Vec<String> = state
        .store
        .sales_channels()
        .all(organizer.id)
        .await?
        .into_iter()
        .map(|c| c.identifier)
        .collect();
    ids.sort();
    Ok(ids)
}

pub(crate) fn event_error(e: EventError) -> ApiError {
    match e {
        EventError::Invalid(errors) => errors.into(),
        EventError::Refused(detail) => ApiError::Forbidden(detail),
        EventError::Key(k) => ApiError::Internal(k.to_string()),
        EventError::Repository(r) => r.into(),
    }
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (principal, organizer) = organizer_context(&req, COLLECTION).await?;
    let page = PageRequest::from_request(&req)?;
    let query = Query::of(&req);
    let with_availability = match availability_channel(&query) {
        None => false,
        Some(channel) => {
            state
                .store
                .sales_channels()
                .find(organizer.id, channel)
                .await?
                .ok_or_else(ApiError::not_found)?;
            true
        }
    };
    let properties = if query.pairs().iter().any(|(k, _)| k.starts_with("attr[")) {
        state.store.meta_properties().all(organizer.id).await?
    } else {
        Vec::new()
    };
    let filter = query::event_filter(&query, principal.event_scope().clone(), &properties)?;
    let channels = channel_identifiers(&state, &organizer).await?;
    let base = state.base_url_for(&req);
    let view = View {
        base_url: &base,
        organizer_slug: organizer.slug.as_str(),
        organizer_channels: &channels,
        with_keys: false,
        with_availability,
    };
    let events = state.store.events();
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| {
            let filter = filter.clone();
            async move {
                let page = events.list(organizer.id, filter, window).await?;
                let sizes = if with_availability {
                    let ids = page.items.iter().map(|e| e.id).collect();
                    events.quota_sizes(ids).await?
                } else {
                    Vec::new()
                };
                let items = page
                    .items
                    .into_iter()
                    .map(|e| {
                        let mine: Vec<Option<i64>> = sizes
                            .iter()
                            .filter(|(id, _)| *id == e.id)
                            .map(|(_, s)| *s)
                            .collect();
                        (e, event::best_availability(&mine))
                    })
                    .collect();
                Ok(Page {
                    total: page.total,
                    items,
                })
            }
        },
        |pair| pair,
    )
    .await?;
    json_ok(&envelope.map_results(|(e, availability)| render(e, &view, *availability)))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer, event) = event_context(&req, DETAIL).await?;
    respond(&req, &state, &organizer, &event, StatusCode::OK, true).await
}

async fn respond(
    req: &HttpRequest,
    state: &AppState,
    organizer: &Organizer,
    event: &event::Event,
    status: StatusCode,
    with_keys: bool,
) -> Result<HttpResponse, ApiError> {
    let channels = channel_identifiers(state, organizer).await?;
    let base = state.base_url_for(req);
    let view = View {
        base_url: &base,
        organizer_slug: organizer.slug.as_str(),
        organizer_channels: &channels,
        with_keys,
        with_availability: false,
    };
    json_response(status, &render(event, &view, None))
}

/// An event as the API shows it, without request context (no `valid_keys`, and links and
/// the legacy `sales_channels` as for an organizer without channels): for fixture exports.
pub fn render_detached(
    event: &presale_domain::event::Event,
    organizer_slug: &str,
) -> serde_json::Value {
    let view = View {
        base_url: "",
        organizer_slug,
        organizer_channels: &[],
        with_keys: false,
        with_availability: false,
    };
    serde_json::to_value(render(event, &view, None)).unwrap_or_default()
}

/// `POST /events/`, or a clone with `?clone_from=<event>` (or `<organizer>/<event>`).
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (principal, organizer) = organizer_context(&req, COLLECTION).await?;
    let source = match Query::of(&req).get(CLONE_FROM) {
        None => None,
        Some(reference) => {
            let not_found = || ApiError::field("clone_from", "Event to copy from was not found");
            let slug = match reference.split_once('/') {
                Some((org, slug)) if org == organizer.slug.as_str() => slug,
                Some(_) => return Err(not_found()),
                None => reference,
            };
            let found = state
                .store
                .events()
                .find_by_slug(organizer.id, slug)
                .await?
                .filter(|e| principal.can_access_event(e.id))
                .ok_or_else(not_found)?;
            Some(found)
        }
    };
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = wire::event_changes(&body);
    // What the checks read stays true until the event is written.
    let tx = state.store.begin().await?;
    let ports = EventPorts::of(tx.as_ref());
    let created = match &source {
        None => event::create_event(&ports, &principal, &organizer, changes, errors).await,
        Some(source) => {
            event::clone_event(&ports, &principal, &organizer, source, changes, errors).await
        }
    }
    .map_err(event_error)?;
    tx.commit().await?;
    // The URL names no event here, so no `valid_keys` (as for any create).
    respond(
        &req,
        &state,
        &organizer,
        &created,
        StatusCode::CREATED,
        false,
    )
    .await
}

/// `POST /events/{e}/clone/`: a new event from the body, copying the URL's event.
async fn clone(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (principal, organizer, source) = event_context(&req, CLONE).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = wire::event_changes(&body);
    let tx = state.store.begin().await?;
    let created = event::clone_event(
        &EventPorts::of(tx.as_ref()),
        &principal,
        &organizer,
        &source,
        changes,
        errors,
    )
    .await
    .map_err(event_error)?;
    tx.commit().await?;
    respond(
        &req,
        &state,
        &organizer,
        &created,
        StatusCode::CREATED,
        true,
    )
    .await
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: WriteMode,
) -> Result<HttpResponse, ApiError> {
    let (principal, organizer, current) = event_context(&req, DETAIL).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = wire::event_changes(&body);
    let updated = event::update_event(
        &ports(&state),
        &principal,
        &organizer,
        &current,
        changes,
        mode,
        errors,
    )
    .await
    .map_err(event_error)?;
    respond(&req, &state, &organizer, &updated, StatusCode::OK, true).await
}

async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, WriteMode::Replace).await
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, WriteMode::Partial).await
}

async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, DETAIL).await?;
    event::delete_event(state.store.events(), &event)
        .await
        .map_err(event_error)?;
    Ok(HttpResponse::NoContent().finish())
}
