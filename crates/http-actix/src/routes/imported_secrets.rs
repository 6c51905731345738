//! `/api/v1/organizers/{organizer}/events/{event}/imported_secrets/`: ticket secrets imported
//! from third-party systems, one by one or up to 500 at a time with `bulk_create/`.

use super::{event_context, event_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{self, python_type, FieldReader};
use crate::pagination::{paginate, PageRequest};
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::ids::ImportedSecretId;
use presale_domain::ids::SubEventId;
use presale_domain::ids::{ItemId, VariationId};
use presale_domain::imported_secret::{
    bulk_create_secrets, create_secret, delete_secret, update_secret, ImportedSecret,
    ImportedSecretError, SecretChanges, SecretFilter, BULK_MAX, TOO_MANY, USED_NOT_DELETABLE,
};
use presale_domain::validation::FieldErrors;
use presale_domain::write::UpdateMode;
use serde_json::{json, Map, Value};

/// Reading needs access to the event (devices included); writing `can_change_items`
/// (docs/api-compatibility.md).
const NEEDS: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeItems),
    device_read: true,
};

const NOT_FOUND: &str = "No ImportedSecret matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        event_resource(
            "/organizers/{organizer}/events/{event}/imported_secrets/",
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    // Before `{id}/`, which would take `bulk_create` for an id.
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/imported_secrets/bulk_create/",
            "POST",
            NEEDS,
        )
        .route(web::post().to(bulk_create)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/imported_secrets/{id}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    );
}

/// `id, secret, used, item, variation, subevent`.
pub fn render(s: &ImportedSecret) -> Value {
    json!({
        "id": s.id.0,
        "secret": s.data.secret,
        "used": s.data.used,
        "item": s.data.item.map(|i| i.0),
        "variation": s.data.variation.map(|v| v.0),
        "subevent": s.data.subevent.map(|e| e.0),
    })
}

fn nullable_pk(value: &Value) -> Result<Option<i64>, String> {
    match value {
        Value::Null => Ok(None),
        v => fields::pk(v).map(Some),
    }
}

/// Reads one secret object as the API does, for the endpoints and for file imports: the
/// fields sent, and the errors of those that could not be read. Anything but an object is an
/// object-level error.
pub fn imported_secret_changes(value: &Value) -> SecretChanges {
    let Value::Object(body) = value else {
        return SecretChanges {
            errors: FieldErrors::non_field(format!(
                "Invalid data. Expected a dictionary, but got {}.",
                python_type(value)
            )),
            ..SecretChanges::default()
        };
    };
    let mut r = FieldReader::new(body);
    // Blank is the domain's rule, so that every way in reports it alike.
    let secret = r.read("secret", |v| fields::string(v, true));
    let used = r.read("used", fields::boolean);
    let item = r.read("item", nullable_pk);
    let variation = r.read("variation", nullable_pk);
    let subevent = r.read("subevent", nullable_pk);
    SecretChanges {
        secret,
        used,
        item: item.map(|i| i.map(ItemId)),
        variation: variation.map(|v| v.map(VariationId)),
        subevent: subevent.map(|s| s.map(SubEventId)),
        errors: r.errors,
    }
}

fn errors_object(errors: &FieldErrors) -> Value {
    let mut map = Map::new();
    for (field, message) in errors.iter() {
        map.insert(field.to_owned(), json!([message]));
    }
    Value::Object(map)
}

