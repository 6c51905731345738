//! The event use cases and their rules (docs/api-compatibility.md).

use super::{
    Event, EventChanges, EventData, EventDeletion, EventKeys, EventRepository, KeyError,
    EVENT_FIELDS,
};
use crate::access::{Permission, Principal};
use crate::error::RepositoryError;
use crate::meta::{MetaProperty, MetaPropertyRepository};
use crate::organizer::Organizer;
use crate::plugins;
use crate::sales_channel::SalesChannelRepository;
use crate::settings::SettingsRepository;
use crate::validation::FieldErrors;
use crate::values::{TimeZone, WireDateTime};
use crate::write::WriteMode;

/// The ports the event use cases read and write.
pub struct EventPorts<'a> {
    pub events: &'a dyn EventRepository,
    pub meta: &'a dyn MetaPropertyRepository,
    pub channels: &'a dyn SalesChannelRepository,
    pub settings: &'a dyn SettingsRepository,
}

/// Why an event was not created, changed or deleted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    /// The fields refused, with their messages (or `non_field_errors`).
    #[error("invalid event")]
    Invalid(FieldErrors),
    /// Refused as a whole, with this message.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for EventError {
    fn from(e: FieldErrors) -> Self {
        EventError::Invalid(e)
    }
}

const LIVE_ON_CREATE: &str = "Events cannot be created as 'live'. Quotas and payment must be added to the event before sales can go live.";
const SLUG_TAKEN: &str = "This slug has already been used for a different event.";
use crate::validation::REQUIRED;
const SEAT_MAPPING_ON_CREATE: &str = "You cannot specify seat category mappings on event creation.";
/// Reserved seating is out of scope; pretix would check the mapping against the event's plan.
pub const SEATING_UNSUPPORTED: &str = "Reserved seating is not supported by this server.";
/// The message pretix shows for an event that cannot be deleted.
pub const NOT_DELETABLE: &str = "The event can not be deleted as it already contains orders. Please set 'live' to false to hide the event and take the shop offline instead.";

/// What an event had before the change, for the rules that compare with it: the meta values
/// (protected properties) and the active plugins (a hybrid plugin it has may stay).
#[derive(Clone, Copy)]
struct Previous<'a> {
    meta: &'a [(String, String)],
    plugins: &'a [String],
}

const NOTHING_BEFORE: Previous<'static> = Previous {
    meta: &[],
    plugins: &[],
};

/// The checks that need the organizer's configuration, for the fields that were sent and
/// parsed; errors go into `errors` under their field.
async fn check_references(
    ports: &EventPorts<'_>,
    principal: &Principal,
    organizer: &Organizer,
    changes: &EventChanges,
    previous: Previous<'_>,
    errors: &mut FieldErrors,
) -> Result<(), RepositoryError> {
    if let Some(meta) = &changes.meta_data {
        let properties = ports.meta.all(organizer.id).await?;
        if let Err(msg) = check_meta(&properties, meta, previous.meta, principal) {
            errors.add("meta_data", msg);
        }
    }
    if let Some(list) = &changes.plugins {
        if let Err(e) = plugins::CORE.for_event(list, &organizer.plugins, previous.plugins) {
            errors.add("plugins", e.to_string());
        }
    }
    let wants_channels = changes.limit_sales_channels.is_some() || changes.sales_channels.is_some();
    if wants_channels {
        let known: Vec<String> = ports
            .channels
            .all(organizer.id)
            .await?
            .into_iter()
            .map(|c| c.identifier)
            .collect();
        for (field, list) in [
            ("limit_sales_channels", &changes.limit_sales_channels),
            ("sales_channels", &changes.sales_channels.clone().flatten()),
        ] {
            if let Some(missing) = list.iter().flatten().find(|i| !known.contains(i)) {
                errors.add(
                    field,
                    format!("Object with identifier={missing} does not exist."),
                );
            }
        }
    }
    Ok(())
}

