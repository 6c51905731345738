//! Query parameters the way django-filter reads them (docs/api-compatibility.md), one piece for
//! every list: the last value of a repeated parameter counts, an empty value does not filter,
//! booleans that are not `true/false/1/0` mean "not given", and a value that cannot be read is
//! a 400 under the filter's name (`{"date_from":["Enter a valid date/time."]}`), every bad
//! filter reported together, in the order the list declares its filters.

use crate::error::ApiError;
use actix_web::HttpRequest;
use presale_domain::validation::FieldErrors;
use presale_domain::values::WireDateTime;
use std::cell::RefCell;

const NOT_A_NUMBER: &str = "Enter a number.";
const NOT_A_DATETIME: &str = "Enter a valid date/time.";

/// A request's query parameters, in the order sent.
///
/// A recording query ([`Query::recording`]) has none, and notes every parameter a reader asks
/// it for, with the kind of value the reader takes: the API's document lists a list's
/// parameters by running its reader on one, so that the two cannot differ.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
    asked: Option<RefCell<Vec<Param>>>,
}

/// A query parameter a reader asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: String,
    pub kind: ParamKind,
}

/// The kind of value a query parameter takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParamKind {
    Text,
    Boolean,
    Integer,
    DateTime,
    /// `ordering`, with the keys it knows.
    Ordering(Vec<String>),
    Page,
    PageSize,
}

impl Query {
    pub(crate) fn parse(query: &str) -> Self {
        Query {
            pairs: serde_urlencoded::from_str(query).unwrap_or_default(),
            asked: None,
        }
    }

    /// An empty query that notes what is asked of it.
    pub(crate) fn recording() -> Self {
        Query {
            pairs: Vec::new(),
            asked: Some(RefCell::new(Vec::new())),
        }
    }

    /// What a recording query was asked for so far, first ask first.
    pub(crate) fn clone_asked(&self) -> Vec<Param> {
        self.asked
            .as_ref()
            .map(|a| a.borrow().clone())
            .unwrap_or_default()
    }

    /// What a recording query was asked for, first ask first.
    pub(crate) fn asked(self) -> Vec<Param> {
        self.asked.map(RefCell::into_inner).unwrap_or_default()
    }

    /// Notes `key` as a parameter of `kind` (the first kind noted for a key counts: a typed
    /// reader notes its kind before it reads the text).
    pub(crate) fn note(&self, key: &str, kind: ParamKind) {
        if let Some(asked) = &self.asked {
            let mut asked = asked.borrow_mut();
            if !asked.iter().any(|p| p.name == key) {
                asked.push(Param {
                    name: key.to_owned(),
                    kind,
                });
            }
        }
    }

    pub(crate) fn of(req: &HttpRequest) -> Self {
        Self::parse(req.query_string())
    }

    /// Every parameter, in the order sent.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Every parameter, in the order sent, owned.
    pub(crate) fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    /// Whether the parameter is present, whatever its value.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.note(key, ParamKind::Text);
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// The last value of a parameter, as Django reads it.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.note(key, ParamKind::Text);
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The last value, unless it is empty (an empty filter value does not filter).
    pub(crate) fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// A boolean filter: `true/false/1/0` in any case; anything else means "not given".
    pub(crate) fn flag(&self, key: &str) -> Option<bool> {
        self.note(key, ParamKind::Boolean);
        match self.get(key)?.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// `ordering`: a comma list of the `known` keys, each optionally with a `-` prefix for
    /// descending; unknown keys are ignored, as in pretix.
    pub(crate) fn ordering<K: Copy>(&self, known: &[(&str, K)]) -> Vec<(K, bool)> {
        let keys = known.iter().map(|(n, _)| (*n).to_owned()).collect();
        self.note("ordering", ParamKind::Ordering(keys));
        let Some(value) = self.get("ordering") else {
            return Vec::new();
        };
        value
            .split(',')
            .filter_map(|key| {
                let key = key.trim();
                let (descending, name) = match key.strip_prefix('-') {
                    Some(name) => (true, name),
                    None => (false, key),
                };
                known
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, k)| (*k, descending))
            })
            .collect()
    }

    /// Starts reading the filters whose values can be refused.
    pub(crate) fn filters(&self) -> Filters<'_> {
        Filters {
            query: self,
            errors: FieldErrors::new(),
        }
    }
}

