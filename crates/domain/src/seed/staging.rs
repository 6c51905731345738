//! An in-memory copy of one organizer on which the API's use cases run while a document is
//! validated: every port they use, over the organizer's stored state plus what earlier
//! entries of the document changed. Rows created here get provisional (negative) ids unless
//! the document gave one; catalog lookups by id only see positive ids, so an entry can only
//! refer to rows that are stored or have an id in the document.

use super::{DeviceSnapshot, OrganizerSnapshot, TeamSnapshot};
use crate::auth::{EventId, EventScope, NewTeam, Team, TeamId, TeamRepository, TeamWithEvents};
use crate::device::{
    Device, DeviceFields, DeviceId, DeviceRepository, Hardware, Initialization, LimitEvent,
    NewDevice,
};
use crate::digital_content::{
    ContentReferences, DigitalContent, DigitalContentData, DigitalContentId,
    DigitalContentRepository,
};
use crate::error::RepositoryError;
use crate::event::{Event, EventData, EventFacts, EventFilter, EventKeys, EventRepository};
use crate::imported_secret::{
    CatalogMatches, ImportedSecret, ImportedSecretId, ImportedSecretRepository, SecretData,
    SecretFilter,
};
use crate::item::{
    Item, ItemFields, ItemId, ItemRepository, ItemVariation, VariationFields, VariationId,
};
use crate::meta::{MetaProperty, MetaPropertyFields, MetaPropertyId, MetaPropertyRepository};
use crate::organizer::{Organizer, OrganizerId, OrganizerRepository};
use crate::pagination::{Page, Window};
use crate::quota::{
    ItemRef, Quota, QuotaData, QuotaId, QuotaOrder, QuotaRepository, References, SubEventRef,
    VariationRef,
};
use crate::sales_channel::{SalesChannel, SalesChannelFields, SalesChannelRepository};
use crate::settings::{SettingChange, SettingsRepository};
use crate::subevent::{SubEvent, SubEventData, SubEventId, SubEventOrder, SubEventRepository};
use crate::values::{Slug, WireDateTime};
use async_trait::async_trait;
use serde_json::Value;
use std::sync::{Mutex, MutexGuard};

/// Ids the next create of a kind takes instead of a provisional one (from the document).
#[derive(Debug, Default)]
pub(super) struct Hints {
    pub item: Option<i64>,
    /// For the variations created with the next product, in order.
    pub item_variations: Vec<Option<i64>>,
    pub variation: Option<i64>,
    pub subevent: Option<i64>,
    pub quota: Option<i64>,
    pub content: Option<i64>,
    pub device_id: Option<i64>,
    pub serial: Option<String>,
    pub initialization_token: Option<String>,
}

/// The organizer as the document's entries so far left it.
#[derive(Debug)]
pub(super) struct State {
    pub organizer: Organizer,
    pub settings: Vec<(String, Value)>,
    pub meta: Vec<MetaProperty>,
    pub channels: Vec<SalesChannel>,
    pub events: Vec<Event>,
    pub event_settings: Vec<(EventId, Vec<(String, Value)>)>,
    pub keys: Vec<(EventId, EventKeys)>,
    pub items: Vec<Item>,
    pub subevents: Vec<SubEvent>,
    pub quotas: Vec<Quota>,
    pub contents: Vec<DigitalContent>,
    pub secrets: Vec<ImportedSecret>,
    pub teams: Vec<TeamSnapshot>,
    pub devices: Vec<DeviceSnapshot>,
    pub hints: Hints,
    next: i64,
}

impl State {
    pub fn from_snapshot(s: OrganizerSnapshot) -> Self {
        let mut state = State {
            organizer: s.organizer,
            settings: s.settings,
            meta: s.meta_properties,
            channels: s.sales_channels,
            events: Vec::new(),
            event_settings: Vec::new(),
            keys: Vec::new(),
            items: Vec::new(),
            subevents: Vec::new(),
            quotas: Vec::new(),
            contents: Vec::new(),
            secrets: Vec::new(),
            teams: s.teams,
            devices: s.devices,
            hints: Hints::default(),
            next: 0,
        };
        for e in s.events {
            state.event_settings.push((e.event.id, e.settings));
            state.events.push(e.event);
            state.items.extend(e.items);
            state.subevents.extend(e.subevents);
            state.quotas.extend(e.quotas);
            state.contents.extend(e.digital_contents);
            state.secrets.extend(e.imported_secrets);
        }
        state
    }

