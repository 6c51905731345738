//! The API's OpenAPI 3.1 document, made from the route table: every entry of the table that
//! mounts routes also describes them (`routes::API`), a [`Resource`](crate::routes) describes
//! its seven operations from its own declaration (body type, id, filters as its reader asks
//! for them, permissions), and the error answers come from what the operation takes (a
//! credential, a path, a body, filters). Served at `GET /api/v1/openapi.json` without
//! credentials; `docs/openapi.json` is the same text, checked in.

use crate::query::{Param, ParamKind};
use actix_web::{HttpResponse, Responder};
use serde_json::{json, Value};
use std::sync::OnceLock;
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required,
    ResponseBuilder, Tag,
};
use utoipa::ToSchema;

/// Where every path of the API lives.
pub(crate) const API_ROOT: &str = "/api/v1";

/// The error answers operations share, by the name [`Op::add`] refers to them with: name,
/// description, schema.
const SHARED_ERRORS: &[(&str, &str, &str)] = &[
    (
        "Invalid",
        "The body could not be read or was refused: the errors by field (or, as for any \
         request, a null character in the query string).",
        "ValidationErrors",
    ),
    (
        "InvalidFilter",
        "A filter could not be read: the errors by parameter (or, as for any request, a null \
         character in the query string).",
        "ValidationErrors",
    ),
    (
        "Unreadable",
        "A null character in the query string.",
        "Detail",
    ),
    (
        "Unauthenticated",
        "No credential, or one that is not valid.",
        "Detail",
    ),
    (
        "PermissionDenied",
        "The credential may not do this here (or the organizer or event does not exist).",
        "Detail",
    ),
    (
        "NotFound",
        "Not found: an unknown id, or a page past the last.",
        "Detail",
    ),
    (
        "Conflict",
        "A request with the same idempotency key is still being answered.",
        "Detail",
    ),
    (
        "UnsupportedMediaType",
        "The body is neither JSON, form data nor multipart.",
        "Detail",
    ),
    ("Unavailable", "The database is unavailable.", "Detail"),
];

/// The credential an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// None (`/healthz`, `/device/initialize`, this document).
    Public,
    /// A team's API token.
    Token,
    /// A team's API token, or a device's within the events it may read.
    TokenOrDevice,
    /// A device's API token only.
    Device,
}

/// The document being made.
pub(crate) struct Doc {
    paths: Paths,
    components: Components,
    tags: Vec<Tag>,
}

impl Doc {
    fn new() -> Self {
        let mut components = Components::new();
        components.security_schemes.insert(
            "Token".into(),
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "A team's API token: `Authorization: Token <token>`.",
            ))),
        );
        components.security_schemes.insert(
            "Device".into(),
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "A device's API token: `Authorization: Device <token>`.",
            ))),
        );
        let mut doc = Doc {
            paths: Paths::new(),
            components,
            tags: Vec::new(),
        };
        doc.component("Detail", detail_schema());
        doc.component("ValidationErrors", validation_errors_schema());
        for (name, what, schema) in SHARED_ERRORS {
            let response = ResponseBuilder::new().description(*what).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(*schema)))
                    .build(),
            );
            doc.components
                .responses
                .insert((*name).to_owned(), response.build().into());
        }
        doc
    }

    /// A `$ref` to `T`'s schema, registered with the schemas it refers to.
    pub(crate) fn schema<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        for (name, schema) in nested {
            self.components.schemas.entry(name).or_insert(schema);
        }
        let name = T::name().into_owned();
        self.components
            .schemas
            .entry(name.clone())
            .or_insert_with(T::schema);
        Ref::from_schema_name(name).into()
    }

    /// `T`'s schema with no field required: the body of a partial update (`PATCH`).
    pub(crate) fn partial<T: ToSchema>(&mut self) -> RefOr<Schema> {
        self.schema::<T>();
        let name = format!("Patched{}", T::name());
        let mut schema = T::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required.clear();
        }
        self.components
            .schemas
            .entry(name.clone())
            .or_insert(schema);
        Ref::from_schema_name(name).into()
    }

    /// A page of `T`s: `{count, next, previous, results}`.
    pub(crate) fn page_of<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let item = self.schema::<T>();
        let link = || {
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .format(Some(SchemaFormat::Custom("uri".into())))
        };
        let page = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "count",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .property("next", link())
            .property("previous", link())
            .property("results", ArrayBuilder::new().items(item))
            .required("count")
            .required("next")
            .required("previous")
            .required("results")
            .into();
        self.component(&format!("Paginated{}List", T::name()), page)
    }

    /// A `$ref` to a schema made by hand, registered under `name`.
    pub(crate) fn component(&mut self, name: &str, schema: Schema) -> RefOr<Schema> {
        self.components
            .schemas
            .entry(name.to_owned())
            .or_insert(RefOr::T(schema));
        Ref::from_schema_name(name).into()
    }

    /// Starts an operation on `path` (below `/api/v1` unless it starts with `//`, which is
    /// taken from the root without one of the slashes: `//healthz`).
    pub(crate) fn op(
        &mut self,
        method: HttpMethod,
        path: &str,
        id: &str,
        tag: &str,
        summary: &str,
        auth: Auth,
    ) -> Op<'_> {
        if !self.tags.iter().any(|t| t.name == tag) {
            self.tags.push(Tag::new(tag));
        }
        let path = match path.strip_prefix('/').filter(|p| p.starts_with('/')) {
            Some(root) => root.to_owned(),
            None => format!("{API_ROOT}{path}"),
        };
        let mut operation = Operation::new();
        operation.operation_id = Some(id.to_owned());
        operation.tags = Some(vec![tag.to_owned()]);
        operation.summary = Some(summary.to_owned());
        Op {
            doc: self,
            method,
            path,
            operation,
            auth,
            path_params: Vec::new(),
            has_body: false,
            bad_query: false,
            answers: Vec::new(),
            links: Vec::new(),
        }
    }

    fn into_openapi(self) -> OpenApi {
        let mut components = self.components;
        let mut openapi = OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("Presale: pretix REST API v1 (organizer side)")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(DESCRIPTION))
                    .build(),
            )
            .paths(self.paths)
            .tags(Some(self.tags))
            .build();
        // Components are kept sorted by name, so that the document is the same on every run.
        components.schemas = components.schemas.into_iter().collect();
        openapi.components = Some(components);
        openapi
    }
}

