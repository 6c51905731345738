//! The API's own readers and renderers of each resource, for fixture documents
//! (`presale seed`, `presale export`): an entry of a document is read exactly as the matching
//! `POST`/`PUT` body would be, with the same messages, and an export shows each resource as
//! the API shows it.

use crate::fields;
use crate::routes::{
    devices, digital_contents, events, imported_secrets, items, meta_properties, quotas,
    sales_channels, subevents, teams,
};
use presale_domain::auth::{ApiToken, TeamWithEvents};
use presale_domain::device::{Device, DeviceChanges};
use presale_domain::digital_content::{DigitalContent, DigitalContentChanges};
use presale_domain::event::{Event, EventChanges};
use presale_domain::imported_secret::{ImportedSecret, SecretChanges};
use presale_domain::item::{Item, ItemChanges, ItemErrors, ItemVariation, VariationChanges};
use presale_domain::meta::{MetaProperty, MetaPropertyFields};
use presale_domain::quota::{Quota, QuotaChanges};
use presale_domain::sales_channel::{SalesChannel, SalesChannelFields};
use presale_domain::subevent::{SubEvent, SubEventChanges};
use presale_domain::team::TeamFields;
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use serde_json::{Map, Value};

pub fn event(body: &Map<String, Value>) -> (EventChanges, FieldErrors) {
    events::input::event_changes(body)
}

/// A full (PUT) meta property body.
pub fn meta_property(body: &Map<String, Value>) -> Result<MetaPropertyFields, FieldErrors> {
    meta_properties::read_fields(body, MetaPropertyFields::default(), true)
}

/// A full (PUT) sales channel body; `existing` is the stored channel it replaces.
pub fn sales_channel(
    body: &Map<String, Value>,
    existing: Option<&SalesChannel>,
) -> Result<SalesChannelFields, FieldErrors> {
    let base = match existing {
        Some(channel) => channel.fields(),
        None => SalesChannelFields {
            identifier: String::new(),
            label: I18nString::default(),
            kind: presale_domain::sales_channel::API.to_owned(),
            position: 0,
        },
    };
    sales_channels::read_fields(body, base, existing, true)
}

/// A full (PUT) team body, without tokens.
pub fn team(body: &Map<String, Value>) -> (TeamFields, FieldErrors) {
    teams::read_fields(body, TeamFields::default(), true)
}

pub fn item(body: &Map<String, Value>) -> (ItemChanges, ItemErrors) {
    items::item_changes(body)
}

pub fn variation(body: &Map<String, Value>) -> (VariationChanges, FieldErrors) {
    items::variation_changes(body)
}

pub fn quota(body: &Map<String, Value>) -> (QuotaChanges, FieldErrors) {
    quotas::quota_changes(body)
}

pub fn subevent(body: &Map<String, Value>) -> (SubEventChanges, FieldErrors) {
    subevents::subevent_changes(body)
}

pub fn digital_content(body: &Map<String, Value>) -> (DigitalContentChanges, FieldErrors) {
    digital_contents::content_changes(body)
}

pub fn imported_secret(body: &Value) -> SecretChanges {
    imported_secrets::imported_secret_changes(body)
}

pub fn device(body: &Map<String, Value>) -> (DeviceChanges, FieldErrors) {
    devices::read_changes(body)
}

/// A string field (trimmed; blank refused unless `allow_blank`).
pub fn string(value: &Value, allow_blank: bool) -> Result<String, String> {
    fields::string(value, allow_blank).map_err(str::to_owned)
}

pub fn boolean(value: &Value) -> Result<bool, String> {
    fields::boolean(value).map_err(str::to_owned)
}

pub fn integer(value: &Value) -> Result<i64, String> {
    fields::integer(value).map_err(str::to_owned)
}

pub fn string_list(value: &Value) -> Result<Vec<String>, String> {
    fields::string_list(value)
}

/// An event as the API shows it (no `valid_keys`; links without a host).
pub fn render_event(event: &Event, organizer_slug: &str) -> Value {
    events::render_detached(event, organizer_slug)
}

pub fn render_item(item: &Item) -> Value {
    items::render_item(item)
}

pub fn render_variation(variation: &ItemVariation) -> Value {
    items::render_variation(variation)
}

pub fn render_subevent(subevent: &SubEvent, event: &Event) -> Value {
    subevents::render(subevent, event)
}

pub fn render_quota(quota: &Quota) -> Value {
    quotas::render(quota)
}

pub fn render_digital_content(content: &DigitalContent) -> Value {
    digital_contents::render(content)
}

pub fn render_imported_secret(secret: &ImportedSecret) -> Value {
    imported_secrets::render(secret)
}

pub fn render_meta_property(property: &MetaProperty) -> Value {
    meta_properties::render(property)
}

pub fn render_sales_channel(channel: &SalesChannel) -> Value {
    sales_channels::render(channel)
}

pub fn render_team(team: &TeamWithEvents) -> Value {
    teams::render(team)
}

pub fn render_token(token: &ApiToken) -> Value {
    teams::render_token(token)
}

pub fn render_device(device: &Device) -> Value {
    devices::render(device)
}