    /// A new organizer, with the `web` channel every organizer starts with.
    pub fn new_organizer(slug: Slug, name: String) -> Self {
        let organizer = Organizer {
            id: OrganizerId(-1),
            slug,
            name,
            plugins: Vec::new(),
        };
        let web = SalesChannel {
            organizer: organizer.id,
            identifier: crate::sales_channel::WEB.to_owned(),
            label: crate::values::I18nString::english("Online shop"),
            kind: crate::sales_channel::WEB.to_owned(),
            position: 0,
        };
        let mut state = State::from_snapshot(OrganizerSnapshot {
            organizer,
            settings: Vec::new(),
            meta_properties: Vec::new(),
            sales_channels: vec![web],
            events: Vec::new(),
            teams: Vec::new(),
            devices: Vec::new(),
        });
        state.next = -1;
        state
    }

    /// A provisional id: negative, never a stored one.
    pub fn provisional(&mut self) -> i64 {
        self.next -= 1;
        self.next
    }

    fn id_or_provisional(&mut self, hint: Option<i64>) -> i64 {
        match hint {
            Some(id) => id,
            None => self.provisional(),
        }
    }

    pub fn event(&self, id: EventId) -> Option<&Event> {
        self.events.iter().find(|e| e.id == id)
    }

    fn slug_of(&self, id: EventId) -> String {
        self.event(id)
            .map(|e| e.data.slug.as_str().to_owned())
            .unwrap_or_default()
    }

    /// The staged row of this kind with this id, in any event.
    pub fn row<T: Staged>(&self, id: i64) -> Option<&T> {
        T::rows(self).iter().find(|x| x.raw_id() == id)
    }

    /// The rows of this kind of one event that have a stored or given (positive) id and that
    /// `wanted` picks.
    fn stored<'s, T: Staged + 's>(
        &'s self,
        event: EventId,
        wanted: impl Fn(&T) -> bool + 's,
    ) -> impl Iterator<Item = &'s T> + 's {
        T::rows(self)
            .iter()
            .filter(move |x| x.event() == event && x.raw_id() > 0 && wanted(x))
    }
}

/// A row of an event's catalog as staged (a product, sub-event, quota, digital content or
/// imported secret): kept in one vector of the [`State`] for all events, keyed by an id
/// within its event, replaced as a whole by its port's `update`.
pub(super) trait Staged: Clone {
    type Id: Copy + PartialEq;
    /// What the port's `update` replaces.
    type Data;
    /// The staged rows of this kind, of every event.
    fn rows(state: &State) -> &[Self];
    fn rows_mut(state: &mut State) -> &mut Vec<Self>;
    fn id(&self) -> Self::Id;
    /// The id as a number: positive when stored or given by the document, negative while
    /// provisional.
    fn raw_id(&self) -> i64;
    fn event(&self) -> EventId;
    fn data_mut(&mut self) -> &mut Self::Data;
}

/// A staged row its port creates from its data alone, under the id the document gave (its
/// slot of [`Hints`]) or else a provisional one.
pub(super) trait Hinted: Staged {
    fn hint(hints: &mut Hints) -> &mut Option<i64>;
    fn new(id: i64, event: EventId, data: Self::Data) -> Self;
}

/// `Staged` (and, given the hint slot, `Hinted`) for a row type with `id`, `event` and a
/// data field: the field names differ per type, which generics cannot name.
macro_rules! staged {
    ($row:ident, $id:ident, $rows:ident, $field:ident: $data:ty $(, hint: $hint:ident)?) => {
        impl Staged for $row {
            type Id = $id;
            type Data = $data;
            fn rows(state: &State) -> &[Self] {
                &state.$rows
            }
            fn rows_mut(state: &mut State) -> &mut Vec<Self> {
                &mut state.$rows
            }
            fn id(&self) -> $id {
                self.id
            }
            fn raw_id(&self) -> i64 {
                self.id.0
            }
            fn event(&self) -> EventId {
                self.event
            }
            fn data_mut(&mut self) -> &mut $data {
                &mut self.$field
            }
        }
        $(
            impl Hinted for $row {
                fn hint(hints: &mut Hints) -> &mut Option<i64> {
                    &mut hints.$hint
                }
                fn new(id: i64, event: EventId, $field: $data) -> Self {
                    $row {
                        id: $id(id),
                        event,
                        $field,
                    }
                }
            }
        )?
    };
}

staged!(Item, ItemId, items, fields: ItemFields);
staged!(SubEvent, SubEventId, subevents, data: SubEventData, hint: subevent);
staged!(Quota, QuotaId, quotas, data: QuotaData, hint: quota);
staged!(DigitalContent, DigitalContentId, contents, data: DigitalContentData, hint: content);
staged!(ImportedSecret, ImportedSecretId, secrets, data: SecretData);

/// The ports over a [`State`].
pub(super) struct Staging {
    state: Mutex<State>,
}

fn poisoned() -> RepositoryError {
    RepositoryError::Internal("fixture staging state is poisoned".into())
}

fn unsupported(what: &str) -> RepositoryError {
    RepositoryError::Internal(format!("{what} is not used while validating a fixture"))
}

