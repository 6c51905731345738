//! Unit tests of the event rules with mocked ports.

use super::*;
use crate::access::{EventScope, PermissionSet, Principal, Team};
use crate::ids::MetaPropertyId;
use crate::ids::OrganizerId;
use crate::ids::{EventId, TeamId, TokenId};
use crate::meta::{MetaProperty, MockMetaPropertyRepository};
use crate::organizer::Organizer;
use crate::sales_channel::{MockSalesChannelRepository, SalesChannel};
use crate::settings::MockSettingsRepository;
use crate::validation::FieldErrors;
use crate::values::{I18nString, Slug, WireDateTime};
use crate::write::WriteMode;

fn organizer(plugins: &[&str]) -> Organizer {
    Organizer {
        id: OrganizerId(1),
        slug: Slug::parse("bigevents").unwrap(),
        name: "Big Events".into(),
        plugins: plugins.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn principal(permissions: PermissionSet) -> Principal {
    Principal::TeamToken {
        token: TokenId(1),
        team: Team {
            id: TeamId(1),
            organizer: OrganizerId(1),
            name: "t".into(),
            permissions,
            events: EventScope::All,
        },
    }
}

struct Mocks {
    events: MockEventRepository,
    meta: MockMetaPropertyRepository,
    channels: MockSalesChannelRepository,
    settings: MockSettingsRepository,
}

impl Mocks {
    fn new() -> Self {
        let mut events = MockEventRepository::new();
        events.expect_find_by_slug().returning(|_, _| Ok(None));
        let mut meta = MockMetaPropertyRepository::new();
        meta.expect_all().returning(|o| {
            Ok(vec![MetaProperty {
                id: MetaPropertyId(1),
                organizer: o,
                name: "type".into(),
                default: "".into(),
                required: false,
                allowed_values: Some(vec!["conference".into(), "concert".into()]),
                protected: true,
                filter_allowed: true,
            }])
        });
        let mut channels = MockSalesChannelRepository::new();
        channels.expect_all().returning(|o| {
            Ok(vec![SalesChannel {
                organizer: o,
                identifier: "web".into(),
                label: I18nString::english("Online shop"),
                kind: "web".into(),
                position: 0,
            }])
        });
        let mut settings = MockSettingsRepository::new();
        settings.expect_organizer_values().returning(|_| Ok(vec![]));
        Mocks {
            events,
            meta,
            channels,
            settings,
        }
    }

    fn ports(&self) -> EventPorts<'_> {
        EventPorts {
            events: &self.events,
            meta: &self.meta,
            channels: &self.channels,
            settings: &self.settings,
        }
    }
}

fn minimal() -> EventChanges {
    EventChanges {
        name: Some(I18nString::english("Conf")),
        slug: Some(Slug::parse("conf").unwrap()),
        date_from: Some(WireDateTime::parse("2030-01-01T10:00:00Z").unwrap()),
        ..EventChanges::default()
    }
}

fn stored(data: EventData) -> Event {
    Event {
        id: EventId(7),
        organizer: OrganizerId(1),
        data,
        public_key: "key".into(),
    }
}

fn invalid(fields: &[(&str, &str)]) -> EventError {
    let mut e = FieldErrors::new();
    for (f, m) in fields {
        e.add(f, *m);
    }
    EventError::Invalid(e)
}

#[pollster::test]
async fn events_cannot_be_created_live() {
    let m = Mocks::new();
    let changes = EventChanges {
        live: Some(true),
        ..minimal()
    };
    let got = create_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        changes,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[("live", "Events cannot be created as 'live'. Quotas and payment must be added to the event before sales can go live.")]))
    );
}

