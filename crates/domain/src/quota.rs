//! Quotas: how many tickets of a set of products (and variations) may be sold, per event or,
//! in an event series, per date.
//!
//! pretix reports the reference rules (variations of the quota's items, items of this event,
//! sub-event of this event) as `non_field_errors`; Presale reports each under the field it
//! is about (docs/api-compatibility.md), with pretix's messages.

use crate::error::RepositoryError;
use crate::event::Event;
use crate::ids::EventId;
use crate::ids::OrganizerId;
use crate::ids::QuotaId;
use crate::ids::SubEventId;
use crate::pagination::{Page, Window};
use crate::validation::FieldErrors;
use crate::write::UpdateMode;
use async_trait::async_trait;

/// The quota resource's fields, in the order they are shown (and errors reported in).
pub const QUOTA_FIELDS: &[&str] = &["id", "name", "size", "items", "variations", "subevent"];

/// The longest name pretix accepts.
pub const NAME_MAX_LENGTH: usize = 200;
/// The largest size pretix accepts (a PostgreSQL `integer`).
pub const SIZE_MAX: i64 = 2_147_483_647;

const REQUIRED: &str = "This field is required.";
pub const VARIATION_NOT_IN_ITEMS: &str =
    "All variations must belong to an item contained in the items list.";
pub const ITEM_OF_OTHER_EVENT: &str = "One or more items do not belong to this event.";
pub const VARIATIONS_MISSING: &str =
    "One or more items has variations but none of these are in the variations list.";
pub const SUBEVENT_REQUIRED: &str = "Subevent cannot be null for event series.";
pub const SUBEVENT_OF_OTHER_EVENT: &str = "The subevent does not belong to this event.";

/// DRF's message for a primary key that names no object.
pub fn unknown_pk(pk: impl std::fmt::Display) -> String {
    format!("Invalid pk \"{pk}\" - object does not exist.")
}

/// Everything about a quota that the API can write. `items` and `variations` are sorted
/// ascending without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaData {
    pub name: String,
    /// `None` = unlimited.
    pub size: Option<i64>,
    pub items: Vec<i64>,
    pub variations: Vec<i64>,
    pub subevent: Option<SubEventId>,
}

/// A stored quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub id: QuotaId,
    pub event: EventId,
    pub data: QuotaData,
}

/// The fields a request sent, parsed; `None` = not sent. Nullable fields are
/// `Option<Option<T>>` (`Some(None)` = sent as null). Ids are as sent (order, duplicates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaChanges {
    /// The id to store a new row under, where a fixture gives one; `None` takes the next
    /// free id. The API never sets it (`id` is read-only there).
    pub id: Option<QuotaId>,
    pub name: Option<String>,
    pub size: Option<Option<i64>>,
    pub items: Option<Vec<i64>>,
    pub variations: Option<Vec<i64>>,
    pub subevent: Option<Option<SubEventId>>,
}

/// A sort key of the quotas list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaOrder {
    Id,
    /// Unlimited (null) sizes sort after every number, as on PostgreSQL.
    Size,
}

/// A product as the quota rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef {
    pub id: i64,
    pub event: EventId,
    pub has_variations: bool,
}

/// A product variation as the quota rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariationRef {
    pub id: i64,
    pub item: i64,
}

/// A sub-event as the quota rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubEventRef {
    pub id: SubEventId,
    pub event: EventId,
}

/// The objects a quota refers to, as far as they exist in the organizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    pub items: Vec<ItemRef>,
    pub variations: Vec<VariationRef>,
    pub subevents: Vec<SubEventRef>,
}

/// Port: quotas. Every method but `references` is scoped to one event: an id of another
/// event's quota behaves like an unknown id.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait QuotaRepository: Send + Sync {
    /// One page of the event's quotas with the total count, sorted by `ordering` (`true` =
    /// descending) and then by id descending (an empty `ordering` means by id ascending);
    /// items and variations of the whole page are loaded at once, so a page costs a fixed
    /// number of queries.
    async fn list(
        &self,
        event: EventId,
        ordering: Vec<(QuotaOrder, bool)>,
        window: Window,
    ) -> Result<Page<Quota>, RepositoryError>;

    /// The event's quota with this id, `None` if the event has none such.
    async fn find(&self, event: EventId, id: QuotaId) -> Result<Option<Quota>, RepositoryError>;

    /// Those of the given products, variations and sub-events that exist in any event of
    /// the organizer (ids of other organizers are left out, as if they did not exist).
    async fn references(
        &self,
        organizer: OrganizerId,
        items: Vec<i64>,
        variations: Vec<i64>,
        subevents: Vec<SubEventId>,
    ) -> Result<References, RepositoryError>;

    /// Stores a new quota of the event with its items and variations in one transaction.
    async fn create(
        &self,
        event: EventId,
        id: Option<QuotaId>,
        data: QuotaData,
    ) -> Result<Quota, RepositoryError>;

    /// Replaces the quota's fields, items and variations in one transaction; `None` if the
    /// event has no such quota.
    async fn update(
        &self,
        event: EventId,
        id: QuotaId,
        data: QuotaData,
    ) -> Result<Option<Quota>, RepositoryError>;

    /// Deletes the quota (with its item and variation links); `false` if the event has no
    /// such quota.
    async fn delete(&self, event: EventId, id: QuotaId) -> Result<bool, RepositoryError>;
}