fn all<T: Clone>(items: Vec<T>) -> Page<T> {
    Page {
        total: items.len() as u64,
        items,
    }
}

impl Staging {
    pub fn new(state: State) -> Self {
        Staging {
            state: Mutex::new(state),
        }
    }

    pub fn lock(&self) -> Result<MutexGuard<'_, State>, RepositoryError> {
        self.state.lock().map_err(|_| poisoned())
    }

    pub fn into_state(self) -> Result<State, RepositoryError> {
        self.state.into_inner().map_err(|_| poisoned())
    }

    /// A port's `find`: the row of this kind with this id in this event.
    fn find_row<T: Staged>(&self, event: EventId, id: T::Id) -> Result<Option<T>, RepositoryError> {
        let s = self.lock()?;
        Ok(T::rows(&s)
            .iter()
            .find(|x| x.event() == event && x.id() == id)
            .cloned())
    }

    /// A port's `create`: a new row, under the hinted id or a provisional one.
    fn create_row<T: Hinted>(&self, event: EventId, data: T::Data) -> Result<T, RepositoryError> {
        let mut s = self.lock()?;
        let hint = T::hint(&mut s.hints).take();
        let row = T::new(s.id_or_provisional(hint), event, data);
        T::rows_mut(&mut s).push(row.clone());
        Ok(row)
    }

    /// A port's `update`: replaces the data of the row of this kind with this id in this
    /// event, if there is one that `only` accepts.
    fn update_row<T: Staged>(
        &self,
        event: EventId,
        id: T::Id,
        only: impl Fn(&T) -> bool,
        data: T::Data,
    ) -> Result<Option<T>, RepositoryError> {
        let mut s = self.lock()?;
        let Some(x) = T::rows_mut(&mut s)
            .iter_mut()
            .find(|x| x.event() == event && x.id() == id && only(x))
        else {
            return Ok(None);
        };
        *x.data_mut() = data;
        Ok(Some(x.clone()))
    }
}

#[async_trait]
impl OrganizerRepository for Staging {
    async fn find_by_slug(&self, slug: &str) -> Result<Option<Organizer>, RepositoryError> {
        let s = self.lock()?;
        Ok((s.organizer.slug.as_str() == slug).then(|| s.organizer.clone()))
    }

    async fn list(
        &self,
        _ids: Vec<OrganizerId>,
        _window: Window,
    ) -> Result<Page<Organizer>, RepositoryError> {
        Err(unsupported("listing organizers"))
    }

    async fn create(&self, _slug: Slug, _name: &str) -> Result<Organizer, RepositoryError> {
        Err(unsupported("creating organizers"))
    }

    async fn set_plugins(
        &self,
        _id: OrganizerId,
        plugins: Vec<String>,
        withdraw: Vec<String>,
    ) -> Result<Organizer, RepositoryError> {
        let mut s = self.lock()?;
        s.organizer.plugins = plugins;
        for e in &mut s.events {
            e.data.plugins.retain(|p| !withdraw.contains(p));
        }
        Ok(s.organizer.clone())
    }

    async fn event_ids(
        &self,
        _organizer: OrganizerId,
        slugs: Vec<String>,
    ) -> Result<Vec<(String, EventId)>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.events
            .iter()
            .filter(|e| slugs.iter().any(|slug| slug == e.data.slug.as_str()))
            .map(|e| (e.data.slug.as_str().to_owned(), e.id))
            .collect())
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}

