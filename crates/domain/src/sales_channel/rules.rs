//! The sales channel use cases and their rules.

use super::{
    SalesChannel, SalesChannelChanges, SalesChannelFields, SalesChannelRepository, API, BLANK,
    DUPLICATE_IDENTIFIER, IDENTIFIER_MAX_LENGTH, NOT_DELETABLE, POSITION_MAX, SALES_CHANNEL_FIELDS,
};
use crate::error::RepositoryError;
use crate::ids::OrganizerId;
use crate::validation::FieldErrors;
use crate::write::WriteMode;

/// Checks an identifier's form: not blank, `^[a-zA-Z0-9._-]+$`, at most
/// [`IDENTIFIER_MAX_LENGTH`] characters (pretix checks the pattern before the length).
pub fn identifier_error(identifier: &str) -> Option<&'static str> {
    if identifier.trim().is_empty() {
        Some(BLANK)
    } else if !identifier
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Some("The identifier may only contain letters, numbers, dots, dashes, and underscores.")
    } else if identifier.chars().count() > IDENTIFIER_MAX_LENGTH {
        Some("Ensure this field has no more than 200 characters.")
    } else {
        None
    }
}

/// The identifier of a channel to create: well formed and starting with `api.`.
pub fn new_identifier_error(identifier: &str) -> Option<&'static str> {
    identifier_error(identifier).or_else(|| {
        (!identifier.starts_with("api.")).then_some("Your identifier needs to start with 'api.'.")
    })
}

/// The identifier sent for an existing channel: it cannot change.
pub fn changed_identifier_error(channel: &SalesChannel, identifier: &str) -> Option<&'static str> {
    identifier_error(identifier).or_else(|| {
        (identifier != channel.identifier)
            .then_some("You cannot change the identifier of a sales channel.")
    })
}

/// The type of a channel to create: only `api`.
pub fn new_type_error(kind: &str) -> Option<&'static str> {
    if kind.trim().is_empty() {
        Some(BLANK)
    } else {
        (kind != API)
            .then_some("You can currently only create channels of type 'api' through the API.")
    }
}

/// The type sent for an existing channel: it cannot change.
pub fn changed_type_error(channel: &SalesChannel, kind: &str) -> Option<&'static str> {
    if kind.trim().is_empty() {
        Some(BLANK)
    } else {
        (kind != channel.kind).then_some("You cannot change the type of a sales channel.")
    }
}

/// Positions are 0 to [`POSITION_MAX`].
pub fn position_error(position: i64) -> Option<&'static str> {
    if position < 0 {
        Some("Ensure this value is greater than or equal to 0.")
    } else if position > POSITION_MAX {
        Some("Ensure this value is less than or equal to 2147483647.")
    } else {
        None
    }
}

impl SalesChannelChanges {
    /// The changes applied to `existing` (the channel being written; `None` on create, whose
    /// defaults are type `api` and position 0). A full write (create, PUT) must send
    /// `identifier` and `label`; the identifier and type of a new channel must be `api`'s, an
    /// existing channel's cannot change. `errors` holds what reading the request found; all
    /// of them come back together, in field order.
    pub fn apply_to(
        self,
        existing: Option<&SalesChannel>,
        mode: WriteMode,
        mut errors: FieldErrors,
    ) -> Result<SalesChannelFields, FieldErrors> {
        if mode.is_full() {
            errors.require(&[
                ("identifier", self.identifier.is_some()),
                ("label", self.label.is_some()),
            ]);
        }
        let mut check = |field: &str, error: Option<&'static str>| {
            if let Some(message) = error {
                errors.add(field, message);
            }
        };
        if let Some(identifier) = &self.identifier {
            check(
                "identifier",
                match existing {
                    None => new_identifier_error(identifier),
                    Some(channel) => changed_identifier_error(channel, identifier),
                },
            );
        }
        if let Some(kind) = &self.kind {
            check(
                "type",
                match existing {
                    None => new_type_error(kind),
                    Some(channel) => changed_type_error(channel, kind),
                },
            );
        }
        if let Some(position) = self.position {
            check("position", position_error(position));
        }
        let fields =
            self.overlay(existing.map_or_else(SalesChannelFields::defaults, SalesChannel::fields));
        errors.sort_by_order(SALES_CHANNEL_FIELDS);
        errors.into_result().map(|()| fields)
    }
}

/// Why a sales channel was not written or deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SalesChannelError {
    /// Field errors, in field order.
    #[error("invalid sales channel: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such sales channel")]
    NotFound,
    #[error("{NOT_DELETABLE}")]
    NotDeletable,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

fn collect(checks: [(&str, Option<&'static str>); 3]) -> Result<(), SalesChannelError> {
    let mut errors = FieldErrors::new();
    for (field, error) in checks {
        if let Some(message) = error {
            errors.add(field, message);
        }
    }
    errors.into_result().map_err(SalesChannelError::Invalid)
}

/// Creates a channel of type `api` whose identifier starts with `api.`; an identifier already
/// used in the organizer is a field error on `identifier`. The caller has checked
/// `can_change_organizer_settings`.
pub async fn create_sales_channel(
    channels: &dyn SalesChannelRepository,
    organizer: OrganizerId,
    fields: SalesChannelFields,
) -> Result<SalesChannel, SalesChannelError> {
    collect([
        ("identifier", new_identifier_error(&fields.identifier)),
        ("type", new_type_error(&fields.kind)),
        ("position", position_error(fields.position)),
    ])?;
    channels
        .create(organizer, fields)
        .await
        .map_err(|e| match e {
            RepositoryError::Conflict(_) => {
                SalesChannelError::Invalid(FieldErrors::single("identifier", DUPLICATE_IDENTIFIER))
            }
            other => other.into(),
        })
}

/// Updates label and position of `channel`; identifier and type must stay as they are.
pub async fn update_sales_channel(
    channels: &dyn SalesChannelRepository,
    channel: &SalesChannel,
    fields: SalesChannelFields,
) -> Result<SalesChannel, SalesChannelError> {
    collect([
        (
            "identifier",
            changed_identifier_error(channel, &fields.identifier),
        ),
        ("type", changed_type_error(channel, &fields.kind)),
        ("position", position_error(fields.position)),
    ])?;
    channels
        .update(channel.organizer, &channel.identifier, fields)
        .await?
        .ok_or(SalesChannelError::NotFound)
}

/// Deletes a channel unless it is one the organizer cannot do without.
pub async fn delete_sales_channel(
    channels: &dyn SalesChannelRepository,
    organizer: OrganizerId,
    identifier: &str,
) -> Result<(), SalesChannelError> {
    let channel = channels
        .find(organizer, identifier)
        .await?
        .ok_or(SalesChannelError::NotFound)?;
    if !channel.deletable() {
        return Err(SalesChannelError::NotDeletable);
    }
    if channels.delete(organizer, identifier).await? {
        Ok(())
    } else {
        Err(SalesChannelError::NotFound)
    }
}
