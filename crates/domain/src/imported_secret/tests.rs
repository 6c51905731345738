use super::*;
use crate::write::WriteMode;
use mockall::predicate::eq;

const EVENT: EventId = EventId(3);

fn stored(id: i64, data: SecretData) -> ImportedSecret {
    ImportedSecret {
        id: ImportedSecretId(id),
        event: EVENT,
        data,
    }
}

fn secret(text: &str) -> SecretChanges {
    SecretChanges {
        secret: Some(text.into()),
        ..SecretChanges::default()
    }
}

fn data(text: &str) -> SecretData {
    SecretData {
        secret: text.into(),
        ..SecretData::defaults()
    }
}

fn errors(fields: &[(&str, &str)]) -> FieldErrors {
    let mut e = FieldErrors::new();
    for (f, m) in fields {
        e.add(f, *m);
    }
    e
}

/// Products 1 and 2 with variations 11 and 21, date 5; the secret `taken` is stored as id 99.
fn catalog() -> MockImportedSecretRepository {
    let mut repo = MockImportedSecretRepository::new();
    repo.expect_catalog()
        .returning(|event, items, variations, subevents| {
            assert_eq!(event, EVENT);
            Ok(CatalogMatches {
                items: items
                    .into_iter()
                    .filter(|i| [1, 2].contains(&i.0))
                    .collect(),
                variations: variations
                    .into_iter()
                    .filter_map(|v| match v.0 {
                        11 => Some((v, ItemId(1))),
                        21 => Some((v, ItemId(2))),
                        _ => None,
                    })
                    .collect(),
                subevents: subevents.into_iter().filter(|s| s.0 == 5).collect(),
            })
        });
    repo.expect_existing().returning(|_, secrets| {
        Ok(secrets
            .into_iter()
            .filter(|s| s == "taken")
            .map(|s| (s, ImportedSecretId(99)))
            .collect())
    });
    repo
}

/// `catalog()` that stores whatever it is given, with ids from 1.
fn storing() -> MockImportedSecretRepository {
    let mut repo = catalog();
    repo.expect_create().returning(|_, all| {
        Ok(all
            .into_iter()
            .enumerate()
            .map(|(i, d)| stored(i as i64 + 1, d))
            .collect())
    });
    repo
}

#[test]
fn secret_texts_are_one_to_255_characters() {
    assert_eq!(check_secret("a"), Ok(()));
    assert_eq!(check_secret(&"ü".repeat(255)), Ok(()));
    assert_eq!(check_secret(&"a".repeat(256)), Err(TOO_LONG));
    assert_eq!(check_secret(""), Err(BLANK));
}

#[pollster::test]
async fn create_fills_the_defaults() {
    let got = create_secret(&storing(), EVENT, secret("foobar")).await;
    assert_eq!(got, Ok(stored(1, data("foobar"))));
}

#[pollster::test]
async fn create_needs_a_valid_secret_and_writes_nothing_otherwise() {
    let repo = catalog();
    let invalid = |fields: &[(&str, &str)]| Err(ImportedSecretError::Invalid(errors(fields)));
    assert_eq!(
        create_secret(&repo, EVENT, SecretChanges::default()).await,
        invalid(&[("secret", "This field is required.")])
    );
    assert_eq!(
        create_secret(&repo, EVENT, secret("")).await,
        invalid(&[("secret", BLANK)])
    );
    assert_eq!(
        create_secret(&repo, EVENT, secret(&"x".repeat(256))).await,
        invalid(&[("secret", TOO_LONG)])
    );
    // A parse error from the edge stands for the field; errors come in field order.
    let mut changes = SecretChanges {
        subevent: Some(Some(SubEventId(6))),
        ..secret("taken")
    };
    changes.errors.add("used", "Must be a valid boolean.");
    changes.errors.add("secret", "This field may not be null.");
    assert_eq!(
        create_secret(&repo, EVENT, changes).await,
        invalid(&[
            ("secret", "This field may not be null."),
            ("used", "Must be a valid boolean."),
            ("subevent", "Invalid pk \"6\" - object does not exist."),
        ])
    );
}

