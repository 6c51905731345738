//! The ids of every entity: the database ids the API shows, in one place that depends on
//! nothing else, so that every aggregate can name the others' rows.

/// A database id: a number the API shows, and takes in paths.
pub trait NumericId: Copy {
    fn from_number(number: i64) -> Self;
    fn number(self) -> i64;
}

impl NumericId for i64 {
    fn from_number(number: i64) -> Self {
        number
    }
    fn number(self) -> i64 {
        self
    }
}

macro_rules! numeric_ids {
    ($( $(#[$doc:meta])* $name:ident; )+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl NumericId for $name {
            fn from_number(number: i64) -> Self {
                $name(number)
            }
            fn number(self) -> i64 {
                self.0
            }
        }
    )+};
}

numeric_ids! {
    /// Database id of an organizer.
    OrganizerId;
    /// Database id of a team.
    TeamId;
    /// Database id of an API token.
    TokenId;
    /// Database id of an event.
    EventId;
    /// Database id of a device (not its per-organizer `device_id`).
    DeviceId;
    /// Database id of a product.
    ItemId;
    /// Database id of a product variation.
    VariationId;
    /// Database id of a sub-event.
    SubEventId;
    /// Database id of a quota.
    QuotaId;
    /// Database id of a digital content.
    DigitalContentId;
    /// Database id of a meta property.
    MetaPropertyId;
    /// Database id of an imported secret.
    ImportedSecretId;
}