#[pollster::test]
async fn create_applies_defaults_and_stores() {
    let mut m = Mocks::new();
    m.events
        .expect_create()
        .times(1)
        .returning(|o, data, keys| {
            Ok(Event {
                id: EventId(1),
                organizer: o,
                data,
                public_key: keys.public_b64,
            })
        });
    let got = create_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        minimal(),
        FieldErrors::new(),
    )
    .await
    .unwrap();
    let d = &got.data;
    assert!(!d.live && !d.testmode && d.is_public && !d.has_subevents && d.all_sales_channels);
    assert_eq!(d.currency.code(), "EUR");
    assert_eq!(d.timezone.name(), "UTC");
    assert_eq!(
        d.plugins,
        [
            "pretix.plugins.autocheckin",
            "pretix.plugins.checkinlists",
            "pretix.plugins.sendmail",
            "pretix.plugins.statistics"
        ]
    );
    assert!(!got.public_key.is_empty());
}

#[pollster::test]
async fn required_fields_and_reference_errors_come_in_field_order() {
    let m = Mocks::new();
    let changes = EventChanges {
        meta_data: Some(vec![("type".into(), "party".into())]),
        plugins: Some(vec![
            "pretix.plugins.stripe".into(),
            "pretix.plugins.banktransfer".into(),
        ]),
        limit_sales_channels: Some(vec!["pos".into()]),
        ..EventChanges::default()
    };
    let mut edge = FieldErrors::new();
    edge.add("currency", "\"XYZ\" is not a valid choice.");
    let got = create_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        changes,
        edge,
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[
            ("name", "This field is required."),
            ("slug", "This field is required."),
            ("currency", "\"XYZ\" is not a valid choice."),
            ("date_from", "This field is required."),
            (
                "meta_data",
                "Meta data property 'type' does not allow value 'party'."
            ),
            (
                "plugins",
                "Plugin should be enabled on organizer level first: 'pretix.plugins.banktransfer'."
            ),
            (
                "limit_sales_channels",
                "Object with identifier=pos does not exist."
            ),
        ]))
    );
}

#[pollster::test]
async fn protected_meta_needs_organizer_settings_permission() {
    let m = Mocks::new();
    let changes = EventChanges {
        meta_data: Some(vec![("type".into(), "concert".into())]),
        ..minimal()
    };
    let perms: PermissionSet = [crate::access::Permission::CreateEvents]
        .into_iter()
        .collect();
    let got = create_event(
        &m.ports(),
        &principal(perms),
        &organizer(&[]),
        changes,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[("meta_data", "Meta data property 'type' is protected and can only be changed with the permission to change organizer settings.")]))
    );
}

#[pollster::test]
async fn end_before_start_is_an_object_error() {
    let m = Mocks::new();
    let changes = EventChanges {
        date_to: Some(Some(WireDateTime::parse("2029-12-31T10:00:00Z").unwrap())),
        ..minimal()
    };
    let got = create_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        changes,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got,
        Err(EventError::Invalid(FieldErrors::non_field(
            "The event cannot end before it starts."
        )))
    );
}

async fn created(m: &mut Mocks) -> Event {
    m.events.expect_create().returning(|o, data, keys| {
        Ok(Event {
            id: EventId(7),
            organizer: o,
            data,
            public_key: keys.public_b64,
        })
    });
    create_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        minimal(),
        FieldErrors::new(),
    )
    .await
    .unwrap()
}

#[pollster::test]
async fn slug_and_series_flag_are_fixed() {
    let mut m = Mocks::new();
    let event = created(&mut m).await;
    let changes = EventChanges {
        slug: Some(Slug::parse("other").unwrap()),
        has_subevents: Some(true),
        ..EventChanges::default()
    };
    let got = update_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        &event,
        changes,
        WriteMode::Partial,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[
            ("slug", "The event slug cannot be changed."),
            (
                "has_subevents",
                "Once created an event cannot change between an series and a single event."
            ),
        ]))
    );
}