/// Why a quota was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// 400 with these field errors.
    #[error("invalid quota: {0:?}")]
    Invalid(FieldErrors),
    #[error("no such quota")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FieldErrors> for QuotaError {
    fn from(e: FieldErrors) -> Self {
        QuotaError::Invalid(e)
    }
}

impl Quota {
    /// The writable fields as stored, the base a partial update starts from.
    pub fn fields(&self) -> QuotaData {
        self.data.clone()
    }
}

/// A name is not blank and at most [`NAME_MAX_LENGTH`] characters.
pub fn name_error(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("This field may not be blank.")
    } else if name.chars().count() > NAME_MAX_LENGTH {
        Some("Ensure this field has no more than 200 characters.")
    } else {
        None
    }
}

/// A size is 0 to [`SIZE_MAX`].
pub fn size_error(size: i64) -> Option<&'static str> {
    if size < 0 {
        Some("Ensure this value is greater than or equal to 0.")
    } else if size > SIZE_MAX {
        Some("Ensure this value is less than or equal to 2147483647.")
    } else {
        None
    }
}

fn normalized(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The field rules of what was sent: name, size, and that every sent id exists.
fn check_fields(changes: &QuotaChanges, refs: &References, errors: &mut FieldErrors) {
    if let Some(msg) = changes.name.as_deref().and_then(name_error) {
        errors.add("name", msg);
    }
    if let Some(msg) = changes.size.flatten().and_then(size_error) {
        errors.add("size", msg);
    }
    if let Some(missing) = changes
        .items
        .iter()
        .flatten()
        .find(|id| !refs.items.iter().any(|i| i.id == **id))
    {
        errors.add("items", unknown_pk(missing));
    }
    if let Some(missing) = changes
        .variations
        .iter()
        .flatten()
        .find(|id| !refs.variations.iter().any(|v| v.id == **id))
    {
        errors.add("variations", unknown_pk(missing));
    }
    if let Some(Some(missing)) = changes
        .subevent
        .filter(|s| s.is_some_and(|s| !refs.subevents.iter().any(|r| r.id == s)))
    {
        errors.add("subevent", unknown_pk(missing.0));
    }
}

/// The reference rules on the quota as it will be stored (pretix's `clean_variations`,
/// `clean_items`, `clean_subevent`), each failing field with its first message.
fn check_references(event: &Event, data: &QuotaData, refs: &References) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let item = |id: i64| refs.items.iter().find(|i| i.id == id);
    let variation = |id: i64| refs.variations.iter().find(|v| v.id == id);
    if data
        .variations
        .iter()
        .filter_map(|v| variation(*v))
        .any(|v| !data.items.contains(&v.item))
    {
        errors.add("variations", VARIATION_NOT_IN_ITEMS);
    }
    for i in data.items.iter().filter_map(|i| item(*i)) {
        if i.event != event.id {
            errors.add("items", ITEM_OF_OTHER_EVENT);
        } else if i.has_variations
            && !data
                .variations
                .iter()
                .filter_map(|v| variation(*v))
                .any(|v| v.item == i.id)
        {
            errors.add("variations", VARIATIONS_MISSING);
        }
    }
    let subevent_event = data
        .subevent
        .map(|s| refs.subevents.iter().find(|r| r.id == s).map(|r| r.event));
    match (event.data.has_subevents, subevent_event) {
        (true, None) => errors.add("subevent", SUBEVENT_REQUIRED),
        (true, Some(owner)) if owner != Some(event.id) => {
            errors.add("subevent", SUBEVENT_OF_OTHER_EVENT)
        }
        (false, Some(_)) => errors.add("subevent", SUBEVENT_OF_OTHER_EVENT),
        _ => {}
    }
    errors.sort_by_order(QUOTA_FIELDS);
    errors.into_result()
}

