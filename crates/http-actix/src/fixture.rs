//! The API's own readers and renderers of each resource, for fixture documents
//! (`presale seed`, `presale export`): an entry of a document is read exactly as the matching
//! full (`POST`/`PUT`) body would be, with the same messages, and an export shows each
//! resource as the API shows it.

pub use crate::fields::{boolean, integer, string, string_list};
pub use crate::routes::devices::{read_changes as device, render as render_device};
pub use crate::routes::digital_contents::{
    content_changes as digital_content, render as render_digital_content,
};
pub use crate::routes::events::render_detached as render_event;
pub use crate::routes::events::wire::event_changes as event;
pub use crate::routes::imported_secrets::{
    imported_secret_changes as imported_secret, render as render_imported_secret,
};
pub use crate::routes::items::{
    item_changes as item, render_item, render_variation, variation_changes as variation,
};
pub use crate::routes::meta_properties::render as render_meta_property;
pub use crate::routes::quotas::{quota_changes as quota, render as render_quota};
pub use crate::routes::sales_channels::render as render_sales_channel;
pub use crate::routes::subevents::{render as render_subevent, subevent_changes as subevent};
pub use crate::routes::teams::{render as render_team, render_token};
use crate::routes::{meta_properties, sales_channels, teams};
use presale_domain::meta::MetaPropertyFields;
use presale_domain::sales_channel::{SalesChannel, SalesChannelFields};
use presale_domain::team::TeamFields;
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use serde_json::{Map, Value};

/// A full (PUT) meta property body.
pub fn meta_property(body: &Map<String, Value>) -> Result<MetaPropertyFields, FieldErrors> {
    let (changes, errors) = meta_properties::read(body);
    changes.apply_to(MetaPropertyFields::defaults(), WriteMode::Create, errors)
}

/// A full (PUT) sales channel body; `existing` is the stored channel it replaces.
pub fn sales_channel(
    body: &Map<String, Value>,
    existing: Option<&SalesChannel>,
) -> Result<SalesChannelFields, FieldErrors> {
    let (changes, errors) = sales_channels::read(body);
    let mode = existing.map_or(WriteMode::Create, |_| WriteMode::Replace);
    changes.apply_to(existing, mode, errors)
}

/// A full (PUT) team body, without tokens.
pub fn team(body: &Map<String, Value>) -> (TeamFields, FieldErrors) {
    let (changes, errors) = teams::read_changes(body);
    changes.apply_to(TeamFields::default(), WriteMode::Create, errors)
}