#[async_trait]
impl EventRepository for Staging {
    async fn find_by_slug(
        &self,
        _organizer: OrganizerId,
        slug: &str,
    ) -> Result<Option<Event>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.events
            .iter()
            .find(|e| e.data.slug.as_str() == slug)
            .cloned())
    }

    async fn list(
        &self,
        _organizer: OrganizerId,
        _filter: EventFilter,
        _window: Window,
    ) -> Result<Page<Event>, RepositoryError> {
        Err(unsupported("listing events"))
    }

    async fn create(
        &self,
        organizer: OrganizerId,
        data: EventData,
        keys: EventKeys,
    ) -> Result<Event, RepositoryError> {
        let mut s = self.lock()?;
        if s.events.iter().any(|e| e.data.slug == data.slug) {
            return Err(RepositoryError::Conflict("slug".into()));
        }
        let id = EventId(s.provisional());
        let event = Event {
            id,
            organizer,
            data,
            public_key: keys.public_b64.clone(),
        };
        s.keys.push((id, keys));
        s.event_settings.push((id, Vec::new()));
        s.events.push(event.clone());
        Ok(event)
    }

    async fn update(&self, event: EventId, data: EventData) -> Result<Event, RepositoryError> {
        let mut s = self.lock()?;
        let stored = s
            .events
            .iter_mut()
            .find(|e| e.id == event)
            .ok_or_else(|| RepositoryError::Internal("staged event vanished".into()))?;
        stored.data = data;
        Ok(stored.clone())
    }

    async fn delete(
        &self,
        _event: EventId,
    ) -> Result<crate::event::EventDeletion, RepositoryError> {
        Err(unsupported("deleting events"))
    }

    async fn clone_from(
        &self,
        _source: EventId,
        _organizer: OrganizerId,
        _data: EventData,
        _keys: EventKeys,
    ) -> Result<Event, RepositoryError> {
        Err(unsupported("cloning events"))
    }

    async fn facts(&self, event: EventId) -> Result<EventFacts, RepositoryError> {
        let s = self.lock()?;
        let zero = crate::values::Money::ZERO;
        let paid = |i: &&Item| {
            i.fields.active
                && (i.fields.default_price != zero
                    || i.variations.iter().any(|v| {
                        v.fields.active && v.fields.default_price.is_some_and(|p| p != zero)
                    }))
        };
        let items = s.items.iter().filter(|i| i.event == event);
        Ok(EventFacts {
            quotas: s.quotas.iter().filter(|q| q.event == event).count() as u64,
            paid_items: items.filter(paid).count() as u64,
            used_tickets: s
                .secrets
                .iter()
                .filter(|x| x.event == event && x.data.used)
                .count() as u64,
        })
    }

    async fn quota_sizes(
        &self,
        _events: Vec<EventId>,
    ) -> Result<Vec<(EventId, Option<i64>)>, RepositoryError> {
        Err(unsupported("quota sizes"))
    }
}

fn meta_property(
    id: MetaPropertyId,
    organizer: OrganizerId,
    fields: MetaPropertyFields,
) -> MetaProperty {
    MetaProperty {
        id,
        organizer,
        name: fields.name,
        default: fields.default,
        required: fields.required,
        allowed_values: fields.allowed_values,
        protected: fields.protected,
        filter_allowed: fields.filter_allowed,
    }
}

#[async_trait]
impl MetaPropertyRepository for Staging {
    async fn all(&self, _organizer: OrganizerId) -> Result<Vec<MetaProperty>, RepositoryError> {
        Ok(self.lock()?.meta.clone())
    }

    async fn list(
        &self,
        _organizer: OrganizerId,
        _window: Window,
    ) -> Result<Page<MetaProperty>, RepositoryError> {
        Ok(all(self.lock()?.meta.clone()))
    }

    async fn find(
        &self,
        _organizer: OrganizerId,
        id: MetaPropertyId,
    ) -> Result<Option<MetaProperty>, RepositoryError> {
        Ok(self.lock()?.meta.iter().find(|p| p.id == id).cloned())
    }

    async fn create(
        &self,
        organizer: OrganizerId,
        fields: MetaPropertyFields,
    ) -> Result<MetaProperty, RepositoryError> {
        let mut s = self.lock()?;
        if s.meta.iter().any(|p| p.name == fields.name) {
            return Err(RepositoryError::Conflict("name".into()));
        }
        let property = meta_property(MetaPropertyId(s.provisional()), organizer, fields);
        s.meta.push(property.clone());
        Ok(property)
    }

    async fn update(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
        fields: MetaPropertyFields,
    ) -> Result<Option<MetaProperty>, RepositoryError> {
        let mut s = self.lock()?;
        if s.meta.iter().any(|p| p.name == fields.name && p.id != id) {
            return Err(RepositoryError::Conflict("name".into()));
        }
        let Some(p) = s.meta.iter_mut().find(|p| p.id == id) else {
            return Ok(None);
        };
        *p = meta_property(id, organizer, fields);
        Ok(Some(p.clone()))
    }

    async fn delete(
        &self,
        _organizer: OrganizerId,
        _id: MetaPropertyId,
    ) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting meta properties"))
    }
}

#[async_trait]
impl SalesChannelRepository for Staging {
    async fn all(&self, _organizer: OrganizerId) -> Result<Vec<SalesChannel>, RepositoryError> {
        Ok(self.lock()?.channels.clone())
    }

    async fn list(
        &self,
        _organizer: OrganizerId,
        _window: Window,
    ) -> Result<Page<SalesChannel>, RepositoryError> {
        Ok(all(self.lock()?.channels.clone()))
    }

