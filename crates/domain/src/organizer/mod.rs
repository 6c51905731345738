//! Organizers, and the use cases that reach them through a credential.

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{
    change_plugins, organizer_access, visible_organizers, AccessError, ChangePluginsError,
};

use crate::error::RepositoryError;
use crate::ids::{EventId, OrganizerId};
use crate::pagination::{Page, Window};
use crate::values::Slug;
use async_trait::async_trait;

/// An organizer: the account that runs events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organizer {
    pub id: OrganizerId,
    pub slug: Slug,
    pub name: String,
    /// Plugin module names enabled on organizer level, sorted.
    pub plugins: Vec<String>,
}

/// Port: organizers.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OrganizerRepository: Send + Sync {
    async fn find_by_slug(&self, slug: &str) -> Result<Option<Organizer>, RepositoryError>;

    /// The organizers with these ids, ordered by slug then id, with the total count.
    async fn list(
        &self,
        ids: Vec<OrganizerId>,
        window: Window,
    ) -> Result<Page<Organizer>, RepositoryError>;

    /// Creates an organizer. Must return `RepositoryError::Conflict` when the slug is taken.
    async fn create(&self, slug: Slug, name: &str) -> Result<Organizer, RepositoryError>;

    /// Gives the organizer a new name.
    async fn rename(&self, id: OrganizerId, name: &str) -> Result<Organizer, RepositoryError>;

    /// Replaces the organizer's plugin set (already validated and sorted) and, in the same
    /// transaction, removes the plugins in `withdraw` from every event of the organizer.
    async fn set_plugins(
        &self,
        id: OrganizerId,
        plugins: Vec<String>,
        withdraw: Vec<String>,
    ) -> Result<Organizer, RepositoryError>;

    /// The ids of the organizer's events with these slugs; slugs that name no event of
    /// this organizer are left out.
    async fn event_ids(
        &self,
        organizer: OrganizerId,
        slugs: Vec<String>,
    ) -> Result<Vec<(String, EventId)>, RepositoryError>;

    /// Whether the database answers at all (for readiness checks).
    async fn ping(&self) -> Result<(), RepositoryError>;
}
