//! Sub-events: the dates of an event series (events with `has_subevents: true`).

use crate::error::RepositoryError;
use crate::event::Event;
use crate::ids::EventId;
use crate::ids::SubEventId;
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::values::{I18nString, WireDateTime};
use crate::write::UpdateMode;
use async_trait::async_trait;

/// The sub-event resource's fields, in the order they are shown (and errors reported in).
pub const SUBEVENT_FIELDS: &[&str] = &[
    "id",
    "name",
    "event",
    "active",
    "date_from",
    "date_to",
    "presale_start",
    "presale_end",
    "location",
];

/// Creating a sub-event in an event that is not a series (pretix would store it; Presale
/// keeps sub-events to event series, docs/api-compatibility.md).
pub const NOT_A_SERIES: &str =
    "Sub-events can only be created in an event series (has_subevents: true).";
/// pretix's object-level date messages (the same as for events).
pub const ENDS_BEFORE_START: &str = "The event cannot end before it starts.";
pub const PRESALE_ENDS_BEFORE_START: &str = "The event's presale cannot end before it starts.";
const REQUIRED: &str = "This field is required.";

/// Everything about a sub-event that the API can write.
#[derive(Debug, Clone, PartialEq)]
pub struct SubEventData {
    pub name: I18nString,
    pub active: bool,
    pub date_from: WireDateTime,
    pub date_to: Option<WireDateTime>,
    pub presale_start: Option<WireDateTime>,
    pub presale_end: Option<WireDateTime>,
    pub location: Option<I18nString>,
}

/// A stored sub-event.
#[derive(Debug, Clone, PartialEq)]
pub struct SubEvent {
    pub id: SubEventId,
    pub event: EventId,
    pub data: SubEventData,
}

/// The fields a request sent, parsed; `None` = not sent. Nullable fields are
/// `Option<Option<T>>` (`Some(None)` = sent as null).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubEventChanges {
    /// The id to store a new row under, where a fixture gives one; `None` takes the next
    /// free id. The API never sets it (`id` is read-only there).
    pub id: Option<SubEventId>,
    pub name: Option<I18nString>,
    pub active: Option<bool>,
    pub date_from: Option<WireDateTime>,
    pub date_to: Option<Option<WireDateTime>>,
    pub presale_start: Option<Option<WireDateTime>>,
    pub presale_end: Option<Option<WireDateTime>>,
    pub location: Option<Option<I18nString>>,
}

/// A sort key of the sub-events list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubEventOrder {
    Id,
    DateFrom,
}

/// pretix's default order: `date_from`, ties broken by id descending.
pub const DEFAULT_ORDER: &[(SubEventOrder, bool)] = &[(SubEventOrder::DateFrom, false)];

/// Port: sub-events. Every method is scoped to one event: an id of another event's
/// sub-event behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SubEventRepository: Send + Sync {
    /// One page of the event's sub-events with the total count, sorted by `ordering`
    /// (`true` = descending) and then by id descending; a fixed number of queries whatever
    /// the page size.
    async fn list(
        &self,
        event: EventId,
        ordering: Vec<(SubEventOrder, bool)>,
        window: Window,
    ) -> Result<Page<SubEvent>, RepositoryError>;

    /// The event's sub-event with this id, `None` if the event has none such.
    async fn find(
        &self,
        event: EventId,
        id: SubEventId,
    ) -> Result<Option<SubEvent>, RepositoryError>;

    /// Stores a new sub-event of the event and returns it with its new id.
    async fn create(
        &self,
        event: EventId,
        id: Option<SubEventId>,
        data: SubEventData,
    ) -> Result<SubEvent, RepositoryError>;

    /// Replaces the writable fields; `None` if the event has no such sub-event.
    async fn update(
        &self,
        event: EventId,
        id: SubEventId,
        data: SubEventData,
    ) -> Result<Option<SubEvent>, RepositoryError>;

    /// Deletes the sub-event and, in the same transaction, its quotas; `false` if the event
    /// has no such sub-event.
    async fn delete(&self, event: EventId, id: SubEventId) -> Result<bool, RepositoryError>;
}

