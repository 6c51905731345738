//! `/api/v1/organizers/{organizer}/events/{event}/digitalcontents/`: the digital content
//! plugin's resource (live streams, videos, links, files for ticket buyers).

use super::{event_context, event_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::NOT_NULL;
use crate::fields::{boolean, choice, datetime, i18n, integer, pk, pk_list, string, FieldReader};
use crate::pagination::{paginate, PageRequest};
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::digital_content::{
    create_digital_content, delete_digital_content, update_digital_content, ContentType,
    DigitalContent, DigitalContentChanges, DigitalContentError,
};
use presale_domain::ids::DigitalContentId;
use presale_domain::ids::SubEventId;
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use presale_domain::write::UpdateMode;
use serde_json::{json, Map, Value};

/// Reading needs access to the event; writing `can_change_items` (docs/api-compatibility.md).
const NEEDS: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeItems),
    device_read: true,
};

const NOT_FOUND: &str = "No DigitalContent matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        event_resource(
            "/organizers/{organizer}/events/{event}/digitalcontents/",
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/digitalcontents/{id}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    );
}

/// `id, subevent, title, content_type, url, description, all_products, limit_products,
/// available_from, available_until, position`: the order of the document's examples.
pub fn render(c: &DigitalContent) -> Value {
    let d = &c.data;
    json!({
        "id": c.id.0,
        "subevent": d.subevent.map(|s| s.0),
        "title": d.title,
        "content_type": d.content_type.as_str(),
        "url": d.url,
        "description": d.description,
        "all_products": d.all_products,
        "limit_products": d.limit_products,
        "available_from": d.available_from,
        "available_until": d.available_until,
        "position": d.position,
    })
}

fn subevent(v: &Value) -> Result<Option<SubEventId>, String> {
    match v {
        Value::Null => Ok(None),
        v => pk(v).map(|id| Some(SubEventId(id))),
    }
}

fn title(v: &Value) -> Result<I18nString, String> {
    i18n(v, false).and_then(|t| t.ok_or_else(|| NOT_NULL.to_owned()))
}

fn content_type(v: &Value) -> Result<ContentType, String> {
    ContentType::parse(&choice(v)?).map_err(|e| e.to_string())
}

/// A URL field reads like a string field (trimmed, not blank); the domain checks the rest.
fn url(v: &Value) -> Result<String, &'static str> {
    string(v, false)
}

fn description(v: &Value) -> Result<Option<I18nString>, String> {
    i18n(v, true)
}

/// Parses every writable field that was sent; `id` is read-only and ignored.
pub fn content_changes(body: &Map<String, Value>) -> (DigitalContentChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = DigitalContentChanges {
        subevent: r.read("subevent", subevent),
        title: r.read("title", title),
        content_type: r.read("content_type", content_type),
        url: r.read("url", url),
        description: r.read("description", description),
        all_products: r.read("all_products", boolean),
        limit_products: r.read("limit_products", pk_list),
        available_from: r.read("available_from", |v| datetime(v, true)),
        available_until: r.read("available_until", |v| datetime(v, true)),
        position: r.read("position", integer),
        ..DigitalContentChanges::default()
    };
    (changes, r.errors)
}

