//! The plugins Presale knows: pretix's core plugin modules with the level pretix enables each
//! on (event, organizer, or both), which of them take payments, and which a new event starts
//! with.
//!
//! ```
//! use presale_domain::plugins::{PluginError, CORE};
//!
//! // Event-level plugins need nothing from the organizer.
//! let organizer_plugins: Vec<String> = vec![];
//! let list = vec!["pretix.plugins.stripe".to_owned()];
//! assert_eq!(CORE.for_event(&list, &organizer_plugins, &[]), Ok(list.clone()));
//!
//! // A hybrid plugin must be enabled on the organizer first.
//! let bank = vec!["pretix.plugins.banktransfer".to_owned()];
//! assert_eq!(
//!     CORE.for_event(&bank, &organizer_plugins, &[]),
//!     Err(PluginError::NotOnOrganizer("pretix.plugins.banktransfer".to_owned()))
//! );
//! assert!(CORE.for_event(&bank, &bank, &[]).is_ok());
//! ```

/// Where a plugin can be enabled, as pretix's `PretixPluginMeta.level` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginLevel {
    /// Enabled on events directly (pretix's default level).
    Event,
    /// Enabled on organizers only.
    Organizer,
    /// Enabled on the organizer, and then on each event that uses it.
    EventOrganizer,
}

impl PluginLevel {
    fn on_events(self) -> bool {
        matches!(self, PluginLevel::Event | PluginLevel::EventOrganizer)
    }

    fn on_organizers(self) -> bool {
        matches!(self, PluginLevel::Organizer | PluginLevel::EventOrganizer)
    }
}

/// A known plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugin {
    /// The module name clients send, e.g. `pretix.plugins.banktransfer`.
    pub module: &'static str,
    /// Where it can be enabled.
    pub level: PluginLevel,
    /// Whether it takes payments (for the go-live check).
    pub is_payment: bool,
}

const fn plugin(module: &'static str, level: PluginLevel, is_payment: bool) -> Plugin {
    Plugin {
        module,
        level,
        is_payment,
    }
}

/// A set of known plugins, sorted by module name.
#[derive(Debug, Clone, Copy)]
pub struct Registry(pub &'static [Plugin]);

use PluginLevel::{Event, EventOrganizer};

/// pretix's core plugin modules (as of pretix 2026.8), plus the two module names the API
/// documentation's examples still use.
pub const CORE: Registry = Registry(&[
    plugin("pretix.plugins.autocheckin", Event, false),
    plugin("pretix.plugins.badges", Event, false),
    plugin("pretix.plugins.banktransfer", EventOrganizer, true),
    plugin("pretix.plugins.checkinlists", Event, false),
    plugin("pretix.plugins.manualpayment", Event, true),
    // The module name PayPal had before `paypal2`; the API documentation's examples use it.
    plugin("pretix.plugins.paypal", Event, true),
    plugin("pretix.plugins.paypal2", Event, true),
    // The former check-in app plugin, named in the API documentation's examples.
    plugin("pretix.plugins.pretixdroid", Event, false),
    plugin("pretix.plugins.reports", Event, false),
    plugin("pretix.plugins.returnurl", Event, false),
    plugin("pretix.plugins.sendmail", Event, false),
    plugin("pretix.plugins.statistics", Event, false),
    plugin("pretix.plugins.stripe", Event, true),
    plugin("pretix.plugins.ticketoutputpdf", Event, false),
    plugin("pretix.plugins.webcheckin", Event, false),
]);

/// The plugins a new event gets when the request names none.
pub const EVENT_DEFAULTS: &[&str] = &[
    "pretix.plugins.sendmail",
    "pretix.plugins.statistics",
    "pretix.plugins.checkinlists",
    "pretix.plugins.autocheckin",
];

/// [`EVENT_DEFAULTS`], sorted as the API shows plugin lists.
pub fn event_defaults() -> Vec<String> {
    let mut defaults: Vec<String> = EVENT_DEFAULTS.iter().map(|s| (*s).to_owned()).collect();
    defaults.sort();
    defaults
}

/// The core plugin with this module name.
pub fn find(module: &str) -> Option<&'static Plugin> {
    CORE.find(module)
}

/// Whether any of these modules takes payments.
pub fn any_payment<'a>(modules: impl IntoIterator<Item = &'a String>) -> bool {
    modules
        .into_iter()
        .any(|m| find(m).is_some_and(|p| p.is_payment))
}

/// A plugin list refused, naming the first module (in the order sent) that is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    #[error("Unknown plugin: '{0}'.")]
    Unknown(String),
    #[error("Plugin cannot be enabled on this level: '{0}'.")]
    WrongLevel(String),
    #[error("Plugin should be enabled on organizer level first: '{0}'.")]
    NotOnOrganizer(String),
}

