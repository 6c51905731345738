//! `/api/v1/organizers/` and `/api/v1/organizers/{organizer}/`.

use super::{checked_resource, organizer_context, organizer_resource, read, Mount, Needs};
use crate::auth::{authenticate, Authenticated};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, ApiError};
use crate::fields::string_list;
use crate::openapi::{paged, Auth, Doc};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::organizer::{
    change_plugins, visible_organizers, ChangePluginsError, Organizer,
};
use serde::Serialize;
use utoipa::openapi::path::HttpMethod;
use utoipa::ToSchema;

const DETAIL: Needs = Needs {
    read: None,
    write: Some(Permission::ChangeOrganizerSettings),
    device_read: false,
};

pub(super) const MOUNT: Mount = Mount {
    configure,
    describe,
};

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        checked_resource("/organizers/", "GET, HEAD", |req| async move {
            authenticate(&req).await.map(drop)
        })
        .route(read().to(list)),
    )
    .service(
        organizer_resource("/organizers/{organizer}/", "GET, PUT, PATCH, HEAD", DETAIL)
            .route(read().to(detail))
            .route(web::patch().to(update))
            .route(web::put().to(update)),
    );
}

fn describe(doc: &mut Doc) {
    let organizer = doc.schema::<OrganizerBody<'static>>();
    let patched = doc.partial::<OrganizerBody<'static>>();
    let page = doc.page_of::<OrganizerBody<'static>>();
    let one = "/organizers/{organizer}/";
    let tag = "organizers";
    doc.op(
        HttpMethod::Get,
        "/organizers/",
        "organizers_list",
        tag,
        "List the organizers the credential may see",
        Auth::Token,
    )
    .query(paged())
    .answer(200, "A page of organizers.", Some(page))
    .add();
    doc.op(
        HttpMethod::Get,
        one,
        "organizers_read",
        tag,
        "Show an organizer",
        Auth::Token,
    )
    .answer(200, "The organizer.", Some(organizer.clone()))
    .add();
    doc.op(
        HttpMethod::Put,
        one,
        "organizers_update",
        tag,
        "Replace an organizer's plugins",
        Auth::Token,
    )
    .body(organizer.clone())
    .answer(200, "The organizer, changed.", Some(organizer.clone()))
    .add();
    doc.op(
        HttpMethod::Patch,
        one,
        "organizers_partial_update",
        tag,
        "Change an organizer's plugins",
        Auth::Token,
    )
    .body(patched)
    .answer(200, "The organizer, changed.", Some(organizer))
    .add();
}

/// The organizer resource, fields in pretix's order.
#[derive(Serialize, ToSchema)]
#[schema(as = Organizer)]
struct OrganizerBody<'a> {
    #[schema(read_only)]
    name: &'a str,
    #[schema(read_only)]
    slug: &'a str,
    #[schema(read_only)]
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
        |window| visible_organizers(state.store.organizers(), &principal, window),
        |o| render(&base, &o),
    )
    .await?;
    json_ok(&envelope)
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, DETAIL).await?;
    json_ok(&render(&state.base_url_for(&req), &organizer))
}

/// PUT and PATCH: only `plugins` is writable (`name` and `slug` are read-only, as in pretix).
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, DETAIL).await?;
    let fields = expect_object(parse_body(&req, &body)?)?;
    let organizer = match fields.get("plugins") {
        None => organizer,
        Some(value) => {
            let plugins = string_list(value).map_err(|msg| ApiError::field("plugins", msg))?;
            change_plugins(state.store.organizers(), &organizer, &plugins)
                .await
                .map_err(|e| match e {
                    ChangePluginsError::Invalid(p) => ApiError::field("plugins", p.to_string()),
                    ChangePluginsError::Repository(r) => r.into(),
                })?
        }
    };
    json_ok(&render(&state.base_url_for(&req), &organizer))
}
