//! Digital contents (pretix's digital content plugin): live streams, videos, links or files
//! shown to the buyers of an event's tickets, all of them or those of some products, and in
//! an event series to those of one date.
//!
//! The plugin's own error texts are not public; the wording of the rules below is ours
//! (docs/api-compatibility.md). References follow DRF's related fields scoped to the event: a product
//! or date of another event is reported like an unknown one.

use crate::error::RepositoryError;
use crate::event::Event;
use crate::ids::DigitalContentId;
use crate::ids::EventId;
use crate::ids::SubEventId;
use crate::item::position_error;
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::values::{I18nString, WireDateTime};
use crate::write::UpdateMode;
use async_trait::async_trait;

/// The resource's fields in the order pretix shows them (the document's examples; its field
/// table lists them in another order) and reports errors in.
pub const DIGITAL_CONTENT_FIELDS: &[&str] = &[
    "id",
    "subevent",
    "title",
    "content_type",
    "url",
    "description",
    "all_products",
    "limit_products",
    "available_from",
    "available_until",
    "position",
];

const REQUIRED: &str = "This field is required.";
const BLANK: &str = "This field may not be blank.";
/// Django's message for a value its `URLValidator` refuses.
pub const INVALID_URL: &str = "Enter a valid URL.";
/// `available_until` before `available_from` (an object-level error; our wording).
pub const UNTIL_BEFORE_FROM: &str = "available_until cannot be before available_from.";

/// DRF's message for a primary key that names no object (of this event).
pub fn unknown_pk(pk: impl std::fmt::Display) -> String {
    format!("Invalid pk \"{pk}\" - object does not exist.")
}

/// What kind of content it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    Webinar,
    Video,
    Livestream,
    Link,
    File,
}

/// A `content_type` outside the choices (DRF's message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a valid choice.")]
pub struct InvalidChoice(pub String);

impl ContentType {
    pub const ALL: [ContentType; 5] = [
        ContentType::Webinar,
        ContentType::Video,
        ContentType::Livestream,
        ContentType::Link,
        ContentType::File,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Webinar => "webinar",
            ContentType::Video => "video",
            ContentType::Livestream => "livestream",
            ContentType::Link => "link",
            ContentType::File => "file",
        }
    }

    /// One of the names exactly (case-sensitive, as DRF's `ChoiceField`).
    pub fn parse(name: &str) -> Result<Self, InvalidChoice> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| InvalidChoice(name.to_owned()))
    }
}

/// Everything about a digital content that the API can write. `limit_products` is sorted
/// ascending without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitalContentData {
    /// `None` = every date of the series (or not a series).
    pub subevent: Option<SubEventId>,
    pub title: I18nString,
    pub content_type: ContentType,
    pub url: String,
    /// Markdown, stored as given.
    pub description: Option<I18nString>,
    /// When true, `limit_products` is ignored (but kept).
    pub all_products: bool,
    /// Product ids of the event.
    pub limit_products: Vec<i64>,
    pub available_from: Option<WireDateTime>,
    pub available_until: Option<WireDateTime>,
    pub position: i64,
}

impl DigitalContentData {
    /// The defaults of the fields a create (or PUT) may leave out, with the required ones
    /// (`title`, `url`) empty until the request fills them.
    fn defaults() -> Self {
        DigitalContentData {
            subevent: None,
            title: I18nString::default(),
            content_type: ContentType::Link,
            url: String::new(),
            description: None,
            all_products: true,
            limit_products: Vec::new(),
            available_from: None,
            available_until: None,
            position: 0,
        }
    }
}

/// A stored digital content.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitalContent {
    pub id: DigitalContentId,
    pub event: EventId,
    pub data: DigitalContentData,
}

impl DigitalContent {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> DigitalContentData {
        self.data.clone()
    }
}

