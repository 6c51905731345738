//! Unit tests of the sales channel rules with mocked ports.

use super::*;
use crate::validation::FieldErrors;

fn channel(identifier: &str, kind: &str) -> SalesChannel {
    SalesChannel {
        organizer: OrganizerId(1),
        identifier: identifier.into(),
        label: I18nString::english("Label"),
        kind: kind.into(),
        position: 0,
    }
}

fn fields(identifier: &str, kind: &str, position: i64) -> SalesChannelFields {
    SalesChannelFields {
        identifier: identifier.into(),
        label: I18nString::english("Label"),
        kind: kind.into(),
        position,
    }
}

fn invalid(errors: &[(&str, &str)]) -> SalesChannelError {
    let mut e = FieldErrors::new();
    for (f, m) in errors {
        e.add(f, *m);
    }
    SalesChannelError::Invalid(e)
}

#[test]
fn identifiers_are_checked_pattern_before_length_then_prefix() {
    assert_eq!(new_identifier_error("api.shop-1_x"), None);
    assert_eq!(new_identifier_error(""), Some(BLANK));
    assert_eq!(
        new_identifier_error("api.a b"),
        Some("The identifier may only contain letters, numbers, dots, dashes, and underscores.")
    );
    let long = format!("api.{}", "a".repeat(197));
    assert_eq!(
        new_identifier_error(&long),
        Some("Ensure this field has no more than 200 characters.")
    );
    assert_eq!(new_identifier_error(&long[..200]), None);
    assert_eq!(
        new_identifier_error("shop"),
        Some("Your identifier needs to start with 'api.'.")
    );
    let web = channel("web", "web");
    assert_eq!(changed_identifier_error(&web, "web"), None);
    assert_eq!(
        changed_identifier_error(&web, "api.web"),
        Some("You cannot change the identifier of a sales channel.")
    );
}

#[test]
fn types_and_positions() {
    assert_eq!(new_type_error("api"), None);
    assert_eq!(
        new_type_error("web"),
        Some("You can currently only create channels of type 'api' through the API.")
    );
    assert_eq!(new_type_error(" "), Some(BLANK));
    let web = channel("web", "web");
    assert_eq!(changed_type_error(&web, "web"), None);
    assert_eq!(
        changed_type_error(&web, "api"),
        Some("You cannot change the type of a sales channel.")
    );
    assert_eq!(position_error(0), None);
    assert_eq!(position_error(POSITION_MAX), None);
    assert_eq!(
        position_error(-1),
        Some("Ensure this value is greater than or equal to 0.")
    );
    assert_eq!(
        position_error(POSITION_MAX + 1),
        Some("Ensure this value is less than or equal to 2147483647.")
    );
}

#[pollster::test]
async fn create_checks_every_field_in_order_and_writes_nothing_invalid() {
    let repo = MockSalesChannelRepository::new();
    assert_eq!(
        create_sales_channel(&repo, OrganizerId(1), fields("shop", "web", -1)).await,
        Err(invalid(&[
            ("identifier", "Your identifier needs to start with 'api.'."),
            (
                "type",
                "You can currently only create channels of type 'api' through the API."
            ),
            (
                "position",
                "Ensure this value is greater than or equal to 0."
            ),
        ]))
    );
}

#[pollster::test]
async fn create_stores_and_reports_a_taken_identifier() {
    let mut repo = MockSalesChannelRepository::new();
    repo.expect_create()
        .withf(|_, f| f.identifier == "api.new")
        .times(1)
        .returning(|o, f| {
            Ok(SalesChannel {
                organizer: o,
                identifier: f.identifier,
                label: f.label,
                kind: f.kind,
                position: f.position,
            })
        });
    repo.expect_create()
        .returning(|_, _| Err(RepositoryError::Conflict("unique".into())));
    let created = create_sales_channel(&repo, OrganizerId(1), fields("api.new", "api", 3)).await;
    assert_eq!(
        created,
        Ok(SalesChannel {
            position: 3,
            ..channel("api.new", "api")
        })
    );
    assert_eq!(
        create_sales_channel(&repo, OrganizerId(1), fields("api.old", "api", 0)).await,
        Err(invalid(&[("identifier", DUPLICATE_IDENTIFIER)]))
    );
}

