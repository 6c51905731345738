//! Sales channels: where an organizer sells (`web` exists from the start).

use crate::error::RepositoryError;
use crate::ids::OrganizerId;
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::values::I18nString;
use async_trait::async_trait;

/// The channel every organizer starts with.
pub const WEB: &str = "web";

/// A sales channel of an organizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesChannel {
    pub organizer: OrganizerId,
    /// Unique within the organizer; the API addresses channels by it.
    pub identifier: String,
    pub label: I18nString,
    /// `web`, `api`, `pretixpos`, ... (free text in Presale).
    pub kind: String,
    pub position: i64,
}

/// The writable fields of a sales channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesChannelFields {
    pub identifier: String,
    pub label: I18nString,
    pub kind: String,
    pub position: i64,
}

/// Port: sales channels.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SalesChannelRepository: Send + Sync {
    /// Every channel of the organizer, ordered by position then identifier.
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<SalesChannel>, RepositoryError>;

    /// One page of the organizer's channels, ordered by position then identifier.
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<SalesChannel>, RepositoryError>;

    async fn find(
        &self,
        organizer: OrganizerId,
        identifier: &str,
    ) -> Result<Option<SalesChannel>, RepositoryError>;

    /// Must return `RepositoryError::Conflict` when the identifier is taken.
    async fn create(
        &self,
        organizer: OrganizerId,
        fields: SalesChannelFields,
    ) -> Result<SalesChannel, RepositoryError>;

    /// Updates label, type and position (the identifier is fixed); `None` if not found.
    async fn update(
        &self,
        organizer: OrganizerId,
        identifier: &str,
        fields: SalesChannelFields,
    ) -> Result<Option<SalesChannel>, RepositoryError>;

    /// Deletes the channel (and removes it from every event's limit list); `false` if
    /// there was none.
    async fn delete(
        &self,
        organizer: OrganizerId,
        identifier: &str,
    ) -> Result<bool, RepositoryError>;
}

/// The only type of channel a client may create, and the prefix its identifier must carry.
pub const API: &str = "api";

/// The longest identifier pretix accepts.
pub const IDENTIFIER_MAX_LENGTH: usize = 200;

/// The largest position pretix stores (a positive 32-bit integer column).
pub const POSITION_MAX: i64 = 2_147_483_647;

/// A second channel with the same identifier (pretix's control panel wording; its API
/// answers 500 here).
pub const DUPLICATE_IDENTIFIER: &str = "A sales channel with the same identifier already exists.";

/// Deleting a channel the organizer cannot do without (`web`); pretix's 403 detail.
pub const NOT_DELETABLE: &str = "Can only be deleted if unused.";

const BLANK: &str = "This field may not be blank.";

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

impl SalesChannel {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> SalesChannelFields {
        SalesChannelFields {
            identifier: self.identifier.clone(),
            label: self.label.clone(),
            kind: self.kind.clone(),
            position: self.position,
        }
    }

    /// Whether the organizer may delete the channel: never the `web` shop every organizer
    /// starts with (pretix also keeps channels that have orders, which Presale has not).
    pub fn deletable(&self) -> bool {
        self.kind != WEB
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

#[cfg(test)]
mod tests {
    use super::*;

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
            Some(
                "The identifier may only contain letters, numbers, dots, dashes, and underscores."
            )
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
        let created =
            create_sales_channel(&repo, OrganizerId(1), fields("api.new", "api", 3)).await;
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
}
