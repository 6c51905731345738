//! `/api/v1/organizers/{organizer}/events/{event}/items/` and
//! `.../items/{item}/variations/`: products and their variations (docs/api-compatibility.md).

use super::resource::{not_found, Delete, InEvent, PathId, Resource, Scope};
use super::{event_resource, Endpoint, Needs};
use crate::error::ApiError;
use crate::fields::{
    boolean, i18n, integer, money, nullable_money, pk, python_type, required_i18n, FieldReader,
};
use crate::openapi::Op;
use actix_web::{HttpRequest, Resource as Route};
use presale_domain::access::Permission;
use presale_domain::ids::{ItemId, VariationId};
use presale_domain::item::{
    self, Item, ItemChanges, ItemError, ItemErrors, ItemVariation, VariationChanges,
};
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// Reading needs access to the event; writing `can_change_items` (docs/api-compatibility.md).
const NEEDS: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeItems),
    device_read: true,
};

/// `.../events/{event}/items/`: the products of an event, with their variations inline.
pub(super) struct Items;

impl Resource for Items {
    type Scope = InEvent;
    type Id = ItemId;
    type Entity = Item;
    type Changes = (ItemChanges, ItemErrors);
    type Filter = ();
    type Body<'a> = ItemBody<'a>;

    const SEGMENT: &'static str = "items";
    const NOUNS: [&'static str; 2] = ["product", "products"];
    const NEEDS: Needs = NEEDS;
    const NOT_FOUND: &'static str = "No Item matches the given query.";

    fn read(body: &Map<String, Value>) -> (ItemChanges, ItemErrors) {
        item_changes(body)
    }

    fn render<'a>(item: &'a Item, _: &'a InEvent) -> ItemBody<'a> {
        render_item(item)
    }

    async fn list(
        store: &dyn Store,
        scope: &InEvent,
        _: (),
        window: Window,
    ) -> Result<Page<Item>, RepositoryError> {
        store.items().list(scope.event.id, window).await
    }

    async fn find(
        store: &dyn Store,
        scope: &InEvent,
        id: ItemId,
    ) -> Result<Option<Item>, RepositoryError> {
        store.items().find(scope.event.id, id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InEvent,
        (changes, errors): (ItemChanges, ItemErrors),
    ) -> Result<Item, ApiError> {
        item::create_item(store.items(), scope.event.id, changes, errors)
            .await
            .map_err(item_error::<Self>)
    }

    async fn update(
        store: &dyn Store,
        _: &InEvent,
        current: &Item,
        (changes, errors): (ItemChanges, ItemErrors),
        mode: WriteMode,
    ) -> Result<Item, ApiError> {
        item::update_item(store.items(), current, changes, mode, errors)
            .await
            .map_err(item_error::<Self>)
    }
}

impl Delete for Items {
    /// The product's variations go with it, and both leave every quota that listed them.
    async fn delete(store: &dyn Store, scope: &InEvent, id: ItemId) -> Result<(), ApiError> {
        let item = Self::find(store, scope, id)
            .await?
            .ok_or_else(not_found::<Self>)?;
        item::delete_item(store.items(), &item)
            .await
            .map_err(item_error::<Self>)
    }
}

/// `.../items/{item}`: one product of an event the credential may see.
pub(crate) struct InItem {
    item: Item,
}

impl Scope for InItem {
    const PATH: &'static str = "/organizers/{organizer}/events/{event}/items/{item}";

    /// The product of the path, within the event of the path.
    async fn resolve(req: &HttpRequest, needs: Needs) -> Result<Self, ApiError> {
        let event = InEvent::resolve(req, needs).await?;
        let id = req
            .match_info()
            .get("item")
            .and_then(Items::id)
            .ok_or_else(ApiError::not_found)?;
        let state = super::state_of(req)?;
        let item = Items::find(state.store.as_ref(), &event, id)
            .await?
            .ok_or_else(not_found::<Items>)?;
        Ok(InItem { item })
    }

    fn path_params(op: Op<'_>) -> Op<'_> {
        op.path_param("item", <Items as Resource>::Id::schema())
    }

    fn route(path: String, allow: &'static str, needs: Needs) -> Route<impl Endpoint> {
        event_resource(&path, allow, needs)
    }
}

/// `.../items/{item}/variations/`: the variations of a product.
pub(super) struct Variations;

impl Resource for Variations {
    type Scope = InItem;
    type Id = VariationId;
    type Entity = ItemVariation;
    type Changes = (VariationChanges, FieldErrors);
    type Filter = ();
    type Body<'a> = VariationBody<'a>;

    const SEGMENT: &'static str = "variations";
    const NOUNS: [&'static str; 2] = ["variation", "variations"];
    const NEEDS: Needs = NEEDS;
    const NOT_FOUND: &'static str = "No ItemVariation matches the given query.";

    fn read(body: &Map<String, Value>) -> (VariationChanges, FieldErrors) {
        variation_changes(body)
    }

    fn render<'a>(variation: &'a ItemVariation, _: &'a InItem) -> VariationBody<'a> {
        render_variation(variation)
    }

    async fn list(
        store: &dyn Store,
        scope: &InItem,
        _: (),
        window: Window,
    ) -> Result<Page<ItemVariation>, RepositoryError> {
        store.items().list_variations(scope.item.id, window).await
    }

    /// A variation of another product is not found.
    async fn find(
        _: &dyn Store,
        scope: &InItem,
        id: VariationId,
    ) -> Result<Option<ItemVariation>, RepositoryError> {
        Ok(scope.item.variation(id).cloned())
    }

    async fn create(
        store: &dyn Store,
        scope: &InItem,
        (changes, errors): (VariationChanges, FieldErrors),
    ) -> Result<ItemVariation, ApiError> {
        item::create_variation(store.items(), &scope.item, changes, errors)
            .await
            .map_err(item_error::<Items>)
    }

    async fn update(
        store: &dyn Store,
        _: &InItem,
        current: &ItemVariation,
        (changes, errors): (VariationChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<ItemVariation, ApiError> {
        item::update_variation(store.items(), current, changes, mode, errors)
            .await
            .map_err(item_error::<Self>)
    }
}

impl Delete for Variations {
    /// Refused (403) for the product's only variation.
    async fn delete(store: &dyn Store, scope: &InItem, id: VariationId) -> Result<(), ApiError> {
        if scope.item.variation(id).is_none() {
            return Err(not_found::<Self>());
        }
        item::delete_variation(store.items(), &scope.item, id)
            .await
            .map_err(item_error::<Self>)
    }
}

/// A variation as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = ItemVariation)]
pub struct VariationBody<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(value_type = crate::openapi::I18n)]
    value: &'a I18nString,
    default_price: Option<String>,
    active: bool,
    position: i64,
}

/// `id, value, default_price, active, position`.
pub fn render_variation(v: &ItemVariation) -> VariationBody<'_> {
    VariationBody {
        id: v.id.0,
        value: &v.fields.value,
        default_price: v.fields.default_price.map(|p| p.to_string()),
        active: v.fields.active,
        position: v.fields.position,
    }
}

/// A product as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = Item)]
pub struct ItemBody<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(value_type = crate::openapi::I18n)]
    name: &'a I18nString,
    default_price: String,
    active: bool,
    #[schema(value_type = Option<crate::openapi::I18n>)]
    description: Option<&'a I18nString>,
    /// Categories are not served: always null.
    category: Option<i64>,
    admission: bool,
    position: i64,
    #[schema(read_only)]
    has_variations: bool,
    variations: Vec<VariationBody<'a>>,
}

/// `id, name, default_price, active, description, category, admission, position,
/// has_variations, variations`; categories are not served, so `category` is always null.
pub fn render_item(i: &Item) -> ItemBody<'_> {
    ItemBody {
        id: i.id.0,
        name: &i.fields.name,
        default_price: i.fields.default_price.to_string(),
        active: i.fields.active,
        description: i.fields.description.as_ref(),
        category: None,
        admission: i.fields.admission,
        position: i.fields.position,
        has_variations: i.has_variations,
        variations: i.variations.iter().map(render_variation).collect(),
    }
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

/// A product or variation use case's error; `R` names what was not found.
fn item_error<R: Resource>(e: ItemError) -> ApiError {
    match e {
        ItemError::Invalid(errors) => invalid(errors),
        ItemError::Refused(detail) => ApiError::Forbidden(detail.into()),
        ItemError::NotFound => not_found::<R>(),
        ItemError::Repository(r) => r.into(),
    }
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