/// Why a sub-event was not written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubEventError {
    /// 400 with these field errors (or `non_field_errors`).
    #[error("invalid sub-event: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such sub-event")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for SubEventError {
    fn from(e: FieldErrors) -> Self {
        SubEventError::Invalid(e)
    }
}

impl SubEvent {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> SubEventData {
        self.data.clone()
    }
}

/// Object-level date checks for the values sent in this request only, as pretix does for
/// events and sub-events; equal values are fine.
pub fn check_dates(changes: &SubEventChanges) -> Result<(), FieldErrors> {
    if let (Some(from), Some(Some(to))) = (changes.date_from, changes.date_to) {
        if to < from {
            return Err(FieldErrors::non_field(ENDS_BEFORE_START));
        }
    }
    if let (Some(Some(start)), Some(Some(end))) = (changes.presale_start, changes.presale_end) {
        if end < start {
            return Err(FieldErrors::non_field(PRESALE_ENDS_BEFORE_START));
        }
    }
    Ok(())
}

fn require(changes: &SubEventChanges, errors: &mut FieldErrors) {
    for (field, sent) in [
        ("name", changes.name.is_some()),
        ("date_from", changes.date_from.is_some()),
    ] {
        if !sent {
            errors.add(field, REQUIRED);
        }
    }
}

/// Field errors (the edge's parse errors plus the missing required fields) in field order,
/// then the object-level date rules.
fn validate(
    changes: &SubEventChanges,
    mut errors: FieldErrors,
    required: bool,
) -> Result<(), FieldErrors> {
    if required {
        require(changes, &mut errors);
    }
    errors.sort_by_order(SUBEVENT_FIELDS);
    errors.into_result()?;
    check_dates(changes)
}

/// `POST /events/{e}/subevents/`: only in an event series; `name` and `date_from` are
/// required, `active` defaults to false, the other fields to null. `errors` holds what the
/// edge already found while parsing. The caller has checked the write permission.
pub async fn create_subevent(
    subevents: &dyn SubEventRepository,
    event: &Event,
    changes: SubEventChanges,
    errors: FieldErrors,
) -> Result<SubEvent, SubEventError> {
    if !event.data.has_subevents {
        return Err(FieldErrors::non_field(NOT_A_SERIES).into());
    }
    validate(&changes, errors, true)?;
    let given = changes.id;
    let (Some(name), Some(date_from)) = (changes.name, changes.date_from) else {
        return Err(FieldErrors::non_field(REQUIRED).into());
    };
    let data = SubEventData {
        name,
        active: changes.active.unwrap_or(false),
        date_from,
        date_to: changes.date_to.flatten(),
        presale_start: changes.presale_start.flatten(),
        presale_end: changes.presale_end.flatten(),
        location: changes.location.flatten(),
    };
    Ok(subevents.create(event.id, given, data).await?)
}

/// `PUT`/`PATCH /events/{e}/subevents/{id}/`: PUT needs `name` and `date_from`; with
/// either method the fields left out keep their values (as pretix does).
pub async fn update_subevent(
    subevents: &dyn SubEventRepository,
    current: &SubEvent,
    changes: SubEventChanges,
    mode: UpdateMode,
    errors: FieldErrors,
) -> Result<SubEvent, SubEventError> {
    validate(&changes, errors, mode == UpdateMode::Replace)?;
    let now = &current.data;
    let data = SubEventData {
        name: changes.name.unwrap_or_else(|| now.name.clone()),
        active: changes.active.unwrap_or(now.active),
        date_from: changes.date_from.unwrap_or(now.date_from),
        date_to: changes.date_to.unwrap_or(now.date_to),
        presale_start: changes.presale_start.unwrap_or(now.presale_start),
        presale_end: changes.presale_end.unwrap_or(now.presale_end),
        location: changes.location.unwrap_or_else(|| now.location.clone()),
    };
    subevents
        .update(current.event, current.id, data)
        .await?
        .ok_or(SubEventError::NotFound)
}