    async fn find(
        &self,
        _organizer: OrganizerId,
        identifier: &str,
    ) -> Result<Option<SalesChannel>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.channels
            .iter()
            .find(|c| c.identifier == identifier)
            .cloned())
    }

    async fn create(
        &self,
        organizer: OrganizerId,
        fields: SalesChannelFields,
    ) -> Result<SalesChannel, RepositoryError> {
        let mut s = self.lock()?;
        if s.channels.iter().any(|c| c.identifier == fields.identifier) {
            return Err(RepositoryError::Conflict("identifier".into()));
        }
        let channel = SalesChannel {
            organizer,
            identifier: fields.identifier,
            label: fields.label,
            kind: fields.kind,
            position: fields.position,
        };
        s.channels.push(channel.clone());
        Ok(channel)
    }

    async fn update(
        &self,
        _organizer: OrganizerId,
        identifier: &str,
        fields: SalesChannelFields,
    ) -> Result<Option<SalesChannel>, RepositoryError> {
        let mut s = self.lock()?;
        let Some(c) = s.channels.iter_mut().find(|c| c.identifier == identifier) else {
            return Ok(None);
        };
        c.label = fields.label;
        c.kind = fields.kind;
        c.position = fields.position;
        Ok(Some(c.clone()))
    }

    async fn delete(
        &self,
        _organizer: OrganizerId,
        _identifier: &str,
    ) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting sales channels"))
    }
}

fn apply_settings(values: &mut Vec<(String, Value)>, changes: Vec<SettingChange>) {
    for (key, value) in changes {
        values.retain(|(k, _)| *k != key);
        if let Some(v) = value {
            values.push((key, v));
        }
    }
}

#[async_trait]
impl SettingsRepository for Staging {
    async fn organizer_values(
        &self,
        _organizer: OrganizerId,
    ) -> Result<Vec<(String, Value)>, RepositoryError> {
        Ok(self.lock()?.settings.clone())
    }

    async fn change_organizer_values(
        &self,
        _organizer: OrganizerId,
        changes: Vec<SettingChange>,
    ) -> Result<(), RepositoryError> {
        apply_settings(&mut self.lock()?.settings, changes);
        Ok(())
    }

    async fn event_values(&self, event: EventId) -> Result<Vec<(String, Value)>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.event_settings
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, v)| v.clone())
            .unwrap_or_default())
    }

    async fn change_event_values(
        &self,
        event: EventId,
        changes: Vec<SettingChange>,
    ) -> Result<(), RepositoryError> {
        let mut s = self.lock()?;
        match s.event_settings.iter_mut().find(|(e, _)| *e == event) {
            Some((_, values)) => apply_settings(values, changes),
            None => {
                let mut values = Vec::new();
                apply_settings(&mut values, changes);
                s.event_settings.push((event, values));
            }
        }
        Ok(())
    }
}

fn with_slugs(s: &State, team: Team) -> TeamWithEvents {
    let mut limit_events: Vec<String> = match &team.events {
        EventScope::All => Vec::new(),
        EventScope::Limited(ids) => ids.iter().map(|id| s.slug_of(*id)).collect(),
    };
    limit_events.sort();
    TeamWithEvents { team, limit_events }
}

fn team_row(id: TeamId, team: NewTeam) -> Team {
    Team {
        id,
        organizer: team.organizer,
        name: team.name,
        permissions: team.permissions,
        events: team.events,
    }
}

#[async_trait]
impl TeamRepository for Staging {
    async fn create(&self, team: NewTeam) -> Result<Team, RepositoryError> {
        let mut s = self.lock()?;
        let team = team_row(TeamId(s.provisional()), team);
        let with = with_slugs(&s, team.clone());
        s.teams.push(TeamSnapshot {
            team: with,
            tokens: Vec::new(),
        });
        Ok(team)
    }

    async fn list(
        &self,
        _organizer: OrganizerId,
        _window: Window,
    ) -> Result<Page<TeamWithEvents>, RepositoryError> {
        Err(unsupported("listing teams"))
    }

    async fn find(
        &self,
        _organizer: OrganizerId,
        id: TeamId,
    ) -> Result<Option<TeamWithEvents>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.teams
            .iter()
            .find(|t| t.team.team.id == id)
            .map(|t| t.team.clone()))
    }

    async fn find_by_name(
        &self,
        _organizer: OrganizerId,
        name: &str,
    ) -> Result<Vec<Team>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.teams
            .iter()
            .filter(|t| t.team.team.name == name)
            .map(|t| t.team.team.clone())
            .collect())
    }

    async fn update(&self, id: TeamId, team: NewTeam) -> Result<Option<Team>, RepositoryError> {
        let mut s = self.lock()?;
        let updated = team_row(id, team);
        let with = with_slugs(&s, updated.clone());
        let Some(t) = s.teams.iter_mut().find(|t| t.team.team.id == id) else {
            return Ok(None);
        };
        t.team = with;
        Ok(Some(updated))
    }

    async fn delete(&self, _organizer: OrganizerId, _id: TeamId) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting teams"))
    }
}

fn sort_variations(item: &mut Item) {
    item.variations.sort_by_key(|v| (v.fields.position, v.id.0));
}

#[async_trait]
impl ItemRepository for Staging {
    async fn list(&self, event: EventId, _window: Window) -> Result<Page<Item>, RepositoryError> {
        Ok(all(ItemRepository::all(self, event).await?))
    }