const DESCRIPTION: &str = "The organizer side of pretix's REST API v1: organizers, teams and \
their tokens, events (with settings and cloning), products, variations, quotas, sub-events, \
digital contents, imported ticket secrets, meta properties, sales channels, devices and the \
device API. Lists are paged (`page`, `page_size` up to 50) in `{count, next, previous, \
results}`; errors are `{\"detail\": ...}` or an object of field errors, as in pretix. A write \
that carries `X-Idempotency-Key` is answered once and replayed for the same key.";

/// One operation being described; [`Op::add`] puts it in the document.
pub(crate) struct Op<'d> {
    doc: &'d mut Doc,
    method: HttpMethod,
    path: String,
    operation: Operation,
    auth: Auth,
    path_params: Vec<(String, Schema)>,
    has_body: bool,
    bad_query: bool,
    answers: Vec<(u16, String, Option<RefOr<Schema>>)>,
    links: Vec<(u16, String, Link)>,
}

impl Op<'_> {
    /// The schema of a path placeholder other than a slug (`{id}`: an integer).
    pub(crate) fn path_param(mut self, name: &str, schema: Schema) -> Self {
        self.path_params.push((name.to_owned(), schema));
        self
    }

    /// Query parameters as a reader asked for them ([`crate::query::Query::recording`]).
    pub(crate) fn query(mut self, params: Vec<Param>) -> Self {
        for p in params {
            self.bad_query |= p.kind.can_be_refused();
            let schema = p.kind.schema();
            self.operation.parameters.get_or_insert_with(Vec::new).push(
                ParameterBuilder::new()
                    .name(p.name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(p.kind.description())
                    .schema(Some(schema))
                    .build(),
            );
        }
        self
    }

    /// A JSON request body.
    pub(crate) fn body(mut self, schema: RefOr<Schema>) -> Self {
        self.has_body = true;
        self.operation.request_body = Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(schema)).build(),
                )
                .required(Some(Required::True))
                .build(),
        );
        self
    }

    /// A successful answer with a JSON body (or none, for `204`).
    pub(crate) fn answer(mut self, status: u16, what: &str, schema: Option<RefOr<Schema>>) -> Self {
        self.answers.push((status, what.to_owned(), schema));
        self
    }

    /// A link from the `status` answer to the operation `target` on the member it names: the
    /// path's own placeholders as they were sent, and `{id}` from the answer's `id_field`.
    pub(crate) fn link(mut self, status: u16, target: &str, id_field: &str) -> Self {
        let mut link = LinkBuilder::new().operation_id(target);
        for name in placeholders(&self.path) {
            link = link.parameter(name.clone(), format!("$request.path.{name}"));
        }
        link = link.parameter("id", format!("$response.body#/{id_field}"));
        self.links.push((status, target.to_owned(), link.build()));
        self
    }

    /// [`Op::link`] when `present` (the target operation exists).
    pub(crate) fn link_if(self, present: bool, status: u16, target: &str, id_field: &str) -> Self {
        if present {
            self.link(status, target, id_field)
        } else {
            self
        }
    }

    /// An error answer beyond those the operation's shape implies.
    pub(crate) fn error(mut self, status: u16, what: &str, schema: RefOr<Schema>) -> Self {
        self.answers.push((status, what.to_owned(), Some(schema)));
        self
    }

    /// Puts the operation in the document, with its path parameters, security and the error
    /// answers its shape implies.
    pub(crate) fn add(mut self) {
        for name in placeholders(&self.path) {
            let schema = self
                .path_params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| string_schema(None));
            self.operation
                .parameters
                .get_or_insert_with(Vec::new)
                .insert(
                    0,
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(schema))
                        .build(),
                );
        }
        // Path parameters in the order of the path.
        if let Some(params) = &mut self.operation.parameters {
            let order = placeholders(&self.path);
            params.sort_by_key(|p: &Parameter| {
                order
                    .iter()
                    .position(|n| *n == p.name)
                    .unwrap_or(order.len())
            });
        }
        let writes = !matches!(self.method, HttpMethod::Get | HttpMethod::Head);
        let credential = self.auth != Auth::Public;
        let mut shared: Vec<(u16, &str)> = Vec::new();
        if self.has_body {
            shared.push((400, "Invalid"));
        } else if self.bad_query {
            shared.push((400, "InvalidFilter"));
        } else {
            shared.push((400, "Unreadable"));
        }
        if credential {
            shared.extend([(401, "Unauthenticated"), (403, "PermissionDenied")]);
        }
        if !placeholders(&self.path).is_empty() || self.bad_query {
            shared.push((404, "NotFound"));
        }
        if writes && credential {
            shared.push((409, "Conflict"));
            self.operation.parameters.get_or_insert_with(Vec::new).push(
                ParameterBuilder::new()
                    .name("X-Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "Answer this write once: a repeat with the same key (and credential) \
                         gets the stored answer.",
                    ))
                    .schema(Some(string_schema(None)))
                    .build(),
            );
        }
        if self.has_body {
            shared.push((415, "UnsupportedMediaType"));
        }
        shared.push((503, "Unavailable"));
        let responses = &mut self.operation.responses.responses;
        // The operation's own answers first: they take the place of a shared one.
        for (status, what, schema) in self.answers {
            let mut response = ResponseBuilder::new().description(what);
            if let Some(schema) = schema {
                response = response.content(
                    "application/json",
                    ContentBuilder::new().schema(Some(schema)).build(),
                );
            }
            for (_, target, link) in self.links.iter().filter(|(s, _, _)| *s == status) {
                response = response.link(target.clone(), link.clone());
            }
            responses
                .entry(status.to_string())
                .or_insert(response.build().into());
        }
        for (status, name) in shared {
            responses
                .entry(status.to_string())
                .or_insert(RefOr::Ref(Ref::new(format!(
                    "#/components/responses/{name}"
                ))));
        }
        let schemes: &[&str] = match self.auth {
            Auth::Public => &[],
            Auth::Token => &["Token"],
            Auth::TokenOrDevice => &["Token", "Device"],
            Auth::Device => &["Device"],
        };
        if !schemes.is_empty() {
            self.operation.security = Some(
                schemes
                    .iter()
                    .map(|s| SecurityRequirement::new(*s, Vec::<String>::new()))
                    .collect(),
            );
        }
        self.doc
            .paths
            .add_path_operation(&self.path, vec![self.method], self.operation);
    }
}

