//! `/api/v1/organizers/{organizer}/settings/` and
//! `/api/v1/organizers/{organizer}/events/{event}/settings/`: GET (with `?explain`) and PATCH;
//! every other method is 405 after the access checks.

use super::{
    event_context, event_resource, organizer_context, organizer_resource, read, Mount, Needs,
};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, ApiError};
use crate::openapi::{Auth, Doc, I18n};
use crate::query::Query;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::settings::{
    change_values, effective_values, ChangeError, EffectiveSettings, Target,
};
use presale_domain::settings::{Kind, Level, KEYS};
use serde_json::{json, Map, Value};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::PartialSchema;

/// Organizer settings: readable with access to the organizer (as in pretix), writable with
/// `can_change_organizer_settings` (docs/api-compatibility.md).
const ORGANIZER: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeOrganizerSettings),
    device_read: false,
};

/// Event settings: `can_change_event_settings` to read and to write (docs/api-compatibility.md).
const EVENT: Needs = Needs {
    read: Some(Permission::ChangeEventSettings),
    write: Some(Permission::ChangeEventSettings),
    device_read: true,
};

const ALLOW: &str = "GET, PATCH, HEAD";

pub(super) const MOUNT: Mount = Mount {
    configure,
    describe,
};

fn describe(doc: &mut Doc) {
    let explain = Query::recording();
    let _ = wants_explanation(&explain);
    let explained = doc.component("ExplainedSettings", explained_schema());
    for (level, path, prefix, auth) in [
        (
            Level::Organizer,
            "/organizers/{organizer}/settings/",
            "organizer",
            Auth::Token,
        ),
        (
            Level::Event,
            "/organizers/{organizer}/events/{event}/settings/",
            "event",
            Auth::TokenOrDevice,
        ),
    ] {
        let name = format!(
            "{}Settings",
            if level == Level::Event {
                "Event"
            } else {
                "Organizer"
            }
        );
        let values = doc.component(&name, settings_schema(level));
        let shown = RefOr::T(Schema::AnyOf(
            AnyOfBuilder::new()
                .item(values.clone())
                .item(explained.clone())
                .build(),
        ));
        let tag = "settings";
        doc.op(HttpMethod::Get, path, &format!("{prefix}_settings_read"), tag, &format!("Show the {prefix}'s settings"), auth)
            .query(explain.clone_asked())
            .answer(200, "Every setting's value; with `explain`, its value, label, help text and whether it is read-only here.", Some(shown))
            .add();
        doc.op(
            HttpMethod::Patch,
            path,
            &format!("{prefix}_settings_partial_update"),
            tag,
            &format!("Change some of the {prefix}'s settings"),
            Auth::Token,
        )
        .body(values.clone())
        .answer(
            200,
            "Every setting's value, after the change.",
            Some(values),
        )
        .add();
    }
}

/// One property per key the level shows, typed as the registry's kind; `null` resets a key
/// to its default.
fn settings_schema(level: Level) -> Schema {
    let mut object = ObjectBuilder::new().schema_type(Type::Object);
    for key in KEYS.iter().filter(|k| k.exposed_on(level)) {
        let typed =
            |t: Type| ObjectBuilder::new().schema_type(SchemaType::from_iter([t, Type::Null]));
        let text = |format: Option<KnownFormat>| {
            typed(Type::String).format(format.map(SchemaFormat::KnownFormat))
        };
        let choice = |values: &[&str]| {
            let mut all: Vec<Value> = values.iter().map(|v| json!(v)).collect();
            all.push(Value::Null);
            typed(Type::String).enum_values(Some(all))
        };
        let schema: RefOr<Schema> = match key.kind {
            Kind::Bool => typed(Type::Boolean).into(),
            Kind::Int { min, max } => typed(Type::Integer)
                .minimum(Some(min as f64))
                .maximum(Some(max as f64))
                .into(),
            Kind::Text
            | Kind::Color
            | Kind::Decimal { .. }
            | Kind::RelativeDate
            | Kind::TimeZone => text(None).into(),
            Kind::Url => text(None)
                .format(Some(SchemaFormat::Custom("uri".into())))
                .into(),
            Kind::Email => text(Some(KnownFormat::Email)).into(),
            Kind::I18n | Kind::I18nUrl => RefOr::T(Schema::AnyOf(
                AnyOfBuilder::new()
                    .item(I18n::schema())
                    .item(ObjectBuilder::new().schema_type(Type::Null))
                    .build(),
            )),
            Kind::Choice(values) => choice(values).into(),
            Kind::ChoiceList(values) => RefOr::T(Schema::from(
                ArrayBuilder::new().items(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(values.iter().copied())),
                ),
            )),
        };
        let schema = match (schema, key.readonly_on(level)) {
            (RefOr::T(Schema::Object(mut o)), true) => {
                o.read_only = Some(true);
                RefOr::T(Schema::Object(o))
            }
            (schema, _) => schema,
        };
        object = object.property(key.name, schema);
    }
    object.into()
}

