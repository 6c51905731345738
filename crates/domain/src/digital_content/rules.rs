//! The digital content use cases and their rules.

use super::{
    unknown_pk, DigitalContent, DigitalContentChanges, DigitalContentData,
    DigitalContentRepository, BLANK, DIGITAL_CONTENT_FIELDS, INVALID_URL, UNTIL_BEFORE_FROM,
};
use crate::error::RepositoryError;
use crate::event::Event;
use crate::ids::{DigitalContentId, EventId, SubEventId};
use crate::item::position_error;
use crate::validation::FieldErrors;
use crate::values::I18nString;
use crate::write::WriteMode;

/// Why a digital content was not written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DigitalContentError {
    /// The fields refused, with their messages (or `non_field_errors`).
    #[error("invalid digital content: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such digital content")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for DigitalContentError {
    fn from(e: FieldErrors) -> Self {
        DigitalContentError::Invalid(e)
    }
}

/// A content's address: an absolute `http` or `https` URL that Django's `URLValidator`
/// accepts (a host that is `localhost`, an IP address or a domain with a top-level domain).
pub fn url_error(url: &str) -> Option<&'static str> {
    if url.trim().is_empty() {
        return Some(BLANK);
    }
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let web = matches!(scheme.as_deref(), Some("http" | "https"));
    (!web || !crate::settings::is_url(url)).then_some(INVALID_URL)
}

fn normalized(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The value rules of the fields that were sent: required fields (on a full write), a
/// title with some text, a valid URL, the position's range.
fn check_fields(changes: &DigitalContentChanges, full: bool, errors: &mut FieldErrors) {
    if full {
        errors.require(&[
            ("title", changes.title.is_some()),
            ("url", changes.url.is_some()),
        ]);
    }
    if changes.title.as_ref().is_some_and(I18nString::is_blank) {
        errors.add("title", BLANK);
    }
    if let Some(message) = changes.url.as_deref().and_then(url_error) {
        errors.add("url", message);
    }
    if let Some(message) = changes.position.and_then(position_error) {
        errors.add("position", message);
    }
}

/// Every sent product and sub-event must belong to the event; the first unknown id of a
/// field is reported. Costs one repository call, none when no id was sent.
async fn check_references(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    changes: &DigitalContentChanges,
    errors: &mut FieldErrors,
) -> Result<(), RepositoryError> {
    let items = normalized(changes.limit_products.clone().unwrap_or_default());
    let subevents: Vec<SubEventId> = changes.subevent.flatten().into_iter().collect();
    if items.is_empty() && subevents.is_empty() {
        return Ok(());
    }
    let found = contents
        .references(event.id, items, subevents.clone())
        .await?;
    if let Some(missing) = changes
        .limit_products
        .iter()
        .flatten()
        .find(|id| !found.items.contains(id))
    {
        errors.add("limit_products", unknown_pk(missing));
    }
    if let Some(missing) = subevents.iter().find(|s| !found.subevents.contains(s)) {
        errors.add("subevent", unknown_pk(missing.0));
    }
    Ok(())
}

/// Validates `changes` applied to `base` and returns the data to store: field errors (the
/// edge's parse errors, the value rules, unknown references) in field order first, then,
/// once every field passed, the object rule on the merged content.
async fn validated(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    base: DigitalContentData,
    changes: DigitalContentChanges,
    full: bool,
    mut errors: FieldErrors,
) -> Result<DigitalContentData, DigitalContentError> {
    check_fields(&changes, full, &mut errors);
    check_references(contents, event, &changes, &mut errors).await?;
    errors.sort_by_order(DIGITAL_CONTENT_FIELDS);
    errors.into_result()?;
    let mut data = changes.overlay(base);
    data.limit_products = normalized(data.limit_products);
    if let (Some(from), Some(until)) = (data.available_from, data.available_until) {
        if until < from {
            return Err(FieldErrors::non_field(UNTIL_BEFORE_FROM).into());
        }
    }
    Ok(data)
}

/// Creates a digital content of the event: `title` and `url` are required; `content_type`
/// defaults to `link`, `all_products` to true, `position` to 0, the rest to null or none.
/// `errors` holds what the edge already found while parsing. The caller has checked the
/// write permission.
pub async fn create_digital_content(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    changes: DigitalContentChanges,
    errors: FieldErrors,
) -> Result<DigitalContent, DigitalContentError> {
    let given = changes.id;
    crate::error::write_checked(|| {
        let (changes, errors) = (changes.clone(), errors.clone());
        async move {
            let base = DigitalContentData::defaults();
            let data = validated(contents, event, base, changes, true, errors).await?;
            Ok(contents.create(event.id, given, data).await)
        }
    })
    .await
}

/// Replacing a content (`WriteMode::Replace`) needs `title` and `url` and resets the fields
/// left out to their defaults, as the document says; changing it (`WriteMode::Partial`)
/// changes only what was sent. The rules run on the result.
pub async fn update_digital_content(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    current: &DigitalContent,
    changes: DigitalContentChanges,
    mode: WriteMode,
    errors: FieldErrors,
) -> Result<DigitalContent, DigitalContentError> {
    let (base, full) = match mode {
        WriteMode::Create | WriteMode::Replace => (DigitalContentData::defaults(), true),
        WriteMode::Partial => (current.fields(), false),
    };
    crate::error::write_checked::<_, DigitalContentError, _>(|| {
        let (base, changes, errors) = (base.clone(), changes.clone(), errors.clone());
        async move {
            let data = validated(contents, event, base, changes, full, errors).await?;
            Ok(contents.update(event.id, current.id, data).await)
        }
    })
    .await?
    .ok_or(DigitalContentError::NotFound)
}

/// Deletes the event's content `id` with its product links; [`DigitalContentError::NotFound`]
/// if the event has none such.
pub async fn delete_digital_content(
    contents: &dyn DigitalContentRepository,
    event: EventId,
    id: DigitalContentId,
) -> Result<(), DigitalContentError> {
    if contents.delete(event, id).await? {
        Ok(())
    } else {
        Err(DigitalContentError::NotFound)
    }
}