/// The `{name}`s of a path, in order.
fn placeholders(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

fn string_schema(format: Option<KnownFormat>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(format.map(SchemaFormat::KnownFormat))
        .into()
}

/// A string that is one of `values`.
pub(crate) fn choice(values: impl IntoIterator<Item = &'static str>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

/// An integer path or query parameter (an id).
pub(crate) fn integer_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .into()
}

/// The query parameters of a list that has no filters: `page` and `page_size`.
pub(crate) fn paged() -> Vec<Param> {
    let query = crate::query::Query::recording();
    let _ = crate::pagination::PageRequest::from_query(&query);
    query.asked()
}

/// `{"detail": "..."}`: every error that is not about fields.
fn detail_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("detail", string_schema(None))
        .required("detail")
        .description(Some("An error that is not about one field."))
        .into()
}

/// `{"field": ["message", ...], "non_field_errors": [...]}`; a list or object field has a
/// list of per-member errors (`{"variations": [{}, {"value": ["..."]}]}`), and a body that is
/// not an object has `non_field_errors` alone. A malformed body is `{"detail": "..."}`.
fn validation_errors_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("detail", string_schema(None))
        .property(
            "non_field_errors",
            ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
        )
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([
                    Type::Array,
                    Type::Object,
                    Type::String,
                ]))
                .into(),
        ))))
        .description(Some(
            "The errors of a request: by field (a list of messages, or for a list or object \
             field the errors of each member), `non_field_errors`, or `detail` for a body that \
             could not be read.",
        ))
        .into()
}

