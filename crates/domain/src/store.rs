//! Units of work: how a use case runs several repository calls as one transaction.
//!
//! A [`Store`] hands out every repository ([`Repositories`]); each call on them is a
//! transaction of its own. [`Store::begin`] opens a [`Transaction`], which hands out the same
//! repositories over one open transaction: what one call writes, the next one reads, and
//! nothing is visible to anyone else until [`Transaction::commit`]. A transaction dropped
//! without `commit` writes nothing. A call refused inside a transaction (a conflict, a row
//! that is gone) leaves the transaction usable: only that call's writes are undone.
//!
//! Use cases take the repositories they need (`&dyn EventRepository`, ...), so the same use
//! case runs on its own or inside a transaction:
//!
//! ```
//! use presale_domain::store::{Ports, Repositories, Store};
//! use presale_domain::ids::OrganizerId;
//! use presale_domain::organizer::{MockOrganizerRepository, Organizer};
//! use presale_domain::values::Slug;
//! use std::sync::Arc;
//!
//! # pollster::block_on(async {
//! let mut organizers = MockOrganizerRepository::new();
//! organizers.expect_find_by_slug().returning(|slug| {
//!     Ok(Some(Organizer {
//!         id: OrganizerId(1),
//!         slug: Slug::parse(slug).unwrap(),
//!         name: "Big Events".into(),
//!         plugins: vec![],
//!     }))
//! });
//! let ports = Ports {
//!     organizers: Arc::new(organizers),
//!     ..Ports::unexpected()
//! };
//! let tx = ports.begin().await.unwrap();
//! let found = tx.organizers().find_by_slug("bigevents").await.unwrap();
//! assert_eq!(found.map(|o| o.name), Some("Big Events".to_owned()));
//! tx.commit().await.unwrap();
//! # });
//! ```

use crate::device::{DevicePorts, DeviceRepository};
use crate::digital_content::DigitalContentRepository;
use crate::error::RepositoryError;
use crate::event::{EventPorts, EventRepository};
use crate::imported_secret::ImportedSecretRepository;
use crate::item::ItemRepository;
use crate::meta::MetaPropertyRepository;
use crate::organizer::OrganizerRepository;
use crate::quota::QuotaRepository;
use crate::sales_channel::SalesChannelRepository;
use crate::settings::SettingsRepository;
use crate::subevent::SubEventRepository;
use crate::team::{TeamRepository, TokenRepository};
use async_trait::async_trait;
use std::sync::Arc;

/// Every repository of the domain.
pub trait Repositories: Send + Sync {
    fn organizers(&self) -> &dyn OrganizerRepository;
    fn tokens(&self) -> &dyn TokenRepository;
    fn teams(&self) -> &dyn TeamRepository;
    fn devices(&self) -> &dyn DeviceRepository;
    fn events(&self) -> &dyn EventRepository;
    fn digital_contents(&self) -> &dyn DigitalContentRepository;
    fn items(&self) -> &dyn ItemRepository;
    fn meta_properties(&self) -> &dyn MetaPropertyRepository;
    fn sales_channels(&self) -> &dyn SalesChannelRepository;
    fn settings(&self) -> &dyn SettingsRepository;
    fn quotas(&self) -> &dyn QuotaRepository;
    fn subevents(&self) -> &dyn SubEventRepository;
    fn imported_secrets(&self) -> &dyn ImportedSecretRepository;
}

/// The repositories over one open transaction.
#[async_trait]
pub trait Transaction: Repositories {
    /// Makes everything written through the transaction visible at once. Without it (the
    /// transaction dropped, or the commit failing) nothing is written.
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError>;
}

/// Port: the repositories, each call its own transaction, and units of work over several.
#[async_trait]
pub trait Store: Repositories {
    /// Opens a transaction. Writers of other transactions may wait for it to end, so a use
    /// case keeps it open only for its own calls.
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepositoryError>;
}

impl<'a> EventPorts<'a> {
    /// The event ports of a store or of one of its transactions.
    pub fn of(repositories: &'a dyn Repositories) -> Self {
        EventPorts {
            events: repositories.events(),
            meta: repositories.meta_properties(),
            channels: repositories.sales_channels(),
            settings: repositories.settings(),
        }
    }
}

