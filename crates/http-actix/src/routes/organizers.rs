//! `/api/v1/organizers/` and `/api/v1/organizers/{organizer}/`.

use super::{checked_resource, read};
use crate::auth::{authenticate, Authenticated};
use crate::error::{json_ok, ApiError};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::organizer::{organizer_access, visible_organizers, Organizer};
use serde::Serialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        checked_resource("/organizers/", "GET, HEAD", |req| async move {
            authenticate(&req).await.map(drop)
        })
        .route(read().to(list)),
    )
    .service(
        checked_resource("/organizers/{organizer}/", "GET, HEAD", |req| async move {
            let slug = req
                .match_info()
                .get("organizer")
                .unwrap_or_default()
                .to_owned();
            let principal = authenticate(&req).await?;
            let state = state_of(&req)?;
            organizer_access(state.ports.organizers.as_ref(), &principal, &slug, None).await?;
            Ok(())
        })
        .route(read().to(detail)),
    );
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// The organizer resource, fields in pretix's order.
#[derive(Serialize)]
struct OrganizerBody<'a> {
    name: &'a str,
    slug: &'a str,
    public_url: String,
    plugins: &'a [String],
}

fn render(base_url: &str, o: &Organizer) -> serde_json::Value {
    let body = OrganizerBody {
        name: &o.name,
        slug: o.slug.as_str(),
        public_url: format!("{base_url}/{}/", o.slug),
        plugins: &o.plugins,
    };
    serde_json::to_value(body).unwrap_or_default()
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::from_request(&req)?;
    let base = state.base_url_for(&req);
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| visible_organizers(state.ports.organizers.as_ref(), &principal, window),
        |o| render(&base, &o),
    )
    .await?;
    json_ok(&envelope)
}

async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    Authenticated(principal): Authenticated,
) -> Result<HttpResponse, ApiError> {
    let organizer =
        organizer_access(state.ports.organizers.as_ref(), &principal, &path, None).await?;
    json_ok(&render(&state.base_url_for(&req), &organizer))
}