#[pollster::test]
async fn going_live_needs_a_quota_and_payment_for_paid_products() {
    for (facts, plugins, message) in [
        (EventFacts::default(), vec![], Some("You need to configure at least one quota to sell anything.")),
        (
            EventFacts { quotas: 1, paid_items: 1, used_tickets: 0 },
            vec![],
            Some("You have configured at least one paid product but have not enabled any payment methods."),
        ),
        (EventFacts { quotas: 1, paid_items: 1, used_tickets: 0 }, vec!["pretix.plugins.banktransfer".to_owned()], None),
        (EventFacts { quotas: 1, paid_items: 0, used_tickets: 0 }, vec![], None),
    ] {
        let mut m = Mocks::new();
        let mut event = created(&mut m).await;
        event.data.plugins = plugins;
        m.events.expect_facts().returning(move |_| Ok(facts));
        m.events.expect_update().returning(|id, data| Ok(Event { id, organizer: OrganizerId(1), data, public_key: "k".into() }));
        let changes = EventChanges { live: Some(true), ..EventChanges::default() };
        let got = update_event(&m.ports(), &principal(PermissionSet::all()), &organizer(&[]), &event, changes, WriteMode::Partial, FieldErrors::new()).await;
        match message {
            Some(msg) => assert_eq!(got, Err(invalid(&[("live", msg)])), "{facts:?}"),
            None => assert!(got.is_ok_and(|e| e.data.live), "{facts:?}"),
        }
    }
}

#[pollster::test]
async fn put_resets_omitted_optional_fields() {
    let mut m = Mocks::new();
    let mut event = created(&mut m).await;
    event.data.testmode = true;
    event.data.is_public = false;
    m.events.expect_update().returning(|id, data| {
        Ok(Event {
            id,
            organizer: OrganizerId(1),
            data,
            public_key: "k".into(),
        })
    });
    let got = update_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        &event,
        minimal(),
        WriteMode::Replace,
        FieldErrors::new(),
    )
    .await
    .unwrap();
    assert!(!got.data.testmode && got.data.is_public);
    let missing = update_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        &event,
        EventChanges::default(),
        WriteMode::Replace,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        missing,
        Err(invalid(&[
            ("name", "This field is required."),
            ("slug", "This field is required."),
            ("date_from", "This field is required.")
        ]))
    );
}

#[pollster::test]
async fn events_with_used_tickets_cannot_be_deleted() {
    let mut m = Mocks::new();
    let event = stored(created(&mut m).await.data);
    m.events
        .expect_delete()
        .times(1)
        .returning(|_| Ok(EventDeletion::HasUsedTickets));
    assert_eq!(
        delete_event(&m.events, &event).await,
        Err(EventError::Refused(super::rules::NOT_DELETABLE.to_owned()))
    );
}

#[pollster::test]
async fn clone_copies_configuration_and_shifts_admission() {
    let mut m = Mocks::new();
    let mut source = created(&mut m).await;
    source.data.date_admission = Some(WireDateTime::parse("2030-01-01T09:30:00Z").unwrap());
    source.data.testmode = true;
    source.data.is_public = false;
    source.data.plugins = vec!["pretix.plugins.badges".into()];
    source.data.all_sales_channels = false;
    source.data.limit_sales_channels = vec!["web".into()];
    m.events
        .expect_clone_from()
        .withf(|src, _, _, _| *src == EventId(7))
        .times(1)
        .returning(|_, o, data, keys| {
            Ok(Event {
                id: EventId(8),
                organizer: o,
                data,
                public_key: keys.public_b64,
            })
        });
    let changes = EventChanges {
        slug: Some(Slug::parse("copy").unwrap()),
        date_from: Some(WireDateTime::parse("2031-02-01T10:00:00Z").unwrap()),
        is_public: Some(true),
        ..minimal()
    };
    let copy = clone_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        &source,
        changes,
        FieldErrors::new(),
    )
    .await
    .unwrap();
    let d = &copy.data;
    assert_eq!(
        d.date_admission.map(|t| t.to_string()).as_deref(),
        Some("2031-02-01T09:30:00Z")
    );
    assert!(d.testmode, "copied");
    assert!(d.is_public, "overridden by the body");
    assert_eq!(d.plugins, ["pretix.plugins.badges"]);
    assert_eq!(
        (d.all_sales_channels, d.limit_sales_channels.clone()),
        (false, vec!["web".to_owned()])
    );
    assert_ne!(copy.public_key, source.public_key);
}

