//! Device security profiles: allow-lists of the routes a device may call (pretix's
//! `devicesecurity.py`, reduced to the routes Presale serves).

use std::fmt;

/// An API route a device may call, as far as a security profile tells them apart (pretix's
/// URL names, e.g. `api-v1:event-list`). Routes no profile names are [`ApiRoute::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiRoute {
    Version,
    OrganizerList,
    OrganizerDetail,
    EventList,
    EventDetail,
    EventSettings,
    SubEventList,
    SubEventDetail,
    ItemList,
    ItemDetail,
    ItemVariationList,
    ItemVariationDetail,
    QuotaList,
    QuotaDetail,
    DeviceInfo,
    DeviceUpdate,
    DeviceRoll,
    DeviceRevoke,
    /// Every other route: only the `full` profile allows it.
    Other,
}

/// The kind of request, for the allow-lists: `HEAD` counts as [`RouteMethod::Get`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Other,
}

impl RouteMethod {
    /// The method with this name (`HEAD` is [`RouteMethod::Get`]).
    pub fn from_name(name: &str) -> Self {
        match name {
            "GET" | "HEAD" => RouteMethod::Get,
            "POST" => RouteMethod::Post,
            "PUT" => RouteMethod::Put,
            "PATCH" => RouteMethod::Patch,
            "DELETE" => RouteMethod::Delete,
            _ => RouteMethod::Other,
        }
    }
}

/// A device's security profile. Stored as its identifier; an identifier Presale does not know
/// counts as [`SecurityProfile::Full`], as in pretix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityProfile {
    /// Everything a device may do at all.
    Full,
    /// pretixSCAN.
    PretixScan,
    /// pretixSCAN, online only, no order sync.
    PretixScanOnlineNoOrders,
    /// pretixSCAN in kiosk mode: no order sync, no search.
    PretixScanOnlineKiosk,
    /// pretixPOS.
    PretixPos,
}

use ApiRoute as R;
use RouteMethod::{Get, Post};

/// What every restricted profile allows: the device API, the version, and what pretixSCAN
/// reads of Presale's routes (events, sub-events, the product list, event settings).
const SCAN: &[(RouteMethod, ApiRoute)] = &[
    (Get, R::Version),
    (Get, R::DeviceInfo),
    (Post, R::DeviceUpdate),
    (Post, R::DeviceRevoke),
    (Post, R::DeviceRoll),
    (Get, R::EventList),
    (Get, R::EventDetail),
    (Get, R::SubEventList),
    (Get, R::SubEventDetail),
    (Get, R::ItemList),
    (Get, R::EventSettings),
];

/// pretixPOS sells: besides the scanner's routes it reads single products, their variations
/// and the quotas.
const POS_EXTRA: &[(RouteMethod, ApiRoute)] = &[
    (Get, R::ItemDetail),
    (Get, R::ItemVariationList),
    (Get, R::ItemVariationDetail),
    (Get, R::QuotaList),
    (Get, R::QuotaDetail),
];

impl SecurityProfile {
    /// Every profile, in the order pretix lists them.
    pub const ALL: [SecurityProfile; 5] = [
        SecurityProfile::Full,
        SecurityProfile::PretixScan,
        SecurityProfile::PretixScanOnlineNoOrders,
        SecurityProfile::PretixScanOnlineKiosk,
        SecurityProfile::PretixPos,
    ];

    pub fn identifier(self) -> &'static str {
        match self {
            SecurityProfile::Full => "full",
            SecurityProfile::PretixScan => "pretixscan",
            SecurityProfile::PretixScanOnlineNoOrders => "pretixscan_online_noorders",
            SecurityProfile::PretixScanOnlineKiosk => "pretixscan_online_kiosk",
            SecurityProfile::PretixPos => "pretixpos",
        }
    }

    /// The profile with this identifier, if it is one (what the API accepts).
    pub fn parse(identifier: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.identifier() == identifier)
    }

    /// The profile a stored identifier stands for: an unknown one is `full`.
    pub fn from_stored(identifier: &str) -> Self {
        Self::parse(identifier).unwrap_or(SecurityProfile::Full)
    }

    /// Whether the profile lets a device send `method` to `route`. This comes on top of what
    /// a device may do at all (read its events' data, use the device API).
    pub fn allows(self, method: RouteMethod, route: ApiRoute) -> bool {
        let listed = |list: &[(RouteMethod, ApiRoute)]| list.contains(&(method, route));
        match self {
            SecurityProfile::Full => true,
            SecurityProfile::PretixScan
            | SecurityProfile::PretixScanOnlineNoOrders
            | SecurityProfile::PretixScanOnlineKiosk => listed(SCAN),
            SecurityProfile::PretixPos => listed(SCAN) || listed(POS_EXTRA),
        }
    }
}

impl fmt::Display for SecurityProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.identifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_and_unknown_is_full() {
        for p in SecurityProfile::ALL {
            assert_eq!(SecurityProfile::parse(p.identifier()), Some(p));
            assert_eq!(SecurityProfile::from_stored(p.identifier()), p);
        }
        assert_eq!(SecurityProfile::parse("nope"), None);
        assert_eq!(SecurityProfile::from_stored("nope"), SecurityProfile::Full);
        assert_eq!(SecurityProfile::from_stored(""), SecurityProfile::Full);
    }

    #[test]
    fn full_allows_everything() {
        for m in [Get, Post, RouteMethod::Put, RouteMethod::Delete] {
            assert!(SecurityProfile::Full.allows(m, R::Other));
            assert!(SecurityProfile::Full.allows(m, R::EventDetail));
        }
    }

    #[test]
    fn scanner_profiles_read_events_and_products_only() {
        for p in [
            SecurityProfile::PretixScan,
            SecurityProfile::PretixScanOnlineNoOrders,
            SecurityProfile::PretixScanOnlineKiosk,
        ] {
            assert!(p.allows(Get, R::EventList));
            assert!(p.allows(Get, R::EventSettings));
            assert!(p.allows(Get, R::ItemList));
            assert!(p.allows(Post, R::DeviceRoll));
            assert!(!p.allows(Get, R::ItemDetail), "{p}");
            assert!(!p.allows(Get, R::QuotaList), "{p}");
            assert!(!p.allows(Get, R::OrganizerList), "{p}");
            assert!(!p.allows(RouteMethod::Delete, R::EventDetail), "{p}");
            assert!(!p.allows(Get, R::DeviceUpdate), "{p}");
            assert!(!p.allows(Get, R::Other), "{p}");
        }
    }

    #[test]
    fn pos_also_reads_quotas_and_variations() {
        let p = SecurityProfile::PretixPos;
        assert!(p.allows(Get, R::QuotaList));
        assert!(p.allows(Get, R::ItemVariationDetail));
        assert!(p.allows(Get, R::EventDetail));
        assert!(!p.allows(Post, R::ItemList));
        assert!(!p.allows(Get, R::OrganizerDetail));
    }

    #[test]
    fn head_is_get() {
        assert_eq!(RouteMethod::from_name("HEAD"), Get);
        assert_eq!(RouteMethod::from_name("PATCH"), RouteMethod::Patch);
        assert_eq!(RouteMethod::from_name("OPTIONS"), RouteMethod::Other);
    }
}
