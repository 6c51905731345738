use super::{each, page, Database};
use crate::error::from_diesel;
use crate::schema::{events, organizers, sales_channels};
use async_trait::async_trait;
use diesel::prelude::*;
use presale_domain::ids::EventId;
use presale_domain::ids::OrganizerId;
use presale_domain::organizer::{Organizer, OrganizerRepository};
use presale_domain::pagination::{Page, Window};
use presale_domain::sales_channel::WEB;
use presale_domain::values::Slug;
use presale_domain::RepositoryError;

#[derive(Queryable, Selectable)]
#[diesel(table_name = organizers)]
struct OrganizerRow {
    id: i64,
    slug: String,
    name: String,
    plugins: String,
}

impl TryFrom<OrganizerRow> for Organizer {
    type Error = RepositoryError;

    fn try_from(row: OrganizerRow) -> Result<Self, RepositoryError> {
        let slug = Slug::parse(&row.slug)
            .map_err(|e| RepositoryError::Internal(format!("organizer {}: {e}", row.id)))?;
        let mut plugins: Vec<String> = serde_json::from_str(&row.plugins)
            .map_err(|e| RepositoryError::Internal(format!("organizer {} plugins: {e}", row.id)))?;
        plugins.sort();
        Ok(Organizer {
            id: OrganizerId(row.id),
            slug,
            name: row.name,
            plugins,
        })
    }
}

#[async_trait]
impl OrganizerRepository for Database {
    async fn find_by_slug(&self, slug: &str) -> Result<Option<Organizer>, RepositoryError> {
        let slug = slug.to_owned();
        let cache = self.cache.clone();
        cache
            .read_through(&cache.organizers, slug.clone(), || {
                self.read(move |conn| {
                    organizers::table
                        .filter(organizers::slug.eq(&slug))
                        .select(OrganizerRow::as_select())
                        .first(conn)
                        .optional()
                        .map_err(from_diesel)?
                        .map(Organizer::try_from)
                        .transpose()
                })
            })
            .await
    }

    async fn list(
        &self,
        ids: Vec<OrganizerId>,
        window: Window,
    ) -> Result<Page<Organizer>, RepositoryError> {
        let ids: Vec<i64> = ids.into_iter().map(|i| i.0).collect();
        self.read(move |conn| {
            let visible = organizers::table.filter(organizers::id.eq_any(&ids));
            let rows = visible
                .clone()
                .order((organizers::slug.asc(), organizers::id.asc()))
                .select(OrganizerRow::as_select());
            page(conn, visible.count(), rows, window, each)
        })
        .await
    }

    async fn create(&self, slug: Slug, name: &str) -> Result<Organizer, RepositoryError> {
        let name = name.to_owned();
        self.write(move |conn| {
            let row = conn
                .transaction(|conn| {
                    let row = diesel::insert_into(organizers::table)
                        .values((
                            organizers::slug.eq(slug.as_str()),
                            organizers::name.eq(name),
                            organizers::plugins.eq("[]"),
                        ))
                        .returning(organizers::all_columns)
                        .get_result::<OrganizerRow>(conn)?;
                    // Every organizer sells on the web shop from the start.
                    diesel::insert_into(sales_channels::table)
                        .values((
                            sales_channels::organizer_id.eq(row.id),
                            sales_channels::identifier.eq(WEB),
                            sales_channels::label.eq(r#"{"en":"Online shop"}"#),
                            sales_channels::kind.eq(WEB),
                            sales_channels::position.eq(0),
                        ))
                        .execute(conn)?;
                    Ok(row)
                })
                .map_err(from_diesel)?;
            row.try_into()
        })
        .await
    }

    async fn rename(&self, id: OrganizerId, name: &str) -> Result<Organizer, RepositoryError> {
        let name = name.to_owned();
        self.write(move |conn| {
            diesel::update(organizers::table.find(id.0))
                .set(organizers::name.eq(name))
                .returning(organizers::all_columns)
                .get_result::<OrganizerRow>(conn)
                .map_err(from_diesel)?
                .try_into()
        })
        .await
    }

    async fn set_plugins(
        &self,
        id: OrganizerId,
        plugins: Vec<String>,
        withdraw: Vec<String>,
    ) -> Result<Organizer, RepositoryError> {
        let text = serde_json::to_string(&plugins)
            .map_err(|e| RepositoryError::Internal(e.to_string()))?;
        self.write(move |conn| {
            conn.transaction(|conn| {
                let row = diesel::update(organizers::table.find(id.0))
                    .set(organizers::plugins.eq(text))
                    .returning(organizers::all_columns)
                    .get_result::<OrganizerRow>(conn)?;
                if !withdraw.is_empty() {
                    let rows: Vec<(i64, String)> = events::table
                        .filter(events::organizer_id.eq(id.0))
                        .select((events::id, events::plugins))
                        .load(conn)?;
                    for (event, json) in rows {
                        let list: Vec<String> = serde_json::from_str(&json).unwrap_or_default();
                        if !list.iter().any(|m| withdraw.contains(m)) {
                            continue;
                        }
                        let kept: Vec<&String> =
                            list.iter().filter(|m| !withdraw.contains(m)).collect();
                        let kept = serde_json::to_string(&kept).unwrap_or_else(|_| "[]".to_owned());
                        diesel::update(events::table.find(event))
                            .set(events::plugins.eq(kept))
                            .execute(conn)?;
                    }
                }
                Ok(row)
            })
            .map_err(from_diesel)?
            .try_into()
        })
        .await
    }

    async fn event_ids(
        &self,
        organizer: OrganizerId,
        slugs: Vec<String>,
    ) -> Result<Vec<(String, EventId)>, RepositoryError> {
        self.read(move |conn| {
            let rows = events::table
                .filter(events::organizer_id.eq(organizer.0))
                .filter(events::slug.eq_any(&slugs))
                .select((events::slug, events::id))
                .load::<(String, i64)>(conn)
                .map_err(from_diesel)?;
            Ok(rows.into_iter().map(|(s, id)| (s, EventId(id))).collect())
        })
        .await
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(from_diesel)?;
            Ok(())
        })
        .await
    }
}