impl ParamKind {
    /// The values the reader takes without a 400 or 404 are what the schema allows: a flag or
    /// a page size that cannot be read is ignored, as in pretix, so those are any text.
    fn schema(&self) -> Schema {
        match self {
            ParamKind::Text | ParamKind::Boolean | ParamKind::PageSize | ParamKind::Ordering(_) => {
                string_schema(None)
            }
            ParamKind::Integer => integer_schema(),
            ParamKind::DateTime => string_schema(Some(KnownFormat::DateTime)),
            ParamKind::Page => Schema::AnyOf(
                AnyOfBuilder::new()
                    .item(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )
                    .item(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(["last"])),
                    )
                    .build(),
            ),
        }
    }

    fn description(&self) -> Option<String> {
        match self {
            ParamKind::Ordering(keys) => Some(format!(
                "Comma-separated keys, each optionally with `-` for descending: {}.",
                keys.join(", ")
            )),
            ParamKind::Page => Some("The page, from 1; `last` for the last one.".into()),
            ParamKind::PageSize => Some(
                "Results per page, at most 50 (the default); a value that is not a positive \
                 number is ignored."
                    .into(),
            ),
            ParamKind::Boolean => Some(
                "`true` or `false` (or `1`, `0`, in any case); any other value does not filter."
                    .into(),
            ),
            ParamKind::DateTime => Some("An ISO 8601 date or date-time.".into()),
            _ => None,
        }
    }

    /// Whether a value of this kind can be refused with a 400 (or, for a page, a 404).
    fn can_be_refused(&self) -> bool {
        matches!(
            self,
            ParamKind::Integer | ParamKind::DateTime | ParamKind::Page
        )
    }
}

/// A multilingual text in a body: `{"en": "Concert", "de": "Konzert"}` (the schema of the
/// domain's `I18nString`, which knows nothing of documents).
pub(crate) struct I18n;

impl utoipa::PartialSchema for I18n {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(presale_domain::values::LANGUAGES.iter().copied())),
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(string_schema(
                None,
            )))))
            .description(Some(
                "A text in several languages: language code to text. In a request, a plain \
                 string is read as the English text.",
            ))
            .into()
    }
}

impl ToSchema for I18n {
    fn name() -> std::borrow::Cow<'static, str> {
        "I18nString".into()
    }
}

/// The document, made once per process.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = Doc::new();
        crate::routes::describe(&mut doc);
        doc.into_openapi()
    })
}

/// The document as pretty JSON, ending in a newline: what `GET /api/v1/openapi.json` serves
/// and `docs/openapi.json` holds.
pub fn document_json() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = serde_json::to_value(document())
            .map(|mut value| {
                spell_links(&mut value);
                value
            })
            .and_then(|value| serde_json::to_string_pretty(&value))
            .unwrap_or_else(|e| json!({"detail": e.to_string()}).to_string());
        text.push('\n');
        text
    })
}

/// The document's library writes a link's fields in snake case (`operation_id`); OpenAPI
/// spells them in camel case (`operationId`), which is what clients look for.
fn spell_links(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut() {
                    if let Value::Object(link) = link {
                        for (from, to) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(v) = link.remove(from) {
                                link.insert(to.to_owned(), v);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(spell_links);
        }
        Value::Array(items) => items.iter_mut().for_each(spell_links),
        _ => {}
    }
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn serve() -> impl Responder {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/openapi.json` is what the code makes: `make openapi` writes it.
    #[test]
    fn the_checked_in_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == document_json(),
            "docs/openapi.json differs from what the code makes: run `make openapi`"
        );
    }

    /// Every `$ref` names a component of the document.
    #[test]
    fn every_reference_resolves() {
        fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        found.push(target);
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let doc: Value = serde_json::from_str(document_json()).unwrap_or_default();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 500, "{} references", found.len());
        for target in found {
            let pointer = target.trim_start_matches('#');
            assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
        }
    }

    #[test]
    fn placeholders_are_read_in_order() {
        assert_eq!(
            placeholders("/organizers/{organizer}/teams/{team}/tokens/{token}/"),
            ["organizer", "team", "token"]
        );
        assert!(placeholders("/version").is_empty());
    }
}
