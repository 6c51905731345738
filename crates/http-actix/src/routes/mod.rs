//! The route table: one module per resource, all under `/api/v1`.

mod device_api;
pub(crate) mod devices;
pub(crate) mod digital_contents;
pub(crate) mod events;
pub(crate) mod imported_secrets;
pub(crate) mod items;
mod meta;
pub(crate) mod meta_properties;
mod organizers;
pub(crate) mod quotas;
mod resource;
pub(crate) mod sales_channels;
mod settings;
pub(crate) mod subevents;
pub(crate) mod teams;

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::fallback;
use crate::openapi::{Doc, API_ROOT};
use crate::read_cache::read_cache;
use crate::state::AppState;
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{guard, web, Error, HttpMessage, HttpRequest, HttpResponse, Resource};
use presale_domain::access::{Permission, Principal};
use presale_domain::event::Event;
use presale_domain::organizer::{organizer_access, Organizer};
use std::future::Future;
use std::sync::Arc;

/// One entry of the route table: the routes it mounts and how the API's document describes
/// them, side by side so that no route goes undescribed.
pub(crate) struct Mount {
    pub configure: fn(&mut web::ServiceConfig),
    pub describe: fn(&mut Doc),
}

impl Mount {
    /// A [`resource::Resource`] with DELETE.
    const fn resource<R: resource::Delete>() -> Mount {
        Mount {
            configure: resource::register::<R>,
            describe: resource::describe::<R>,
        }
    }

    /// A [`resource::Resource`] whose members are never deleted.
    const fn resource_without_delete<R: resource::Resource>() -> Mount {
        Mount {
            configure: resource::register_without_delete::<R>,
            describe: resource::describe_without_delete::<R>,
        }
    }
}

/// Everything below `/api/v1`.
const API: &[Mount] = &[
    meta::API,
    organizers::MOUNT,
    Mount::resource::<teams::Teams>(),
    Mount::resource_without_delete::<devices::Devices>(),
    device_api::MOUNT,
    events::MOUNT,
    Mount::resource::<digital_contents::DigitalContents>(),
    Mount::resource::<items::Items>(),
    Mount::resource::<items::Variations>(),
    Mount::resource::<meta_properties::MetaProperties>(),
    Mount::resource::<sales_channels::SalesChannels>(),
    settings::MOUNT,
    Mount::resource::<quotas::Quotas>(),
    Mount::resource::<subevents::SubEvents>(),
    Mount::resource::<imported_secrets::ImportedSecrets>(),
];

/// Registers every route and the JSON fallback on an actix `App` (or a scope of one).
pub fn configure(cfg: &mut web::ServiceConfig) {
    (meta::ROOT.configure)(cfg);
    let api = API.iter().fold(web::scope(API_ROOT), |scope, mount| {
        scope.configure(mount.configure)
    });
    cfg.service(api.default_service(web::to(fallback::not_found)))
        .default_service(web::to(fallback::not_found));
}

/// Describes every route [`configure`] mounts.
pub(crate) fn describe(doc: &mut Doc) {
    (meta::ROOT.describe)(doc);
    for mount in API {
        (mount.describe)(doc);
    }
}

/// The pattern a resource below `/api/v1` is mounted at, kept with the resource: the route of
/// a request is read from it rather than matched again against every pattern of the app,
/// which costs more instructions than the rest of answering a kept answer.
/// A kept answer served before routing carries its resource's template in the request's
/// extensions instead.
#[derive(Debug, Clone)]
pub(crate) struct RouteTemplate(Arc<str>);

impl RouteTemplate {
    pub(crate) fn pattern(&self) -> Arc<str> {
        self.0.clone()
    }
}

impl From<Arc<str>> for RouteTemplate {
    fn from(pattern: Arc<str>) -> Self {
        RouteTemplate(pattern)
    }
}

/// The pattern of the route that answered `req`: `/api/v1/organizers/{organizer}/events/`.
pub(crate) fn route_template(req: &HttpRequest) -> Option<Arc<str>> {
    if let Some(kept) = req.extensions().get::<RouteTemplate>() {
        return Some(kept.pattern());
    }
    match req.app_data::<RouteTemplate>() {
        Some(template) => Some(template.pattern()),
        // The few routes outside `checked_resource`: the health checks, the document, the
        // browser docs, `/metrics`.
        None => req.match_pattern().map(Arc::from),
    }
}

