//! `/api/v1/organizers/{organizer}/events/{event}/items/` and
//! `.../items/{item}/variations/`: products and their variations (docs/api-compatibility.md).

use super::{event_context, event_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{boolean, i18n, integer, money, nullable_money, pk, python_type, FieldReader};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::event::Event;
use presale_domain::ids::{ItemId, VariationId};
use presale_domain::item::{
    self, Item, ItemChanges, ItemError, ItemErrors, ItemVariation, VariationChanges, Write,
};
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use serde_json::{json, Map, Value};

/// Reading needs access to the event; writing `can_change_items` (docs/api-compatibility.md).
const NEEDS: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeItems),
    device_read: true,
};

const ITEM_NOT_FOUND: &str = "No Item matches the given query.";
const VARIATION_NOT_FOUND: &str = "No ItemVariation matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    const EVENT: &str = "/organizers/{organizer}/events/{event}";
    cfg.service(
        event_resource(&format!("{EVENT}/items/"), "GET, POST, HEAD", NEEDS)
            .route(read().to(list))
            .route(web::post().to(create)),
    )
    .service(
        event_resource(
            &format!("{EVENT}/items/{{item}}/"),
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    )
    .service(
        event_resource(
            &format!("{EVENT}/items/{{item}}/variations/"),
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list_variations))
        .route(web::post().to(create_variation)),
    )
    .service(
        event_resource(
            &format!("{EVENT}/items/{{item}}/variations/{{variation}}/"),
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(variation_detail))
        .route(web::put().to(replace_variation))
        .route(web::patch().to(patch_variation))
        .route(web::delete().to(delete_variation)),
    );
}

/// `id, value, default_price, active, position`.
pub fn render_variation(v: &ItemVariation) -> Value {
    json!({
        "id": v.id.0,
        "value": v.fields.value,
        "default_price": v.fields.default_price.map(|p| p.to_string()),
        "active": v.fields.active,
        "position": v.fields.position,
    })
}

/// `id, name, default_price, active, description, category, admission, position,
/// has_variations, variations`; categories are not served, so `category` is always null.
pub fn render_item(i: &Item) -> Value {
    json!({
        "id": i.id.0,
        "name": i.fields.name,
        "default_price": i.fields.default_price.to_string(),
        "active": i.fields.active,
        "description": i.fields.description,
        "category": Value::Null,
        "admission": i.fields.admission,
        "position": i.fields.position,
        "has_variations": i.has_variations,
        "variations": i.variations.iter().map(render_variation).collect::<Vec<_>>(),
    })
}

fn required_i18n(value: &Value) -> Result<I18nString, String> {
    i18n(value, false).and_then(|s| s.ok_or_else(|| crate::fields::NOT_NULL.to_owned()))
}

/// `category` names a product category; none exist here, so only `null` is accepted and
/// anything else gets pretix's answer for an unknown or malformed primary key.
fn category(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        v => {
            pk(v)?;
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Err(format!("Invalid pk \"{shown}\" - object does not exist."))
        }
    }
}

/// A variation body's writable fields; read-only ones (`id`) are ignored.
pub fn variation_changes(body: &Map<String, Value>) -> (VariationChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = VariationChanges {
        value: r.read("value", required_i18n),
        default_price: r.read("default_price", nullable_money),
        active: r.read("active", boolean),
        position: r.read("position", integer),
        ..VariationChanges::default()
    };
    (changes, r.errors)
}

