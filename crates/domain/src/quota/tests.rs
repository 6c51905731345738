//! Unit tests of the quota rules with mocked ports.

use super::*;
use crate::event::Event;
use crate::validation::FieldErrors;
use crate::write::WriteMode;

const EVENT: EventId = EventId(3);
const OTHER: EventId = EventId(4);

fn event(has_subevents: bool) -> Event {
    crate::event::sample_event(EVENT, "conf", has_subevents)
}

/// The organizer's catalog: ticket 1 (no variations) and shirt 2 (variations 20, 21)
/// in this event, item 3 with variation 30 in another event; sub-event 7 of this
/// event, 8 of the other.
fn catalog() -> MockQuotaRepository {
    let mut repo = MockQuotaRepository::new();
    repo.expect_references()
        .returning(|o, items, variations, subevents| {
            assert_eq!(o, OrganizerId(1));
            let all_items = [
                ItemRef {
                    id: 1,
                    event: EVENT,
                    has_variations: false,
                },
                ItemRef {
                    id: 2,
                    event: EVENT,
                    has_variations: true,
                },
                ItemRef {
                    id: 3,
                    event: OTHER,
                    has_variations: true,
                },
            ];
            let all_variations = [(20, 2), (21, 2), (30, 3)];
            let all_subevents = [(7, EVENT), (8, OTHER)];
            Ok(References {
                items: all_items
                    .into_iter()
                    .filter(|i| items.contains(&i.id))
                    .collect(),
                variations: all_variations
                    .into_iter()
                    .filter(|(id, _)| variations.contains(id))
                    .map(|(id, item)| VariationRef { id, item })
                    .collect(),
                subevents: all_subevents
                    .into_iter()
                    .filter(|(id, _)| subevents.contains(&SubEventId(*id)))
                    .map(|(id, event)| SubEventRef {
                        id: SubEventId(id),
                        event,
                    })
                    .collect(),
            })
        });
    repo
}

fn named(name: &str) -> QuotaChanges {
    QuotaChanges {
        name: Some(name.into()),
        ..QuotaChanges::default()
    }
}

fn invalid(fields: &[(&str, &str)]) -> QuotaError {
    let mut e = FieldErrors::new();
    for (f, m) in fields {
        e.add(f, *m);
    }
    QuotaError::Invalid(e)
}

fn stored(id: i64, data: QuotaData) -> Quota {
    Quota {
        id: QuotaId(id),
        event: EVENT,
        data,
    }
}

async fn create(has_subevents: bool, changes: QuotaChanges) -> Result<Quota, QuotaError> {
    let mut repo = catalog();
    repo.expect_create().returning(|e, _, d| {
        Ok(Quota {
            id: QuotaId(11),
            event: e,
            data: d,
        })
    });
    create_quota(&repo, &event(has_subevents), changes, FieldErrors::new()).await
}

#[pollster::test]
async fn create_stores_sorted_unique_ids_and_defaults() {
    let got = create(
        false,
        QuotaChanges {
            items: Some(vec![2, 1, 2]),
            variations: Some(vec![21, 20, 21]),
            ..named("All")
        },
    )
    .await;
    assert_eq!(
        got,
        Ok(stored(
            11,
            QuotaData {
                name: "All".into(),
                size: None,
                items: vec![1, 2],
                variations: vec![20, 21],
                subevent: None,
            }
        ))
    );
}

#[pollster::test]
async fn field_errors_in_field_order_before_the_reference_rules() {
    let got = create(
        true,
        QuotaChanges {
            name: None,
            size: Some(Some(-1)),
            items: Some(vec![1, 99]),
            variations: Some(vec![98]),
            subevent: Some(Some(SubEventId(97))),
            ..QuotaChanges::default()
        },
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[
            ("name", REQUIRED),
            ("size", "Ensure this value is greater than or equal to 0."),
            ("items", "Invalid pk \"99\" - object does not exist."),
            ("variations", "Invalid pk \"98\" - object does not exist."),
            ("subevent", "Invalid pk \"97\" - object does not exist."),
        ]))
    );
    let got = create(
        false,
        QuotaChanges {
            size: Some(Some(SIZE_MAX + 1)),
            ..named(&"x".repeat(201))
        },
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[
            ("name", "Ensure this field has no more than 200 characters."),
            (
                "size",
                "Ensure this value is less than or equal to 2147483647."
            ),
        ]))
    );
    assert_eq!(
        create(false, named(" ")).await,
        Err(invalid(&[("name", "This field may not be blank.")]))
    );
    assert!(create(
        false,
        QuotaChanges {
            size: Some(Some(SIZE_MAX)),
            ..named(&"x".repeat(200))
        }
    )
    .await
    .is_ok());
}

