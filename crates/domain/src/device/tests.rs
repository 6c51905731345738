use super::rules::{KEY_IS_SET, NOT_A_KEY, TOKEN_REVOKED, TOKEN_USED, UNKNOWN_TOKEN};
use super::*;
use crate::access::{PlainToken, TokenHash};
use crate::organizer::MockOrganizerRepository;
use crate::team::AuthError;
use crate::validation::FieldErrors;
use crate::write::WriteMode;
use serde_json::json;

const KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDIWgfcxLnGFX1icaQCeYYCD0Na
OsdbJtSVieCYDpE7IBpV93rmvoMwv0fmQxmLJUuSApYFdYwZAp26BlB6z79YwvR8
B9Dsvnmu8NRgpdqtxfBA0UOd63kToieLsNazgabZ34aUjhh7KZXafj+63ZxWm0ic
B0MBJQqKzojmt+P87QIDAQAB
-----END PUBLIC KEY-----";

fn at(s: &str) -> WireDateTime {
    WireDateTime::parse(s).unwrap()
}

fn device() -> Device {
    Device {
        id: DeviceId(7),
        organizer: OrganizerId(1),
        organizer_slug: "bigevents".into(),
        device_id: 1,
        unique_serial: "UOS3GNZ27O39V3QS".into(),
        initialization_token: "frkso3m2w58zuw70".into(),
        all_events: false,
        limit_events: vec![LimitEvent {
            id: EventId(5),
            slug: "museum".into(),
        }],
        revoked: false,
        name: "Scanner".into(),
        created: at("2020-09-18T14:17:40Z"),
        initialized: None,
        hardware: Hardware::default(),
        security_profile: "full".into(),
        rsa_pubkey: None,
        info: None,
        last_seen: None,
    }
}

fn initialized() -> Device {
    Device {
        initialized: Some(at("2020-09-18T14:17:44Z")),
        ..device()
    }
}

/// Organizer events `museum` (5) and `zoo` (6).
fn organizers() -> MockOrganizerRepository {
    let mut repo = MockOrganizerRepository::new();
    repo.expect_event_ids().returning(|_, slugs| {
        Ok(slugs
            .into_iter()
            .filter_map(|s| match s.as_str() {
                "museum" => Some((s, EventId(5))),
                "zoo" => Some((s, EventId(6))),
                _ => None,
            })
            .collect())
    });
    repo
}

fn changes(name: Option<&str>, limit_events: Option<&[&str]>) -> DeviceChanges {
    DeviceChanges {
        name: name.map(str::to_owned),
        limit_events: limit_events.map(|l| l.iter().map(|s| s.to_string()).collect()),
        ..DeviceChanges::default()
    }
}

fn stored_from(new: NewDevice) -> Device {
    Device {
        unique_serial: new.unique_serial,
        initialization_token: new.initialization_token,
        name: new.fields.name,
        all_events: new.fields.all_events,
        limit_events: new
            .fields
            .limit_events
            .into_iter()
            .map(|id| LimitEvent {
                id,
                slug: format!("e{}", id.0),
            })
            .collect(),
        security_profile: new.fields.security_profile,
        created: new.created,
        ..device()
    }
}

fn errors_of(result: Result<Device, DeviceError>) -> Vec<(String, String)> {
    match result {
        Err(DeviceError::Invalid(e)) => e
            .iter()
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
            .collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(f, m)| (f.to_string(), m.to_string()))
        .collect()
}

