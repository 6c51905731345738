//! Unit tests of the sub-event rules with mocked ports.

use super::*;
use crate::event::Event;
use crate::validation::FieldErrors;
use crate::write::WriteMode;

fn at(s: &str) -> WireDateTime {
    WireDateTime::parse(s).unwrap()
}

fn event(has_subevents: bool) -> Event {
    crate::event::sample_event(EventId(3), "series", has_subevents)
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
        WriteMode::Partial,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(got.map(|s| s.data.name), Ok(I18nString::english("Day 1")));
    assert_eq!(
        update_subevent(
            &repo,
            &current(),
            patch.clone(),
            WriteMode::Replace,
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
        WriteMode::Replace,
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
            WriteMode::Partial,
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
