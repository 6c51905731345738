//! The quota use cases and their rules.

use super::{
    unknown_pk, Quota, QuotaChanges, QuotaData, QuotaRepository, References, ITEM_OF_OTHER_EVENT,
    NAME_MAX_LENGTH, QUOTA_FIELDS, REQUIRED, SIZE_MAX, SUBEVENT_OF_OTHER_EVENT, SUBEVENT_REQUIRED,
    VARIATIONS_MISSING, VARIATION_NOT_IN_ITEMS,
};
use crate::error::RepositoryError;
use crate::event::Event;
use crate::ids::{EventId, QuotaId};
use crate::validation::FieldErrors;
use crate::write::WriteMode;

/// Why a quota was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// The fields refused, with their messages.
    #[error("invalid quota: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such quota")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for QuotaError {
    fn from(e: FieldErrors) -> Self {
        QuotaError::Invalid(e)
    }
}

/// A name is not blank and at most [`NAME_MAX_LENGTH`] characters.
pub fn name_error(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("This field may not be blank.")
    } else if name.chars().count() > NAME_MAX_LENGTH {
        Some("Ensure this field has no more than 200 characters.")
    } else {
        None
    }
}

/// A size is 0 to [`SIZE_MAX`].
pub fn size_error(size: i64) -> Option<&'static str> {
    if size < 0 {
        Some("Ensure this value is greater than or equal to 0.")
    } else if size > SIZE_MAX {
        Some("Ensure this value is less than or equal to 2147483647.")
    } else {
        None
    }
}

fn normalized(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The field rules of what was sent: name, size, and that every sent id exists.
fn check_fields(changes: &QuotaChanges, refs: &References, errors: &mut FieldErrors) {
    if let Some(msg) = changes.name.as_deref().and_then(name_error) {
        errors.add("name", msg);
    }
    if let Some(msg) = changes.size.flatten().and_then(size_error) {
        errors.add("size", msg);
    }
    if let Some(missing) = changes
        .items
        .iter()
        .flatten()
        .find(|id| !refs.items.iter().any(|i| i.id == **id))
    {
        errors.add("items", unknown_pk(missing));
    }
    if let Some(missing) = changes
        .variations
        .iter()
        .flatten()
        .find(|id| !refs.variations.iter().any(|v| v.id == **id))
    {
        errors.add("variations", unknown_pk(missing));
    }
    if let Some(Some(missing)) = changes
        .subevent
        .filter(|s| s.is_some_and(|s| !refs.subevents.iter().any(|r| r.id == s)))
    {
        errors.add("subevent", unknown_pk(missing.0));
    }
}

/// The reference rules on the quota as it will be stored (pretix's `clean_variations`,
/// `clean_items`, `clean_subevent`), each failing field with its first message.
fn check_references(event: &Event, data: &QuotaData, refs: &References) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let item = |id: i64| refs.items.iter().find(|i| i.id == id);
    let variation = |id: i64| refs.variations.iter().find(|v| v.id == id);
    if data
        .variations
        .iter()
        .filter_map(|v| variation(*v))
        .any(|v| !data.items.contains(&v.item))
    {
        errors.add("variations", VARIATION_NOT_IN_ITEMS);
    }
    for i in data.items.iter().filter_map(|i| item(*i)) {
        if i.event != event.id {
            errors.add("items", ITEM_OF_OTHER_EVENT);
        } else if i.has_variations
            && !data
                .variations
                .iter()
                .filter_map(|v| variation(*v))
                .any(|v| v.item == i.id)
        {
            errors.add("variations", VARIATIONS_MISSING);
        }
    }
    let subevent_event = data
        .subevent
        .map(|s| refs.subevents.iter().find(|r| r.id == s).map(|r| r.event));
    match (event.data.has_subevents, subevent_event) {
        (true, None) => errors.add("subevent", SUBEVENT_REQUIRED),
        (true, Some(owner)) if owner != Some(event.id) => {
            errors.add("subevent", SUBEVENT_OF_OTHER_EVENT)
        }
        (false, Some(_)) => errors.add("subevent", SUBEVENT_OF_OTHER_EVENT),
        _ => {}
    }
    errors.sort_by_order(QUOTA_FIELDS);
    errors.into_result()
}

/// Validates `changes` applied to `base` and returns the data to store. Field errors (the
/// edge's parse errors, missing required fields, ranges, unknown ids) come first; the
/// reference rules run on the merged quota only once every field passed.
async fn validated(
    quotas: &dyn QuotaRepository,
    event: &Event,
    base: QuotaData,
    changes: QuotaChanges,
    mut errors: FieldErrors,
) -> Result<QuotaData, QuotaError> {
    let mut data = changes.clone().overlay(base);
    data.items = normalized(data.items);
    data.variations = normalized(data.variations);
    let refs = quotas
        .references(
            event.organizer,
            data.items.clone(),
            data.variations.clone(),
            data.subevent.into_iter().collect(),
        )
        .await?;
    check_fields(&changes, &refs, &mut errors);
    errors.sort_by_order(QUOTA_FIELDS);
    errors.into_result()?;
    check_references(event, &data, &refs)?;
    Ok(data)
}

/// Creates a quota: `name` is required; `size` defaults to null (unlimited),
/// `items` and `variations` to none, `subevent` to null (which an event series refuses).
/// `errors` holds what the edge already found while parsing. The caller has checked the
/// write permission.
pub async fn create_quota(
    quotas: &dyn QuotaRepository,
    event: &Event,
    changes: QuotaChanges,
    mut errors: FieldErrors,
) -> Result<Quota, QuotaError> {
    if changes.name.is_none() {
        errors.add("name", REQUIRED);
    }
    let base = QuotaData::defaults();
    let given = changes.id;
    crate::error::write_checked(|| {
        let (base, changes, errors) = (base.clone(), changes.clone(), errors.clone());
        async move {
            let data = validated(quotas, event, base, changes, errors).await?;
            Ok(quotas.create(event.id, given, data).await)
        }
    })
    .await
}

/// Replacing a quota (`WriteMode::Replace`) needs `name`; replacing and changing
/// (`WriteMode::Partial`) alike keep the values of the fields left out (as pretix does), and
/// the rules run on the merged quota.
pub async fn update_quota(
    quotas: &dyn QuotaRepository,
    event: &Event,
    current: &Quota,
    changes: QuotaChanges,
    mode: WriteMode,
    mut errors: FieldErrors,
) -> Result<Quota, QuotaError> {
    if mode.is_full() && changes.name.is_none() {
        errors.add("name", REQUIRED);
    }
    crate::error::write_checked::<_, QuotaError, _>(|| {
        let (changes, errors) = (changes.clone(), errors.clone());
        async move {
            let data = validated(quotas, event, current.fields(), changes, errors).await?;
            Ok(quotas.update(event.id, current.id, data).await)
        }
    })
    .await?
    .ok_or(QuotaError::NotFound)
}

/// Deletes the event's quota `id` with its item and variation links;
/// [`QuotaError::NotFound`] if the event has none such.
pub async fn delete_quota(
    quotas: &dyn QuotaRepository,
    event: EventId,
    id: QuotaId,
) -> Result<(), QuotaError> {
    if quotas.delete(event, id).await? {
        Ok(())
    } else {
        Err(QuotaError::NotFound)
    }
}
