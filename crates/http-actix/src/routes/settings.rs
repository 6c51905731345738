//! `/api/v1/organizers/{organizer}/settings/` and
//! `/api/v1/organizers/{organizer}/events/{event}/settings/`: GET (with `?explain`) and PATCH;
//! every other method is 405 after the access checks.

use super::{event_context, event_resource, organizer_context, organizer_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, ApiError};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::settings::{
    change_values, effective_values, ChangeError, EffectiveSettings, Target,
};
use serde_json::{json, Map, Value};

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

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
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
    if wants_explanation(req) {
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
fn wants_explanation(req: &HttpRequest) -> bool {
    crate::query::Query::of(req).has("explain")
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
    use actix_web::test::TestRequest;
    use presale_domain::settings::{find, EffectiveSetting, Level};

    #[test]
    fn any_explain_parameter_explains() {
        let wants = |uri: &str| wants_explanation(&TestRequest::get().uri(uri).to_http_request());
        assert!(wants("/x/?explain=true"));
        assert!(wants("/x/?explain"));
        assert!(wants("/x/?a=1&explain=false"));
        assert!(!wants("/x/"));
        assert!(!wants("/x/?explained=true"));
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