/// Validates `changes` applied to `base` and returns the data to store. Field errors (the
/// edge's parse errors, missing required fields, ranges, unknown ids) come first; the
/// reference rules run on the merged quota only once every field passed.
async fn validated(
    quotas: &dyn QuotaRepository,
    event: &Event,
    base: QuotaData,
    changes: QuotaChanges,
    mut errors: FieldErrors,
) -> Result<QuotaData, QuotaError> {
    let data = QuotaData {
        name: changes.name.clone().unwrap_or(base.name),
        size: changes.size.unwrap_or(base.size),
        items: normalized(changes.items.clone().unwrap_or(base.items)),
        variations: normalized(changes.variations.clone().unwrap_or(base.variations)),
        subevent: changes.subevent.unwrap_or(base.subevent),
    };
    let refs = quotas
        .references(
            event.organizer,
            data.items.clone(),
            data.variations.clone(),
            data.subevent.into_iter().collect(),
        )
        .await?;
    check_fields(&changes, &refs, &mut errors);
    errors.sort_by_order(QUOTA_FIELDS);
    errors.into_result()?;
    check_references(event, &data, &refs)?;
    Ok(data)
}

/// `POST /events/{e}/quotas/`: `name` is required; `size` defaults to null (unlimited),
/// `items` and `variations` to none, `subevent` to null (which an event series refuses).
/// `errors` holds what the edge already found while parsing. The caller has checked the
/// write permission.
pub async fn create_quota(
    quotas: &dyn QuotaRepository,
    event: &Event,
    changes: QuotaChanges,
    mut errors: FieldErrors,
) -> Result<Quota, QuotaError> {
    if changes.name.is_none() {
        errors.add("name", REQUIRED);
    }
    let base = QuotaData {
        name: String::new(),
        size: None,
        items: Vec::new(),
        variations: Vec::new(),
        subevent: None,
    };
    let given = changes.id;
    crate::error::write_checked(|| {
        let (base, changes, errors) = (base.clone(), changes.clone(), errors.clone());
        async move {
            let data = validated(quotas, event, base, changes, errors).await?;
            Ok(quotas.create(event.id, given, data).await)
        }
    })
    .await
}

/// `PUT`/`PATCH /events/{e}/quotas/{id}/`: PUT needs `name`; with either method the fields
/// left out keep their values (as pretix does), and the rules run on the merged quota.
pub async fn update_quota(
    quotas: &dyn QuotaRepository,
    event: &Event,
    current: &Quota,
    changes: QuotaChanges,
    mode: UpdateMode,
    mut errors: FieldErrors,
) -> Result<Quota, QuotaError> {
    if mode == UpdateMode::Replace && changes.name.is_none() {
        errors.add("name", REQUIRED);
    }
    crate::error::write_checked::<_, QuotaError, _>(|| {
        let (changes, errors) = (changes.clone(), errors.clone());
        async move {
            let data = validated(quotas, event, current.fields(), changes, errors).await?;
            Ok(quotas.update(event.id, current.id, data).await)
        }
    })
    .await?
    .ok_or(QuotaError::NotFound)
}