/// Reads typed filters, collecting the refused ones under their filter's name; call them in
/// the order the list declares its filters, then [`Filters::finish`].
pub(crate) struct Filters<'q> {
    query: &'q Query,
    errors: FieldErrors,
}

impl Filters<'_> {
    /// An integer filter (an id): `Enter a number.` otherwise.
    pub(crate) fn number(&mut self, key: &str) -> Option<i64> {
        self.query.note(key, ParamKind::Integer);
        let value = self.query.non_empty(key)?;
        match value.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.add(key, NOT_A_NUMBER);
                None
            }
        }
    }

    /// A date-time filter: `Enter a valid date/time.` otherwise.
    pub(crate) fn datetime(&mut self, key: &str) -> Option<WireDateTime> {
        self.query.note(key, ParamKind::DateTime);
        let value = self.query.non_empty(key)?;
        match WireDateTime::parse_filter(value) {
            Ok(t) => Some(t),
            Err(_) => {
                self.errors.add(key, NOT_A_DATETIME);
                None
            }
        }
    }

    /// A date-time range filter `name` with its two bounds `name_after` and `name_before`
    /// (both inclusive); a bad bound is reported once, under `name`.
    pub(crate) fn datetime_range(
        &mut self,
        name: &str,
    ) -> (Option<WireDateTime>, Option<WireDateTime>) {
        let bound = |suffix: &str| {
            self.query
                .note(&format!("{name}_{suffix}"), ParamKind::DateTime);
            let value = self.query.non_empty(&format!("{name}_{suffix}"))?;
            Some(WireDateTime::parse_filter(value).map_err(|_| ()))
        };
        let (after, before) = (bound("after"), bound("before"));
        if matches!(after, Some(Err(()))) || matches!(before, Some(Err(()))) {
            self.errors.add(name, NOT_A_DATETIME);
            return (None, None);
        }
        (after.and_then(Result::ok), before.and_then(Result::ok))
    }

    /// `Ok` when every filter could be read, else the 400 naming each refused one.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        Ok(self.errors.into_result()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_value_counts_and_empty_values_do_not_filter() {
        let q = Query::parse("a=1&a=2&b=&c=TRUE&d=maybe&e=0");
        assert_eq!(q.get("a"), Some("2"));
        assert_eq!(q.non_empty("b"), None);
        assert!(q.has("b"));
        assert_eq!(
            (q.flag("c"), q.flag("d"), q.flag("e"), q.flag("z")),
            (Some(true), None, Some(false), None)
        );
    }

    #[test]
    fn ordering_keeps_known_keys_with_direction() {
        let q = Query::parse("ordering=-b,nope,%20a");
        assert_eq!(
            q.ordering(&[("a", 1), ("b", 2)]),
            vec![(2, true), (1, false)]
        );
        assert!(Query::parse("").ordering(&[("a", 1)]).is_empty());
    }

    #[test]
    fn refused_filters_are_reported_together_under_their_names() {
        let q = Query::parse(
            "ends_after=x&date_from_after=2020-01-01&date_from_before=bad&date_to_after=y&date_to_before=z&item=7&subevent=a",
        );
        let mut f = q.filters();
        assert_eq!(f.datetime("ends_after"), None);
        assert_eq!(f.datetime_range("date_from"), (None, None));
        assert_eq!(f.datetime_range("date_to"), (None, None));
        assert_eq!(f.number("item"), Some(7));
        assert_eq!(f.number("subevent"), None);
        assert_eq!(
            f.finish().map_err(|e| e.to_string()),
            Err(r#"{"ends_after":["Enter a valid date/time."],"date_from":["Enter a valid date/time."],"date_to":["Enter a valid date/time."],"subevent":["Enter a number."]}"#.to_owned())
        );
    }

    #[test]
    fn ranges_read_both_bounds() {
        let q =
            Query::parse("date_from_after=2020-01-01&date_from_before=2020-01-02T10:30%2B01:00");
        let mut f = q.filters();
        let (after, before) = f.datetime_range("date_from");
        assert_eq!(
            after.map(|t| t.to_string()).as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert_eq!(
            before.map(|t| t.to_string()).as_deref(),
            Some("2020-01-02T09:30:00Z")
        );
        assert!(f.finish().is_ok());
    }
}
