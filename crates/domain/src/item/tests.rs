//! Unit tests of the product and variation rules with mocked ports.

use super::*;
use crate::validation::FieldErrors;
use crate::write::WriteMode;

fn money(text: &str) -> Money {
    Money::parse(text).unwrap_or_default()
}

fn item_fields() -> ItemFields {
    ItemFields::defaults(I18nString::english("Ticket"), money("23.40"))
}

fn variation_fields(value: &str) -> VariationFields {
    VariationFields::defaults(I18nString::english(value))
}

fn stored(
    id: i64,
    fields: ItemFields,
    variations: Vec<(Option<VariationId>, VariationFields)>,
) -> Item {
    Item {
        id: ItemId(id),
        event: EventId(1),
        fields,
        has_variations: !variations.is_empty(),
        variations: variations
            .into_iter()
            .enumerate()
            .map(|(i, (_, f))| ItemVariation {
                id: VariationId(100 + i64::try_from(i).unwrap_or(0)),
                item: ItemId(id),
                fields: f,
            })
            .collect(),
    }
}

fn named(name: &str, price: &str) -> ItemChanges {
    ItemChanges {
        name: Some(I18nString::english(name)),
        default_price: Some(money(price)),
        ..ItemChanges::default()
    }
}

fn value(v: &str) -> VariationChanges {
    VariationChanges {
        value: Some(I18nString::english(v)),
        ..VariationChanges::default()
    }
}

fn invalid(fields: &[(&str, &str)], variations: &[&[(&str, &str)]]) -> ItemError {
    let collect = |pairs: &[(&str, &str)]| {
        let mut e = FieldErrors::new();
        for (f, m) in pairs {
            e.add(f, *m);
        }
        e
    };
    ItemError::Invalid(ItemErrors {
        fields: collect(fields),
        variations_not_a_list: None,
        variations: variations.iter().map(|v| collect(v)).collect(),
    })
}

const NEGATIVE: &str = "Ensure this value is greater than or equal to 0.";

#[test]
fn prices_and_positions_have_bounds() {
    assert_eq!(price_error(&money("0")), None);
    assert_eq!(price_error(&money("-0")), None);
    assert_eq!(price_error(&money("-0.01")), Some(NEGATIVE));
    assert_eq!(position_error(POSITION_MIN), None);
    assert_eq!(position_error(POSITION_MAX), None);
    assert_eq!(
        position_error(POSITION_MAX + 1),
        Some("Ensure this value is less than or equal to 2147483647.")
    );
    assert_eq!(
        position_error(POSITION_MIN - 1),
        Some("Ensure this value is greater than or equal to -2147483648.")
    );
}

#[pollster::test]
async fn create_applies_defaults_and_creates_inline_variations() {
    let mut repo = MockItemRepository::new();
    repo.expect_create()
        .withf(|event, id, f, v| {
            *event == EventId(1)
                && id.is_none()
                && *f == item_fields()
                && *v
                    == vec![
                        (None, variation_fields("S")),
                        (
                            None,
                            VariationFields {
                                default_price: Some(money("2.5")),
                                active: false,
                                position: 3,
                                ..variation_fields("M")
                            },
                        ),
                    ]
        })
        .times(1)
        .returning(|_, _, f, v| Ok(stored(7, f, v)));
    let mut changes = named("Ticket", "23.4");
    changes.variations = Some(vec![
        value("S"),
        VariationChanges {
            default_price: Some(Some(money("2.5"))),
            active: Some(false),
            position: Some(3),
            ..value("M")
        },
    ]);
    let created = create_item(&repo, EventId(1), changes, ItemErrors::default()).await;
    assert_eq!(
        created.map(|i| (i.id, i.has_variations, i.variations.len())),
        Ok((ItemId(7), true, 2))
    );
}

#[pollster::test]
async fn create_without_variations_has_none() {
    let mut repo = MockItemRepository::new();
    repo.expect_create()
        .withf(|_, _, _, v| v.is_empty())
        .times(1)
        .returning(|_, _, f, v| Ok(stored(1, f, v)));
    let mut changes = named("Ticket", "0");
    changes.variations = Some(vec![]);
    let created = create_item(&repo, EventId(1), changes, ItemErrors::default()).await;
    assert_eq!(created.map(|i| i.has_variations), Ok(false));
}

