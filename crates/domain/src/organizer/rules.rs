//! The organizer use cases: reaching an organizer through a credential, and its plugins.

use super::{Organizer, OrganizerRepository};
use crate::access::{Permission, Principal};
use crate::error::RepositoryError;
use crate::pagination::{Page, Window};
use crate::plugins::PluginError;

/// Why a credential may not act on an organizer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Unknown organizer, another organizer's, or a missing permission: pretix answers all
    /// of them alike so that probing does not reveal which organizers exist.
    #[error("You do not have permission to perform this action.")]
    Denied,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The organizer named by `slug`, if `principal` may act on it and holds `required`.
pub async fn organizer_access(
    organizers: &dyn OrganizerRepository,
    principal: &Principal,
    slug: &str,
    required: Option<Permission>,
) -> Result<Organizer, AccessError> {
    let organizer = organizers
        .find_by_slug(slug)
        .await?
        .filter(|o| o.id == principal.organizer())
        .ok_or(AccessError::Denied)?;
    match required {
        Some(p) if !principal.has_permission(p) => Err(AccessError::Denied),
        _ => Ok(organizer),
    }
}

/// Why an organizer's plugins were not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangePluginsError {
    #[error(transparent)]
    Invalid(#[from] PluginError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Replaces the organizer-level plugins (the organizer's `plugins` field); every
/// name must be a known plugin that can be enabled on organizers (organizer-level or
/// hybrid). A hybrid plugin the organizer disables is also removed from its events, as
/// pretix does. The caller has checked `can_change_organizer_settings`.
pub async fn change_plugins(
    organizers: &dyn OrganizerRepository,
    organizer: &Organizer,
    plugins: &[String],
) -> Result<Organizer, ChangePluginsError> {
    let plugins = crate::plugins::CORE.for_organizer(plugins)?;
    let withdraw = crate::plugins::CORE.withdrawn_from_events(&organizer.plugins, &plugins);
    Ok(organizers
        .set_plugins(organizer.id, plugins, withdraw)
        .await?)
}

/// The organizers a credential can see (a team token: its own), one page of them.
pub async fn visible_organizers(
    organizers: &dyn OrganizerRepository,
    principal: &Principal,
    window: Window,
) -> Result<Page<Organizer>, RepositoryError> {
    organizers.list(vec![principal.organizer()], window).await
}
