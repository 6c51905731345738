//! The sub-event use cases and their rules.

use super::{
    SubEvent, SubEventChanges, SubEventData, SubEventRepository, ENDS_BEFORE_START, NOT_A_SERIES,
    PRESALE_ENDS_BEFORE_START, REQUIRED, SUBEVENT_FIELDS,
};
use crate::error::RepositoryError;
use crate::event::Event;
use crate::ids::{EventId, SubEventId};
use crate::validation::FieldErrors;
use crate::write::WriteMode;

/// Why a sub-event was not written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubEventError {
    /// The fields refused, with their messages (or `non_field_errors`).
    #[error("invalid sub-event: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such sub-event")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for SubEventError {
    fn from(e: FieldErrors) -> Self {
        SubEventError::Invalid(e)
    }
}

/// Object-level date checks for the values sent in this request only, as pretix does for
/// events and sub-events; equal values are fine.
pub fn check_dates(changes: &SubEventChanges) -> Result<(), FieldErrors> {
    if let (Some(from), Some(Some(to))) = (changes.date_from, changes.date_to) {
        if to < from {
            return Err(FieldErrors::non_field(ENDS_BEFORE_START));
        }
    }
    if let (Some(Some(start)), Some(Some(end))) = (changes.presale_start, changes.presale_end) {
        if end < start {
            return Err(FieldErrors::non_field(PRESALE_ENDS_BEFORE_START));
        }
    }
    Ok(())
}

fn require(changes: &SubEventChanges, errors: &mut FieldErrors) {
    errors.require(&[
        ("name", changes.name.is_some()),
        ("date_from", changes.date_from.is_some()),
    ]);
}

/// Field errors (the edge's parse errors plus the missing required fields) in field order,
/// then the object-level date rules.
fn validate(
    changes: &SubEventChanges,
    mut errors: FieldErrors,
    required: bool,
) -> Result<(), FieldErrors> {
    if required {
        require(changes, &mut errors);
    }
    errors.sort_by_order(SUBEVENT_FIELDS);
    errors.into_result()?;
    check_dates(changes)
}

/// Creates a sub-event: only in an event series; `name` and `date_from` are
/// required, `active` defaults to false, the other fields to null. `errors` holds what the
/// edge already found while parsing. The caller has checked the write permission.
pub async fn create_subevent(
    subevents: &dyn SubEventRepository,
    event: &Event,
    changes: SubEventChanges,
    errors: FieldErrors,
) -> Result<SubEvent, SubEventError> {
    if !event.data.has_subevents {
        return Err(FieldErrors::non_field(NOT_A_SERIES).into());
    }
    validate(&changes, errors, true)?;
    let given = changes.id;
    let (Some(name), Some(date_from)) = (changes.name.clone(), changes.date_from) else {
        return Err(FieldErrors::non_field(REQUIRED).into());
    };
    let data = changes.overlay(SubEventData::defaults(name, date_from));
    Ok(subevents.create(event.id, given, data).await?)
}

/// Replacing a sub-event (`WriteMode::Replace`) needs `name` and `date_from`; replacing and
/// changing (`WriteMode::Partial`) alike keep the values of the fields left out (as pretix
/// does).
pub async fn update_subevent(
    subevents: &dyn SubEventRepository,
    current: &SubEvent,
    changes: SubEventChanges,
    mode: WriteMode,
    errors: FieldErrors,
) -> Result<SubEvent, SubEventError> {
    validate(&changes, errors, mode.is_full())?;
    let data = changes.overlay(current.data.clone());
    subevents
        .update(current.event, current.id, data)
        .await?
        .ok_or(SubEventError::NotFound)
}

/// Deletes a sub-event with its quotas.
pub async fn delete_subevent(
    subevents: &dyn SubEventRepository,
    event: EventId,
    id: SubEventId,
) -> Result<(), SubEventError> {
    if subevents.delete(event, id).await? {
        Ok(())
    } else {
        Err(SubEventError::NotFound)
    }
}
