//! The events list's query parameters → `EventFilter`.

use crate::error::ApiError;
use presale_domain::auth::EventScope;
use presale_domain::event::{EventFilter, EventOrder, MetaCondition};
use presale_domain::meta::MetaProperty;
use presale_domain::validation::FieldErrors;
use presale_domain::values::WireDateTime;

/// A query-string boolean: `true/false/1/0` in any case; anything else means "not given".
fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// The parameters of a list request, in the order sent.
pub(super) struct ListQuery {
    pairs: Vec<(String, String)>,
}

impl ListQuery {
    pub(super) fn parse(query: &str) -> Self {
        ListQuery {
            pairs: serde_urlencoded::from_str(query).unwrap_or_default(),
        }
    }

    /// The last value of a parameter, as Django reads it.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// The filter for a credential limited to `scope`; `properties` resolves `attr[...]`.
    pub(super) fn filter(
        &self,
        scope: EventScope,
        properties: &[MetaProperty],
    ) -> Result<EventFilter, ApiError> {
        let mut f = EventFilter::new(scope, WireDateTime::now());
        f.is_public = self.get("is_public").and_then(flag);
        f.live = self.get("live").and_then(flag);
        f.testmode = self.get("testmode").and_then(flag);
        f.has_subevents = self.get("has_subevents").and_then(flag);
        f.is_future = self.get("is_future").and_then(flag);
        f.is_past = self.get("is_past").and_then(flag);
        let mut errors = FieldErrors::new();
        let mut date = |key: &str| {
            let value = self.non_empty(key)?;
            match WireDateTime::parse(value) {
                Ok(t) => Some(t),
                Err(_) => {
                    errors.add(key, "Enter a valid date/time.");
                    None
                }
            }
        };
        f.date_from_after = date("date_from_after");
        f.date_from_before = date("date_from_before");
        f.date_to_after = date("date_to_after");
        f.date_to_before = date("date_to_before");
        f.ends_after = date("ends_after");
        errors.into_result()?;
        f.sales_channel = self.non_empty("sales_channel").map(str::to_owned);
        f.search = self.non_empty("search").map(str::to_owned);
        for (key, value) in &self.pairs {
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
        if let Some(ordering) = self.non_empty("ordering") {
            let keys: Vec<(EventOrder, bool)> = ordering
                .split(',')
                .filter_map(|k| {
                    let (descending, name) = match k.trim().strip_prefix('-') {
                        Some(n) => (true, n),
                        None => (false, k.trim()),
                    };
                    match name {
                        "date_from" => Some((EventOrder::DateFrom, descending)),
                        "slug" => Some((EventOrder::Slug, descending)),
                        _ => None,
                    }
                })
                .collect();
            if !keys.is_empty() {
                f.ordering = keys;
            }
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_ordering_and_bad_dates() {
        let q = ListQuery::parse("live=TRUE&testmode=maybe&ordering=-date_from,nope,slug");
        let f = q.filter(EventScope::All, &[]).unwrap();
        assert_eq!(f.live, Some(true));
        assert_eq!(f.testmode, None);
        assert_eq!(
            f.ordering,
            vec![(EventOrder::DateFrom, true), (EventOrder::Slug, false)]
        );
        let q = ListQuery::parse("ordering=nope");
        assert_eq!(
            q.filter(EventScope::All, &[]).unwrap().ordering,
            vec![(EventOrder::Slug, false)]
        );
        let err = ListQuery::parse("ends_after=yesterday")
            .filter(EventScope::All, &[])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"{"ends_after":["Enter a valid date/time."]}"#
        );
    }
}
