use super::*;
use serde_json::json;

const ORG: OrganizerId = OrganizerId(1);
const EVENT: Target = Target::Event {
    organizer: ORG,
    event: EventId(7),
};

fn stored(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A repository with these own values of the organizer and the event, expecting no writes.
fn repo(organizer: &[(&str, Value)], event: &[(&str, Value)]) -> MockSettingsRepository {
    let mut repo = MockSettingsRepository::new();
    let o = stored(organizer);
    let e = stored(event);
    repo.expect_organizer_values()
        .withf(|id| *id == ORG)
        .returning(move |_| Ok(o.clone()));
    repo.expect_event_values()
        .withf(|id| *id == EventId(7))
        .returning(move |_| Ok(e.clone()));
    repo.expect_change_organizer_values().never();
    repo.expect_change_event_values().never();
    repo
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

fn invalid(pairs: &[(&str, &str)]) -> Result<EffectiveSettings, ChangeError> {
    let mut errors = FieldErrors::new();
    for (f, m) in pairs {
        errors.add(f, *m);
    }
    Err(ChangeError::Invalid(errors))
}

#[pollster::test]
async fn defaults_when_nothing_is_stored() {
    let r = repo(&[], &[]);
    let values = effective_values(&r, EVENT).await.unwrap();
    assert_eq!(values.level, Level::Event);
    assert_eq!(values.get("locales"), Some(&json!(["en"])));
    assert_eq!(values.get("imprint_url"), Some(&Value::Null));
    assert_eq!(values.get("frontpage_text"), Some(&json!({"en": ""})));
    assert_eq!(values.get("max_items_per_order"), Some(&json!(10)));
    assert_eq!(
        values.get("cancel_allow_user_paid_keep"),
        Some(&json!("0.00"))
    );
    assert_eq!(values.get("privacy_url"), None, "organizer only");
    let names: Vec<_> = values.settings.iter().map(|s| s.key.name).collect();
    let registry: Vec<_> = keys_for(Level::Event).map(|k| k.name).collect();
    assert_eq!(names, registry);
    assert!(values
        .settings
        .iter()
        .all(|s| s.readonly == (s.key.name == "reusable_media_active")));
}

#[pollster::test]
async fn event_inherits_from_organizer_and_overrides_it() {
    let r = repo(
        &[
            ("contact_mail", json!("org@example.org")),
            ("mail_prefix", json!("ORG")),
            ("timezone", json!("Europe/Berlin")),
        ],
        &[("mail_prefix", json!("EV"))],
    );
    let event = effective_values(&r, EVENT).await.unwrap();
    assert_eq!(event.get("contact_mail"), Some(&json!("org@example.org")));
    assert_eq!(event.get("mail_prefix"), Some(&json!("EV")));
    assert_eq!(event.get("timezone"), None);
    let org = effective_values(&r, Target::Organizer(ORG)).await.unwrap();
    assert_eq!(org.get("mail_prefix"), Some(&json!("ORG")));
    assert_eq!(org.get("timezone"), Some(&json!("Europe/Berlin")));
    assert_eq!(org.get("privacy_url"), Some(&Value::Null));
    assert!(org.settings.iter().all(|s| !s.readonly));
}

#[pollster::test]
async fn device_subset() {
    let r = repo(&[], &[]);
    let values = effective_values(&r, EVENT).await.unwrap().for_device();
    let names: Vec<_> = values.settings.iter().map(|s| s.key.name).collect();
    assert!(names.contains(&"locales") && names.contains(&"name_scheme"));
    assert!(!names.contains(&"contact_mail") && !names.contains(&"mail_prefix"));
}

#[pollster::test]
async fn change_writes_parsed_values_and_removals_and_ignores_the_rest() {
    let mut r = MockSettingsRepository::new();
    r.expect_event_values()
        .returning(|_| Ok(stored(&[("mail_prefix", json!("OLD"))])));
    r.expect_organizer_values()
        .returning(|_| Ok(stored(&[("mail_prefix", json!("ORG"))])));
    r.expect_change_event_values()
        .withf(|event, changes| {
            *event == EventId(7)
                && changes
                    == &vec![
                        (
                            "imprint_url".to_owned(),
                            Some(json!({"en": "https://example.org/i/"})),
                        ),
                        ("show_quota_left".to_owned(), Some(json!(true))),
                        ("max_items_per_order".to_owned(), Some(json!(12))),
                        ("mail_prefix".to_owned(), None),
                    ]
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let input = body(json!({
        "max_items_per_order": "12",
        "mail_prefix": null,
        "show_quota_left": "yes",
        "imprint_url": "https://example.org/i/",
        "unknown_key": "x",
        "privacy_url": "https://example.org/p/",
        "reusable_media_active": "not even a boolean",
    }));
    let values = change_values(&r, EVENT, &input).await.unwrap();
    assert_eq!(
        values.get("mail_prefix"),
        Some(&json!("ORG")),
        "inherited again"
    );
    assert_eq!(values.get("max_items_per_order"), Some(&json!(12)));
    assert_eq!(values.get("reusable_media_active"), Some(&json!(false)));
}

#[pollster::test]
async fn field_errors_come_in_registry_order_and_nothing_is_written() {
    let r = repo(&[], &[]);
    let input = body(json!({
        "mail_prefix": "",
        "contact_mail": "nope",
        "locale": "xx",
        "imprint_url": "nope",
        "show_quota_left": "maybe",
        "primary_color": "red",
        "max_items_per_order": 0,
    }));
    assert_eq!(
        change_values(&r, EVENT, &input).await,
        invalid(&[
            ("imprint_url", "Enter a valid URL."),
            ("locale", "\"xx\" is not a valid choice."),
            ("show_quota_left", "Must be a valid boolean."),
            (
                "max_items_per_order",
                "Ensure this value is greater than or equal to 1."
            ),
            ("contact_mail", "Enter a valid email address."),
            ("mail_prefix", "This field may not be blank."),
            (
                "primary_color",
                "Please enter the hexadecimal code of a color, e.g. #990000."
            ),
        ])
    );
}

#[pollster::test]
async fn cross_checks_use_effective_values() {
    // Asked is false by default: requiring alone fails.
    let r = repo(&[], &[]);
    let input = body(json!({"attendee_emails_required": true}));
    assert_eq!(
        change_values(&r, EVENT, &input).await,
        invalid(&[(
            "attendee_emails_required",
            "You have to ask for attendee emails if you want to make them required."
        )])
    );
    // The organizer's "not asked" is inherited.
    let r = repo(&[("invoice_address_asked", json!(false))], &[]);
    let input = body(json!({"invoice_address_required": true}));
    assert_eq!(
        change_values(&r, EVENT, &input).await,
        invalid(&[(
            "invoice_address_required",
            "You have to ask for invoice addresses if you want to make them required."
        )])
    );
    // Only the first failing check is reported.
    let r = repo(&[], &[]);
    let input = body(json!({
        "attendee_names_asked": false,
        "attendee_names_required": true,
        "invoice_address_asked": false,
        "invoice_address_required": true,
    }));
    assert_eq!(
        change_values(&r, Target::Organizer(ORG), &input).await,
        invalid(&[(
            "attendee_names_required",
            "You cannot require specifying attendee names if you do not ask for them."
        )])
    );
    let r = repo(
        &[],
        &[("locales", json!(["de", "en"])), ("locale", json!("de"))],
    );
    let input = body(json!({"locales": ["en"]}));
    assert_eq!(
        change_values(&r, EVENT, &input).await,
        invalid(&[(
            "locale",
            "Your default locale must also be enabled for your event (see box above)."
        )])
    );
}

#[pollster::test]
async fn removing_the_own_locale_inherits_a_consistent_one() {
    let mut r = MockSettingsRepository::new();
    r.expect_event_values().returning(|_| {
        Ok(stored(&[
            ("locales", json!(["de"])),
            ("locale", json!("de")),
        ]))
    });
    r.expect_organizer_values().returning(|_| Ok(vec![]));
    r.expect_change_event_values()
        .times(1)
        .returning(|_, _| Ok(()));
    let input = body(json!({"locales": null, "locale": null}));
    let values = change_values(&r, EVENT, &input).await.unwrap();
    assert_eq!(values.get("locales"), Some(&json!(["en"])));
    assert_eq!(values.get("locale"), Some(&json!("en")));
}

#[pollster::test]
async fn organizer_changes_go_to_the_organizer_and_an_empty_patch_writes_nothing() {
    let mut r = MockSettingsRepository::new();
    r.expect_organizer_values().returning(|_| Ok(vec![]));
    r.expect_change_organizer_values()
        .withf(|o, changes| {
            *o == ORG && changes == &vec![("timezone".to_owned(), Some(json!("Europe/Berlin")))]
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let input = body(json!({"timezone": "Europe/Berlin"}));
    let values = change_values(&r, Target::Organizer(ORG), &input)
        .await
        .unwrap();
    assert_eq!(values.get("timezone"), Some(&json!("Europe/Berlin")));

    let r = repo(&[], &[]);
    let values = change_values(&r, EVENT, &Map::new()).await.unwrap();
    assert_eq!(values.get("locale"), Some(&json!("en")));
}

#[pollster::test]
async fn storage_errors_are_passed_on() {
    let mut r = MockSettingsRepository::new();
    r.expect_organizer_values()
        .returning(|_| Err(RepositoryError::Unavailable("down".into())));
    assert_eq!(
        change_values(
            &r,
            Target::Organizer(ORG),
            &body(json!({"mail_prefix": "x"}))
        )
        .await,
        Err(ChangeError::Repository(RepositoryError::Unavailable(
            "down".into()
        )))
    );
}