#[pollster::test]
async fn variations_must_belong_to_the_quota_items() {
    assert_eq!(
        create(
            false,
            QuotaChanges {
                items: Some(vec![1]),
                variations: Some(vec![20]),
                ..named("q")
            }
        )
        .await,
        Err(invalid(&[("variations", VARIATION_NOT_IN_ITEMS)]))
    );
    // An item with variations needs at least one of them.
    assert_eq!(
        create(
            false,
            QuotaChanges {
                items: Some(vec![1, 2]),
                ..named("q")
            }
        )
        .await,
        Err(invalid(&[("variations", VARIATIONS_MISSING)]))
    );
    assert!(create(
        false,
        QuotaChanges {
            items: Some(vec![2]),
            variations: Some(vec![21]),
            ..named("q")
        }
    )
    .await
    .is_ok());
}

#[pollster::test]
async fn items_and_subevents_of_other_events_are_refused_by_field() {
    assert_eq!(
        create(
            true,
            QuotaChanges {
                items: Some(vec![3]),
                variations: Some(vec![30]),
                subevent: Some(Some(SubEventId(8))),
                ..named("q")
            }
        )
        .await,
        Err(invalid(&[
            ("items", ITEM_OF_OTHER_EVENT),
            ("subevent", SUBEVENT_OF_OTHER_EVENT)
        ]))
    );
}

#[pollster::test]
async fn series_need_a_subevent_others_refuse_one() {
    assert_eq!(
        create(true, named("q")).await,
        Err(invalid(&[("subevent", SUBEVENT_REQUIRED)]))
    );
    assert_eq!(
        create(
            true,
            QuotaChanges {
                subevent: Some(None),
                ..named("q")
            }
        )
        .await,
        Err(invalid(&[("subevent", SUBEVENT_REQUIRED)]))
    );
    assert_eq!(
        create(
            true,
            QuotaChanges {
                subevent: Some(Some(SubEventId(7))),
                ..named("q")
            }
        )
        .await
        .map(|q| q.data.subevent),
        Ok(Some(SubEventId(7)))
    );
    assert_eq!(
        create(
            false,
            QuotaChanges {
                subevent: Some(Some(SubEventId(7))),
                ..named("q")
            }
        )
        .await,
        Err(invalid(&[("subevent", SUBEVENT_OF_OTHER_EVENT)]))
    );
}

fn current() -> Quota {
    stored(
        5,
        QuotaData {
            name: "Shirts".into(),
            size: Some(10),
            items: vec![2],
            variations: vec![20],
            subevent: None,
        },
    )
}

#[pollster::test]
async fn patch_is_checked_against_the_stored_quota() {
    let mut repo = catalog();
    repo.expect_update()
        .withf(|e, id, d| *e == EVENT && *id == QuotaId(5) && d.size.is_none())
        .times(1)
        .returning(|_, id, d| Ok(Some(stored(id.0, d))));
    // Variation 21 belongs to the stored item 2.
    let got = update_quota(
        &repo,
        &event(false),
        &current(),
        QuotaChanges {
            size: Some(None),
            variations: Some(vec![21]),
            ..QuotaChanges::default()
        },
        WriteMode::Partial,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got.map(|q| (q.data.name, q.data.items, q.data.variations)),
        Ok(("Shirts".to_owned(), vec![2], vec![21]))
    );
    // Changing the items alone leaves the stored variation without its item.
    assert_eq!(
        update_quota(
            &repo,
            &event(false),
            &current(),
            QuotaChanges {
                items: Some(vec![1]),
                ..QuotaChanges::default()
            },
            WriteMode::Partial,
            FieldErrors::new(),
        )
        .await,
        Err(invalid(&[("variations", VARIATION_NOT_IN_ITEMS)]))
    );
    assert_eq!(
        update_quota(
            &repo,
            &event(false),
            &current(),
            QuotaChanges::default(),
            WriteMode::Replace,
            FieldErrors::new(),
        )
        .await,
        Err(invalid(&[("name", REQUIRED)]))
    );
}

#[pollster::test]
async fn vanished_quotas_are_not_found() {
    let mut repo = catalog();
    repo.expect_update().returning(|_, _, _| Ok(None));
    repo.expect_delete().returning(|_, _| Ok(false));
    assert_eq!(
        update_quota(
            &repo,
            &event(false),
            &current(),
            QuotaChanges::default(),
            WriteMode::Partial,
            FieldErrors::new(),
        )
        .await,
        Err(QuotaError::NotFound)
    );
    assert_eq!(
        delete_quota(&repo, EVENT, QuotaId(5)).await,
        Err(QuotaError::NotFound)
    );
}

#[pollster::test]
async fn parse_errors_from_the_edge_are_kept_and_nothing_is_written() {
    let repo = catalog();
    let got = create_quota(
        &repo,
        &event(false),
        named("q"),
        FieldErrors::single("items", "Expected a list of items but got type \"str\"."),
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[(
            "items",
            "Expected a list of items but got type \"str\"."
        )]))
    );
}