/// A product body's writable fields, inline variations included; read-only ones (`id`,
/// `has_variations`) are ignored.
pub fn item_changes(body: &Map<String, Value>) -> (ItemChanges, ItemErrors) {
    let mut r = FieldReader::new(body);
    let name = r.read("name", required_i18n);
    let default_price = r.read("default_price", money);
    let active = r.read("active", boolean);
    let description = r.read("description", |v| i18n(v, true));
    r.read("category", category);
    let admission = r.read("admission", boolean);
    let position = r.read("position", integer);
    let mut errors = ItemErrors::default();
    let variations = match body.get("variations") {
        None => None,
        Some(Value::Null) => {
            r.errors.add("variations", crate::fields::NOT_NULL);
            None
        }
        Some(Value::Array(list)) => {
            let mut all = Vec::with_capacity(list.len());
            for element in list {
                let (changes, e) = match element {
                    Value::Object(v) => variation_changes(v),
                    other => (
                        VariationChanges::default(),
                        FieldErrors::non_field(format!(
                            "Invalid data. Expected a dictionary, but got {}.",
                            python_type(other)
                        )),
                    ),
                };
                all.push(changes);
                errors.variations.push(e);
            }
            Some(all)
        }
        Some(other) => {
            errors.variations_not_a_list = Some(format!(
                "Expected a list of items but got type \"{}\".",
                python_type(other)
            ));
            None
        }
    };
    errors.fields = r.errors;
    let changes = ItemChanges {
        name,
        default_price,
        active,
        description,
        admission,
        position,
        variations,
        ..ItemChanges::default()
    };
    (changes, errors)
}

fn errors_object(errors: &FieldErrors) -> Value {
    Value::Object(
        errors
            .iter()
            .map(|(f, m)| (f.to_owned(), json!([m])))
            .collect(),
    )
}

/// 400 in pretix's shape: inline variation errors as a list with one object per variation
/// (`{}` for a valid one), a `variations` that is not a list as a nested
/// `non_field_errors`.
fn invalid(errors: ItemErrors) -> ApiError {
    let Value::Object(mut map) = errors_object(&errors.fields) else {
        return ApiError::Internal("errors are an object".into());
    };
    if let Some(message) = errors.variations_not_a_list {
        map.insert(
            "variations".into(),
            json!({ "non_field_errors": [message] }),
        );
    } else if !errors.variations.is_empty() {
        map.insert(
            "variations".into(),
            Value::Array(errors.variations.iter().map(errors_object).collect()),
        );
    }
    ApiError::Validation(map)
}

fn item_error(not_found: &'static str) -> impl Fn(ItemError) -> ApiError {
    move |e| match e {
        ItemError::Invalid(errors) => invalid(errors),
        ItemError::Refused(detail) => ApiError::Forbidden(detail.into()),
        ItemError::NotFound => ApiError::NotFound(not_found.into()),
        ItemError::Repository(r) => r.into(),
    }
}

/// A numeric id from the path; anything else is `Not found.`, as in pretix.
fn path_id(req: &HttpRequest, name: &str) -> Result<i64, ApiError> {
    req.match_info()
        .get(name)
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(ApiError::not_found)
}

/// The product of the path, within the event of the path.
async fn find_item(req: &HttpRequest, state: &AppState, event: &Event) -> Result<Item, ApiError> {
    let id = ItemId(path_id(req, "item")?);
    state
        .store
        .items()
        .find(event.id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(ITEM_NOT_FOUND.into()))
}

/// The product and the variation of the path; a variation of another product is not found.
async fn find_variation(
    req: &HttpRequest,
    state: &AppState,
    event: &Event,
) -> Result<(Item, ItemVariation), ApiError> {
    let item = find_item(req, state, event).await?;
    let id = VariationId(path_id(req, "variation")?);
    let variation = item
        .variation(id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(VARIATION_NOT_FOUND.into()))?;
    Ok((item, variation))
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.store.items().list(event.id, window),
        |i| render_item(&i),
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
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = item_changes(&body);
    let created = item::create_item(state.store.items(), event.id, changes, errors)
        .await
        .map_err(item_error(ITEM_NOT_FOUND))?;
    json_response(StatusCode::CREATED, &render_item(&created))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let item = find_item(&req, &state, &event).await?;
    json_ok(&render_item(&item))
}

/// PUT and PATCH: the product is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    write: Write,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let current = find_item(&req, &state, &event).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = item_changes(&body);
    let updated = item::update_item(state.store.items(), &current, changes, write, errors)
        .await
        .map_err(item_error(ITEM_NOT_FOUND))?;
    json_ok(&render_item(&updated))
}

