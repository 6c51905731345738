//! Organizer and event settings: a typed registry of keys ([`KEYS`]), inherited
//! event → organizer → default.
//!
//! - Each key has a [`Kind`] that reads the wire value with pretix's messages, a default, and
//!   pretix's label and help text.
//! - The organizer level exposes every key of [`Scope::Both`] and [`Scope::Organizer`]: its
//!   values are the defaults of its events (pretix stores them the same way but shows fewer
//!   keys on organizer level). Events expose [`Scope::Both`] and [`Scope::Event`].
//! - [`effective_values`]: for each key of the level, the own value, else the organizer's
//!   (for events), else the default.
//! - [`change_values`]: partial; `null` removes the own value; unknown keys, keys of
//!   the other level and read-only keys are ignored; invalid values are field errors in
//!   registry order; then [`CROSS_CHECKS`] run on the effective values after the change;
//!   nothing is written unless everything passed.
//! - Devices will read the keys marked [`SettingKey::device`] ([`EffectiveSettings::for_device`]).

mod kinds;
mod registry;
mod reldate;

pub(crate) use kinds::is_url;

pub use registry::{
    find, key, keys_for, CrossCheck, DefaultValue, Kind, Level, Rule, Scope, SettingKey, COUNTRIES,
    CROSS_CHECKS, KEYS, NAME_SCHEMES,
};

use crate::error::RepositoryError;
use crate::ids::EventId;
use crate::ids::OrganizerId;
use crate::validation::FieldErrors;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A change to one stored setting: `Some` sets, `None` removes the own value.
pub type SettingChange = (String, Option<Value>);

/// Port: stored setting values (already validated), as JSON.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SettingsRepository: Send + Sync {
    /// The organizer's own values, by key.
    async fn organizer_values(
        &self,
        organizer: OrganizerId,
    ) -> Result<Vec<(String, Value)>, RepositoryError>;

    /// Applies the changes in one transaction.
    async fn change_organizer_values(
        &self,
        organizer: OrganizerId,
        changes: Vec<SettingChange>,
    ) -> Result<(), RepositoryError>;

    /// The event's own values, by key.
    async fn event_values(&self, event: EventId) -> Result<Vec<(String, Value)>, RepositoryError>;

    /// Applies the changes in one transaction.
    async fn change_event_values(
        &self,
        event: EventId,
        changes: Vec<SettingChange>,
    ) -> Result<(), RepositoryError>;
}

/// Whose settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Organizer(OrganizerId),
    /// An event, inheriting from its organizer.
    Event {
        organizer: OrganizerId,
        event: EventId,
    },
}

impl Target {
    pub fn level(&self) -> Level {
        match self {
            Target::Organizer(_) => Level::Organizer,
            Target::Event { .. } => Level::Event,
        }
    }
}

/// One key's effective value.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveSetting {
    pub key: &'static SettingKey,
    pub value: Value,
    /// Read-only on this level (PATCHes of it are ignored).
    pub readonly: bool,
}

/// The effective values of every key a level exposes, in registry order.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveSettings {
    pub level: Level,
    pub settings: Vec<EffectiveSetting>,
}

impl EffectiveSettings {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.settings
            .iter()
            .find(|s| s.key.name == name)
            .map(|s| &s.value)
    }

    /// Only the keys a device may read.
    pub fn for_device(self) -> Self {
        EffectiveSettings {
            level: self.level,
            settings: self.settings.into_iter().filter(|s| s.key.device).collect(),
        }
    }

    /// `{"key": value, ...}` in registry order.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.settings
                .iter()
                .map(|s| (s.key.name.to_owned(), s.value.clone()))
                .collect(),
        )
    }
}

/// Why settings were not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// The fields refused, in registry order, or the first failing cross-field check.
    #[error("invalid settings")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The stored values that make up a level's effective values.
struct Layers {
    level: Level,
    own: HashMap<String, Value>,
    /// The organizer's values, for an event.
    inherited: HashMap<String, Value>,
}

impl Layers {
    async fn load(repo: &dyn SettingsRepository, target: Target) -> Result<Self, RepositoryError> {
        let (own, inherited) = match target {
            Target::Organizer(o) => (repo.organizer_values(o).await?, Vec::new()),
            Target::Event { organizer, event } => (
                repo.event_values(event).await?,
                repo.organizer_values(organizer).await?,
            ),
        };
        Ok(Layers {
            level: target.level(),
            own: own.into_iter().collect(),
            inherited: inherited.into_iter().collect(),
        })
    }

    fn apply(&mut self, changes: &[SettingChange]) {
        for (key, value) in changes {
            match value {
                Some(v) => self.own.insert(key.clone(), v.clone()),
                None => self.own.remove(key),
            };
        }
    }

    fn effective(&self) -> EffectiveSettings {
        let settings = keys_for(self.level)
            .map(|key| EffectiveSetting {
                key,
                value: self
                    .own
                    .get(key.name)
                    .or_else(|| self.inherited.get(key.name))
                    .cloned()
                    .unwrap_or_else(|| key.default.to_json()),
                readonly: key.readonly_on(self.level),
            })
            .collect();
        EffectiveSettings {
            level: self.level,
            settings,
        }
    }
}

/// The effective value of every key of the target's level.
pub async fn effective_values(
    repo: &dyn SettingsRepository,
    target: Target,
) -> Result<EffectiveSettings, RepositoryError> {
    Ok(Layers::load(repo, target).await?.effective())
}

/// Changes the values sent in `input` and only those: validates `input`, stores the changes
/// (all or nothing) and returns the effective values after them. The caller has checked the permission.
pub async fn change_values(
    repo: &dyn SettingsRepository,
    target: Target,
    input: &Map<String, Value>,
) -> Result<EffectiveSettings, ChangeError> {
    let level = target.level();
    let mut errors = FieldErrors::new();
    let mut changes: Vec<SettingChange> = Vec::new();
    for key in keys_for(level) {
        let Some(sent) = input.get(key.name) else {
            continue;
        };
        if key.readonly_on(level) {
            continue;
        }
        match key.kind.parse(sent) {
            Ok(value) => changes.push((key.name.to_owned(), value)),
            Err(message) => errors.add(key.name, message),
        }
    }
    errors.into_result().map_err(ChangeError::Invalid)?;

    let mut layers = Layers::load(repo, target).await?;
    layers.apply(&changes);
    let effective = layers.effective();
    if let Some(check) = failing_check(&effective) {
        return Err(ChangeError::Invalid(FieldErrors::single(
            check.field,
            check.message,
        )));
    }
    if !changes.is_empty() {
        match target {
            Target::Organizer(o) => repo.change_organizer_values(o, changes).await?,
            Target::Event { event, .. } => repo.change_event_values(event, changes).await?,
        }
    }
    Ok(effective)
}

/// The first cross-field check that fails on these values (checks on keys the level does
/// not expose are skipped).
fn failing_check(values: &EffectiveSettings) -> Option<&'static CrossCheck> {
    CROSS_CHECKS.iter().find(|check| {
        let (Some(field), Some(other)) = (
            values.get(check.field),
            values.get(match check.rule {
                Rule::Requires(k) | Rule::MemberOf(k) => k,
            }),
        ) else {
            return false;
        };
        match check.rule {
            Rule::Requires(_) => field == &Value::Bool(true) && other != &Value::Bool(true),
            Rule::MemberOf(_) => !other.as_array().is_some_and(|list| list.contains(field)),
        }
    })
}

#[cfg(test)]
mod tests;
