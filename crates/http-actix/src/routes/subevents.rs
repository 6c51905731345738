//! `/api/v1/organizers/{organizer}/events/{event}/subevents/`: the dates of an event series.

use super::{event_context, event_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{boolean, datetime, i18n, FieldReader, NOT_NULL};
use crate::pagination::{paginate, PageRequest};
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::event::Event;
use presale_domain::ids::SubEventId;
use presale_domain::subevent::{
    create_subevent, delete_subevent, update_subevent, SubEvent, SubEventChanges, SubEventError,
    SubEventOrder, DEFAULT_ORDER,
};
use presale_domain::validation::FieldErrors;
use presale_domain::values::{I18nString, WireDateTime};
use presale_domain::write::UpdateMode;
use serde_json::{json, Map, Value};

/// Reading needs access to the event; writing `can_change_items`, as docs/api-compatibility.md lists
/// sub-events with the catalog (pretix itself asks for the event settings permission).
const NEEDS: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeEventSettings),
    device_read: true,
};

const NOT_FOUND: &str = "No SubEvent matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        event_resource(
            "/organizers/{organizer}/events/{event}/subevents/",
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/subevents/{id}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    );
}

/// `id, name, event, active, date_from, date_to, presale_start, presale_end, location`.
pub fn render(s: &SubEvent, event: &Event) -> Value {
    let d = &s.data;
    json!({
        "id": s.id.0,
        "name": d.name,
        "event": event.data.slug.as_str(),
        "active": d.active,
        "date_from": d.date_from,
        "date_to": d.date_to,
        "presale_start": d.presale_start,
        "presale_end": d.presale_end,
        "location": d.location,
    })
}

fn required_i18n(v: &Value) -> Result<I18nString, String> {
    i18n(v, false)?.ok_or_else(|| NOT_NULL.to_owned())
}

fn required_datetime(v: &Value) -> Result<WireDateTime, String> {
    datetime(v, false)?.ok_or_else(|| NOT_NULL.to_owned())
}

/// Parses every writable field that was sent; `id` and `event` are read-only and ignored.
pub fn subevent_changes(body: &Map<String, Value>) -> (SubEventChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = SubEventChanges {
        name: r.read("name", required_i18n),
        active: r.read("active", boolean),
        date_from: r.read("date_from", required_datetime),
        date_to: r.read("date_to", |v| datetime(v, true)),
        presale_start: r.read("presale_start", |v| datetime(v, true)),
        presale_end: r.read("presale_end", |v| datetime(v, true)),
        location: r.read("location", |v| i18n(v, true)),
        ..SubEventChanges::default()
    };
    (changes, r.errors)
}

impl From<SubEventError> for ApiError {
    fn from(e: SubEventError) -> Self {
        match e {
            SubEventError::Invalid(errors) => errors.into(),
            SubEventError::NotFound => not_found(),
            SubEventError::Repository(r) => r.into(),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

/// The sub-event id from the path: a non-number is `Not found.`, as in pretix.
fn subevent_id(req: &HttpRequest) -> Result<SubEventId, ApiError> {
    req.match_info()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .map(SubEventId)
        .ok_or_else(ApiError::not_found)
}

/// Ordered by `date_from` unless `ordering` names `id` and/or `date_from`; ties by id
/// descending, as in pretix. An event that is not a series has no sub-events: its list is
/// empty.
async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let page = PageRequest::from_request(&req)?;
    let mut ordering = Query::of(&req).ordering(&[
        ("id", SubEventOrder::Id),
        ("date_from", SubEventOrder::DateFrom),
    ]);
    if ordering.is_empty() {
        ordering = DEFAULT_ORDER.to_vec();
    }
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| {
            state
                .store
                .subevents()
                .list(event.id, ordering.clone(), window)
        },
        |s| render(&s, &event),
    )
    .await?;
    json_ok(&envelope)
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = subevent_id(&req)?;
    let subevent = state
        .store
        .subevents()
        .find(event.id, id)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&subevent, &event))
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = subevent_changes(&body);
    let created = create_subevent(state.store.subevents(), &event, changes, errors).await?;
    json_response(StatusCode::CREATED, &render(&created, &event))
}

/// PUT and PATCH: the sub-event is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: UpdateMode,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = subevent_id(&req)?;
    let repo = state.store.subevents();
    let current = repo.find(event.id, id).await?.ok_or_else(not_found)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = subevent_changes(&body);
    let updated = update_subevent(repo, &current, changes, mode, errors).await?;
    json_ok(&render(&updated, &event))
}

async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, UpdateMode::Replace).await
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, UpdateMode::Partial).await
}

/// 204; the sub-event's quotas go with it.
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = subevent_id(&req)?;
    delete_subevent(state.store.subevents(), event.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_field_order_read_only_ones_ignored() {
        let Value::Object(body) = json!({
            "id": 5, "event": "other", "location": 5, "presale_end": "2030-01-01",
            "date_to": null, "date_from": null, "active": "maybe", "name": {"xx": "a"}
        }) else {
            panic!("object")
        };
        let (c, e) = subevent_changes(&body);
        let got: Vec<(&str, &str)> = e.iter().collect();
        assert_eq!(
            got,
            [
                ("name", "Invalid languages included."),
                ("active", "Must be a valid boolean."),
                ("date_from", NOT_NULL),
                (
                    "presale_end",
                    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ),
                ("location", "Invalid data type."),
            ]
        );
        assert_eq!(c.date_to, Some(None));
    }
}