/// A route for GET and HEAD (actix sends no body for HEAD).
pub(crate) fn read() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// What every resource is once wrapped in the read cache's resource layer.
pub(crate) trait Endpoint:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = Error,
        InitError = (),
    > + 'static
{
}

impl<T> Endpoint for T where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<BoxBody>,
            Error = Error,
            InitError = (),
        > + 'static
{
}

/// A resource whose unsupported methods answer 405 only after the request passed `access`
/// (authentication, organizer/event access, permission), as pretix checks in that order.
/// Its `GET` answers go through the read cache.
pub(crate) fn checked_resource<F, Fut>(
    path: &str,
    allow: &'static str,
    access: F,
) -> Resource<impl Endpoint>
where
    F: Fn(HttpRequest) -> Fut + Clone + 'static,
    Fut: Future<Output = Result<(), ApiError>> + 'static,
{
    web::resource(path)
        .app_data(RouteTemplate(format!("{API_ROOT}{path}").into()))
        .default_service(web::to(move |req: HttpRequest| {
            let access = access.clone();
            async move {
                access(req.clone()).await?;
                Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                    method: req.method().to_string(),
                    allow,
                })
            }
        }))
        .wrap(from_fn(read_cache))
}

/// The permission a request needs on an organizer resource: `read` for GET/HEAD/OPTIONS,
/// `write` for anything else (unsupported methods included, as pretix does).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Needs {
    pub read: Option<Permission>,
    pub write: Option<Permission>,
    /// Whether a device may read (GET/HEAD) this resource, within its events (docs/api-compatibility.md
    /// §8). A device holds no permission: it is refused every other method here, and every
    /// resource without this flag.
    pub device_read: bool,
}

impl Needs {
    pub(crate) fn for_method(self, method: &Method) -> Option<Permission> {
        match *method {
            Method::GET | Method::HEAD | Method::OPTIONS => self.read,
            _ => self.write,
        }
    }

    /// The permission `principal` needs for `method`, or the 403 of a device outside what it
    /// may read.
    pub(crate) fn required(
        self,
        principal: &Principal,
        method: &Method,
    ) -> Result<Option<Permission>, ApiError> {
        if !principal.is_device() {
            return Ok(self.for_method(method));
        }
        let reading = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if reading && self.device_read {
            Ok(None)
        } else {
            Err(ApiError::PermissionDenied)
        }
    }
}

pub(crate) fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// Authenticates the request and checks access to the `{organizer}` in its path with the
/// permission `needs` asks for this method.
pub(crate) async fn organizer_context(
    req: &HttpRequest,
    needs: Needs,
) -> Result<(Principal, Organizer), ApiError> {
    let principal = authenticate(req).await?;
    let state = state_of(req)?;
    let slug = req.match_info().get("organizer").unwrap_or_default();
    let organizer = organizer_access(
        state.store.organizers(),
        &principal,
        slug,
        needs.required(&principal, req.method())?,
    )
    .await?;
    Ok((principal, organizer))
}

/// Authenticates the request and checks access to the `{organizer}` and `{event}` of its
/// path: an unknown event, or one outside the credential's events, is a 403 like a foreign
/// organizer.
pub(crate) async fn event_context(
    req: &HttpRequest,
    needs: Needs,
) -> Result<(Principal, Organizer, Event), ApiError> {
    let (principal, organizer) = organizer_context(req, needs).await?;
    let state = state_of(req)?;
    let slug = req.match_info().get("event").unwrap_or_default();
    let event = state
        .store
        .events()
        .find_by_slug(organizer.id, slug)
        .await?
        .filter(|e| principal.can_access_event(e.id))
        .ok_or(ApiError::PermissionDenied)?;
    Ok((principal, organizer, event))
}

/// A resource below `/organizers/{organizer}/events/{event}/` whose 405 comes after the
/// access checks.
pub(crate) fn event_resource(
    path: &str,
    allow: &'static str,
    needs: Needs,
) -> Resource<impl Endpoint> {
    checked_resource(path, allow, move |req| async move {
        event_context(&req, needs).await.map(drop)
    })
}

/// A resource below `/organizers/{organizer}/` whose 405 comes after the access check.
pub(crate) fn organizer_resource(
    path: &str,
    allow: &'static str,
    needs: Needs,
) -> Resource<impl Endpoint> {
    checked_resource(path, allow, move |req| async move {
        organizer_context(&req, needs).await.map(drop)
    })
}