    async fn all(&self, event: EventId) -> Result<Vec<Item>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.items
            .iter()
            .filter(|i| i.event == event)
            .cloned()
            .collect())
    }

    async fn find(&self, event: EventId, id: ItemId) -> Result<Option<Item>, RepositoryError> {
        self.find_row(event, id)
    }

    async fn create(
        &self,
        event: EventId,
        fields: ItemFields,
        variations: Vec<VariationFields>,
    ) -> Result<Item, RepositoryError> {
        let mut s = self.lock()?;
        let hint = s.hints.item.take();
        let mut hinted = std::mem::take(&mut s.hints.item_variations).into_iter();
        let id = ItemId(s.id_or_provisional(hint));
        let has_variations = !variations.is_empty();
        let mut item = Item {
            id,
            event,
            fields,
            has_variations,
            variations: Vec::new(),
        };
        for v in variations {
            let vid = s.id_or_provisional(hinted.next().flatten());
            item.variations.push(ItemVariation {
                id: VariationId(vid),
                item: id,
                fields: v,
            });
        }
        sort_variations(&mut item);
        s.items.push(item.clone());
        Ok(item)
    }

    async fn update(
        &self,
        event: EventId,
        id: ItemId,
        fields: ItemFields,
    ) -> Result<Option<Item>, RepositoryError> {
        self.update_row(event, id, |_| true, fields)
    }

    async fn delete(&self, _event: EventId, _id: ItemId) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting products"))
    }

    async fn list_variations(
        &self,
        _item: ItemId,
        _window: Window,
    ) -> Result<Page<ItemVariation>, RepositoryError> {
        Err(unsupported("listing variations"))
    }

    async fn find_variation(
        &self,
        item: ItemId,
        id: VariationId,
    ) -> Result<Option<ItemVariation>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.items
            .iter()
            .find(|i| i.id == item)
            .and_then(|i| i.variation(id).cloned()))
    }

    async fn create_variation(
        &self,
        item: ItemId,
        fields: VariationFields,
    ) -> Result<ItemVariation, RepositoryError> {
        let mut s = self.lock()?;
        let hint = s.hints.variation.take();
        let id = VariationId(s.id_or_provisional(hint));
        let variation = ItemVariation { id, item, fields };
        let stored = s
            .items
            .iter_mut()
            .find(|i| i.id == item)
            .ok_or_else(|| RepositoryError::Internal("staged product vanished".into()))?;
        stored.variations.push(variation.clone());
        sort_variations(stored);
        Ok(variation)
    }

    async fn update_variation(
        &self,
        item: ItemId,
        id: VariationId,
        fields: VariationFields,
    ) -> Result<Option<ItemVariation>, RepositoryError> {
        let mut s = self.lock()?;
        let Some(stored) = s.items.iter_mut().find(|i| i.id == item) else {
            return Ok(None);
        };
        let Some(v) = stored.variations.iter_mut().find(|v| v.id == id) else {
            return Ok(None);
        };
        v.fields = fields;
        let updated = v.clone();
        sort_variations(stored);
        Ok(Some(updated))
    }

    async fn delete_variation(
        &self,
        _item: ItemId,
        _id: VariationId,
    ) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting variations"))
    }
}

#[async_trait]
impl SubEventRepository for Staging {
    async fn list(
        &self,
        _event: EventId,
        _ordering: Vec<(SubEventOrder, bool)>,
        _window: Window,
    ) -> Result<Page<SubEvent>, RepositoryError> {
        Err(unsupported("listing sub-events"))
    }

    async fn find(
        &self,
        event: EventId,
        id: SubEventId,
    ) -> Result<Option<SubEvent>, RepositoryError> {
        self.find_row(event, id)
    }

    async fn create(
        &self,
        event: EventId,
        data: SubEventData,
    ) -> Result<SubEvent, RepositoryError> {
        self.create_row(event, data)
    }

    async fn update(
        &self,
        event: EventId,
        id: SubEventId,
        data: SubEventData,
    ) -> Result<Option<SubEvent>, RepositoryError> {
        self.update_row(event, id, |_| true, data)
    }

    async fn delete(&self, _event: EventId, _id: SubEventId) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting sub-events"))
    }
}

#[async_trait]
impl QuotaRepository for Staging {
    async fn list(
        &self,
        _event: EventId,
        _ordering: Vec<(QuotaOrder, bool)>,
        _window: Window,
    ) -> Result<Page<Quota>, RepositoryError> {
        Err(unsupported("listing quotas"))
    }

    async fn find(&self, event: EventId, id: QuotaId) -> Result<Option<Quota>, RepositoryError> {
        self.find_row(event, id)
    }

