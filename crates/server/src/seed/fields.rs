//! The fields of fixture entries beyond (or instead of) the API's own lists: what a document
//! may give, and what an export writes.

/// An organizer entry.
pub(super) const ORGANIZER: &str =
    "slug name plugins public_url settings meta_properties sales_channels events teams devices";
/// A meta property entry (which may also give the read-only `id`).
pub(super) const META_PROPERTY: &str =
    "name default required allowed_values protected filter_allowed";
pub(super) const SALES_CHANNEL: &str = "identifier label type position";
/// The lists an event entry nests.
pub(super) const EVENT_NESTED: &str =
    "settings items subevents quotas digital_contents imported_secrets";
/// A team token entry.
pub(super) const TOKEN: &str = "id name active token token_sha256";
/// A device entry's fields beyond the API's.
pub(super) const DEVICE_EXTRA: &str = "api_token api_token_sha256";
/// What an initialized device reports about itself.
pub(super) const HARDWARE: &str =
    "hardware_brand hardware_model os_name os_version software_brand software_version";

/// Field names: a list, or one text of names separated by spaces.
pub(super) trait Fields<'k>: Copy {
    fn names(self) -> impl Iterator<Item = &'k str>;
    fn has(self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }
}

impl<'k> Fields<'k> for &'k str {
    fn names(self) -> impl Iterator<Item = &'k str> {
        self.split_whitespace()
    }
}

impl<'k> Fields<'k> for &'k [&'k str] {
    fn names(self) -> impl Iterator<Item = &'k str> {
        self.iter().copied()
    }
}

/// The read-only fields an export drops of an event as the API shows it (what is left is what
/// an event entry gives, so a new writable field is exported without a change here).
pub(super) const EVENT_READ_ONLY: &str = "seating_plan seat_category_mapping valid_keys best_availability_state public_url sales_channels";

/// The writable fields an export keeps of each resource as the API shows it, in its order.
pub(super) mod writable {
    pub(in crate::seed) const ITEM: &str =
        "id name default_price active description admission position";
    pub(in crate::seed) const VARIATION: &str = "id value default_price active position";
    pub(in crate::seed) const SUBEVENT: &str =
        "id name active date_from date_to presale_start presale_end location";
    pub(in crate::seed) const QUOTA: &str = "id name size items variations subevent";
    pub(in crate::seed) const CONTENT: &str = "id subevent title content_type url description all_products limit_products available_from available_until position";
    pub(in crate::seed) const SECRET: &str = "secret used item variation subevent";
    pub(in crate::seed) const DEVICE: &str = "device_id name all_events limit_events security_profile unique_serial initialization_token";
}
