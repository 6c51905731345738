//! The API's body readers for fixture documents (`presale seed`): each entry of a document is
//! read exactly as the matching request body would be, with the same messages.

use crate::fields;
use crate::routes::{
    devices, digital_contents, events, imported_secrets, items, meta_properties, quotas,
    sales_channels, subevents, teams,
};
use presale_domain::device::DeviceChanges;
use presale_domain::digital_content::DigitalContentChanges;
use presale_domain::event::EventChanges;
use presale_domain::imported_secret::SecretChanges;
use presale_domain::item::{ItemChanges, ItemErrors, VariationChanges};
use presale_domain::meta::MetaPropertyFields;
use presale_domain::quota::QuotaChanges;
use presale_domain::sales_channel::{SalesChannel, SalesChannelFields};
use presale_domain::seed::ApiReader;
use presale_domain::subevent::SubEventChanges;
use presale_domain::team::TeamFields;
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use serde_json::{Map, Value};

/// [`ApiReader`] with the REST API's own readers: entries are read as full (`POST`/`PUT`)
/// bodies of their resource.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiBodyReader;

impl ApiReader for ApiBodyReader {
    fn event(&self, body: &Map<String, Value>) -> (EventChanges, FieldErrors) {
        events::input::event_changes(body)
    }

    fn meta_property(&self, body: &Map<String, Value>) -> Result<MetaPropertyFields, FieldErrors> {
        meta_properties::read_fields(body, MetaPropertyFields::default(), true)
    }

    fn sales_channel(
        &self,
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

    fn team(&self, body: &Map<String, Value>) -> (TeamFields, FieldErrors) {
        teams::read_fields(body, TeamFields::default(), true)
    }

    fn item(&self, body: &Map<String, Value>) -> (ItemChanges, ItemErrors) {
        items::item_changes(body)
    }

    fn variation(&self, body: &Map<String, Value>) -> (VariationChanges, FieldErrors) {
        items::variation_changes(body)
    }

    fn quota(&self, body: &Map<String, Value>) -> (QuotaChanges, FieldErrors) {
        quotas::quota_changes(body)
    }

    fn subevent(&self, body: &Map<String, Value>) -> (SubEventChanges, FieldErrors) {
        subevents::subevent_changes(body)
    }

    fn digital_content(&self, body: &Map<String, Value>) -> (DigitalContentChanges, FieldErrors) {
        digital_contents::content_changes(body)
    }

    fn imported_secret(&self, body: &Value) -> SecretChanges {
        imported_secrets::imported_secret_changes(body)
    }

    fn device(&self, body: &Map<String, Value>) -> (DeviceChanges, FieldErrors) {
        devices::read_changes(body)
    }

    fn string(&self, value: &Value, allow_blank: bool) -> Result<String, String> {
        fields::string(value, allow_blank).map_err(str::to_owned)
    }

    fn boolean(&self, value: &Value) -> Result<bool, String> {
        fields::boolean(value).map_err(str::to_owned)
    }

    fn integer(&self, value: &Value) -> Result<i64, String> {
        fields::integer(value).map_err(str::to_owned)
    }

    fn string_list(&self, value: &Value) -> Result<Vec<String>, String> {
        fields::string_list(value)
    }
}
