use super::{page, Database};
use crate::error::from_diesel;
use crate::schema::{event_sales_channels, sales_channels};
use async_trait::async_trait;
use diesel::prelude::*;
use presale_domain::ids::OrganizerId;
use presale_domain::pagination::{Page, Window};
use presale_domain::sales_channel::{SalesChannel, SalesChannelFields, SalesChannelRepository};
use presale_domain::values::I18nString;
use presale_domain::RepositoryError;

/// Every column but the id, which the API never shows.
type Columns = (
    sales_channels::organizer_id,
    sales_channels::identifier,
    sales_channels::label,
    sales_channels::kind,
    sales_channels::position,
);

const COLUMNS: Columns = (
    sales_channels::organizer_id,
    sales_channels::identifier,
    sales_channels::label,
    sales_channels::kind,
    sales_channels::position,
);

#[derive(Queryable)]
struct SalesChannelRow {
    organizer_id: i64,
    identifier: String,
    label: String,
    kind: String,
    position: i64,
}

impl TryFrom<SalesChannelRow> for SalesChannel {
    type Error = RepositoryError;

    fn try_from(row: SalesChannelRow) -> Result<Self, RepositoryError> {
        let label = I18nString::from_json_str(&row.label).map_err(|e| {
            RepositoryError::Internal(format!("sales channel {} label: {e}", row.identifier))
        })?;
        Ok(SalesChannel {
            organizer: OrganizerId(row.organizer_id),
            identifier: row.identifier,
            label,
            kind: row.kind,
            position: row.position,
        })
    }
}

fn rows_into(rows: Vec<SalesChannelRow>) -> Result<Vec<SalesChannel>, RepositoryError> {
    rows.into_iter().map(SalesChannel::try_from).collect()
}

#[async_trait]
impl SalesChannelRepository for Database {
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<SalesChannel>, RepositoryError> {
        let cache = self.cache.clone();
        let channels = cache
            .read_through(&cache.channels, organizer.0, || async {
                self.read(move |conn| {
                    let rows = sales_channels::table
                        .filter(sales_channels::organizer_id.eq(organizer.0))
                        .order((
                            sales_channels::position.asc(),
                            sales_channels::identifier.asc(),
                        ))
                        .select(COLUMNS)
                        .load::<SalesChannelRow>(conn)
                        .map_err(from_diesel)?;
                    rows_into(rows).map(Some)
                })
                .await
            })
            .await?;
        Ok(channels.unwrap_or_default())
    }

    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<SalesChannel>, RepositoryError> {
        self.read(move |conn| {
            let of_organizer =
                sales_channels::table.filter(sales_channels::organizer_id.eq(organizer.0));
            let rows = of_organizer
                .order((
                    sales_channels::position.asc(),
                    sales_channels::identifier.asc(),
                ))
                .select(COLUMNS);
            page(conn, of_organizer.count(), rows, window, |_, rows| {
                rows_into(rows)
            })
        })
        .await
    }

    async fn find(
        &self,
        organizer: OrganizerId,
        identifier: &str,
    ) -> Result<Option<SalesChannel>, RepositoryError> {
        let identifier = identifier.to_owned();
        self.read(move |conn| {
            sales_channels::table
                .filter(sales_channels::organizer_id.eq(organizer.0))
                .filter(sales_channels::identifier.eq(&identifier))
                .select(COLUMNS)
                .first::<SalesChannelRow>(conn)
                .optional()
                .map_err(from_diesel)?
                .map(SalesChannel::try_from)
                .transpose()
        })
        .await
    }

    async fn create(
        &self,
        organizer: OrganizerId,
        fields: SalesChannelFields,
    ) -> Result<SalesChannel, RepositoryError> {
        self.write(move |conn| {
            diesel::insert_into(sales_channels::table)
                .values((
                    sales_channels::organizer_id.eq(organizer.0),
                    sales_channels::identifier.eq(fields.identifier),
                    sales_channels::label.eq(fields.label.to_json_string()),
                    sales_channels::kind.eq(fields.kind),
                    sales_channels::position.eq(fields.position),
                ))
                .returning(COLUMNS)
                .get_result::<SalesChannelRow>(conn)
                .map_err(from_diesel)?
                .try_into()
        })
        .await
    }

    async fn update(
        &self,
        organizer: OrganizerId,
        identifier: &str,
        fields: SalesChannelFields,
    ) -> Result<Option<SalesChannel>, RepositoryError> {
        let identifier = identifier.to_owned();
        self.write(move |conn| {
            diesel::update(
                sales_channels::table
                    .filter(sales_channels::organizer_id.eq(organizer.0))
                    .filter(sales_channels::identifier.eq(identifier)),
            )
            .set((
                sales_channels::label.eq(fields.label.to_json_string()),
                sales_channels::kind.eq(fields.kind),
                sales_channels::position.eq(fields.position),
            ))
            .returning(COLUMNS)
            .get_result::<SalesChannelRow>(conn)
            .optional()
            .map_err(from_diesel)?
            .map(SalesChannel::try_from)
            .transpose()
        })
        .await
    }

    async fn delete(
        &self,
        organizer: OrganizerId,
        identifier: &str,
    ) -> Result<bool, RepositoryError> {
        let identifier = identifier.to_owned();
        self.write(move |conn| {
            conn.transaction(|conn| {
                let owned = sales_channels::table
                    .filter(sales_channels::organizer_id.eq(organizer.0))
                    .filter(sales_channels::identifier.eq(identifier));
                // Off every event's limit list first, explicitly, not only through the
                // foreign key's cascade.
                diesel::delete(
                    event_sales_channels::table.filter(
                        event_sales_channels::channel_id
                            .eq_any(owned.clone().select(sales_channels::id)),
                    ),
                )
                .execute(conn)?;
                diesel::delete(owned).execute(conn).map(|n| n > 0)
            })
            .map_err(from_diesel)
        })
        .await
    }
}