    async fn references(
        &self,
        _organizer: OrganizerId,
        items: Vec<i64>,
        variations: Vec<i64>,
        subevents: Vec<SubEventId>,
    ) -> Result<References, RepositoryError> {
        let s = self.lock()?;
        let mut refs = References::default();
        for i in s.items.iter().filter(|i| i.id.0 > 0) {
            if items.contains(&i.id.0) {
                refs.items.push(ItemRef {
                    id: i.id.0,
                    event: i.event,
                    has_variations: i.has_variations,
                });
            }
            for v in i.variations.iter().filter(|v| v.id.0 > 0) {
                if variations.contains(&v.id.0) {
                    refs.variations.push(VariationRef {
                        id: v.id.0,
                        item: i.id.0,
                    });
                }
            }
        }
        for x in s.subevents.iter().filter(|x| x.id.0 > 0) {
            if subevents.contains(&x.id) {
                refs.subevents.push(SubEventRef {
                    id: x.id,
                    event: x.event,
                });
            }
        }
        Ok(refs)
    }

    async fn create(&self, event: EventId, data: QuotaData) -> Result<Quota, RepositoryError> {
        self.create_row(event, data)
    }

    async fn update(
        &self,
        event: EventId,
        id: QuotaId,
        data: QuotaData,
    ) -> Result<Option<Quota>, RepositoryError> {
        self.update_row(event, id, |_| true, data)
    }

    async fn delete(&self, _event: EventId, _id: QuotaId) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting quotas"))
    }
}

#[async_trait]
impl DigitalContentRepository for Staging {
    async fn list(
        &self,
        _event: EventId,
        _subevent: Option<SubEventId>,
        _window: Window,
    ) -> Result<Page<DigitalContent>, RepositoryError> {
        Err(unsupported("listing digital contents"))
    }

    async fn find(
        &self,
        event: EventId,
        id: DigitalContentId,
    ) -> Result<Option<DigitalContent>, RepositoryError> {
        self.find_row(event, id)
    }

    async fn references(
        &self,
        event: EventId,
        items: Vec<i64>,
        subevents: Vec<SubEventId>,
    ) -> Result<ContentReferences, RepositoryError> {
        let s = self.lock()?;
        Ok(ContentReferences {
            items: s
                .stored(event, |i: &Item| items.contains(&i.id.0))
                .map(|i| i.id.0)
                .collect(),
            subevents: s
                .stored(event, |x: &SubEvent| subevents.contains(&x.id))
                .map(|x| x.id)
                .collect(),
        })
    }

    async fn create(
        &self,
        event: EventId,
        data: DigitalContentData,
    ) -> Result<DigitalContent, RepositoryError> {
        self.create_row(event, data)
    }

    async fn update(
        &self,
        event: EventId,
        id: DigitalContentId,
        data: DigitalContentData,
    ) -> Result<Option<DigitalContent>, RepositoryError> {
        self.update_row(event, id, |_| true, data)
    }

    async fn delete(
        &self,
        _event: EventId,
        _id: DigitalContentId,
    ) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting digital contents"))
    }
}

#[async_trait]
impl ImportedSecretRepository for Staging {
    async fn list(
        &self,
        _event: EventId,
        _filter: SecretFilter,
        _window: Window,
    ) -> Result<Page<ImportedSecret>, RepositoryError> {
        Err(unsupported("listing imported secrets"))
    }

    async fn find(
        &self,
        event: EventId,
        id: ImportedSecretId,
    ) -> Result<Option<ImportedSecret>, RepositoryError> {
        self.find_row(event, id)
    }

    async fn existing(
        &self,
        event: EventId,
        secrets: Vec<String>,
    ) -> Result<Vec<(String, ImportedSecretId)>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.secrets
            .iter()
            .filter(|x| x.event == event && secrets.contains(&x.data.secret))
            .map(|x| (x.data.secret.clone(), x.id))
            .collect())
    }

    async fn catalog(
        &self,
        event: EventId,
        items: Vec<ItemId>,
        variations: Vec<VariationId>,
        subevents: Vec<SubEventId>,
    ) -> Result<CatalogMatches, RepositoryError> {
        let s = self.lock()?;
        let mut found = CatalogMatches::default();
        for i in s.stored(event, |_: &Item| true) {
            if items.contains(&i.id) {
                found.items.push(i.id);
            }
            for v in i.variations.iter().filter(|v| v.id.0 > 0) {
                if variations.contains(&v.id) {
                    found.variations.push((v.id, i.id));
                }
            }
        }
        found.subevents = s
            .stored(event, |x: &SubEvent| subevents.contains(&x.id))
            .map(|x| x.id)
            .collect();
        Ok(found)
    }

    async fn create(
        &self,
        event: EventId,
        secrets: Vec<SecretData>,
    ) -> Result<Vec<ImportedSecret>, RepositoryError> {
        let mut s = self.lock()?;
        let mut created = Vec::with_capacity(secrets.len());
        for data in secrets {
            let secret = ImportedSecret {
                id: ImportedSecretId(s.provisional()),
                event,
                data,
            };
            s.secrets.push(secret.clone());
            created.push(secret);
        }
        Ok(created)
    }

    async fn update(
        &self,
        event: EventId,
        id: ImportedSecretId,
        was_used: bool,
        data: SecretData,
    ) -> Result<Option<ImportedSecret>, RepositoryError> {
        self.update_row(
            event,
            id,
            |x: &ImportedSecret| x.data.used == was_used,
            data,
        )
    }

    async fn delete_unused(
        &self,
        _event: EventId,
        _id: ImportedSecretId,
    ) -> Result<bool, RepositoryError> {
        Err(unsupported("deleting imported secrets"))
    }
}

