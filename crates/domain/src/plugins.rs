//! The plugins Presale knows: pretix's core plugin modules, which of them an organizer must
//! enable before its events may, and which a new event starts with.

/// A known plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugin {
    /// The module name clients send, e.g. `pretix.plugins.banktransfer`.
    pub module: &'static str,
    /// Whether an event may enable it only once its organizer has (the payment providers).
    pub needs_organizer: bool,
    /// Whether it takes payments (for the go-live check).
    pub is_payment: bool,
}

const fn plugin(module: &'static str, payment: bool) -> Plugin {
    Plugin {
        module,
        needs_organizer: payment,
        is_payment: payment,
    }
}

/// Every known plugin, sorted by module name.
pub const REGISTRY: &[Plugin] = &[
    plugin("pretix.plugins.autocheckin", false),
    plugin("pretix.plugins.badges", false),
    plugin("pretix.plugins.banktransfer", true),
    plugin("pretix.plugins.checkinlists", false),
    plugin("pretix.plugins.manualpayment", true),
    // The module name PayPal had before `paypal2`; the API documentation's examples use it.
    plugin("pretix.plugins.paypal", true),
    plugin("pretix.plugins.paypal2", true),
    // The former check-in app plugin, named in the API documentation's examples.
    plugin("pretix.plugins.pretixdroid", false),
    plugin("pretix.plugins.returnurl", false),
    plugin("pretix.plugins.sendmail", false),
    plugin("pretix.plugins.statistics", false),
    plugin("pretix.plugins.stripe", true),
    plugin("pretix.plugins.ticketoutputpdf", false),
    plugin("pretix.plugins.webcheckin", false),
];

/// The plugins a new event gets when the request names none.
pub const EVENT_DEFAULTS: &[&str] = &[
    "pretix.plugins.sendmail",
    "pretix.plugins.statistics",
    "pretix.plugins.checkinlists",
    "pretix.plugins.autocheckin",
];

/// The plugin with this module name.
pub fn find(module: &str) -> Option<&'static Plugin> {
    REGISTRY.iter().find(|p| p.module == module)
}

/// A plugin list refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    #[error("Unknown plugin: '{0}'.")]
    Unknown(String),
    #[error("Plugin should be enabled on organizer level first: '{0}'.")]
    NotOnOrganizer(String),
}

/// Checks every name against the registry; returns the set sorted and without duplicates.
pub fn validate(modules: &[String]) -> Result<Vec<String>, PluginError> {
    if let Some(unknown) = modules.iter().find(|m| find(m).is_none()) {
        return Err(PluginError::Unknown(unknown.clone()));
    }
    let mut out = modules.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_defaults_are_known() {
        assert!(REGISTRY.windows(2).all(|w| w[0].module < w[1].module));
        assert!(EVENT_DEFAULTS
            .iter()
            .all(|m| find(m).is_some_and(|p| !p.needs_organizer)));
        let payment: Vec<_> = REGISTRY
            .iter()
            .filter(|p| p.is_payment)
            .map(|p| p.module)
            .collect();
        assert_eq!(
            payment,
            [
                "pretix.plugins.banktransfer",
                "pretix.plugins.manualpayment",
                "pretix.plugins.paypal",
                "pretix.plugins.paypal2",
                "pretix.plugins.stripe"
            ]
        );
    }

    #[test]
    fn validate_sorts_dedups_and_names_the_unknown() {
        let given = vec![
            "pretix.plugins.stripe".to_owned(),
            "pretix.plugins.banktransfer".to_owned(),
            "pretix.plugins.stripe".to_owned(),
        ];
        assert_eq!(
            validate(&given),
            Ok(vec![
                "pretix.plugins.banktransfer".to_owned(),
                "pretix.plugins.stripe".to_owned()
            ])
        );
        assert_eq!(
            validate(&["pretix.plugins.paypal3".to_owned()]).map_err(|e| e.to_string()),
            Err("Unknown plugin: 'pretix.plugins.paypal3'.".to_owned())
        );
    }
}