impl Registry {
    /// The plugin with this module name.
    pub fn find(&self, module: &str) -> Option<&'static Plugin> {
        self.0.iter().find(|p| p.module == module)
    }

    /// Checks an event's new plugin list: every module known and enabled on events; a hybrid
    /// one enabled on the organizer (`organizer_plugins`) unless the event already has it
    /// (`active`). Returns the set sorted and without duplicates.
    pub fn for_event(
        &self,
        modules: &[String],
        organizer_plugins: &[String],
        active: &[String],
    ) -> Result<Vec<String>, PluginError> {
        self.check(modules, |plugin, module| {
            if !plugin.level.on_events() {
                Err(PluginError::WrongLevel(module.to_owned()))
            } else if plugin.level == EventOrganizer
                && !organizer_plugins.iter().any(|m| m == module)
                && !active.iter().any(|m| m == module)
            {
                Err(PluginError::NotOnOrganizer(module.to_owned()))
            } else {
                Ok(())
            }
        })
    }

    /// Checks an organizer's new plugin list: every module known and enabled on organizers
    /// (organizer-level or hybrid). Returns the set sorted and without duplicates.
    pub fn for_organizer(&self, modules: &[String]) -> Result<Vec<String>, PluginError> {
        self.check(modules, |plugin, module| {
            if plugin.level.on_organizers() {
                Ok(())
            } else {
                Err(PluginError::WrongLevel(module.to_owned()))
            }
        })
    }

    /// The modules an organizer drops (in `before`, not in `after`) that its events lose with
    /// it: the hybrid ones, as pretix withdraws them.
    pub fn withdrawn_from_events(&self, before: &[String], after: &[String]) -> Vec<String> {
        before
            .iter()
            .filter(|m| !after.contains(m))
            .filter(|m| self.find(m).is_some_and(|p| p.level == EventOrganizer))
            .cloned()
            .collect()
    }

    fn check(
        &self,
        modules: &[String],
        allowed: impl Fn(&Plugin, &str) -> Result<(), PluginError>,
    ) -> Result<Vec<String>, PluginError> {
        for module in modules {
            match self.find(module) {
                Some(plugin) => allowed(plugin, module)?,
                None => return Err(PluginError::Unknown(module.clone())),
            }
        }
        let mut out = modules.to_vec();
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(modules: &[&str]) -> Vec<String> {
        modules.iter().map(|m| (*m).to_owned()).collect()
    }

    /// A registry with one plugin of each level.
    const LEVELS: Registry = Registry(&[
        plugin("a.event", PluginLevel::Event, false),
        plugin("b.hybrid", PluginLevel::EventOrganizer, false),
        plugin("c.organizer", PluginLevel::Organizer, false),
    ]);

    #[test]
    fn core_is_sorted_and_defaults_are_event_plugins() {
        assert!(CORE.0.windows(2).all(|w| w[0].module < w[1].module));
        assert!(EVENT_DEFAULTS
            .iter()
            .all(|m| find(m).is_some_and(|p| p.level == PluginLevel::Event)));
        let select = |f: fn(&Plugin) -> bool| -> Vec<&str> {
            CORE.0.iter().filter(|p| f(p)).map(|p| p.module).collect()
        };
        assert_eq!(
            select(|p| p.is_payment),
            [
                "pretix.plugins.banktransfer",
                "pretix.plugins.manualpayment",
                "pretix.plugins.paypal",
                "pretix.plugins.paypal2",
                "pretix.plugins.stripe"
            ]
        );
        assert_eq!(
            select(|p| p.level != PluginLevel::Event),
            ["pretix.plugins.banktransfer"]
        );
        assert!(find("pretix.plugins.reports").is_some());
    }

    #[test]
    fn events_take_event_plugins_and_hybrids_the_organizer_has() {
        let none: Vec<String> = vec![];
        assert_eq!(
            LEVELS.for_event(
                &list(&["b.hybrid", "a.event", "a.event"]),
                &list(&["b.hybrid"]),
                &none
            ),
            Ok(list(&["a.event", "b.hybrid"]))
        );
        // A hybrid the event already has may stay after the organizer dropped it.
        assert_eq!(
            LEVELS.for_event(&list(&["b.hybrid"]), &none, &list(&["b.hybrid"])),
            Ok(list(&["b.hybrid"]))
        );
        let refused = |modules: &[&str]| {
            LEVELS
                .for_event(&list(modules), &none, &none)
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            refused(&["b.hybrid", "c.organizer"]),
            Err("Plugin should be enabled on organizer level first: 'b.hybrid'.".to_owned())
        );
        assert_eq!(
            refused(&["c.organizer", "b.hybrid"]),
            Err("Plugin cannot be enabled on this level: 'c.organizer'.".to_owned())
        );
        assert_eq!(
            refused(&["a.event", "x.unknown", "c.organizer"]),
            Err("Unknown plugin: 'x.unknown'.".to_owned())
        );
    }

    #[test]
    fn organizers_take_organizer_plugins_and_hybrids() {
        assert_eq!(
            LEVELS.for_organizer(&list(&["c.organizer", "b.hybrid"])),
            Ok(list(&["b.hybrid", "c.organizer"]))
        );
        assert_eq!(
            LEVELS
                .for_organizer(&list(&["a.event"]))
                .map_err(|e| e.to_string()),
            Err("Plugin cannot be enabled on this level: 'a.event'.".to_owned())
        );
        assert_eq!(
            CORE.for_organizer(&list(&["pretix.plugins.stripe"])),
            Err(PluginError::WrongLevel("pretix.plugins.stripe".to_owned()))
        );
    }

    #[test]
    fn only_hybrids_are_withdrawn_from_events() {
        assert_eq!(
            LEVELS.withdrawn_from_events(&list(&["b.hybrid", "c.organizer"]), &[]),
            list(&["b.hybrid"])
        );
        assert!(LEVELS
            .withdrawn_from_events(&list(&["b.hybrid"]), &list(&["b.hybrid"]))
            .is_empty());
    }
}
