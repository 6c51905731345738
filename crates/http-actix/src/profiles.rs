//! Which [`ApiRoute`] a request is on, for the device security profiles: read from the pattern
//! of the route that matched, so a route is named by its shape, not by its parameter names.

use actix_web::HttpRequest;
use presale_domain::access::ApiRoute;

/// The 403 detail of a request a device's security profile does not allow.
pub(crate) const PROFILE_DENIED: &str = "Request denied by device security profile.";

/// The route of `req`; [`ApiRoute::Other`] for every route no profile names.
pub(crate) fn route_of(req: &HttpRequest) -> ApiRoute {
    crate::routes::route_template(req).map_or(ApiRoute::Other, |pattern| route_of_pattern(&pattern))
}

/// The route of a pattern such as `/api/v1/organizers/{organizer}/events/{event}/`.
pub(crate) fn route_of_pattern(pattern: &str) -> ApiRoute {
    let Some(rest) = pattern.strip_prefix("/api/v1/") else {
        return ApiRoute::Other;
    };
    let segments: Vec<&str> = rest
        .trim_end_matches('/')
        .split('/')
        .map(|s| if s.starts_with('{') { "*" } else { s })
        .collect();
    match segments.as_slice() {
        ["version"] => ApiRoute::Version,
        ["device", "info"] => ApiRoute::DeviceInfo,
        ["device", "update"] => ApiRoute::DeviceUpdate,
        ["device", "roll"] => ApiRoute::DeviceRoll,
        ["device", "revoke"] => ApiRoute::DeviceRevoke,
        ["organizers"] => ApiRoute::OrganizerList,
        ["organizers", "*"] => ApiRoute::OrganizerDetail,
        ["organizers", "*", "events"] => ApiRoute::EventList,
        ["organizers", "*", "events", "*"] => ApiRoute::EventDetail,
        ["organizers", "*", "events", "*", rest @ ..] => match rest {
            ["settings"] => ApiRoute::EventSettings,
            ["subevents"] => ApiRoute::SubEventList,
            ["subevents", "*"] => ApiRoute::SubEventDetail,
            ["items"] => ApiRoute::ItemList,
            ["items", "*"] => ApiRoute::ItemDetail,
            ["items", "*", "variations"] => ApiRoute::ItemVariationList,
            ["items", "*", "variations", "*"] => ApiRoute::ItemVariationDetail,
            ["quotas"] => ApiRoute::QuotaList,
            ["quotas", "*"] => ApiRoute::QuotaDetail,
            _ => ApiRoute::Other,
        },
        _ => ApiRoute::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_named_by_their_shape() {
        let cases = [
            ("/api/v1/version", ApiRoute::Version),
            ("/api/v1/device/roll", ApiRoute::DeviceRoll),
            ("/api/v1/organizers/", ApiRoute::OrganizerList),
            ("/api/v1/organizers/{organizer}/", ApiRoute::OrganizerDetail),
            ("/api/v1/organizers/{o}/events/", ApiRoute::EventList),
            ("/api/v1/organizers/{o}/events/{e}/", ApiRoute::EventDetail),
            (
                "/api/v1/organizers/{o}/events/{e}/settings/",
                ApiRoute::EventSettings,
            ),
            (
                "/api/v1/organizers/{o}/events/{e}/items/{item}/variations/{v}/",
                ApiRoute::ItemVariationDetail,
            ),
            (
                "/api/v1/organizers/{o}/events/{e}/quotas/",
                ApiRoute::QuotaList,
            ),
            (
                "/api/v1/organizers/{o}/events/{e}/subevents/{id}/",
                ApiRoute::SubEventDetail,
            ),
            ("/api/v1/organizers/{o}/events/{e}/clone/", ApiRoute::Other),
            ("/api/v1/organizers/{o}/devices/", ApiRoute::Other),
            ("/api/v1/organizers/{o}/settings/", ApiRoute::Other),
            ("/healthz", ApiRoute::Other),
        ];
        for (pattern, route) in cases {
            assert_eq!(route_of_pattern(pattern), route, "{pattern}");
        }
    }
}