/// `?explain`: `{"key": {"value", "label", "help_text", "readonly"}}`.
fn explained_schema() -> Schema {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "value",
                    ObjectBuilder::new().schema_type(SchemaType::AnyValue),
                )
                .property("label", text())
                .property("help_text", text())
                .property("readonly", ObjectBuilder::new().schema_type(Type::Boolean))
                .required("value")
                .required("label")
                .required("help_text")
                .required("readonly")
                .into(),
        ))))
        .into()
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource("/organizers/{organizer}/settings/", ALLOW, ORGANIZER)
            .route(read().to(organizer_get))
            .route(web::patch().to(organizer_patch)),
    )
    .service(
        event_resource(
            "/organizers/{organizer}/events/{event}/settings/",
            ALLOW,
            EVENT,
        )
        .route(read().to(event_get))
        .route(web::patch().to(event_patch)),
    );
}

async fn organizer_target(req: &HttpRequest) -> Result<Target, ApiError> {
    let (_, organizer) = organizer_context(req, ORGANIZER).await?;
    Ok(Target::Organizer(organizer.id))
}

async fn event_target(req: &HttpRequest) -> Result<Target, ApiError> {
    let (_, organizer, event) = event_context(req, EVENT).await?;
    Ok(Target::Event {
        organizer: organizer.id,
        event: event.id,
    })
}

async fn organizer_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let target = organizer_target(&req).await?;
    get(&req, &state, target, false).await
}

async fn organizer_patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let target = organizer_target(&req).await?;
    patch(&req, &state, target, &body).await
}

/// A device reads the reduced set of keys devices get (docs/api-compatibility.md).
async fn event_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (principal, organizer, event) = event_context(&req, EVENT).await?;
    let target = Target::Event {
        organizer: organizer.id,
        event: event.id,
    };
    get(&req, &state, target, principal.is_device()).await
}

async fn event_patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let target = event_target(&req).await?;
    patch(&req, &state, target, &body).await
}

async fn get(
    req: &HttpRequest,
    state: &AppState,
    target: Target,
    device: bool,
) -> Result<HttpResponse, ApiError> {
    let mut values = effective_values(state.store.settings(), target).await?;
    if device {
        values = values.for_device();
    }
    if wants_explanation(&Query::of(req)) {
        json_ok(&explained(&values))
    } else {
        json_ok(&values.to_json())
    }
}

async fn patch(
    req: &HttpRequest,
    state: &AppState,
    target: Target,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let input = expect_object(parse_body(req, body)?)?;
    // The values merged into and the values written from one snapshot.
    let tx = state.store.begin().await?;
    let values = change_values(tx.settings(), target, &input)
        .await
        .map_err(|e| match e {
            ChangeError::Invalid(errors) => ApiError::from(errors),
            ChangeError::Repository(r) => r.into(),
        })?;
    tx.commit().await?;
    json_ok(&values.to_json())
}

/// pretix explains whenever the query names `explain`, whatever its value.
fn wants_explanation(query: &Query) -> bool {
    query.has("explain")
}

/// `{"key": {"value", "label", "help_text", "readonly"}}`; a key without help text shows
/// `"None"`, as pretix does.
fn explained(values: &EffectiveSettings) -> Value {
    let map: Map<String, Value> = values
        .settings
        .iter()
        .map(|s| {
            (
                s.key.name.to_owned(),
                json!({
                    "value": s.value,
                    "label": s.key.label,
                    "help_text": s.key.help_text.unwrap_or("None"),
                    "readonly": s.readonly,
                }),
            )
        })
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use presale_domain::settings::{find, EffectiveSetting, Level};

    #[test]
    fn any_explain_parameter_explains() {
        let wants = |query: &str| wants_explanation(&Query::parse(query));
        assert!(wants("explain=true"));
        assert!(wants("explain"));
        assert!(wants("a=1&explain=false"));
        assert!(!wants(""));
        assert!(!wants("explained=true"));
    }

    #[test]
    fn explanation_in_pretix_key_order_with_none_for_missing_help() {
        let values = EffectiveSettings {
            level: Level::Event,
            settings: vec![
                EffectiveSetting {
                    key: find("locale").unwrap(),
                    value: json!("de"),
                    readonly: false,
                },
                EffectiveSetting {
                    key: find("reusable_media_active").unwrap(),
                    value: json!(true),
                    readonly: true,
                },
            ],
        };
        let text = explained(&values).to_string();
        assert!(text.starts_with(
            r#"{"locale":{"value":"de","label":"Default language","help_text":"None","readonly":false},"reusable_media_active":{"value":true,"label":"Activate reusable media","help_text":"The reusable media"#
        ));
        assert!(text.ends_with(r#"later.","readonly":true}}"#));
    }
}
