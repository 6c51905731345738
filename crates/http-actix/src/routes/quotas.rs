//! `/api/v1/organizers/{organizer}/events/{event}/quotas/`: how many tickets of which products
//! (and variations) may be sold, per event or per date of a series.

use super::resource::{not_found, Delete, InEvent, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{integer, pk, pk_list, string, FieldReader};
use crate::query::Query;
use presale_domain::access::Permission;
use presale_domain::ids::{QuotaId, SubEventId};
use presale_domain::pagination::{Page, Window};
use presale_domain::quota::{
    create_quota, delete_quota, update_quota, Quota, QuotaChanges, QuotaError, QuotaOrder,
};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub(super) struct Quotas;

impl Resource for Quotas {
    type Scope = InEvent;
    type Id = QuotaId;
    type Entity = Quota;
    type Changes = (QuotaChanges, FieldErrors);
    type Filter = Vec<(QuotaOrder, bool)>;
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "quotas";
    const NOUNS: [&'static str; 2] = ["quota", "quotas"];
    /// Reading needs access to the event; writing `can_change_items` (docs/api-compatibility.md).
    const NEEDS: Needs = Needs {
        read: None,
        write: Some(Permission::ChangeItems),
        device_read: true,
    };
    const NOT_FOUND: &'static str = "No Quota matches the given query.";

    fn filter(query: &Query) -> Result<Self::Filter, ApiError> {
        Ok(query.ordering(&[("id", QuotaOrder::Id), ("size", QuotaOrder::Size)]))
    }

    fn read(body: &Map<String, Value>) -> (QuotaChanges, FieldErrors) {
        quota_changes(body)
    }

    fn render<'a>(quota: &'a Quota, _: &'a InEvent) -> Body<'a> {
        render(quota)
    }

    async fn list(
        store: &dyn Store,
        scope: &InEvent,
        ordering: Self::Filter,
        window: Window,
    ) -> Result<Page<Quota>, RepositoryError> {
        store.quotas().list(scope.event.id, ordering, window).await
    }

    async fn find(
        store: &dyn Store,
        scope: &InEvent,
        id: QuotaId,
    ) -> Result<Option<Quota>, RepositoryError> {
        store.quotas().find(scope.event.id, id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InEvent,
        (changes, errors): (QuotaChanges, FieldErrors),
    ) -> Result<Quota, ApiError> {
        Ok(create_quota(store.quotas(), &scope.event, changes, errors).await?)
    }

    async fn update(
        store: &dyn Store,
        scope: &InEvent,
        current: &Quota,
        (changes, errors): (QuotaChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<Quota, ApiError> {
        Ok(update_quota(store.quotas(), &scope.event, current, changes, mode, errors).await?)
    }
}

impl Delete for Quotas {
    async fn delete(store: &dyn Store, scope: &InEvent, id: QuotaId) -> Result<(), ApiError> {
        Ok(delete_quota(store.quotas(), scope.event.id, id).await?)
    }
}

/// A quota as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = Quota)]
pub struct Body<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(min_length = 1)]
    name: &'a str,
    size: Option<i64>,
    items: &'a [i64],
    variations: &'a [i64],
    subevent: Option<i64>,
}

/// `id, name, size, items, variations, subevent`.
pub fn render(q: &Quota) -> Body<'_> {
    Body {
        id: q.id.0,
        name: &q.data.name,
        size: q.data.size,
        items: &q.data.items,
        variations: &q.data.variations,
        subevent: q.data.subevent.map(|s| s.0),
    }
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
            QuotaError::NotFound => not_found::<Quotas>(),
            QuotaError::Repository(r) => r.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::NOT_NULL;
    use serde_json::json;

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