impl From<DigitalContentError> for ApiError {
    fn from(e: DigitalContentError) -> Self {
        match e {
            DigitalContentError::Invalid(errors) => errors.into(),
            DigitalContentError::NotFound => not_found(),
            DigitalContentError::Repository(r) => r.into(),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

/// The content id from the path: a non-number is `Not found.`, as in pretix.
fn content_id(req: &HttpRequest) -> Result<DigitalContentId, ApiError> {
    req.match_info()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .map(DigitalContentId)
        .ok_or_else(ApiError::not_found)
}

/// The list's `subevent` filter: an id; empty means no filter.
fn subevent_filter(req: &HttpRequest) -> Result<Option<SubEventId>, ApiError> {
    let query = Query::of(req);
    let mut filters = query.filters();
    let subevent = filters.number("subevent").map(SubEventId);
    filters.finish()?;
    Ok(subevent)
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let page = PageRequest::from_request(&req)?;
    let subevent = subevent_filter(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| {
            state
                .store
                .digital_contents()
                .list(event.id, subevent, window)
        },
        |c| render(&c),
    )
    .await?;
    json_ok(&envelope)
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = content_id(&req)?;
    let content = state
        .store
        .digital_contents()
        .find(event.id, id)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&content))
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = content_changes(&body);
    let created =
        create_digital_content(state.store.digital_contents(), &event, changes, errors).await?;
    json_response(StatusCode::CREATED, &render(&created))
}

/// PUT and PATCH: the content is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: UpdateMode,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let id = content_id(&req)?;
    let repo = state.store.digital_contents();
    let current = repo.find(event.id, id).await?.ok_or_else(not_found)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = content_changes(&body);
    let updated = update_digital_content(repo, &event, &current, changes, mode, errors).await?;
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
    let id = content_id(&req)?;
    delete_digital_content(state.store.digital_contents(), event.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn changes(body: Value) -> (DigitalContentChanges, Vec<(String, String)>) {
        let Value::Object(map) = body else {
            panic!("object")
        };
        let (c, e) = content_changes(&map);
        (
            c,
            e.iter()
                .map(|(f, m)| (f.to_owned(), m.to_owned()))
                .collect(),
        )
    }

    fn errors(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(f, m)| ((*f).to_owned(), (*m).to_owned()))
            .collect()
    }

    #[test]
    fn the_documented_body_reads_without_errors() {
        let (c, e) = changes(json!({
            "id": 9,
            "subevent": null,
            "title": {"en": "Concert livestream"},
            "content_type": "link",
            "url": " https://www.youtube.com/watch?v=dQw4w9WgXcQ ",
            "description": {"en": "Watch our event live here on YouTube!"},
            "all_products": true,
            "limit_products": [],
            "available_from": "2020-03-22T23:00:00Z",
            "available_until": null,
            "position": 1
        }));
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(c.subevent, Some(None));
        assert_eq!(c.content_type, Some(ContentType::Link));
        assert_eq!(
            c.url.as_deref(),
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
        );
        assert_eq!(c.limit_products, Some(vec![]));
        assert_eq!(c.available_until, Some(None));
        assert_eq!(c.position, Some(1));
    }

    #[test]
    fn fields_are_read_with_drf_messages() {
        let (_, e) = changes(json!({
            "subevent": "x", "title": null, "content_type": "x", "url": "",
            "description": 5, "all_products": "maybe", "limit_products": "1",
            "available_from": "2020-03-22", "available_until": 3, "position": "a"
        }));
        let bad_date = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
        assert_eq!(
            e,
            errors(&[
                (
                    "subevent",
                    "Incorrect type. Expected pk value, received str."
                ),
                ("title", NOT_NULL),
                ("content_type", "\"x\" is not a valid choice."),
                ("url", "This field may not be blank."),
                ("description", "Invalid data type."),
                ("all_products", "Must be a valid boolean."),
                (
                    "limit_products",
                    "Expected a list of items but got type \"str\"."
                ),
                ("available_from", bad_date),
                ("available_until", bad_date),
                ("position", "A valid integer is required."),
            ])
        );
        let (_, e) = changes(json!({"content_type": null}));
        assert_eq!(e, errors(&[("content_type", NOT_NULL)]));
        let (_, e) = changes(json!({"content_type": true}));
        assert_eq!(
            e,
            errors(&[("content_type", "\"True\" is not a valid choice.")])
        );
        let (_, e) = changes(json!({"content_type": 5}));
        assert_eq!(
            e,
            errors(&[("content_type", "\"5\" is not a valid choice.")])
        );
    }

    #[test]
    fn the_subevent_filter_takes_an_id() {
        let filter = |q: &str| {
            subevent_filter(&TestRequest::with_uri(&format!("/?{q}")).to_http_request())
                .map_err(|e| e.to_string())
        };
        assert_eq!(filter(""), Ok(None));
        assert_eq!(filter("subevent="), Ok(None));
        assert_eq!(filter("subevent=1&subevent=7"), Ok(Some(SubEventId(7))));
        assert_eq!(
            filter("subevent=x"),
            Err(r#"{"subevent":["Enter a number."]}"#.to_owned())
        );
    }
}