fn check_meta(
    properties: &[MetaProperty],
    values: &[(String, String)],
    previous: &[(String, String)],
    principal: &Principal,
) -> Result<(), String> {
    for (key, value) in values {
        let Some(p) = properties.iter().find(|p| &p.name == key) else {
            return Err(format!("Meta data property '{key}' does not exist."));
        };
        if let Some(allowed) = &p.allowed_values {
            if !allowed.contains(value) {
                return Err(format!(
                    "Meta data property '{key}' does not allow value '{value}'."
                ));
            }
        }
    }
    if principal.has_permission(Permission::ChangeOrganizerSettings) {
        return Ok(());
    }
    // A protected value may only be changed with organizer settings permission.
    for p in properties.iter().filter(|p| p.protected) {
        let old = previous.iter().find(|(k, _)| *k == p.name).map(|(_, v)| v);
        let new = values.iter().find(|(k, _)| *k == p.name).map(|(_, v)| v);
        if old != new {
            return Err(format!(
                "Meta data property '{}' is protected and can only be changed with the permission to change organizer settings.",
                p.name
            ));
        }
    }
    Ok(())
}

/// Object-level date checks, for the values sent in this request only (as pretix does).
fn check_dates(changes: &EventChanges) -> Result<(), FieldErrors> {
    if let (Some(from), Some(Some(to))) = (changes.date_from, changes.date_to) {
        if to < from {
            return Err(FieldErrors::non_field(
                "The event cannot end before it starts.",
            ));
        }
    }
    if let (Some(Some(start)), Some(Some(end))) = (changes.presale_start, changes.presale_end) {
        if end < start {
            return Err(FieldErrors::non_field(
                "The event's presale cannot end before it starts.",
            ));
        }
    }
    Ok(())
}

/// pretix's checks of the legacy `sales_channels` input, made before any field is read: it is
/// a list, and it agrees with `all_sales_channels` or `limit_sales_channels` sent with it.
fn check_legacy_channels(
    changes: &EventChanges,
    all_identifiers: &[String],
) -> Result<(), FieldErrors> {
    let legacy =
        match &changes.sales_channels {
            None => return Ok(()),
            Some(None) => return Err(FieldErrors::single(
                "sales_channels",
                "The legacy attribute 'sales_channels' cannot be set to None, it must be a list.",
            )),
            Some(Some(list)) => list,
        };
    let set = |list: &[String]| {
        list.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    if changes.all_sales_channels == Some(true) && set(legacy) != set(all_identifiers) {
        return Err(FieldErrors::single(
            "all_sales_channels",
            "If 'all_sales_channels' is set, the legacy attribute 'sales_channels' must not be set or set to the list of all sales channels.",
        ));
    }
    if let Some(limit) = changes
        .limit_sales_channels
        .as_ref()
        .filter(|l| !l.is_empty())
    {
        if set(legacy) != set(limit) {
            return Err(FieldErrors::single(
                "limit_sales_channels",
                "If 'limit_sales_channels' is set, the legacy attribute 'sales_channels' must not be set or set to the same list.",
            ));
        }
    }
    Ok(())
}

/// The channel selection after applying the legacy `sales_channels` input if it came alone.
fn channel_selection(
    changes: &EventChanges,
    all_identifiers: &[String],
) -> Option<(bool, Vec<String>)> {
    if changes.all_sales_channels.is_some() || changes.limit_sales_channels.is_some() {
        let all = changes.all_sales_channels.unwrap_or(false);
        let limit = changes.limit_sales_channels.clone().unwrap_or_default();
        return Some(normalise_channels(all, limit));
    }
    changes.sales_channels.clone().flatten().map(|legacy| {
        let all = all_identifiers.iter().all(|i| legacy.contains(i));
        normalise_channels(all, legacy.clone())
    })
}

fn normalise_channels(all: bool, mut limit: Vec<String>) -> (bool, Vec<String>) {
    if all {
        return (true, Vec::new());
    }
    limit.sort();
    limit.dedup();
    (false, limit)
}

/// The organizer's default time zone: its `timezone` setting, else UTC.
async fn organizer_timezone(
    ports: &EventPorts<'_>,
    organizer: &Organizer,
) -> Result<TimeZone, RepositoryError> {
    let values = ports.settings.organizer_values(organizer.id).await?;
    Ok(values
        .iter()
        .find(|(k, _)| k == "timezone")
        .and_then(|(_, v)| v.as_str())
        .and_then(|name| TimeZone::parse(name).ok())
        .unwrap_or(TimeZone::UTC))
}

async fn organizer_channel_identifiers(
    ports: &EventPorts<'_>,
    organizer: &Organizer,
    changes: &EventChanges,
) -> Result<Vec<String>, RepositoryError> {
    if changes.sales_channels.is_none() {
        return Ok(Vec::new());
    }
    Ok(ports
        .channels
        .all(organizer.id)
        .await?
        .into_iter()
        .map(|c| c.identifier)
        .collect())
}

/// Validates a new event's fields and applies the defaults. `previous` is what the rules
/// compare with (a clone's source, else nothing).
async fn prepare_new_event(
    ports: &EventPorts<'_>,
    principal: &Principal,
    organizer: &Organizer,
    changes: EventChanges,
    previous: Previous<'_>,
    mut errors: FieldErrors,
) -> Result<EventData, EventError> {
    let identifiers = organizer_channel_identifiers(ports, organizer, &changes).await?;
    check_legacy_channels(&changes, &identifiers)?;
    errors.require(&[
        ("name", changes.name.is_some()),
        ("slug", changes.slug.is_some()),
        ("date_from", changes.date_from.is_some()),
    ]);
    if let Some(slug) = &changes.slug {
        if ports
            .events
            .find_by_slug(organizer.id, slug.as_str())
            .await?
            .is_some()
        {
            errors.add("slug", SLUG_TAKEN);
        }
    }
    if changes.live == Some(true) {
        errors.add("live", LIVE_ON_CREATE);
    }
    if changes
        .seat_category_mapping
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        errors.add("seat_category_mapping", SEAT_MAPPING_ON_CREATE);
    }
    check_references(ports, principal, organizer, &changes, previous, &mut errors).await?;
    errors.sort_by_order(EVENT_FIELDS);
    errors.into_result()?;
    check_dates(&changes)?;

    let channels = channel_selection(&changes, &identifiers);
    let timezone = match changes.timezone {
        Some(tz) => tz,
        None => organizer_timezone(ports, organizer).await?,
    };
    let (Some(slug), Some(name), Some(date_from)) = (
        changes.slug.clone(),
        changes.name.clone(),
        changes.date_from,
    ) else {
        return Err(FieldErrors::single("non_field_errors", REQUIRED).into());
    };
    let base = EventData::defaults(slug, name, date_from, timezone);
    Ok(changes.apply_to(base, channels))
}

