//! Unit tests of the meta property rules with mocked ports.

use super::*;
use crate::validation::FieldErrors;

fn fields(name: &str) -> MetaPropertyFields {
    MetaPropertyFields {
        name: name.into(),
        ..MetaPropertyFields::defaults()
    }
}

fn stored(id: i64, organizer: OrganizerId, f: MetaPropertyFields) -> MetaProperty {
    MetaProperty {
        id: MetaPropertyId(id),
        organizer,
        name: f.name,
        default: f.default,
        required: f.required,
        allowed_values: f.allowed_values,
        protected: f.protected,
        filter_allowed: f.filter_allowed,
    }
}

#[test]
fn names_follow_pretix_rules_pattern_before_length() {
    assert_eq!(check_name("Color_2"), Ok(()));
    assert_eq!(check_name(&"a".repeat(50)), Ok(()));
    assert_eq!(check_name(""), Err(NameError::Blank));
    assert_eq!(check_name("  "), Err(NameError::Blank));
    assert_eq!(check_name("a b"), Err(NameError::InvalidCharacters));
    assert_eq!(check_name("fü"), Err(NameError::InvalidCharacters));
    assert_eq!(check_name(&"a".repeat(51)), Err(NameError::TooLong));
    assert_eq!(
        check_name(&"a ".repeat(30)),
        Err(NameError::InvalidCharacters)
    );
    assert_eq!(
        NameError::TooLong.to_string(),
        "Ensure this field has no more than 50 characters."
    );
}

#[test]
fn default_must_be_an_allowed_value_unless_empty() {
    let mut f = fields("type");
    f.allowed_values = Some(vec!["a".into(), "b".into()]);
    assert_eq!(f.validate(), Ok(()));
    f.default = "b".into();
    assert_eq!(f.validate(), Ok(()));
    f.default = "c".into();
    assert_eq!(
        f.validate(),
        Err(FieldErrors::non_field(DEFAULT_NOT_ALLOWED))
    );
    f.allowed_values = None;
    assert_eq!(f.validate(), Ok(()));
}

#[test]
fn field_errors_come_before_the_object_rule() {
    let mut f = fields("bad name");
    f.allowed_values = Some(vec!["a".into()]);
    f.default = "c".into();
    assert_eq!(
        f.validate(),
        Err(FieldErrors::single(
            "name",
            "The property name may only contain letters, numbers and underscores."
        ))
    );
}

#[pollster::test]
async fn create_stores_valid_fields_with_empty_allowed_values_as_none() {
    let mut repo = MockMetaPropertyRepository::new();
    repo.expect_create()
        .withf(|o, f| *o == OrganizerId(1) && f.name == "Color" && f.allowed_values.is_none())
        .times(1)
        .returning(|o, f| Ok(stored(7, o, f)));
    let mut f = fields("Color");
    f.allowed_values = Some(vec![]);
    let created = create_meta_property(&repo, OrganizerId(1), f).await;
    assert_eq!(
        created.map(|p| (p.id, p.allowed_values)),
        Ok((MetaPropertyId(7), None))
    );
}

#[pollster::test]
async fn invalid_fields_are_never_written() {
    let repo = MockMetaPropertyRepository::new();
    assert_eq!(
        create_meta_property(&repo, OrganizerId(1), fields("")).await,
        Err(MetaPropertyError::Invalid(FieldErrors::single(
            "name",
            "This field may not be blank."
        )))
    );
    let mut f = fields("x");
    f.allowed_values = Some(vec!["a".into()]);
    f.default = "b".into();
    assert_eq!(
        update_meta_property(&repo, OrganizerId(1), MetaPropertyId(1), f).await,
        Err(MetaPropertyError::Invalid(FieldErrors::non_field(
            DEFAULT_NOT_ALLOWED
        )))
    );
}

#[pollster::test]
async fn a_taken_name_is_a_field_error_on_name() {
    let mut repo = MockMetaPropertyRepository::new();
    repo.expect_create()
        .returning(|_, _| Err(RepositoryError::Conflict("unique".into())));
    repo.expect_update()
        .returning(|_, _, _| Err(RepositoryError::Conflict("unique".into())));
    let dup = MetaPropertyError::Invalid(FieldErrors::single("name", DUPLICATE_NAME));
    assert_eq!(
        create_meta_property(&repo, OrganizerId(1), fields("a")).await,
        Err(dup.clone())
    );
    assert_eq!(
        update_meta_property(&repo, OrganizerId(1), MetaPropertyId(2), fields("a")).await,
        Err(dup)
    );
}

#[pollster::test]
async fn update_of_a_missing_property_is_none_and_outages_pass_through() {
    let mut repo = MockMetaPropertyRepository::new();
    repo.expect_update()
        .withf(|_, id, _| *id == MetaPropertyId(9))
        .returning(|_, _, _| Ok(None));
    repo.expect_update()
        .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
    assert_eq!(
        update_meta_property(&repo, OrganizerId(1), MetaPropertyId(9), fields("a")).await,
        Ok(None)
    );
    assert_eq!(
        update_meta_property(&repo, OrganizerId(1), MetaPropertyId(3), fields("a")).await,
        Err(MetaPropertyError::Repository(RepositoryError::Unavailable(
            "down".into()
        )))
    );
}

#[test]
fn stored_fields_round_trip() {
    let mut f = fields("Color");
    f.default = "red".into();
    f.required = true;
    f.allowed_values = Some(vec!["red".into()]);
    f.protected = true;
    f.filter_allowed = false;
    assert_eq!(stored(1, OrganizerId(2), f.clone()).fields(), f);
}

#[test]
fn changes_apply_to_defaults_or_to_the_stored_fields() {
    use crate::validation::REQUIRED;
    use crate::write::WriteMode;
    // A full write must send name and allowed_values; errors come back in field order,
    // reading errors and rule errors together.
    let mut reading = FieldErrors::new();
    reading.add("protected", "Must be a valid boolean.");
    assert_eq!(
        MetaPropertyChanges::default().apply_to(
            MetaPropertyFields::defaults(),
            WriteMode::Create,
            reading
        ),
        Err({
            let mut e = FieldErrors::new();
            e.add("name", REQUIRED);
            e.add("allowed_values", REQUIRED);
            e.add("protected", "Must be a valid boolean.");
            e
        })
    );
    let bad_name = MetaPropertyChanges {
        name: Some("a b".into()),
        allowed_values: Some(None),
        ..MetaPropertyChanges::default()
    };
    assert_eq!(
        bad_name.apply_to(
            MetaPropertyFields::defaults(),
            WriteMode::Replace,
            FieldErrors::new()
        ),
        Err(FieldErrors::single(
            "name",
            NameError::InvalidCharacters.to_string()
        ))
    );
    // A partial write changes what was sent and keeps the rest.
    let mut stored = fields("colour");
    stored.allowed_values = Some(vec!["red".into()]);
    stored.required = true;
    let changes = MetaPropertyChanges {
        default: Some("red".into()),
        filter_allowed: Some(false),
        ..MetaPropertyChanges::default()
    };
    let mut expected = stored.clone();
    expected.default = "red".into();
    expected.filter_allowed = false;
    assert_eq!(
        changes.apply_to(stored, WriteMode::Partial, FieldErrors::new()),
        Ok(expected)
    );
}
