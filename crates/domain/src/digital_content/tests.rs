//! Unit tests of the digital content rules with mocked ports.

use super::*;
use crate::event::Event;
use crate::validation::{FieldErrors, REQUIRED};
use crate::write::WriteMode;

const EVENT: EventId = EventId(3);

fn at(s: &str) -> WireDateTime {
    WireDateTime::parse(s).unwrap()
}

fn event(has_subevents: bool) -> Event {
    crate::event::sample_event(EVENT, "sampleconf", has_subevents)
}

/// The event's products are 1 and 2, its sub-event 7; anything else is unknown.
fn catalog() -> MockDigitalContentRepository {
    let mut repo = MockDigitalContentRepository::new();
    repo.expect_references().returning(|e, items, subevents| {
        assert_eq!(e, EVENT);
        Ok(ContentReferences {
            items: items.into_iter().filter(|i| [1, 2].contains(i)).collect(),
            subevents: subevents
                .into_iter()
                .filter(|s| *s == SubEventId(7))
                .collect(),
        })
    });
    repo
}

fn stored(id: i64, data: DigitalContentData) -> DigitalContent {
    DigitalContent {
        id: DigitalContentId(id),
        event: EVENT,
        data,
    }
}

fn minimal() -> DigitalContentChanges {
    DigitalContentChanges {
        title: Some(I18nString::english("Concert livestream")),
        url: Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ".into()),
        ..DigitalContentChanges::default()
    }
}

fn invalid(fields: &[(&str, &str)]) -> DigitalContentError {
    let mut e = FieldErrors::new();
    for (f, m) in fields {
        e.add(f, *m);
    }
    DigitalContentError::Invalid(e)
}

#[test]
fn content_types_are_the_five_names_exactly() {
    for c in ContentType::ALL {
        assert_eq!(ContentType::parse(c.as_str()), Ok(c));
    }
    assert_eq!(
        ContentType::parse("Link").map_err(|e| e.to_string()),
        Err("\"Link\" is not a valid choice.".to_owned())
    );
    assert_eq!(
        ContentType::parse("x").map_err(|e| e.to_string()),
        Err("\"x\" is not a valid choice.".to_owned())
    );
}

#[test]
fn urls_are_absolute_http_or_https() {
    for ok in [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "http://localhost:8000/stream",
        "HTTPS://example.org",
        "http://127.0.0.1/x",
    ] {
        assert_eq!(url_error(ok), None, "{ok}");
    }
    for bad in [
        "mywebsite.com",
        "/relative/path",
        "ftp://example.org/file",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.org",
        "https://nodot",
    ] {
        assert_eq!(url_error(bad), Some(INVALID_URL), "{bad}");
    }
    assert_eq!(url_error("  "), Some(BLANK));
}

#[pollster::test]
async fn create_applies_defaults_and_needs_no_lookup_without_references() {
    let mut repo = MockDigitalContentRepository::new();
    repo.expect_references().never();
    repo.expect_create()
        .withf(|e, _, d| {
            *e == EVENT
                && d.content_type == ContentType::Link
                && d.all_products
                && d.limit_products.is_empty()
                && d.position == 0
                && d.subevent.is_none()
                && d.description.is_none()
        })
        .times(1)
        .returning(|_, _, d| Ok(stored(2, d)));
    let got = create_digital_content(&repo, &event(false), minimal(), FieldErrors::new()).await;
    assert_eq!(got.map(|c| c.id), Ok(DigitalContentId(2)));
}

#[pollster::test]
async fn required_and_value_rules_in_field_order() {
    let repo = MockDigitalContentRepository::new();
    let parse_errors = FieldErrors::single("content_type", "\"x\" is not a valid choice.");
    let got = create_digital_content(
        &repo,
        &event(false),
        DigitalContentChanges {
            position: Some(1 << 40),
            ..DigitalContentChanges::default()
        },
        parse_errors,
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[
            ("title", REQUIRED),
            ("content_type", "\"x\" is not a valid choice."),
            ("url", REQUIRED),
            (
                "position",
                "Ensure this value is less than or equal to 2147483647."
            ),
        ]))
    );
    let got = create_digital_content(
        &repo,
        &event(false),
        DigitalContentChanges {
            title: Some(I18nString::english("")),
            url: Some("mywebsite.com".into()),
            ..DigitalContentChanges::default()
        },
        FieldErrors::new(),
    )
    .await;
    assert_eq!(got, Err(invalid(&[("title", BLANK), ("url", INVALID_URL)])));
}

#[pollster::test]
async fn references_must_belong_to_the_event() {
    let repo = catalog();
    let mut c = minimal();
    c.limit_products = Some(vec![2, 9, 1, 8]);
    c.subevent = Some(Some(SubEventId(8)));
    assert_eq!(
        create_digital_content(&repo, &event(true), c, FieldErrors::new()).await,
        Err(invalid(&[
            ("subevent", &unknown_pk(8)),
            ("limit_products", &unknown_pk(9)),
        ]))
    );
}

#[pollster::test]
async fn limit_products_are_kept_sorted_even_with_all_products() {
    let mut repo = catalog();
    repo.expect_create()
        .withf(|_, _, d| {
            d.all_products && d.limit_products == vec![1, 2] && d.subevent == Some(SubEventId(7))
        })
        .times(1)
        .returning(|_, _, d| Ok(stored(4, d)));
    let mut c = minimal();
    c.limit_products = Some(vec![2, 1, 2]);
    c.subevent = Some(Some(SubEventId(7)));
    c.all_products = Some(true);
    assert!(
        create_digital_content(&repo, &event(true), c, FieldErrors::new())
            .await
            .is_ok()
    );
}