impl From<ImportedSecretError> for ApiError {
    fn from(e: ImportedSecretError) -> Self {
        match e {
            ImportedSecretError::Invalid(errors) => errors.into(),
            // Only `bulk_create` answers a list; it renders this case itself.
            ImportedSecretError::InvalidObjects(list) => list
                .into_iter()
                .find(|e| !e.is_empty())
                .unwrap_or_default()
                .into(),
            ImportedSecretError::TooMany => ApiError::non_field(TOO_MANY),
            ImportedSecretError::NotFound => not_found(),
            ImportedSecretError::UsedCannotBeDeleted => {
                ApiError::Forbidden(USED_NOT_DELETABLE.into())
            }
            ImportedSecretError::Repository(r) => r.into(),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

/// The id from the path: a non-number is `Not found.`, as in pretix.
fn secret_id(req: &HttpRequest) -> Result<ImportedSecretId, ApiError> {
    req.match_info()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .map(ImportedSecretId)
        .ok_or_else(ApiError::not_found)
}

/// `used` (a query-string boolean), `item`, `variation`, `subevent` (ids) and `secret`, all
/// exact; empty values do not filter.
fn list_filter(req: &HttpRequest) -> Result<SecretFilter, ApiError> {
    let query = Query::of(req);
    let mut filters = query.filters();
    let item = filters.number("item").map(ItemId);
    let variation = filters.number("variation").map(VariationId);
    let subevent = filters.number("subevent").map(SubEventId);
    filters.finish()?;
    Ok(SecretFilter {
        used: query.flag("used"),
        item,
        variation,
        subevent,
        secret: query
            .get("secret")
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    })
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let filter = list_filter(&req)?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| {
            state
                .store
                .imported_secrets()
                .list(event.id, filter.clone(), window)
        },
        |s| render(&s),
    )
    .await?;
    json_ok(&envelope)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let body = Value::Object(expect_object(parse_body(&req, &body)?)?);
    let created = create_secret(
        state.store.imported_secrets(),
        event.id,
        imported_secret_changes(&body),
    )
    .await?;
    json_response(StatusCode::CREATED, &render(&created))
}

/// A list of at most [`BULK_MAX`] objects, written whole (201 with them, in order) or not at
/// all (400 with an error object per object, `{}` for the valid ones).
async fn bulk_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let objects = match parse_body(&req, &body)? {
        Value::Array(objects) => objects,
        other => {
            return Err(ApiError::non_field(format!(
                "Expected a list of items but got type \"{}\".",
                python_type(&other)
            )))
        }
    };
    if objects.len() > BULK_MAX {
        return Err(ImportedSecretError::TooMany.into());
    }
    let changes = objects.iter().map(imported_secret_changes).collect();
    // The duplicate checks and the writes in one transaction: no import can slip in between.
    let tx = state.store.begin().await?;
    match bulk_create_secrets(tx.imported_secrets(), event.id, changes).await {
        Ok(created) => {
            tx.commit().await?;
            let created: Vec<Value> = created.iter().map(render).collect();
            json_response(StatusCode::CREATED, &created)
        }
        Err(ImportedSecretError::InvalidObjects(list)) => {
            let list: Vec<Value> = list.iter().map(errors_object).collect();
            json_response(StatusCode::BAD_REQUEST, &list)
        }
        Err(e) => Err(e.into()),
    }
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = secret_id(&req)?;
    let secret = state
        .store
        .imported_secrets()
        .find(event.id, id)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&secret))
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

/// PUT and PATCH: the secret is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: UpdateMode,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = secret_id(&req)?;
    let repo = state.store.imported_secrets();
    let current = repo.find(event.id, id).await?.ok_or_else(not_found)?;
    let body = Value::Object(expect_object(parse_body(&req, &body)?)?);
    let updated = update_secret(
        repo,
        event.id,
        current,
        imported_secret_changes(&body),
        mode,
    )
    .await?;
    json_ok(&render(&updated))
}

/// 204; a used secret stays (403).
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = secret_id(&req)?;
    delete_secret(state.store.imported_secrets(), event.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_read_field_by_field() {
        let changes = imported_secret_changes(&json!({
            "id": 5, "secret": " abc ", "used": "yes", "item": "3", "variation": null
        }));
        assert_eq!(
            changes,
            SecretChanges {
                secret: Some("abc".into()),
                used: Some(true),
                item: Some(Some(ItemId(3))),
                variation: Some(None),
                subevent: None,
                errors: FieldErrors::new(),
            }
        );
        let changes = imported_secret_changes(&json!({
            "secret": null, "used": 2, "item": "x", "subevent": [1]
        }));
        let errors: Vec<_> = changes.errors.iter().collect();
        assert_eq!(
            errors,
            [
                ("secret", "This field may not be null."),
                ("used", "Must be a valid boolean."),
                ("item", "Incorrect type. Expected pk value, received str."),
                (
                    "subevent",
                    "Incorrect type. Expected pk value, received list."
                ),
            ]
        );
        let changes = imported_secret_changes(&json!("foobar"));
        assert_eq!(
            changes.errors,
            FieldErrors::non_field("Invalid data. Expected a dictionary, but got str.")
        );
    }
}