#[test]
fn generated_serials_and_tokens_have_pretix_shape() {
    let serial = generate_serial();
    assert_eq!(serial.len(), 16);
    assert!(serial
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    let token = generate_initialization_token();
    assert_eq!(token.len(), 16);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_ne!(generate_serial(), serial);
}

#[test]
fn a_device_principal_follows_its_events_and_profile() {
    let mut d = initialized();
    d.security_profile = "pretixscan".into();
    assert_eq!(
        d.principal(),
        crate::access::Principal::Device {
            device: DeviceId(7),
            organizer: OrganizerId(1),
            events: EventScope::Limited(vec![EventId(5)]),
            profile: SecurityProfile::PretixScan,
        }
    );
    d.all_events = true;
    d.security_profile = "somepluginprofile".into();
    assert_eq!(d.events(), EventScope::All);
    assert_eq!(d.profile(), SecurityProfile::Full);
}

#[pollster::test]
async fn create_requires_limit_events_then_name_in_field_order() {
    let devices = MockDeviceRepository::new();
    let orgs = organizers();
    let ports = DevicePorts {
        devices: &devices,
        organizers: &orgs,
    };
    let result = create_device(
        &ports,
        OrganizerId(1),
        DeviceChanges::default(),
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        errors_of(result),
        pairs(&[
            ("limit_events", "This field is required."),
            ("name", "This field is required.")
        ])
    );
}

#[pollster::test]
async fn create_reports_unknown_slugs_long_names_bad_profiles_and_reading_errors() {
    let devices = MockDeviceRepository::new();
    let orgs = organizers();
    let ports = DevicePorts {
        devices: &devices,
        organizers: &orgs,
    };
    let mut c = changes(Some(&"x".repeat(191)), Some(&["museum", "nope", "x"]));
    c.security_profile = Some("bad".into());
    let mut read = FieldErrors::new();
    read.add("all_events", "Must be a valid boolean.");
    let result = create_device(&ports, OrganizerId(1), c, read).await;
    assert_eq!(
        errors_of(result),
        pairs(&[
            ("all_events", "Must be a valid boolean."),
            ("limit_events", "Object with slug=nope does not exist."),
            ("name", "Ensure this field has no more than 190 characters."),
            ("security_profile", "\"bad\" is not a valid choice."),
        ])
    );

    // A field that could not be read is not also "required".
    let mut read = FieldErrors::new();
    read.add("name", "This field may not be blank.");
    let result = create_device(&ports, OrganizerId(1), changes(None, Some(&[])), read).await;
    assert_eq!(
        errors_of(result),
        pairs(&[("name", "This field may not be blank.")])
    );
}

#[pollster::test]
async fn create_stores_deduplicated_events_default_profile_and_fresh_codes() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_create()
        .withf(|d| {
            d.organizer == OrganizerId(1)
                && d.fields.name == "Scanner"
                && d.fields.limit_events == [EventId(6), EventId(5)]
                && !d.fields.all_events
                && d.fields.security_profile == "full"
                && d.unique_serial.len() == 16
                && d.initialization_token.len() == 16
        })
        .times(1)
        .returning(|d| Ok(stored_from(d)));
    let orgs = organizers();
    let ports = DevicePorts {
        devices: &devices,
        organizers: &orgs,
    };
    let created = create_device(
        &ports,
        OrganizerId(1),
        changes(Some("Scanner"), Some(&["zoo", "museum", "zoo"])),
        FieldErrors::new(),
    )
    .await
    .unwrap();
    assert_eq!(created.name, "Scanner");
}

#[pollster::test]
async fn create_retries_a_taken_serial_with_new_codes() {
    let mut devices = MockDeviceRepository::new();
    let mut seq = mockall::Sequence::new();
    devices
        .expect_create()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(RepositoryError::Conflict("unique_serial".into())));
    devices
        .expect_create()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|d| Ok(stored_from(d)));
    let orgs = organizers();
    let ports = DevicePorts {
        devices: &devices,
        organizers: &orgs,
    };
    let created = create_device(
        &ports,
        OrganizerId(1),
        changes(Some("Scanner"), Some(&[])),
        FieldErrors::new(),
    )
    .await;
    assert!(created.is_ok());
}

#[pollster::test]
async fn patch_keeps_unsent_fields_and_put_resets_the_profile() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_update()
        .withf(|id, f| {
            *id == DeviceId(7)
                && f.name == "Scanner"
                && f.limit_events == [EventId(5)]
                && f.security_profile == "pretixscan"
                && f.all_events
        })
        .times(1)
        .returning(|_, _| Ok(device()));
    devices
        .expect_update()
        .withf(|_, f| f.name == "New" && f.limit_events.is_empty() && f.security_profile == "full")
        .times(1)
        .returning(|_, _| Ok(device()));
    let orgs = organizers();
    let ports = DevicePorts {
        devices: &devices,
        organizers: &orgs,
    };
    let mut d = device();
    d.security_profile = "pretixscan".into();
    let patch = DeviceChanges {
        all_events: Some(true),
        ..DeviceChanges::default()
    };
    update_device(&ports, &d, patch, WriteMode::Partial, FieldErrors::new())
        .await
        .unwrap();
    // PUT without name/limit_events is refused; with them, the profile goes back to full.
    let result = update_device(
        &ports,
        &d,
        DeviceChanges::default(),
        WriteMode::Replace,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        errors_of(result),
        pairs(&[
            ("limit_events", "This field is required."),
            ("name", "This field is required.")
        ])
    );
    update_device(
        &ports,
        &d,
        changes(Some("New"), Some(&[])),
        WriteMode::Replace,
        FieldErrors::new(),
    )
    .await
    .unwrap();
}

fn report(token: &str) -> DeviceReport {
    DeviceReport {
        token: Some(token.into()),
        hardware: Hardware {
            hardware_brand: Some("Zebra".into()),
            hardware_model: Some("TC25".into()),
            os_name: Some("Android".into()),
            os_version: None,
            software_brand: Some("pretixSCAN".into()),
            software_version: Some("1.5.1".into()),
        },
        info: Some(json!({"a": 1})),
        rsa_pubkey: None,
    }
}

