//! Reading a request body the way pretix does: JSON, form or multipart; an empty body is `{}`.

use crate::error::ApiError;
use crate::fields::python_type;
use actix_web::http::header;
use actix_web::HttpRequest;
use serde_json::{Map, Value};

/// What a field holding a NUL character anywhere (PostgreSQL cannot store one) answers.
pub(crate) const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// Parses the body into a JSON value according to its `Content-Type`. An object with a NUL
/// character anywhere in a field (its name, a string in it, however deeply nested) is refused
/// here, for every resource at once, naming each such field.
pub(crate) fn parse_body(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    let value = parse_any(req, body)?;
    if let Value::Object(map) = &value {
        let mut errors = presale_domain::validation::FieldErrors::new();
        for (key, field) in map {
            if key.contains('\0') || holds_nul(field) {
                errors.add(key, NULL_CHARACTERS);
            }
        }
        errors.into_result()?;
    }
    Ok(value)
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

fn parse_any(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("JSON parse error - {e}"))),
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                .map_err(|e| ApiError::BadRequest(format!("Form parse error - {e}")))?;
            Ok(form_object(pairs))
        }
        "multipart/form-data" => {
            let boundary = content_type
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("boundary="))
                .next()
                .map(|b| b.trim_matches('"').to_owned())
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "Multipart form parse error - Invalid boundary in multipart: None".into(),
                    )
                })?;
            Ok(form_object(multipart_fields(body, &boundary)?))
        }
        _ => Err(ApiError::UnsupportedMediaType(content_type)),
    }
}

/// Form fields as a JSON object of strings; for a repeated key the last value wins.
fn form_object(pairs: Vec<(String, String)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k, Value::String(v));
    }
    Value::Object(map)
}

/// The text fields of a `multipart/form-data` body.
fn multipart_fields(body: &[u8], boundary: &str) -> Result<Vec<(String, String)>, ApiError> {
    let invalid =
        || ApiError::BadRequest("Multipart form parse error - Invalid multipart body".into());
    let text = std::str::from_utf8(body).map_err(|_| invalid())?;
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    for part in text.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, value) = part.split_once("\r\n\r\n").ok_or_else(invalid)?;
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| l.split(';').find_map(|p| p.trim().strip_prefix("name=")))
            .map(|n| n.trim_matches('"').to_owned())
            .ok_or_else(invalid)?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        fields.push((name, value.to_owned()));
    }
    Ok(fields)
}

/// The body as a JSON object, or pretix's error for any other JSON type.
pub(crate) fn expect_object(value: Value) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::non_field(format!(
            "Invalid data. Expected a dictionary, but got {}.",
            python_type(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use serde_json::json;

    fn parse(content_type: Option<&str>, body: &str) -> Result<Value, String> {
        let mut req = TestRequest::default();
        if let Some(ct) = content_type {
            req = req.insert_header((header::CONTENT_TYPE, ct));
        }
        parse_body(&req.to_http_request(), body.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn fields_holding_nul_characters_are_refused_by_name() {
        let got = parse(
            Some("application/json"),
            r#"{"name": {"en": "a\u0000"}, "ok": "b", "info": {"k\u0000": 1}, "list": [["\u0000"]]}"#,
        );
        assert_eq!(
            got,
            Err(r#"{"name":["Null characters are not allowed."],"info":["Null characters are not allowed."],"list":["Null characters are not allowed."]}"#.to_owned())
        );
        assert!(parse(Some("application/json"), r#"{"name": "a\\u0000"}"#).is_ok());
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        assert_eq!(parse(None, ""), Ok(json!({})));
        assert_eq!(parse(Some("text/plain"), ""), Ok(json!({})));
    }

    #[test]
    fn json_form_and_multipart_are_read() {
        assert_eq!(
            parse(Some("application/json; charset=utf-8"), r#"{"a":1}"#),
            Ok(json!({"a": 1}))
        );
        assert_eq!(
            parse(
                Some("application/x-www-form-urlencoded"),
                "name=Big+Events&x=%C3%A4"
            ),
            Ok(json!({"name": "Big Events", "x": "ä"}))
        );
        let body = "--XX\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nBig\r\n--XX--\r\n";
        assert_eq!(
            parse(Some("multipart/form-data; boundary=XX"), body),
            Ok(json!({"name": "Big"}))
        );
    }

    #[test]
    fn other_types_are_unsupported_and_bad_json_is_a_parse_error() {
        assert_eq!(
            parse(Some("text/plain"), "{}"),
            Err(r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#.into())
        );
        assert_eq!(
            parse(None, "{}"),
            Err(r#"{"detail":"Unsupported media type \"\" in request."}"#.into())
        );
        assert!(parse(Some("application/json"), "{bad")
            .is_err_and(|e| e.contains("JSON parse error - ")));
    }

    #[test]
    fn non_objects_are_refused_with_their_python_type_name() {
        for (value, kind) in [
            (json!([1]), "list"),
            (json!("x"), "str"),
            (json!(1), "int"),
            (json!(null), "NoneType"),
        ] {
            let err = expect_object(value).map_err(|e| e.to_string());
            assert_eq!(
                err,
                Err(format!(
                    r#"{{"non_field_errors":["Invalid data. Expected a dictionary, but got {kind}."]}}"#
                ))
            );
        }
    }
}