#[pollster::test]
async fn references_must_be_the_events_catalog() {
    let repo = catalog();
    let with = |item: Option<i64>, variation: Option<i64>, subevent: Option<i64>| SecretChanges {
        item: Some(item.map(ItemId)),
        variation: Some(variation.map(VariationId)),
        subevent: Some(subevent.map(SubEventId)),
        ..secret("s")
    };
    let invalid = |fields: &[(&str, &str)]| Err(ImportedSecretError::Invalid(errors(fields)));
    assert_eq!(
        create_secret(&repo, EVENT, with(Some(7), Some(8), Some(9))).await,
        invalid(&[
            ("item", "Invalid pk \"7\" - object does not exist."),
            ("variation", "Invalid pk \"8\" - object does not exist."),
            ("subevent", "Invalid pk \"9\" - object does not exist."),
        ])
    );
    assert_eq!(
        create_secret(&repo, EVENT, with(Some(1), Some(21), None)).await,
        invalid(&[("variation", VARIATION_OF_OTHER_ITEM)])
    );
    assert_eq!(
        create_secret(&repo, EVENT, with(None, Some(11), None)).await,
        invalid(&[("variation", VARIATION_OF_OTHER_ITEM)])
    );
    let repo = storing();
    let got = create_secret(&repo, EVENT, with(Some(1), Some(11), Some(5))).await;
    assert_eq!(
        got.map(|s| (s.data.item, s.data.variation, s.data.subevent)),
        Ok((Some(ItemId(1)), Some(VariationId(11)), Some(SubEventId(5))))
    );
}

#[pollster::test]
async fn a_secret_is_unique_in_its_event() {
    assert_eq!(
        create_secret(&catalog(), EVENT, secret("taken")).await,
        Err(ImportedSecretError::Invalid(errors(&[(
            "secret", DUPLICATE
        )])))
    );
}

#[pollster::test]
async fn losing_a_race_for_a_secret_is_a_duplicate_not_a_failure() {
    // The check found nothing; the unique index refused the write, and the secret is there now.
    let mut repo = MockImportedSecretRepository::new();
    let mut checks = 0;
    repo.expect_existing()
        .times(2)
        .returning(move |_, secrets| {
            checks += 1;
            Ok(match checks {
                1 => Vec::new(),
                _ => secrets
                    .into_iter()
                    .map(|s| (s, ImportedSecretId(7)))
                    .collect(),
            })
        });
    repo.expect_create()
        .times(1)
        .returning(|_, _| Err(RepositoryError::Conflict("unique".into())));
    assert_eq!(
        create_secret(&repo, EVENT, secret("race")).await,
        Err(ImportedSecretError::Invalid(errors(&[(
            "secret", DUPLICATE
        )])))
    );
}

#[pollster::test]
async fn a_race_against_an_uncommitted_import_is_tried_again() {
    // The other writer rolled back: the recheck finds nothing, the second write succeeds.
    let mut repo = MockImportedSecretRepository::new();
    repo.expect_existing().returning(|_, _| Ok(Vec::new()));
    let mut writes = 0;
    repo.expect_create().times(2).returning(move |_, all| {
        writes += 1;
        match writes {
            1 => Err(RepositoryError::Conflict("deadlock".into())),
            _ => Ok(all.into_iter().map(|d| stored(4, d)).collect()),
        }
    });
    assert_eq!(
        create_secret(&repo, EVENT, secret("race")).await,
        Ok(stored(4, data("race")))
    );
}

#[pollster::test]
async fn bulk_create_is_all_or_nothing_with_an_error_object_per_object() {
    let mut repo = catalog();
    repo.expect_create().times(0);
    let got = bulk_create_secrets(
        &repo,
        EVENT,
        vec![
            secret("a"),
            secret("taken"),
            secret("b"),
            secret("a"),
            SecretChanges {
                item: Some(Some(ItemId(3))),
                ..secret("c")
            },
        ],
    )
    .await;
    assert_eq!(
        got,
        Err(ImportedSecretError::InvalidObjects(vec![
            FieldErrors::new(),
            errors(&[("secret", DUPLICATE)]),
            FieldErrors::new(),
            errors(&[("secret", DUPLICATE_IN_REQUEST)]),
            errors(&[("item", "Invalid pk \"3\" - object does not exist.")]),
        ]))
    );
}

#[pollster::test]
async fn bulk_create_takes_at_most_500_objects() {
    let repo = MockImportedSecretRepository::new();
    let objects = (0..501).map(|i| secret(&i.to_string())).collect();
    assert_eq!(
        bulk_create_secrets(&repo, EVENT, objects).await,
        Err(ImportedSecretError::TooMany)
    );
    let objects: Vec<_> = (0..500).map(|i| secret(&i.to_string())).collect();
    let mut repo = catalog();
    repo.expect_create()
        .withf(|_, all| all.len() == 500 && all[499].secret == "499")
        .times(1)
        .returning(|_, all| Ok(all.into_iter().map(|d| stored(1, d)).collect()));
    assert_eq!(
        bulk_create_secrets(&repo, EVENT, objects)
            .await
            .map(|v| v.len()),
        Ok(500)
    );
    assert_eq!(
        bulk_create_secrets(&MockImportedSecretRepository::new(), EVENT, vec![]).await,
        Ok(vec![])
    );
}

