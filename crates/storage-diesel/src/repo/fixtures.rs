//! The fixture port (`presale seed`, `presale export`): an organizer read whole, and a
//! validated fixture written in one transaction with the ids it gives.

use super::Database;
use crate::connection::DbConnection;
use crate::error::from_diesel;
use crate::schema::{
    api_tokens, devices, digital_contents, event_settings, events, imported_secrets,
    item_variations, items, meta_properties, organizer_settings, organizers, quotas,
    sales_channels, subevents, team_limit_events, teams,
};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use presale_domain::auth::{
    ApiToken, EventId, EventScope, NewTeam, TeamId, TeamRepository, TokenHash, TokenId,
};
use presale_domain::device::DeviceRepository;
use presale_domain::digital_content::DigitalContentRepository;
use presale_domain::event::{EventFilter, EventRepository};
use presale_domain::imported_secret::{ImportedSecretRepository, SecretFilter};
use presale_domain::item::ItemRepository;
use presale_domain::meta::{MetaPropertyFields, MetaPropertyRepository};
use presale_domain::organizer::{OrganizerId, OrganizerRepository};
use presale_domain::pagination::Window;
use presale_domain::quota::{QuotaOrder, QuotaRepository};
use presale_domain::sales_channel::{SalesChannelRepository, WEB};
use presale_domain::seed::{
    parse_token_hash, Claims, DeviceSnapshot, EventSnapshot, FixtureOrganizer, FixtureStore,
    OrganizerSnapshot, TeamSnapshot, TokenSnapshot, ValidatedFixture,
};
use presale_domain::settings::SettingsRepository;
use presale_domain::subevent::{SubEventOrder, SubEventRepository};
use presale_domain::values::WireDateTime;
use presale_domain::RepositoryError;

/// Every row of a list.
const EVERYTHING: Window = Window {
    offset: 0,
    limit: i64::MAX as u64,
};

/// A write failed: in the database, or in converting what was to be written.
enum ApplyError {
    Db(diesel::result::Error),
    Repository(RepositoryError),
}

impl From<diesel::result::Error> for ApplyError {
    fn from(e: diesel::result::Error) -> Self {
        ApplyError::Db(e)
    }
}

type Applied<T> = Result<T, ApplyError>;

fn sorted(mut values: Vec<(String, serde_json::Value)>) -> Vec<(String, serde_json::Value)> {
    values.sort_by(|a, b| a.0.cmp(&b.0));
    values
}

fn hash(hex: &str) -> Result<TokenHash, RepositoryError> {
    parse_token_hash(hex)
        .ok_or_else(|| RepositoryError::Internal("a stored token hash is corrupt".into()))
}

fn naive(t: WireDateTime) -> NaiveDateTime {
    t.utc().naive_utc()
}