fn limit_events(s: &State, ids: &[EventId]) -> Vec<LimitEvent> {
    ids.iter()
        .map(|id| LimitEvent {
            id: *id,
            slug: s.slug_of(*id),
        })
        .collect()
}

#[async_trait]
impl DeviceRepository for Staging {
    async fn list(
        &self,
        _organizer: OrganizerId,
        _window: Window,
    ) -> Result<Page<Device>, RepositoryError> {
        Err(unsupported("listing devices"))
    }

    async fn find(
        &self,
        _organizer: OrganizerId,
        device_id: i64,
    ) -> Result<Option<Device>, RepositoryError> {
        let s = self.lock()?;
        Ok(s.devices
            .iter()
            .find(|d| d.device.device_id == device_id)
            .map(|d| d.device.clone()))
    }

    async fn create(&self, device: NewDevice) -> Result<Device, RepositoryError> {
        let mut s = self.lock()?;
        let next = s
            .devices
            .iter()
            .map(|d| d.device.device_id)
            .max()
            .unwrap_or(0)
            + 1;
        let device_id = s.hints.device_id.take().unwrap_or(next);
        let unique_serial = s.hints.serial.take().unwrap_or(device.unique_serial);
        let initialization_token = s
            .hints
            .initialization_token
            .take()
            .unwrap_or(device.initialization_token);
        let id = DeviceId(s.provisional());
        let stored = Device {
            id,
            organizer: device.organizer,
            organizer_slug: s.organizer.slug.as_str().to_owned(),
            device_id,
            unique_serial,
            initialization_token,
            all_events: device.fields.all_events,
            limit_events: limit_events(&s, &device.fields.limit_events),
            revoked: false,
            name: device.fields.name,
            created: device.created,
            initialized: None,
            hardware: Hardware::default(),
            security_profile: device.fields.security_profile,
            rsa_pubkey: None,
            info: None,
            last_seen: None,
        };
        s.devices.push(DeviceSnapshot {
            device: stored.clone(),
            api_token: None,
        });
        Ok(stored)
    }

    async fn update(&self, id: DeviceId, fields: DeviceFields) -> Result<Device, RepositoryError> {
        let mut s = self.lock()?;
        let limits = limit_events(&s, &fields.limit_events);
        let d = s
            .devices
            .iter_mut()
            .find(|d| d.device.id == id)
            .ok_or_else(|| RepositoryError::Internal("staged device vanished".into()))?;
        d.device.name = fields.name;
        d.device.all_events = fields.all_events;
        d.device.limit_events = limits;
        d.device.security_profile = fields.security_profile;
        Ok(d.device.clone())
    }

    async fn find_by_initialization_token(
        &self,
        _token: &str,
    ) -> Result<Option<Device>, RepositoryError> {
        Err(unsupported("initializing devices"))
    }

    async fn initialize(
        &self,
        _id: DeviceId,
        _init: Initialization,
    ) -> Result<Option<Device>, RepositoryError> {
        Err(unsupported("initializing devices"))
    }

    async fn find_by_api_token(
        &self,
        _hash: crate::auth::TokenHash,
    ) -> Result<Option<Device>, RepositoryError> {
        Err(unsupported("device authentication"))
    }

    async fn update_report(
        &self,
        _id: DeviceId,
        _hardware: Hardware,
        _info: Option<Value>,
        _rsa_pubkey: Option<String>,
    ) -> Result<Option<Device>, RepositoryError> {
        Err(unsupported("device reports"))
    }

    async fn set_api_token(
        &self,
        _id: DeviceId,
        _current: crate::auth::TokenHash,
        _new: crate::auth::TokenHash,
    ) -> Result<Option<Device>, RepositoryError> {
        Err(unsupported("rolling device tokens"))
    }

    async fn revoke(&self, _id: DeviceId) -> Result<Device, RepositoryError> {
        Err(unsupported("revoking devices"))
    }

    async fn touch(
        &self,
        _id: DeviceId,
        _at: WireDateTime,
        _unless_after: WireDateTime,
    ) -> Result<bool, RepositoryError> {
        Err(unsupported("recording device visits"))
    }
}