async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, Write::Full).await
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, Write::Partial).await
}

/// 204; the product's variations go with it, and both leave every quota that listed them.
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let item = find_item(&req, &state, &event).await?;
    item::delete_item(state.store.items(), &item)
        .await
        .map_err(item_error(ITEM_NOT_FOUND))?;
    Ok(HttpResponse::NoContent().finish())
}

async fn list_variations(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let item = find_item(&req, &state, &event).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.store.items().list_variations(item.id, window),
        |v| render_variation(&v),
    )
    .await?;
    json_ok(&envelope)
}

async fn create_variation(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let item = find_item(&req, &state, &event).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = variation_changes(&body);
    let created = item::create_variation(state.store.items(), &item, changes, errors)
        .await
        .map_err(item_error(ITEM_NOT_FOUND))?;
    json_response(StatusCode::CREATED, &render_variation(&created))
}

async fn variation_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let (_, variation) = find_variation(&req, &state, &event).await?;
    json_ok(&render_variation(&variation))
}

async fn update_variation(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    write: Write,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let (_, current) = find_variation(&req, &state, &event).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = variation_changes(&body);
    let updated = item::update_variation(state.store.items(), &current, changes, write, errors)
        .await
        .map_err(item_error(VARIATION_NOT_FOUND))?;
    json_ok(&render_variation(&updated))
}

async fn replace_variation(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update_variation(req, state, body, Write::Full).await
}

async fn patch_variation(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update_variation(req, state, body, Write::Partial).await
}

/// 204, unless it is the product's only variation (403).
async fn delete_variation(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, NEEDS).await?;
    let (item, variation) = find_variation(&req, &state, &event).await?;
    item::delete_variation(state.store.items(), &item, variation.id)
        .await
        .map_err(item_error(VARIATION_NOT_FOUND))?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> (ItemChanges, Value) {
        let Value::Object(map) = body else {
            panic!("object expected")
        };
        let (changes, errors) = item_changes(&map);
        let shown = match invalid(errors) {
            ApiError::Validation(m) => Value::Object(m),
            other => panic!("{other}"),
        };
        (changes, shown)
    }

    #[test]
    fn category_accepts_only_null() {
        assert_eq!(category(&json!(null)), Ok(()));
        for (v, msg) in [
            (json!(5), "Invalid pk \"5\" - object does not exist."),
            (json!(" 5 "), "Invalid pk \" 5 \" - object does not exist."),
            (json!(5.5), "Invalid pk \"5.5\" - object does not exist."),
            (
                json!("x"),
                "Incorrect type. Expected pk value, received str.",
            ),
            (
                json!(true),
                "Incorrect type. Expected pk value, received bool.",
            ),
            (
                json!([]),
                "Incorrect type. Expected pk value, received list.",
            ),
            (
                json!({}),
                "Incorrect type. Expected pk value, received dict.",
            ),
        ] {
            assert_eq!(category(&v), Err(msg.to_owned()), "{v}");
        }
    }

    #[test]
    fn inline_variation_errors_are_one_object_per_variation() {
        let (changes, errors) = parse(json!({
            "name": null,
            "variations": [{"value": "S"}, {"value": null, "default_price": "x"}, 5]
        }));
        assert_eq!(changes.variations.map(|v| v.len()), Some(3));
        assert_eq!(
            errors,
            json!({
                "name": ["This field may not be null."],
                "variations": [
                    {},
                    {"value": ["This field may not be null."], "default_price": ["A valid number is required."]},
                    {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}
                ]
            })
        );
    }

    #[test]
    fn variations_must_be_a_list() {
        assert_eq!(
            parse(json!({"variations": "x"})).1,
            json!({"variations": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}})
        );
        assert_eq!(
            parse(json!({"variations": null})).1,
            json!({"variations": ["This field may not be null."]})
        );
        let (changes, errors) = parse(json!({"variations": [], "has_variations": "x", "id": 3}));
        assert_eq!((changes.variations, errors), (Some(vec![]), json!({})));
    }
}
