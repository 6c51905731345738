use super::{page, Database};
use crate::error::from_diesel;
use crate::schema::{event_meta_values, meta_properties};
use async_trait::async_trait;
use diesel::prelude::*;
use presale_domain::ids::MetaPropertyId;
use presale_domain::ids::OrganizerId;
use presale_domain::meta::{MetaProperty, MetaPropertyFields, MetaPropertyRepository};
use presale_domain::pagination::{Page, Window};
use presale_domain::RepositoryError;

#[derive(Queryable, Selectable)]
#[diesel(table_name = meta_properties)]
struct MetaPropertyRow {
    id: i64,
    organizer_id: i64,
    name: String,
    default_value: String,
    required: bool,
    allowed_values: Option<String>,
    protected: bool,
    filter_allowed: bool,
}

impl TryFrom<MetaPropertyRow> for MetaProperty {
    type Error = RepositoryError;

    fn try_from(row: MetaPropertyRow) -> Result<Self, RepositoryError> {
        let allowed_values = row
            .allowed_values
            .map(|text| serde_json::from_str::<Vec<String>>(&text))
            .transpose()
            .map_err(|e| {
                RepositoryError::Internal(format!("meta property {} allowed_values: {e}", row.id))
            })?;
        Ok(MetaProperty {
            id: MetaPropertyId(row.id),
            organizer: OrganizerId(row.organizer_id),
            name: row.name,
            default: row.default_value,
            required: row.required,
            allowed_values,
            protected: row.protected,
            filter_allowed: row.filter_allowed,
        })
    }
}

/// The columns a write sets; `allowed_values` as a JSON list, `NULL` for none.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = meta_properties, treat_none_as_null = true)]
pub(super) struct MetaPropertyChangeset {
    name: String,
    default_value: String,
    required: bool,
    allowed_values: Option<String>,
    protected: bool,
    filter_allowed: bool,
}

impl TryFrom<MetaPropertyFields> for MetaPropertyChangeset {
    type Error = RepositoryError;

    fn try_from(f: MetaPropertyFields) -> Result<Self, RepositoryError> {
        let allowed_values = f
            .allowed_values
            .map(|values| serde_json::to_string(&values))
            .transpose()
            .map_err(|e| RepositoryError::Internal(e.to_string()))?;
        Ok(MetaPropertyChangeset {
            name: f.name,
            default_value: f.default,
            required: f.required,
            allowed_values,
            protected: f.protected,
            filter_allowed: f.filter_allowed,
        })
    }
}

fn rows_into(rows: Vec<MetaPropertyRow>) -> Result<Vec<MetaProperty>, RepositoryError> {
    rows.into_iter().map(MetaProperty::try_from).collect()
}

#[async_trait]
impl MetaPropertyRepository for Database {
    async fn all(&self, organizer: OrganizerId) -> Result<Vec<MetaProperty>, RepositoryError> {
        self.read(move |conn| {
            let rows = meta_properties::table
                .filter(meta_properties::organizer_id.eq(organizer.0))
                .order((meta_properties::name.asc(), meta_properties::id.asc()))
                .select(MetaPropertyRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            rows_into(rows)
        })
        .await
    }

    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<MetaProperty>, RepositoryError> {
        self.read(move |conn| {
            let of_organizer =
                meta_properties::table.filter(meta_properties::organizer_id.eq(organizer.0));
            let rows = of_organizer
                .order(meta_properties::id.asc())
                .select(MetaPropertyRow::as_select());
            page(conn, of_organizer.count(), rows, window, |_, rows| {
                rows_into(rows)
            })
        })
        .await
    }

    async fn find(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
    ) -> Result<Option<MetaProperty>, RepositoryError> {
        self.read(move |conn| {
            meta_properties::table
                .filter(meta_properties::organizer_id.eq(organizer.0))
                .filter(meta_properties::id.eq(id.0))
                .select(MetaPropertyRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .map(MetaProperty::try_from)
                .transpose()
        })
        .await
    }

    async fn create(
        &self,
        organizer: OrganizerId,
        fields: MetaPropertyFields,
    ) -> Result<MetaProperty, RepositoryError> {
        let values = MetaPropertyChangeset::try_from(fields)?;
        self.write(move |conn| {
            diesel::insert_into(meta_properties::table)
                .values((meta_properties::organizer_id.eq(organizer.0), values))
                .returning(meta_properties::all_columns)
                .get_result::<MetaPropertyRow>(conn)
                .map_err(from_diesel)?
                .try_into()
        })
        .await
    }

    async fn update(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
        fields: MetaPropertyFields,
    ) -> Result<Option<MetaProperty>, RepositoryError> {
        let changes = MetaPropertyChangeset::try_from(fields)?;
        self.write(move |conn| {
            diesel::update(
                meta_properties::table
                    .filter(meta_properties::organizer_id.eq(organizer.0))
                    .filter(meta_properties::id.eq(id.0)),
            )
            .set(changes)
            .returning(meta_properties::all_columns)
            .get_result::<MetaPropertyRow>(conn)
            .optional()
            .map_err(from_diesel)?
            .map(MetaProperty::try_from)
            .transpose()
        })
        .await
    }

    async fn delete(
        &self,
        organizer: OrganizerId,
        id: MetaPropertyId,
    ) -> Result<bool, RepositoryError> {
        self.write(move |conn| {
            conn.transaction(|conn| {
                let owned = meta_properties::table
                    .filter(meta_properties::organizer_id.eq(organizer.0))
                    .filter(meta_properties::id.eq(id.0));
                // The event values go first and explicitly, not only through the foreign
                // key's cascade, so that they never outlive their property.
                diesel::delete(event_meta_values::table.filter(
                    event_meta_values::property_id.eq_any(owned.select(meta_properties::id)),
                ))
                .execute(conn)?;
                diesel::delete(owned).execute(conn).map(|n| n > 0)
            })
            .map_err(from_diesel)
        })
        .await
    }
}