#[async_trait]
impl FixtureStore for Database {
    async fn export(&self, slug: &str) -> Result<Option<OrganizerSnapshot>, RepositoryError> {
        let Some(organizer) = OrganizerRepository::find_by_slug(self, slug).await? else {
            return Ok(None);
        };
        let id = organizer.id;
        let settings = sorted(self.organizer_values(id).await?);
        let meta_properties = MetaPropertyRepository::all(self, id).await?;
        let sales_channels = SalesChannelRepository::all(self, id).await?;
        let filter = EventFilter::new(EventScope::All, WireDateTime::now());
        let mut events = Vec::new();
        for event in EventRepository::list(self, id, filter, EVERYTHING)
            .await?
            .items
        {
            let e = event.id;
            events.push(EventSnapshot {
                settings: sorted(self.event_values(e).await?),
                items: ItemRepository::all(self, e).await?,
                subevents: SubEventRepository::list(
                    self,
                    e,
                    vec![(SubEventOrder::Id, false)],
                    EVERYTHING,
                )
                .await?
                .items,
                quotas: QuotaRepository::list(self, e, vec![(QuotaOrder::Id, false)], EVERYTHING)
                    .await?
                    .items,
                digital_contents: DigitalContentRepository::list(self, e, None, EVERYTHING)
                    .await?
                    .items,
                imported_secrets: ImportedSecretRepository::list(
                    self,
                    e,
                    SecretFilter::default(),
                    EVERYTHING,
                )
                .await?
                .items,
                event,
                keys: None,
            });
        }
        let token_rows: Vec<(i64, i64, String, String, bool)> = self
            .run(move |conn| {
                api_tokens::table
                    .inner_join(teams::table)
                    .filter(teams::organizer_id.eq(id.0))
                    .order(api_tokens::id)
                    .select((
                        api_tokens::id,
                        api_tokens::team_id,
                        api_tokens::name,
                        api_tokens::token_hash,
                        api_tokens::active,
                    ))
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        let mut teams = Vec::new();
        for team in TeamRepository::list(self, id, EVERYTHING).await?.items {
            let mut tokens = Vec::new();
            for (token, team_id, name, hex, active) in &token_rows {
                if *team_id == team.team.id.0 {
                    tokens.push(TokenSnapshot {
                        token: ApiToken {
                            id: TokenId(*token),
                            team: TeamId(*team_id),
                            name: name.clone(),
                            active: *active,
                        },
                        hash: hash(hex)?,
                    });
                }
            }
            teams.push(TeamSnapshot { team, tokens });
        }
        let device_hashes: Vec<(i64, Option<String>)> = self
            .run(move |conn| {
                devices::table
                    .filter(devices::organizer_id.eq(id.0))
                    .select((devices::id, devices::api_token_hash))
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        let mut devices = Vec::new();
        for device in DeviceRepository::list(self, id, EVERYTHING).await?.items {
            let api_token = match device_hashes.iter().find(|(d, _)| *d == device.id.0) {
                Some((_, Some(hex))) => Some(hash(hex)?),
                _ => None,
            };
            devices.push(DeviceSnapshot { device, api_token });
        }
        devices.sort_by_key(|d| d.device.device_id);
        Ok(Some(OrganizerSnapshot {
            organizer,
            settings,
            meta_properties,
            sales_channels,
            events,
            teams,
            devices,
        }))
    }

    async fn taken(&self, claims: Claims) -> Result<Claims, RepositoryError> {
        if claims.is_empty() {
            return Ok(Claims::default());
        }
        self.run(move |conn| {
            let hex = |hashes: &[TokenHash]| -> Vec<String> {
                hashes.iter().map(TokenHash::to_hex).collect()
            };
            let api_hex = hex(&claims.api_tokens);
            let device_hex = hex(&claims.device_tokens);
            let found_api: Vec<String> = api_tokens::table
                .filter(api_tokens::token_hash.eq_any(&api_hex))
                .select(api_tokens::token_hash)
                .load(conn)
                .map_err(from_diesel)?;
            let found_device: Vec<Option<String>> = devices::table
                .filter(devices::api_token_hash.eq_any(&device_hex))
                .select(devices::api_token_hash)
                .load(conn)
                .map_err(from_diesel)?;
            let back = |found: Vec<String>, asked: &[TokenHash]| -> Vec<TokenHash> {
                asked
                    .iter()
                    .filter(|h| found.contains(&h.to_hex()))
                    .copied()
                    .collect()
            };
            Ok(Claims {
                items: items::table
                    .filter(items::id.eq_any(&claims.items))
                    .select(items::id)
                    .load(conn)
                    .map_err(from_diesel)?,
                variations: item_variations::table
                    .filter(item_variations::id.eq_any(&claims.variations))
                    .select(item_variations::id)
                    .load(conn)
                    .map_err(from_diesel)?,
                subevents: subevents::table
                    .filter(subevents::id.eq_any(&claims.subevents))
                    .select(subevents::id)
                    .load(conn)
                    .map_err(from_diesel)?,
                quotas: quotas::table
                    .filter(quotas::id.eq_any(&claims.quotas))
                    .select(quotas::id)
                    .load(conn)
                    .map_err(from_diesel)?,
                digital_contents: digital_contents::table
                    .filter(digital_contents::id.eq_any(&claims.digital_contents))
                    .select(digital_contents::id)
                    .load(conn)
                    .map_err(from_diesel)?,
                api_tokens: back(found_api, &claims.api_tokens),
                device_tokens: back(
                    found_device.into_iter().flatten().collect(),
                    &claims.device_tokens,
                ),
                initialization_tokens: devices::table
                    .filter(devices::initialization_token.eq_any(&claims.initialization_tokens))
                    .select(devices::initialization_token)
                    .load(conn)
                    .map_err(from_diesel)?,
                unique_serials: devices::table
                    .filter(devices::unique_serial.eq_any(&claims.unique_serials))
                    .select(devices::unique_serial)
                    .load(conn)
                    .map_err(from_diesel)?,
            })
        })
        .await
    }

    async fn apply(&self, fixture: ValidatedFixture) -> Result<(), RepositoryError> {
        self.run_invalidating(move |conn| {
            conn.transaction(|conn| {
                bump_sequences(conn, &fixture)?;
                for organizer in &fixture.organizers {
                    apply_organizer(conn, organizer)?;
                }
                Ok(())
            })
            .map_err(|e| match e {
                ApplyError::Db(e) => from_diesel(e),
                ApplyError::Repository(r) => r,
            })
        })
        .await
    }
}

/// Moves each id sequence past the largest id the fixture gives, so that rows inserted
/// without an id never take one of them.
fn bump_sequences(conn: &mut DbConnection, fixture: &ValidatedFixture) -> Applied<()> {
    let mut max = [0i64; 5];
    for e in fixture.organizers.iter().flat_map(|o| &o.snapshot.events) {
        for i in &e.items {
            max[0] = max[0].max(i.id.0);
            for v in &i.variations {
                max[1] = max[1].max(v.id.0);
            }
        }
        for x in &e.subevents {
            max[2] = max[2].max(x.id.0);
        }
        for q in &e.quotas {
            max[3] = max[3].max(q.id.0);
        }
        for c in &e.digital_contents {
            max[4] = max[4].max(c.id.0);
        }
    }
    let tables = [
        "items",
        "item_variations",
        "subevents",
        "quotas",
        "digital_contents",
    ];
    for (table, max) in tables.into_iter().zip(max) {
        if max < 1 {
            continue;
        }
        match conn {
            DbConnection::Pg(c) => {
                diesel::sql_query(format!(
                    "SELECT setval('{table}_id_seq', GREATEST($1, \
                     (SELECT COALESCE(MAX(id), 0) FROM {table}), \
                     (SELECT last_value FROM {table}_id_seq)))"
                ))
                .bind::<BigInt, _>(max)
                .execute(c)?;
            }
            DbConnection::Sqlite(c) => {
                let n = diesel::sql_query(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?",
                )
                .bind::<BigInt, _>(max)
                .bind::<Text, _>(table)
                .execute(c)?;
                if n == 0 {
                    diesel::sql_query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
                        .bind::<Text, _>(table)
                        .bind::<BigInt, _>(max)
                        .execute(c)?;
                }
            }
        }
    }
    Ok(())
}

fn json_text<T: AsRef<str>>(list: &[T]) -> Applied<String> {
    let list: Vec<&str> = list.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&list)
        .map_err(|e| ApplyError::Repository(RepositoryError::Internal(e.to_string())))
}

fn apply_organizer(conn: &mut DbConnection, f: &FixtureOrganizer) -> Applied<()> {
    let s = &f.snapshot;
    let o = &s.organizer;
    let plugins = json_text(&o.plugins)?;
    let org: i64 = if o.id.0 > 0 {
        diesel::update(organizers::table.find(o.id.0))
            .set((
                organizers::name.eq(&o.name),
                organizers::plugins.eq(&plugins),
            ))
            .execute(conn)?;
        o.id.0
    } else {
        let id: i64 = diesel::insert_into(organizers::table)
            .values((
                organizers::slug.eq(o.slug.as_str()),
                organizers::name.eq(&o.name),
                organizers::plugins.eq(&plugins),
            ))
            .returning(organizers::id)
            .get_result(conn)?;
        diesel::insert_into(sales_channels::table)
            .values((
                sales_channels::organizer_id.eq(id),
                sales_channels::identifier.eq(WEB),
                sales_channels::label.eq(r#"{"en":"Online shop"}"#),
                sales_channels::kind.eq(WEB),
                sales_channels::position.eq(0),
            ))
            .execute(conn)?;
        id
    };
    if !f.withdrawn_plugins.is_empty() {
        let rows: Vec<(i64, String)> = events::table
            .filter(events::organizer_id.eq(org))
            .select((events::id, events::plugins))
            .load(conn)?;
        for (event, text) in rows {
            let list: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
            let kept: Vec<&String> = list
                .iter()
                .filter(|m| !f.withdrawn_plugins.contains(m))
                .collect();
            if kept.len() != list.len() {
                diesel::update(events::table.find(event))
                    .set(events::plugins.eq(json_text(&kept)?))
                    .execute(conn)?;
            }
        }
    }
    diesel::delete(organizer_settings::table.filter(organizer_settings::organizer_id.eq(org)))
        .execute(conn)?;
    for (key, value) in &s.settings {
        super::settings::change_organizer(conn, org, key.clone(), Some(value.clone()))?;
    }
    for p in &s.meta_properties {
        let fields = MetaPropertyFields {
            name: p.name.clone(),
            default: p.default.clone(),
            required: p.required,
            allowed_values: p.allowed_values.clone(),
            protected: p.protected,
            filter_allowed: p.filter_allowed,
        };
        let row = super::meta_properties::MetaPropertyChangeset::try_from(fields)
            .map_err(ApplyError::Repository)?;
        if p.id.0 > 0 {
            diesel::update(meta_properties::table.find(p.id.0))
                .set(row)
                .execute(conn)?;
        } else {
            diesel::insert_into(meta_properties::table)
                .values((meta_properties::organizer_id.eq(org), row))
                .execute(conn)?;
        }
    }
    for c in &s.sales_channels {
        let label = c.label.to_json_string();
        let n = diesel::update(
            sales_channels::table
                .filter(sales_channels::organizer_id.eq(org))
                .filter(sales_channels::identifier.eq(&c.identifier)),
        )
        .set((
            sales_channels::label.eq(&label),
            sales_channels::kind.eq(&c.kind),
            sales_channels::position.eq(c.position),
        ))
        .execute(conn)?;
        if n == 0 {
            diesel::insert_into(sales_channels::table)
                .values((
                    sales_channels::organizer_id.eq(org),
                    sales_channels::identifier.eq(&c.identifier),
                    sales_channels::label.eq(&label),
                    sales_channels::kind.eq(&c.kind),
                    sales_channels::position.eq(c.position),
                ))
                .execute(conn)?;
        }
    }
    for e in &s.events {
        apply_event(conn, org, e)?;
    }
    for t in &s.teams {
        apply_team(conn, org, t)?;
    }
    for d in &s.devices {
        apply_device(conn, org, d)?;
    }
    Ok(())
}

/// The organizer's events with these slugs, in the order given.
fn event_ids(conn: &mut DbConnection, org: i64, slugs: &[&str]) -> Applied<Vec<i64>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64)> = events::table
        .filter(events::organizer_id.eq(org))
        .filter(events::slug.eq_any(slugs))
        .select((events::slug, events::id))
        .load(conn)?;
    Ok(slugs
        .iter()
        .filter_map(|s| rows.iter().find(|(slug, _)| slug == s).map(|(_, id)| *id))
        .collect())
}

fn apply_event(conn: &mut DbConnection, org: i64, e: &EventSnapshot) -> Applied<()> {
    let data = &e.event.data;
    let id = if e.event.id.0 > 0 {
        let id = e.event.id.0;
        diesel::update(events::table.find(id))
            .set(super::events::columns(data))
            .execute(conn)?;
        diesel::delete(
            crate::schema::event_meta_values::table
                .filter(crate::schema::event_meta_values::event_id.eq(id)),
        )
        .execute(conn)?;
        diesel::delete(
            crate::schema::event_sales_channels::table
                .filter(crate::schema::event_sales_channels::event_id.eq(id)),
        )
        .execute(conn)?;
        super::events::write_related(conn, org, id, data)?;
        super::events::write_item_meta(conn, id, &data.item_meta_properties)?;
        id
    } else {
        let keys = e.keys.as_ref().ok_or_else(|| {
            ApplyError::Repository(RepositoryError::Internal(
                "a new event without signing keys".into(),
            ))
        })?;
        super::events::insert_event(conn, org, data, keys)?
    };
    diesel::delete(event_settings::table.filter(event_settings::event_id.eq(id))).execute(conn)?;
    for (key, value) in &e.settings {
        super::settings::change_event(conn, id, key.clone(), Some(value.clone()))?;
    }
    for item in &e.items {
        let row = || super::items::ItemChangeset::from(item.fields.clone());
        let item_id = if item.id.0 > 0
            && diesel::update(items::table.find(item.id.0))
                .set(row())
                .execute(conn)?
                > 0
        {
            item.id.0
        } else if item.id.0 > 0 {
            diesel::insert_into(items::table)
                .values((
                    items::id.eq(item.id.0),
                    items::event_id.eq(id),
                    items::has_variations.eq(item.has_variations),
                    row(),
                ))
                .execute(conn)?;
            item.id.0
        } else {
            diesel::insert_into(items::table)
                .values((
                    items::event_id.eq(id),
                    items::has_variations.eq(item.has_variations),
                    row(),
                ))
                .returning(items::id)
                .get_result(conn)?
        };
        for v in &item.variations {
            let row = || super::items::VariationChangeset::from(v.fields.clone());
            if v.id.0 > 0
                && diesel::update(item_variations::table.find(v.id.0))
                    .set(row())
                    .execute(conn)?
                    > 0
            {
                continue;
            }
            if v.id.0 > 0 {
                diesel::insert_into(item_variations::table)
                    .values((
                        item_variations::id.eq(v.id.0),
                        item_variations::item_id.eq(item_id),
                        row(),
                    ))
                    .execute(conn)?;
            } else {
                diesel::insert_into(item_variations::table)
                    .values((item_variations::item_id.eq(item_id), row()))
                    .execute(conn)?;
            }
        }
    }
    for x in &e.subevents {
        let row = || super::subevents::SubEventChangeset::from(x.data.clone());
        if x.id.0 > 0
            && diesel::update(subevents::table.find(x.id.0))
                .set(row())
                .execute(conn)?
                > 0
        {
            continue;
        }
        if x.id.0 > 0 {
            diesel::insert_into(subevents::table)
                .values((subevents::id.eq(x.id.0), subevents::event_id.eq(id), row()))
                .execute(conn)?;
        } else {
            diesel::insert_into(subevents::table)
                .values((subevents::event_id.eq(id), row()))
                .execute(conn)?;
        }
    }
    for q in &e.quotas {
        let d = &q.data;
        let columns = (
            quotas::name.eq(d.name.clone()),
            quotas::size.eq(d.size),
            quotas::subevent_id.eq(d.subevent.map(|s| s.0)),
        );
        let quota = if q.id.0 > 0
            && diesel::update(quotas::table.find(q.id.0))
                .set(columns.clone())
                .execute(conn)?
                > 0
        {
            q.id.0
        } else if q.id.0 > 0 {
            diesel::insert_into(quotas::table)
                .values((quotas::id.eq(q.id.0), quotas::event_id.eq(id), columns))
                .execute(conn)?;
            q.id.0
        } else {
            diesel::insert_into(quotas::table)
                .values((quotas::event_id.eq(id), columns))
                .returning(quotas::id)
                .get_result(conn)?
        };
        super::quotas::write_links(conn, quota, d)?;
    }
    for c in &e.digital_contents {
        let row = || super::digital_contents::ContentChangeset::from(&c.data);
        let content = if c.id.0 > 0
            && diesel::update(digital_contents::table.find(c.id.0))
                .set(row())
                .execute(conn)?
                > 0
        {
            c.id.0
        } else if c.id.0 > 0 {
            diesel::insert_into(digital_contents::table)
                .values((
                    digital_contents::id.eq(c.id.0),
                    digital_contents::event_id.eq(id),
                    row(),
                ))
                .execute(conn)?;
            c.id.0
        } else {
            diesel::insert_into(digital_contents::table)
                .values((digital_contents::event_id.eq(id), row()))
                .returning(digital_contents::id)
                .get_result(conn)?
        };
        super::digital_contents::write_products(
            conn,
            EventId(id),
            content,
            &c.data.limit_products,
        )?;
    }
    for x in &e.imported_secrets {
        let d = &x.data;
        let columns = (
            imported_secrets::secret.eq(d.secret.clone()),
            imported_secrets::used.eq(d.used),
            imported_secrets::item_id.eq(d.item.map(|i| i.0)),
            imported_secrets::variation_id.eq(d.variation.map(|v| v.0)),
            imported_secrets::subevent_id.eq(d.subevent.map(|s| s.0)),
        );
        if x.id.0 > 0 {
            diesel::update(imported_secrets::table.find(x.id.0))
                .set(columns)
                .execute(conn)?;
        } else {
            diesel::insert_into(imported_secrets::table)
                .values((imported_secrets::event_id.eq(id), columns))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn apply_team(conn: &mut DbConnection, org: i64, t: &TeamSnapshot) -> Applied<()> {
    let team = &t.team.team;
    let slugs: Vec<&str> = t.team.limit_events.iter().map(String::as_str).collect();
    let limit = event_ids(conn, org, &slugs)?;
    let new = NewTeam {
        organizer: OrganizerId(org),
        name: team.name.clone(),
        permissions: team.permissions,
        events: match team.events {
            EventScope::All => EventScope::All,
            EventScope::Limited(_) => {
                EventScope::Limited(limit.iter().map(|i| EventId(*i)).collect())
            }
        },
    };
    let row = super::teams::NewTeamRow::new(&new);
    let id = if team.id.0 > 0 {
        diesel::update(teams::table.find(team.id.0))
            .set(row)
            .execute(conn)?;
        team.id.0
    } else {
        diesel::insert_into(teams::table)
            .values(row)
            .returning(teams::id)
            .get_result(conn)?
    };
    diesel::delete(team_limit_events::table.filter(team_limit_events::team_id.eq(id)))
        .execute(conn)?;
    if let EventScope::Limited(_) = team.events {
        super::teams::insert_limits(conn, id, &limit)?;
    }
    for token in &t.tokens {
        let k = &token.token;
        if k.id.0 > 0 {
            diesel::update(api_tokens::table.find(k.id.0))
                .set((
                    api_tokens::team_id.eq(id),
                    api_tokens::name.eq(&k.name),
                    api_tokens::active.eq(k.active),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::team_id.eq(id),
                    api_tokens::name.eq(&k.name),
                    api_tokens::token_hash.eq(token.hash.to_hex()),
                    api_tokens::active.eq(k.active),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn apply_device(conn: &mut DbConnection, org: i64, d: &DeviceSnapshot) -> Applied<()> {
    let device = &d.device;
    let slugs: Vec<&str> = device
        .limit_events
        .iter()
        .map(|e| e.slug.as_str())
        .collect();
    let limit: Vec<EventId> = event_ids(conn, org, &slugs)?
        .into_iter()
        .map(EventId)
        .collect();
    let h = &device.hardware;
    let columns = (
        devices::unique_serial.eq(device.unique_serial.clone()),
        devices::initialization_token.eq(device.initialization_token.clone()),
        devices::api_token_hash.eq(d.api_token.map(|t| t.to_hex())),
        devices::all_events.eq(device.all_events),
        devices::revoked.eq(device.revoked),
        devices::name.eq(device.name.clone()),
        devices::initialized.eq(device.initialized.map(naive)),
        devices::hardware_brand.eq(h.hardware_brand.clone()),
        devices::hardware_model.eq(h.hardware_model.clone()),
        devices::os_name.eq(h.os_name.clone()),
        devices::os_version.eq(h.os_version.clone()),
        devices::software_brand.eq(h.software_brand.clone()),
        devices::software_version.eq(h.software_version.clone()),
        devices::security_profile.eq(device.security_profile.clone()),
    );
    let id = if device.id.0 > 0 {
        diesel::update(devices::table.find(device.id.0))
            .set(columns)
            .execute(conn)?;
        device.id.0
    } else {
        diesel::insert_into(devices::table)
            .values((
                devices::organizer_id.eq(org),
                devices::device_id.eq(device.device_id),
                devices::created.eq(naive(device.created)),
                columns,
            ))
            .returning(devices::id)
            .get_result(conn)?
    };
    super::devices::set_limit_events(conn, id, &limit)?;
    Ok(())
}