/// `DELETE /events/{e}/quotas/{id}/`.
pub async fn delete_quota(
    quotas: &dyn QuotaRepository,
    event: EventId,
    id: QuotaId,
) -> Result<(), QuotaError> {
    if quotas.delete(event, id).await? {
        Ok(())
    } else {
        Err(QuotaError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventData;
    use crate::values::{Currency, I18nString, Slug, TimeZone, WireDateTime};

    const EVENT: EventId = EventId(3);
    const OTHER: EventId = EventId(4);

    fn event(has_subevents: bool) -> Event {
        Event {
            id: EVENT,
            organizer: OrganizerId(1),
            data: EventData {
                slug: Slug::parse("conf").unwrap(),
                name: I18nString::english("Conf"),
                live: false,
                testmode: false,
                currency: Currency::EUR,
                date_from: WireDateTime::parse("2030-01-01T10:00:00Z").unwrap(),
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

    /// The organizer's catalog: ticket 1 (no variations) and shirt 2 (variations 20, 21)
    /// in this event, item 3 with variation 30 in another event; sub-event 7 of this
    /// event, 8 of the other.
    fn catalog() -> MockQuotaRepository {
        let mut repo = MockQuotaRepository::new();
        repo.expect_references()
            .returning(|o, items, variations, subevents| {
                assert_eq!(o, OrganizerId(1));
                let all_items = [
                    ItemRef {
                        id: 1,
                        event: EVENT,
                        has_variations: false,
                    },
                    ItemRef {
                        id: 2,
                        event: EVENT,
                        has_variations: true,
                    },
                    ItemRef {
                        id: 3,
                        event: OTHER,
                        has_variations: true,
                    },
                ];
                let all_variations = [(20, 2), (21, 2), (30, 3)];
                let all_subevents = [(7, EVENT), (8, OTHER)];
                Ok(References {
                    items: all_items
                        .into_iter()
                        .filter(|i| items.contains(&i.id))
                        .collect(),
                    variations: all_variations
                        .into_iter()
                        .filter(|(id, _)| variations.contains(id))
                        .map(|(id, item)| VariationRef { id, item })
                        .collect(),
                    subevents: all_subevents
                        .into_iter()
                        .filter(|(id, _)| subevents.contains(&SubEventId(*id)))
                        .map(|(id, event)| SubEventRef {
                            id: SubEventId(id),
                            event,
                        })
                        .collect(),
                })
            });
        repo
    }

    fn named(name: &str) -> QuotaChanges {
        QuotaChanges {
            name: Some(name.into()),
            ..QuotaChanges::default()
        }
    }

    fn invalid(fields: &[(&str, &str)]) -> QuotaError {
        let mut e = FieldErrors::new();
        for (f, m) in fields {
            e.add(f, *m);
        }
        QuotaError::Invalid(e)
    }

    fn stored(id: i64, data: QuotaData) -> Quota {
        Quota {
            id: QuotaId(id),
            event: EVENT,
            data,
        }
    }

    async fn create(has_subevents: bool, changes: QuotaChanges) -> Result<Quota, QuotaError> {
        let mut repo = catalog();
        repo.expect_create().returning(|e, _, d| {
            Ok(Quota {
                id: QuotaId(11),
                event: e,
                data: d,
            })
        });
        create_quota(&repo, &event(has_subevents), changes, FieldErrors::new()).await
    }

    #[pollster::test]
    async fn create_stores_sorted_unique_ids_and_defaults() {
        let got = create(
            false,
            QuotaChanges {
                items: Some(vec![2, 1, 2]),
                variations: Some(vec![21, 20, 21]),
                ..named("All")
            },
        )
        .await;
        assert_eq!(
            got,
            Ok(stored(
                11,
                QuotaData {
                    name: "All".into(),
                    size: None,
                    items: vec![1, 2],
                    variations: vec![20, 21],
                    subevent: None,
                }
            ))
        );
    }

    #[pollster::test]
    async fn field_errors_in_field_order_before_the_reference_rules() {
        let got = create(
            true,
            QuotaChanges {
                name: None,
                size: Some(Some(-1)),
                items: Some(vec![1, 99]),
                variations: Some(vec![98]),
                subevent: Some(Some(SubEventId(97))),
                ..QuotaChanges::default()
            },
        )
        .await;
        assert_eq!(
            got,
            Err(invalid(&[
                ("name", REQUIRED),
                ("size", "Ensure this value is greater than or equal to 0."),
                ("items", "Invalid pk \"99\" - object does not exist."),
                ("variations", "Invalid pk \"98\" - object does not exist."),
                ("subevent", "Invalid pk \"97\" - object does not exist."),
            ]))
        );
        let got = create(
            false,
            QuotaChanges {
                size: Some(Some(SIZE_MAX + 1)),
                ..named(&"x".repeat(201))
            },
        )
        .await;
        assert_eq!(
            got,
            Err(invalid(&[
                ("name", "Ensure this field has no more than 200 characters."),
                (
                    "size",
                    "Ensure this value is less than or equal to 2147483647."
                ),
            ]))
        );
        assert_eq!(
            create(false, named(" ")).await,
            Err(invalid(&[("name", "This field may not be blank.")]))
        );
        assert!(create(
            false,
            QuotaChanges {
                size: Some(Some(SIZE_MAX)),
                ..named(&"x".repeat(200))
            }
        )
        .await
        .is_ok());
    }

    #[pollster::test]
    async fn variations_must_belong_to_the_quota_items() {
        assert_eq!(
            create(
                false,
                QuotaChanges {
                    items: Some(vec![1]),
                    variations: Some(vec![20]),
                    ..named("q")
                }
            )
            .await,
            Err(invalid(&[("variations", VARIATION_NOT_IN_ITEMS)]))
        );
        // An item with variations needs at least one of them.
        assert_eq!(
            create(
                false,
                QuotaChanges {
                    items: Some(vec![1, 2]),
                    ..named("q")
                }
            )
            .await,
            Err(invalid(&[("variations", VARIATIONS_MISSING)]))
        );
        assert!(create(
            false,
            QuotaChanges {
                items: Some(vec![2]),
                variations: Some(vec![21]),
                ..named("q")
            }
        )
        .await
        .is_ok());
    }

    #[pollster::test]
    async fn items_and_subevents_of_other_events_are_refused_by_field() {
        assert_eq!(
            create(
                true,
                QuotaChanges {
                    items: Some(vec![3]),
                    variations: Some(vec![30]),
                    subevent: Some(Some(SubEventId(8))),
                    ..named("q")
                }
            )
            .await,
            Err(invalid(&[
                ("items", ITEM_OF_OTHER_EVENT),
                ("subevent", SUBEVENT_OF_OTHER_EVENT)
            ]))
        );
    }

    #[pollster::test]
    async fn series_need_a_subevent_others_refuse_one() {
        assert_eq!(
            create(true, named("q")).await,
            Err(invalid(&[("subevent", SUBEVENT_REQUIRED)]))
        );
        assert_eq!(
            create(
                true,
                QuotaChanges {
                    subevent: Some(None),
                    ..named("q")
                }
            )
            .await,
            Err(invalid(&[("subevent", SUBEVENT_REQUIRED)]))
        );
        assert_eq!(
            create(
                true,
                QuotaChanges {
                    subevent: Some(Some(SubEventId(7))),
                    ..named("q")
                }
            )
            .await
            .map(|q| q.data.subevent),
            Ok(Some(SubEventId(7)))
        );
        assert_eq!(
            create(
                false,
                QuotaChanges {
                    subevent: Some(Some(SubEventId(7))),
                    ..named("q")
                }
            )
            .await,
            Err(invalid(&[("subevent", SUBEVENT_OF_OTHER_EVENT)]))
        );
    }

    fn current() -> Quota {
        stored(
            5,
            QuotaData {
                name: "Shirts".into(),
                size: Some(10),
                items: vec![2],
                variations: vec![20],
                subevent: None,
            },
        )
    }

    #[pollster::test]
    async fn patch_is_checked_against_the_stored_quota() {
        let mut repo = catalog();
        repo.expect_update()
            .withf(|e, id, d| *e == EVENT && *id == QuotaId(5) && d.size.is_none())
            .times(1)
            .returning(|_, id, d| Ok(Some(stored(id.0, d))));
        // Variation 21 belongs to the stored item 2.
        let got = update_quota(
            &repo,
            &event(false),
            &current(),
            QuotaChanges {
                size: Some(None),
                variations: Some(vec![21]),
                ..QuotaChanges::default()
            },
            UpdateMode::Partial,
            FieldErrors::new(),
        )
        .await;
        assert_eq!(
            got.map(|q| (q.data.name, q.data.items, q.data.variations)),
            Ok(("Shirts".to_owned(), vec![2], vec![21]))
        );
        // Changing the items alone leaves the stored variation without its item.
        assert_eq!(
            update_quota(
                &repo,
                &event(false),
                &current(),
                QuotaChanges {
                    items: Some(vec![1]),
                    ..QuotaChanges::default()
                },
                UpdateMode::Partial,
                FieldErrors::new(),
            )
            .await,
            Err(invalid(&[("variations", VARIATION_NOT_IN_ITEMS)]))
        );
        assert_eq!(
            update_quota(
                &repo,
                &event(false),
                &current(),
                QuotaChanges::default(),
                UpdateMode::Replace,
                FieldErrors::new(),
            )
            .await,
            Err(invalid(&[("name", REQUIRED)]))
        );
    }

    #[pollster::test]
    async fn vanished_quotas_are_not_found() {
        let mut repo = catalog();
        repo.expect_update().returning(|_, _, _| Ok(None));
        repo.expect_delete().returning(|_, _| Ok(false));
        assert_eq!(
            update_quota(
                &repo,
                &event(false),
                &current(),
                QuotaChanges::default(),
                UpdateMode::Partial,
                FieldErrors::new(),
            )
            .await,
            Err(QuotaError::NotFound)
        );
        assert_eq!(
            delete_quota(&repo, EVENT, QuotaId(5)).await,
            Err(QuotaError::NotFound)
        );
    }

    #[pollster::test]
    async fn parse_errors_from_the_edge_are_kept_and_nothing_is_written() {
        let repo = catalog();
        let got = create_quota(
            &repo,
            &event(false),
            named("q"),
            FieldErrors::single("items", "Expected a list of items but got type \"str\"."),
        )
        .await;
        assert_eq!(
            got,
            Err(invalid(&[(
                "items",
                "Expected a list of items but got type \"str\"."
            )]))
        );
    }
}
