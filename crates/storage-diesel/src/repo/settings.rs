//! Organizer and event settings: one row per own value, the value as JSON text.

use super::Database;
use crate::connection::DbConnection;
use crate::dialect::per_backend;
use crate::error::from_diesel;
use crate::schema::{event_settings, organizer_settings};
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use presale_domain::ids::EventId;
use presale_domain::ids::OrganizerId;
use presale_domain::settings::{SettingChange, SettingsRepository};
use presale_domain::RepositoryError;
use serde_json::Value;

/// Rows of (key, JSON text) as values; a row that is not JSON is a corrupt database.
fn decode(
    owner: &str,
    rows: Vec<(String, String)>,
) -> Result<Vec<(String, Value)>, RepositoryError> {
    rows.into_iter()
        .map(|(key, text)| {
            serde_json::from_str(&text)
                .map(|value| (key.clone(), value))
                .map_err(|e| RepositoryError::Internal(format!("{owner} setting {key}: {e}")))
        })
        .collect()
}

/// Sets or removes one organizer value.
pub(super) fn change_organizer(
    conn: &mut DbConnection,
    organizer: i64,
    key: String,
    value: Option<Value>,
) -> QueryResult<()> {
    use organizer_settings::dsl as s;
    match value {
        Some(value) => {
            let upsert = diesel::insert_into(s::organizer_settings)
                .values((
                    s::organizer_id.eq(organizer),
                    s::key.eq(key),
                    s::value.eq(value.to_string()),
                ))
                .on_conflict((s::organizer_id, s::key))
                .do_update()
                .set(s::value.eq(excluded(s::value)));
            per_backend!(conn, |c| upsert.execute(c))?;
        }
        None => {
            diesel::delete(
                s::organizer_settings
                    .filter(s::organizer_id.eq(organizer))
                    .filter(s::key.eq(key)),
            )
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Sets or removes one event value.
pub(super) fn change_event(
    conn: &mut DbConnection,
    event: i64,
    key: String,
    value: Option<Value>,
) -> QueryResult<()> {
    use event_settings::dsl as s;
    match value {
        Some(value) => {
            let upsert = diesel::insert_into(s::event_settings)
                .values((
                    s::event_id.eq(event),
                    s::key.eq(key),
                    s::value.eq(value.to_string()),
                ))
                .on_conflict((s::event_id, s::key))
                .do_update()
                .set(s::value.eq(excluded(s::value)));
            per_backend!(conn, |c| upsert.execute(c))?;
        }
        None => {
            diesel::delete(
                s::event_settings
                    .filter(s::event_id.eq(event))
                    .filter(s::key.eq(key)),
            )
            .execute(conn)?;
        }
    }
    Ok(())
}

#[async_trait]
impl SettingsRepository for Database {
    async fn organizer_values(
        &self,
        organizer: OrganizerId,
    ) -> Result<Vec<(String, Value)>, RepositoryError> {
        self.read(move |conn| {
            let rows = organizer_settings::table
                .filter(organizer_settings::organizer_id.eq(organizer.0))
                .order(organizer_settings::key.asc())
                .select((organizer_settings::key, organizer_settings::value))
                .load::<(String, String)>(conn)
                .map_err(from_diesel)?;
            decode(&format!("organizer {}", organizer.0), rows)
        })
        .await
    }

    async fn change_organizer_values(
        &self,
        organizer: OrganizerId,
        changes: Vec<SettingChange>,
    ) -> Result<(), RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                changes
                    .into_iter()
                    .try_for_each(|(key, value)| change_organizer(conn, organizer.0, key, value))
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn event_values(&self, event: EventId) -> Result<Vec<(String, Value)>, RepositoryError> {
        self.read(move |conn| {
            let rows = event_settings::table
                .filter(event_settings::event_id.eq(event.0))
                .order(event_settings::key.asc())
                .select((event_settings::key, event_settings::value))
                .load::<(String, String)>(conn)
                .map_err(from_diesel)?;
            decode(&format!("event {}", event.0), rows)
        })
        .await
    }

    async fn change_event_values(
        &self,
        event: EventId,
        changes: Vec<SettingChange>,
    ) -> Result<(), RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                changes
                    .into_iter()
                    .try_for_each(|(key, value)| change_event(conn, event.0, key, value))
            })
            .map_err(from_diesel)
        })
        .await
    }
}
