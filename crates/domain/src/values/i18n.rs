use serde::ser::SerializeMap;
use serde_json::Value;

/// Language codes a multilingual string may carry.
pub const LANGUAGES: &[&str] = &[
    "en",
    "de",
    "de-informal",
    "ar",
    "zh-hans",
    "cs",
    "da",
    "nl",
    "nl-informal",
    "fr",
    "fi",
    "gl",
    "el",
    "it",
    "lv",
    "pl",
    "pt-pt",
    "pt-br",
    "ro",
    "ru",
    "es",
    "tr",
    "uk",
];

/// A multilingual string: language code → text, in the order the client sent them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct I18nString(Vec<(String, String)>);

/// Why a JSON value is not a multilingual string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum I18nError {
    #[error("Invalid languages included.")]
    InvalidLanguage,
    #[error("Invalid data type.")]
    InvalidType,
}

impl I18nString {
    /// A string in English only, as pretix stores a plain string.
    pub fn english(text: impl Into<String>) -> Self {
        I18nString(vec![("en".to_owned(), text.into())])
    }

    /// From the wire: an object of language → text, or a plain string (English).
    pub fn from_json(value: &Value) -> Result<Self, I18nError> {
        match value {
            Value::String(s) => Ok(Self::english(s.clone())),
            Value::Object(map) => {
                let mut out = Vec::with_capacity(map.len());
                for (lang, text) in map {
                    if !LANGUAGES.contains(&lang.as_str()) {
                        return Err(I18nError::InvalidLanguage);
                    }
                    match text {
                        Value::String(t) => out.push((lang.clone(), t.clone())),
                        Value::Null => {}
                        _ => return Err(I18nError::InvalidType),
                    }
                }
                Ok(I18nString(out))
            }
            _ => Err(I18nError::InvalidType),
        }
    }

    /// From storage: the JSON object text written by [`I18nString::to_json_string`].
    pub fn from_json_str(text: &str) -> Result<Self, I18nError> {
        let value: Value = serde_json::from_str(text).map_err(|_| I18nError::InvalidType)?;
        Self::from_json(&value)
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }

    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == lang)
            .map(|(_, v)| v.as_str())
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when no language has any text (pretix's "blank").
    pub fn is_blank(&self) -> bool {
        self.0.iter().all(|(_, v)| v.is_empty())
    }
}

impl serde::Serialize for I18nString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_string_is_english() {
        let s = I18nString::from_json(&json!("Dummy")).map(|s| s.to_json());
        assert_eq!(s, Ok(json!({"en": "Dummy"})));
    }

    #[test]
    fn keeps_keys_in_order() {
        let s = I18nString::from_json(&json!({"de": "rot", "en": "red", "de-informal": "rot"}));
        assert_eq!(
            s.map(|s| s.to_json_string()),
            Ok(r#"{"de":"rot","en":"red","de-informal":"rot"}"#.to_owned())
        );
    }

    #[test]
    fn rejects_unknown_languages_and_types() {
        assert_eq!(
            I18nString::from_json(&json!({"xx": "a"})),
            Err(I18nError::InvalidLanguage)
        );
        assert_eq!(
            I18nString::from_json(&json!(5)),
            Err(I18nError::InvalidType)
        );
        assert_eq!(
            I18nString::from_json(&json!([])),
            Err(I18nError::InvalidType)
        );
        assert_eq!(
            I18nString::from_json(&json!({"en": 1})),
            Err(I18nError::InvalidType)
        );
        assert_eq!(
            I18nError::InvalidLanguage.to_string(),
            "Invalid languages included."
        );
    }
}
