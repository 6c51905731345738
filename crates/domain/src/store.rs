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

use crate::device::DevicePorts;
use crate::error::RepositoryError;
use crate::event::EventPorts;
use async_trait::async_trait;
use std::sync::Arc;

macro_rules! declare_ports {
    ($( $name:ident: $port:path, $mock:path; )+) => {
        /// Every repository of the domain.
        pub trait Repositories: Send + Sync {
            $( fn $name(&self) -> &dyn $port; )+
        }

        /// One implementation per repository, for instance mocks in a test.
        #[derive(Clone)]
        pub struct Ports {
            $( pub $name: Arc<dyn $port>, )+
        }

        impl Repositories for Ports {
            $( fn $name(&self) -> &dyn $port { &*self.$name } )+
        }

        #[cfg(any(test, feature = "mock"))]
        impl Ports {
            /// Mocks that expect no call at all (any call panics): the base for a test's own
            /// mocks.
            pub fn unexpected() -> Self {
                Ports { $( $name: Arc::new(<$mock>::new()), )+ }
            }
        }
    };
}

crate::for_each_port!(declare_ports);

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