fn slug_conflict(e: RepositoryError) -> EventError {
    match e {
        RepositoryError::Conflict(_) => FieldErrors::single("slug", SLUG_TAKEN).into(),
        other => other.into(),
    }
}

/// Creates an event: validates everything, applies the defaults, generates the signing key
/// and stores the event. `errors` holds what the edge already found while parsing.
pub async fn create_event(
    ports: &EventPorts<'_>,
    principal: &Principal,
    organizer: &Organizer,
    changes: EventChanges,
    errors: FieldErrors,
) -> Result<Event, EventError> {
    let data =
        prepare_new_event(ports, principal, organizer, changes, NOTHING_BEFORE, errors).await?;
    let keys = EventKeys::generate()?;
    ports
        .events
        .create(organizer.id, data, keys)
        .await
        .map_err(slug_conflict)
}

/// Clones `source`: a new event from the changes sent, with
/// `plugins, is_public, testmode, has_subevents, timezone, meta_data` and the sales channels
/// and item meta properties taken from `source` unless the changes set them, `date_admission`
/// at the source's distance from `date_from`, and (in storage, in the same transaction) the
/// source's settings, products, variations and quotas without sub-event. A fresh signing key.
pub async fn clone_event(
    ports: &EventPorts<'_>,
    principal: &Principal,
    organizer: &Organizer,
    source: &Event,
    mut changes: EventChanges,
    errors: FieldErrors,
) -> Result<Event, EventError> {
    let src = &source.data;
    // The source's plugins are copied as they are; only plugins sent in the body are checked.
    let previous = Previous {
        meta: &src.meta_data,
        plugins: if changes.plugins.is_none() {
            &src.plugins
        } else {
            &[]
        },
    };
    changes.plugins.get_or_insert_with(|| src.plugins.clone());
    changes.is_public.get_or_insert(src.is_public);
    changes.testmode.get_or_insert(src.testmode);
    changes.has_subevents.get_or_insert(src.has_subevents);
    changes.timezone.get_or_insert(src.timezone);
    changes
        .meta_data
        .get_or_insert_with(|| src.meta_data.clone());
    changes
        .item_meta_properties
        .get_or_insert_with(|| src.item_meta_properties.clone());
    if changes.all_sales_channels.is_none()
        && changes.limit_sales_channels.is_none()
        && changes.sales_channels.is_none()
    {
        changes.all_sales_channels = Some(src.all_sales_channels);
        changes.limit_sales_channels = Some(src.limit_sales_channels.clone());
    }
    if changes.date_admission.is_none() {
        if let (Some(admission), Some(date_from)) = (src.date_admission, changes.date_from) {
            let offset = admission.utc() - src.date_from.utc();
            changes.date_admission = Some(Some(WireDateTime::from_utc(date_from.utc() + offset)));
        }
    }
    let data = prepare_new_event(ports, principal, organizer, changes, previous, errors).await?;
    let keys = EventKeys::generate()?;
    ports
        .events
        .clone_from(source.id, organizer.id, data, keys)
        .await
        .map_err(slug_conflict)
}