/// `DELETE /events/{e}/subevents/{id}/`: the sub-event and its quotas.
pub async fn delete_subevent(
    subevents: &dyn SubEventRepository,
    event: EventId,
    id: SubEventId,
) -> Result<(), SubEventError> {
    if subevents.delete(event, id).await? {
        Ok(())
    } else {
        Err(SubEventError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventData;
    use crate::ids::OrganizerId;
    use crate::values::{Currency, Slug, TimeZone};

    fn at(s: &str) -> WireDateTime {
        WireDateTime::parse(s).unwrap()
    }

    fn event(has_subevents: bool) -> Event {
        Event {
            id: EventId(3),
            organizer: OrganizerId(1),
            data: EventData {
                slug: Slug::parse("series").unwrap(),
                name: I18nString::english("Series"),
                live: false,
                testmode: false,
                currency: Currency::EUR,
                date_from: at("2030-01-01T10:00:00Z"),
                date_to: None,
                date_admission: None,
                is_public: true,
                presale_start: None,
                presale_end: None,
                location: None,
                geo_lat: None,
                geo_lon: None,
                has_subevents,
                meta_data: vec![],
                plugins: vec![],
                timezone: TimeZone::UTC,
                item_meta_properties: vec![],
                all_sales_channels: true,
                limit_sales_channels: vec![],
            },
            public_key: String::new(),
        }
    }

    fn minimal() -> SubEventChanges {
        SubEventChanges {
            name: Some(I18nString::english("Day 1")),
            date_from: Some(at("2030-01-02T10:00:00Z")),
            ..SubEventChanges::default()
        }
    }

    fn stored(id: i64, data: SubEventData) -> SubEvent {
        SubEvent {
            id: SubEventId(id),
            event: EventId(3),
            data,
        }
    }

    fn invalid(fields: &[(&str, &str)]) -> SubEventError {
        let mut e = FieldErrors::new();
        for (f, m) in fields {
            e.add(f, *m);
        }
        SubEventError::Invalid(e)
    }

    #[pollster::test]
    async fn create_applies_defaults_and_stores_in_the_series() {
        let mut repo = MockSubEventRepository::new();
        repo.expect_create()
            .withf(|e, id, d| *e == EventId(3) && id.is_none() && !d.active && d.date_to.is_none())
            .times(1)
            .returning(|_, _, d| Ok(stored(9, d)));
        let got = create_subevent(&repo, &event(true), minimal(), FieldErrors::new()).await;
        assert_eq!(
            got.map(|s| (s.id, s.data.name, s.data.location)),
            Ok((SubEventId(9), I18nString::english("Day 1"), None))
        );
    }

    #[pollster::test]
    async fn only_event_series_have_sub_events() {
        let repo = MockSubEventRepository::new();
        assert_eq!(
            create_subevent(&repo, &event(false), minimal(), FieldErrors::new()).await,
            Err(invalid(&[("non_field_errors", NOT_A_SERIES)]))
        );
    }

    #[pollster::test]
    async fn create_requires_name_and_date_from_and_keeps_field_order() {
        let repo = MockSubEventRepository::new();
        let parse_errors = FieldErrors::single("location", "Invalid data type.");
        let got = create_subevent(
            &repo,
            &event(true),
            SubEventChanges {
                active: Some(true),
                ..SubEventChanges::default()
            },
            parse_errors,
        )
        .await;
        assert_eq!(
            got,
            Err(invalid(&[
                ("name", REQUIRED),
                ("date_from", REQUIRED),
                ("location", "Invalid data type.")
            ]))
        );
    }

    #[pollster::test]
    async fn dates_must_be_in_order_once_fields_pass() {
        let repo = MockSubEventRepository::new();
        let mut c = minimal();
        c.date_to = Some(Some(at("2030-01-02T09:59:59Z")));
        assert_eq!(
            create_subevent(&repo, &event(true), c.clone(), FieldErrors::new()).await,
            Err(invalid(&[("non_field_errors", ENDS_BEFORE_START)]))
        );
        // A field error comes first.
        assert_eq!(
            create_subevent(
                &repo,
                &event(true),
                c,
                FieldErrors::single("active", "Must be a valid boolean.")
            )
            .await,
            Err(invalid(&[("active", "Must be a valid boolean.")]))
        );
        let mut c = minimal();
        c.presale_start = Some(Some(at("2029-02-01T00:00:00Z")));
        c.presale_end = Some(Some(at("2029-01-01T00:00:00Z")));
        assert_eq!(
            create_subevent(&repo, &event(true), c, FieldErrors::new()).await,
            Err(invalid(&[("non_field_errors", PRESALE_ENDS_BEFORE_START)]))
        );
    }

    #[test]
    fn equal_dates_and_dates_sent_alone_pass() {
        let mut c = minimal();
        c.date_to = Some(c.date_from);
        c.presale_start = Some(Some(at("2029-01-01T00:00:00Z")));
        c.presale_end = Some(Some(at("2029-01-01T00:00:00Z")));
        assert_eq!(check_dates(&c), Ok(()));
        let alone = SubEventChanges {
            date_to: Some(Some(at("2000-01-01T00:00:00Z"))),
            presale_end: Some(Some(at("2000-01-01T00:00:00Z"))),
            ..SubEventChanges::default()
        };
        assert_eq!(check_dates(&alone), Ok(()));
    }

    fn current() -> SubEvent {
        stored(
            5,
            SubEventData {
                name: I18nString::english("Day 1"),
                active: true,
                date_from: at("2030-01-02T10:00:00Z"),
                date_to: Some(at("2030-01-02T18:00:00Z")),
                presale_start: None,
                presale_end: None,
                location: Some(I18nString::english("Berlin")),
            },
        )
    }

    #[pollster::test]
    async fn patch_changes_only_what_is_sent_and_put_requires_fields() {
        let mut repo = MockSubEventRepository::new();
        repo.expect_update()
            .withf(|e, id, d| {
                *e == EventId(3)
                    && *id == SubEventId(5)
                    && d.location.is_none()
                    && d.active
                    && d.date_to.is_some()
            })
            .times(2)
            .returning(|_, id, d| Ok(Some(stored(id.0, d))));
        let patch = SubEventChanges {
            location: Some(None),
            ..SubEventChanges::default()
        };
        let got = update_subevent(
            &repo,
            &current(),
            patch.clone(),
            UpdateMode::Partial,
            FieldErrors::new(),
        )
        .await;
        assert_eq!(got.map(|s| s.data.name), Ok(I18nString::english("Day 1")));
        assert_eq!(
            update_subevent(
                &repo,
                &current(),
                patch.clone(),
                UpdateMode::Replace,
                FieldErrors::new()
            )
            .await,
            Err(invalid(&[("name", REQUIRED), ("date_from", REQUIRED)]))
        );
        let put = SubEventChanges {
            location: Some(None),
            ..minimal()
        };
        assert!(update_subevent(
            &repo,
            &current(),
            put,
            UpdateMode::Replace,
            FieldErrors::new()
        )
        .await
        .is_ok());
    }

    #[pollster::test]
    async fn vanished_sub_events_are_not_found_and_outages_pass_through() {
        let mut repo = MockSubEventRepository::new();
        repo.expect_update().returning(|_, _, _| Ok(None));
        repo.expect_delete()
            .withf(|_, id| *id == SubEventId(5))
            .returning(|_, _| Ok(false));
        repo.expect_delete()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
        assert_eq!(
            update_subevent(
                &repo,
                &current(),
                SubEventChanges::default(),
                UpdateMode::Partial,
                FieldErrors::new()
            )
            .await,
            Err(SubEventError::NotFound)
        );
        assert_eq!(
            delete_subevent(&repo, EventId(3), SubEventId(5)).await,
            Err(SubEventError::NotFound)
        );
        assert_eq!(
            delete_subevent(&repo, EventId(3), SubEventId(6)).await,
            Err(SubEventError::Repository(RepositoryError::Unavailable(
                "down".into()
            )))
        );
    }
}