fn init_errors(result: Result<(Device, PlainToken), DeviceError>) -> Vec<(String, String)> {
    errors_of(result.map(|(d, _)| d))
}

#[pollster::test]
async fn initialize_checks_fields_then_key_then_token_in_order() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_find_by_initialization_token()
        .returning(|t| {
            Ok(match t {
                "fresh" => Some(device()),
                "used" => Some(initialized()),
                "revoked" => Some(Device {
                    revoked: true,
                    ..device()
                }),
                "both" => Some(Device {
                    revoked: true,
                    ..initialized()
                }),
                _ => None,
            })
        });
    let empty = DeviceReport::default();
    assert_eq!(
        init_errors(initialize_device(&devices, empty, FieldErrors::new()).await),
        pairs(&[
            ("token", "This field is required."),
            ("hardware_brand", "This field is required."),
            ("hardware_model", "This field is required."),
            ("software_brand", "This field is required."),
            ("software_version", "This field is required."),
        ])
    );
    let mut long = report("nope");
    long.hardware.os_version = Some("v".repeat(191));
    long.rsa_pubkey = Some("bad".into());
    assert_eq!(
        init_errors(initialize_device(&devices, long, FieldErrors::new()).await),
        pairs(&[(
            "os_version",
            "Ensure this field has no more than 190 characters."
        )])
    );
    let mut bad_key = report("nope");
    bad_key.rsa_pubkey = Some("bad".into());
    assert_eq!(
        init_errors(initialize_device(&devices, bad_key, FieldErrors::new()).await),
        pairs(&[("rsa_pubkey", NOT_A_KEY)])
    );
    for (token, message) in [
        ("nope", UNKNOWN_TOKEN),
        ("used", TOKEN_USED),
        ("both", TOKEN_USED),
        ("revoked", TOKEN_REVOKED),
    ] {
        assert_eq!(
            init_errors(initialize_device(&devices, report(token), FieldErrors::new()).await),
            pairs(&[("token", message)]),
            "{token}"
        );
    }
    assert_eq!(UNKNOWN_TOKEN, "Unknown initialization token.");
    assert_eq!(
        TOKEN_USED,
        "This initialization token has already been used."
    );
    assert_eq!(TOKEN_REVOKED, "This initialization token has been revoked.");
}

#[pollster::test]
async fn initialize_stores_the_report_and_only_the_token_hash() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_find_by_initialization_token()
        .returning(|_| Ok(Some(device())));
    let stored = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = stored.clone();
    devices
        .expect_initialize()
        .withf(|id, init| {
            *id == DeviceId(7)
                && init.hardware.hardware_brand.as_deref() == Some("Zebra")
                && init.rsa_pubkey.as_deref() == Some(KEY)
                && init.info == Some(json!({"a": 1}))
        })
        .times(1)
        .returning(move |_, init| {
            *seen.lock().unwrap() = Some(init.api_token);
            Ok(Some(Device {
                initialized: Some(init.at),
                ..device()
            }))
        });
    let mut r = report("fresh");
    r.rsa_pubkey = Some(KEY.into());
    let (d, token) = initialize_device(&devices, r, FieldErrors::new())
        .await
        .unwrap();
    assert!(d.initialized.is_some());
    assert_eq!(token.as_str().len(), 64);
    assert_eq!(*stored.lock().unwrap(), Some(TokenHash::of(token.as_str())));
}

#[pollster::test]
async fn initialize_lost_to_a_concurrent_one_counts_as_used() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_find_by_initialization_token()
        .returning(|_| Ok(Some(device())));
    devices.expect_initialize().returning(|_, _| Ok(None));
    assert_eq!(
        init_errors(initialize_device(&devices, report("fresh"), FieldErrors::new()).await),
        pairs(&[("token", TOKEN_USED)])
    );
}

