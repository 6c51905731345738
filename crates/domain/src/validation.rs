//! Field errors, collected in field order, as pretix reports them: one message per field.

/// The message of a field a full write (create, PUT) must send.
pub const REQUIRED: &str = "This field is required.";

/// Errors keyed by field name, in the order they were found (callers check fields in the
/// resource's documented order). A field keeps its first message only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors(Vec::new())
    }

    /// Records `message` for `field` unless the field already has one.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.has(field) {
            self.0.push((field.to_owned(), message.into()));
        }
    }

    /// Records [`REQUIRED`] for each `(field, sent)` that was not sent (and has no error yet):
    /// the fields a full write (create, PUT) must carry.
    pub fn require(&mut self, fields: &[(&str, bool)]) {
        for (field, sent) in fields {
            if !sent {
                self.add(field, REQUIRED);
            }
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts the fields by their position in `order`; unknown fields go last, in the order
    /// they were added.
    pub fn sort_by_order(&mut self, order: &[&str]) {
        self.0
            .sort_by_key(|(f, _)| order.iter().position(|o| o == f).unwrap_or(usize::MAX));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }

    /// `Ok(())` when empty, else the errors.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// A single object-level error (`non_field_errors`).
    pub fn non_field(message: impl Into<String>) -> Self {
        FieldErrors(vec![("non_field_errors".to_owned(), message.into())])
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        FieldErrors(vec![(field.to_owned(), message.into())])
    }
}

/// The Python type name pretix uses in messages about a JSON value (`dict`, `list`, `str`,
/// `float`, `int`, `bool`, `NoneType`).
pub fn python_type(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Object(_) => "dict",
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_wins_and_order_is_by_field() {
        let mut e = FieldErrors::new();
        e.add("slug", "a");
        e.add("name", "b");
        e.add("slug", "c");
        e.sort_by_order(&["name", "slug"]);
        let got: Vec<_> = e.iter().collect();
        assert_eq!(got, [("name", "b"), ("slug", "a")]);
        assert!(FieldErrors::new().into_result().is_ok());
    }
}
