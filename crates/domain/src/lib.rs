//! # presale-domain
//!
//! The domain of Presale, a server for the organizer side of the pretix REST API v1: the
//! entities (organizers, teams, events, products, ...), value objects that can only hold valid
//! values, the rules, the use cases that apply them, and the repository traits ("ports") that
//! a storage adapter implements. It does no I/O and knows no web framework: another Rust
//! service can embed it, bring its own storage, and get pretix's rules and messages.
//!
//! ## Module map
//!
//! **Bottom layer**: depends on no aggregate; every aggregate may use it.
//!
//! | module | holds |
//! | --- | --- |
//! | [`ids`] | the id of every entity (`EventId`, `ItemId`, ...) |
//! | [`access`] | permissions, event scopes, the team a token carries, principals, token hashes, device security profiles |
//! | [`values`] | value objects: [`values::Slug`], [`values::I18nString`], [`values::Currency`], [`values::Money`], [`values::TimeZone`], [`values::WireDateTime`] |
//! | [`write`](mod@write) | how a write treats the fields a caller left out ([`write::WriteMode`]); each aggregate's state and changes are declared from one field list, which gives `Changes::overlay` and `Data::defaults` |
//! | [`validation`] | field errors with pretix's messages, in field order |
//! | [`pagination`] | windows and pages of lists |
//! | [`error`] | [`RepositoryError`], what every port may answer |
//! | [`plugins`] | the plugin registry and its levels |
//!
//! **Aggregates**: each is a module with one layout: the entity and its changes, the port, in
//! `mod.rs`; the use cases and their errors in `rules`; unit tests against mock ports.
//! [`organizer`], [`team`] (teams, API tokens and token authentication), [`device`], [`event`],
//! [`settings`], [`meta`] (meta properties), [`sales_channel`], [`item`] (products and
//! variations), [`subevent`], [`quota`], [`digital_content`], [`imported_secret`].
//!
//! **Top**: [`store`] gathers every port ([`store::Repositories`]) and declares units of work:
//! [`store::Store::begin`] hands out a [`store::Transaction`] whose repositories run in one
//! transaction, committed whole or not at all. [`idempotency`] is the record store the HTTP
//! edge keeps replayable responses in.
//!
//! ## Stability
//!
//! The bottom layer, the entities, the ports and the use case functions are the public API an
//! embedding service builds on; a change to them is a breaking change of this crate's version.
//! The contents of [`plugins::CORE`] follow the pretix version Presale speaks, and
//! [`idempotency`] follows the HTTP edge's needs: both may change in any release.
//!
//! ## Running a use case
//!
//! A use case takes the ports it needs (`&dyn ItemRepository`, ...), checks its rules, and
//! writes through them only when everything passed. With the `mock` feature every port has a
//! `mockall` mock (`MockItemRepository`, ...), which is also how a service tests its own code
//! around the use cases:
//!
//! ```
//! use presale_domain::ids::{EventId, ItemId};
//! use presale_domain::item::{create_item, Item, ItemChanges, ItemError, ItemErrors};
//! use presale_domain::item::MockItemRepository;
//! use presale_domain::values::{I18nString, Money};
//!
//! let mut items = MockItemRepository::new();
//! // Stores what it is given, under the next id.
//! items.expect_create().times(1).returning(|event, _id, fields, _variations| {
//!     Ok(Item { id: ItemId(1), event, fields, has_variations: false, variations: vec![] })
//! });
//! let ticket = ItemChanges {
//!     name: Some(I18nString::english("Ticket")),
//!     default_price: Some(Money::parse("23.4").unwrap()),
//!     ..ItemChanges::default()
//! };
//! let created = pollster::block_on(create_item(&items, EventId(7), ticket, ItemErrors::default()))
//!     .unwrap();
//! assert_eq!(created.fields.default_price.to_string(), "23.40");
//! assert!(created.fields.active, "a product is active unless told otherwise");
//!
//! // A rule: prices are never negative. Every error is reported at once, and nothing is
//! // written (the mock allows one `create` only, and it was used above).
//! let refused = ItemChanges {
//!     name: Some(I18nString::english("Refund")),
//!     default_price: Some(Money::parse("-5").unwrap()),
//!     ..ItemChanges::default()
//! };
//! match pollster::block_on(create_item(&items, EventId(7), refused, ItemErrors::default())) {
//!     Err(ItemError::Invalid(errors)) => assert_eq!(
//!         errors.fields.iter().collect::<Vec<_>>(),
//!         [("default_price", "Ensure this value is greater than or equal to 0.")]
//!     ),
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! Several calls that must hold together run in one unit of work: see [`store`].

pub mod access;
pub mod device;
pub mod digital_content;
pub mod error;
pub mod event;
pub mod idempotency;
pub mod ids;
pub mod imported_secret;
pub mod item;
pub mod meta;
pub mod organizer;
pub mod pagination;
pub mod plugins;
pub mod quota;
pub mod sales_channel;
pub mod settings;
pub mod store;
pub mod subevent;
pub mod team;
pub mod validation;
pub mod values;
pub mod write;

pub use error::RepositoryError;

/// Calls the macro `$callback` with every port of the domain, one a line:
/// `accessor: path::to::Trait, path::to::Mock;`. The one list of ports, next to the list of
/// modules: [`store::Repositories`], [`store::Ports`] and the mocks' `Ports::unexpected` are
/// made from it, and a storage adapter can make its own `impl Repositories` from it
/// (`presale-storage-diesel` does). A new aggregate is a module above and, if it has a port, a
/// line here.
#[macro_export]
macro_rules! for_each_port {
    ($callback:ident) => {
        $callback! {
            organizers: $crate::organizer::OrganizerRepository, $crate::organizer::MockOrganizerRepository;
            tokens: $crate::team::TokenRepository, $crate::team::MockTokenRepository;
            teams: $crate::team::TeamRepository, $crate::team::MockTeamRepository;
            devices: $crate::device::DeviceRepository, $crate::device::MockDeviceRepository;
            events: $crate::event::EventRepository, $crate::event::MockEventRepository;
            digital_contents: $crate::digital_content::DigitalContentRepository, $crate::digital_content::MockDigitalContentRepository;
            items: $crate::item::ItemRepository, $crate::item::MockItemRepository;
            meta_properties: $crate::meta::MetaPropertyRepository, $crate::meta::MockMetaPropertyRepository;
            sales_channels: $crate::sales_channel::SalesChannelRepository, $crate::sales_channel::MockSalesChannelRepository;
            settings: $crate::settings::SettingsRepository, $crate::settings::MockSettingsRepository;
            quotas: $crate::quota::QuotaRepository, $crate::quota::MockQuotaRepository;
            subevents: $crate::subevent::SubEventRepository, $crate::subevent::MockSubEventRepository;
            imported_secrets: $crate::imported_secret::ImportedSecretRepository, $crate::imported_secret::MockImportedSecretRepository;
        }
    };
}
