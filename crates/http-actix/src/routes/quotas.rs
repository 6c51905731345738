//! `/api/v1/organizers/{organizer}/events/{event}/quotas/`: how many tickets of which products
//! (and variations) may be sold, per event or per date of a series.

use super::{event_context, event_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{integer, pk, pk_list, string, FieldReader};
use crate::pagination::{paginate, PageRequest};
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::ids::QuotaId;
use presale_domain::ids::SubEventId;
use presale_domain::quota::{
    create_quota, delete_quota, update_quota, Quota, QuotaChanges, QuotaError, QuotaOrder,
};
use presale_domain::validation::FieldErrors;
use presale_domain::write::UpdateMode;
use serde_json::{json, Map, Value};

/// Reading needs access to the event; writing `can_change_items` (docs/api-compatibility.md).
const NEEDS: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeItems),
    device_read: true,
};

const NOT_FOUND: &str = "No Quota matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        event_resource(
            "/organizers/{organizer}/events/{event}/quotas/",
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/quotas/{id}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    );
}

/// `id, name, size, items, variations, subevent`.
pub fn render(q: &Quota) -> Value {
    json!({
        "id": q.id.0,
        "name": q.data.name,
        "size": q.data.size,
        "items": q.data.items,
        "variations": q.data.variations,
        "subevent": q.data.subevent.map(|s| s.0),
    })
}

fn name(v: &Value) -> Result<String, &'static str> {
    string(v, false)
}

fn size(v: &Value) -> Result<Option<i64>, &'static str> {
    match v {
        Value::Null => Ok(None),
        v => integer(v).map(Some),
    }
}

fn subevent(v: &Value) -> Result<Option<SubEventId>, String> {
    match v {
        Value::Null => Ok(None),
        v => pk(v).map(|id| Some(SubEventId(id))),
    }
}

/// Parses every writable field that was sent; `id` is read-only and ignored.
pub fn quota_changes(body: &Map<String, Value>) -> (QuotaChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = QuotaChanges {
        name: r.read("name", name),
        size: r.read("size", size),
        items: r.read("items", pk_list),
        variations: r.read("variations", pk_list),
        subevent: r.read("subevent", subevent),
        ..QuotaChanges::default()
    };
    (changes, r.errors)
}

impl From<QuotaError> for ApiError {
    fn from(e: QuotaError) -> Self {
        match e {
            QuotaError::Invalid(errors) => errors.into(),
            QuotaError::NotFound => not_found(),
            QuotaError::Repository(r) => r.into(),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

/// The quota id from the path: a non-number is `Not found.`, as in pretix.
fn quota_id(req: &HttpRequest) -> Result<QuotaId, ApiError> {
    req.match_info()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .map(QuotaId)
        .ok_or_else(ApiError::not_found)
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let page = PageRequest::from_request(&req)?;
    let ordering = Query::of(&req).ordering(&[("id", QuotaOrder::Id), ("size", QuotaOrder::Size)]);
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| {
            state
                .store
                .quotas()
                .list(event.id, ordering.clone(), window)
        },
        |q| render(&q),
    )
    .await?;
    json_ok(&envelope)
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = quota_id(&req)?;
    let quota = state
        .store
        .quotas()
        .find(event.id, id)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&quota))
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = quota_changes(&body);
    let created = create_quota(state.store.quotas(), &event, changes, errors).await?;
    json_response(StatusCode::CREATED, &render(&created))
}

/// PUT and PATCH: the quota is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: UpdateMode,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = quota_id(&req)?;
    let repo = state.store.quotas();
    let current = repo.find(event.id, id).await?.ok_or_else(not_found)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = quota_changes(&body);
    let updated = update_quota(repo, &event, &current, changes, mode, errors).await?;
    json_ok(&render(&updated))
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

/// 204.
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = quota_id(&req)?;
    delete_quota(state.store.quotas(), event.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::NOT_NULL;

    fn changes(body: Value) -> (QuotaChanges, Vec<(String, String)>) {
        let Value::Object(map) = body else {
            panic!("object")
        };
        let (c, e) = quota_changes(&map);
        (
            c,
            e.iter()
                .map(|(f, m)| (f.to_owned(), m.to_owned()))
                .collect(),
        )
    }

    #[test]
    fn fields_are_read_with_drf_messages() {
        let (c, e) = changes(json!({
            "id": 9, "name": " Q ", "size": "10", "items": [1, "2"], "variations": [], "subevent": null
        }));
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            c,
            QuotaChanges {
                // Read-only in the API: only fixtures give it.
                id: None,
                name: Some("Q".into()),
                size: Some(Some(10)),
                items: Some(vec![1, 2]),
                variations: Some(vec![]),
                subevent: Some(None),
            }
        );
        let (_, e) = changes(json!({
            "name": null, "size": "a", "items": "1", "variations": [null], "subevent": "x"
        }));
        assert_eq!(
            e,
            vec![
                ("name".to_owned(), NOT_NULL.to_owned()),
                ("size".to_owned(), "A valid integer is required.".to_owned()),
                (
                    "items".to_owned(),
                    "Expected a list of items but got type \"str\".".to_owned()
                ),
                (
                    "variations".to_owned(),
                    "Invalid pk \"None\" - object does not exist.".to_owned()
                ),
                (
                    "subevent".to_owned(),
                    "Incorrect type. Expected pk value, received str.".to_owned()
                ),
            ]
        );
    }
}