#[pollster::test]
async fn create_reports_every_error_at_once_and_writes_nothing() {
    let repo = MockItemRepository::new();
    let mut parse = ItemErrors::default();
    parse.fields.add("active", "Must be a valid boolean.");
    parse.variations = vec![
        FieldErrors::new(),
        FieldErrors::single(
            "non_field_errors",
            "Invalid data. Expected a dictionary, but got int.",
        ),
        FieldErrors::new(),
    ];
    let changes = ItemChanges {
        position: Some(POSITION_MAX + 1),
        variations: Some(vec![
            value("S"),
            VariationChanges::default(),
            VariationChanges {
                default_price: Some(Some(money("-1"))),
                ..VariationChanges::default()
            },
        ]),
        ..ItemChanges::default()
    };
    assert_eq!(
        create_item(&repo, EventId(1), changes, parse).await,
        Err(invalid(
            &[
                ("name", REQUIRED),
                ("default_price", REQUIRED),
                ("active", "Must be a valid boolean."),
                (
                    "position",
                    "Ensure this value is less than or equal to 2147483647."
                ),
            ],
            &[
                &[],
                &[(
                    "non_field_errors",
                    "Invalid data. Expected a dictionary, but got int."
                )],
                &[("value", REQUIRED), ("default_price", NEGATIVE)],
            ],
        ))
    );
    assert_eq!(
        create_item(&repo, EventId(1), named("x", "-5"), ItemErrors::default()).await,
        Err(invalid(&[("default_price", NEGATIVE)], &[]))
    );
}

#[pollster::test]
async fn update_keeps_what_was_not_sent_and_refuses_variations() {
    let mut current = item_fields();
    current.description = Some(I18nString::english("d"));
    current.active = false;
    let item = stored(3, current.clone(), vec![]);
    let mut repo = MockItemRepository::new();
    repo.expect_update()
        .withf(|e, id, f| {
            *e == EventId(1)
                && *id == ItemId(3)
                && f.name == I18nString::english("New")
                && f.default_price == money("5")
                && !f.active
                && f.description == Some(I18nString::english("d"))
        })
        .times(1)
        .returning(|_, _, f| Ok(Some(stored(3, f, vec![]))));
    let updated = update_item(
        &repo,
        &item,
        named("New", "5"),
        WriteMode::Replace,
        ItemErrors::default(),
    )
    .await;
    assert_eq!(updated.map(|i| i.fields.position), Ok(0));

    // PUT needs the required fields; PATCH does not.
    assert_eq!(
        update_item(
            &repo,
            &item,
            ItemChanges::default(),
            WriteMode::Replace,
            ItemErrors::default()
        )
        .await,
        Err(invalid(
            &[("name", REQUIRED), ("default_price", REQUIRED)],
            &[]
        ))
    );
    let nested = ItemChanges {
        variations: Some(vec![]),
        ..ItemChanges::default()
    };
    assert_eq!(
        update_item(
            &repo,
            &item,
            nested.clone(),
            WriteMode::Partial,
            ItemErrors::default()
        )
        .await,
        Err(invalid(&[("non_field_errors", NESTED_UPDATE)], &[]))
    );
    // Field errors come before the object-level rule.
    let mut bad_position = nested;
    bad_position.position = Some(POSITION_MIN - 1);
    assert_eq!(
        update_item(
            &repo,
            &item,
            bad_position,
            WriteMode::Partial,
            ItemErrors::default()
        )
        .await,
        Err(invalid(
            &[(
                "position",
                "Ensure this value is greater than or equal to -2147483648."
            )],
            &[]
        ))
    );
}

#[pollster::test]
async fn inline_variations_on_update_follow_the_write_mode() {
    let item = stored(3, item_fields(), vec![]);
    let repo = MockItemRepository::new();
    let changes = || ItemChanges {
        variations: Some(vec![VariationChanges::default()]),
        ..named("x", "1")
    };
    assert_eq!(
        update_item(
            &repo,
            &item,
            changes(),
            WriteMode::Replace,
            ItemErrors::default()
        )
        .await,
        Err(invalid(&[], &[&[("value", REQUIRED)]]))
    );
    assert_eq!(
        update_item(
            &repo,
            &item,
            changes(),
            WriteMode::Partial,
            ItemErrors::default()
        )
        .await,
        Err(invalid(&[("non_field_errors", NESTED_UPDATE)], &[]))
    );
}

#[pollster::test]
async fn update_of_a_vanished_item_is_not_found_and_outages_pass_through() {
    let item = stored(3, item_fields(), vec![]);
    let mut repo = MockItemRepository::new();
    repo.expect_update().times(1).returning(|_, _, _| Ok(None));
    repo.expect_update()
        .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
    let patch = || ItemChanges {
        admission: Some(true),
        ..ItemChanges::default()
    };
    assert_eq!(
        update_item(
            &repo,
            &item,
            patch(),
            WriteMode::Partial,
            ItemErrors::default()
        )
        .await,
        Err(ItemError::NotFound)
    );
    assert_eq!(
        update_item(
            &repo,
            &item,
            patch(),
            WriteMode::Partial,
            ItemErrors::default()
        )
        .await,
        Err(ItemError::Repository(RepositoryError::Unavailable(
            "down".into()
        )))
    );
}