/// The fields a request sent, parsed; `None` = not sent. Nullable fields are
/// `Option<Option<T>>` (`Some(None)` = sent as null). Ids are as sent (order, duplicates).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigitalContentChanges {
    /// The id to store a new row under, where a fixture gives one; `None` takes the next
    /// free id. The API never sets it (`id` is read-only there).
    pub id: Option<DigitalContentId>,
    pub subevent: Option<Option<SubEventId>>,
    pub title: Option<I18nString>,
    pub content_type: Option<ContentType>,
    /// Checked by the use cases ([`url_error`]).
    pub url: Option<String>,
    pub description: Option<Option<I18nString>>,
    pub all_products: Option<bool>,
    pub limit_products: Option<Vec<i64>>,
    pub available_from: Option<Option<WireDateTime>>,
    pub available_until: Option<Option<WireDateTime>>,
    pub position: Option<i64>,
}

/// Those of the asked-for products and sub-events that belong to the event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentReferences {
    pub items: Vec<i64>,
    pub subevents: Vec<SubEventId>,
}

/// Port: digital contents. Every method is scoped to one event: an id of another event's
/// content, product or sub-event behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DigitalContentRepository: Send + Sync {
    /// One page of the event's contents (only those of `subevent` when given) with the
    /// total count, ordered by position, then id; the products of the whole page are loaded
    /// at once, so a page costs a fixed number of queries.
    async fn list(
        &self,
        event: EventId,
        subevent: Option<SubEventId>,
        window: Window,
    ) -> Result<Page<DigitalContent>, RepositoryError>;

    /// The event's content with this id, `None` if the event has none such.
    async fn find(
        &self,
        event: EventId,
        id: DigitalContentId,
    ) -> Result<Option<DigitalContent>, RepositoryError>;

    /// Those of the given products and sub-events that belong to the event.
    async fn references(
        &self,
        event: EventId,
        items: Vec<i64>,
        subevents: Vec<SubEventId>,
    ) -> Result<ContentReferences, RepositoryError>;

    /// Stores a new content of the event with its products in one transaction (a product
    /// deleted meanwhile is left out).
    async fn create(
        &self,
        event: EventId,
        id: Option<DigitalContentId>,
        data: DigitalContentData,
    ) -> Result<DigitalContent, RepositoryError>;

    /// Replaces the content's fields and products in one transaction; `None` if the event
    /// has no such content.
    async fn update(
        &self,
        event: EventId,
        id: DigitalContentId,
        data: DigitalContentData,
    ) -> Result<Option<DigitalContent>, RepositoryError>;

    /// Deletes the content with its product links; `false` if the event has no such
    /// content.
    async fn delete(&self, event: EventId, id: DigitalContentId) -> Result<bool, RepositoryError>;
}

/// Why a digital content was not written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DigitalContentError {
    /// 400 with these field errors (or `non_field_errors`).
    #[error("invalid digital content: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such digital content")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for DigitalContentError {
    fn from(e: FieldErrors) -> Self {
        DigitalContentError::Invalid(e)
    }
}

/// A content's address: an absolute `http` or `https` URL that Django's `URLValidator`
/// accepts (a host that is `localhost`, an IP address or a domain with a top-level domain).
pub fn url_error(url: &str) -> Option<&'static str> {
    if url.trim().is_empty() {
        return Some(BLANK);
    }
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let web = matches!(scheme.as_deref(), Some("http" | "https"));
    (!web || !crate::settings::is_url(url)).then_some(INVALID_URL)
}

