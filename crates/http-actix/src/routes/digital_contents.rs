//! `/api/v1/organizers/{organizer}/events/{event}/digitalcontents/`: the digital content
//! plugin's resource (live streams, videos, links, files for ticket buyers).

use super::resource::{not_found, Delete, InEvent, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{
    boolean, choice, datetime, i18n, integer, pk, pk_list, required_i18n, string, FieldReader,
};
use crate::query::Query;
use presale_domain::access::Permission;
use presale_domain::digital_content::{
    create_digital_content, delete_digital_content, update_digital_content, ContentType,
    DigitalContent, DigitalContentChanges, DigitalContentError,
};
use presale_domain::ids::{DigitalContentId, SubEventId};
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::values::{I18nString, WireDateTime};
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub(super) struct DigitalContents;

impl Resource for DigitalContents {
    type Scope = InEvent;
    type Id = DigitalContentId;
    type Entity = DigitalContent;
    type Changes = (DigitalContentChanges, FieldErrors);
    /// The `subevent` filter: an id; empty means no filter.
    type Filter = Option<SubEventId>;
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "digitalcontents";
    const NOUNS: [&'static str; 2] = ["digital content", "digital contents"];
    /// Reading needs access to the event; writing `can_change_items` (docs/api-compatibility.md).
    const NEEDS: Needs = Needs {
        read: None,
        write: Some(Permission::ChangeItems),
        device_read: true,
    };
    const NOT_FOUND: &'static str = "No DigitalContent matches the given query.";

    fn filter(query: &Query) -> Result<Option<SubEventId>, ApiError> {
        let mut filters = query.filters();
        let subevent = filters.number("subevent").map(SubEventId);
        filters.finish()?;
        Ok(subevent)
    }

    fn read(body: &Map<String, Value>) -> (DigitalContentChanges, FieldErrors) {
        content_changes(body)
    }

    fn render<'a>(content: &'a DigitalContent, _: &'a InEvent) -> Body<'a> {
        render(content)
    }

    async fn list(
        store: &dyn Store,
        scope: &InEvent,
        subevent: Option<SubEventId>,
        window: Window,
    ) -> Result<Page<DigitalContent>, RepositoryError> {
        store
            .digital_contents()
            .list(scope.event.id, subevent, window)
            .await
    }

    async fn find(
        store: &dyn Store,
        scope: &InEvent,
        id: DigitalContentId,
    ) -> Result<Option<DigitalContent>, RepositoryError> {
        store.digital_contents().find(scope.event.id, id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InEvent,
        (changes, errors): (DigitalContentChanges, FieldErrors),
    ) -> Result<DigitalContent, ApiError> {
        let repo = store.digital_contents();
        Ok(create_digital_content(repo, &scope.event, changes, errors).await?)
    }

    async fn update(
        store: &dyn Store,
        scope: &InEvent,
        current: &DigitalContent,
        (changes, errors): (DigitalContentChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<DigitalContent, ApiError> {
        let repo = store.digital_contents();
        Ok(update_digital_content(repo, &scope.event, current, changes, mode, errors).await?)
    }
}

impl Delete for DigitalContents {
    async fn delete(
        store: &dyn Store,
        scope: &InEvent,
        id: DigitalContentId,
    ) -> Result<(), ApiError> {
        Ok(delete_digital_content(store.digital_contents(), scope.event.id, id).await?)
    }
}

/// A digital content as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = DigitalContent)]
pub struct Body<'a> {
    #[schema(read_only)]
    id: i64,
    subevent: Option<i64>,
    #[schema(value_type = crate::openapi::I18n)]
    title: &'a I18nString,
    #[schema(schema_with = content_types)]
    content_type: &'a str,
    #[schema(min_length = 1)]
    url: &'a str,
    #[schema(value_type = Option<crate::openapi::I18n>)]
    description: Option<&'a I18nString>,
    all_products: bool,
    limit_products: &'a [i64],
    #[schema(value_type = Option<String>, format = DateTime)]
    available_from: Option<WireDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    available_until: Option<WireDateTime>,
    position: i64,
}

fn content_types() -> utoipa::openapi::schema::Schema {
    crate::openapi::choice(ContentType::ALL.map(ContentType::as_str))
}

/// `id, subevent, title, content_type, url, description, all_products, limit_products,
/// available_from, available_until, position`: the order of the document's examples.
pub fn render(c: &DigitalContent) -> Body<'_> {
    let d = &c.data;
    Body {
        id: c.id.0,
        subevent: d.subevent.map(|s| s.0),
        title: &d.title,
        content_type: d.content_type.as_str(),
        url: &d.url,
        description: d.description.as_ref(),
        all_products: d.all_products,
        limit_products: &d.limit_products,
        available_from: d.available_from,
        available_until: d.available_until,
        position: d.position,
    }
}

fn subevent(v: &Value) -> Result<Option<SubEventId>, String> {
    match v {
        Value::Null => Ok(None),
        v => pk(v).map(|id| Some(SubEventId(id))),
    }
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
        title: r.read("title", required_i18n),
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
            DigitalContentError::NotFound => not_found::<DigitalContents>(),
            DigitalContentError::Repository(r) => r.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::NOT_NULL;
    use serde_json::json;

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
        let filter = |q: &str| DigitalContents::filter(&Query::parse(q)).map_err(|e| e.to_string());
        assert_eq!(filter(""), Ok(None));
        assert_eq!(filter("subevent="), Ok(None));
        assert_eq!(filter("subevent=1&subevent=7"), Ok(Some(SubEventId(7))));
        assert_eq!(
            filter("subevent=x"),
            Err(r#"{"subevent":["Enter a number."]}"#.to_owned())
        );
    }
}