impl<'a> DevicePorts<'a> {
    /// The device ports of a store or of one of its transactions.
    pub fn of(repositories: &'a dyn Repositories) -> Self {
        DevicePorts {
            devices: repositories.devices(),
            organizers: repositories.organizers(),
        }
    }
}

/// One implementation per repository, for instance mocks in a test.
#[derive(Clone)]
pub struct Ports {
    pub organizers: Arc<dyn OrganizerRepository>,
    pub tokens: Arc<dyn TokenRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub devices: Arc<dyn DeviceRepository>,
    pub events: Arc<dyn EventRepository>,
    pub digital_contents: Arc<dyn DigitalContentRepository>,
    pub items: Arc<dyn ItemRepository>,
    pub meta_properties: Arc<dyn MetaPropertyRepository>,
    pub sales_channels: Arc<dyn SalesChannelRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub quotas: Arc<dyn QuotaRepository>,
    pub subevents: Arc<dyn SubEventRepository>,
    pub imported_secrets: Arc<dyn ImportedSecretRepository>,
}

impl Repositories for Ports {
    fn organizers(&self) -> &dyn OrganizerRepository {
        &*self.organizers
    }
    fn tokens(&self) -> &dyn TokenRepository {
        &*self.tokens
    }
    fn teams(&self) -> &dyn TeamRepository {
        &*self.teams
    }
    fn devices(&self) -> &dyn DeviceRepository {
        &*self.devices
    }
    fn events(&self) -> &dyn EventRepository {
        &*self.events
    }
    fn digital_contents(&self) -> &dyn DigitalContentRepository {
        &*self.digital_contents
    }
    fn items(&self) -> &dyn ItemRepository {
        &*self.items
    }
    fn meta_properties(&self) -> &dyn MetaPropertyRepository {
        &*self.meta_properties
    }
    fn sales_channels(&self) -> &dyn SalesChannelRepository {
        &*self.sales_channels
    }
    fn settings(&self) -> &dyn SettingsRepository {
        &*self.settings
    }
    fn quotas(&self) -> &dyn QuotaRepository {
        &*self.quotas
    }
    fn subevents(&self) -> &dyn SubEventRepository {
        &*self.subevents
    }
    fn imported_secrets(&self) -> &dyn ImportedSecretRepository {
        &*self.imported_secrets
    }
}

#[cfg(any(test, feature = "mock"))]
impl Ports {
    /// Mocks that expect no call at all (any call panics): the base for a test's own mocks.
    pub fn unexpected() -> Self {
        Ports {
            organizers: Arc::new(crate::organizer::MockOrganizerRepository::new()),
            tokens: Arc::new(crate::team::MockTokenRepository::new()),
            teams: Arc::new(crate::team::MockTeamRepository::new()),
            devices: Arc::new(crate::device::MockDeviceRepository::new()),
            events: Arc::new(crate::event::MockEventRepository::new()),
            digital_contents: Arc::new(crate::digital_content::MockDigitalContentRepository::new()),
            items: Arc::new(crate::item::MockItemRepository::new()),
            meta_properties: Arc::new(crate::meta::MockMetaPropertyRepository::new()),
            sales_channels: Arc::new(crate::sales_channel::MockSalesChannelRepository::new()),
            settings: Arc::new(crate::settings::MockSettingsRepository::new()),
            quotas: Arc::new(crate::quota::MockQuotaRepository::new()),
            subevents: Arc::new(crate::subevent::MockSubEventRepository::new()),
            imported_secrets: Arc::new(crate::imported_secret::MockImportedSecretRepository::new()),
        }
    }
}

/// [`Ports`] as a [`Store`] without transactions: `begin` hands out the same ports, every
/// call is written at once, and `commit` does nothing. For tests with mock repositories, where
/// no database is there to roll back.
#[async_trait]
impl Transaction for Ports {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        Ok(())
    }
}

#[async_trait]
impl Store for Ports {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepositoryError> {
        Ok(Box::new(self.clone()))
    }
}