/// Replaces (`WriteMode::Replace`) or changes (`WriteMode::Partial`) an event: the
/// immutability rules, the references, the date checks and, when `live` turns true, the
/// go-live checks.
pub async fn update_event(
    ports: &EventPorts<'_>,
    principal: &Principal,
    organizer: &Organizer,
    event: &Event,
    changes: EventChanges,
    mode: WriteMode,
    mut errors: FieldErrors,
) -> Result<Event, EventError> {
    let current = &event.data;
    let identifiers = organizer_channel_identifiers(ports, organizer, &changes).await?;
    check_legacy_channels(&changes, &identifiers)?;
    if mode.is_full() {
        errors.require(&[
            ("name", changes.name.is_some()),
            ("slug", changes.slug.is_some()),
            ("date_from", changes.date_from.is_some()),
        ]);
    }
    if changes.slug.as_ref().is_some_and(|s| *s != current.slug) {
        errors.add("slug", "The event slug cannot be changed.");
    }
    if changes
        .seat_category_mapping
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        errors.add("seat_category_mapping", SEATING_UNSUPPORTED);
    }
    if changes
        .has_subevents
        .is_some_and(|h| h != current.has_subevents)
    {
        errors.add(
            "has_subevents",
            "Once created an event cannot change between an series and a single event.",
        );
    }
    check_references(
        ports,
        principal,
        organizer,
        &changes,
        Previous {
            meta: &current.meta_data,
            plugins: &current.plugins,
        },
        &mut errors,
    )
    .await?;
    if changes.live == Some(true) && !current.live && !errors.has("live") {
        let facts = ports.events.facts(event.id).await?;
        let payment_active = plugins::any_payment(
            current
                .plugins
                .iter()
                .chain(changes.plugins.iter().flatten()),
        );
        if facts.paid_items > 0 && !payment_active {
            errors.add(
                "live",
                "You have configured at least one paid product but have not enabled any payment methods.",
            );
        } else if facts.quotas == 0 {
            errors.add(
                "live",
                "You need to configure at least one quota to sell anything.",
            );
        }
    }
    errors.sort_by_order(EVENT_FIELDS);
    errors.into_result()?;
    check_dates(&changes)?;

    let channels = channel_selection(&changes, &identifiers);
    // A full write starts from the defaults, a partial one from the event as it is; the slug
    // and whether the event is a series never change.
    let base = if mode.is_full() {
        let timezone = match changes.timezone {
            Some(tz) => tz,
            None => organizer_timezone(ports, organizer).await?,
        };
        let mut base = EventData::defaults(
            current.slug.clone(),
            current.name.clone(),
            current.date_from,
            timezone,
        );
        base.has_subevents = current.has_subevents;
        base
    } else {
        current.clone()
    };
    let mut data = changes.apply_to(base, channels);
    data.slug = current.slug.clone();
    data.has_subevents = current.has_subevents;
    Ok(ports.events.update(event.id, data).await?)
}

/// Deletes an event: refused once it has orders (or used imported secrets),
/// decided by the repository in the same transaction as the delete.
pub async fn delete_event(events: &dyn EventRepository, event: &Event) -> Result<(), EventError> {
    match events.delete(event.id).await? {
        EventDeletion::Deleted => Ok(()),
        EventDeletion::HasUsedTickets => Err(EventError::Refused(NOT_DELETABLE.to_owned())),
        // As a sequential request would find it: no such event.
        EventDeletion::Gone => Err(RepositoryError::ReferenceGone("event".into()).into()),
    }
}

/// `best_availability_state` from an event's quota sizes (`None` = unlimited): unknown
/// without quotas, 100 when some quota has room, else 0 (gone). Without orders or carts no
/// quota can be reserved (20) or ordered out (10).
pub fn best_availability(quota_sizes: &[Option<i64>]) -> Option<u8> {
    if quota_sizes.is_empty() {
        return None;
    }
    if quota_sizes.iter().any(|s| s.is_none_or(|n| n > 0)) {
        Some(100)
    } else {
        Some(0)
    }
}