#[pollster::test]
async fn update_keeps_identifier_and_type() {
    let web = channel("web", "web");
    let mut repo = MockSalesChannelRepository::new();
    repo.expect_update()
        .withf(|o, id, f| *o == OrganizerId(1) && id == "web" && f.position == 4)
        .times(1)
        .returning(|o, _, f| {
            Ok(Some(SalesChannel {
                organizer: o,
                identifier: f.identifier,
                label: f.label,
                kind: f.kind,
                position: f.position,
            }))
        });
    assert_eq!(
        update_sales_channel(&repo, &web, fields("web", "web", 4)).await,
        Ok(SalesChannel {
            position: 4,
            ..web.clone()
        })
    );
    assert_eq!(
        update_sales_channel(&repo, &web, fields("api.x", "api", 0)).await,
        Err(invalid(&[
            (
                "identifier",
                "You cannot change the identifier of a sales channel."
            ),
            ("type", "You cannot change the type of a sales channel."),
        ]))
    );
}

#[pollster::test]
async fn update_of_a_vanished_channel_is_not_found() {
    let mut repo = MockSalesChannelRepository::new();
    repo.expect_update().returning(|_, _, _| Ok(None));
    let c = channel("api.x", "api");
    assert_eq!(
        update_sales_channel(&repo, &c, c.fields()).await,
        Err(SalesChannelError::NotFound)
    );
}

#[pollster::test]
async fn web_cannot_be_deleted_others_can() {
    let mut repo = MockSalesChannelRepository::new();
    repo.expect_find().returning(|_, id| {
        Ok(match id {
            "web" => Some(channel("web", "web")),
            "api.x" => Some(channel("api.x", "api")),
            _ => None,
        })
    });
    repo.expect_delete()
        .withf(|_, id| id == "api.x")
        .times(1)
        .returning(|_, _| Ok(true));
    assert_eq!(
        delete_sales_channel(&repo, OrganizerId(1), "web").await,
        Err(SalesChannelError::NotDeletable)
    );
    assert_eq!(
        delete_sales_channel(&repo, OrganizerId(1), "nope").await,
        Err(SalesChannelError::NotFound)
    );
    assert_eq!(
        delete_sales_channel(&repo, OrganizerId(1), "api.x").await,
        Ok(())
    );
    assert_eq!(
        SalesChannelError::NotDeletable.to_string(),
        "Can only be deleted if unused."
    );
}

#[test]
fn changes_apply_to_a_new_or_the_stored_channel() {
    use crate::validation::REQUIRED;
    use crate::write::WriteMode;
    let errors = |e: SalesChannelError| match e {
        SalesChannelError::Invalid(e) => e,
        other => panic!("{other:?}"),
    };
    // A new channel: identifier and label required, `api.` identifiers of type `api` only;
    // reading errors and rule errors together, in field order.
    let mut reading = FieldErrors::new();
    reading.add("position", "A valid integer is required.");
    let new = SalesChannelChanges {
        kind: Some("web".into()),
        ..SalesChannelChanges::default()
    };
    assert_eq!(
        new.apply_to(None, WriteMode::Create, reading),
        Err(errors(invalid(&[
            ("identifier", REQUIRED),
            ("label", REQUIRED),
            (
                "type",
                "You can currently only create channels of type 'api' through the API."
            ),
            ("position", "A valid integer is required."),
        ])))
    );
    let new = SalesChannelChanges {
        identifier: Some("api.shop".into()),
        label: Some(I18nString::english("Label")),
        ..SalesChannelChanges::default()
    };
    assert_eq!(
        new.apply_to(None, WriteMode::Create, FieldErrors::new()),
        Ok(fields("api.shop", API, 0))
    );
    // A stored channel keeps its identifier and type; a partial write changes what was sent.
    let stored = channel("web", WEB);
    let renamed = SalesChannelChanges {
        identifier: Some("web2".into()),
        position: Some(-1),
        ..SalesChannelChanges::default()
    };
    assert_eq!(
        renamed.apply_to(Some(&stored), WriteMode::Partial, FieldErrors::new()),
        Err(errors(invalid(&[
            (
                "identifier",
                "You cannot change the identifier of a sales channel."
            ),
            (
                "position",
                "Ensure this value is greater than or equal to 0."
            ),
        ])))
    );
    let moved = SalesChannelChanges {
        position: Some(3),
        ..SalesChannelChanges::default()
    };
    assert_eq!(
        moved.apply_to(Some(&stored), WriteMode::Partial, FieldErrors::new()),
        Ok(fields("web", WEB, 3))
    );
}