#[pollster::test]
async fn update_may_set_the_key_once_and_then_only_repeat_it() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_update_report()
        .withf(|id, h, info, key| {
            *id == DeviceId(7)
                && h.os_name.as_deref() == Some("Android")
                && info.is_some()
                && key.as_deref() == Some(KEY)
        })
        .times(2)
        .returning(|_, _, _, key| {
            Ok(Some(Device {
                rsa_pubkey: key,
                ..initialized()
            }))
        });
    let mut r = report("ignored");
    r.rsa_pubkey = Some(KEY.into());
    let d = update_device_info(&devices, &initialized(), r.clone(), FieldErrors::new())
        .await
        .unwrap();
    assert_eq!(d.rsa_pubkey.as_deref(), Some(KEY));
    // The same key again is fine, another one is refused before anything is written.
    update_device_info(&devices, &d, r, FieldErrors::new())
        .await
        .unwrap();
    let mut other = report("x");
    other.rsa_pubkey = Some(KEY.into());
    let mut with_other = d.clone();
    with_other.rsa_pubkey = Some("another".into());
    assert_eq!(
        errors_of(update_device_info(&devices, &with_other, other, FieldErrors::new()).await),
        pairs(&[("rsa_pubkey", KEY_IS_SET)])
    );
    // Update has no token field: leaving it out is fine, missing hardware is not.
    let mut no_brand = report("x");
    no_brand.token = None;
    no_brand.hardware.hardware_brand = None;
    assert_eq!(
        errors_of(update_device_info(&devices, &d, no_brand, FieldErrors::new()).await),
        pairs(&[("hardware_brand", "This field is required.")])
    );
}

#[pollster::test]
async fn a_key_set_concurrently_is_refused() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_update_report()
        .returning(|_, _, _, _| Ok(None));
    let mut r = report("x");
    r.rsa_pubkey = Some(KEY.into());
    assert_eq!(
        errors_of(update_device_info(&devices, &initialized(), r, FieldErrors::new()).await),
        pairs(&[(
            "rsa_pubkey",
            "You cannot change the rsa_pubkey of the device once it is set."
        )])
    );
}

#[pollster::test]
async fn roll_replaces_the_token_hash() {
    let mut devices = MockDeviceRepository::new();
    let stored = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = stored.clone();
    devices
        .expect_set_api_token()
        .times(1)
        .withf(|_, current, _| *current == TokenHash::of("old"))
        .returning(move |_, _, hash| {
            *seen.lock().unwrap() = Some(hash);
            Ok(Some(initialized()))
        });
    let (_, token) = roll_token(&devices, &initialized(), "old").await.unwrap();
    assert_eq!(*stored.lock().unwrap(), Some(token.hash()));
}

#[pollster::test]
async fn a_roll_that_lost_the_race_is_refused() {
    let mut devices = MockDeviceRepository::new();
    devices.expect_set_api_token().returning(|_, _, _| Ok(None));
    assert_eq!(
        roll_token(&devices, &initialized(), "old")
            .await
            .map(|_| ()),
        Err(AuthError::InvalidToken)
    );
}

#[pollster::test]
async fn authentication_refuses_unknown_uninitialized_and_revoked_devices() {
    let mut devices = MockDeviceRepository::new();
    devices.expect_find_by_api_token().returning(|hash| {
        Ok(if hash == TokenHash::of("fresh") {
            Some(device())
        } else if hash == TokenHash::of("revoked") {
            Some(Device {
                revoked: true,
                ..initialized()
            })
        } else if hash == TokenHash::of("good") {
            Some(initialized())
        } else {
            None
        })
    });
    assert_eq!(
        authenticate_device(&devices, "nope").await,
        Err(AuthError::InvalidToken)
    );
    assert_eq!(
        authenticate_device(&devices, "fresh").await,
        Err(AuthError::NotInitialized)
    );
    assert_eq!(
        authenticate_device(&devices, "revoked").await,
        Err(AuthError::Revoked)
    );
    assert_eq!(
        authenticate_device(&devices, "good").await,
        Ok(initialized())
    );
    assert_eq!(
        AuthError::NotInitialized.to_string(),
        "Device has not been initialized."
    );
    assert_eq!(
        AuthError::Revoked.to_string(),
        "Device access has been revoked."
    );
}

#[test]
fn seen_is_recorded_at_most_once_a_minute() {
    let now = at("2030-01-01T10:00:00Z");
    assert!(should_record_seen(None, now));
    assert!(!should_record_seen(Some(at("2030-01-01T09:59:01Z")), now));
    assert!(should_record_seen(Some(at("2030-01-01T09:59:00Z")), now));
    assert!(should_record_seen(Some(at("2029-12-31T10:00:00Z")), now));
}

#[pollster::test]
async fn record_seen_writes_conditionally_and_skips_recent_devices() {
    let mut devices = MockDeviceRepository::new();
    devices
        .expect_touch()
        .withf(|id, at_, unless_after| {
            *id == DeviceId(7)
                && at_.to_string() == "2030-01-01T10:00:00Z"
                && unless_after.to_string() == "2030-01-01T09:59:00Z"
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    let now = at("2030-01-01T10:00:00Z");
    assert_eq!(record_seen(&devices, &initialized(), now).await, Ok(true));
    let recent = Device {
        last_seen: Some(at("2030-01-01T09:59:30Z")),
        ..initialized()
    };
    assert_eq!(record_seen(&devices, &recent, now).await, Ok(false));
}
