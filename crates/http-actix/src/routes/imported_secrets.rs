//! `/api/v1/organizers/{organizer}/events/{event}/imported_secrets/`: ticket secrets imported
//! from third-party systems, one by one or up to 500 at a time with `bulk_create/`.

use super::resource::{not_found, Delete, InEvent, Resource, Scope};
use super::{event_context, Needs};
use crate::body::parse_body;
use crate::error::{json_response, ApiError};
use crate::fields::{self, python_type, FieldReader};
use crate::openapi::{Auth, Doc};
use crate::query::Query;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::ids::{ImportedSecretId, ItemId, SubEventId, VariationId};
use presale_domain::imported_secret::{
    bulk_create_secrets, create_secret, delete_secret, update_secret, ImportedSecret,
    ImportedSecretError, SecretChanges, SecretFilter, BULK_MAX, TOO_MANY, USED_NOT_DELETABLE,
};
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

pub(super) struct ImportedSecrets;

impl Resource for ImportedSecrets {
    type Scope = InEvent;
    type Id = ImportedSecretId;
    type Entity = ImportedSecret;
    /// The field errors travel in the changes, as a bulk import reads them per object.
    type Changes = SecretChanges;
    type Filter = SecretFilter;
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "imported_secrets";
    const NOUNS: [&'static str; 2] = ["imported secret", "imported secrets"];
    /// Reading needs access to the event (devices included); writing `can_change_items`
    /// (docs/api-compatibility.md).
    const NEEDS: Needs = Needs {
        read: None,
        write: Some(Permission::ChangeItems),
        device_read: true,
    };
    const NOT_FOUND: &'static str = "No ImportedSecret matches the given query.";

    /// `used` (a query-string boolean), `item`, `variation`, `subevent` (ids) and `secret`,
    /// all exact; empty values do not filter.
    fn filter(query: &Query) -> Result<SecretFilter, ApiError> {
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

    fn read(body: &Map<String, Value>) -> SecretChanges {
        secret_fields(body)
    }

    fn render<'a>(secret: &'a ImportedSecret, _: &'a InEvent) -> Body<'a> {
        render(secret)
    }

    async fn list(
        store: &dyn Store,
        scope: &InEvent,
        filter: SecretFilter,
        window: Window,
    ) -> Result<Page<ImportedSecret>, RepositoryError> {
        store
            .imported_secrets()
            .list(scope.event.id, filter, window)
            .await
    }

    async fn find(
        store: &dyn Store,
        scope: &InEvent,
        id: ImportedSecretId,
    ) -> Result<Option<ImportedSecret>, RepositoryError> {
        store.imported_secrets().find(scope.event.id, id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InEvent,
        changes: SecretChanges,
    ) -> Result<ImportedSecret, ApiError> {
        Ok(create_secret(store.imported_secrets(), scope.event.id, changes).await?)
    }

    async fn update(
        store: &dyn Store,
        scope: &InEvent,
        current: &ImportedSecret,
        changes: SecretChanges,
        mode: WriteMode,
    ) -> Result<ImportedSecret, ApiError> {
        let repo = store.imported_secrets();
        Ok(update_secret(repo, scope.event.id, current.clone(), changes, mode).await?)
    }

    fn more_routes(cfg: &mut web::ServiceConfig) {
        cfg.service(
            InEvent::route(
                format!("{}/imported_secrets/bulk_create/", InEvent::PATH),
                "POST",
                Self::NEEDS,
            )
            .route(web::post().to(bulk_create)),
        );
    }

    fn describe_more(doc: &mut Doc) {
        let secret = doc.schema::<Body<'static>>();
        let list = |of: RefOr<Schema>| RefOr::T(Schema::from(ArrayBuilder::new().items(of)));
        let errors = doc.component(
            "BulkCreateErrors",
            Schema::from(
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Array, Type::Object]))
                    .description(Some(
                        "Either one object of errors per object sent (`{}` for those without), \
                         in their order, or `non_field_errors` about the whole body.",
                    )),
            ),
        );
        doc.op(
            HttpMethod::Post,
            &format!("{}/imported_secrets/bulk_create/", InEvent::PATH),
            "imported_secrets_bulk_create",
            Self::SEGMENT,
            "Import several secrets at once: all or none",
            Auth::Token,
        )
        .body(list(secret.clone()))
        .answer(
            201,
            "The imported secrets, in the order sent.",
            Some(list(secret)),
        )
        .error(
            400,
            "Nothing was imported: the errors of each object.",
            errors,
        )
        .add();
    }
}

impl Delete for ImportedSecrets {
    /// A used secret stays (403).
    async fn delete(
        store: &dyn Store,
        scope: &InEvent,
        id: ImportedSecretId,
    ) -> Result<(), ApiError> {
        Ok(delete_secret(store.imported_secrets(), scope.event.id, id).await?)
    }
}

/// An imported secret as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = ImportedSecret)]
pub struct Body<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(min_length = 1)]
    secret: &'a str,
    used: bool,
    item: Option<i64>,
    variation: Option<i64>,
    subevent: Option<i64>,
}

/// `id, secret, used, item, variation, subevent`.
pub fn render(s: &ImportedSecret) -> Body<'_> {
    Body {
        id: s.id.0,
        secret: &s.data.secret,
        used: s.data.used,
        item: s.data.item.map(|i| i.0),
        variation: s.data.variation.map(|v| v.0),
        subevent: s.data.subevent.map(|e| e.0),
    }
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
    secret_fields(body)
}

/// The fields of one secret object.
fn secret_fields(body: &Map<String, Value>) -> SecretChanges {
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
            ImportedSecretError::NotFound => not_found::<ImportedSecrets>(),
            ImportedSecretError::UsedCannotBeDeleted => {
                ApiError::Forbidden(USED_NOT_DELETABLE.into())
            }
            ImportedSecretError::Repository(r) => r.into(),
        }
    }
}

/// A list of at most [`BULK_MAX`] objects, written whole (201 with them, in order) or not at
/// all (400 with an error object per object, `{}` for the valid ones).
async fn bulk_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, _, event) = event_context(&req, ImportedSecrets::NEEDS).await?;
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
            let created: Vec<Body> = created.iter().map(render).collect();
            json_response(StatusCode::CREATED, &created)
        }
        Err(ImportedSecretError::InvalidObjects(list)) => {
            let list: Vec<Value> = list.iter().map(errors_object).collect();
            json_response(StatusCode::BAD_REQUEST, &list)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
