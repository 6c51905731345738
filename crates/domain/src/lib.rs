//! # presale-domain
//!
//! The domain of Presale, a server for the organizer side of the pretix REST API v1: the
//! entities (organizers, teams, API tokens, ...), the value objects that can only hold valid
//! values ([`values::Slug`], [`values::I18nString`], [`values::Currency`], [`values::Money`],
//! [`values::TimeZone`], [`values::WireDateTime`]), the rules, and the repository traits
//! ("ports") that storage adapters implement.
//!
//! The crate does no I/O and depends on no database or web framework, so other Rust services
//! can embed it. With the `mock` feature every port also has a `mockall` mock
//! (`MockOrganizerRepository`, ...).
//!
//! ```
//! use presale_domain::values::{Slug, Money};
//!
//! let slug = Slug::parse("bigevents").unwrap();
//! assert_eq!(slug.as_str(), "bigevents");
//! assert_eq!(Money::parse("23.4").unwrap().to_string(), "23.40");
//! ```

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