#[pollster::test]
async fn availability_window_runs_after_the_fields_on_the_merged_content() {
    let repo = MockDigitalContentRepository::new();
    let mut c = minimal();
    c.available_from = Some(Some(at("2020-03-22T23:00:00Z")));
    c.available_until = Some(Some(at("2020-03-22T22:59:59Z")));
    assert_eq!(
        create_digital_content(&repo, &event(false), c.clone(), FieldErrors::new()).await,
        Err(invalid(&[("non_field_errors", UNTIL_BEFORE_FROM)]))
    );
    assert_eq!(
        create_digital_content(
            &repo,
            &event(false),
            c,
            FieldErrors::single("all_products", "Must be a valid boolean.")
        )
        .await,
        Err(invalid(&[("all_products", "Must be a valid boolean.")]))
    );
    // PATCH of the end alone is checked against the stored start.
    let mut current = stored(5, DigitalContentData::defaults());
    current.data.available_from = Some(at("2020-03-22T23:00:00Z"));
    let patch = DigitalContentChanges {
        available_until: Some(Some(at("2020-03-01T00:00:00Z"))),
        ..DigitalContentChanges::default()
    };
    assert_eq!(
        update_digital_content(
            &repo,
            &event(false),
            &current,
            patch,
            WriteMode::Partial,
            FieldErrors::new()
        )
        .await,
        Err(invalid(&[("non_field_errors", UNTIL_BEFORE_FROM)]))
    );
    // Equal is fine.
    let mut c = minimal();
    c.available_from = Some(Some(at("2020-03-22T23:00:00Z")));
    c.available_until = c.available_from;
    let mut repo = MockDigitalContentRepository::new();
    repo.expect_create().returning(|_, _, d| Ok(stored(6, d)));
    assert!(
        create_digital_content(&repo, &event(false), c, FieldErrors::new())
            .await
            .is_ok()
    );
}

fn current() -> DigitalContent {
    stored(
        5,
        DigitalContentData {
            subevent: None,
            title: I18nString::english("Concert livestream"),
            content_type: ContentType::Video,
            url: "https://example.org/v".into(),
            description: Some(I18nString::english("*Watch*")),
            all_products: false,
            limit_products: vec![1],
            available_from: Some(at("2020-03-22T23:00:00Z")),
            available_until: None,
            position: 3,
        },
    )
}

#[pollster::test]
async fn patch_changes_only_what_is_sent() {
    let mut repo = MockDigitalContentRepository::new();
    repo.expect_update()
        .withf(|e, id, d| {
            let mut want = current().data;
            want.url = "https://mywebsite.com".into();
            *e == EVENT && *id == DigitalContentId(5) && *d == want
        })
        .times(1)
        .returning(|_, id, d| Ok(Some(stored(id.0, d))));
    let patch = DigitalContentChanges {
        url: Some("https://mywebsite.com".into()),
        ..DigitalContentChanges::default()
    };
    let got = update_digital_content(
        &repo,
        &event(false),
        &current(),
        patch,
        WriteMode::Partial,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got.map(|c| c.data.url),
        Ok("https://mywebsite.com".to_owned())
    );
}

#[pollster::test]
async fn put_requires_title_and_url_and_resets_the_rest() {
    let mut repo = MockDigitalContentRepository::new();
    repo.expect_update()
        .withf(|_, _, d| {
            let mut want = DigitalContentData::defaults();
            want.title = I18nString::english("Concert livestream");
            want.url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into();
            *d == want
        })
        .times(1)
        .returning(|_, id, d| Ok(Some(stored(id.0, d))));
    assert_eq!(
        update_digital_content(
            &repo,
            &event(false),
            &current(),
            DigitalContentChanges {
                position: Some(1),
                ..DigitalContentChanges::default()
            },
            WriteMode::Replace,
            FieldErrors::new()
        )
        .await,
        Err(invalid(&[("title", REQUIRED), ("url", REQUIRED)]))
    );
    assert!(update_digital_content(
        &repo,
        &event(false),
        &current(),
        minimal(),
        WriteMode::Replace,
        FieldErrors::new()
    )
    .await
    .is_ok());
}

#[pollster::test]
async fn vanished_contents_are_not_found_and_outages_pass_through() {
    let mut repo = MockDigitalContentRepository::new();
    repo.expect_update().returning(|_, _, _| Ok(None));
    repo.expect_delete()
        .withf(|_, id| *id == DigitalContentId(5))
        .returning(|_, _| Ok(false));
    repo.expect_delete()
        .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
    repo.expect_references()
        .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
    assert_eq!(
        update_digital_content(
            &repo,
            &event(false),
            &current(),
            DigitalContentChanges::default(),
            WriteMode::Partial,
            FieldErrors::new()
        )
        .await,
        Err(DigitalContentError::NotFound)
    );
    assert_eq!(
        delete_digital_content(&repo, EVENT, DigitalContentId(5)).await,
        Err(DigitalContentError::NotFound)
    );
    assert_eq!(
        delete_digital_content(&repo, EVENT, DigitalContentId(6)).await,
        Err(DigitalContentError::Repository(
            RepositoryError::Unavailable("down".into())
        ))
    );
    let mut c = minimal();
    c.limit_products = Some(vec![1]);
    assert_eq!(
        create_digital_content(&repo, &event(false), c, FieldErrors::new()).await,
        Err(DigitalContentError::Repository(
            RepositoryError::Unavailable("down".into())
        ))
    );
}