fn normalized(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The value rules of the fields that were sent: required fields (on a full write), a
/// title with some text, a valid URL, the position's range.
fn check_fields(changes: &DigitalContentChanges, full: bool, errors: &mut FieldErrors) {
    if full {
        for (field, sent) in [
            ("title", changes.title.is_some()),
            ("url", changes.url.is_some()),
        ] {
            if !sent && !errors.has(field) {
                errors.add(field, REQUIRED);
            }
        }
    }
    if changes.title.as_ref().is_some_and(I18nString::is_blank) {
        errors.add("title", BLANK);
    }
    if let Some(message) = changes.url.as_deref().and_then(url_error) {
        errors.add("url", message);
    }
    if let Some(message) = changes.position.and_then(position_error) {
        errors.add("position", message);
    }
}

/// Every sent product and sub-event must belong to the event; the first unknown id of a
/// field is reported. Costs one repository call, none when no id was sent.
async fn check_references(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    changes: &DigitalContentChanges,
    errors: &mut FieldErrors,
) -> Result<(), RepositoryError> {
    let items = normalized(changes.limit_products.clone().unwrap_or_default());
    let subevents: Vec<SubEventId> = changes.subevent.flatten().into_iter().collect();
    if items.is_empty() && subevents.is_empty() {
        return Ok(());
    }
    let found = contents
        .references(event.id, items, subevents.clone())
        .await?;
    if let Some(missing) = changes
        .limit_products
        .iter()
        .flatten()
        .find(|id| !found.items.contains(id))
    {
        errors.add("limit_products", unknown_pk(missing));
    }
    if let Some(missing) = subevents.iter().find(|s| !found.subevents.contains(s)) {
        errors.add("subevent", unknown_pk(missing.0));
    }
    Ok(())
}

/// Validates `changes` applied to `base` and returns the data to store: field errors (the
/// edge's parse errors, the value rules, unknown references) in field order first, then,
/// once every field passed, the object rule on the merged content.
async fn validated(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    base: DigitalContentData,
    changes: DigitalContentChanges,
    full: bool,
    mut errors: FieldErrors,
) -> Result<DigitalContentData, DigitalContentError> {
    check_fields(&changes, full, &mut errors);
    check_references(contents, event, &changes, &mut errors).await?;
    errors.sort_by_order(DIGITAL_CONTENT_FIELDS);
    errors.into_result()?;
    let data = DigitalContentData {
        subevent: changes.subevent.unwrap_or(base.subevent),
        title: changes.title.unwrap_or(base.title),
        content_type: changes.content_type.unwrap_or(base.content_type),
        url: changes.url.unwrap_or(base.url),
        description: changes.description.unwrap_or(base.description),
        all_products: changes.all_products.unwrap_or(base.all_products),
        limit_products: normalized(changes.limit_products.unwrap_or(base.limit_products)),
        available_from: changes.available_from.unwrap_or(base.available_from),
        available_until: changes.available_until.unwrap_or(base.available_until),
        position: changes.position.unwrap_or(base.position),
    };
    if let (Some(from), Some(until)) = (data.available_from, data.available_until) {
        if until < from {
            return Err(FieldErrors::non_field(UNTIL_BEFORE_FROM).into());
        }
    }
    Ok(data)
}

/// `POST /events/{e}/digitalcontents/`: `title` and `url` are required; `content_type`
/// defaults to `link`, `all_products` to true, `position` to 0, the rest to null or none.
/// `errors` holds what the edge already found while parsing. The caller has checked the
/// write permission.
pub async fn create_digital_content(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    changes: DigitalContentChanges,
    errors: FieldErrors,
) -> Result<DigitalContent, DigitalContentError> {
    let given = changes.id;
    crate::error::write_checked(|| {
        let (changes, errors) = (changes.clone(), errors.clone());
        async move {
            let base = DigitalContentData::defaults();
            let data = validated(contents, event, base, changes, true, errors).await?;
            Ok(contents.create(event.id, given, data).await)
        }
    })
    .await
}

/// `PUT /events/{e}/digitalcontents/{id}/` (`UpdateMode::Replace`) needs `title` and `url`
/// and resets the fields left out to their defaults, as the document says; `PATCH`
/// (`UpdateMode::Partial`) changes only what was sent. The rules run on the result.
pub async fn update_digital_content(
    contents: &dyn DigitalContentRepository,
    event: &Event,
    current: &DigitalContent,
    changes: DigitalContentChanges,
    mode: UpdateMode,
    errors: FieldErrors,
) -> Result<DigitalContent, DigitalContentError> {
    let (base, full) = match mode {
        UpdateMode::Replace => (DigitalContentData::defaults(), true),
        UpdateMode::Partial => (current.fields(), false),
    };
    crate::error::write_checked::<_, DigitalContentError, _>(|| {
        let (base, changes, errors) = (base.clone(), changes.clone(), errors.clone());
        async move {
            let data = validated(contents, event, base, changes, full, errors).await?;
            Ok(contents.update(event.id, current.id, data).await)
        }
    })
    .await?
    .ok_or(DigitalContentError::NotFound)
}

/// `DELETE /events/{e}/digitalcontents/{id}/`.
pub async fn delete_digital_content(
    contents: &dyn DigitalContentRepository,
    event: EventId,
    id: DigitalContentId,
) -> Result<(), DigitalContentError> {
    if contents.delete(event, id).await? {
        Ok(())
    } else {
        Err(DigitalContentError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventData;
    use crate::ids::OrganizerId;
    use crate::values::{Currency, Slug, TimeZone};

    const EVENT: EventId = EventId(3);

    fn at(s: &str) -> WireDateTime {
        WireDateTime::parse(s).unwrap()
    }

    fn event(has_subevents: bool) -> Event {
        Event {
            id: EVENT,
            organizer: OrganizerId(1),
            data: EventData {
                slug: Slug::parse("sampleconf").unwrap(),
                name: I18nString::english("Sample"),
                live: false,
                testmode: false,
                currency: Currency::EUR,
                date_from: at("2030-01-01T10:00:00Z"),
                date_to: None,
                date_admission: None,
                is_public: true,
                presale_start: None,
                presale_end: None,
                location: None,
                geo_lat: None,
                geo_lon: None,
                has_subevents,
                meta_data: vec![],
                plugins: vec![],
                timezone: TimeZone::UTC,
                item_meta_properties: vec![],
                all_sales_channels: true,
                limit_sales_channels: vec![],
            },
            public_key: String::new(),
        }
    }

    /// The event's products are 1 and 2, its sub-event 7; anything else is unknown.
    fn catalog() -> MockDigitalContentRepository {
        let mut repo = MockDigitalContentRepository::new();
        repo.expect_references().returning(|e, items, subevents| {
            assert_eq!(e, EVENT);
            Ok(ContentReferences {
                items: items.into_iter().filter(|i| [1, 2].contains(i)).collect(),
                subevents: subevents
                    .into_iter()
                    .filter(|s| *s == SubEventId(7))
                    .collect(),
            })
        });
        repo
    }

    fn stored(id: i64, data: DigitalContentData) -> DigitalContent {
        DigitalContent {
            id: DigitalContentId(id),
            event: EVENT,
            data,
        }
    }

    fn minimal() -> DigitalContentChanges {
        DigitalContentChanges {
            title: Some(I18nString::english("Concert livestream")),
            url: Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ".into()),
            ..DigitalContentChanges::default()
        }
    }

    fn invalid(fields: &[(&str, &str)]) -> DigitalContentError {
        let mut e = FieldErrors::new();
        for (f, m) in fields {
            e.add(f, *m);
        }
        DigitalContentError::Invalid(e)
    }

    #[test]
    fn content_types_are_the_five_names_exactly() {
        for c in ContentType::ALL {
            assert_eq!(ContentType::parse(c.as_str()), Ok(c));
        }
        assert_eq!(
            ContentType::parse("Link").map_err(|e| e.to_string()),
            Err("\"Link\" is not a valid choice.".to_owned())
        );
        assert_eq!(
            ContentType::parse("x").map_err(|e| e.to_string()),
            Err("\"x\" is not a valid choice.".to_owned())
        );
    }

    #[test]
    fn urls_are_absolute_http_or_https() {
        for ok in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "http://localhost:8000/stream",
            "HTTPS://example.org",
            "http://127.0.0.1/x",
        ] {
            assert_eq!(url_error(ok), None, "{ok}");
        }
        for bad in [
            "mywebsite.com",
            "/relative/path",
            "ftp://example.org/file",
            "javascript:alert(1)",
            "https://",
            "https://exa mple.org",
            "https://nodot",
        ] {
            assert_eq!(url_error(bad), Some(INVALID_URL), "{bad}");
        }
        assert_eq!(url_error("  "), Some(BLANK));
    }

    #[pollster::test]
    async fn create_applies_defaults_and_needs_no_lookup_without_references() {
        let mut repo = MockDigitalContentRepository::new();
        repo.expect_references().never();
        repo.expect_create()
            .withf(|e, _, d| {
                *e == EVENT
                    && d.content_type == ContentType::Link
                    && d.all_products
                    && d.limit_products.is_empty()
                    && d.position == 0
                    && d.subevent.is_none()
                    && d.description.is_none()
            })
            .times(1)
            .returning(|_, _, d| Ok(stored(2, d)));
        let got = create_digital_content(&repo, &event(false), minimal(), FieldErrors::new()).await;
        assert_eq!(got.map(|c| c.id), Ok(DigitalContentId(2)));
    }

    #[pollster::test]
    async fn required_and_value_rules_in_field_order() {
        let repo = MockDigitalContentRepository::new();
        let parse_errors = FieldErrors::single("content_type", "\"x\" is not a valid choice.");
        let got = create_digital_content(
            &repo,
            &event(false),
            DigitalContentChanges {
                position: Some(1 << 40),
                ..DigitalContentChanges::default()
            },
            parse_errors,
        )
        .await;
        assert_eq!(
            got,
            Err(invalid(&[
                ("title", REQUIRED),
                ("content_type", "\"x\" is not a valid choice."),
                ("url", REQUIRED),
                (
                    "position",
                    "Ensure this value is less than or equal to 2147483647."
                ),
            ]))
        );
        let got = create_digital_content(
            &repo,
            &event(false),
            DigitalContentChanges {
                title: Some(I18nString::english("")),
                url: Some("mywebsite.com".into()),
                ..DigitalContentChanges::default()
            },
            FieldErrors::new(),
        )
        .await;
        assert_eq!(got, Err(invalid(&[("title", BLANK), ("url", INVALID_URL)])));
    }

    #[pollster::test]
    async fn references_must_belong_to_the_event() {
        let repo = catalog();
        let mut c = minimal();
        c.limit_products = Some(vec![2, 9, 1, 8]);
        c.subevent = Some(Some(SubEventId(8)));
        assert_eq!(
            create_digital_content(&repo, &event(true), c, FieldErrors::new()).await,
            Err(invalid(&[
                ("subevent", &unknown_pk(8)),
                ("limit_products", &unknown_pk(9)),
            ]))
        );
    }

    #[pollster::test]
    async fn limit_products_are_kept_sorted_even_with_all_products() {
        let mut repo = catalog();
        repo.expect_create()
            .withf(|_, _, d| {
                d.all_products
                    && d.limit_products == vec![1, 2]
                    && d.subevent == Some(SubEventId(7))
            })
            .times(1)
            .returning(|_, _, d| Ok(stored(4, d)));
        let mut c = minimal();
        c.limit_products = Some(vec![2, 1, 2]);
        c.subevent = Some(Some(SubEventId(7)));
        c.all_products = Some(true);
        assert!(
            create_digital_content(&repo, &event(true), c, FieldErrors::new())
                .await
                .is_ok()
        );
    }

    #[pollster::test]
    async fn availability_window_runs_after_the_fields_on_the_merged_content() {
        let repo = MockDigitalContentRepository::new();
        let mut c = minimal();
        c.available_from = Some(Some(at("2020-03-22T23:00:00Z")));
        c.available_until = Some(Some(at("2020-03-22T22:59:59Z")));
        assert_eq!(
            create_digital_content(&repo, &event(false), c.clone(), FieldErrors::new()).await,
            Err(invalid(&[("non_field_errors", UNTIL_BEFORE_FROM)]))
        );
        assert_eq!(
            create_digital_content(
                &repo,
                &event(false),
                c,
                FieldErrors::single("all_products", "Must be a valid boolean.")
            )
            .await,
            Err(invalid(&[("all_products", "Must be a valid boolean.")]))
        );
        // PATCH of the end alone is checked against the stored start.
        let mut current = stored(5, DigitalContentData::defaults());
        current.data.available_from = Some(at("2020-03-22T23:00:00Z"));
        let patch = DigitalContentChanges {
            available_until: Some(Some(at("2020-03-01T00:00:00Z"))),
            ..DigitalContentChanges::default()
        };
        assert_eq!(
            update_digital_content(
                &repo,
                &event(false),
                &current,
                patch,
                UpdateMode::Partial,
                FieldErrors::new()
            )
            .await,
            Err(invalid(&[("non_field_errors", UNTIL_BEFORE_FROM)]))
        );
        // Equal is fine.
        let mut c = minimal();
        c.available_from = Some(Some(at("2020-03-22T23:00:00Z")));
        c.available_until = c.available_from;
        let mut repo = MockDigitalContentRepository::new();
        repo.expect_create().returning(|_, _, d| Ok(stored(6, d)));
        assert!(
            create_digital_content(&repo, &event(false), c, FieldErrors::new())
                .await
                .is_ok()
        );
    }

    fn current() -> DigitalContent {
        stored(
            5,
            DigitalContentData {
                subevent: None,
                title: I18nString::english("Concert livestream"),
                content_type: ContentType::Video,
                url: "https://example.org/v".into(),
                description: Some(I18nString::english("*Watch*")),
                all_products: false,
                limit_products: vec![1],
                available_from: Some(at("2020-03-22T23:00:00Z")),
                available_until: None,
                position: 3,
            },
        )
    }

    #[pollster::test]
    async fn patch_changes_only_what_is_sent() {
        let mut repo = MockDigitalContentRepository::new();
        repo.expect_update()
            .withf(|e, id, d| {
                let mut want = current().data;
                want.url = "https://mywebsite.com".into();
                *e == EVENT && *id == DigitalContentId(5) && *d == want
            })
            .times(1)
            .returning(|_, id, d| Ok(Some(stored(id.0, d))));
        let patch = DigitalContentChanges {
            url: Some("https://mywebsite.com".into()),
            ..DigitalContentChanges::default()
        };
        let got = update_digital_content(
            &repo,
            &event(false),
            &current(),
            patch,
            UpdateMode::Partial,
            FieldErrors::new(),
        )
        .await;
        assert_eq!(
            got.map(|c| c.data.url),
            Ok("https://mywebsite.com".to_owned())
        );
    }

    #[pollster::test]
    async fn put_requires_title_and_url_and_resets_the_rest() {
        let mut repo = MockDigitalContentRepository::new();
        repo.expect_update()
            .withf(|_, _, d| {
                let mut want = DigitalContentData::defaults();
                want.title = I18nString::english("Concert livestream");
                want.url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into();
                *d == want
            })
            .times(1)
            .returning(|_, id, d| Ok(Some(stored(id.0, d))));
        assert_eq!(
            update_digital_content(
                &repo,
                &event(false),
                &current(),
                DigitalContentChanges {
                    position: Some(1),
                    ..DigitalContentChanges::default()
                },
                UpdateMode::Replace,
                FieldErrors::new()
            )
            .await,
            Err(invalid(&[("title", REQUIRED), ("url", REQUIRED)]))
        );
        assert!(update_digital_content(
            &repo,
            &event(false),
            &current(),
            minimal(),
            UpdateMode::Replace,
            FieldErrors::new()
        )
        .await
        .is_ok());
    }

    #[pollster::test]
    async fn vanished_contents_are_not_found_and_outages_pass_through() {
        let mut repo = MockDigitalContentRepository::new();
        repo.expect_update().returning(|_, _, _| Ok(None));
        repo.expect_delete()
            .withf(|_, id| *id == DigitalContentId(5))
            .returning(|_, _| Ok(false));
        repo.expect_delete()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".into())));
        repo.expect_references()
            .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
        assert_eq!(
            update_digital_content(
                &repo,
                &event(false),
                &current(),
                DigitalContentChanges::default(),
                UpdateMode::Partial,
                FieldErrors::new()
            )
            .await,
            Err(DigitalContentError::NotFound)
        );
        assert_eq!(
            delete_digital_content(&repo, EVENT, DigitalContentId(5)).await,
            Err(DigitalContentError::NotFound)
        );
        assert_eq!(
            delete_digital_content(&repo, EVENT, DigitalContentId(6)).await,
            Err(DigitalContentError::Repository(
                RepositoryError::Unavailable("down".into())
            ))
        );
        let mut c = minimal();
        c.limit_products = Some(vec![1]);
        assert_eq!(
            create_digital_content(&repo, &event(false), c, FieldErrors::new()).await,
            Err(DigitalContentError::Repository(
                RepositoryError::Unavailable("down".into())
            ))
        );
    }
}
