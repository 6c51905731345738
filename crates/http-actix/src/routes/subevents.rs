//! `/api/v1/organizers/{organizer}/events/{event}/subevents/`: the dates of an event series.

use super::resource::{not_found, Delete, InEvent, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{boolean, datetime, i18n, required_datetime, required_i18n, FieldReader};
use crate::query::Query;
use presale_domain::access::Permission;
use presale_domain::event::Event;
use presale_domain::ids::SubEventId;
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::subevent::{
    create_subevent, delete_subevent, update_subevent, SubEvent, SubEventChanges, SubEventError,
    SubEventOrder, DEFAULT_ORDER,
};
use presale_domain::validation::FieldErrors;
use presale_domain::values::{I18nString, WireDateTime};
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub(super) struct SubEvents;

impl Resource for SubEvents {
    type Scope = InEvent;
    type Id = SubEventId;
    type Entity = SubEvent;
    type Changes = (SubEventChanges, FieldErrors);
    type Filter = Vec<(SubEventOrder, bool)>;
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "subevents";
    const NOUNS: [&'static str; 2] = ["sub-event", "sub-events"];
    /// Reading needs access to the event; writing `can_change_event_settings`.
    const NEEDS: Needs = Needs {
        read: None,
        write: Some(Permission::ChangeEventSettings),
        device_read: true,
    };
    const NOT_FOUND: &'static str = "No SubEvent matches the given query.";

    /// Ordered by `date_from` unless `ordering` names `id` and/or `date_from`; ties by id
    /// descending, as in pretix.
    fn filter(query: &Query) -> Result<Self::Filter, ApiError> {
        let ordering = query.ordering(&[
            ("id", SubEventOrder::Id),
            ("date_from", SubEventOrder::DateFrom),
        ]);
        Ok(if ordering.is_empty() {
            DEFAULT_ORDER.to_vec()
        } else {
            ordering
        })
    }

    fn read(body: &Map<String, Value>) -> (SubEventChanges, FieldErrors) {
        subevent_changes(body)
    }

    fn render<'a>(subevent: &'a SubEvent, scope: &'a InEvent) -> Body<'a> {
        render(subevent, &scope.event)
    }

    /// An event that is not a series has no sub-events: its list is empty.
    async fn list(
        store: &dyn Store,
        scope: &InEvent,
        ordering: Self::Filter,
        window: Window,
    ) -> Result<Page<SubEvent>, RepositoryError> {
        store
            .subevents()
            .list(scope.event.id, ordering, window)
            .await
    }

    async fn find(
        store: &dyn Store,
        scope: &InEvent,
        id: SubEventId,
    ) -> Result<Option<SubEvent>, RepositoryError> {
        store.subevents().find(scope.event.id, id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InEvent,
        (changes, errors): (SubEventChanges, FieldErrors),
    ) -> Result<SubEvent, ApiError> {
        Ok(create_subevent(store.subevents(), &scope.event, changes, errors).await?)
    }

    async fn update(
        store: &dyn Store,
        _: &InEvent,
        current: &SubEvent,
        (changes, errors): (SubEventChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<SubEvent, ApiError> {
        Ok(update_subevent(store.subevents(), current, changes, mode, errors).await?)
    }
}

impl Delete for SubEvents {
    /// The sub-event's quotas go with it.
    async fn delete(store: &dyn Store, scope: &InEvent, id: SubEventId) -> Result<(), ApiError> {
        Ok(delete_subevent(store.subevents(), scope.event.id, id).await?)
    }
}

/// A sub-event as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = SubEvent)]
pub struct Body<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(value_type = crate::openapi::I18n)]
    name: &'a I18nString,
    #[schema(read_only)]
    event: &'a str,
    active: bool,
    #[schema(value_type = String, format = DateTime)]
    date_from: WireDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    date_to: Option<WireDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    presale_start: Option<WireDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    presale_end: Option<WireDateTime>,
    #[schema(value_type = Option<crate::openapi::I18n>)]
    location: Option<&'a I18nString>,
}

/// `id, name, event, active, date_from, date_to, presale_start, presale_end, location`.
pub fn render<'a>(s: &'a SubEvent, event: &'a Event) -> Body<'a> {
    let d = &s.data;
    Body {
        id: s.id.0,
        name: &d.name,
        event: event.data.slug.as_str(),
        active: d.active,
        date_from: d.date_from,
        date_to: d.date_to,
        presale_start: d.presale_start,
        presale_end: d.presale_end,
        location: d.location.as_ref(),
    }
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
            SubEventError::NotFound => not_found::<SubEvents>(),
            SubEventError::Repository(r) => r.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::NOT_NULL;
    use serde_json::json;

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
