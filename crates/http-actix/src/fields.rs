//! Reading single JSON fields with pretix's messages.

use serde_json::Value;

/// The Python type name pretix uses in messages about a JSON value.
pub(crate) fn python_type(value: &Value) -> &'static str {
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

/// A list of strings, or the message for the field.
pub(crate) fn string_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Null => Err("This field may not be null.".into()),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("Not a valid string. Got {}.", python_type(other))),
            })
            .collect(),
        other => Err(format!(
            "Expected a list of items but got type \"{}\".",
            python_type(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_lists_and_their_errors() {
        assert_eq!(
            string_list(&json!(["a", "b"])),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            string_list(&json!("a")),
            Err("Expected a list of items but got type \"str\".".into())
        );
        assert_eq!(
            string_list(&json!(null)),
            Err("This field may not be null.".into())
        );
        assert_eq!(
            string_list(&json!({"a": 1})),
            Err("Expected a list of items but got type \"dict\".".into())
        );
    }
}