#[test]
fn availability_from_quota_sizes() {
    assert_eq!(best_availability(&[]), None);
    assert_eq!(best_availability(&[Some(0)]), Some(0));
    assert_eq!(best_availability(&[Some(0), None]), Some(100));
    assert_eq!(best_availability(&[Some(0), Some(3)]), Some(100));
}

#[pollster::test]
async fn a_hybrid_plugin_the_event_has_may_stay_without_the_organizer() {
    let mut m = Mocks::new();
    let mut event = created(&mut m).await;
    event.data.plugins = vec!["pretix.plugins.banktransfer".to_owned()];
    m.events.expect_update().returning(|id, data| {
        Ok(Event {
            id,
            organizer: OrganizerId(1),
            data,
            public_key: "k".into(),
        })
    });
    let keep = |extra: &str| EventChanges {
        plugins: Some(vec!["pretix.plugins.banktransfer".into(), extra.into()]),
        ..EventChanges::default()
    };
    let got = update_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        &event,
        keep("pretix.plugins.stripe"),
        WriteMode::Partial,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got.map(|e| e.data.plugins),
        Ok(vec![
            "pretix.plugins.banktransfer".to_owned(),
            "pretix.plugins.stripe".to_owned()
        ])
    );
    // A new event gets no such allowance.
    let mut fresh = minimal();
    fresh.plugins = keep("pretix.plugins.stripe").plugins;
    let got = create_event(
        &m.ports(),
        &principal(PermissionSet::all()),
        &organizer(&[]),
        fresh,
        FieldErrors::new(),
    )
    .await;
    assert_eq!(
        got,
        Err(invalid(&[(
            "plugins",
            "Plugin should be enabled on organizer level first: 'pretix.plugins.banktransfer'."
        )]))
    );
}

#[test]
fn changes_apply_to_defaults_or_to_the_stored_event() {
    let date = |s: &str| WireDateTime::parse(s).unwrap();
    let base = EventData::defaults(
        Slug::parse("conf").unwrap(),
        I18nString::english("Conf"),
        date("2030-01-01T10:00:00Z"),
        crate::values::TimeZone::parse("Europe/Berlin").unwrap(),
    );
    assert!(!base.live && !base.testmode && base.is_public && base.all_sales_channels);
    assert_eq!(base.currency, crate::values::Currency::EUR);
    assert_eq!(base.plugins, crate::plugins::event_defaults());
    let changes = EventChanges {
        testmode: Some(true),
        date_to: Some(Some(date("2030-01-02T10:00:00Z"))),
        meta_data: Some(vec![
            ("b".into(), "2".into()),
            ("a".into(), "1".into()),
            ("a".into(), "3".into()),
        ]),
        plugins: Some(vec!["x".into(), "a".into(), "x".into()]),
        ..EventChanges::default()
    };
    let applied = changes
        .clone()
        .apply_to(base.clone(), Some((false, vec!["web".into()])));
    assert_eq!(
        applied,
        EventData {
            testmode: true,
            date_to: Some(date("2030-01-02T10:00:00Z")),
            meta_data: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            plugins: vec!["a".into(), "x".into()],
            all_sales_channels: false,
            limit_sales_channels: vec!["web".into()],
            ..base.clone()
        }
    );
    // Nothing sent: the base as it is, its channels included.
    assert_eq!(
        EventChanges::default().apply_to(applied.clone(), None),
        applied
    );
    // `Some(None)` clears a nullable field.
    let cleared = EventChanges {
        date_to: Some(None),
        ..EventChanges::default()
    }
    .apply_to(applied, None);
    assert_eq!(cleared.date_to, None);
}
