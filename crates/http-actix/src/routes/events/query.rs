//! The events list's query parameters → `EventFilter`.

use crate::error::ApiError;
use crate::query::Query;
use presale_domain::access::EventScope;
use presale_domain::event::{EventFilter, EventOrder, MetaCondition};
use presale_domain::meta::MetaProperty;
use presale_domain::values::WireDateTime;

/// The filter for a credential limited to `scope`; `properties` resolves `attr[...]`. Refused
/// values are reported in pretix's filter order: `ends_after`, `date_from`, `date_to`.
pub(super) fn event_filter(
    query: &Query,
    scope: EventScope,
    properties: &[MetaProperty],
) -> Result<EventFilter, ApiError> {
    let mut f = EventFilter::new(scope, WireDateTime::now());
    f.is_public = query.flag("is_public");
    f.live = query.flag("live");
    f.testmode = query.flag("testmode");
    f.has_subevents = query.flag("has_subevents");
    f.is_future = query.flag("is_future");
    f.is_past = query.flag("is_past");
    let mut filters = query.filters();
    f.ends_after = filters.datetime("ends_after");
    (f.date_from_after, f.date_from_before) = filters.datetime_range("date_from");
    (f.date_to_after, f.date_to_before) = filters.datetime_range("date_to");
    filters.finish()?;
    f.sales_channel = query.non_empty("sales_channel").map(str::to_owned);
    f.search = query.non_empty("search").map(str::to_owned);
    for (key, value) in query.pairs() {
        let Some(name) = key.strip_prefix("attr[").and_then(|k| k.strip_suffix(']')) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if let Some(p) = properties.iter().find(|p| p.name == name) {
            f.meta.push(MetaCondition {
                property: p.id,
                value: value.clone(),
                matches_default: *value == p.default,
            });
        }
    }
    let ordering = query.ordering(&[
        ("date_from", EventOrder::DateFrom),
        ("slug", EventOrder::Slug),
    ]);
    if !ordering.is_empty() {
        f.ordering = ordering;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(query: &str) -> Result<EventFilter, String> {
        event_filter(&Query::parse(query), EventScope::All, &[]).map_err(|e| e.to_string())
    }

    #[test]
    fn flags_and_ordering() {
        let f = filter("live=TRUE&testmode=maybe&ordering=-date_from,nope,slug").unwrap();
        assert_eq!(f.live, Some(true));
        assert_eq!(f.testmode, None);
        assert_eq!(
            f.ordering,
            vec![(EventOrder::DateFrom, true), (EventOrder::Slug, false)]
        );
        assert_eq!(
            filter("ordering=nope").unwrap().ordering,
            vec![(EventOrder::Slug, false)]
        );
    }

    #[test]
    fn bad_dates_are_reported_under_the_filter_name() {
        assert_eq!(
            filter("ends_after=yesterday").unwrap_err(),
            r#"{"ends_after":["Enter a valid date/time."]}"#
        );
        assert_eq!(
            filter("date_from_after=garbage").unwrap_err(),
            r#"{"date_from":["Enter a valid date/time."]}"#
        );
        assert_eq!(
            filter("date_to_before=x&date_from_after=y&date_from_before=z&ends_after=w")
                .unwrap_err(),
            r#"{"ends_after":["Enter a valid date/time."],"date_from":["Enter a valid date/time."],"date_to":["Enter a valid date/time."]}"#
        );
        let f = filter("date_from_after=2020-01-01&date_to_before=2020-01-02T05").unwrap();
        assert_eq!(
            f.date_from_after.map(|t| t.to_string()).as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert_eq!(
            f.date_to_before.map(|t| t.to_string()).as_deref(),
            Some("2020-01-02T05:00:00Z")
        );
    }
}