#[pollster::test]
async fn an_import_chunk_writes_the_valid_objects_and_reports_the_others() {
    let mut repo = catalog();
    repo.expect_create()
        .withf(|_, all| all.iter().map(|d| d.secret.as_str()).eq(["a", "b"]))
        .times(1)
        .returning(|_, all| Ok(all.into_iter().map(|d| stored(1, d)).collect()));
    let got = import_secrets(
        &repo,
        EVENT,
        vec![
            secret("a"),
            secret(""),
            secret("taken"),
            secret("b"),
            secret("a"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(got.created.len(), 2);
    assert_eq!(
        got.rejected,
        vec![
            (1, errors(&[("secret", BLANK)])),
            (2, errors(&[("secret", DUPLICATE)])),
            (4, errors(&[("secret", DUPLICATE_IN_REQUEST)])),
        ]
    );
}

#[pollster::test]
async fn an_import_chunk_that_loses_a_race_writes_the_rest() {
    let mut repo = MockImportedSecretRepository::new();
    let mut checks = 0;
    repo.expect_existing().returning(move |_, secrets| {
        checks += 1;
        Ok(secrets
            .into_iter()
            .filter(|s| checks > 1 && s == "b")
            .map(|s| (s, ImportedSecretId(7)))
            .collect())
    });
    repo.expect_create()
        .withf(|_, all| all.len() == 2)
        .times(1)
        .returning(|_, _| Err(RepositoryError::Conflict("unique".into())));
    repo.expect_create()
        .withf(|_, all| all.len() == 1 && all[0].secret == "a")
        .times(1)
        .returning(|_, all| Ok(all.into_iter().map(|d| stored(1, d)).collect()));
    let got = import_secrets(&repo, EVENT, vec![secret("a"), secret("b")])
        .await
        .unwrap();
    assert_eq!(got.created, vec![stored(1, data("a"))]);
    assert_eq!(got.rejected, vec![(1, errors(&[("secret", DUPLICATE)]))]);
}

fn used(text: &str) -> ImportedSecret {
    stored(
        7,
        SecretData {
            used: true,
            ..data(text)
        },
    )
}

#[pollster::test]
async fn used_never_goes_back_to_false() {
    let repo = catalog();
    let back = SecretChanges {
        used: Some(false),
        ..SecretChanges::default()
    };
    let refused = Err(ImportedSecretError::Invalid(errors(&[(
        "used", USED_RESET,
    )])));
    assert_eq!(
        update_secret(&repo, EVENT, used("s"), back, WriteMode::Partial).await,
        refused
    );
    // PUT resets the fields left out to their defaults, `used` too.
    assert_eq!(
        update_secret(&repo, EVENT, used("s"), secret("s"), WriteMode::Replace).await,
        refused
    );
}

#[pollster::test]
async fn patch_changes_what_was_sent_and_marks_used() {
    let mut repo = catalog();
    repo.expect_update()
        .with(
            eq(EVENT),
            eq(ImportedSecretId(7)),
            eq(false),
            eq(SecretData {
                used: true,
                item: Some(ItemId(2)),
                ..data("mine")
            }),
        )
        .times(1)
        .returning(|_, id, _, d| Ok(Some(stored(id.0, d))));
    let current = stored(7, data("mine"));
    let changes = SecretChanges {
        used: Some(true),
        item: Some(Some(ItemId(2))),
        ..SecretChanges::default()
    };
    let got = update_secret(&repo, EVENT, current, changes, WriteMode::Partial).await;
    assert!(got.is_ok_and(|s| s.data.used));
}

#[pollster::test]
async fn a_secret_keeps_its_own_text_but_cannot_take_another() {
    let mut repo = catalog();
    repo.expect_update()
        .returning(|_, id, _, d| Ok(Some(stored(id.0, d))));
    // `taken` is secret 99 itself.
    let current = stored(99, data("taken"));
    let got = update_secret(&repo, EVENT, current, secret("taken"), WriteMode::Replace).await;
    assert!(got.is_ok());
    let current = stored(7, data("mine"));
    assert_eq!(
        update_secret(&repo, EVENT, current, secret("taken"), WriteMode::Partial).await,
        Err(ImportedSecretError::Invalid(errors(&[(
            "secret", DUPLICATE
        )])))
    );
    // The unique index decides a race: the write meets the other writer's row, and the check
    // against what is stored then reports it.
    let mut repo = MockImportedSecretRepository::new();
    repo.expect_catalog()
        .returning(|_, _, _, _| Ok(CatalogMatches::default()));
    repo.expect_existing().times(1).returning(|_, _| Ok(vec![]));
    repo.expect_existing()
        .returning(|_, _| Ok(vec![("new".to_owned(), ImportedSecretId(8))]));
    repo.expect_update()
        .times(1)
        .returning(|_, _, _, _| Err(RepositoryError::Conflict("unique".into())));
    repo.expect_find()
        .times(1)
        .returning(|_, _| Ok(Some(stored(7, data("mine")))));
    let current = stored(7, data("mine"));
    assert_eq!(
        update_secret(&repo, EVENT, current, secret("new"), WriteMode::Partial).await,
        Err(ImportedSecretError::Invalid(errors(&[(
            "secret", DUPLICATE
        )])))
    );
}

#[pollster::test]
async fn an_update_racing_a_change_of_used_is_checked_again() {
    let mut repo = catalog();
    // Marked used meanwhile: the conditional write misses, the stored state refuses the reset.
    repo.expect_update()
        .with(
            eq(EVENT),
            eq(ImportedSecretId(7)),
            eq(false),
            mockall::predicate::always(),
        )
        .times(1)
        .returning(|_, _, _, _| Ok(None));
    repo.expect_find()
        .times(1)
        .returning(|_, _| Ok(Some(used("s"))));
    let changes = SecretChanges {
        used: Some(false),
        ..SecretChanges::default()
    };
    assert_eq!(
        update_secret(
            &repo,
            EVENT,
            stored(7, data("s")),
            changes,
            WriteMode::Partial
        )
        .await,
        Err(ImportedSecretError::Invalid(errors(&[(
            "used", USED_RESET
        )])))
    );
    // Deleted meanwhile.
    let mut repo = catalog();
    repo.expect_update().returning(|_, _, _, _| Ok(None));
    repo.expect_find().returning(|_, _| Ok(None));
    assert_eq!(
        update_secret(
            &repo,
            EVENT,
            stored(7, data("s")),
            secret("t"),
            WriteMode::Partial
        )
        .await,
        Err(ImportedSecretError::NotFound)
    );
}

#[pollster::test]
async fn a_used_secret_cannot_be_deleted() {
    let mut repo = MockImportedSecretRepository::new();
    repo.expect_find()
        .with(eq(EVENT), eq(ImportedSecretId(7)))
        .returning(|_, _| Ok(Some(used("s"))));
    repo.expect_delete_unused().times(0);
    assert_eq!(
        delete_secret(&repo, EVENT, ImportedSecretId(7)).await,
        Err(ImportedSecretError::UsedCannotBeDeleted)
    );
}

#[pollster::test]
async fn deleting_an_unused_secret_and_a_missing_one() {
    let mut repo = MockImportedSecretRepository::new();
    repo.expect_find()
        .with(eq(EVENT), eq(ImportedSecretId(7)))
        .returning(|_, _| Ok(Some(stored(7, data("s")))));
    repo.expect_find().returning(|_, _| Ok(None));
    repo.expect_delete_unused()
        .with(eq(EVENT), eq(ImportedSecretId(7)))
        .times(1)
        .returning(|_, _| Ok(true));
    assert_eq!(
        delete_secret(&repo, EVENT, ImportedSecretId(7)).await,
        Ok(())
    );
    assert_eq!(
        delete_secret(&repo, EVENT, ImportedSecretId(8)).await,
        Err(ImportedSecretError::NotFound)
    );
}

#[pollster::test]
async fn a_delete_racing_a_use_is_refused() {
    let mut repo = MockImportedSecretRepository::new();
    let mut finds = 0;
    repo.expect_find().times(2).returning(move |_, _| {
        finds += 1;
        Ok(Some(if finds == 1 {
            stored(7, data("s"))
        } else {
            used("s")
        }))
    });
    repo.expect_delete_unused().returning(|_, _| Ok(false));
    assert_eq!(
        delete_secret(&repo, EVENT, ImportedSecretId(7)).await,
        Err(ImportedSecretError::UsedCannotBeDeleted)
    );
}

#[pollster::test]
async fn outages_pass_through() {
    let mut repo = MockImportedSecretRepository::new();
    repo.expect_existing()
        .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
    assert_eq!(
        create_secret(&repo, EVENT, secret("s")).await,
        Err(ImportedSecretError::Repository(
            RepositoryError::Unavailable("down".into())
        ))
    );
}