#[pollster::test]
async fn delete_item_reports_a_missing_item() {
    let item = stored(3, item_fields(), vec![]);
    let mut repo = MockItemRepository::new();
    repo.expect_delete()
        .withf(|e, id| *e == EventId(1) && *id == ItemId(3))
        .times(1)
        .returning(|_, _| Ok(true));
    repo.expect_delete().returning(|_, _| Ok(false));
    assert_eq!(delete_item(&repo, &item).await, Ok(()));
    assert_eq!(delete_item(&repo, &item).await, Err(ItemError::NotFound));
}

#[pollster::test]
async fn variations_only_for_products_with_variations() {
    let plain = stored(1, item_fields(), vec![]);
    let with = stored(2, item_fields(), vec![(None, variation_fields("S"))]);
    let mut repo = MockItemRepository::new();
    repo.expect_create_variation()
        .withf(|item, id, f| {
            *item == ItemId(2) && id.is_none() && f.value == I18nString::english("M")
        })
        .times(1)
        .returning(|item, _, fields| {
            Ok(ItemVariation {
                id: VariationId(9),
                item,
                fields,
            })
        });
    assert_eq!(
        create_variation(&repo, &plain, value("M"), FieldErrors::new()).await,
        Err(ItemError::Refused(FIRST_VARIATION))
    );
    // The body is checked first.
    assert_eq!(
        create_variation(
            &repo,
            &plain,
            VariationChanges::default(),
            FieldErrors::new()
        )
        .await,
        Err(invalid(&[("value", REQUIRED)], &[]))
    );
    assert_eq!(
        create_variation(&repo, &with, value("M"), FieldErrors::new())
            .await
            .map(|v| (v.id, v.fields)),
        Ok((VariationId(9), variation_fields("M")))
    );
    let mut parse = FieldErrors::new();
    parse.add("active", "Must be a valid boolean.");
    let changes = VariationChanges {
        default_price: Some(Some(money("-0.5"))),
        ..VariationChanges::default()
    };
    assert_eq!(
        create_variation(&repo, &with, changes, parse).await,
        Err(invalid(
            &[
                ("value", REQUIRED),
                ("default_price", NEGATIVE),
                ("active", "Must be a valid boolean.")
            ],
            &[]
        ))
    );
}

#[pollster::test]
async fn variation_updates_keep_what_was_not_sent() {
    let item = stored(2, item_fields(), vec![(None, variation_fields("S"))]);
    let variation = item.variations[0].clone();
    let mut repo = MockItemRepository::new();
    repo.expect_update_variation()
        .withf(|item, id, f| {
            *item == ItemId(2)
                && *id == VariationId(100)
                && f.value == I18nString::english("S")
                && f.default_price == Some(money("4"))
        })
        .times(1)
        .returning(|item, id, fields| Ok(Some(ItemVariation { id, item, fields })));
    let changes = VariationChanges {
        default_price: Some(Some(money("4"))),
        ..VariationChanges::default()
    };
    assert!(update_variation(
        &repo,
        &variation,
        changes.clone(),
        WriteMode::Partial,
        FieldErrors::new()
    )
    .await
    .is_ok());
    assert_eq!(
        update_variation(
            &repo,
            &variation,
            changes,
            WriteMode::Replace,
            FieldErrors::new()
        )
        .await,
        Err(invalid(&[("value", REQUIRED)], &[]))
    );
}

#[pollster::test]
async fn the_only_variation_cannot_be_deleted() {
    let one = stored(2, item_fields(), vec![(None, variation_fields("S"))]);
    let two = stored(
        3,
        item_fields(),
        vec![(None, variation_fields("S")), (None, variation_fields("M"))],
    );
    let mut repo = MockItemRepository::new();
    repo.expect_delete_variation()
        .withf(|item, id| *item == ItemId(3) && *id == VariationId(101))
        .times(1)
        .returning(|_, _| Ok(true));
    assert_eq!(
        delete_variation(&repo, &one, VariationId(100)).await,
        Err(ItemError::Refused(LAST_VARIATION))
    );
    assert_eq!(
        delete_variation(&repo, &two, VariationId(555)).await,
        Err(ItemError::NotFound)
    );
    assert_eq!(
        delete_variation(&repo, &two, VariationId(101)).await,
        Ok(())
    );
}

#[test]
fn errors_sort_in_field_order_and_drop_all_valid_variations() {
    let mut e = ItemErrors::default();
    e.fields.add("position", "p");
    e.fields.add("name", "n");
    e.variations = vec![FieldErrors::new()];
    let Err(ItemError::Invalid(sorted)) = e.into_result() else {
        panic!("invalid expected");
    };
    let fields: Vec<_> = sorted.fields.iter().map(|(f, _)| f).collect();
    assert_eq!(
        (fields, sorted.variations.len()),
        (vec!["name", "position"], 0)
    );
    assert_eq!(ItemErrors::default().into_result(), Ok(()));
}
